"""Run the named experiments, one JSON record per (config, seed), resumably; re-check them.

Chapter: 12_evidence_on_fashion_mnist.

A record holds the resolved config, the seed, per-epoch training loss (the mean of that
epoch's mini-batch losses), validation and test loss and accuracy, the lr of each epoch's
first step, the training loss and lr over tenths of an epoch (for the staircase), the wall
time, torch's version and the device, and the first ``CHECK_STEPS`` mini-batch losses.
Records live in ``data/results/NAME/`` (``NAME-cuda`` etc. for another device type), one
file per run; a run whose file exists is skipped, so an interrupted grid resumes where it
stopped. A run with the same config and seed already recorded by another experiment is
copied from it rather than run again (it would be bitwise the same).

``check`` re-runs the first ``CHECK_STEPS`` mini-batches of the lowest seed of every
config, with the thread count the record names, and compares their losses with the record at
``CHECK_RTOL``, and their lrs exactly. On the CPU type that wrote the records the match is
bitwise; another thread
count (or CPU) sums a matmul in another order, a last-bit difference per step that 50 steps
amplify (measured: 2e-7 relative with 2 threads instead of 1). 1e-4 passes that and still
fails on a change of data, model, initialisation, batch order or optimizer, or of the lr by
0.1 % (measured: 1.7e-3 relative; one grid step: 0.5). It checks the start of each run,
not every step: two schedules that agree over the first 50 steps (StepLR and a constant
rate) give the same slice.
"""

from __future__ import annotations

import json
import math
import platform
import time
from pathlib import Path

import torch

from course_utils.data import data_dir, load_fashion_mnist
from course_utils.guards import DivergenceError
from course_utils.train import History, train

from .registry import CHECK_STEPS, CHUNKS_PER_EPOCH, EXPERIMENTS, build

CHECK_RTOL = 1e-4


class ExperimentError(RuntimeError):
    """An unknown experiment, a missing prerequisite, or a record that disagrees with a re-run."""


def results_dir(root=None) -> Path:
    return Path(root) if root is not None else data_dir() / "results"


def experiment_dir(name, device="cpu", root=None) -> Path:
    kind = torch.device(device).type
    return results_dir(root) / (name if kind == "cpu" else f"{name}-{kind}")


def record_path(folder: Path, config: dict, seed: int) -> Path:
    return folder / config["label"].replace("/", "__") / f"seed{seed}.json"


def load_records(name, device="cpu", root=None) -> list[dict]:
    """Every record of experiment ``name``, sorted by config label and seed."""
    folder = experiment_dir(name, device, root)
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("*/seed*.json"))]
    return sorted(records, key=lambda r: (r["config"]["label"], r["seed"]))


class _Stop(Exception):
    """Raised from an optimizer hook to end a run after its first N steps."""


def _chunks(values, size):
    return [sum(values[i:i + size]) / len(values[i:i + size]) for i in range(0, len(values), size)]


def subset(data, n):
    """``data`` with its training split cut to a fixed, class-stratified ``n`` images (seed 0);
    validation and test splits unchanged."""
    if n is None or n == len(data.y_train):
        return data
    from dataclasses import replace

    from course_utils.data import stratified_split

    _, keep = stratified_split(data.y_train.cpu().numpy(), n / len(data.y_train), seed=0)
    keep = torch.from_numpy(keep).to(data.y_train.device)
    return replace(data, x_train=data.x_train[keep], y_train=data.y_train[keep])


