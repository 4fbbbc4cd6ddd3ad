"""Record what a scheduler makes an optimizer use, step by step, and compare two schedulers.

Chapter: 08_torch_schedulers (usable for any scheduler, ReduceLROnPlateau included).

A scheduler is judged by what it writes into ``optimizer.param_groups``, not by what it says
about itself: :func:`record` builds a fresh optimizer and scheduler, then alternates
``optimizer.step()`` and ``scheduler.step()`` (in that order, the one torch asks for) and
reads every group's ``lr`` and momentum (``momentum`` or ``betas[0]``) after construction
and after each step. :func:`compare_schedulers` records two schedulers on two identical
optimizers and reports the largest relative difference, per step, of each.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from course_utils.stepping import LRDriver

__all__ = ["LRTrace", "TraceComparison", "record", "compare_traces", "compare_schedulers"]


def _number(value) -> float:
    """A group entry (float, int or 1-element Tensor) as a Python float."""
    return float(value.item() if isinstance(value, torch.Tensor) else value)


def _momentum(group) -> float | None:
    """The momentum a group will use: ``momentum`` (SGD-like) or ``betas[0]`` (Adam-like)."""
    if "betas" in group:
        return _number(group["betas"][0])
    if "momentum" in group:
        return _number(group["momentum"])
    return None


@dataclass(frozen=True)
class LRTrace:
    """What the optimizer held after construction (row 0) and after each scheduler step.

    ``lr[t][g]`` and ``momentum[t][g]`` are group ``g``'s values at row ``t``; ``momentum`` is
    None for an optimizer that has neither ``momentum`` nor ``betas``.
    """

    lr: tuple[tuple[float, ...], ...]
    momentum: tuple[tuple[float | None, ...], ...]
    last_lr: tuple[tuple[float, ...], ...]

    @property
    def steps(self) -> int:
        return len(self.lr) - 1

    def group(self, g: int = 0) -> list[float]:
        """The lr sequence of one group, construction first."""
        return [row[g] for row in self.lr]


def record(make_optimizer: Callable[[], torch.optim.Optimizer],
           make_scheduler: Callable[[torch.optim.Optimizer], object], steps: int, *,
           metrics: Sequence[float] | None = None) -> LRTrace:
    """Build both, then ``optimizer.step(); scheduler.step()`` ``steps`` times, recording each.

    ``metrics[t]`` is passed to the t-th ``scheduler.step`` (ReduceLROnPlateau; any other
    scheduler given metrics raises). Stepping is :class:`~course_utils.stepping.LRDriver`'s. The optimizer's
    parameters need no gradients: ``optimizer.step()`` then changes nothing but still counts
    as a step, so the scheduler sees the correct order and does not warn.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if metrics is not None and len(metrics) < steps:
        raise ValueError(f"need one metric per step: {len(metrics)} metrics for {steps} steps")
    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    driver = LRDriver(optimizer, scheduler)
    lr, momentum, last_lr = [], [], []

    def snapshot():
        lr.append(tuple(_number(g["lr"]) for g in optimizer.param_groups))
        momentum.append(tuple(_momentum(g) for g in optimizer.param_groups))
        last_lr.append(tuple(_number(x) for x in scheduler.get_last_lr()))

    snapshot()
    for t in range(steps):
        optimizer.step()
        driver.step(None if metrics is None else metrics[t])
        snapshot()
    return LRTrace(tuple(lr), tuple(momentum), tuple(last_lr))


def _rel_diff(a: float | None, b: float | None) -> float:
    """|a − b| / max(|a|, |b|), 0 when both are equal (zeros and Nones included), inf if one is None."""
    if a == b:
        return 0.0
    if a is None or b is None:
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


@dataclass(frozen=True)
class TraceComparison:
    """Two traces side by side: bitwise equality and the worst relative difference per quantity."""

    name: str
    steps: int
    exact: bool
    max_rel_lr: float
    max_rel_momentum: float
    max_rel_last_lr: float
    cycles_momentum: bool        # whether the momentum ever changed during the trace

    def __str__(self) -> str:
        verdict = "bitwise equal" if self.exact else "DIFFERENT" if self.max_rel > 1e-12 else "equal to 1e-12"
        momentum = f"{self.max_rel_momentum:.1e}" if self.cycles_momentum else "   —   "
        return (f"{self.name:<28} {self.steps:>4} steps  {verdict:<15} "
                f"max rel diff: lr {self.max_rel_lr:.1e}, momentum {momentum}")

    @property
    def max_rel(self) -> float:
        return max(self.max_rel_lr, self.max_rel_momentum, self.max_rel_last_lr)

    def assert_close(self, rtol: float = 1e-12) -> "TraceComparison":
        """Raise AssertionError unless every value of every step agrees to ``rtol``."""
        if not self.max_rel <= rtol:
            raise AssertionError(f"{self} exceeds rtol={rtol:g}")
        return self


def compare_traces(a: LRTrace, b: LRTrace, name: str = "") -> TraceComparison:
    """Compare two traces row by row; traces of different lengths or group counts differ."""
    if a.steps != b.steps or len(a.lr[0]) != len(b.lr[0]):
        return TraceComparison(name, min(a.steps, b.steps), False, math.inf, math.inf, math.inf,
                               True)

    def worst(rows_a, rows_b):
        return max((_rel_diff(x, y) for ra, rb in zip(rows_a, rows_b) for x, y in zip(ra, rb)),
                   default=0.0)

    cycles = len({row for row in a.momentum}) > 1 or len({row for row in b.momentum}) > 1
    return TraceComparison(name, a.steps, a == b, worst(a.lr, b.lr), worst(a.momentum, b.momentum),
                           worst(a.last_lr, b.last_lr), cycles)


def compare_schedulers(make_a: Callable, make_b: Callable,
                       make_optimizer: Callable[[], torch.optim.Optimizer], steps: int, *,
                       metrics: Sequence[float] | None = None, name: str = "") -> TraceComparison:
    """Record ``make_a`` and ``make_b`` on two fresh optimizers from ``make_optimizer``; compare."""
    return compare_traces(record(make_optimizer, make_a, steps, metrics=metrics),
                          record(make_optimizer, make_b, steps, metrics=metrics), name)
