"""Every ``torch.optim.lr_scheduler`` class, from scratch, with torch 2.13's exact behaviour.

Chapter: 06_torch_schedulers, 07_reduce_lr_on_plateau

Same names, signatures, defaults, state_dict keys, warnings and error messages as torch,
and the same floating-point arithmetic, so that every per-step lr equals torch's bitwise.
Nothing from ``torch.optim.lr_scheduler`` is imported; the schedulers drive any
``torch.optim.Optimizer`` (torch's or a from-scratch subclass) through ``param_groups``.

How a scheduler moves (the part most re-implementations get wrong):

* construction already takes one step (``_initial_step``): afterwards ``last_epoch == 0``,
  ``_step_count == 1`` and the groups hold the epoch-0 lr;
* ``step()`` increments ``last_epoch`` and calls ``get_lr()``, which for most classes is
  *recursive* (chainable): it multiplies the lr currently in the group, (6.2)–(6.9);
* ``step(epoch)`` (deprecated, warns) sets ``last_epoch = epoch`` and uses the closed form
  ``_get_closed_form_lr()`` where the class has one: the pure functions (5.x) of
  ``course_utils.schedules``.

The recursive forms below are numbered (6.x), ReduceLROnPlateau's rule (7.x).
"""

import functools
import math
import types
import warnings
import weakref
from bisect import bisect_right
from collections import Counter

import torch
from torch.optim import Optimizer

from course_utils.schedules import (
    _one_cycle_phase, _cyclic_position, _CYCLIC_MODES, constant_lr, cosine_anneal,
    cosine_annealing_lr, cyclic_scale, exponential_lr, linear_anneal, linear_lr,
    multi_step_lr, one_cycle_phases, polynomial_lr, step_lr, warm_restart_position,
)

__all__ = [
    "Scheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
    "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "SequentialLR",
    "ChainedScheduler", "ReduceLROnPlateau", "ExactWarmRestarts",
]

# Warning and error texts are torch's, word for word, so that code written against torch
# (and tests matching its messages) behaves the same with these classes.
_DOCS = "See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)
_STEP_OVERRIDDEN = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    f"`lr_scheduler.step()`. {_DOCS}")
_STEP_ORDER = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    f"{_DOCS}")
_GET_LR_OUTSIDE_STEP = ("To get the last learning rate computed by the scheduler, "
                        "please use `get_last_lr()`.")
_MISSING_INITIAL_LR = (
    "param 'initial_lr' is not specified in param_groups[{}] when resuming scheduler with "
    "last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training "
    "from a checkpoint but haven't properly loaded the optimizer state\n2. You're using "
    "last_epoch >= 0 for a fresh training run (not recommended)")
_NO_MOMENTUM = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


def _copy(value):
    """A Tensor hyper-parameter is cloned so that nothing aliases a group's lr."""
    return value.clone() if isinstance(value, torch.Tensor) else value


def _group_values(optimizer, key):
    return [_copy(group[key]) for group in optimizer.param_groups]


def _set_group_value(group, key, value):
    """Write ``value`` into ``group[key]``; a Tensor entry is filled in place (same object)."""
    if isinstance(group[key], torch.Tensor):
        if isinstance(value, torch.Tensor) and value.dim() != 0:
            value = value.squeeze()
        group[key].fill_(value)
    else:
        group[key] = value


def _one_per_group(name, optimizer, value):
    """Broadcast a scalar to every param group, or check a list's length (torch's wording)."""
    n = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        value = [value] * n  # one copy each below, so no two groups share a Tensor
    elif len(value) != n:
        raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                         f"{name} has {len(value)} values, param_groups has {n}.")
    return [_copy(v) for v in value]


def _lambdas_per_group(optimizer, lr_lambda):
    n = len(optimizer.param_groups)
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * n
    if len(lr_lambda) != n:
        raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
    return list(lr_lambda)


