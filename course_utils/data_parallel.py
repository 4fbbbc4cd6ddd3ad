"""Data-parallel training with the course's optimizers and schedulers on ``torch.distributed``.

Chapter: 14_scaling_out.

k processes each hold a full replica of the model and take a micro-batch of b examples of
the same global batch of k·b; ``DistributedDataParallel`` averages the gradients with an
all-reduce during ``backward()``, so every replica steps with

    ḡ = (1/k) Σ_r ∇L_r = (1/(kb)) Σ_{i ∈ global batch} ∇ℓ_i = ∇L_{global batch}         (14.1)

(equal micro-batches), the gradient one process computes on the whole global batch: same
optimizer, same scheduler, same trajectory up to the order of floating-point sums.

Run under ``torchrun`` (one process per rank; gloo on CPU, NCCL on CUDA)::

    python -m torch.distributed.run --nproc_per_node=2 -m course_utils.data_parallel --out run.pt

Rank 0 writes the losses, lrs, final weights and each rank's optimizer-state bytes to
``--out``. :func:`train` is the same loop in one process (``world_size=1``), the reference;
:func:`launch` starts ``torchrun`` from Python on 127.0.0.1, bounded in time, and returns
rank 0's record. With ``--zero`` the optimizer is wrapped in ``ZeroRedundancyOptimizer``,
which keeps each parameter's optimizer state on one rank only.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

__all__ = ["RunConfig", "train", "main", "launch", "free_port"]

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class RunConfig:
    """One data-parallel run: ``steps`` optimizer steps of a global batch of
    ``world_size × per_process_batch`` digits, the course's ``optimizer`` ("sgd": momentum 0.9,
    or "adamw") at ``lr`` with a linear warm-up over ``warmup_steps`` then cosine decay to 0."""

    steps: int = 20
    per_process_batch: int = 32
    optimizer: str = "sgd"
    lr: float = 0.1
    warmup_steps: int = 5
    zero: bool = False
    dtype: str = "float64"
    hidden: int = 64
    seed: int = 0


def _optimizer(config: RunConfig, model):
    from course_utils import optim

    cls, kwargs = {"sgd": (optim.SGD, {"momentum": 0.9}), "adamw": (optim.AdamW, {})}[config.optimizer]
    if config.zero:
        from torch.distributed.optim import ZeroRedundancyOptimizer

        return ZeroRedundancyOptimizer(model.parameters(), optimizer_class=cls, lr=config.lr, **kwargs)
    return cls(model.parameters(), lr=config.lr, **kwargs)


def _scheduler(config: RunConfig, optimizer):
    from course_utils.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    warm = config.warmup_steps
    if warm == 0:
        return CosineAnnealingLR(optimizer, T_max=config.steps)
    return SequentialLR(optimizer, [LinearLR(optimizer, start_factor=1 / warm, total_iters=warm),
                                    CosineAnnealingLR(optimizer, T_max=config.steps - warm)], [warm])


def train(config: RunConfig, *, rank: int = 0, world_size: int = 1, device="cpu") -> dict:
    """Train ``config`` as rank ``rank`` of ``world_size`` (a process group must exist when
    ``world_size > 1``); return the record: per-step global-batch ``loss`` and ``lr``, the
    final ``params`` (on the CPU) and this rank's ``state_bytes``."""
    from torch.nn.parallel import DistributedDataParallel

    from course_utils.data import load_digits
    from course_utils.precision import state_bytes
    from course_utils.train import make_mlp

    if config.optimizer not in ("sgd", "adamw"):
        raise ValueError(f"optimizer must be 'sgd' or 'adamw', got {config.optimizer!r}")
    if not 0 <= config.warmup_steps < config.steps:
        raise ValueError(f"warmup_steps must be in [0, steps), got {config.warmup_steps} with "
                         f"steps={config.steps}")
    dtype = DTYPES[config.dtype]
    data = load_digits(device=device, dtype=dtype)
    model = make_mlp(config.hidden, seed=config.seed, device=device).to(dtype)
    if world_size > 1:
        model = DistributedDataParallel(model)
    optimizer = _optimizer(config, model)
    scheduler = _scheduler(config, optimizer)
    b, n = config.per_process_batch, len(data.y_train)
    global_batch = world_size * b
    order = torch.Generator().manual_seed(1000 + config.seed)    # the same order on every rank
    batches, record = [], {"loss": [], "lr": []}
    for _ in range(config.steps):
        if not batches:
            batches = list(torch.randperm(n, generator=order).split(global_batch))
            batches = [idx for idx in batches if len(idx) == global_batch]   # equal shards (14.1)
        mine = batches.pop(0)[rank * b:(rank + 1) * b].to(device)           # this rank's shard
        loss = F.cross_entropy(model(data.x_train[mine]), data.y_train[mine])
        record["lr"].append(float(optimizer.param_groups[0]["lr"]))
        optimizer.zero_grad()
        loss.backward()                                                      # (14.1) all-reduce
        optimizer.step()
        scheduler.step()
        mean = loss.detach().clone()
        if world_size > 1:
            torch.distributed.all_reduce(mean)
            mean /= world_size
        record["loss"].append(float(mean))
    local = optimizer.optim if config.zero else optimizer
    record["state_bytes"] = state_bytes(local)
    record["params"] = [p.detach().cpu().clone() for p in model.parameters()]
    return record


