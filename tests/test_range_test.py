"""course_utils.range_test: the learning-rate range test (chapter 10), checked against its
equations (10.3)–(10.6) recomputed here from the recorded losses."""

import math

import pytest
import torch

from course_utils.data import load_digits
from course_utils.range_test import exponential_lrs, lr_range_test
from course_utils.train import make_mlp


@pytest.fixture(scope="module")
def digits():
    return load_digits(device="cpu")


def test_exponential_lrs_run_from_start_to_end_with_a_constant_ratio():
    lrs = exponential_lrs(1e-4, 10.0, 11)
    assert lrs[0] == 1e-4 and lrs[-1] == pytest.approx(10.0, rel=1e-12)
    ratios = [b / a for a, b in zip(lrs, lrs[1:])]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-12)
    assert ratios[0] == pytest.approx(10 ** 0.5, rel=1e-12)


@pytest.mark.parametrize("args, message", [((0.0, 1.0, 5), "need 0 < start_lr < end_lr"),
                                           ((1.0, 0.1, 5), "need 0 < start_lr < end_lr"),
                                           ((0.1, 1.0, 1), "num_steps must be >= 2")])
def test_exponential_lrs_refuse_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        exponential_lrs(*args)


def _sgd(params, lr=1.0):
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


@pytest.mark.parametrize("beta", [0.0, 0.9])
def test_the_smoothed_loss_is_the_bias_corrected_average_of_the_raw_losses(digits, beta):
    r = lr_range_test(lambda: make_mlp(seed=0), _sgd, digits, num_steps=60, end_lr=100.0, beta=beta)
    average = 0.0
    for i, loss in enumerate(r.losses[:len(r.smoothed)]):
        average = beta * average + (1 - beta) * loss                        # (10.4)
        assert r.smoothed[i] == pytest.approx(average / (1 - beta ** (i + 1)), rel=1e-12)
    assert r.lrs == exponential_lrs(1e-4, 100.0, 60)[:len(r.losses)]       # (10.3)


def test_a_diverging_test_stops_early_and_suggests_an_lr_below_the_stop(digits):
    r = lr_range_test(lambda: make_mlp(seed=0), _sgd, digits, num_steps=100, end_lr=100.0)
    assert r.diverged and len(r.losses) < 100
    last = r.losses[-1]
    stop_rule = not math.isfinite(last) or r.smoothed[-1] > 4.0 * min(r.smoothed[:-1])   # (10.5)
    assert stop_rule and r.stop_lr == r.lrs[-1]
    assert r.lr_at_min == r.lrs[r.smoothed.index(min(r.smoothed))]
    assert r.suggestion == r.lr_at_min / 10.0 < r.stop_lr                   # (10.6)


def test_a_gentle_test_runs_to_the_end_and_changes_nothing_outside(digits):
    before = torch.get_rng_state()
    model = make_mlp(seed=0)
    r = lr_range_test(lambda: model, _sgd, digits, num_steps=20, start_lr=1e-5, end_lr=1e-3,
                      generator=torch.Generator().manual_seed(0))
    assert not r.diverged and len(r.losses) == 20 and r.stop_lr == pytest.approx(1e-3)
    assert torch.equal(torch.get_rng_state(), before)
    again = lr_range_test(lambda: make_mlp(seed=0), _sgd, digits, num_steps=20, start_lr=1e-5,
                          end_lr=1e-3, generator=torch.Generator().manual_seed(0))
    assert again.losses == r.losses


def test_a_loss_that_is_not_finite_from_the_first_step_is_a_clear_error(digits):
    def broken():
        model = make_mlp(seed=0)
        with torch.no_grad():
            model[1].weight.fill_(math.nan)
        return model

    r = lr_range_test(broken, _sgd, digits, num_steps=10)
    assert r.diverged and r.smoothed == [] and math.isnan(r.losses[0])
    with pytest.raises(ValueError, match=r"the loss was nan at the very first step \(lr 0.0001\).*lower start_lr"):
        r.suggestion
