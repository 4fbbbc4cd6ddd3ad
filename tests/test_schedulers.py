"""course_utils.lr_scheduler's classes against torch.optim.lr_scheduler, step by step.

Every test builds the same optimizer twice, attaches torch's scheduler to one and ours to
the other, runs the same protocol and compares what the optimizer sees at every step: each
group's lr (and momentum / ``betas[0]``), ``get_last_lr()``, and any exception (class and
message). Targets always come from running torch. The arithmetic is replayed op for op,
so the comparison is *bitwise* (stricter than the rtol 1e-12 the course promises); a
Tensor lr is compared bitwise too, since both sides do the same float32 tensor ops.

The helpers here are shared by tests/test_schedul*.py.
"""

import math
import random
import warnings

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as our_sched

LIBS = {"torch": torch_sched, "ours": our_sched}
CLASSES = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
           "CyclicLR", "OneCycleLR", "SequentialLR", "ChainedScheduler"]
SEEDS = range(30)          # random configurations per class and optimizer
STEPS = 45                 # scheduler steps per run


# --------------------------------------------------------------------------- helpers
def make_optimizer(kind="sgd", lrs=(0.1,), tensor_lr=False):
    """SGD with momentum, Adam with betas, or Rprop (neither), one group per lr."""
    groups = [{"params": [torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))],
               "lr": torch.tensor(lr) if tensor_lr else lr} for lr in lrs]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(groups, lr=0.1, betas=(0.85, 0.99))
    return torch.optim.Rprop(groups, lr=0.1)


def build(lib, optimizer, spec):
    """Build a scheduler from ``(name, kwargs)``; composites hold a list of sub-specs."""
    name, kwargs = spec
    cls = getattr(lib, name)
    if name == "SequentialLR":
        subs = [build(lib, optimizer, s) for s in kwargs["schedulers"]]
        return cls(optimizer, subs, kwargs["milestones"])
    if name == "ChainedScheduler":
        return cls([build(lib, optimizer, s) for s in kwargs["schedulers"]])
    return cls(optimizer, **kwargs)


def as_number(x):
    """A group entry as something comparable exactly; a Tensor keeps its dtype in the key."""
    return ("tensor", str(x.dtype), x.item()) if isinstance(x, torch.Tensor) else x


def snapshot(optimizer, scheduler):
    """What the optimizer will use next: lr, momentum, betas per group, and get_last_lr()."""
    groups = [tuple(as_number(g.get(k)) for k in ("lr", "momentum", "betas"))
              for g in optimizer.param_groups]
    return groups, [as_number(v) for v in scheduler.get_last_lr()]


def run(lib, spec, kind="sgd", lrs=(0.1,), steps=STEPS, tensor_lr=False, epochs=None,
        optimizer=None):
    """Construct, then ``optimizer.step(); scheduler.step()`` (or ``step(epoch)``) repeatedly.

    Returns the snapshots taken after construction and after every step, and the first
    exception as ``(class, args)`` (None if all steps ran)."""
    trace = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            opt = optimizer or make_optimizer(kind, lrs, tensor_lr)
            sched = build(lib, opt, spec)
            trace.append(snapshot(opt, sched))
            for i in range(steps if epochs is None else len(epochs)):
                opt.step()
                sched.step() if epochs is None else sched.step(epochs[i])
                trace.append(snapshot(opt, sched))
        except Exception as exc:  # compared with torch's, class and message
            return trace, (type(exc), exc.args)
    return trace, None


def assert_same_run(spec, **kwargs):
    """Our run equals torch's run, bitwise; returns torch's trace."""
    expected = run(torch_sched, spec, **kwargs)
    assert run(our_sched, spec, **kwargs) == expected
    return expected[0]


