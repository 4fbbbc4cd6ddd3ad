"""The pure schedule functions of course_utils.schedules (chapter 07).

A schedule is a function of the step and nothing else: the tests call each one in random
order and twice, check its boundary values from the formula in its docstring, and compare
it bitwise with the closed form torch uses for ``scheduler.step(epoch)`` and to 1e-12 with
the recursive form that ``scheduler.step()`` follows.
"""

import itertools
import math
import random
import warnings
from functools import partial

import pytest
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as lr_scheduler
import course_utils.cyclic_schedules as C
import course_utils.schedules as S
from test_schedulers import make_optimizer, run

BASE = 0.1
EPOCHS = range(60)

# (pure function with its arguments, torch class with the same arguments)
CLOSED_FORMS = [
    (partial(S.constant_lr, factor=0.3, total_iters=7),
     ("ConstantLR", {"factor": 0.3, "total_iters": 7})),
    (partial(S.constant_lr), ("ConstantLR", {})),
    (partial(S.step_lr, step_size=4, gamma=0.5), ("StepLR", {"step_size": 4, "gamma": 0.5})),
    (partial(S.multi_step_lr, milestones=[9, 2, 5, 5], gamma=0.3),
     ("MultiStepLR", {"milestones": [9, 2, 5, 5], "gamma": 0.3})),
    (partial(S.exponential_lr, gamma=0.93), ("ExponentialLR", {"gamma": 0.93})),
    (partial(S.polynomial_lr, total_iters=17, power=1.7),
     ("PolynomialLR", {"total_iters": 17, "power": 1.7})),
    (partial(S.polynomial_lr), ("PolynomialLR", {})),
    (partial(S.cosine_annealing_lr, T_max=13, eta_min=1e-3),
     ("CosineAnnealingLR", {"T_max": 13, "eta_min": 1e-3})),
    (partial(S.linear_lr, start_factor=0.1, end_factor=0.7, total_iters=9),
     ("LinearLR", {"start_factor": 0.1, "end_factor": 0.7, "total_iters": 9})),
    (partial(S.linear_lr, start_factor=0.9, end_factor=0.0, total_iters=3),
     ("LinearLR", {"start_factor": 0.9, "end_factor": 0.0, "total_iters": 3})),
]
IDS = [spec[0] for _, spec in CLOSED_FORMS]

# Schedules torch computes from the epoch alone (no recursion): equal bitwise step by step.
STATELESS = [
    (partial(C.cyclic_lr, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5,
             mode="exp_range", gamma=0.97),
     partial(C.cyclic_momentum, base_momentum=0.8, max_momentum=0.9, step_size_up=3,
             step_size_down=5, mode="exp_range", gamma=0.97),
     ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 5,
                   "mode": "exp_range", "gamma": 0.97})),
    (partial(C.cyclic_lr, base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2"),
     partial(C.cyclic_momentum, step_size_up=4, mode="triangular2"),
     ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"})),
    (partial(C.cyclic_lr, base_lr=0.01, max_lr=0.1, step_size_up=2,
             scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"),
     partial(C.cyclic_momentum, step_size_up=2, scale_fn=lambda x: 1 / (1 + x),
             scale_mode="iterations"),
     ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2,
                   "scale_fn": lambda x: 1 / (1 + x), "scale_mode": "iterations"})),
    (partial(C.one_cycle_lr, max_lr=0.5, total_steps=40),
     partial(C.one_cycle_momentum, total_steps=40),
     ("OneCycleLR", {"max_lr": 0.5, "total_steps": 40})),
    (partial(C.one_cycle_lr, max_lr=0.5, total_steps=33, pct_start=0.25, anneal_strategy="linear",
             div_factor=10.0, final_div_factor=100.0, three_phase=True),
     partial(C.one_cycle_momentum, total_steps=33, pct_start=0.25, anneal_strategy="linear",
             base_momentum=0.7, max_momentum=0.99, three_phase=True),
     ("OneCycleLR", {"max_lr": 0.5, "total_steps": 33, "pct_start": 0.25,
                     "anneal_strategy": "linear", "div_factor": 10.0, "final_div_factor": 100.0,
                     "three_phase": True, "base_momentum": 0.7, "max_momentum": 0.99})),
]

