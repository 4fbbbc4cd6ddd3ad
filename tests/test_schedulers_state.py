"""state_dict, checkpoints and resuming: ours alone, and crossed with torch's schedulers.

A scheduler's state_dict has torch's keys, in torch's order, with equal values, so a
checkpoint written by either library resumes in the other. Resuming at a random step
through ``torch.save`` / ``torch.load(weights_only=True)`` must reproduce the run that was
never interrupted, bitwise.
"""

import random

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as our_sched
from test_schedulers import CLASSES, build, make_optimizer, random_spec

TOTAL = 30  # steps in the uninterrupted run

SPECS = [
    ("LambdaLR", {"lr_lambda": lambda e: 0.9 ** e}),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.95}),
    ("StepLR", {"step_size": 4, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [3, 8, 8, 20], "gamma": 0.5}),
    ("ConstantLR", {"factor": 0.25, "total_iters": 6}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 12}),
    ("ExponentialLR", {"gamma": 0.93}),
    ("PolynomialLR", {"total_iters": 20, "power": 2.0}),
    ("CosineAnnealingLR", {"T_max": 8, "eta_min": 1e-3}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 1e-3}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "exp_range",
                  "gamma": 0.9, "cycle_momentum": False}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": TOTAL, "three_phase": True}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": TOTAL, "anneal_strategy": "linear",
                    "cycle_momentum": False}),
    ("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
                                     ("CosineAnnealingLR", {"T_max": 25})], "milestones": [5]}),
    ("ChainedScheduler", {"schedulers": [("ExponentialLR", {"gamma": 0.9}),
                                         ("StepLR", {"step_size": 3})]}),
]
IDS = [f"{i}-{spec[0]}" for i, spec in enumerate(SPECS)]


def lrs_of(opt):
    return [(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups]


def steps(opt, sched, n):
    out = []
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(lrs_of(opt))
    return out


def uninterrupted(lib, spec, kind):
    opt = make_optimizer(kind, (0.1, 0.3))
    return steps(opt, build(lib, opt, spec), TOTAL)


def resumed(lib_before, lib_after, spec, kind, k, path):
    """Run k steps with one library, checkpoint to disk, rebuild with the other, finish."""
    opt = make_optimizer(kind, (0.1, 0.3))
    sched = build(lib_before, opt, spec)
    head = steps(opt, sched, k)
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)

    checkpoint = torch.load(path, weights_only=True)
    opt = make_optimizer(kind, (0.1, 0.3))
    sched = build(lib_after, opt, spec)  # build first: construction writes into the groups
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    return head + steps(opt, sched, TOTAL - k)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_resume_at_random_points_equals_uninterrupted_run(spec, kind, tmp_path):
    expected = uninterrupted(torch_sched, spec, kind)
    assert uninterrupted(our_sched, spec, kind) == expected
    rng = random.Random(f"{spec[0]}{kind}")
    for k in sorted(rng.sample(range(1, TOTAL), 3)):
        assert resumed(our_sched, our_sched, spec, kind, k, tmp_path / "ours.pt") == expected


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_checkpoints_cross_load_between_torch_and_ours(spec, tmp_path):
    expected = uninterrupted(torch_sched, spec, "sgd")
    k = random.Random(spec[0]).randrange(1, TOTAL)
    assert resumed(torch_sched, our_sched, spec, "sgd", k, tmp_path / "t.pt") == expected
    assert resumed(our_sched, torch_sched, spec, "sgd", k, tmp_path / "o.pt") == expected


@pytest.mark.parametrize("name", CLASSES)
def test_state_dict_keys_order_and_values_equal_torch(name):
    for seed in range(4):
        spec = random_spec(name, random.Random(f"state-{name}-{seed}"), 2)
        states = []
        for lib in (torch_sched, our_sched):
            opt = make_optimizer("adam" if seed % 2 else "sgd", (0.1, 0.3))
            sched = build(lib, opt, spec)
            before = sched.state_dict()
            opt.step()
            sched.step()
            states.append((list(before), before, list(sched.state_dict()), sched.state_dict()))
        assert states[1] == states[0]


def test_callable_objects_keep_their_state_and_functions_are_stored_as_none():
    """Callable objects are saved by ``__dict__`` (LambdaLR, CyclicLR's scale_fn)."""
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, x):
            return self.rate ** x

    def state(lib):
        opt = make_optimizer("sgd", (0.1, 0.3))
        lam = lib.LambdaLR(opt, [Decay(0.9), lambda e: 1.0])
        cyc = lib.CyclicLR(make_optimizer(), 0.01, 0.1, scale_fn=Decay(0.8))
        return lam.state_dict()["lr_lambdas"], cyc.state_dict()["_scale_fn_custom"]
    assert state(our_sched) == state(torch_sched) == ([{"rate": 0.9}, None], {"rate": 0.8})

    fresh = Decay(0.1)
    sched = our_sched.LambdaLR(make_optimizer(), fresh)
    sched.load_state_dict({**sched.state_dict(), "lr_lambdas": [{"rate": 0.9}]})
    assert fresh.rate == 0.9


def test_cyclic_state_restores_mode_and_has_no_bound_function():
    src = our_sched.CyclicLR(make_optimizer(), 0.01, 0.1, mode="triangular2")
    state = src.state_dict()
    assert "_scale_fn_ref" not in state
    dst = our_sched.CyclicLR(make_optimizer(), 0.01, 0.1, mode="triangular")
    dst.load_state_dict(state)
    assert dst.mode == "triangular2" and dst.scale_fn(3) == 0.25


@pytest.mark.parametrize("spec", [s for s in SPECS
                                  if s[0] not in ("SequentialLR", "ChainedScheduler")],
                         ids=lambda s: s[0])
def test_torch_checkpoint_convention_last_epoch_zero(spec):
    """torch's own recipe: step once, reload the optimizer, re-create with last_epoch=0."""
    def go(lib):
        cls = getattr(lib, spec[0])
        opt = torch.optim.AdamW(torch.nn.Linear(3, 3).parameters())
        sched = cls(opt, **spec[1])
        opt.step()
        sched.step()
        opt2 = torch.optim.AdamW(torch.nn.Linear(3, 3).parameters())
        opt2.load_state_dict(opt.state_dict())
        sched2 = cls(opt2, **spec[1], last_epoch=0)
        return sched2.get_last_lr(), opt.param_groups[0]["lr"], sched2.last_epoch
    expected = go(torch_sched)
    assert go(our_sched) == expected
    assert expected[0] == [expected[1]]  # the lr is reproduced
