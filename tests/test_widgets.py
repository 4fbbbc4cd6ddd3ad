"""Explorers and their static fallback: one panel per value, each result returned."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from course_utils.widgets import explorer, log_slider, slider, small_multiples


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def draw(a, b=0.0, *, scale=1.0, ax=None):
    ax.plot([0, 1], [a, b])
    ax.set_title(f"{a}, {b}")
    return scale * (10 * a + b)


def test_a_grid_calls_draw_once_per_panel_with_its_row_and_column_values():
    fig, axes, results = small_multiples(draw, ("a", (1, 2)), ("b", (0, 5, 7)),
                                         fixed={"scale": 2.0})
    pairs = [(a, b) for a in (1, 2) for b in (0, 5, 7)]
    assert axes.shape == (2, 3)
    assert results == {(a, b): 2.0 * (10 * a + b) for a, b in pairs}
    assert [ax.get_title() for ax in axes.flat] == [f"{a}, {b}" for a, b in pairs]
    assert fig.get_size_inches() == pytest.approx((3 * 3.6, 2 * 3.0))


def test_one_row_or_one_column_is_keyed_by_its_value():
    _, axes, results = small_multiples(draw, cols=("a", (1, 2, 3)), panel=(2.0, 2.0))
    assert axes.shape == (1, 3) and results == {1: 10.0, 2: 20.0, 3: 30.0}
    _, axes, results = small_multiples(draw, rows=("a", (4,)), fixed={"b": 1.0})
    assert axes.shape == (1, 1) and results == {4: 41.0}


@pytest.mark.parametrize("kwargs", [
    {}, {"rows": ("a", ())}, {"rows": (1, 2)},
    {"rows": ("a", (1,)), "cols": ("a", (2,))},
    {"rows": ("a", (1,)), "fixed": {"a": 2}},
    {"rows": ("a", (1,)), "fixed": {"ax": None}}])
def test_no_panels_or_a_control_given_twice_is_refused(kwargs):
    with pytest.raises(ValueError):
        small_multiples(draw, **kwargs)


def test_the_explorer_makes_a_widget_per_named_control_and_calls_draw():
    pytest.importorskip("ipywidgets")
    seen = []
    box = explorer(lambda a, b=3.0: seen.append((a, b)),
                   a=slider("a", 0.5, 0.0, 1.0, 0.1), b=log_slider("b", 1.0, 0.1, 10.0))
    assert [c.description for c in box.children[:2]] == ["a", "b"]
    assert seen and seen[-1] == pytest.approx((0.5, 1.0))