# ------------------------------------------------------------- random configurations
def _lambda(rng):
    rate, every = rng.uniform(0.8, 1.0), rng.randint(1, 5)
    return rng.choice([lambda e: rate ** e, lambda e: 1 / (1 + rate * e),
                       lambda e: e // every + 0.5, lambda e: rate])


def random_spec(name, rng, n_groups):
    """A random but valid (name, kwargs) for every class, edge values included."""
    u, r = rng.uniform, rng.randint
    if name == "LambdaLR":
        fns = [_lambda(rng) for _ in range(n_groups)]
        return name, {"lr_lambda": fns if rng.random() < 0.5 else fns[0]}
    if name == "MultiplicativeLR":
        rate = u(0.8, 1.05)
        return name, {"lr_lambda": rng.choice([lambda e: rate, lambda e: 1 - 0.01 * (e % 3)])}
    if name == "StepLR":
        return name, {"step_size": r(1, 7), "gamma": u(0.1, 1.1)}
    if name == "MultiStepLR":  # unsorted, with repeats and sometimes a milestone at 0
        return name, {"milestones": [r(0, 40) for _ in range(r(0, 5))], "gamma": u(0.1, 0.9)}
    if name == "ConstantLR":
        return name, {"factor": rng.choice([u(0.01, 1.0), 1.0]), "total_iters": r(0, 12)}
    if name == "LinearLR":
        return name, {"start_factor": u(0.01, 1.0), "end_factor": rng.choice([u(0, 1), 0.0, 1.0]),
                      "total_iters": r(0, 15)}
    if name == "ExponentialLR":
        return name, {"gamma": u(0.8, 1.05)}
    if name == "PolynomialLR":
        return name, {"total_iters": r(0, 20), "power": rng.choice([u(0, 3), 1.0, 0.0])}
    if name == "CosineAnnealingLR":
        return name, {"T_max": r(1, 16), "eta_min": rng.choice([0.0, u(0, 0.05)])}
    if name == "CosineAnnealingWarmRestarts":
        return name, {"T_0": r(1, 9), "T_mult": r(1, 3), "eta_min": rng.choice([0.0, u(0, .05)])}
    if name == "CyclicLR":
        kw = {"base_lr": [u(0.001, 0.01) for _ in range(n_groups)], "max_lr": u(0.05, 0.2),
              "step_size_up": r(1, 6), "step_size_down": rng.choice([None, r(1, 6)]),
              "mode": rng.choice(["triangular", "triangular2", "exp_range"]),
              "gamma": u(0.9, 1.0), "cycle_momentum": rng.random() < 0.7,
              "base_momentum": u(0.7, 0.85), "max_momentum": u(0.86, 0.99)}
        if rng.random() < 0.25:
            kw.update(scale_fn=lambda x: 1 / (1 + 0.1 * x),
                      scale_mode=rng.choice(["cycle", "iterations"]))
        return name, kw
    if name == "OneCycleLR":
        return name, {"max_lr": [u(0.05, 1) for _ in range(n_groups)], "total_steps": r(4, 40),
                      "pct_start": u(0.05, 0.5), "anneal_strategy": rng.choice(["cos", "linear"]),
                      "cycle_momentum": rng.random() < 0.7, "base_momentum": u(0.7, 0.85),
                      "max_momentum": u(0.86, 0.99), "div_factor": u(5, 30),
                      "final_div_factor": u(10, 1e4), "three_phase": rng.random() < 0.4}
    simple = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
              "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
              "CosineAnnealingWarmRestarts", "CyclicLR"]
    subs = [random_spec(rng.choice(simple), rng, n_groups) for _ in range(r(1, 3))]
    if name == "ChainedScheduler":
        return name, {"schedulers": subs}
    milestones = sorted(rng.sample(range(1, 30), len(subs) - 1))
    return name, {"schedulers": subs, "milestones": milestones}


# ------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", CLASSES)
def test_random_configs_match_torch_every_step(name, kind):
    """Random configurations, one or two groups, SGD(momentum) and Adam(betas)."""
    full_runs = 0
    for seed in SEEDS:
        rng = random.Random(f"{name}-{kind}-{seed}")
        n_groups = rng.choice([1, 2])
        lrs = [rng.uniform(0.01, 1.0) for _ in range(n_groups)]
        spec = random_spec(name, rng, n_groups)
        trace = assert_same_run(spec, kind=kind, lrs=lrs)
        full_runs += len(trace) > 1
    assert full_runs >= len(SEEDS) // 2  # most configurations really ran


GRIDS = {
    "StepLR": [{"step_size": s, "gamma": g} for s in (1, 2, 3, 10) for g in (0.1, 0.5, 1.5)],
    "MultiStepLR": [{"milestones": m, "gamma": g} for m in ([2, 5, 9], [5, 5], [9, 2], [0, 3], [])
                    for g in (0.1, 0.7)],
    "ConstantLR": [{"factor": f, "total_iters": t} for f in (0.1, 1 / 3, 1.0) for t in (0, 1, 5)],
    "LinearLR": [{"start_factor": s, "end_factor": e, "total_iters": t}
                 for s in (0.1, 1 / 3, 1.0) for e in (0.0, 0.5, 1.0) for t in (0, 1, 4, 10)],
    "ExponentialLR": [{"gamma": g} for g in (0.5, 0.9, 0.999, 1.0, 1.1, -0.5)],
    "PolynomialLR": [{"total_iters": t, "power": p}
                     for t in (0, 1, 5, 20) for p in (0.0, 0.5, 1.0, 2.0)],
    "CosineAnnealingLR": [{"T_max": t, "eta_min": e}
                          for t in (1, 2, 3, 10) for e in (0.0, 1e-3, 0.5)],
    "CosineAnnealingWarmRestarts": [{"T_0": t, "T_mult": m, "eta_min": e}
                                    for t in (1, 3, 10) for m in (1, 2, 3) for e in (0.0, 1e-3)],
    "CyclicLR": [{"base_lr": 0.01, "max_lr": 0.1, "step_size_up": u, "step_size_down": d,
                  "mode": mode, "gamma": 0.95}
                 for u in (1, 4) for d in (None, 2, 6)
                 for mode in ("triangular", "triangular2", "exp_range")],
    "OneCycleLR": [{"max_lr": 0.5, "total_steps": t, "pct_start": p, "anneal_strategy": a,
                    "three_phase": tp}
                   for t in (4, 10, 44) for p in (0.25, 0.3, 0.5) for a in ("cos", "linear")
                   for tp in (False, True)],
}


@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("name", sorted(GRIDS))
def test_argument_grids_match_torch_every_step(name, tensor_lr):
    """Fixed grids, two groups (Tensor lrs too: filled in place, float32 rounding replayed)."""
    full_runs = 0
    for kwargs in GRIDS[name]:
        trace = assert_same_run((name, kwargs), kind="sgd", lrs=(0.05, 0.5), tensor_lr=tensor_lr)
        full_runs += len(trace) > 1
    assert full_runs >= len(GRIDS[name]) * 3 // 4  # a few raise in both, e.g. OneCycleLR's 1/0


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                                  "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
                                  "LambdaLR", "MultiplicativeLR", "CyclicLR", "OneCycleLR",
                                  "CosineAnnealingWarmRestarts"])