def run_one(config, seed, data, *, device="cpu", max_steps=None):
    """Train one resolved ``config`` with ``seed``; return its record (a JSON-able dict).

    ``data`` is the full :func:`~course_utils.data.load_fashion_mnist` (cut to the config's
    ``train_size``); ``max_steps`` stops after that many optimizer steps (``check``).
    """
    data = subset(data, config.get("train_size"))
    steps_per_epoch = -(-len(data.y_train) // config["batch_size"])
    model, optimizer, scheduler = build(config, seed, device, steps_per_epoch)
    history, diverged = History(steps_per_epoch), None
    if max_steps is not None:
        def stop(opt, args, kwargs):
            if len(history.loss) >= max_steps:
                raise _Stop
        optimizer.register_step_post_hook(stop)
    start = time.perf_counter()
    try:
        train(model, optimizer, data, epochs=config["epochs"], batch_size=config["batch_size"],
              scheduler=scheduler, generator=torch.Generator().manual_seed(1000 + seed),
              validation=data.validation, history=history)
    except _Stop:
        pass
    except DivergenceError as err:
        diverged = str(err)
    chunk = -(-steps_per_epoch // CHUNKS_PER_EPOCH)
    return {
        "config": config, "seed": seed,
        "epoch_loss": history.epoch_loss, "val_loss": history.val_loss, "val_acc": history.val_acc,
        "test_loss": history.test_loss, "test_acc": history.test_acc,
        "lr": history.lr[::steps_per_epoch], "steps_per_epoch": steps_per_epoch,
        "chunk_steps": chunk, "loss_chunks": _chunks(history.loss, chunk), "lr_chunks": history.lr[::chunk],
        "check_losses": history.loss[:CHECK_STEPS], "check_lrs": history.lr[:CHECK_STEPS],
        "diverged": diverged, "seconds": time.perf_counter() - start,
        "torch": torch.__version__, "device": torch.device(device).type,
        "cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
    }


def resolve(config, root=None) -> dict:
    """``config`` with a numeric lr: ``"tuned"`` becomes the tuning experiment's best lr × lr_factor."""
    if config["lr"] != "tuned":
        return dict(config)
    from .stats import best_lr

    tuning = config.get("tuned_by", "tuning")   # chapter 13 tunes the schedule-free optimizers apart
    best = best_lr(load_records(tuning, root=root), config["optimizer"])
    if best is None:
        raise ExperimentError(f"{config['label']} needs the tuned lr of {config['optimizer']}: "
                              f"run `python -m course_utils experiments run {tuning}` first")
    return dict(config, lr=float(f"{best * config['lr_factor']:.6g}"))


def _configs(experiment, root):
    if not experiment.tuning:
        return [resolve(c, root) for c in experiment.configs]
    from .stats import tuning_configs

    return tuning_configs(experiment, load_records("tuning", root=root))


def _existing(root, device):
    """Every recorded run, keyed by (config, seed), so another experiment can reuse it."""
    found = {}
    for path in results_dir(root).glob("*/*/seed*.json"):
        rec = json.loads(path.read_text())
        if rec["device"] == torch.device(device).type:
            found[(json.dumps(rec["config"], sort_keys=True), rec["seed"])] = rec
    return found


def run_experiment(name, *, device="cpu", root=None, progress=True, data=None, log=print) -> int:
    """Run every missing (config, seed) of experiment ``name``; return how many were run.

    A tuning experiment runs its grid, then extends it by one grid point past any end where
    the best lr sits, until every best is interior (at most three extensions per optimizer).
    """
    from tqdm.auto import tqdm

    if name not in EXPERIMENTS:
        raise ExperimentError(f"unknown experiment {name!r}; expected one of {sorted(EXPERIMENTS)}")
    experiment, folder, done = EXPERIMENTS[name], experiment_dir(name, device, root), 0
    for _ in range(4 if experiment.tuning else 1):
        todo = [(c, s) for c in _configs(experiment, root) for s in experiment.seeds
                if not record_path(folder, c, s).exists()]
        if not todo:
            break
        data = data if data is not None else load_fashion_mnist(device=device)
        existing = _existing(root, device)
        for config, seed in tqdm(todo, desc=name, disable=not progress):
            rec = existing.get((json.dumps(config, sort_keys=True), seed))
            rec = dict(rec, reused=True) if rec else run_one(config, seed, data, device=device)
            rec["experiment"] = name
            path = record_path(folder, config, seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(rec, indent=1) + "\n")
            done += 1
            if log and not progress:
                log(f"{name} {config['label']} seed {seed}: "
                    f"test acc {rec['test_acc'][-1] if rec['test_acc'] else float('nan'):.4f}")
    return done


def check(names=None, *, root=None, steps=CHECK_STEPS, rtol=CHECK_RTOL, data=None, log=print) -> list[str]:
    """Re-run the first ``steps`` mini-batches of the lowest seed of every config of every
    recorded experiment (CPU records); return the disagreements (empty: all agree)."""
    names = names or sorted(p.name for p in results_dir(root).iterdir() if p.name in EXPERIMENTS)
    data = data if data is not None else load_fashion_mnist(device="cpu")
    problems, seen = [], {}
    for name in names:
        firsts = {}
        for rec in load_records(name, root=root):
            firsts.setdefault(rec["config"]["label"], rec)
        for label, rec in firsts.items():
            key = (json.dumps(rec["config"], sort_keys=True), rec["seed"])
            if key not in seen:   # with the record's thread count: the same summation order
                threads = torch.get_num_threads()
                torch.set_num_threads(rec.get("threads", threads))
                try:
                    seen[key] = run_one(rec["config"], rec["seed"], data, max_steps=steps)
                finally:
                    torch.set_num_threads(threads)
            again = seen[key]
            n = min(steps, len(rec["check_losses"]))
            got, want = again["check_losses"][:n], rec["check_losses"][:n]
            bad = [i for i in range(n) if not math.isclose(got[i], want[i], rel_tol=rtol)]
            if len(got) != n or bad or again["check_lrs"][:n] != rec["check_lrs"][:n]:
                step = bad[0] if bad else 0
                problems.append(f"{name} {label} seed {rec['seed']}: step {step + 1} loss "
                                f"{got[step] if len(got) > step else None} vs recorded {want[step]} (rtol {rtol:g})")
        if log:
            log(f"{name}: {len(firsts)} configs re-run for {steps} steps")
    return problems