PURE = [f for f, _ in CLOSED_FORMS] + [f for pair in STATELESS for f in pair[:2]] + [
    partial(S.cosine_annealing_warm_restarts_lr, base_lr=BASE, T_0=3, T_mult=2, eta_min=1e-3),
    partial(S.linear_warmup_lr, base_lr=BASE, warmup_steps=7),
    partial(S.warmup_stable_decay_lr, base_lr=BASE, warmup_steps=5, stable_steps=10,
            decay_steps=20, eta_min=1e-3, decay="1-sqrt"),
    S.join_schedules([partial(S.linear_warmup_lr, base_lr=BASE, warmup_steps=5),
                      partial(S.cosine_annealing_lr, base_lr=BASE, T_max=20)], [5]),
]


def _at(f, epoch):
    """Evaluate f at epoch; the closed forms still need base_lr."""
    kwargs = f.keywords if isinstance(f, partial) else {}
    needs_base = isinstance(f, partial) and "base_lr" not in kwargs and f.func not in (
        C.one_cycle_lr, C.one_cycle_momentum, C.cyclic_momentum)
    return f(epoch, base_lr=BASE) if needs_base else f(epoch)


@pytest.mark.parametrize("f", PURE, ids=lambda f: getattr(getattr(f, "func", f), "__name__", "f"))
def test_pure_functions_do_not_depend_on_call_order(f):
    epochs = list(range(31))
    in_order = [_at(f, e) for e in epochs]
    shuffled = epochs[:]
    random.Random(0).shuffle(shuffled)
    out_of_order = {e: _at(f, e) for e in shuffled}
    assert [out_of_order[e] for e in epochs] == in_order == [_at(f, e) for e in epochs]
    assert len(set(in_order)) > 1


@pytest.mark.parametrize("f,spec", CLOSED_FORMS, ids=IDS)
def test_closed_forms_equal_torch_step_epoch_bitwise(f, spec):
    """``scheduler.step(epoch)`` in torch uses exactly this arithmetic."""
    epochs = [random.Random(spec[0]).randrange(60) for _ in range(30)] + list(range(25))
    trace, error = run(torch_sched, spec, lrs=(BASE,), epochs=epochs)
    assert error is None
    assert [step[1][0] for step in trace[1:]] == [f(e, base_lr=BASE) for e in epochs]


