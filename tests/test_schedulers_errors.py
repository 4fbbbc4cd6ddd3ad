"""Every scheduler error and warning torch 2.13 emits, and torch's quirks, pinned.

Each error case runs against torch and against ours: torch must raise, and ours must raise
the same exception class with the same message. Warnings are compared the same way. The
quirks at the end are places where torch's behaviour is surprising (or a bug); ours
matches it by default, and each test says what is going on.
"""

import inspect
import math
import warnings

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as our_sched
from course_utils import cyclic_schedules, schedules
from test_schedulers import make_optimizer, run


def one():
    return make_optimizer("sgd", (0.1,))


def two():
    return make_optimizer("sgd", (0.1, 0.2))


def first_steps(sched, n=1):
    for _ in range(n):
        sched.optimizer.step()
        sched.step()


NOT_AN_OPTIMIZER = {  # minimal valid arguments besides the optimizer
    "StepLR": {"step_size": 3}, "MultiStepLR": {"milestones": [2]}, "ConstantLR": {},
    "LinearLR": {}, "ExponentialLR": {"gamma": 0.9}, "PolynomialLR": {},
    "CosineAnnealingLR": {"T_max": 3}, "CosineAnnealingWarmRestarts": {"T_0": 3},
    "ReduceLROnPlateau": {}, "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1},
    "OneCycleLR": {"max_lr": 0.1, "total_steps": 10},
    "LambdaLR": {"lr_lambda": lambda e: 1.0}, "MultiplicativeLR": {"lr_lambda": lambda e: 1.0},
}
RESUMABLE = [name for name in NOT_AN_OPTIMIZER if name != "ReduceLROnPlateau"]

