"""Schedulers that cycle: warm restarts, CyclicLR and OneCycleLR (with momentum cycling).

Chapter: 08_torch_schedulers

From scratch, with torch 2.13's exact behaviour (see ``course_utils.lr_scheduler.base``). These
are not chainable: each step recomputes the lr from the pure functions (7.9)–(7.13).
"""

import functools
import math
import types

from torch.optim import Optimizer

from course_utils.cyclic_schedules import (
    _CYCLIC_MODES, _cyclic_position, _one_cycle_phase, cosine_anneal, cyclic_scale, linear_anneal,
    one_cycle_phases,
)
from course_utils.schedules import cosine_annealing_lr, warm_restart_position
from .base import (
    LRScheduler, _NO_MOMENTUM, _one_per_group, _set_group_value, _set_momentum,
)

__all__ = ["CosineAnnealingWarmRestarts", "ExactWarmRestarts", "CyclicLR", "OneCycleLR"]


def _set_up_momentum_cycling(optimizer, base_momentum, max_momentum, last_epoch, max_first=False):
    """Momentum cycling, shared by CyclicLR and OneCycleLR: ``(use_beta1, bases, maxes)``.

    The optimizer needs ``momentum`` or ``betas`` (then ``betas[0]`` cycles, ``use_beta1``).
    At construction (``last_epoch=-1``) every group starts at its ``max_momentum`` and records
    ``max_momentum`` and ``base_momentum``. ``max_first``: OneCycleLR checks the length of
    ``max_momentum`` before ``base_momentum`` (CyclicLR the other way round), as torch does.
    """
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(_NO_MOMENTUM)
    use_beta1 = "betas" in optimizer.defaults
    if max_first:
        max_momentums = _one_per_group("max_momentum", optimizer, max_momentum)
        base_momentums = _one_per_group("base_momentum", optimizer, base_momentum)
    else:
        base_momentums = _one_per_group("base_momentum", optimizer, base_momentum)
        max_momentums = _one_per_group("max_momentum", optimizer, max_momentum)
    if last_epoch == -1:
        for m_max, m_base, group in zip(max_momentums, base_momentums, optimizer.param_groups,
                                        strict=True):
            _set_momentum(group, m_max, use_beta1)
            group["max_momentum"] = m_max
            group["base_momentum"] = m_base
    return use_beta1, base_momentums, max_momentums


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR); its own ``step``, lr from (7.6) and (7.9).

        step():       T_cur ← T_cur + 1;
                      if T_cur ≥ T_i:  T_cur ← T_cur mod T_i,  T_i ← T_mult · T_i
        step(epoch):  (T_cur, T_i) from the epoch; fractional epochs allowed

    Matches torch: ``step(epoch)`` finds the period with ``int(math.log(...))``, which
    misses restarts when the logarithm rounds down (``T_0=1, T_mult=3``, epoch 121 gives
    T_cur = 81, T_i = 81 instead of 0, 243). ``ExactWarmRestarts`` below is the same class
    with the exact ``warm_restart_position`` (7.9) instead; this one keeps torch's
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
        return [cosine_annealing_lr(self.T_cur, base_lr=b, T_max=self.T_i,
                                    eta_min=self.eta_min)  # (7.6) at (T_cur, T_i)
                for b in self.base_lrs]

    def step(self, epoch=None):
        """No step counting, no order warning, no deprecation warning (as in torch)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0  # the initial step
        if epoch is not None and epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        self.T_cur, self.T_i = self._position(epoch)
        # the base's write-out: last_epoch = floor(epoch), lrs from get_lr() (no closed form)
        self._update_lr(math.floor(self.last_epoch + 1 if epoch is None else epoch))

    def _position(self, epoch):
        """``(T_cur, T_i)`` after this step: one step, or found from ``epoch``."""
        if epoch is None:
            T_cur = self.T_cur + 1
            if T_cur >= self.T_i:
                return T_cur % self.T_i, self.T_i * self.T_mult  # a restart
            return T_cur, self.T_i
        if self._exact_restarts:
            return warm_restart_position(epoch, T_0=self.T_0, T_mult=self.T_mult)  # (7.9)
        if epoch < self.T_0:
            return epoch, self.T_0
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_i
        # torch's period search, rounding quirk included
        n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
        return (epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1),
                self.T_0 * self.T_mult ** n)


class ExactWarmRestarts(CosineAnnealingWarmRestarts):
    """``CosineAnnealingWarmRestarts`` whose ``step(epoch)`` finds every restart (7.9).

    torch's period search rounds ``log(243, 3) = 4.999999999999999`` down and misses the
    restart at epoch 121 of ``T_0=1, T_mult=3``; this one walks the geometric series with
    exact comparisons (``warm_restart_position``). Same arguments and state_dict as torch's
    class, so the two load each other's checkpoints; only ``step(epoch)`` differs.
    """

    _exact_restarts = True


class CyclicLR(LRScheduler):
    """Cyclical learning rates, closed form (7.10) in ``last_epoch``; momentum (7.11).

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
            self.use_beta1, self.base_momentums, self.max_momentums = _set_up_momentum_cycling(
                optimizer, base_momentum, max_momentum, last_epoch)
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
        """The amplitude factor g in (7.10)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self):
        self._warn_if_outside_step()
        cycle, height = _cyclic_position(self.last_epoch, self.total_size, self.step_ratio)
        x = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = [base + (peak - base) * height * self.scale_fn(x)  # (7.10)
               for base, peak in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            momentums = [m_max - (m_max - m_base) * height * self.scale_fn(x)  # (7.11)
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


class OneCycleLR(LRScheduler):
    """The 1cycle policy, closed form (7.12) in ``last_epoch``, momentum (7.13).

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
        self._schedule_phases = one_cycle_phases(self.total_steps, pct_start=pct_start,
                                                 three_phase=three_phase)
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        max_lrs = _one_per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for peak, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = peak / div_factor  # (7.12)
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor  # (7.12)
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:  # the lists live in the groups only (torch's state_dict keys)
            self.use_beta1 = _set_up_momentum_cycling(optimizer, base_momentum, max_momentum,
                                                      last_epoch, max_first=True)[0]
        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start, end, pct):
        if not hasattr(self, "_anneal_func_type"):  # a state_dict from an old torch
            return self.anneal_func(start, end, pct)
        if self._anneal_func_type == "cos":
            return cosine_anneal(pct, start=start, end=end)  # (7.12)
        if self._anneal_func_type == "linear":
            return linear_anneal(pct, start=start, end=end)  # (7.12)
        raise ValueError(f"Unknown _anneal_func_type: {self._anneal_func_type}")

    def get_lr(self):
        self._warn_if_outside_step()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(f"Tried to step {step_num} times. The specified number of total "
                             f"steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            phase, pct = _one_cycle_phase(step_num, self._schedule_phases)  # (7.12)
            lrs.append(self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:  # (7.13)
                momentum = self._anneal_func(group[phase["start_momentum"]],
                                             group[phase["end_momentum"]], pct)
                _set_momentum(group, momentum, self.use_beta1)
        return lrs