@pytest.mark.parametrize("f,spec", CLOSED_FORMS, ids=IDS)
def test_closed_forms_agree_with_torch_recursive_form(f, spec):
    """``scheduler.step()`` multiplies ratios of (7.1)–(7.15); rounding differs by ~1e-16 only."""
    trace, error = run(torch_sched, spec, lrs=(BASE,), steps=len(EPOCHS) - 1)
    assert error is None
    for e, step in zip(EPOCHS, trace, strict=True):
        assert math.isclose(step[1][0], f(e, base_lr=BASE), rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("lr_fn,momentum_fn,spec", STATELESS, ids=lambda x: str(x)[:20])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_cyclic_and_one_cycle_functions_equal_torch_every_step(lr_fn, momentum_fn, spec, kind):
    one_cycle = spec[0] == "OneCycleLR"
    steps = spec[1]["total_steps"] + 1 if one_cycle else 50  # OneCycleLR: one step too many
    trace, error = run(torch_sched, spec, kind=kind, lrs=(BASE,), steps=steps)
    assert len(trace) == (steps if one_cycle else steps + 1)
    assert (error is not None) == one_cycle
    for e, (groups, _) in enumerate(trace):
        lr, momentum, betas = groups[0]
        assert lr == _at(lr_fn, e)
        assert (betas[0] if kind == "adam" else momentum) == _at(momentum_fn, e)
    if one_cycle:  # one more step raises the same error in both
        with pytest.raises(error[0], match=error[1][0]):
            _at(lr_fn, steps)


def test_cyclic_lr_boundary_values():
    f = partial(C.cyclic_lr, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5)
    assert f(0) == 0.01 and f(3) == 0.1 and f(8) == 0.01  # bottom, peak, next bottom
    halving = partial(C.cyclic_lr, base_lr=0.0, max_lr=1.0, step_size_up=2, mode="triangular2")
    assert [halving(2 + 4 * k) for k in range(4)] == [1.0, 0.5, 0.25, 0.125]


def test_one_cycle_boundary_values():
    total, pct = 100, 0.3
    f = partial(C.one_cycle_lr, max_lr=1.0, total_steps=total, pct_start=pct,
                anneal_strategy="linear", div_factor=25.0, final_div_factor=1e4)
    assert f(0) == 1.0 / 25.0
    assert f(pct * total - 1) == 1.0  # the peak ends phase 1
    assert math.isclose(f(total - 1), 1.0 / 25.0 / 1e4)  # min_lr at the last phase's end
    assert f(total) < f(total - 1)  # the extra step extrapolates past min_lr
    m = partial(C.one_cycle_momentum, total_steps=total, pct_start=pct, anneal_strategy="linear")
    assert (m(0), m(pct * total - 1), m(total - 1)) == (0.95, 0.85, 0.95)


def test_step_and_multistep_boundaries():
    assert [S.step_lr(e, base_lr=1.0, step_size=3, gamma=0.5) for e in (0, 2, 3, 5, 6)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    # duplicate milestones count twice; order does not matter; a milestone at 0 applies at 0
    assert S.multi_step_lr(5, base_lr=1.0, milestones=[5, 5], gamma=0.1) == 0.1 ** 2
    assert S.multi_step_lr(4, base_lr=1.0, milestones=[5, 2], gamma=0.1) == 0.1
    assert S.multi_step_lr(4, base_lr=1.0, milestones=[2, 5], gamma=0.1) == 0.1
    assert S.multi_step_lr(0, base_lr=1.0, milestones=[0, 3], gamma=0.5) == 0.5


def test_polynomial_cosine_constant_linear_boundaries():
    poly = partial(S.polynomial_lr, base_lr=BASE, total_iters=10, power=2.0)
    assert poly(0) == BASE
    assert poly(10) == poly(25) == 0.0
    cos = partial(S.cosine_annealing_lr, base_lr=BASE, T_max=10, eta_min=1e-3)
    assert cos(0) == BASE
    assert math.isclose(cos(10), 1e-3)
    assert cos(20) == BASE  # no clamp: period 2 T_max
    const = partial(S.constant_lr, base_lr=BASE, factor=0.5, total_iters=5)
    assert const(4) == BASE * 0.5 and const(5) == BASE
    lin = partial(S.linear_lr, base_lr=BASE, start_factor=0.25, end_factor=1.0, total_iters=4)
    assert lin(0) == BASE * 0.25
    assert lin(4) == lin(40) == BASE


def test_linear_warmup():
    warm = partial(S.linear_warmup_lr, base_lr=BASE, warmup_steps=4)
    assert [warm(e) for e in range(6)] == [
        S.linear_lr(e, base_lr=BASE, start_factor=0.0, end_factor=1.0, total_iters=4) if e < 4 else BASE
        for e in range(6)]
    assert warm(0) == 0.0  # start_factor 0 is allowed here
    assert S.linear_warmup_lr(0, base_lr=BASE, warmup_steps=0) == BASE  # and so is no warm-up at all
    assert S.linear_warmup_lr(3, base_lr=0.3, warmup_steps=10, start_factor=0.7) == 0.3 * (0.7 + 0.3 * 3 / 10)


@pytest.mark.parametrize("decay", ["linear", "cosine", "1-sqrt"])
def test_warmup_stable_decay(decay):
    W, St, D, eta_min = 5, 10, 20, 1e-3
    f = partial(S.warmup_stable_decay_lr, base_lr=BASE, warmup_steps=W, stable_steps=St,
                decay_steps=D, eta_min=eta_min, decay=decay)
    values = [f(e) for e in range(W + St + D + 5)]
    assert values[:W] == [S.linear_warmup_lr(e, base_lr=BASE, warmup_steps=W) for e in range(W)]  # (7.8)
    assert values[W:W + St + 1] == [BASE] * (St + 1)  # (7.14), and ρ = 0 starts at base
    decaying = values[W + St:W + St + D + 1]
    assert all(a > b for a, b in itertools.pairwise(decaying))  # (7.14) strictly decreasing
    assert values[W + St + D:] == [eta_min] * 5  # (7.14), after the decay
    half = {"linear": 0.5, "cosine": 0.5, "1-sqrt": 1 - math.sqrt(0.5)}[decay]
    assert math.isclose(f(W + St + D // 2), eta_min + (BASE - eta_min) * half)


def test_warm_restart_position_is_exact_where_torch_log_rounds_down():
    """The exact position equals torch's implicit (step-by-step) counters at every step."""
    for T_0, T_mult in [(1, 3), (2, 2), (3, 1), (10, 2), (1, 2)]:
        opt = make_optimizer()
        sched = torch_sched.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult)
        for e in range(1, 200):
            opt.step()
            sched.step()
            assert S.warm_restart_position(e, T_0=T_0, T_mult=T_mult) == (sched.T_cur, sched.T_i)
            lr = S.cosine_annealing_warm_restarts_lr(e, base_lr=BASE, T_0=T_0, T_mult=T_mult)
            assert lr == sched.get_last_lr()[0]
    assert S.warm_restart_position(121, T_0=1, T_mult=3) == (0, 243)


def test_warm_restarts_with_fractional_epochs_equal_torch():
    epochs = [round(0.1 * k, 1) for k in range(300)]
    for T_mult in (1, 2, 4):
        spec = ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": T_mult, "eta_min": 1e-10})
        trace, error = run(torch_sched, spec, lrs=(BASE,), epochs=epochs)
        assert error is None
        for e, step in zip(epochs, trace[1:], strict=True):
            expected = S.cosine_annealing_warm_restarts_lr(e, base_lr=BASE, T_0=10, T_mult=T_mult,
                                                         eta_min=1e-10)
            assert math.isclose(step[1][0], expected, rel_tol=1e-12, abs_tol=1e-15)


def test_join_schedules_is_sequential_lr_as_a_function():
    """join_schedules(...) vs torch's SequentialLR([LinearLR, CosineAnnealingLR, StepLR])."""
    warmup, T, step_size = 5, 20, 4
    f = S.join_schedules([partial(S.linear_lr, base_lr=BASE, start_factor=0.1, total_iters=warmup),
                          partial(S.cosine_annealing_lr, base_lr=BASE, T_max=T, eta_min=1e-3),
                          partial(S.step_lr, base_lr=BASE, step_size=step_size)],
                         [warmup, warmup + T])
    spec = ("SequentialLR", {"schedulers": [
        ("LinearLR", {"start_factor": 0.1, "total_iters": warmup}),
        ("CosineAnnealingLR", {"T_max": T, "eta_min": 1e-3}),
        ("StepLR", {"step_size": step_size})], "milestones": [warmup, warmup + T]})
    trace, error = run(torch_sched, spec, lrs=(BASE,), steps=40)
    assert error is None
    for e, step in enumerate(trace):
        assert math.isclose(step[1][0], f(e), rel_tol=1e-12, abs_tol=1e-15)


def test_bad_arguments():
    with pytest.raises(ValueError, match="one boundary fewer"):
        S.join_schedules([S.constant_lr], [3])
    with pytest.raises(ValueError, match="sorted"):
        S.join_schedules([S.constant_lr] * 3, [5, 3])
    with pytest.raises(ValueError, match="decay must be one of"):
        S.warmup_stable_decay_lr(0, base_lr=BASE, warmup_steps=1, stable_steps=1, decay_steps=1,
                                 decay="exp")
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        C.cyclic_lr(0, base_lr=0.01, max_lr=0.1, mode="CATS")
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        C.one_cycle_lr(0, max_lr=0.1, total_steps=10, anneal_strategy="CATS")


def test_the_classes_reuse_these_closed_forms():
    """Our classes' step(epoch) is these functions, so it equals them bitwise too."""
    for f, (name, kwargs) in CLOSED_FORMS:
        opt = make_optimizer(lrs=(BASE,))
        sched = getattr(lr_scheduler, name)(opt, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in (7, 0, 31, 3):
                sched.step(e)
                assert opt.param_groups[0]["lr"] == f(e, base_lr=BASE)


def test_schedules_are_functions_and_classes_live_in_lr_scheduler():
    import course_utils.lr_scheduler as classes
    assert not hasattr(S, "OneCycleLR") and not hasattr(S, "__getattr__")
    assert all(callable(getattr(S, name)) and not isinstance(getattr(S, name), type) for name in S.__all__)
    assert {"StepLR", "OneCycleLR", "ReduceLROnPlateau", "ExactWarmRestarts"} <= set(classes.__all__)


def test_every_schedule_takes_the_step_then_keywords_only():
    """One signature: f(step, *, hyper-parameters); building blocks: f(x, *, ...)."""
    import inspect
    for name in S.__all__:
        if name == "join_schedules":  # a combinator: schedules in, one schedule out
            continue
        params = list(inspect.signature(getattr(S, name)).parameters.values())
        assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:]), name
        if name.endswith(("_lr", "_momentum", "_position")):
            assert params[0].name == "step", name
    with pytest.raises(TypeError):
        S.step_lr(3, 0.1, 2)  # hyper-parameters by keyword only
