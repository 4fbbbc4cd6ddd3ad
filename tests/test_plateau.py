"""course_utils.plateau: replaying a metric curve through ReduceLROnPlateau (chapter 09)."""

import math

import matplotlib.pyplot as plt
import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as our_sched
from course_utils.plateau import plot_plateau_timeline, trace_plateau


def _scheduler(lib, lrs=(1.0,), **kwargs):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return lib.ReduceLROnPlateau(torch.optim.SGD(groups, lr=1.0), **kwargs)


def test_a_constant_metric_is_reduced_after_patience_plus_one_bad_epochs():
    t = trace_plateau(_scheduler(our_sched, patience=2), [1.0] * 10)
    # epoch 1 sets best; epochs 2, 3, 4 are bad; the third bad one (> patience) reduces
    assert t.reductions == (4, 7, 10)
    assert t.num_bad_epochs[:4] == (0, 1, 2, 0)
    assert t.lr[:4] == (1.0, 1.0, 1.0, 0.1) and t.best == (1.0,) * 10


def test_cooldown_is_recorded_and_delays_the_next_reduction():
    t = trace_plateau(_scheduler(our_sched, patience=1, cooldown=2), [1.0] * 8)
    assert t.reductions == (3, 7)
    assert t.cooldown_counter == (0, 0, 2, 1, 0, 0, 2, 1)


def test_per_group_lrs_are_recorded_and_a_reduction_is_any_group_changing():
    t = trace_plateau(_scheduler(our_sched, lrs=(1.0, 0.01), patience=0, min_lr=[0.0, 0.01]),
                      [1.0, 1.0, 1.0])
    assert t.lrs == ((1.0, 0.01), (0.1, 0.01), (pytest.approx(0.01), 0.01))
    assert t.reductions == (2, 3)


def test_torch_and_the_course_give_the_same_trace_on_a_noisy_curve_with_nan():
    gen = torch.Generator().manual_seed(0)
    curve = (1 / (1 + 0.1 * torch.arange(60.0)) + 0.03 * torch.randn(60, generator=gen)).tolist()
    curve[10] = math.nan
    for kwargs in [dict(patience=3), dict(patience=2, cooldown=2, threshold=0.05),
                   dict(mode="max", threshold_mode="abs", threshold=0.01, patience=1)]:
        ours = trace_plateau(_scheduler(our_sched, **kwargs), curve)
        theirs = trace_plateau(_scheduler(torch_sched, **kwargs), curve)
        assert ours.state() == theirs.state() and ours.metric[10] != ours.metric[10]


def test_the_timeline_draws_three_panels_and_marks_each_reduction():
    t = trace_plateau(_scheduler(our_sched, patience=1, cooldown=1), [1.0] * 9)
    axes = plot_plateau_timeline(t, title="t")
    assert len(axes) == 3 and axes[2].get_yscale() == "log" and axes[0].get_title() == "t"
    marked = [line.get_xdata()[0] for line in axes[2].lines[1:]]
    assert marked == list(t.reductions)
    fig, own = plt.subplots(3, 1)
    assert list(plot_plateau_timeline(t, axes=own)) == list(own)
    plt.close("all")
