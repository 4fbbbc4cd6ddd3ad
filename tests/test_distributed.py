"""The course's optimizers and schedulers under torch.distributed, equal to torch's classes.

Two processes on this machine (gloo, CPU, 127.0.0.1 only) train the same small model four
ways: DistributedDataParallel with SGD + StepLR, and ZeroRedundancyOptimizer (optimizer state
sharded across the ranks) with SGD + StepLR and with Adam + OneCycleLR, which also cycles
Adam's beta1. Each way runs once with ``course_utils.optim`` / ``course_utils.lr_scheduler``
and once with ``torch.optim``, each rank feeding its own batches. The parameters must come out
bitwise equal: on a CPU the course's step is torch's for-loop arithmetic, op for op, and both
runs see the same all-reduced gradients (a sum of two numbers does not depend on their order).

ZeroRedundancyOptimizer's ``consolidate_state_dict`` + ``state_dict`` gathers the shards on
rank 0; with the course's class that dict has torch's layout and values and loads into a
plain ``torch.optim.Adam``.

This file is also the worker: ``python tests/test_distributed.py RANK WORLD PORT OUT``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import torch
from test_optim import assert_same   # bitwise tensors; dicts equal in key order

WORLD = 2
STEPS = 6
INIT_TIMEOUT_S = 60  # init_process_group and every collective (a hang guard, not a benchmark)
JOIN_TIMEOUT_S = 150  # both workers, start to exit: a hang guard, generous for a busy CPU


# ── the worker ──────────────────────────────────────────────────────────────────────────────

def _model() -> torch.nn.Module:
    torch.manual_seed(0)  # the same start on every rank and in every run
    return torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.Tanh(), torch.nn.Linear(12, 3))


def _train(rank: int, optim_lib, sched_lib, way: str) -> dict:
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel

    model = DistributedDataParallel(_model())
    if way == "ddp_sgd":
        opt = optim_lib.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    elif way == "zero_sgd":
        opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=optim_lib.SGD,
                                      lr=0.1, momentum=0.9, weight_decay=1e-3)
    else:
        # betas given: OneCycleLR looks for them in ZeRO's defaults, which hold only what is passed
        opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=optim_lib.Adam,
                                      lr=1e-2, betas=(0.9, 0.999), weight_decay=1e-3)
    if way == "zero_adam":
        sched = sched_lib.OneCycleLR(opt, max_lr=5e-2, total_steps=STEPS)
    else:
        sched = sched_lib.StepLR(opt, step_size=2, gamma=0.5)
    data = torch.Generator().manual_seed(100 + rank)  # each rank its own shard of the data
    for _ in range(STEPS):
        x, y = torch.randn(8, 6, generator=data), torch.randint(0, 3, (8,), generator=data)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()
    out = {"params": [p.detach().clone() for p in model.parameters()],
           "lr": [g["lr"] for g in opt.param_groups],
           "betas": [g.get("betas") for g in opt.param_groups]}
    if way.startswith("zero"):
        out["local"] = type(opt.optim).__module__  # the class that holds this rank's shard
        opt.consolidate_state_dict(to=0)
        if rank == 0:
            out["state_dict"] = opt.state_dict()
    return out


def _worker(rank: int, world: int, port: int, out: Path) -> None:
    import torch.distributed as dist

    import course_utils.lr_scheduler
    import course_utils.optim

    torch.use_deterministic_algorithms(True)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=timedelta(seconds=INIT_TIMEOUT_S))
    try:
        results = {}
        for way in ("ddp_sgd", "zero_sgd", "zero_adam"):
            results[way, "course"] = _train(rank, course_utils.optim, course_utils.lr_scheduler, way)
            results[way, "torch"] = _train(rank, torch.optim, torch.optim.lr_scheduler, way)
        torch.save(results, out / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


# ── the test ────────────────────────────────────────────────────────────────────────────────

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _loopback() -> dict:
    """Keep gloo on the loopback interface (no network, whatever the host name resolves to)."""
    names = [name for _, name in socket.if_nameindex() if name.startswith("lo")]
    return {"GLOO_SOCKET_IFNAME": names[0]} if names else {}


def _spawn(out: Path) -> None:
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(port), **_loopback()}
    procs = []
    try:
        for rank in range(WORLD):
            log = open(out / f"rank{rank}.log", "w")
            procs.append(subprocess.Popen([sys.executable, __file__, str(rank), str(WORLD), str(port), str(out)],
                                          env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        for proc in procs:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                logs = "\n".join((out / f"rank{r}.log").read_text() for r in range(WORLD))
                raise AssertionError(f"the workers ran past {JOIN_TIMEOUT_S} s:\n{logs}") from None
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for rank, proc in enumerate(procs):
        assert proc.returncode == 0, f"rank {rank} failed:\n{(out / f'rank{rank}.log').read_text()}"


@pytest.fixture(scope="module")
def ranks(tmp_path_factory) -> list[dict]:
    """What each rank wrote: one launch of the workers serves every test in this file."""
    out = tmp_path_factory.mktemp("distributed")
    _spawn(out)
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(WORLD)]


def test_ddp_and_zero_with_the_course_classes_equal_torch_bitwise(ranks):
    start = list(_model().parameters())
    for way in ("ddp_sgd", "zero_sgd", "zero_adam"):
        for rank, res in enumerate(ranks):
            course, ref = res[way, "course"], res[way, "torch"]
            assert_same(course["params"], ref["params"], f"{way} rank {rank} params")
            assert course["lr"] == ref["lr"] and course["betas"] == ref["betas"], way
        # the replicas agree, and training moved them
        assert_same(ranks[0][way, "course"]["params"], ranks[1][way, "course"]["params"], f"{way} ranks")
        assert all(not torch.equal(p, q) for p, q in zip(ranks[0][way, "course"]["params"], start)), way
    assert ranks[0]["ddp_sgd", "course"]["lr"] == [0.1 * 0.5 ** (STEPS // 2)]
    assert ranks[0]["zero_adam", "course"]["betas"][0][0] != 0.95  # OneCycleLR cycled beta1


def test_zero_consolidated_state_dict_has_torch_layout(ranks):
    rank0 = ranks[0]
    for way in ("zero_sgd", "zero_adam"):
        assert rank0[way, "course"]["local"].startswith("course_utils.optim.")
        assert rank0[way, "torch"]["local"].startswith("torch.optim.")
        course, ref = rank0[way, "course"]["state_dict"], rank0[way, "torch"]["state_dict"]
        assert_same(course, ref, f"{way} state_dict")
        n_params = len(rank0[way, "course"]["params"])
        assert sorted(course["state"]) == list(range(n_params))  # every shard gathered
    sd = rank0["zero_adam", "course"]["state_dict"]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    plain = torch.optim.Adam(_model().parameters(), lr=1e-2)
    plain.load_state_dict(sd)
    assert_same(plain.state_dict()["state"], sd["state"], "loaded into torch.optim.Adam")


if __name__ == "__main__":
    _worker(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