ERRORS = {
    # --- base class
    **{f"not-an-optimizer-{name}":
       (lambda lib, name=name, kw=kw: getattr(lib, name)(object(), **kw))
       for name, kw in NOT_AN_OPTIMIZER.items()},
    **{f"resume-without-initial_lr-{name}-{e}":
       (lambda lib, name=name, e=e: getattr(lib, name)(two(), last_epoch=e,
                                                      **NOT_AN_OPTIMIZER[name]))
       for name in RESUMABLE for e in (1, -2)},
    "resume-second-group-without-initial_lr": lambda lib: lib.StepLR(
        _with_initial_lr(two(), groups=[0]), step_size=2, last_epoch=4),
    # --- LambdaLR, MultiplicativeLR
    "LambdaLR-list-length": lambda lib: lib.LambdaLR(one(), [lambda e: 1.0] * 2),
    "LambdaLR-not-callable": lambda lib: lib.LambdaLR(one(), 0.95),
    "MultiplicativeLR-list-length": lambda lib: lib.MultiplicativeLR(two(), [lambda e: 1.0]),
    "MultiplicativeLR-not-callable": lambda lib: lib.MultiplicativeLR(one(), 0.95),
    "MultiplicativeLR-not-callable-in-list": lambda lib: lib.MultiplicativeLR(two(), [0.95, 0.95]),
    # --- closed-form schedulers
    "StepLR-step_size-0": lambda lib: first_steps(lib.StepLR(one(), step_size=0)),
    "ConstantLR-factor-above-1": lambda lib: lib.ConstantLR(one(), factor=1.5),
    "ConstantLR-factor-negative": lambda lib: lib.ConstantLR(one(), factor=-0.1),
    "ConstantLR-factor-0-at-total_iters": lambda lib: first_steps(
        lib.ConstantLR(one(), factor=0, total_iters=2), 2),
    "LinearLR-start-0": lambda lib: lib.LinearLR(one(), start_factor=0.0),
    "LinearLR-start-above-1": lambda lib: lib.LinearLR(one(), start_factor=1.1),
    "LinearLR-end-negative": lambda lib: lib.LinearLR(one(), end_factor=-0.1),
    "LinearLR-end-above-1": lambda lib: lib.LinearLR(one(), end_factor=1.1),
    "LinearLR-total_iters-0-closed-form": lambda lib: lib.LinearLR(one(), total_iters=0).step(3),
    "PolynomialLR-total_iters-0-closed-form": lambda lib: lib.PolynomialLR(
        one(), total_iters=0).step(3),
    "CosineAnnealingLR-T_max-0": lambda lib: first_steps(lib.CosineAnnealingLR(one(), T_max=0)),
    # --- SequentialLR
    "SequentialLR-empty": lambda lib: lib.SequentialLR(one(), [], []),
    "SequentialLR-no-optimizer-attribute": lambda lib: lib.SequentialLR(one(), [object()], []),
    "SequentialLR-plateau-inside": lambda lib: _composite(lib, "SequentialLR", plateau_at=1),
    "SequentialLR-other-optimizer": lambda lib: _composite(lib, "SequentialLR", other_at=1),
    "SequentialLR-milestone-count": lambda lib: _composite(lib, "SequentialLR", milestones=[2, 3]),
    "SequentialLR-nested-SequentialLR-at-milestone": lambda lib: first_steps(
        _nested_sequential(lib), 3),
    # --- ChainedScheduler
    "ChainedScheduler-empty": lambda lib: lib.ChainedScheduler([]),
    "ChainedScheduler-first-without-optimizer": lambda lib: lib.ChainedScheduler([object()]),
    "ChainedScheduler-later-without-optimizer": lambda lib: lib.ChainedScheduler(
        [lib.StepLR(one(), 2), object()]),
    "ChainedScheduler-plateau-inside": lambda lib: _composite(lib, "ChainedScheduler",
                                                              plateau_at=1),
    "ChainedScheduler-other-optimizer": lambda lib: _composite(lib, "ChainedScheduler", other_at=1),
    # --- ReduceLROnPlateau
    "ReduceLROnPlateau-factor-1-checked-before-optimizer": lambda lib: lib.ReduceLROnPlateau(
        object(), factor=1.0),
    "ReduceLROnPlateau-mode": lambda lib: lib.ReduceLROnPlateau(one(), mode="avg"),
    "ReduceLROnPlateau-threshold_mode": lambda lib: lib.ReduceLROnPlateau(
        one(), threshold_mode="pct"),
    "ReduceLROnPlateau-min_lr-length": lambda lib: lib.ReduceLROnPlateau(two(), min_lr=[0.1]),
    "ReduceLROnPlateau-verbose": lambda lib: lib.ReduceLROnPlateau(one(), verbose=True),
    # --- CyclicLR
    "CyclicLR-mode": lambda lib: lib.CyclicLR(one(), 0, 0, mode="CATS"),
    # regression: an unhashable mode is compared by ==, a ValueError (it was a TypeError)
    "CyclicLR-mode-unhashable": lambda lib: lib.CyclicLR(one(), 0, 0, mode=["triangular"]),
    "CyclicLR-step_size_up-0": lambda lib: lib.CyclicLR(one(), 0.01, 0.1, step_size_up=0),
    **{f"CyclicLR-{arg}-length": (lambda lib, arg=arg: lib.CyclicLR(two(), **{
        "base_lr": 0.01, "max_lr": 0.1, arg: [0.5]}))
       for arg in ("base_lr", "max_lr", "base_momentum", "max_momentum")},
    "CyclicLR-momentum-on-Rprop": lambda lib: lib.CyclicLR(make_optimizer("rprop"), 1, 5),
    # --- OneCycleLR
    "OneCycleLR-no-length": lambda lib: lib.OneCycleLR(one(), 1e-3),
    "OneCycleLR-epochs-only": lambda lib: lib.OneCycleLR(one(), 1e-3, epochs=3),
    "OneCycleLR-total_steps-0": lambda lib: lib.OneCycleLR(one(), 1e-3, total_steps=0),
    "OneCycleLR-total_steps-float": lambda lib: lib.OneCycleLR(one(), 1e-3, total_steps=10.0),
    "OneCycleLR-epochs-0": lambda lib: lib.OneCycleLR(one(), 1e-3, epochs=0, steps_per_epoch=3),
    "OneCycleLR-steps_per_epoch-negative": lambda lib: lib.OneCycleLR(
        one(), 1e-3, epochs=2, steps_per_epoch=-1),
    "OneCycleLR-pct_start-1.1": lambda lib: lib.OneCycleLR(one(), 1e-3, 10, pct_start=1.1),
    "OneCycleLR-pct_start-int": lambda lib: lib.OneCycleLR(one(), 1e-3, 10, pct_start=1),
    "OneCycleLR-anneal_strategy": lambda lib: lib.OneCycleLR(one(), 1e-3, 10,
                                                             anneal_strategy="CATS"),
    "OneCycleLR-step-past-total": lambda lib: first_steps(lib.OneCycleLR(one(), 0.1, 4), 5),
    "OneCycleLR-epochs-times-steps-past-total": lambda lib: first_steps(
        lib.OneCycleLR(one(), 0.1, epochs=2, steps_per_epoch=3), 7),
    "OneCycleLR-empty-first-phase": lambda lib: lib.OneCycleLR(one(), 0.1, 10, pct_start=0.1),
    **{f"OneCycleLR-{arg}-length": (lambda lib, arg=arg: lib.OneCycleLR(two(), **{
        "max_lr": 0.1, "total_steps": 10, arg: [0.5]}))
       for arg in ("max_lr", "base_momentum", "max_momentum")},
    "OneCycleLR-momentum-on-Rprop": lambda lib: lib.OneCycleLR(make_optimizer("rprop"), 0.1, 10),
    # --- CosineAnnealingWarmRestarts
    "CAWR-T_0-0": lambda lib: lib.CosineAnnealingWarmRestarts(one(), T_0=0),
    "CAWR-T_0-float": lambda lib: lib.CosineAnnealingWarmRestarts(one(), T_0=2.0),
    "CAWR-T_mult-0": lambda lib: lib.CosineAnnealingWarmRestarts(one(), T_0=2, T_mult=0),
    "CAWR-T_mult-float": lambda lib: lib.CosineAnnealingWarmRestarts(one(), T_0=2, T_mult=1.5),
    "CAWR-eta_min-str": lambda lib: lib.CosineAnnealingWarmRestarts(one(), T_0=2, eta_min="0"),
    "CAWR-negative-epoch": lambda lib: lib.CosineAnnealingWarmRestarts(one(), T_0=2).step(-1),
    # --- subclassing the base class
    "abstract-base-get_lr": lambda lib: _base(lib)(one()),
    "subclass-get_lr-with-argument": lambda lib: _subclass_needing_argument(lib)(one()),
}


