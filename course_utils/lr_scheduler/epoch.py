"""The epoch schedulers of ``torch.optim.lr_scheduler``, from scratch, with torch 2.13's exact behaviour.

Chapter: 08_torch_schedulers, 09_reduce_lr_on_plateau

Same names, signatures, defaults, state_dict keys, warnings and error messages as torch,
and the same floating-point arithmetic, so that every per-step lr equals torch's bitwise.
The shared mechanics (the step at construction, ``last_epoch``, chainable versus closed
form) live in ``base``. This module holds the schedulers that are functions of the epoch,
with recursive forms numbered (6.x); the cyclic ones are in ``cyclic``, the compositions in
``composite`` and ReduceLROnPlateau (rule (7.x)) in ``plateau``. All are exported from
``course_utils.lr_scheduler``.
"""

import math
import types
from collections import Counter


from course_utils.schedules import (
    constant_lr, cosine_annealing_lr, exponential_lr, linear_lr, multi_step_lr, polynomial_lr,
    step_lr,
)
from .base import (
    LRScheduler, _group_values, _lambdas_per_group,
)

__all__ = [
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
    "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
]


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


class LambdaLR(_LambdaState, LRScheduler):
    """η_e = η_0 · λ(e). Closed form by nature, so *not* chainable."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_per_group(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        return [base_lr * lmbda(self.last_epoch)
                for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_LambdaState, LRScheduler):
    """η_e = η_{e−1} · λ(e)   (8.1). No closed form: ``step(k)`` multiplies by λ(k) again."""

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
        return [group["lr"] * lmbda(self.last_epoch)  # (8.1)
                for lmbda, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)]


class StepLR(LRScheduler):
    """η_e = γ η_{e−1} if e > 0 and s divides e, else η_{e−1}   (8.1); closed form (7.2)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]  # (8.1)

    def _get_closed_form_lr(self):
        return [step_lr(self.last_epoch, base_lr=b, step_size=self.step_size, gamma=self.gamma)
                for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """η_e = γ^{m(e)} η_{e−1}, m(e) = multiplicity of e among the milestones   (8.1); (7.3)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]  # (8.1)

    def _get_closed_form_lr(self):
        milestones = list(self.milestones.elements())  # duplicates count, (7.3)
        return [multi_step_lr(self.last_epoch, base_lr=b, milestones=milestones, gamma=self.gamma)
                for b in self.base_lrs]


class ConstantLR(LRScheduler):
    """η_0 = f · η, η_T = η_{T−1} / f, otherwise unchanged   (8.1); closed form (7.1).

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
        return [constant_lr(self.last_epoch, base_lr=b, factor=self.factor,
                            total_iters=self.total_iters)
                for b in self.base_lrs]


class LinearLR(LRScheduler):
    """Recursive linear ramp (8.1); closed form (7.7).

        η_e = η_{e−1} · (1 + (f − s) / (T s + (e − 1)(f − s)))   for 0 < e ≤ T      (8.1)

    The ratio of consecutive values of (7.7). ``total_iters=0`` keeps ``start_factor``
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
                               + (self.last_epoch - 1) * slope)  # (8.1)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [linear_lr(self.last_epoch, base_lr=b, start_factor=self.start_factor,
                          end_factor=self.end_factor, total_iters=self.total_iters)
                for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """η_e = γ η_{e−1}   (8.1); closed form (7.4)."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]  # (8.1)

    def _get_closed_form_lr(self):
        return [exponential_lr(self.last_epoch, base_lr=b, gamma=self.gamma) for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """η_e = η_{e−1} ((1 − e/T) / (1 − (e − 1)/T))^p  for 0 < e ≤ T   (8.1); (7.5)."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_if_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        T, e = self.total_iters, self.last_epoch
        decay = ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** self.power  # (8.1)
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [polynomial_lr(self.last_epoch, base_lr=b, total_iters=self.total_iters,
                              power=self.power)
                for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Recursive cosine annealing (8.2)–(8.3); closed form (7.6).

        η_e = η_min + (1 + cos(πe/T)) / (1 + cos(π(e−1)/T)) · (η_{e−1} − η_min)  (8.2)
        η_e = η_{e−1} + (η_0 − η_min)(1 − cos(π/T)) / 2  if (e − 1 − T) mod 2T = 0  (8.3)

    (8.3) replaces (8.2) where its denominator 1 + cos(π) is 0. Being chainable, it
    carries any outside change of the lr forward, and it drifts from (7.6) by ~1e-16.
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
            return [group["lr"] + (b - eta_min) * (1 - math.cos(math.pi / T)) / 2  # (8.3)
                    for b, group in zip(self.base_lrs, self.optimizer.param_groups, strict=True)]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min  # (8.2)
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [cosine_annealing_lr(self.last_epoch, base_lr=b, T_max=self.T_max,
                                    eta_min=self.eta_min)
                for b in self.base_lrs]
