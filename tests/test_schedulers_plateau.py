"""ReduceLROnPlateau against torch's, on recorded noisy metric curves (chapter 09).

The curves are drawn once from a seeded generator: a decaying loss with noise, the same
shifted below zero (``rel`` mode is sign-sensitive), an accuracy-like rising curve, long
plateaus, and curves with NaN and inf. Every (mode, threshold_mode, threshold, patience,
cooldown, min_lr, eps, factor) combination is run on both implementations and the lrs
are compared bitwise at every epoch.
"""

import itertools
import math
import random

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as our_sched
from test_schedulers import make_optimizer


def _curves(n=60):
    gen = torch.Generator().manual_seed(7)
    t = torch.arange(n, dtype=torch.float64)
    noise = torch.randn(n, generator=gen, dtype=torch.float64)
    loss = 1 / (1 + 0.1 * t) + 0.02 * noise
    plateau = torch.where(t < 20, 1.0 - 0.02 * t, 0.6) + 0.005 * noise
    with_gaps = loss.clone()
    with_gaps[[5, 6, 30]] = math.nan
    with_gaps[40] = math.inf
    return {"decaying": loss.tolist(), "negative": (loss - 2).tolist(),
            "rising": (1 - loss).tolist(), "plateau": plateau.tolist(),
            "nan_and_inf": with_gaps.tolist()}


CURVES = _curves()
GRID = dict(mode=["min", "max"], threshold_mode=["rel", "abs"], threshold=[1e-4, 0.05, 1.0],
            patience=[0, 2, 5], cooldown=[0, 3], min_lr=[0, 0.02, [0.03, 0.001]],
            eps=[1e-8, 0.05], factor=[0.1, 0.5, -0.5])


def plateau_run(lib, kwargs, metrics, lrs=(0.5, 0.2), tensor_lr=False):
    opt = make_optimizer("sgd", lrs, tensor_lr)
    sched = lib.ReduceLROnPlateau(opt, **kwargs)
    trace = [sched.get_last_lr()]
    for m in metrics:
        opt.step()
        sched.step(m)
        trace.append([g["lr"] for g in opt.param_groups])
        trace.append((sched.best, sched.num_bad_epochs, sched.cooldown_counter, sched.last_epoch))
    return trace


@pytest.mark.parametrize("curve", sorted(CURVES))
def test_random_grid_points_match_torch_on_recorded_curves(curve):
    rng = random.Random(curve)
    points = rng.sample(list(itertools.product(*GRID.values())), 120)
    reductions = 0
    for values in points:
        kwargs = dict(zip(GRID, values, strict=True))
        expected = plateau_run(torch_sched, kwargs, CURVES[curve])
        assert plateau_run(our_sched, kwargs, CURVES[curve]) == expected, kwargs
        reductions += expected[-2] != expected[0]
    assert reductions > len(points) // 3  # the grid really exercises the reduction rule


@pytest.mark.parametrize("kwargs", [{"mode": "min", "patience": 0}, {"mode": "max", "patience": 1},
                                   {"patience": 2, "cooldown": 2, "min_lr": [0.1, 0.01]}])
def test_tensor_lrs_and_tensor_metrics(kwargs):
    """0-dim Tensor metrics are accepted; a Tensor lr stays the same Tensor object."""
    metrics = [torch.tensor(m) for m in CURVES["plateau"]]
    expected = plateau_run(torch_sched, kwargs, metrics, tensor_lr=True)
    ours = plateau_run(our_sched, kwargs, metrics, tensor_lr=True)
    assert ours == expected
    assert all(isinstance(lr, torch.Tensor) for lr in ours[-2])


def test_constant_metric_reduces_after_patience_plus_one_bad_epochs():
    """patience=2: the first metric is "better" than inf, the next three are bad, and the
    third bad epoch (bad > patience) reduces; cooldown=2 then ignores two bad epochs."""
    kwargs = {"patience": 2, "cooldown": 2, "factor": 0.1}
    expected = plateau_run(torch_sched, kwargs, [1.0] * 15, lrs=(1.0,))
    ours = plateau_run(our_sched, kwargs, [1.0] * 15, lrs=(1.0,))
    assert ours == expected
    lrs = [step[0] for step in ours[1::2]]
    first_drop = next(i for i, lr in enumerate(lrs) if lr < 1.0)
    assert first_drop == kwargs["patience"] + 1  # epochs 0..2 bad after the first "better" one