def _with_initial_lr(opt, groups):
    for i in groups:
        opt.param_groups[i]["initial_lr"] = opt.param_groups[i]["lr"]
    return opt


def _composite(lib, name, plateau_at=None, other_at=None, milestones=(2,)):
    opt = one()
    scheds = [lib.StepLR(opt, 2), lib.ExponentialLR(opt, 0.9)]
    if plateau_at is not None:
        scheds[plateau_at] = lib.ReduceLROnPlateau(opt)
    if other_at is not None:
        scheds[other_at] = lib.ExponentialLR(one(), 0.9)
    if name == "SequentialLR":
        return lib.SequentialLR(opt, scheds, list(milestones))
    return lib.ChainedScheduler(scheds)


def _nested_sequential(lib):
    """A composite at a milestone has no closed form and no get_lr: torch raises there."""
    opt = one()
    inner = lib.SequentialLR(opt, [lib.StepLR(opt, 2), lib.ExponentialLR(opt, 0.9)], [2])
    return lib.SequentialLR(opt, [lib.ConstantLR(opt), inner], [2])


def _base(lib):
    return lib.LRScheduler


def _subclass_needing_argument(lib):
    class NeedsStep(_base(lib)):
        def get_lr(self, step):
            return [step]
    return NeedsStep


def outcome(lib, action):
    """(exception class, args) of running ``action(lib)``, or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            action(lib)
        except Exception as exc:
            return type(exc), exc.args
    return None


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_same_exception_class_and_message_as_torch(case):
    expected = outcome(torch_sched, ERRORS[case])
    assert expected is not None, f"torch no longer raises for {case}"
    assert outcome(our_sched, ERRORS[case]) == expected


# ------------------------------------------------------------------------- warnings
def _record(lib, action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action(lib)
    return [(w.category, str(w.message)) for w in caught]


def _replace_optimizer_step(lib):
    opt = one()
    sched = lib.StepLR(opt, 3)
    opt.step = lambda: None  # e.g. a wrapper installed after the scheduler
    sched.step()


def _get_lr_outside_step(lib):
    lib.ExponentialLR(one(), 0.9).get_lr()


WARNINGS = {
    "none-at-construction": lambda lib: lib.StepLR(one(), 3),
    "none-at-construction-when-resuming": lambda lib: lib.StepLR(
        _with_initial_lr(one(), [0]), 3, last_epoch=10),
    "scheduler-step-before-optimizer-step": lambda lib: lib.StepLR(one(), 3).step(),
    "only-the-first-step-is-checked": lambda lib: [
        s.step() for s in [lib.StepLR(one(), 3)] for _ in range(3)],
    "optimizer-step-overridden": _replace_optimizer_step,
    "none-in-the-right-order": lambda lib: first_steps(lib.StepLR(one(), 3), 35),
    "step-with-epoch-deprecated": lambda lib: [lib.StepLR(one(), 2).step(e) for e in (2, 2)],
    "get_lr-outside-step": _get_lr_outside_step,
    "CAWR-step-epoch-has-no-warning": lambda lib: lib.CosineAnnealingWarmRestarts(one(), 2).step(3),
    "SequentialLR-no-warnings": lambda lib: first_steps(lib.SequentialLR(
        opt := one(), [lib.LinearLR(opt, 0.5, 0.1, 5), lib.ExponentialLR(opt, 0.9)], [5]), 10),
    "SequentialLR-first-step-before-optimizer": lambda lib: lib.SequentialLR(
        opt := one(), [lib.LinearLR(opt), lib.ExponentialLR(opt, 0.9)], [5]).step(),
}


@pytest.mark.parametrize("case", sorted(WARNINGS))
def test_same_warnings_as_torch(case):
    expected = _record(torch_sched, WARNINGS[case])
    assert _record(our_sched, WARNINGS[case]) == expected
    assert (len(expected) == 0) == case.startswith(("none", "CAWR", "SequentialLR-no"))


def test_get_lr_warning_is_located_at_get_lr_like_torchs():
    """Regression: the warning is issued at get_lr itself (stacklevel 2, as torch), so under
    the default filter (once per location) calls from several lines warn once. Ours used to
    point at the caller and warned once per calling line."""
    def count(lib):
        sched = lib.ExponentialLR(one(), 0.9)
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()
            warnings.simplefilter("default")
            sched.get_lr()
            sched.get_lr()
        return [(w.category, str(w.message)) for w in caught]
    assert count(our_sched) == count(torch_sched) and len(count(torch_sched)) == 1


# --------------------------------------------------------------------------- quirks
def test_cawr_explicit_epoch_misses_a_restart_like_torch_unless_exact():
    """torch finds the period with int(math.log(121/1 · 2 + 1, 3)) = int(4.999999999999999)
    = 4, so step(121) lands at T_cur=81 of a period of 81 (lr = eta_min) instead of the
    restart T_cur=0, T_i=243 (lr = base). Ours matches; ExactWarmRestarts fixes it and
    agrees with stepping there one step at a time."""
    def at_121(cls):
        sched = cls(one(), T_0=1, T_mult=3, eta_min=1e-3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched.step(121)
        return sched.T_cur, sched.T_i, sched.get_last_lr()
    expected = at_121(torch_sched.CosineAnnealingWarmRestarts)
    assert at_121(our_sched.CosineAnnealingWarmRestarts) == expected
    assert expected[:2] == (81.0, 81)
    T_cur, T_i, lrs = at_121(our_sched.ExactWarmRestarts)
    implicit = run(torch_sched, ("CosineAnnealingWarmRestarts", {"T_0": 1, "T_mult": 3,
                                                                 "eta_min": 1e-3}), steps=121)
    assert (T_cur, T_i) == (0, 243) and lrs == implicit[0][-1][1]


def test_signatures_and_state_dict_keys_are_torchs():
    """Regression: CosineAnnealingWarmRestarts once took an extra keyword (exact_restarts);
    every class must have exactly torch's parameters, kinds and defaults, and the exact
    variant lives in its own class with torch's state_dict keys."""
    names = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
             "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
             "CyclicLR", "OneCycleLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]
    for name in names:
        for method in ("__init__", "step", "get_lr", "get_last_lr", "state_dict",
                       "load_state_dict"):
            ours, theirs = (inspect.signature(getattr(getattr(lib, name), method))
                            for lib in (our_sched, torch_sched))
            assert ([(p.name, p.kind, p.default) for p in ours.parameters.values()]
                    == [(p.name, p.kind, p.default) for p in theirs.parameters.values()]), name
    exact = our_sched.ExactWarmRestarts(one(), T_0=2, T_mult=2).state_dict()
    assert list(exact) == list(torch_sched.CosineAnnealingWarmRestarts(one(), 2, 2).state_dict())


