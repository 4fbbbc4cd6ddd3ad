"""One way to drive a learning rate: a scheduler object, a pure schedule, or nothing.

Chapter: 08_torch_schedulers (used by every loop that trains: ``objectives.optimize``,
``verify.compare_optimizers``, ``lr_trace.record``, ``plateau.trace_plateau``, ``train.train``,
``range_test.lr_range_test``).

Every loop in the course pairs an optimizer with a learning rate in the same way, the order
torch documents: the rate for step t is in the optimizer *before* ``optimizer.step()``, and
the rate for step t + 1 is set *after* it. :class:`LRDriver` is that pairing, for the three
ways a course loop can get its rate:

* a **scheduler** (``StepLR(...)``, torch's or the course's): it already set the step-0 rate
  when it was built; ``driver.step()`` calls ``scheduler.step()``, and a ReduceLROnPlateau
  gets the metric, ``scheduler.step(metric)``;
* a pure **schedule** ``step -> lr`` (``functools.partial(cosine_annealing_lr, base_lr=0.1,
  T_max=100)``, or nanoGPT's ``get_lr(it)``): the driver writes ``group["lr"] =
  schedule(t)`` into *every* group, the absolute rate and not a factor of the group's base
  rate, first at construction (t = ``start``), then at each ``step()``;
* **None**: the rate is left alone.

A schedule cannot give two groups two rates; for per-group rates use a scheduler (a
``LambdaLR`` multiplies each group's base rate by the same factor). Counting matches torch's
``last_epoch``: after construction and k calls of ``step()`` the optimizer holds
``schedule(start + k)``, exactly what a scheduler whose closed form is the schedule holds.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["LRDriver", "is_plateau"]


def is_plateau(scheduler) -> bool:
    """True for a ReduceLROnPlateau (torch's or the course's), which steps on a metric."""
    from torch.optim.lr_scheduler import ReduceLROnPlateau as TorchPlateau

    from course_utils.lr_scheduler import ReduceLROnPlateau
    return isinstance(scheduler, (TorchPlateau, ReduceLROnPlateau))


def _set_lr(group, value) -> None:
    """Write ``value`` into a group's lr, in place when the lr is a Tensor (as torch does)."""
    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(value)
    else:
        group["lr"] = value


class LRDriver:
    """Set an optimizer's lr from ``scheduler`` or ``schedule`` (at most one), step by step.

    Build it before the first ``optimizer.step()``, then call :meth:`step` after each one
    (``metric`` only for a ReduceLROnPlateau). ``start`` is the step the first optimizer step
    takes, for a schedule resumed part-way (a scheduler keeps its own count).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, scheduler=None, *,
                 schedule: Callable[[int], float] | None = None, start: int = 0):
        if scheduler is not None and schedule is not None:
            raise ValueError("give a scheduler object or a schedule function, not both: "
                             f"got scheduler={scheduler!r} and schedule={schedule!r}")
        if scheduler is not None and not hasattr(scheduler, "step"):
            raise TypeError(f"scheduler must be a scheduler object with a step() method, got "
                            f"{scheduler!r}; pass a function of the step as schedule= instead")
        if schedule is not None and (not callable(schedule) or hasattr(schedule, "step")):
            raise TypeError(f"schedule must be a function of the step, got {schedule!r}; pass a "
                            "scheduler object as scheduler= instead")
        self.optimizer, self.scheduler, self.schedule = optimizer, scheduler, schedule
        self.t = start
        if schedule is not None:
            lrs = {float(group["lr"]) for group in optimizer.param_groups}
            if len(lrs) > 1:
                raise ValueError(f"a schedule sets one lr for every group, but the groups have "
                                 f"lrs {sorted(lrs)}; use a scheduler (e.g. LambdaLR) instead")
            self._apply()

    @property
    def needs_metric(self) -> bool:
        """True when :meth:`step` needs a metric (the scheduler is a ReduceLROnPlateau)."""
        return self.scheduler is not None and is_plateau(self.scheduler)

    @property
    def lr(self) -> float:
        """The lr group 0 holds now: the one the next ``optimizer.step()`` will use."""
        return float(self.optimizer.param_groups[0]["lr"])

    def _apply(self) -> None:
        value = self.schedule(self.t)
        for group in self.optimizer.param_groups:
            _set_lr(group, value)

    def step(self, metric=None) -> None:
        """After ``optimizer.step()``: move every group's lr on to the next step's rate."""
        if metric is not None and not self.needs_metric:
            raise ValueError(f"a metric is only for ReduceLROnPlateau, got metric={metric!r} "
                             f"with {self.scheduler or self.schedule!r}")
        if self.needs_metric and metric is None:
            raise ValueError("ReduceLROnPlateau steps on a metric: call step(metric)")
        self.t += 1
        if self.scheduler is None and self.schedule is not None:
            self._apply()
        elif metric is not None:
            self.scheduler.step(metric)
        elif self.scheduler is not None:
            self.scheduler.step()