def test_step_with_epoch_matches_torch(name):
    """``step(epoch)``: closed forms where torch has one, ``get_lr()`` otherwise."""
    rng = random.Random(name)
    epochs = [rng.randint(0, 30) for _ in range(25)] + [3, 3, 3, 0, 2.5 if "Warm" in name else 2]
    full_runs = 0
    for seed in range(6):
        spec = random_spec(name, random.Random(f"{name}{seed}"), 2)
        if name == "OneCycleLR":
            spec[1]["total_steps"] = 40
        trace = assert_same_run(spec, lrs=(0.1, 0.3), epochs=epochs)
        full_runs += len(trace) == len(epochs) + 1
    assert full_runs >= 4  # LinearLR(total_iters=0) raises in both, for instance


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_and_backward_epochs_match_torch(T_mult):
    """CosineAnnealingWarmRestarts has its own step(): fractional epochs, jumps backwards,
    and implicit steps after an explicit one all follow torch's counters T_cur, T_i."""
    rng = random.Random(T_mult)
    epochs = [round(0.1 * k, 1) for k in range(0, 120, 7)] + [rng.uniform(0, 90) for _ in range(20)]
    spec = ("CosineAnnealingWarmRestarts", {"T_0": 4, "T_mult": T_mult, "eta_min": 1e-4})
    trace = assert_same_run(spec, lrs=(0.1, 0.3), epochs=epochs)
    assert len(trace) == len(epochs) + 1
    mixed = [None if i % 3 else e for i, e in enumerate(epochs)]  # None: a plain step()

    def go(lib):
        opt = make_optimizer(lrs=(0.1,))
        sched = lib.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=T_mult)
        for e in mixed:
            sched.step(e)
        return sched.T_cur, sched.T_i, sched.last_epoch, sched.get_last_lr()
    assert go(our_sched) == go(torch_sched)