def test_onecycle_cos_first_lr_is_not_exactly_max_lr_over_div_factor():
    """cos annealing is evaluated as end + (start − end)/2 · (cos 0 + 1), which rounds:
    0.1 + (0.004 − 0.1)/2 · 2 ≠ 0.004. Linear annealing gives 0.004 exactly."""
    def first(lib, strategy):
        return lib.OneCycleLR(one(), max_lr=0.1, total_steps=10,
                              anneal_strategy=strategy).get_last_lr()[0]
    assert first(our_sched, "cos") == first(torch_sched, "cos") != 0.1 / 25.0
    assert first(our_sched, "linear") == first(torch_sched, "linear") == 0.1 / 25.0
    assert cyclic_schedules.one_cycle_lr(0, max_lr=0.1, total_steps=10) == first(torch_sched, "cos")


def test_onecycle_last_step_extrapolates_past_the_final_phase():
    spec = ("OneCycleLR", {"max_lr": 0.1, "total_steps": 4, "anneal_strategy": "linear"})
    trace, error = run(our_sched, spec, steps=5)
    assert (trace, error) == run(torch_sched, spec, steps=5)
    assert len(trace) == 5 and trace[-1][1][0] < 0  # the extra step goes negative
    assert error == (ValueError,
                     ("Tried to step 5 times. The specified number of total steps is 4",))


