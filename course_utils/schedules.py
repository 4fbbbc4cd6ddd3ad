"""Learning-rate schedules as pure functions of the step.

Chapter: 06_lr_decay, 07_schedule_zoo, 08_torch_schedulers, 09_reduce_lr_on_plateau

A *schedule* here is a function ``step -> lr`` with no state: call it with any step, in
any order, as often as you like, and get the same number. Every schedule has one
signature, ``f(step, *, hyper-parameters)``: the step first, then torch's argument names
and defaults, keyword only (``step_lr(step, *, base_lr, step_size, gamma=0.1)``), so
``functools.partial(step_lr, base_lr=0.1, step_size=30)`` is a schedule ``step -> lr``
that ``course_utils.stepping.LRDriver`` and ``course_utils.train.train(schedule=...)``
can drive. ``step`` counts scheduler steps (0 after construction), exactly as
``last_epoch`` does in ``torch.optim.lr_scheduler`` and as the argument of the deprecated
``scheduler.step(epoch)``: per epoch or per batch, whichever you step. Where a torch class
is named beside a function, the function is bitwise equal to that class's closed form
(what ``scheduler.step(epoch)`` computes) or, for CyclicLR and OneCycleLR, which have no
recursive form, to every value the class produces; ``cosine_annealing_warm_restarts_lr``
finds restarts exactly, where torch's ``step(epoch)`` can miss one (see the class).
Recursive ``scheduler.step()`` sequences agree with these closed forms to about 1e-16.

========================================  ===============================  =============
function                                  torch class                      equation
========================================  ===============================  =============
``constant_lr``                           ``ConstantLR``                   (7.1)
``step_lr``                               ``StepLR``                       (7.2)
``multi_step_lr``                         ``MultiStepLR``                  (7.3)
``exponential_lr``                        ``ExponentialLR``                (7.4)
``polynomial_lr``                         ``PolynomialLR``                 (7.5)
``cosine_annealing_lr``                   ``CosineAnnealingLR``            (7.6)
``linear_lr``                             ``LinearLR``                     (7.7)
``linear_warmup_lr``                      ``LinearLR``, ``end_factor=1``   (7.8)
``cosine_annealing_warm_restarts_lr``     ``CosineAnnealingWarmRestarts``  (7.9)
``cyclic_lr``, ``cyclic_momentum``        ``CyclicLR``                     (7.10)-(7.11) [1]
``one_cycle_lr``, ``one_cycle_momentum``  ``OneCycleLR``                   (7.12)-(7.13) [1]
``warmup_stable_decay_lr``                none (WSD)                       (7.14)
``join_schedules``                        ``SequentialLR``                 (7.15)
========================================  ===============================  =============

[1] The cyclic schedules are in ``course_utils.cyclic_schedules``, with their building blocks.

``join_schedules`` is a combinator (schedules in, one schedule out). The building blocks
(``warm_restart_position`` here; ``cyclic_scale``, ``cosine_anneal``, ``linear_anneal`` and
``one_cycle_phases`` there) keep the same shape: the varying quantity first, the rest by keyword.

A *schedule* is a function; a *scheduler* is a class. The scheduler classes (``StepLR`` …
``ReduceLROnPlateau``, chapters 08 and 09) are in ``course_utils.lr_scheduler`` and build on
these functions; this module imports nothing from there.
"""

import math
from bisect import bisect_right

__all__ = [
    "constant_lr", "step_lr", "multi_step_lr", "exponential_lr", "polynomial_lr",
    "cosine_annealing_lr", "linear_lr", "linear_warmup_lr",
    "cosine_annealing_warm_restarts_lr", "warm_restart_position",
    "warmup_stable_decay_lr", "join_schedules",
]


def constant_lr(step, *, base_lr, factor=1.0 / 3, total_iters=5):
    """Constant factor for ``total_iters`` steps, then the base lr (``ConstantLR``).

        η_e = η_0 · f      if e < T                                   (7.1)
        η_e = η_0          if e ≥ T                                   (7.1)

    f = ``factor``, T = ``total_iters``. Written as torch writes it, one product with a
    0/1 switch, so the value is bitwise torch's closed form.
    """
    return base_lr * (factor + (step >= total_iters) * (1 - factor))  # (7.1)