def test_tensor_lr_is_filled_in_place_and_never_aliased():
    opt = make_optimizer(lrs=(0.1, 0.5), tensor_lr=True)
    lr_tensors = [g["lr"] for g in opt.param_groups]
    sched = our_sched.CosineAnnealingLR(opt, T_max=5)
    opt.step()
    sched.step()
    assert all(g["lr"] is t for g, t in zip(opt.param_groups, lr_tensors, strict=True))
    assert all(v is not t and torch.equal(v, t)
               for v, t in zip(sched.get_last_lr(), lr_tensors, strict=True))
    assert sched.base_lrs[0] is not opt.param_groups[0]["initial_lr"]


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR"])
def test_tensor_arguments_are_copied(name):
    """Mutating the Tensors passed as arguments changes nothing in the scheduler or groups."""
    def go(lib):
        args = {"max_lr": torch.tensor(0.2), "base_momentum": torch.tensor(0.8),
                "max_momentum": torch.tensor(0.9)}
        if name == "CyclicLR":
            args["base_lr"] = torch.tensor(0.1)
        else:
            args["total_steps"] = 10
        opt = make_optimizer("sgd", (0.1, 0.1), tensor_lr=True)
        sched = getattr(lib, name)(opt, **args)
        for value in args.values():
            if isinstance(value, torch.Tensor):
                value.mul_(0.5)
        keys = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
        groups = [{k: float(g[k]) for k in keys if k in g} for g in opt.param_groups]
        aliased = opt.param_groups[0]["lr"] is opt.param_groups[1]["lr"]
        return groups, [float(b) for b in sched.base_lrs], aliased
    expected = go(torch_sched)
    assert go(our_sched) == expected
    group = expected[0][0]  # values kept despite the mul_ (float32 Tensors, hence approx)
    assert (group["max_momentum"], group["base_momentum"]) == pytest.approx((0.9, 0.8))
    assert group.get("max_lr", 0.2) == pytest.approx(0.2)
    assert expected[1] == pytest.approx([0.1, 0.1] if name == "CyclicLR" else [0.008, 0.008])


def test_tensor_lr_initial_lr_is_not_aliased():
    """base_lrs and initial_lr are copies: changing the lr Tensor leaves them alone."""
    def go(lib, name, kwargs):
        lr = torch.tensor(0.1)
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
        sched = getattr(lib, name)(opt, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(2):
                opt.step()
                sched.step(i)
                lr.mul_(0.1)
        group = opt.param_groups[0]
        return float(group["initial_lr"]), [float(b) for b in sched.base_lrs], \
            sched.base_lrs[0] is group["initial_lr"]
    for name, kwargs in [("LambdaLR", {"lr_lambda": lambda e: e // 10}),
                         ("MultiplicativeLR", {"lr_lambda": lambda e: 0.95}),
                         ("StepLR", {"step_size": 30}), ("MultiStepLR", {"milestones": [30, 80]}),
                         ("ConstantLR", {}), ("LinearLR", {}), ("ExponentialLR", {"gamma": 0.9}),
                         ("PolynomialLR", {}), ("CosineAnnealingLR", {"T_max": 10}),
                         ("CosineAnnealingWarmRestarts", {"T_0": 20})]:
        expected = go(torch_sched, name, kwargs)
        assert go(our_sched, name, kwargs) == expected
        assert expected == (pytest.approx(0.1), [pytest.approx(0.1)], False)


# ---------------------------------------------------------------- compositions
COMPOSITIONS = [
    ("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
                                     ("CosineAnnealingLR", {"T_max": 20, "eta_min": 1e-4})],
                      "milestones": [5]}),
    ("SequentialLR", {"schedulers": [("ConstantLR", {"factor": 0.1, "total_iters": 3}),
                                     ("ExponentialLR", {"gamma": 0.8}),
                                     ("StepLR", {"gamma": 0.1, "step_size": 2})],
                      "milestones": [3, 6]}),
    # MultiplicativeLR has no closed form: after the milestone it starts from the lr
    # the previous phase left behind.
    ("SequentialLR", {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 10}),
                                     ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9})],
                      "milestones": [2]}),
    ("SequentialLR", {"schedulers": [("ChainedScheduler", {"schedulers": [
        ("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
        ("ConstantLR", {"factor": 0.1, "total_iters": 5})]}),
        ("ConstantLR", {"factor": 0.5, "total_iters": 5})], "milestones": [5]}),
    ("SequentialLR", {"schedulers": [("StepLR", {"step_size": 2}),  # milestone 0: index 1 first
                                     ("ExponentialLR", {"gamma": 0.9})], "milestones": [0]}),
    ("ChainedScheduler", {"schedulers": [("ExponentialLR", {"gamma": 0.9}),
                                         ("ConstantLR", {"factor": 0.2, "total_iters": 4}),
                                         ("StepLR", {"gamma": 0.1, "step_size": 3})]}),
    # a non-chainable scheduler overrides what came before it in the chain
    ("ChainedScheduler", {"schedulers": [("ExponentialLR", {"gamma": 0.9}),
                                         ("LambdaLR", {"lr_lambda": lambda e: 1 / (1 + e)})]}),
    ("ChainedScheduler", {"schedulers": [("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1,
                                                       "step_size_up": 3}),
                                         ("ExponentialLR", {"gamma": 0.95})]}),
]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("spec", COMPOSITIONS, ids=lambda s: s[0])
def test_compositions_match_torch(spec, kind):
    trace = assert_same_run(spec, kind=kind, lrs=(0.05, 0.5), steps=30)
    assert len(trace) == 31