@pytest.mark.parametrize("name", ["ConstantLR", "LinearLR"])
def test_total_iters_zero_recursive_form_keeps_the_factor(name):
    """With total_iters=0 the factor is applied at epoch 0 and never removed by step(),
    although the closed form (ConstantLR) gives base_lr — torch's recursive/closed mismatch."""
    kwargs = {"factor": 0.5} if name == "ConstantLR" else {"start_factor": 0.5}
    spec = (name, {**kwargs, "total_iters": 0})
    trace = run(our_sched, spec, steps=5)
    assert trace == run(torch_sched, spec, steps=5)
    assert {step[1][0] for step in trace[0]} == {0.05}
    if name == "ConstantLR":
        assert run(our_sched, spec, epochs=[3]) == run(torch_sched, spec, epochs=[3])
        assert run(our_sched, spec, epochs=[3])[0][-1][1] == [0.1]


def test_multiplicative_lr_has_no_closed_form():
    """step(3) three times multiplies by lambda(3) three times."""
    spec = ("MultiplicativeLR", {"lr_lambda": lambda e: 0.5})
    trace = run(our_sched, spec, epochs=[3, 3, 3])
    assert trace == run(torch_sched, spec, epochs=[3, 3, 3])
    assert trace[0][-1][1] == [0.1 * 0.5 ** 3]