def _set_momentum(group, momentum, use_beta1):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _track_optimizer_step(optimizer):
    """Wrap ``optimizer.step`` once so that calling it sets ``optimizer._opt_called``.

    Only used to warn about calling ``scheduler.step()`` first. The marker attributes are
    torch's, so a torch scheduler and ours on one optimizer share a single wrapper.
    """
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    step_fn, opt_ref = optimizer.step.__func__, weakref.ref(optimizer)

    @functools.wraps(step_fn)
    def step(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        return step_fn(opt, *args, **kwargs)

    step._wrapped_by_lr_sched = True
    optimizer.step = step


class Scheduler:
    """Base class: bookkeeping shared by every scheduler (torch's ``LRScheduler``).

    Subclasses implement ``get_lr()`` (the recursive form) and, when a closed form exists,
    ``_get_closed_form_lr()``. ``state_dict()`` is every attribute except the optimizer,
    so its keys are exactly torch's and the two load each other's state.
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:  # setdefault: a second scheduler keeps the first's initial_lr
                group.setdefault("initial_lr", _copy(group["lr"]))
            elif "initial_lr" not in group:
                raise KeyError(_MISSING_INITIAL_LR.format(i))
        self.base_lrs = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _track_optimizer_step(optimizer)
        self._initial_step()

    def _initial_step(self):
        """The step taken at construction: ``last_epoch`` -1 → 0, lr ← its epoch-0 value."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self, epoch=None):
        """Advance one step (call it after ``optimizer.step()``); ``epoch`` is deprecated."""
        if self._step_count == 1:  # the user's first call: was optimizer.step() called?
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(_STEP_OVERRIDDEN, UserWarning, stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(_STEP_ORDER, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()  # recursive (chainable) form
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")

    def _warn_if_outside_step(self):
        if not self._get_lr_called_within_step:
            warnings.warn(_GET_LR_OUTSIDE_STEP, UserWarning, stacklevel=2)  # at get_lr, as torch

    def get_lr(self):
        """The lrs for ``last_epoch``; called by ``step()``. To read the lr use ``get_last_lr``."""
        raise NotImplementedError

    def get_last_lr(self):
        """The lrs written by the last step (copies: they never alias a Tensor lr)."""
        return self._last_lr

    def state_dict(self):
        """Every attribute but the optimizer (private counters included), as torch saves it."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a state from ours or from the torch class of the same name."""
        self.__dict__.update(state_dict)


class _LambdaState:
    """state_dict for schedulers holding user callables: plain functions are stored as
    ``None``, callable objects by their ``__dict__`` (torch's convention)."""

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        state_dict["lr_lambdas"] = lr_lambdas  # leave the caller's dict as it was
        for i, fn_state in enumerate(lr_lambdas):
            if fn_state is not None:
                self.lr_lambdas[i].__dict__.update(fn_state)


class LambdaLR(_LambdaState, Scheduler):
    """η_e = η_0 · λ(e)   (6.1). Closed form by nature, so *not* chainable."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_per_group(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        return [base_lr * lmbda(self.last_epoch)  # (6.1)
                for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_LambdaState, Scheduler):
    """η_e = η_{e−1} · λ(e)   (6.2). No closed form: ``step(k)`` multiplies by λ(k) again."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_per_group(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * lmbda(self.last_epoch)  # (6.2)
                for lmbda, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)]


class StepLR(Scheduler):
    """η_e = γ η_{e−1} if e > 0 and s divides e, else η_{e−1}   (6.3); closed form (5.2)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]  # (6.3)

    def _get_closed_form_lr(self):
        return [step_lr(self.last_epoch, b, self.step_size, self.gamma) for b in self.base_lrs]


class MultiStepLR(Scheduler):
    """η_e = γ^{m(e)} η_{e−1}, m(e) = multiplicity of e among the milestones   (6.4); (5.3)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]  # (6.4)

    def _get_closed_form_lr(self):
        milestones = list(self.milestones.elements())  # duplicates count, (5.3)
        return [multi_step_lr(self.last_epoch, b, milestones, self.gamma) for b in self.base_lrs]


class ConstantLR(Scheduler):
    """η_0 = f · η, η_T = η_{T−1} / f, otherwise unchanged   (6.5); closed form (5.1).

    With ``total_iters=0`` the recursive form applies f at epoch 0 and never removes it,
    while the closed form gives η; torch does the same.
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [constant_lr(self.last_epoch, b, self.factor, self.total_iters)
                for b in self.base_lrs]


class LinearLR(Scheduler):
    """Recursive linear ramp (6.6); closed form (5.7).

        η_e = η_{e−1} · (1 + (f − s) / (T s + (e − 1)(f − s)))   for 0 < e ≤ T      (6.6)

    The ratio of consecutive values of (5.7). ``total_iters=0`` keeps ``start_factor``
    forever here, while the closed form divides by zero (as in torch).
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 "
                             "and less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        slope = self.end_factor - self.start_factor
        ratio = 1.0 + slope / (self.total_iters * self.start_factor
                               + (self.last_epoch - 1) * slope)  # (6.6)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [linear_lr(self.last_epoch, b, self.start_factor, self.end_factor,
                          self.total_iters) for b in self.base_lrs]


