"""course_utils.guards: a non-finite value stops a run with the step and the learning rate."""

import math

import pytest
import torch

from course_utils.guards import DivergenceError, check_finite, format_lrs
from course_utils.objectives import Quadratic, optimize


def test_finite_values_pass_through_unchanged():
    t = torch.tensor([1.0, -2.0])
    assert check_finite(t, step=1, lr=0.1) is t
    assert check_finite(3.5, step=1, lr=0.1) == 3.5


@pytest.mark.parametrize("lr, shown", [(0.1, "0.1"), ([0.1, 1e-3], "[0.1, 0.001]"), (torch.tensor(0.25), "0.25")])
def test_the_learning_rate_is_shown_as_a_number_or_one_per_group(lr, shown):
    assert format_lrs(lr) == shown


def test_an_optimizer_shows_the_lr_of_each_group():
    w, b = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=2.0)
    assert format_lrs(opt) == "[2, 0.5]"


@pytest.mark.parametrize("value, shown", [(math.inf, "is inf"), (torch.tensor(math.nan), "is nan"),
                                          (torch.tensor([1.0, math.inf]), "has 1 non-finite entry of 2"),
                                          (torch.full((2, 3), math.nan), "has 6 non-finite entries of 6")])
def test_a_non_finite_value_names_the_step_the_lr_and_what_it_was(value, shown):
    with pytest.raises(DivergenceError, match=rf"^diverged at step 7 with learning rate 0.3: the iterate {shown};"):
        check_finite(value, step=7, lr=0.3, what="the iterate")


def test_a_diverging_optimize_run_stops_at_the_first_non_finite_iterate():
    # |1 − αλ| ≈ 1e150 per step: |w| goes 1e150, 1e300, then inf at step 3.
    q = Quadratic([1.0])
    with pytest.raises(DivergenceError, match=r"diverged at step 3 with learning rate \[1e\+150\]"):
        optimize(q, [1.0], lambda ps: torch.optim.SGD(ps, lr=1e150), steps=10)