def step_lr(step, *, base_lr, step_size, gamma=0.1):
    """Decay by ``gamma`` every ``step_size`` steps (``StepLR``).

        η_e = η_0 · γ^⌊e / s⌋                                          (7.2)
    """
    return base_lr * gamma ** (step // step_size)  # (7.2)


def multi_step_lr(step, *, base_lr, milestones, gamma=0.1):
    """Decay by ``gamma`` at each milestone (``MultiStepLR``).

        η_e = η_0 · γ^k(e),   k(e) = #{m ∈ M : m ≤ e}                   (7.3)

    M is a multiset: a milestone listed twice counts twice, and the order of
    ``milestones`` does not matter.
    """
    k = bisect_right(sorted(milestones), step)  # k(e) in (7.3)
    return base_lr * gamma ** k  # (7.3)


def exponential_lr(step, *, base_lr, gamma):
    """Multiply by ``gamma`` every step (``ExponentialLR``).

        η_e = η_0 · γ^e                                                (7.4)
    """
    return base_lr * gamma ** step  # (7.4)


def polynomial_lr(step, *, base_lr, total_iters=5, power=1.0):
    """Polynomial decay to zero at ``total_iters``, then zero (``PolynomialLR``).

        η_e = η_0 · (1 − min(e, T) / T)^p                              (7.5)
    """
    return base_lr * (1.0 - min(total_iters, step) / total_iters) ** power  # (7.5)


def cosine_annealing_lr(step, *, base_lr, T_max, eta_min=0.0):
    """Half a cosine from ``base_lr`` down to ``eta_min`` (``CosineAnnealingLR``).

        η_e = η_min + (η_0 − η_min) · (1 + cos(π e / T_max)) / 2         (7.6)

    There is no clamp: after ``T_max`` the lr climbs back, with period ``2 T_max``,
    exactly as torch's scheduler does.
    """
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2  # (7.6)


def linear_lr(step, *, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    """Linear ramp of the factor from ``start_factor`` to ``end_factor`` (``LinearLR``).

        η_e = η_0 · (f₀ + (f_T − f₀) · min(e, T) / T)                   (7.7)

    f₀ = ``start_factor``, f_T = ``end_factor``, T = ``total_iters``. With ``end_factor=1`` and
    ``start_factor < 1`` this is a linear warm-up; with ``start_factor > end_factor`` it
    is a linear decay.
    """
    # (f_T − f₀) · min(e, T) is divided by T last, as torch does: other orders round differently
    slope = end_factor - start_factor
    return base_lr * (start_factor + slope * min(total_iters, step) / total_iters)  # (7.7)


def linear_warmup_lr(step, *, base_lr, warmup_steps, start_factor=0.0):
    """Linear warm-up from ``start_factor · base_lr`` to ``base_lr`` in ``warmup_steps`` steps.

        η_e = η_0 · (f₀ + (1 − f₀) · e / W)   if e < W                   (7.8)
        η_e = η_0                            if e ≥ W                   (7.8)

    This is (7.7) with ``end_factor=1``, except that it returns ``base_lr`` itself from
    step W on (``f₀ + (1 − f₀)`` is not always exactly 1 in floating point) and accepts
    ``start_factor=0`` and ``warmup_steps=0``, which ``torch.optim.lr_scheduler.LinearLR``
    rejects because its recursive form divides by the previous factor.
    """
    if step >= warmup_steps:
        return base_lr  # (7.8), e ≥ W
    return linear_lr(step, base_lr=base_lr, start_factor=start_factor, end_factor=1.0,
                     total_iters=warmup_steps)  # (7.8), e < W


def warm_restart_position(step, *, T_0, T_mult=1):
    """Where ``step`` falls among the warm-restart periods: ``(T_cur, T_i)``.

        T_n = T_0 · T_mult^n,   S_n = T_0 (T_mult^n − 1) / (T_mult − 1)   (7.9)
        n   = the largest integer with S_n ≤ e,   T_cur = e − S_n         (7.9)

    (for ``T_mult = 1``, S_n = n T_0 and T_cur = e mod T_0). The period n is found by
    exact integer comparisons, not by a floating-point logarithm; fractional steps work.
    """
    if step < T_0:
        return step, T_0  # (7.9) with n = 0
    if T_mult == 1:
        return step % T_0, T_0  # (7.9) with equal periods
    start, T_i = 0, T_0
    while step >= start + T_i:  # (7.9) advance S_n and T_i until S_n ≤ e < S_n + T_i
        start += T_i
        T_i *= T_mult  # (7.9)
    return step - start, T_i


def cosine_annealing_warm_restarts_lr(step, *, base_lr, T_0, T_mult=1, eta_min=0.0):
    """Cosine annealing restarted at the end of each period (``CosineAnnealingWarmRestarts``).

        η_e = η_min + (η_0 − η_min) · (1 + cos(π T_cur / T_i)) / 2   (7.6) at (T_cur, T_i)

    with ``(T_cur, T_i) = warm_restart_position(step, T_0=T_0, T_mult=T_mult)``, (7.9).
    This is the *correct* position: torch's ``step(epoch)`` finds the period with
    ``math.log`` and misses some restarts (e.g. ``T_0=1, T_mult=3``, step 121); the
    class ``ExactWarmRestarts`` steps with this position instead.
    """
    T_cur, T_i = warm_restart_position(step, T_0=T_0, T_mult=T_mult)
    # (7.6) evaluated on (T_cur, T_i)
    return cosine_annealing_lr(T_cur, base_lr=base_lr, T_max=T_i, eta_min=eta_min)  # (7.6)


_WSD_SHAPES = {
    "linear": lambda s: 1 - s,
    "cosine": lambda s: (1 + math.cos(math.pi * s)) / 2,
    "1-sqrt": lambda s: 1 - math.sqrt(s),
}


def warmup_stable_decay_lr(step, *, base_lr, warmup_steps, stable_steps, decay_steps,
                           eta_min=0.0, decay="linear", start_factor=0.0):
    """Warmup–stable–decay ("trapezoid") schedule; not in ``torch.optim.lr_scheduler``.

        η_e = the warm-up (7.8)                   if e < W                (7.8)
        η_e = η_0                                 if W ≤ e < W + H        (7.14)
        η_e = η_min + (η_0 − η_min) · φ(ρ),  ρ = (e − W − H) / D
                                                  if W + H ≤ e < W + H + D (7.14)
        η_e = η_min                               if e ≥ W + H + D        (7.14)

    W, H, D = ``warmup_steps``, ``stable_steps``, ``decay_steps``; φ(ρ) is ``1 − ρ``
    (``decay='linear'``), ``(1 + cos πρ)/2`` (``'cosine'``) or ``1 − √ρ`` (``'1-sqrt'``).
    Built from ``SequentialLR`` parts it would be LinearLR → ConstantLR(factor=1) → LinearLR.
    """
    if decay not in _WSD_SHAPES:
        raise ValueError(f"decay must be one of {sorted(_WSD_SHAPES)}, but got {decay!r}")
    if step < warmup_steps:
        return linear_warmup_lr(step, base_lr=base_lr, warmup_steps=warmup_steps,
                                start_factor=start_factor)  # (7.8)
    t = step - warmup_steps - stable_steps
    if t < 0:
        return base_lr  # (7.14), stable
    if t >= decay_steps:
        return eta_min  # (7.14), after the decay
    return eta_min + (base_lr - eta_min) * _WSD_SHAPES[decay](t / decay_steps)  # (7.14)


def join_schedules(schedules, boundaries):
    """Run ``schedules[k]`` between ``boundaries[k-1]`` and ``boundaries[k]``, restarted at 0.

        k(e) = #{b ∈ B : b ≤ e},   η_e = η^(k)(e − B_{k−1})   (B_{−1} = 0)   (7.15)

    The returned function is as pure as its parts. This is what ``SequentialLR`` does
    (it switches at ``last_epoch == milestone`` and restarts the next scheduler at
    epoch 0), up to the rounding of torch's recursive forms.
    """
    schedules, boundaries = list(schedules), list(boundaries)
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(f"join_schedules needs one boundary fewer than schedules, but got "
                         f"{len(schedules)} schedules and {len(boundaries)} boundaries")
    if boundaries != sorted(boundaries):
        raise ValueError(f"boundaries must be sorted, but got {boundaries}")

    def joined(step):
        k = bisect_right(boundaries, step)  # k(e) in (7.15)
        offset = boundaries[k - 1] if k else 0
        return schedules[k](step - offset)  # (7.15)

    return joined
