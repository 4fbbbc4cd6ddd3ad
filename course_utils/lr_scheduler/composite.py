"""Schedulers that drive other schedulers: SequentialLR and ChainedScheduler.

Chapter: 08_torch_schedulers

From scratch, with torch 2.13's exact behaviour (the shared mechanics are in
``course_utils.lr_scheduler.base``).
"""

from bisect import bisect_right

from .base import LRScheduler, _group_values, _set_group_value
from .plateau import ReduceLROnPlateau

__all__ = ["SequentialLR", "ChainedScheduler"]


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


class SequentialLR(_Composite, LRScheduler):
    """Run ``schedulers[k]`` from ``milestones[k-1]`` on (8.4); pure analogue (7.15).

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
        k = bisect_right(self._milestones, self.last_epoch)  # (8.4) the active scheduler
        scheduler = self._schedulers[k]
        if k > 0 and self._milestones[k - 1] == self.last_epoch:
            scheduler._update_lr(0)  # (8.4) restart it at epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite, LRScheduler):
    """Step every scheduler, in order, each acting on the lr the previous one left (8.5).

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
            scheduler.step()  # (8.5)
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")
