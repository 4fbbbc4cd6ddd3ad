"""Watch ReduceLROnPlateau decide: replay a metric curve and record its state at every epoch.

Chapter: 09_reduce_lr_on_plateau

:func:`trace_plateau` steps a ReduceLROnPlateau (torch's or the course's; both keep the same
attributes) once per value of a recorded metric curve and returns, per epoch, what the
scheduler saw and did. :func:`plot_plateau_timeline` draws that record as three aligned
panels: the metric and the best value so far, the bad-epoch counter against the patience
(cooldown shaded), and the lr on a log axis, with each reduction marked.

Replaying a recorded curve is *open loop*: the metric does not react to the lr the
scheduler sets, which is what lets two implementations be compared on the same input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter
import numpy as np

from course_utils.plotting import BLACK, GREY, SKY, VERMILLION
from course_utils.stepping import LRDriver

__all__ = ["PlateauTrace", "trace_plateau", "plot_plateau_timeline"]


@dataclass(frozen=True)
class PlateauTrace:
    """Per epoch, after ``scheduler.step(metric)``: the lr of every group, ``best``,
    ``num_bad_epochs``, ``cooldown_counter``, and whether any group's lr was reduced."""

    metric: tuple
    lrs: tuple           # one tuple of per-group lrs per epoch
    best: tuple
    num_bad_epochs: tuple
    cooldown_counter: tuple
    reduced: tuple
    patience: int

    @property
    def lr(self):
        """Group 0's lr at each epoch."""
        return tuple(lrs[0] for lrs in self.lrs)

    @property
    def reductions(self):
        """The epochs (counting from 1) at whose step the lr was reduced."""
        return tuple(e + 1 for e, r in enumerate(self.reduced) if r)

    def state(self):
        """Everything but the metric, as one tuple: equal traces mean equal decisions."""
        return (self.lrs, self.best, self.num_bad_epochs, self.cooldown_counter, self.reduced)


def trace_plateau(scheduler, metrics):
    """Step ``scheduler`` once per value of ``metrics`` and record its state (a PlateauTrace)."""
    columns = {"metric": [], "lrs": [], "best": [], "num_bad_epochs": [], "cooldown_counter": [],
               "reduced": []}
    driver = LRDriver(scheduler.optimizer, scheduler)
    if not driver.needs_metric:
        raise TypeError(f"trace_plateau replays a ReduceLROnPlateau, got {type(scheduler).__name__}")
    before = tuple(float(g["lr"]) for g in scheduler.optimizer.param_groups)
    for metric in metrics:
        driver.step(metric)
        after = tuple(float(g["lr"]) for g in scheduler.optimizer.param_groups)
        columns["metric"].append(float(metric))
        columns["lrs"].append(after)
        columns["best"].append(float(scheduler.best))
        columns["num_bad_epochs"].append(scheduler.num_bad_epochs)
        columns["cooldown_counter"].append(scheduler.cooldown_counter)
        columns["reduced"].append(after != before)
        before = after
    return PlateauTrace(**{k: tuple(v) for k, v in columns.items()}, patience=scheduler.patience)


def plot_plateau_timeline(trace, *, axes=None, metric_label="metric", title=None):
    """Three stacked panels sharing the epoch axis: the metric and the best so far; the
    bad-epoch count (at a cut, the P + 1 that triggered it, before the reset) against
    ``patience``, with the cooldown epochs (whose bad epochs are not counted) shaded; the lr
    (log scale). Each reduction is a vertical line. ``axes``: three Axes, or None for a new
    figure. Returns the Axes."""
    if axes is None:
        _, axes = plt.subplots(3, 1, sharex=True, figsize=(6.4, 6.0),
                               gridspec_kw={"height_ratios": [2, 1, 1]})
    ax_m, ax_bad, ax_lr = axes
    epochs = np.arange(1, len(trace.metric) + 1)
    best = [b if math.isfinite(b) else np.nan for b in trace.best]
    ax_m.plot(epochs, trace.metric, marker="o", markersize=3, label=metric_label)
    ax_m.step(epochs, best, where="post", linestyle="--", label="best so far")
    ax_m.set_ylabel(metric_label)
    ax_m.legend()
    counted = [trace.patience + 1 if cut else k for k, cut in zip(trace.num_bad_epochs, trace.reduced)]
    colours = [VERMILLION if cut else GREY for cut in trace.reduced]
    ax_bad.bar(epochs, counted, width=0.8, color=colours, label="bad epochs in a row")
    ax_bad.axhline(trace.patience + 0.5, color=BLACK, linewidth=1,
                   label=f"patience {trace.patience}: cut when a bar passes this line")
    for e, left in zip(epochs, trace.cooldown_counter):
        if left > 0 and e < epochs[-1]:  # the next epoch consumes one cooldown epoch
            ax_bad.axvspan(e + 0.5, e + 1.5, color=SKY, alpha=0.3, linewidth=0)
    ax_bad.set_ylim(0, trace.patience + 3)
    ax_bad.set_ylabel("bad epochs")
    ax_bad.legend(loc="upper left")
    ax_lr.step(epochs, trace.lr, where="post")
    for e in trace.reductions:
        for ax in axes:
            ax.axvline(e, color=VERMILLION, linewidth=1, alpha=0.7)
    ax_lr.set_yscale("log")
    levels = sorted(set(trace.lr))
    if len(levels) <= 6:  # label each lr the run used, rather than powers of ten
        ax_lr.set_yticks(levels, [f"{lr:.3g}" for lr in levels])
        ax_lr.yaxis.set_minor_formatter(NullFormatter())
    ax_lr.set_ylabel("lr after the epoch")
    ax_lr.set_xlabel("epoch")
    if title:
        ax_m.set_title(title)
    return axes
