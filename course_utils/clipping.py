"""Gradient clipping by the global norm, from scratch, and as a hook on any optimizer.

Chapter: 13_training_practice.

g is every parameter's gradient stacked into one vector, G is ``max_norm``:

    ‖g‖ = (Σ_p ‖g_p‖²)^{1/2} ;   g ← g · min(1, G / (‖g‖ + 10⁻⁶))                     (13.11)

so a plain SGD step moves the weights by at most η_t G, whatever the gradient:

    ‖θ_t − θ_{t-1}‖ = η_t ‖g‖ · min(1, G / (‖g‖ + 10⁻⁶)) < η_t G                       (13.12)

Clipping caps the step's *length*; the learning rate still sets its scale. The 10⁻⁶ and the
clamp at 1 are torch's (``torch.nn.utils.clip_grad_norm_``), so the two agree bitwise on
float32 and float64.
"""

from __future__ import annotations

import torch

__all__ = ["clip_grad_norm", "ClipOnStep"]

EPS = 1e-6


@torch.no_grad()
def clip_grad_norm(parameters, max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``parameters`` in place by (13.11); return the norm before clipping."""
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norms = torch.stack([torch.linalg.vector_norm(g, 2) for g in grads])
    total = torch.linalg.vector_norm(norms, 2)                                 # (13.11) ‖g‖
    factor = torch.clamp(max_norm / (total + EPS), max=1.0)                    # (13.11) min(1, G/(‖g‖+ε))
    for g in grads:
        g.mul_(factor.to(g.device, g.dtype))
    return total


class ClipOnStep:
    """Clip before every ``optimizer.step()`` through a step pre-hook, so any training loop
    (``course_utils.train.train`` included) clips without being changed. ``norms`` records
    the global norm (13.11) before clipping, one float per step; ``remove()`` detaches it."""

    def __init__(self, optimizer: torch.optim.Optimizer, max_norm: float):
        if max_norm <= 0:
            raise ValueError(f"max_norm must be > 0, got {max_norm}")
        self.max_norm, self.norms = max_norm, []
        self._params = [p for group in optimizer.param_groups for p in group["params"]]
        self._handle = optimizer.register_step_pre_hook(self._hook)

    def _hook(self, optimizer, args, kwargs):
        self.norms.append(float(clip_grad_norm(self._params, self.max_norm)))

    @property
    def clipped_fraction(self) -> float:
        """The fraction of steps whose gradient norm exceeded ``max_norm``."""
        return sum(n > self.max_norm for n in self.norms) / max(len(self.norms), 1)

    def remove(self) -> None:
        self._handle.remove()
