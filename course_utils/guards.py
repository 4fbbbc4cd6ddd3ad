"""Stop a diverging run with a message that says where and why, never a silent NaN.

Chapter: 06_lr_decay, 10_real_training (used by every training loop in the course).
"""

from __future__ import annotations

import math

import torch


class DivergenceError(FloatingPointError):
    """A loss or an iterate became non-finite (inf or NaN) during optimization."""


def format_lrs(lr) -> str:
    """``lr`` as a DivergenceError message shows it: ``0.1``, or ``[0.1, 0.01]`` per group.

    ``lr`` is a number, a list of per-group numbers, or the optimizer itself."""
    if isinstance(lr, torch.optim.Optimizer):
        lr = [g["lr"] for g in lr.param_groups]
    if isinstance(lr, (list, tuple)):
        return "[" + ", ".join(f"{float(x):.4g}" for x in lr) + "]"
    return f"{float(lr):.4g}"


def check_finite(value, *, step: int, lr, what: str = "loss"):
    """Return ``value`` unchanged if every entry is finite, else raise :class:`DivergenceError`.

    ``lr`` is a number, a list of per-group numbers, or the optimizer itself; the message names
    the step and the learning rate so the reader knows which setting blew up, and when.
    """
    if isinstance(value, torch.Tensor):
        ok = torch.isfinite(value.detach())
        finite = bool(ok.all())
        if value.numel() == 1:
            detail = f"{what} is {float(value.detach().flatten()[0])}"
        else:
            bad = int((~ok).sum())
            detail = f"{what} has {bad} non-finite {'entry' if bad == 1 else 'entries'} of {value.numel()}"
    else:
        finite = math.isfinite(float(value))
        detail = f"{what} is {float(value)}"
    if not finite:
        raise DivergenceError(f"diverged at step {step} with learning rate {format_lrs(lr)}: {detail}; "
                              f"lower the learning rate (or warm it up) and run again")
    return value