class ExponentialLR(Scheduler):
    """η_e = γ η_{e−1}   (6.7); closed form (5.4)."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]  # (6.7)

    def _get_closed_form_lr(self):
        return [exponential_lr(self.last_epoch, b, self.gamma) for b in self.base_lrs]


class PolynomialLR(Scheduler):
    """η_e = η_{e−1} ((1 − e/T) / (1 − (e − 1)/T))^p  for 0 < e ≤ T   (6.8); (5.5)."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        T, e = self.total_iters, self.last_epoch
        decay = ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** self.power  # (6.8)
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [polynomial_lr(self.last_epoch, b, self.total_iters, self.power)
                for b in self.base_lrs]


class CosineAnnealingLR(Scheduler):
    """Recursive cosine annealing (6.9); closed form (5.6).

        η_e = η_min + (1 + cos(πe/T)) / (1 + cos(π(e−1)/T)) · (η_{e−1} − η_min)  (6.9a)
        η_e = η_{e−1} + (η_0 − η_min)(1 − cos(π/T)) / 2  if (e − 1 − T) mod 2T = 0  (6.9b)

    (6.9b) replaces (6.9a) where its denominator 1 + cos(π) is 0. Being chainable, it
    carries any outside change of the lr forward, and it drifts from (5.6) by ~1e-16.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        if self._step_count == 1 and e > 0:  # only reachable by calling get_lr() yourself
            return [eta_min + (b - eta_min) * (1 + math.cos(e * math.pi / T)) / 2
                    for b in self.base_lrs]
        if (e - 1 - T) % (2 * T) == 0:
            return [group["lr"] + (b - eta_min) * (1 - math.cos(math.pi / T)) / 2  # (6.9b)
                    for b, group in zip(self.base_lrs, self.optimizer.param_groups, strict=True)]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min  # (6.9a)
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [cosine_annealing_lr(self.last_epoch, b, self.T_max, self.eta_min)
                for b in self.base_lrs]


class CosineAnnealingWarmRestarts(Scheduler):
    """Cosine annealing with warm restarts (SGDR); its own ``step`` (6.10), lr from (5.9c).

        step():       T_cur ← T_cur + 1;
                      if T_cur ≥ T_i:  T_cur ← T_cur mod T_i,  T_i ← T_mult · T_i  (6.10)
        step(epoch):  (T_cur, T_i) from the epoch; fractional epochs allowed

    Matches torch: ``step(epoch)`` finds the period with ``int(math.log(...))``, which
    misses restarts when the logarithm rounds down (``T_0=1, T_mult=3``, epoch 121 gives
    T_cur = 81, T_i = 81 instead of 0, 243). ``ExactWarmRestarts`` below is the same class
    with the exact ``warm_restart_position`` (5.9a)–(5.9b) instead; this one keeps torch's
    signature and ``state_dict`` exactly.
    """

    _exact_restarts = False  # a class constant, so it is never part of state_dict

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        return [cosine_annealing_lr(self.T_cur, b, self.T_i, self.eta_min)  # (5.9c)
                for b in self.base_lrs]

    def step(self, epoch=None):
        """No step counting, no order warning, no deprecation warning (as in torch)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0  # the initial step
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1  # (6.10)
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        elif self._exact_restarts:
            self.T_cur, self.T_i = warm_restart_position(epoch, self.T_0, self.T_mult)
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:  # torch's period search, rounding quirk included
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult ** n
        else:
            self.T_i = self.T_0
            self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._get_lr_called_within_step = True
        try:
            values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")


class ExactWarmRestarts(CosineAnnealingWarmRestarts):
    """``CosineAnnealingWarmRestarts`` whose ``step(epoch)`` finds every restart (5.9a)–(5.9b).

    torch's period search rounds ``log(243, 3) = 4.999999999999999`` down and misses the
    restart at epoch 121 of ``T_0=1, T_mult=3``; this one walks the geometric series with
    exact comparisons (``warm_restart_position``). Same arguments and state_dict as torch's
    class, so the two load each other's checkpoints; only ``step(epoch)`` differs.
    """

    _exact_restarts = True


