"""Interactive explorers: sliders that redraw a figure, for readers with a live kernel.

Chapter: 01_why_sgd_struggles (used again in 02 and 05).

Every chapter that shows an explorer also shows a static figure beside it, so a reader on
GitHub or in the book site, without a kernel, sees the same lesson.
"""

from __future__ import annotations

from collections.abc import Callable


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
