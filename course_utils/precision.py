"""Mixed precision: loss scaling, skipped steps and the scheduler, bytes per parameter.

Chapter: 13_training_practice.

float16 overflows above 65504, and small gradients underflow to zero. Loss scaling multiplies
the loss by s before ``backward()`` and divides the gradients by s before the step; a step
whose gradients are not finite is skipped and s shrinks (``torch.amp.GradScaler``):

    ĝ = ∇(s · L) / s ;   θ_t = θ_{t-1} − η_t ĝ  if ĝ is finite, else θ_t = θ_{t-1}, s ← s/2   (13.7)

A skipped step never calls ``optimizer.step()``; a scheduler stepped anyway moves on to
η_{t+1} (so η_t is never used), and if that happens at the very first step torch's
scheduler warns "Detected call of `lr_scheduler.step()` before `optimizer.step()`".
:func:`amp_step` can step the scheduler only when the optimizer stepped.

Memory per parameter (:func:`bytes_per_parameter`): the weights the model computes with,
their gradients, an fp32 master copy when the compute weights are 16-bit, and the optimizer
state (SGD momentum: one buffer, Adam/AdamW: two) in ``state_dtype``:

    bytes/param = weight + grad + [master] + N_state · state,   N_state = 0, 1 or 2   (13.8)
"""

from __future__ import annotations

import torch

__all__ = ["STATE_BUFFERS", "bytes_per_parameter", "state_bytes", "amp_step"]

STATE_BUFFERS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}


def _size(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def bytes_per_parameter(optimizer: str, *, weight_dtype=torch.float32, grad_dtype=None,
                        master_weights=None, state_dtype=torch.float32) -> dict:
    """(13.8) by component: ``{"weights", "grads", "master", "state", "total"}`` in bytes.

    ``grad_dtype`` defaults to the weights'; ``master_weights`` (an fp32 copy the optimizer
    updates) defaults to True when the weights are narrower than 32 bits.
    """
    if optimizer not in STATE_BUFFERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {sorted(STATE_BUFFERS)}")
    grad_dtype = weight_dtype if grad_dtype is None else grad_dtype
    if master_weights is None:
        master_weights = _size(weight_dtype) < 4
    parts = {"weights": _size(weight_dtype), "grads": _size(grad_dtype),
             "master": 4 if master_weights else 0,
             "state": STATE_BUFFERS[optimizer] * _size(state_dtype)}
    parts["total"] = sum(parts.values())                                       # (13.8)
    return parts


def state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes held by the tensors of ``optimizer.state`` (step counters included)."""
    return sum(v.numel() * v.element_size() for s in optimizer.state.values()
               for v in s.values() if isinstance(v, torch.Tensor))


def amp_step(scaler, optimizer, loss, scheduler=None, *, step_scheduler_on_skip=True) -> bool:
    """Backward the scaled ``loss``, step through ``scaler`` (13.7), update the scale; return
    True if the optimizer stepped, False if the step was skipped for non-finite gradients.

    The scheduler steps after every call (``step_scheduler_on_skip=True``, the plain loop)
    or only after the steps that were taken.
    """
    optimizer.zero_grad()
    scaler.scale(loss).backward()                                              # (13.7) ∇(s L)
    before = scaler.get_scale()
    scaler.step(optimizer)                                                     # (13.7) unscale, skip if not finite
    scaler.update()
    stepped = not scaler.is_enabled() or scaler.get_scale() >= before          # a skip halves s
    if scheduler is not None and (stepped or step_scheduler_on_skip):
        scheduler.step()
    return stepped
