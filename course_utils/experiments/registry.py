"""The named experiments on Fashion-MNIST: what each one runs, and how a config becomes objects.

Chapter: 12_evidence_on_fashion_mnist.

A *config* is a plain dict (JSON in every record) that names a model, an optimizer, its lr,
a schedule and the run's length; :func:`build` turns it into a model, an optimizer from
``course_utils.optim`` and a scheduler from ``course_utils.lr_scheduler``. An experiment is
a list of configs run over a tuple of seeds. Configs whose lr is ``"tuned"`` take the best
lr of the ``tuning`` experiment's records (:func:`best_lr`), so the tuning is run first.

Learning-rate grids are log-spaced in thirds of a decade, η_k = 10^(k/3) rounded to three
significant digits (0.01, 0.0215, 0.0464, 0.1, …): a tuned value is interior when the grid
holds a point on each side of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from torch import nn

from course_utils import lr_scheduler as sched
from course_utils import optim
from course_utils.schedules import warmup_stable_decay_lr
from course_utils.train import _seeded

MODEL = "mlp784-64-10"
BATCH_SIZE = 64
TRAIN_SIZE = 20000       # a fixed, stratified fifth-ish of the 55,000 (2,000 per class): see subset()
EPOCHS = 6              # the classic 90-epoch ImageNet StepLR recipe (×0.1 at 1/3 and 2/3 of the run), scaled
TUNE_EPOCHS = 2
SEEDS = (0, 1, 2, 3, 4)
TUNE_SEEDS = (0, 1)
CHECK_STEPS = 50        # mini-batch losses recorded for `experiments check`
CHUNKS_PER_EPOCH = 10   # training loss recorded as means over tenths of an epoch
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw")
GRIDS = {  # exponents k of η = 10^(k/3); SGD's reaches momentum's effective step η/(1 − 0.9)
    "sgd": range(-6, 1), "momentum": range(-9, -2), "nesterov": range(-9, -2),
    "adam": range(-13, -6), "adamw": range(-13, -6),
}
SCHEDULES = ("constant", "step", "cosine", "warmup_cosine", "onecycle", "plateau", "wsd", "linear")
CHAPTER_12 = ("tuning", "optimizers", "schedules_momentum", "onecycle_ablation", "staircase", "long",
              "schedules_adam", "schedules_sgd", "schedules_nesterov", "schedules_adamw")  # chapter 12's
SCHEDULE_FREE = ("sgd_schedulefree", "adamw_schedulefree")   # chapter 13; no scheduler
SF_GRIDS = {"sgd_schedulefree": range(-3, 4), "adamw_schedulefree": range(-8, -1)}


def grid_lr(k: int) -> float:
    """η_k = 10^(k/3) to three significant digits."""
    return float(f"{10 ** (k / 3):.3g}")


def grid_index(lr: float) -> int:
    return round(3 * math.log10(lr))


def make_fashion_mlp(hidden=(64,), *, seed=0, device="cpu"):
    """Flatten → [Linear → ReLU] per hidden width → Linear(·, 10), for 28×28 images.

    ``hidden=(64,)``: 50,890 parameters, small enough that the whole grid of chapter 12
    trains on one thread of a shared 2-core CPU in about an hour. Initialised from ``seed`` on the CPU, then moved.
    """
    def build():
        layers, width = [nn.Flatten()], 28 * 28
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        return nn.Sequential(*layers, nn.Linear(width, 10))
    return _seeded(build, seed).to(device)


MODELS = {MODEL: lambda seed, device: make_fashion_mlp((64,), seed=seed, device=device)}


def make_optimizer(name, params, lr, *, warmup_steps=0):
    """The course's from-scratch optimizer ``name`` with torch's defaults, momentum 0.9; the
    schedule-free ones (chapter 13) with ``warmup_steps`` of their own linear warm-up."""
    if name == "sgd":
        return optim.SGD(params, lr=lr)
    if name in ("momentum", "nesterov"):
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=name == "nesterov")
    if name == "adam":
        return optim.Adam(params, lr=lr)
    if name == "adamw":
        return optim.AdamW(params, lr=lr)
    if name == "sgd_schedulefree":
        return optim.SGDScheduleFree(params, lr=lr, momentum=0.9, warmup_steps=warmup_steps)
    if name == "adamw_schedulefree":
        return optim.AdamWScheduleFree(params, lr=lr, warmup_steps=warmup_steps)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS + SCHEDULE_FREE}")


def make_scheduler(config, optimizer, steps_per_epoch):
    """The scheduler of ``config['schedule']``, stepped once per mini-batch (ReduceLROnPlateau:
    once per epoch, on the validation loss). Lengths scale with the run: T = epochs × steps."""
    name, total = config["schedule"], config["epochs"] * steps_per_epoch
    warm = total // 20                                                     # 5% warm-up
    if name == "constant":
        return None
    if name == "step":   # ×0.1 at a third and two thirds of the run
        return sched.StepLR(optimizer, step_size=total // 3, gamma=0.1)
    if name == "step_once":   # the same first cut, then η/10 to the end (isolates the second cut)
        return sched.MultiStepLR(optimizer, milestones=[total // 3], gamma=0.1)
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=total)
    if name == "warmup_cosine":
        return sched.SequentialLR(optimizer, [sched.LinearLR(optimizer, start_factor=0.01, total_iters=warm),
                                              sched.CosineAnnealingLR(optimizer, T_max=total - warm)], [warm])
    if name == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=optimizer.param_groups[0]["lr"], total_steps=total,
                                cycle_momentum=config.get("cycle_momentum", True))
    if name == "warmup_constant":   # one-cycle's own warm-up (30%, cosine from η/25), then constant
        ramp = int(0.3 * total)
        return sched.LambdaLR(optimizer, lambda s: 1.0 if s >= ramp else
                              1 / 25 + (1 - 1 / 25) * (1 - math.cos(math.pi * s / ramp)) / 2)
    if name == "plateau":
        return sched.ReduceLROnPlateau(optimizer, factor=0.1, patience=1)
    if name == "wsd":    # 5% warm-up, stable to 80%, linear decay to 0
        decay = total // 5
        return sched.LambdaLR(optimizer, lambda s: warmup_stable_decay_lr(
            s, base_lr=1.0, warmup_steps=warm, stable_steps=total - warm - decay, decay_steps=decay))
    if name == "linear":
        return sched.LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=total)
    if name == "goyal_warmup":   # chapter 13 (13.2): from the unscaled lr η/lr_factor up to η over the first epoch
        start, ramp = 1 / config["lr_factor"], steps_per_epoch
        return sched.LambdaLR(optimizer, lambda s: start + (1 - start) * min(s / ramp, 1.0))
    raise ValueError(f"unknown schedule {name!r}; expected one of {SCHEDULES}")


def build(config, seed, device, steps_per_epoch):
    """Model, optimizer and scheduler of a resolved ``config`` (numeric lr) for ``seed``."""
    model = MODELS[config["model"]](seed, device)
    warm = config["epochs"] * steps_per_epoch // 20 if config["optimizer"] in SCHEDULE_FREE else 0  # WSD's 5%
    optimizer = make_optimizer(config["optimizer"], model.parameters(), config["lr"], warmup_steps=warm)
    return model, optimizer, make_scheduler(config, optimizer, steps_per_epoch)


def config(label, optimizer, lr="tuned", schedule="constant", **extra):
    return {"label": label, "model": MODEL, "optimizer": optimizer, "lr": lr, "lr_factor": 1.0,
            "schedule": schedule, "epochs": EPOCHS, "batch_size": BATCH_SIZE, "train_size": TRAIN_SIZE, **extra}


@dataclass(frozen=True)
class Experiment:
    name: str
    question: str
    configs: tuple
    seeds: tuple = SEEDS
    tuning: bool = False
    extra: dict = field(default_factory=dict)


def _batch_config(opt, batch, rule, warmup):
    """Chapter 13: ``opt`` at batch ``batch``, its tuned lr (at BATCH_SIZE) scaled by ``rule``
    (13.1)/(13.3), with the warm-up (13.2) over the first epoch when ``warmup``."""
    factor = {"none": 1.0, "linear": batch / BATCH_SIZE, "sqrt": math.sqrt(batch / BATCH_SIZE)}[rule]
    if batch == BATCH_SIZE:   # the reference run: the same config as the optimizers experiment's
        return config(f"{opt}/constant", opt)
    label = f"{opt}/B={batch}/{rule}" + ("/warmup" if warmup else "")
    return config(label, opt, lr_factor=factor, schedule="goyal_warmup" if warmup else "constant",
                  batch_size=batch)


def _tuning_configs(ks=None):
    ks = ks or {name: GRIDS[name] for name in OPTIMIZERS}
    return tuple(config(f"{opt}/lr={grid_lr(k):g}", opt, grid_lr(k), epochs=TUNE_EPOCHS)
                 for opt in OPTIMIZERS for k in ks[opt])


EXPERIMENTS = {e.name: e for e in (
    Experiment("tuning", "each optimizer's best constant lr (final validation accuracy, 2 epochs)",
               _tuning_configs(), seeds=TUNE_SEEDS, tuning=True),
    Experiment("optimizers", "the five optimizers, each at its tuned lr; plain SGD and momentum also with cosine",
               tuple(config(f"{o}/constant", o) for o in OPTIMIZERS)
               + (config("sgd/cosine", "sgd", schedule="cosine"),
                  config("momentum/cosine", "momentum", schedule="cosine"))),
    Experiment("schedules_momentum", "eight schedules for SGD + momentum 0.9 at its tuned lr",
               tuple(config(f"momentum/{s}", "momentum", schedule=s) for s in SCHEDULES)),
    Experiment("onecycle_ablation", "one-cycle's warm-up, annealing and momentum cycling, one at a time",
               (config("momentum/constant", "momentum"),
                config("momentum/warmup_constant", "momentum", schedule="warmup_constant"),
                config("momentum/cosine", "momentum", schedule="cosine"),
                config("momentum/onecycle_no_cycling", "momentum", schedule="onecycle", cycle_momentum=False),
                config("momentum/onecycle", "momentum", schedule="onecycle"))),
    Experiment("staircase", "StepLR ×0.1 against constant rates η and η/10 (the noise floor scales with η)",
               (config("momentum/constant", "momentum"),
                config("momentum/constant_lr/10", "momentum", lr_factor=0.1),
                config("momentum/step_once", "momentum", schedule="step_once"),
                config("momentum/step", "momentum", schedule="step"))),
    Experiment("long", "three times longer runs (18 epochs): do StepLR's and ReduceLROnPlateau's cuts pay off?",
               tuple(config(f"momentum/{s}", "momentum", schedule=s, epochs=3 * EPOCHS)
                     for s in ("constant", "step", "plateau", "cosine"))),
    Experiment("schedules_adam", "eight schedules for Adam at its tuned lr",
               tuple(config(f"adam/{s}", "adam", schedule=s) for s in SCHEDULES)),
    *(Experiment(f"schedules_{o}", f"eight schedules for {o} at its tuned lr",
                 tuple(config(f"{o}/{s}", o, schedule=s) for s in SCHEDULES)) for o in ("sgd", "nesterov", "adamw")),
    # chapter 13_training_practice
    Experiment("batch_size", "SGD + momentum at batch 64 to 2048: the tuned lr kept, scaled linearly "
               "with a one-epoch warm-up (13.1)-(13.2), or scaled without warm-up",
               tuple(_batch_config("momentum", b, rule, warm) for b, rule, warm in (
                   (64, "none", False), (128, "linear", True), (256, "none", False), (256, "linear", True),
                   (512, "linear", True), (1024, "none", False), (1024, "linear", True),
                   (1024, "linear", False), (2048, "none", False), (2048, "linear", True)))),
    Experiment("batch_size_adam", "Adam at batch 64 to 2048: square-root (13.3) against linear scaling",
               tuple(_batch_config("adam", b, rule, True) for b, rule in (
                   (64, "none"), (256, "sqrt"), (256, "linear"), (1024, "sqrt"), (1024, "linear"),
                   (2048, "sqrt"), (2048, "linear")))),
    Experiment("schedule_free_tuning", "the schedule-free optimizers' best lr (final validation accuracy, 2 epochs)",
               tuple(config(f"{o}/lr={grid_lr(k):g}", o, grid_lr(k), epochs=TUNE_EPOCHS)
                     for o in SCHEDULE_FREE for k in SF_GRIDS[o]), seeds=TUNE_SEEDS),
    Experiment("schedule_free", "schedule-free SGD and AdamW against WSD and cosine, each at its tuned lr",
               tuple(config(f"{o}/{s}", o, schedule=s) for o in ("momentum", "adam") for s in ("wsd", "cosine"))
               + tuple(config(f"{o}/none", o, tuned_by="schedule_free_tuning") for o in SCHEDULE_FREE)),
)}
