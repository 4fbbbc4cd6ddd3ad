"""The schedulers that are not a function of the step alone: compositions and the plateau rule.

Chapter: 06_torch_schedulers, 07_reduce_lr_on_plateau

SequentialLR and ChainedScheduler drive other schedulers; ReduceLROnPlateau is driven by a
metric, rule (7.1)–(7.3). From scratch, with torch 2.13's exact behaviour (see
``course_utils.scheduler_base``).
"""

import math
import warnings
from bisect import bisect_right

from torch.optim import Optimizer

from course_utils.scheduler_base import (
    EPOCH_DEPRECATION_WARNING, Scheduler, _group_values, _set_group_value,
)

__all__ = ["SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]


def _check_schedulers(owner, optimizer, schedulers, chained):
    """Constructor checks shared by SequentialLR and ChainedScheduler (torch's messages)."""
    name = type(owner).__name__
    if len(schedulers) < 1:
        what = "scheduler to be chained" if chained else "scheduler"
        raise ValueError(f"{name} expects at least one {what}, but got no scheduler.")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{name} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{name} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence.")
        if optimizer != scheduler.optimizer:
            raise ValueError(
                f"{name} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {i} has {scheduler.optimizer}, "
                f"which is different from {type(optimizer).__name__}.")


class _Composite:
    """state_dict of a composite: its own fields plus one sub-state per scheduler."""

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        sub_states = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        state_dict["_schedulers"] = sub_states
        for i, sub_state in enumerate(sub_states):
            self._schedulers[i].load_state_dict(sub_state)


class SequentialLR(_Composite, Scheduler):
    """Run ``schedulers[k]`` from ``milestones[k-1]`` on (6.12); pure analogue (5.15).

    Construction resets every lr to ``initial_lr``, undoes one step of every (nested)
    scheduler and re-takes the initial step of the first. At a milestone the next
    scheduler is restarted with ``_update_lr(0)``: its closed form at epoch 0 if it has
    one, else its ``get_lr()`` applied to the lr the previous phase left behind.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_schedulers(self, optimizer, schedulers, chained=False)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to {len(milestones)}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            _set_group_value(group, "lr", group["initial_lr"])
        self.recursive_undo()
        k = bisect_right(self._milestones, 0)
        self._schedulers[k]._initial_step()
        self._last_lr = schedulers[k].get_last_lr()

    def recursive_undo(self, sched=None):
        """Take one step back from every scheduler, descending into composites."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self):
        self.last_epoch += 1
        k = bisect_right(self._milestones, self.last_epoch)  # (6.12) the active scheduler
        scheduler = self._schedulers[k]
        if k > 0 and self._milestones[k - 1] == self.last_epoch:
            scheduler._update_lr(0)  # (6.12) restart it at epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite, Scheduler):
    """Step every scheduler, in order, each acting on the lr the previous one left (6.13).

    Products of chainable schedulers compose; a closed-form one (LambdaLR, CyclicLR,
    OneCycleLR, CosineAnnealingWarmRestarts) overrides everything before it. Construction
    takes no step, and there is no ``last_epoch``.
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:  # checked before schedulers[0] is read
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be "
                             "chained, but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers(self, optimizer, schedulers, chained=True)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()  # (6.13)
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")


class ReduceLROnPlateau(Scheduler):
    """Divide the lr when a metric stops improving (7.1)–(7.3).

        better(a) = a < best·(1 − θ) | a < best − θ | a > best·(1 + θ) | a > best + θ
                    (min, rel)         (min, abs)     (max, rel)         (max, abs)   (7.1)
        bad ← 0 if better(a) else bad + 1;   during cooldown: counter − 1, bad ← 0       (7.2)
        if bad > patience:  η ← max(η · factor, η_min)  when the drop exceeds eps;
                            cooldown counter ← cooldown, bad ← 0                      (7.3)

    So the lr drops after ``patience + 1`` bad epochs. NaN is never better and never
    becomes ``best``; ``rel`` mode is sign-sensitive for negative metrics.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _group_values(optimizer, "lr")
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def step(self, metrics, epoch=None):
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1  # (7.2)
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # (7.2) bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)  # (7.3)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _group_values(self.optimizer, "lr")

    def _reduce_lr(self, epoch):
        n = len(self.optimizer.param_groups)
        if n != len(self.min_lrs):  # a param group was added after construction
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({n}) differs from when "
                    f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to "
                    "a new param group being added to the optimizer. Please modify the "
                    "`min_lrs` field to match the length of the `optimizer` param groups.")
            self.min_lrs = [self.default_min_lr] * n
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)  # (7.3)
            if old_lr - new_lr > self.eps:
                _set_group_value(group, "lr", new_lr)

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)  # (7.1) min, rel
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold  # (7.1) min, abs
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)  # (7.1) max, rel
        return a > best + self.threshold  # (7.1) max, abs

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._init_is_better(mode=self.mode, threshold=self.threshold,
                             threshold_mode=self.threshold_mode)
