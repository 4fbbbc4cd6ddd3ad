"""Verification helpers: show package code in a chapter, and run two optimizers side by side.

Chapter: 00_how_to_use_this_course (used by every chapter that compares with torch).

:func:`compare_optimizers` is how the course proves a from-scratch optimizer (and scheduler)
equal to ``torch.optim``: both start from the same parameters, see the same gradients for
the same number of steps, and every intermediate iterate is compared, not only the last.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from course_utils.stepping import LRDriver

# torch.testing.assert_close's defaults, which the course uses as "allclose" per dtype.
DEFAULT_TOLERANCES = {
    torch.float64: (1e-7, 1e-7),
    torch.float32: (1.3e-6, 1e-5),
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
}


def show_source(obj, *, display: bool = True) -> str | None:
    """Show the source code of a function, class or module from ``course_utils`` in a chapter.

    In Jupyter it renders as a highlighted Python block (the plain-text form is the code
    itself, so nbval compares the code and a changed package shows up as a changed output).
    With ``display=False`` nothing is shown and the source is returned instead.
    """
    source = inspect.getsource(obj)
    if not display:
        return source
    try:
        from IPython import get_ipython
        from IPython.display import display as ipy_display
    except ImportError:  # plain Python: print it
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(source)
    else:
        ipy_display({"text/markdown": f"```python\n{source}```", "text/plain": source}, raw=True)
    return None


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_optimizers` found, over every step of both runs."""

    name_a: str
    name_b: str
    steps: int
    dtype: torch.dtype
    exact: bool            # bitwise equal at every step
    allclose: bool         # within (rtol, atol) at every step
    max_abs_diff: float
    max_rel_diff: float
    rtol: float
    atol: float
    rel_diff_per_step: tuple[float, ...] = ()   # the largest relative difference after each step

    def __str__(self) -> str:
        verdict = "bitwise equal" if self.exact else ("allclose" if self.allclose else "DIFFERENT")
        return (f"{self.name_a} vs {self.name_b}, {self.steps} steps, {str(self.dtype).replace('torch.', '')}: "
                f"{verdict} (max |diff| {self.max_abs_diff:.1e}, max rel diff {self.max_rel_diff:.1e})")

    def assert_close(self) -> "Comparison":
        """Raise AssertionError unless every step was within tolerance; return self to chain."""
        if not self.allclose:
            raise AssertionError(f"{self} exceeds rtol={self.rtol:g}, atol={self.atol:g}")
        return self


def _name(factory) -> str:
    return getattr(factory, "__qualname__", None) or type(factory).__name__


def compare_optimizers(make_a: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
                       make_b: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
                       loss_fn: Callable[[Sequence[torch.Tensor]], torch.Tensor],
                       init: Sequence[torch.Tensor], *, steps: int = 20,
                       make_scheduler_a: Callable | None = None,
                       make_scheduler_b: Callable | None = None,
                       rtol: float | None = None, atol: float | None = None,
                       names: tuple[str, str] | None = None) -> Comparison:
    """Train two copies of ``init`` with two optimizers and compare them after every step.

    ``make_a(params)`` / ``make_b(params)`` build the optimizers; ``loss_fn(params)`` returns
    a scalar loss (it may draw noise, but must then be deterministic given the step, since it
    is called once per run per step). ``make_scheduler_a(opt)`` / ``make_scheduler_b(opt)``,
    if given, build schedulers that are stepped after every optimizer step
    (:class:`~course_utils.stepping.LRDriver`).
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    dtype = init[0].dtype
    default_rtol, default_atol = DEFAULT_TOLERANCES.get(dtype, (1e-7, 1e-7))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol

    runs = []
    for make, make_scheduler in ((make_a, make_scheduler_a), (make_b, make_scheduler_b)):
        params = [p.detach().clone().requires_grad_(True) for p in init]
        opt = make(params)
        driver = LRDriver(opt, make_scheduler(opt) if make_scheduler is not None else None)
        trace = []
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(params).backward()
            opt.step()
            driver.step()
            trace.append([p.detach().clone() for p in params])
        runs.append(trace)

    exact, close, max_abs, max_rel, per_step = True, True, 0.0, 0.0, []
    for step_a, step_b in zip(*runs):
        step_rel = 0.0
        for a, b in zip(step_a, step_b):
            diff = (a - b).abs()
            exact &= torch.equal(a, b)
            close &= torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
            max_abs = max(max_abs, float(diff.max()) if diff.numel() else 0.0)
            scale = torch.maximum(a.abs(), b.abs()).clamp_min(torch.finfo(dtype).tiny)
            step_rel = max(step_rel, float((diff / scale).max()) if diff.numel() else 0.0)
        per_step.append(step_rel)
        max_rel = max(max_rel, step_rel)
    name_a, name_b = names if names is not None else (_name(make_a), _name(make_b))
    return Comparison(name_a, name_b, steps, dtype, exact, close, max_abs, max_rel, rtol, atol,
                      tuple(per_step))
