"""The cyclic schedules as pure functions of the step: CyclicLR's and OneCycleLR's.

Chapter: 07_schedule_zoo, 08_torch_schedulers

Same signature as ``course_utils.schedules`` (``f(step, *, hyper-parameters)``, torch's names
and defaults, keyword only); each is bitwise equal to every value its torch class produces
(these classes have no recursive form). Equations (7.10)-(7.13) of chapter 07.

==========================================  ===============  =============
function                                    torch class      equation
==========================================  ===============  =============
``cyclic_lr``, ``cyclic_momentum``          ``CyclicLR``     (7.10)-(7.11)
``one_cycle_lr``, ``one_cycle_momentum``    ``OneCycleLR``   (7.12)-(7.13)
==========================================  ===============  =============

Building blocks with the same shape (the varying quantity first, the rest by keyword):
``cyclic_scale``, ``cosine_anneal``, ``linear_anneal``, ``one_cycle_phases``.
"""

import functools
import math

__all__ = ["cyclic_scale", "cyclic_lr", "cyclic_momentum", "cosine_anneal", "linear_anneal",
           "one_cycle_phases", "one_cycle_lr", "one_cycle_momentum"]


_CYCLIC_MODES = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}


def cyclic_scale(x, *, mode="triangular", gamma=1.0):
    """The built-in amplitude factors g of ``CyclicLR`` (7.10).

    ``triangular``: g = 1; ``triangular2``: g(c) = 1 / 2^(c−1) (halve every cycle);
    ``exp_range``: g(e) = γ^e. The first two take the cycle number c, the last the step e.
    """
    if mode == "triangular":
        return 1.0
    if mode == "triangular2":
        return 1 / 2.0 ** (x - 1)
    if mode == "exp_range":
        return gamma ** x
    raise ValueError("mode is invalid and scale_fn is None")


def _cyclic_position(step, total_size, step_ratio):
    """Cycle number c and triangle height h ∈ [0, 1] at ``step``, as in (7.10)."""
    cycle = math.floor(1 + step / total_size)  # c in (7.10)
    x = 1.0 + step / total_size - cycle  # (7.10) position inside the cycle, in [0, 1)
    if x <= step_ratio:
        return cycle, x / step_ratio  # h in (7.10), rising edge
    return cycle, (x - 1) / (step_ratio - 1)  # h in (7.10), falling edge


def _cyclic_shape(step, step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode):
    """Triangle height h and amplitude factor g shared by (7.10) and (7.11)."""
    up = float(step_size_up)
    down = float(step_size_down) if step_size_down is not None else up
    total_size = up + down
    cycle, height = _cyclic_position(step, total_size, up / total_size)
    if scale_fn is None:  # built-in modes fix what g is a function of
        scale_mode = _CYCLIC_MODES.get(mode)
        scale_fn = functools.partial(cyclic_scale, mode=mode, gamma=gamma)
    g = scale_fn(cycle if scale_mode == "cycle" else step)  # g in (7.10)
    return height, g


def cyclic_lr(step, *, base_lr, max_lr, step_size_up=2000, step_size_down=None,
              mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle"):
    """Triangular cycles between ``base_lr`` and ``max_lr`` (``CyclicLR``, Smith 2017).

        c = ⌊1 + e / (u + d)⌋                     cycle number, from 1    (7.10)
        x = 1 + e / (u + d) − c                   position in the cycle  (7.10)
        h = x / r  if x ≤ r  else (x − 1)/(r − 1),   r = u / (u + d)      (7.10)
        η_e = η_base + (η_max − η_base) · h · g                          (7.10)

    u, d = ``step_size_up``, ``step_size_down`` (d = u if None). g comes from
    ``cyclic_scale`` for the built-in ``mode`` s, or from ``scale_fn`` evaluated at c when
    ``scale_mode == 'cycle'`` and at e otherwise.
    """
    height, g = _cyclic_shape(step, step_size_up, step_size_down, mode, gamma, scale_fn,
                              scale_mode)
    return base_lr + (max_lr - base_lr) * height * g  # (7.10)


def cyclic_momentum(step, *, base_momentum=0.8, max_momentum=0.9, step_size_up=2000,
                    step_size_down=None, mode="triangular", gamma=1.0, scale_fn=None,
                    scale_mode="cycle"):
    """The momentum that ``CyclicLR(cycle_momentum=True)`` pairs with (7.10): opposite phase.

        β_e = β_max − (β_max − β_base) · h · g                            (7.11)
    """
    height, g = _cyclic_shape(step, step_size_up, step_size_down, mode, gamma, scale_fn,
                              scale_mode)
    return max_momentum - (max_momentum - base_momentum) * height * g  # (7.11)


def cosine_anneal(pct, *, start, end):
    """Cosine interpolation from ``start`` (pct = 0) to ``end`` (pct = 1) (7.12).

    Evaluated as ``end + (start − end)/2 · (cos(π pct) + 1)``, torch's order of operations,
    so at pct = 0 it returns ``start`` only up to rounding (0.0040000000000000036 for
    start 0.004, end 0.1) — bitwise what ``OneCycleLR`` gives.
    """
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)  # (7.12)


