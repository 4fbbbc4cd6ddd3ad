"""course_utils.lr_trace: recording what schedulers write into an optimizer, and comparing two."""

import math
import warnings
from functools import partial

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as our_sched
from course_utils.lr_trace import compare_schedulers, compare_traces, record
from course_utils.cyclic_schedules import one_cycle_lr, one_cycle_momentum
from course_utils.schedules import cosine_annealing_lr, step_lr


def sgd(lrs=(0.1,), momentum=0.9):
    groups = [{"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=momentum)


def adam():
    return torch.optim.Adam([torch.zeros(2, dtype=torch.float64, requires_grad=True)], lr=0.1, betas=(0.8, 0.99))


def rprop():
    return torch.optim.Rprop([torch.zeros(2, requires_grad=True)], lr=0.1)


def test_record_reads_the_lr_after_construction_and_after_every_step():
    trace = record(lambda: sgd((0.1, 0.2)), lambda o: torch_sched.StepLR(o, step_size=3, gamma=0.5), 10)
    assert trace.steps == 10 and len(trace.lr) == 11
    for g, base in enumerate((0.1, 0.2)):
        expected = [step_lr(e, base_lr=base, step_size=3, gamma=0.5) for e in range(11)]          # targets from (7.2)
        assert trace.group(g) == pytest.approx(expected, rel=1e-15)
    assert trace.last_lr == trace.lr
    assert {row for row in trace.momentum} == {(0.9, 0.9)}


def test_record_reads_momentum_and_betas_and_none_for_neither():
    sgd_trace = record(sgd, lambda o: torch_sched.OneCycleLR(o, max_lr=1.0, total_steps=20), 20)
    assert [row[0] for row in sgd_trace.momentum] == pytest.approx(
        [one_cycle_momentum(e, total_steps=20) for e in range(21)], rel=1e-15)
    assert sgd_trace.group() == pytest.approx([one_cycle_lr(e, max_lr=1.0, total_steps=20) for e in range(21)], rel=1e-15)
    adam_trace = record(adam, lambda o: torch_sched.OneCycleLR(o, max_lr=1.0, total_steps=20), 20)
    assert [row[0] for row in adam_trace.momentum] == [row[0] for row in sgd_trace.momentum]
    assert {row for row in record(rprop, lambda o: torch_sched.ExponentialLR(o, 0.9), 3).momentum} == {(None,)}


def test_record_passes_metrics_to_reduce_lr_on_plateau():
    metrics = [1.0] * 8
    trace = record(sgd, lambda o: torch_sched.ReduceLROnPlateau(o, patience=2), 8, metrics=metrics)
    # patience=2: the lr drops after three epochs without improvement (the first metric improves on inf)
    assert trace.group() == pytest.approx([0.1] * 4 + [0.01] * 3 + [0.001] * 2, rel=1e-15)
    with pytest.raises(ValueError, match="one metric per step"):
        record(sgd, lambda o: torch_sched.ReduceLROnPlateau(o), 3, metrics=[1.0])


def test_record_takes_steps_in_torchs_order_so_nothing_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record(sgd, lambda o: torch_sched.CosineAnnealingLR(o, T_max=5), 12)
    with pytest.raises(ValueError):
        record(sgd, lambda o: torch_sched.StepLR(o, 2), -1)


def test_identical_schedulers_compare_bitwise_equal():
    result = compare_schedulers(lambda o: our_sched.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
                                lambda o: torch_sched.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
                                lambda: sgd((0.1, 0.3)), 30, name="CosineAnnealingLR")
    assert result.exact and result.max_rel == 0.0 and not result.cycles_momentum
    assert result.assert_close() is result
    assert "CosineAnnealingLR" in str(result) and "bitwise equal" in str(result)


def test_comparison_measures_the_relative_difference_and_flags_it():
    closed = record(sgd, lambda o: torch_sched.LambdaLR(o, partial(cosine_annealing_lr, base_lr=1.0, T_max=10)), 25)
    chained = record(sgd, lambda o: torch_sched.CosineAnnealingLR(o, T_max=10), 25)
    drift = compare_traces(closed, chained, "closed vs chainable")
    assert not drift.exact and 0 < drift.max_rel_lr < 1e-12        # rounding only (about 1e-16)
    wrong = compare_traces(closed, record(sgd, lambda o: torch_sched.CosineAnnealingLR(o, T_max=11), 25))
    cos10 = partial(cosine_annealing_lr, base_lr=0.1, T_max=10)
    cos11 = partial(cosine_annealing_lr, base_lr=0.1, T_max=11)
    expected = max(abs(cos10(e) - cos11(e)) / max(cos10(e), cos11(e)) for e in range(26))
    assert wrong.max_rel_lr == pytest.approx(expected, rel=1e-9)
    assert "DIFFERENT" in str(wrong)
    with pytest.raises(AssertionError, match="exceeds"):
        wrong.assert_close()


def test_comparison_of_momentum_and_of_mismatched_traces():
    ours = record(sgd, lambda o: our_sched.CyclicLR(o, 0.01, 0.1, step_size_up=4), 20)
    theirs = record(sgd, lambda o: torch_sched.CyclicLR(o, 0.01, 0.1, step_size_up=4), 20)
    result = compare_traces(ours, theirs)
    assert result.exact and result.cycles_momentum and "momentum 0.0e+00" in str(result)
    shorter = record(sgd, lambda o: torch_sched.CyclicLR(o, 0.01, 0.1, step_size_up=4), 19)
    assert compare_traces(ours, shorter).max_rel == math.inf
    no_momentum = record(rprop, lambda o: torch_sched.StepLR(o, 2), 20)
    assert compare_traces(no_momentum, record(sgd, lambda o: torch_sched.StepLR(o, 2), 20)).max_rel_momentum == math.inf
