import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import plotting
from course_utils.objectives import Quadratic


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_style_sets_the_course_palette():
    with mpl.rc_context():
        plotting.use_course_style()
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == plotting.PALETTE[0]
        assert mpl.rcParams["axes.spines.top"] is False


def test_helpers_create_axes_when_none_given():
    q = Quadratic([1.0, 10.0])
    for ax in (plotting.plot_contours(q, minimizer=q.minimizer),
               plotting.plot_trajectory(torch.zeros(5, 2)),
               plotting.plot_loss_curves({"a": [1.0, 0.1]}),
               plotting.plot_lr_schedule([0.1, 0.1, 0.01])):
        assert isinstance(ax, mpl.axes.Axes)


def test_helpers_draw_on_the_given_axes_and_return_it():
    fig, ax = plt.subplots()
    q = Quadratic([1.0, 10.0])
    assert plotting.plot_contours(q, (-2, 2), (-1, 1), ax=ax, log=True) is ax
    assert ax.get_xlim() == (-2, 2)
    path = torch.tensor([[1.0, 1.0], [0.5, -0.5], [0.0, 0.0]])
    assert plotting.plot_trajectory(path, ax=ax, label="gd") is ax
    np.testing.assert_allclose(ax.lines[-1].get_xydata(), path.numpy())
    assert len(fig.axes) == 1


def test_loss_curves_are_on_a_log_axis_by_default():
    ax = plotting.plot_loss_curves({"sgd": [1, 0.1, 0.01], "momentum": [1, 0.01, 1e-4]})
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd", "momentum"]
    assert plotting.plot_loss_curves({"x": [1, 2]}, logy=False).get_yscale() == "linear"


def test_lr_schedule_draws_one_or_several():
    ax = plotting.plot_lr_schedule({"step": [0.1, 0.01], "cos": [0.1, 0.05]})
    assert len(ax.lines) == 2
    ax = plotting.plot_lr_schedule([0.1, 0.01, 0.001], logy=True)
    assert ax.get_legend() is None and ax.get_yscale() == "log"


def test_trajectory_shape_is_checked():
    with pytest.raises(ValueError, match=r"shape \(steps, 2\)"):
        plotting.plot_trajectory(torch.zeros(5, 3))


def test_helpers_do_not_change_global_style():
    before = dict(mpl.rcParams)
    plotting.plot_loss_curves({"a": [1.0, 0.5]})
    assert dict(mpl.rcParams) == before