def linear_anneal(pct, *, start, end):
    """Linear interpolation from ``start`` (pct = 0) to ``end`` (pct = 1): (7.12)'s linear leg."""
    return (end - start) * pct + start  # (7.12), anneal_strategy='linear'


def one_cycle_phases(total_steps, *, pct_start=0.3, three_phase=False):
    """The phases of ``OneCycleLR`` as torch stores them in ``_schedule_phases`` (7.12).

    Each phase names the group keys it anneals between and the step at which it ends.
    Two phases: up to ``pct_start·T − 1``, then down to ``T − 1``. Three phases: up,
    back down symmetrically to ``2·pct_start·T − 2``, then annihilation to ``T − 1``.
    """
    def phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
        return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
                "start_momentum": start_momentum, "end_momentum": end_momentum}
    up = phase(float(pct_start * total_steps) - 1, "initial_lr", "max_lr",
               "max_momentum", "base_momentum")
    if three_phase:
        return [up,
                phase(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr",
                      "base_momentum", "max_momentum"),
                phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
    return [up, phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]


def _one_cycle_phase(step, phases):
    """The phase holding ``step`` and the fraction ρ of it already done (7.12)."""
    start_step = 0.0
    for i, phase in enumerate(phases):
        end_step = phase["end_step"]
        if step <= end_step or i == len(phases) - 1:  # the last phase also extrapolates
            return phase, (step - start_step) / (end_step - start_step)  # ρ in (7.12)
        start_step = end_step
    raise ValueError("OneCycleLR needs at least one phase")


def _one_cycle_value(step, total_steps, pct_start, anneal_strategy, three_phase, values, key):
    if step > total_steps:
        raise ValueError(f"Tried to step {step} times. "
                         f"The specified number of total steps is {total_steps}")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                         f"instead got {anneal_strategy}")
    anneal = cosine_anneal if anneal_strategy == "cos" else linear_anneal
    phases = one_cycle_phases(total_steps, pct_start=pct_start, three_phase=three_phase)
    phase, pct = _one_cycle_phase(step, phases)
    return anneal(pct, start=values[phase["start_" + key]], end=values[phase["end_" + key]])


def one_cycle_lr(step, *, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
    """The 1cycle policy (``OneCycleLR``, Smith & Topin 2019).

        η_init = η_max / div_factor,   η_min = η_init / final_div_factor  (7.12)
        phase k spans (E_{k−1}, E_k],  ρ = (e − E_{k−1}) / (E_k − E_{k−1})    (7.12)
        cos:    η_e = b + (a − b)/2 · (cos(π ρ) + 1)                       (7.12)
        linear: η_e = (b − a) · ρ + a                                     (7.12)

    with a → b the phase's start and end lr (see ``one_cycle_phases``), E_0 = 0.
    ``step`` may equal ``total_steps`` (torch allows one extra step and extrapolates
    the last phase past ρ = 1); beyond that it raises torch's ValueError.
    """
    initial_lr = max_lr / div_factor  # (7.12)
    values = {"initial_lr": initial_lr, "max_lr": max_lr,
              "min_lr": initial_lr / final_div_factor}  # (7.12)
    return _one_cycle_value(step, total_steps, pct_start, anneal_strategy, three_phase,
                            values, "lr")  # (7.12)


def one_cycle_momentum(step, *, total_steps, pct_start=0.3, anneal_strategy="cos",
                       base_momentum=0.85, max_momentum=0.95, three_phase=False):
    """The momentum of ``OneCycleLR(cycle_momentum=True)``: inverse to the lr (7.13).

        β runs max → base while η rises, base → max while it falls        (7.13)

    annealed with the same interpolation (7.12) over the same phases.
    """
    values = {"max_momentum": max_momentum, "base_momentum": base_momentum}
    return _one_cycle_value(step, total_steps, pct_start, anneal_strategy, three_phase,
                            values, "momentum")  # (7.13)