class CyclicLR(Scheduler):
    """Cyclical learning rates, closed form (5.10) in ``last_epoch``; momentum (5.11).

    Not chainable. ``get_lr`` also writes the momentum (or ``betas[0]``) into the groups.
    At construction (``last_epoch=-1``) every group's lr is overwritten with ``base_lr``
    and, with ``cycle_momentum``, its momentum with ``max_momentum`` (so plain
    ``SGD(momentum=0)`` gets momentum switched on).
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        base_lrs = _one_per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                _set_group_value(group, "lr", lr)
        self.max_lrs = _one_per_group("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        # a list, not the dict: membership by ==, so an unhashable mode is invalid, not a TypeError
        if mode not in list(_CYCLIC_MODES) and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(_NO_MOMENTUM)
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _one_per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _one_per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_max, m_base, group in zip(self.max_momentums, self.base_momentums,
                                                optimizer.param_groups, strict=True):
                    _set_momentum(group, m_max, self.use_beta1)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs  # the initial step above used group['initial_lr'] (setdefault)

    def _init_scale_fn(self):
        """Built-in modes fix ``scale_mode``, whatever was passed (torch does the same)."""
        if self._scale_fn_custom is not None:
            return
        for mode, scale_mode in _CYCLIC_MODES.items():
            if self.mode == mode:
                self._scale_fn_ref = functools.partial(cyclic_scale, mode=mode, gamma=self.gamma)
                self.scale_mode = scale_mode

    def scale_fn(self, x):
        """The amplitude factor g in (5.10d)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self):
        self._warn_if_outside_step()
        cycle, height = _cyclic_position(self.last_epoch, self.total_size, self.step_ratio)
        x = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = [base + (peak - base) * height * self.scale_fn(x)  # (5.10d)
               for base, peak in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            momentums = [m_max - (m_max - m_base) * height * self.scale_fn(x)  # (5.11)
                         for m_base, m_max in zip(self.base_momentums, self.max_momentums,
                                                  strict=True)]
            for group, momentum in zip(self.optimizer.param_groups, momentums, strict=True):
                _set_momentum(group, momentum, self.use_beta1)
        return lrs

    def state_dict(self):
        """Drops the bound scale function; a callable-object scale_fn is kept by __dict__."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict):
        fn = state_dict.pop("_scale_fn_custom")
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


class OneCycleLR(Scheduler):
    """The 1cycle policy, closed form (5.12) in ``last_epoch``, momentum (5.13).

    Not chainable. At construction (``last_epoch=-1``) every group gets ``initial_lr =
    max_lr / div_factor`` (overwritten, not setdefault), ``max_lr``, ``min_lr`` and, with
    ``cycle_momentum``, ``max_momentum``/``base_momentum`` and momentum (or ``betas[0]``,
    the ``use_beta1`` case) = ``max_momentum``. ``total_steps + 1`` values exist (the last
    extrapolates); one more ``step()`` raises.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError("Expected positive integer steps_per_epoch, but got "
                                 f"{steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        self._schedule_phases = one_cycle_phases(self.total_steps, pct_start, three_phase)
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        max_lrs = _one_per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for peak, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = peak / div_factor  # (5.12a)
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor  # (5.12a)
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(_NO_MOMENTUM)
            self.use_beta1 = "betas" in optimizer.defaults
            max_momentums = _one_per_group("max_momentum", optimizer, max_momentum)
            base_momentums = _one_per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m_max, m_base, group in zip(max_momentums, base_momentums,
                                                optimizer.param_groups, strict=True):
                    _set_momentum(group, m_max, self.use_beta1)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, *args, **kwargs):
        if not hasattr(self, "_anneal_func_type"):  # a state_dict from an old torch
            return self.anneal_func(*args, **kwargs)
        if self._anneal_func_type == "cos":
            return cosine_anneal(*args, **kwargs)  # (5.12c)
        if self._anneal_func_type == "linear":
            return linear_anneal(*args, **kwargs)  # (5.12d)
        raise ValueError(f"Unknown _anneal_func_type: {self._anneal_func_type}")

    def get_lr(self):
        self._warn_if_outside_step()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(f"Tried to step {step_num} times. The specified number of total "
                             f"steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            phase, pct = _one_cycle_phase(step_num, self._schedule_phases)  # (5.12b)
            lrs.append(self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:  # (5.13)
                momentum = self._anneal_func(group[phase["start_momentum"]],
                                             group[phase["end_momentum"]], pct)
                _set_momentum(group, momentum, self.use_beta1)
        return lrs


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
