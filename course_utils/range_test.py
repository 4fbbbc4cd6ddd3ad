"""The learning-rate range test, from scratch: raise the lr geometrically until the loss blows up.

Chapter: 10_real_training

Smith's range test (2017, with a linear ramp), here in the form of fastai's ``lr_find``
(a geometric ramp), trains a fresh model for a few dozen steps while the lr grows from
``start_lr`` to ``end_lr``, and records the loss at each step. The
raw mini-batch loss is noisy, so it is smoothed by a bias-corrected exponential average
(the same correction as Adam's moments, chapter 05):

    η_i = η_start · (η_end / η_start)^{i / (n − 1)},   i = 0 … n − 1         (10.3)
    a_i = β a_{i−1} + (1 − β) L_i,  a_{−1} = 0;   L̂_i = a_i / (1 − β^{i+1})   (10.4)
    stop at the first i with L_i not finite, or L̂_i > k · min_{j<i} L̂_j       (10.5)
    suggested lr:  η* = η_{argmin L̂} / d                                      (10.6)

k = ``diverge_factor``, d = ``divide_by``. The minimum of the smoothed loss sits close to
the edge of stability (a little further along the lr axis the loss explodes), so the
suggestion backs off by a factor d = 10 from it: fast, but safely below divergence.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from course_utils.stepping import LRDriver
from course_utils.train import shuffled_batches

__all__ = ["RangeTest", "range_test_lr", "exponential_lrs", "lr_range_test"]


def range_test_lr(step, *, start_lr, end_lr, num_steps):
    """The schedule (10.3): ``start_lr`` at step 0, ``end_lr`` at step ``num_steps − 1``, equal ratios."""
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if num_steps < 2:
        raise ValueError(f"num_steps must be >= 2, got {num_steps}")
    return start_lr * (end_lr / start_lr) ** (step / (num_steps - 1))  # (10.3)


def exponential_lrs(start_lr, end_lr, num_steps):
    """The lrs (10.3) of every step: ``range_test_lr`` at 0 … ``num_steps − 1``."""
    return [range_test_lr(i, start_lr=start_lr, end_lr=end_lr, num_steps=num_steps)
            for i in range(num_steps)]


@dataclass(frozen=True)
class RangeTest:
    """What :func:`lr_range_test` recorded, up to the step where it stopped.

    ``losses`` are the raw mini-batch losses (the last one may be inf or NaN when
    ``diverged``), ``smoothed`` the bias-corrected averages (10.4) of the finite ones.
    """

    lrs: list
    losses: list
    smoothed: list
    diverged: bool
    divide_by: float

    @property
    def min_index(self):
        """The step at which the smoothed loss was lowest."""
        if not self.smoothed:
            raise ValueError(f"the loss was {self.losses[0]} at the very first step (lr {self.lrs[0]:.3g}): "
                             "nothing to read; lower start_lr")
        return min(range(len(self.smoothed)), key=self.smoothed.__getitem__)

    @property
    def lr_at_min(self):
        """The lr at which the smoothed loss was lowest."""
        return self.lrs[self.min_index]

    @property
    def suggestion(self):
        """(10.6): the lr at the minimum of the smoothed loss, divided by ``divide_by``."""
        return self.lr_at_min / self.divide_by

    @property
    def stop_lr(self):
        """The last lr tried: where the test stopped (diverged) or ``end_lr``."""
        return self.lrs[len(self.losses) - 1]


def lr_range_test(make_model, make_optimizer, data, *, start_lr=1e-4, end_lr=10.0,
                  num_steps=100, batch_size=64, beta=0.9, diverge_factor=4.0, divide_by=10.0,
                  generator=None):
    """Run the range test (10.3)–(10.6) on a fresh ``make_model()`` and ``make_optimizer(params)``.

    Nothing outside is changed: the model and optimizer are built here and thrown away, and
    the mini-batch order is drawn from ``generator`` (a fresh one seeded 0 if None).
    """
    lrs = exponential_lrs(start_lr, end_lr, num_steps)  # (10.3), checking the arguments first
    generator = torch.Generator().manual_seed(0) if generator is None else generator
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    driver = LRDriver(optimizer, schedule=functools.partial(
        range_test_lr, start_lr=start_lr, end_lr=end_lr, num_steps=num_steps))  # (10.3)
    model.train()
    x, y = data.x_train, data.y_train
    losses, smoothed = [], []
    average, best, diverged = 0.0, math.inf, False
    batches = iter(())
    for i in range(num_steps):
        idx = next(batches, None)
        if idx is None:  # a new epoch of shuffled mini-batches
            batches = iter(shuffled_batches(len(y), batch_size, generator, x.device))
            idx = next(batches)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            diverged = True                                                   # (10.5)
            break
        average = beta * average + (1 - beta) * losses[-1]                    # (10.4)
        smoothed.append(average / (1 - beta ** (i + 1)))                      # (10.4)
        if smoothed[-1] > diverge_factor * best:
            diverged = True                                                   # (10.5)
            break
        best = min(best, smoothed[-1])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        driver.step()                                                         # (10.3)
    return RangeTest(lrs[:len(losses)], losses, smoothed, diverged, divide_by)