def test_cosine_carries_outside_changes_until_the_bottom_then_climbs_back_to_base():
    """The chainable form (8.2) scales an outside halving along, until the lr reaches
    eta_min exactly at T_max; from there (8.3) adds increments computed from base_lr, so
    the lr climbs back to base_lr (no clamp at T_max) and the halving is forgotten."""
    T_max = 4

    def go(lib):
        opt = one()
        sched = lib.CosineAnnealingLR(opt, T_max=T_max)
        first_steps(sched, 1)
        opt.param_groups[0]["lr"] /= 2
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(2 * T_max - 1):
            first_steps(sched)
            lrs.append(opt.param_groups[0]["lr"])
        return lrs  # lrs[i] is the lr at epoch i + 1
    lrs = go(our_sched)
    assert lrs == go(torch_sched)
    for e in range(1, T_max + 1):
        assert math.isclose(lrs[e - 1], schedules.cosine_annealing_lr(e, base_lr=0.1, T_max=T_max) / 2,
                            rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(lrs[-1], 0.1, rel_tol=1e-12)  # epoch 2 T_max: back at base_lr


def test_second_scheduler_sees_the_first_schedulers_initial_lr():
    """initial_lr is set with setdefault, and CyclicLR's initial step uses it."""
    def go(lib):
        opt = one()
        lib.ExponentialLR(opt, 0.5)
        first_steps(lib.ExponentialLR(opt, 0.5), 0)
        cyc = lib.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
        lrs = [opt.param_groups[0]["lr"]]
        first_steps(cyc, 3)
        return lrs + [opt.param_groups[0]["lr"]], cyc.base_lrs, opt.param_groups[0]["initial_lr"]
    expected = go(torch_sched)
    assert go(our_sched) == expected
    assert expected[0][0] == 0.1 and expected[1] == [0.01]


def test_cyclic_lr_switches_momentum_on():
    """SGD(momentum=0) gets momentum = max_momentum at construction."""
    def go(lib):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        lib.CyclicLR(opt, 0.01, 0.1)
        return opt.param_groups[0]["momentum"], opt.param_groups[0]["lr"]
    assert go(our_sched) == go(torch_sched) == (0.9, 0.01)


def test_cyclic_built_in_modes_override_scale_mode():
    """exp_range always scales by iterations, triangular2 by cycle, whatever is passed."""
    for mode, forced in [("exp_range", "iterations"), ("triangular2", "cycle")]:
        wrong = "cycle" if forced == "iterations" else "iterations"
        ours = our_sched.CyclicLR(one(), 0.01, 0.1, mode=mode, scale_mode=wrong, gamma=0.9)
        theirs = torch_sched.CyclicLR(one(), 0.01, 0.1, mode=mode, scale_mode=wrong, gamma=0.9)
        assert ours.scale_mode == theirs.scale_mode == forced


def test_sequential_lr_restarts_multiplicative_from_the_carried_lr():
    spec = ("SequentialLR", {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 10}),
                                            ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9})],
                             "milestones": [2]})
    trace = run(our_sched, spec, steps=4)
    assert trace == run(torch_sched, spec, steps=4)
    lrs = [step[1][0] for step in trace[0]]
    # epochs 0, 1: ConstantLR; at the milestone MultiplicativeLR multiplies the carried 0.05
    assert lrs[0] == lrs[1] == 0.05
    assert math.isclose(lrs[2], 0.05 * 0.9) and math.isclose(lrs[3], 0.05 * 0.9 ** 2)


def test_cyclic_tensor_base_lr_on_float_lrs_aliases_base_lrs_like_torch():
    """A torch bug, matched: with float group lrs and a Tensor ``base_lr``, construction
    puts the very Tensors of ``base_lrs`` into the groups; every step then fills them in
    place, so base_lrs follows the lr and the schedule sticks at max_lr."""
    def go(lib):
        opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]}
                               for _ in range(2)], lr=0.1, momentum=0.9)
        sched = lib.CyclicLR(opt, base_lr=torch.tensor(0.01), max_lr=torch.tensor(0.1),
                             step_size_up=2)
        first_steps(sched, 6)
        return ([float(g["lr"]) for g in opt.param_groups], [float(b) for b in sched.base_lrs],
                opt.param_groups[0]["lr"] is sched.base_lrs[0],
                opt.param_groups[0]["lr"] is opt.param_groups[1]["lr"])
    expected = go(torch_sched)
    assert go(our_sched) == expected
    lrs, base_lrs, aliased, shared = expected
    assert aliased and not shared and base_lrs == lrs == [pytest.approx(0.1)] * 2