def main(argv=None) -> None:
    """The ``torchrun`` entry point: one rank of the run the command line describes."""
    import torch.distributed as dist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, value in asdict(RunConfig()).items():
        kind = type(value)
        if kind is bool:
            parser.add_argument(f"--{name.replace('_', '-')}", action="store_true")
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for any collective")
    args = vars(parser.parse_args(argv))
    out, timeout = args.pop("out"), args.pop("timeout")
    config = RunConfig(**args)
    missing = [k for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK") if k not in os.environ]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} not set: start this module with torchrun "
                           "(python -m torch.distributed.run --nproc_per_node=2 -m course_utils.data_parallel "
                           "--out=FILE), or call course_utils.data_parallel.launch()")
    rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    cuda = torch.cuda.is_available() and torch.cuda.device_count() >= world
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    from datetime import timedelta
    dist.init_process_group("nccl" if cuda else "gloo", timeout=timedelta(seconds=timeout))
    try:
        record = train(config, rank=rank, world_size=world, device=device)
        everyone = [None] * world
        dist.all_gather_object(everyone, record["state_bytes"])
        record.update(state_bytes=everyone, world_size=world, backend=dist.get_backend(),
                      config=asdict(config))
        if rank == 0:
            torch.save(record, out)
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(config: RunConfig, *, nproc: int = 2, timeout: float = 60.0) -> dict:
    """Run ``config`` on ``nproc`` local processes with ``torchrun`` and return rank 0's record.

    Localhost only (127.0.0.1, gloo on the loopback interface), one CPU thread per process,
    killed with its whole process group after ``timeout`` seconds; the output lives in a
    temporary folder that is removed.
    """
    loopback = [name for _, name in socket.if_nameindex() if name.startswith("lo")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", **({"GLOO_SOCKET_IFNAME": loopback[0]} if loopback else {})}
    flags = [f"--{k.replace('_', '-')}" + ("" if isinstance(v, bool) else f"={v}")
             for k, v in asdict(config).items() if not (isinstance(v, bool) and not v)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rank0.pt"
        cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
               "--nnodes=1", "--master_addr=127.0.0.1", f"--master_port={free_port()}",
               "-m", "course_utils.data_parallel", f"--out={out}", f"--timeout={timeout}", *flags]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            log, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)          # torchrun and every worker it started
            proc.communicate()
            raise TimeoutError(f"torchrun did not finish within {timeout} s") from None
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"torchrun failed with exit code {proc.returncode}:\n{log[-3000:]}")
        return torch.load(out, weights_only=False)


if __name__ == "__main__":
    main()
