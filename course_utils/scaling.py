"""Batch size and the learning rate: scaling rules, gradual warm-up, the critical batch size.

Chapter: 13_training_practice (14_scaling_out applies the rules to the world size).

B_0 is the batch size a learning rate η_0 was tuned at, B the new one, T_w the warm-up length
in optimizer steps, t the step (from 0):

    η(B) = η_0 · B / B_0                       linear scaling (Goyal et al. 2017)      (13.1)
    η_t  = η_0 + (η(B) − η_0) · min(t / T_w, 1)   gradual warm-up from η_0         (13.2)
    η(B) = η_0 · √(B / B_0)                    square-root scaling (adaptive methods)  (13.3)
    S(B) = S_min (1 + B_noise / B)             optimizer steps to a target loss         (13.4)
    E(B) = B · S(B) = E_min (1 + B / B_noise)  examples to the same target, E_min = S_min B_noise  (13.5)

(13.4)–(13.5) are McCandlish et al. (2018)'s model: below the critical batch size
B_crit ≈ B_noise a bigger batch saves steps almost one for one; above it, it mostly costs
examples. Since S(B) = S_min + E_min · (1/B), :func:`fit_critical_batch` fits a straight
line of S against 1/B by least squares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["scaled_lr", "warmup_lr", "steps_to_target", "CriticalBatchFit", "fit_critical_batch",
           "DataParallelRecipe", "data_parallel_recipe"]

RULES = ("linear", "sqrt", "none")


def scaled_lr(base_lr: float, batch_size: int, base_batch_size: int, rule: str = "linear") -> float:
    """The lr for ``batch_size`` from ``base_lr`` tuned at ``base_batch_size``: (13.1), (13.3) or unchanged."""
    if batch_size < 1 or base_batch_size < 1:
        raise ValueError(f"batch sizes must be >= 1, got {batch_size} and {base_batch_size}")
    ratio = batch_size / base_batch_size
    if rule == "linear":
        return base_lr * ratio                                        # (13.1)
    if rule == "sqrt":
        return base_lr * math.sqrt(ratio)                             # (13.3)
    if rule == "none":
        return base_lr
    raise ValueError(f"unknown scaling rule {rule!r}; expected one of {RULES}")


def warmup_lr(step: int, *, base_lr: float, target_lr: float, warmup_steps: int) -> float:
    """(13.2): ramp linearly from ``base_lr`` at step 0 to ``target_lr`` at ``warmup_steps``, then hold."""
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
    if warmup_steps == 0 or step >= warmup_steps:
        return target_lr
    return base_lr + (target_lr - base_lr) * step / warmup_steps      # (13.2)


def steps_to_target(losses, target: float, steps_per_point: int = 1) -> int | None:
    """Optimizer steps until the recorded loss first reaches ``target`` (None if never).

    ``losses[i]`` is the loss after (i + 1) · ``steps_per_point`` steps (for instance means
    over chunks of ``steps_per_point`` steps)."""
    return next(((i + 1) * steps_per_point for i, v in enumerate(losses) if v <= target), None)


@dataclass(frozen=True)
class CriticalBatchFit:
    """(13.4)–(13.5) fitted: S_min steps, E_min examples, B_crit = E_min / S_min."""

    s_min: float
    e_min: float

    @property
    def b_crit(self) -> float:
        return self.e_min / self.s_min

    def steps(self, batch_size: float) -> float:
        return self.s_min + self.e_min / batch_size                   # (13.4)

    def examples(self, batch_size: float) -> float:
        return batch_size * self.steps(batch_size)                    # (13.5)


def fit_critical_batch(batch_sizes, steps) -> CriticalBatchFit:
    """Least-squares fit of S = S_min + E_min / B (13.4) to measured steps-to-target."""
    if len(batch_sizes) != len(steps) or len(steps) < 2:
        raise ValueError("need at least two (batch size, steps) pairs of equal length")
    u = [1 / b for b in batch_sizes]
    mu, ms = sum(u) / len(u), sum(steps) / len(steps)
    var = sum((a - mu) ** 2 for a in u)
    if var == 0:
        raise ValueError("need at least two different batch sizes")
    slope = sum((a - mu) * (s - ms) for a, s in zip(u, steps)) / var
    intercept = ms - slope * mu
    if intercept <= 0 or slope <= 0:
        raise ValueError(f"the measurements do not follow (13.4): S_min = {intercept:.3g}, "
                         f"E_min = {slope:.3g} (both must be positive)")
    return CriticalBatchFit(s_min=intercept, e_min=slope)


@dataclass(frozen=True)
class DataParallelRecipe:
    """A single-process recipe carried to ``world_size`` processes of ``per_process_batch`` each."""

    world_size: int
    global_batch: int
    lr: float
    steps_per_epoch: int
    warmup_steps: int


def data_parallel_recipe(*, world_size: int, per_process_batch: int, base_lr: float,
                         base_batch_size: int, examples: int, warmup_epochs: float = 0.0,
                         rule: str = "linear") -> DataParallelRecipe:
    """The global batch is ``world_size × per_process_batch``; the lr follows it by ``rule``
    (13.1)/(13.3); a warm-up fixed in *epochs* becomes fewer optimizer steps as the world grows."""
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    global_batch = world_size * per_process_batch
    steps_per_epoch = -(-examples // global_batch)
    return DataParallelRecipe(world_size, global_batch,
                              scaled_lr(base_lr, global_batch, base_batch_size, rule),
                              steps_per_epoch, round(warmup_epochs * steps_per_epoch))