def test_sequential_lr_construction_resets_and_undoes():
    """After construction: lr = initial_lr, sub-schedulers' last_epochs are 0, -1, ..."""
    def state(lib):
        opt = make_optimizer(lrs=(0.1,))
        first = lib.ExponentialLR(opt, gamma=0.5)
        second = lib.StepLR(opt, step_size=2)
        seq = lib.SequentialLR(opt, [first, second], milestones=[3])
        return first.last_epoch, second.last_epoch, seq.last_epoch, opt.param_groups[0]["lr"]
    assert state(our_sched) == state(torch_sched) == (0, -1, 0, 0.1)


def test_stepping_schedulers_side_by_side_equals_chaining():
    """Two schedulers stepped on one optimizer act like a ChainedScheduler in that order."""
    def trace(chained):
        opt = make_optimizer(lrs=(0.1, 0.2))
        scheds = [our_sched.StepLR(opt, 3), our_sched.CosineAnnealingLR(opt, T_max=7)]
        steppers = [our_sched.ChainedScheduler(scheds)] if chained else scheds
        out = []
        for _ in range(20):
            opt.step()
            for s in steppers:
                s.step()
            out.append([g["lr"] for g in opt.param_groups])
        return out
    assert trace(True) == trace(False)
    assert trace(True)[-1] != trace(True)[0]


# ----------------------------------------------------- optimizers written from scratch
class PlainSGD(torch.optim.Optimizer):
    """The smallest from-scratch optimizer with a ``momentum`` hyper-parameter."""

    def __init__(self, params, lr=0.1, momentum=0.0):
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf = self.state[p].get("momentum_buffer")
                buf = p.grad.clone() if buf is None else buf.mul_(group["momentum"]).add_(p.grad)
                self.state[p]["momentum_buffer"] = buf
                p.add_(buf, alpha=-group["lr"])


def train(optimizer_cls, lib, spec, steps=25):
    """Minimise a quadratic; the schedule reaches the parameters through lr and momentum."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(4, dtype=torch.float64))
    target = torch.arange(4, dtype=torch.float64)
    opt = optimizer_cls([w], lr=0.1, momentum=0.5)
    sched = build(lib, opt, spec)
    lrs = []
    for _ in range(steps):
        opt.zero_grad()
        ((w - target) ** 2).sum().backward()
        opt.step()
        sched.step()
        lrs.append((opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]))
    return w.detach().clone(), lrs


@pytest.mark.parametrize("spec", [("OneCycleLR", {"max_lr": 0.2, "total_steps": 25}),
                                  ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 4}),
                                  ("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2})],
                         ids=lambda s: s[0])
def test_drives_a_from_scratch_optimizer_like_torch(spec):
    w_ours, lrs_ours = train(PlainSGD, our_sched, spec)
    w_torch, lrs_torch = train(PlainSGD, torch_sched, spec)
    assert lrs_ours == lrs_torch
    assert torch.equal(w_ours, w_torch)
    assert len(set(lrs_ours)) > 3  # the schedule really moved lr (and momentum)


def test_drives_the_course_sgd_like_torch_sgd_driven_by_torch():
    """The course's own SGD under our OneCycleLR = torch's SGD under torch's OneCycleLR."""
    import course_utils.optim as course_optim
    spec = ("OneCycleLR", {"max_lr": 0.2, "total_steps": 25})
    w_ours, lrs_ours = train(course_optim.SGD, our_sched, spec)
    w_torch, lrs_torch = train(lambda *a, **k: torch.optim.SGD(*a, foreach=False, **k),
                               torch_sched, spec)
    assert lrs_ours == lrs_torch
    torch.testing.assert_close(w_ours, w_torch, rtol=1e-12, atol=1e-12)
    assert not math.isclose(lrs_ours[0][0], lrs_ours[12][0])
