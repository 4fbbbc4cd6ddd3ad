"""ReduceLROnPlateau from scratch: decay when a metric stops improving, rule (9.1)-(9.3).

Chapter: 09_reduce_lr_on_plateau

torch 2.13's exact behaviour, NaN metrics and ``eps`` included (the shared mechanics are in
``course_utils.lr_scheduler.base``).
"""

import math
import warnings

from torch.optim import Optimizer
from torch.optim import lr_scheduler as torch_lr_scheduler

from .base import EPOCH_DEPRECATION_WARNING, LRScheduler, _group_values, _set_group_value

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler, torch_lr_scheduler.ReduceLROnPlateau):
    """Divide the lr when a metric stops improving (9.1)–(9.3).

        better(a) = a < best·(1 − θ) | a < best − θ | a > best·(1 + θ) | a > best + θ
                    (min, rel)         (min, abs)     (max, rel)         (max, abs)   (9.1)
        bad ← 0 if better(a) else bad + 1;   during cooldown: counter − 1, bad ← 0       (9.2)
        if bad > patience:  η ← max(η · factor, η_min)  when the drop exceeds eps;
                            cooldown counter ← cooldown, bad ← 0                      (9.3)

    So the lr drops after ``patience + 1`` bad epochs. NaN is never better and never
    becomes ``best``; ``rel`` mode is sign-sensitive for negative metrics.

    An instance of torch's ``ReduceLROnPlateau`` for identity only, so that Lightning and
    Hugging Face pass it the metric; every method torch's class defines is overridden here.
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
            self.num_bad_epochs += 1  # (9.2)
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # (9.2) bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)  # (9.3)
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
            new_lr = max(old_lr * self.factor, min_lr)  # (9.3)
            if old_lr - new_lr > self.eps:
                _set_group_value(group, "lr", new_lr)

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)  # (9.1) min, rel
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold  # (9.1) min, abs
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)  # (9.1) max, rel
        return a > best + self.threshold  # (9.1) max, abs

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