def test_eps_skips_reductions_smaller_than_eps():
    kwargs = {"patience": 0, "eps": 0.5}
    expected = plateau_run(torch_sched, kwargs, [1.0] * 5, lrs=(0.1,))
    assert plateau_run(our_sched, kwargs, [1.0] * 5, lrs=(0.1,)) == expected
    assert expected[-2] == [0.1]  # 0.1 → 0.01 is a drop of 0.09 < eps: never applied


def test_nan_is_never_better_and_negative_rel_mode_is_sign_sensitive():
    metrics = [math.nan, math.nan, -10.0, -9.5, -9.5]
    kwargs = {"mode": "min", "threshold": 0.1, "patience": 5}
    expected = plateau_run(torch_sched, kwargs, metrics)
    ours = plateau_run(our_sched, kwargs, metrics)
    assert ours == expected
    assert ours[2][1] == 1 and ours[4][1] == 2  # two bad epochs from NaN, best stays inf
    assert ours[-1][0] == -9.5  # -9.5 < -10 · (1 − 0.1): "better" although it is worse


@pytest.mark.parametrize("min_lr", [0, [1e-5, 1e-4]])
def test_param_group_added_later(min_lr):
    """A scalar min_lr is re-broadcast; a list raises torch's RuntimeError on reduction."""
    def go(lib):
        opt = make_optimizer("sgd", (0.5, 0.5))
        sched = lib.ReduceLROnPlateau(opt, patience=0, threshold=1e-5, min_lr=min_lr)
        sched.step(1.0)
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.05})
        try:
            for m in (1.0, 1.3, 1.3):
                sched.step(m)
        except RuntimeError as exc:
            return "raised", str(exc)
        return [g["lr"] for g in opt.param_groups], sched.min_lrs
    expected = go(torch_sched)
    assert go(our_sched) == expected
    assert (expected[0] == "raised") == isinstance(min_lr, list)


def test_step_with_epoch_warns_and_sets_last_epoch():
    for lib in (our_sched, torch_sched):
        sched = lib.ReduceLROnPlateau(make_optimizer())
        with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
            sched.step(1.0, 7)
        assert sched.last_epoch == 7


def test_state_dict_has_torch_keys_and_loading_reinitialises_comparison():
    """Load a state into a scheduler built with other arguments: everything is replaced."""
    def go(lib_src, lib_dst):
        src = lib_src.ReduceLROnPlateau(make_optimizer(), mode="min", factor=0.1, patience=2)
        for m in [1.0, 2.0, 3.0, 4.0, 3.0, 4.0, 5.0, 3.0, 2.0, 1.0]:
            src.step(m)
        dst = lib_dst.ReduceLROnPlateau(make_optimizer(), mode="max", factor=0.5, patience=10)
        dst.load_state_dict(src.state_dict())
        return list(src.state_dict()), dst.state_dict(), dst._is_better(0.0, 1.0)
    reference = go(torch_sched, torch_sched)
    assert go(our_sched, our_sched) == reference
    assert go(torch_sched, our_sched) == reference
    assert go(our_sched, torch_sched) == reference
    assert reference[2] is True  # min mode restored: 0 is better than 1


@pytest.mark.parametrize("k", [1, 17, 38])
def test_resume_through_a_checkpoint_and_cross_load(k, tmp_path):
    """Save optimizer + scheduler after k epochs (torch.save, weights_only=True load),
    rebuild, load, continue: equal to the run that never stopped, either library."""
    kwargs = {"mode": "min", "patience": 2, "cooldown": 1, "min_lr": [0.01, 0.001],
              "threshold_mode": "abs", "threshold": 0.01}
    metrics = CURVES["plateau"]

    def go(lib_before, lib_after):
        opt = make_optimizer("sgd", (0.5, 0.2))
        sched = lib_before.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for m in metrics[:k]:
            sched.step(m)
            lrs.append([g["lr"] for g in opt.param_groups])
        torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "c.pt")
        checkpoint = torch.load(tmp_path / "c.pt", weights_only=True)
        opt = make_optimizer("sgd", (0.5, 0.2))
        sched = lib_after.ReduceLROnPlateau(opt, **kwargs)
        opt.load_state_dict(checkpoint["opt"])
        sched.load_state_dict(checkpoint["sched"])
        for m in metrics[k:]:
            sched.step(m)
            lrs.append([g["lr"] for g in opt.param_groups])
        return lrs
    expected = plateau_run(torch_sched, kwargs, metrics)[1::2]
    assert expected[-1] != expected[0]  # the lr was reduced along the way
    for libs in [(our_sched, our_sched), (torch_sched, our_sched), (our_sched, torch_sched)]:
        assert go(*libs) == expected
