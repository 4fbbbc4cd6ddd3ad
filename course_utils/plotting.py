"""The course's plotting style and the few figure types every chapter uses.

Chapter: 00_how_to_use_this_course (used by every chapter).

Each helper takes ``ax=None`` (a new figure when None), draws one idea, returns the Axes and
never calls ``plt.show()``. Only :func:`use_course_style` changes global matplotlib state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

# Colour-blind-safe palette (Okabe & Ito, 2008): one colour per method, the same in every chapter.
# Every figure in the course takes its colours from here, by name; none is typed elsewhere.
BLUE, VERMILLION, GREEN, PURPLE = "#0072B2", "#D55E00", "#009E73", "#CC79A7"
ORANGE, SKY, YELLOW, BLACK = "#E69F00", "#56B4E9", "#F0E442", "#000000"
GREY = "#999999"           # reference lines and baselines (a constant rate, a limit, a marker)
WHITE = "#FFFFFF"          # lines drawn over a colour map
PALETTE = (BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY, YELLOW, BLACK)  # the cycle, in this order

COURSE_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "figure.constrained_layout.use": True,
    "svg.hashsalt": "course",  # deterministic SVG ids
}


def use_course_style() -> None:
    """Apply the course style to matplotlib (the one helper that changes global state)."""
    mpl.rcParams.update(COURSE_STYLE)


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=float)


def plot_contours(f: Callable, xlim=(-1.0, 1.0), ylim=(-1.0, 1.0), *, ax=None, levels=20,
                  resolution: int = 200, log: bool = False, minimizer=None, cmap="Greys"):
    """Contour lines of a function of two variables ``f(w)``, ``w`` of shape (..., 2).

    ``f`` is evaluated once on a ``resolution × resolution`` grid (float64). With ``log=True``
    the levels are spaced logarithmically, which suits functions spanning many decades.
    """
    ax = _axes(ax)
    xs = torch.linspace(*xlim, resolution, dtype=torch.float64)
    ys = torch.linspace(*ylim, resolution, dtype=torch.float64)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")
    with torch.no_grad():
        Z = _numpy(f(torch.stack([X, Y], dim=-1)))
    if log:
        shift = Z.min()
        Z = Z - shift + 1e-12
        levels = np.geomspace(max(Z.min(), 1e-12) * 10, Z.max(), levels if isinstance(levels, int) else 20)
    ax.contour(_numpy(X), _numpy(Y), Z, levels=levels, cmap=cmap, linewidths=0.7)
    if minimizer is not None:
        m = _numpy(minimizer)
        ax.plot(m[0], m[1], marker="*", color=BLACK, markersize=10, linestyle="none", label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    return ax


def plot_trajectory(path, *, ax=None, label: str | None = None, color=None, marker="o",
                    markersize: float = 3.0):
    """Draw an optimizer's path through a 2-D parameter space, from a (T, 2) array of iterates."""
    ax = _axes(ax)
    p = _numpy(path)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"a trajectory must have shape (steps, 2), got {tuple(p.shape)}")
    ax.plot(p[:, 0], p[:, 1], marker=marker, markersize=markersize, label=label, color=color)
    return ax


def plot_loss_curves(curves: Mapping[str, Sequence[float]], *, ax=None, logy: bool = True,
                     xlabel: str = "step", ylabel: str = "loss", x=None):
    """Loss (or distance-to-optimum) curves, one line per named run, on a log y-axis by default."""
    ax = _axes(ax)
    for name, ys in curves.items():
        ys = _numpy(ys)
        xs = np.arange(len(ys)) if x is None else _numpy(x)[: len(ys)]
        ax.plot(xs, ys, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if curves:
        ax.legend()
    return ax


def plot_lr_schedule(lrs: Sequence[float] | Mapping[str, Sequence[float]], *, ax=None,
                     logy: bool = False, xlabel: str = "step", ylabel: str = "learning rate"):
    """Learning rate against step: one sequence, or several named ones on the same Axes."""
    ax = _axes(ax)
    named = lrs if isinstance(lrs, Mapping) else {None: lrs}
    for name, ys in named.items():
        ys = _numpy(ys)
        ax.step(np.arange(len(ys)), ys, where="post", label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if any(name is not None for name in named):
        ax.legend()
    return ax
