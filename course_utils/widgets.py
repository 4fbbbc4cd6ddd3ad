"""Interactive explorers: sliders that redraw a figure, for readers with a live kernel.

Chapter: 01_why_sgd_struggles (used again in 02 and 05).

Every chapter that shows an explorer also shows a static figure beside it, so a reader on
GitHub or in the book site, without a kernel, sees the same lesson.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def log_slider(description: str, value: float, low: float, high: float, steps_per_decade: int = 10):
    """A slider moving on a log scale between ``low`` and ``high`` (both > 0)."""
    import math

    import ipywidgets as w

    if not 0 < low <= value <= high:
        raise ValueError(f"need 0 < low <= value <= high, got {low}, {value}, {high}")
    decades = math.log10(high) - math.log10(low)
    return w.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high),
                            step=decades / max(1, round(decades * steps_per_decade)),
                            description=description, continuous_update=False, readout_format=".3g")


def slider(description: str, value: float, low: float, high: float, step: float):
    """A linear slider that redraws when released (not on every pixel of the drag)."""
    import ipywidgets as w

    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=False, readout_format=".3g")


def explorer(draw: Callable[..., object], **controls):
    """An ``ipywidgets.interactive`` that calls ``draw(**values)`` whenever a control moves.

    Only the named controls become widgets (``draw``'s other parameters keep their defaults),
    and ``draw``'s return value is discarded, so it can return data for the static figure.
    """
    import inspect

    import ipywidgets as w
    import matplotlib.pyplot as plt

    def show(**values):
        draw(**values)
        plt.show()

    show.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in controls])
    return w.interactive(show, **controls)


def small_multiples(draw: Callable[..., object],
                    rows: tuple[str, Sequence] | None = None,
                    cols: tuple[str, Sequence] | None = None, *,
                    fixed: dict | None = None, panel: tuple[float, float] = (3.6, 3.0),
                    sharex: bool = False, sharey: bool = False):
    """The static fallback of an explorer: the same ``draw`` on a grid of panels.

    ``rows`` and ``cols`` each name one control and the values to show, e.g.
    ``("momentum", (0.0, 0.5, 0.9))``; either may be omitted for a single row or column.
    Every panel calls ``draw(ax=ax, **fixed, **{rows[0]: r, cols[0]: c})``. Returns
    the figure, the axes (a 2-D array) and a dict of what ``draw`` returned, keyed by
    ``(r, c)``, or by the one value when only ``rows`` or only ``cols`` is given, so a
    chapter can assert on every panel.
    """
    import matplotlib.pyplot as plt

    if rows is None and cols is None:
        raise ValueError("small_multiples needs rows, cols or both")
    for axis in (rows, cols):
        if axis is not None and (len(axis) != 2 or not isinstance(axis[0], str)
                                 or not len(axis[1])):
            raise ValueError(f"rows and cols are (name, values) pairs, got {axis!r}")
    fixed = dict(fixed or {})
    names = [axis[0] for axis in (rows, cols) if axis is not None] + [*fixed, "ax"]
    if len(set(names)) < len(names):
        raise ValueError(f"a control is given twice (or named ax): {names[:-1]}")
    row_values = list(rows[1]) if rows is not None else [None]
    col_values = list(cols[1]) if cols is not None else [None]
    size = (panel[0] * len(col_values), panel[1] * len(row_values))
    fig, axes = plt.subplots(len(row_values), len(col_values), squeeze=False,
                             sharex=sharex, sharey=sharey, layout="constrained",
                             figsize=size)
    results = {}
    for i, r in enumerate(row_values):
        for j, c in enumerate(col_values):
            values = dict(fixed)
            if rows is not None:
                values[rows[0]] = r
            if cols is not None:
                values[cols[0]] = c
            both = rows is not None and cols is not None
            key = (r, c) if both else (r if cols is None else c)
            results[key] = draw(ax=axes[i, j], **values)
    return fig, axes, results
