"""Gradient accumulation: k micro-batches, one optimizer step, one scheduler step.

Chapter: 13_training_practice.

A mini-batch B of n examples is cut into micro-batches M_1 … M_k (sizes b_1 … b_k, Σ b_j = n)
that fit in memory one at a time. The loss of B is the mean over its examples, so

    ∇L_B = (1/n) Σ_{i∈B} ∇ℓ_i = Σ_j (b_j / n) · ∇L_{M_j}                        (13.6)

where L_{M_j} is the mean loss of micro-batch j. ``backward()`` adds into ``p.grad``, so
calling it on (b_j / n) · L_{M_j} for every j leaves exactly ∇L_B in ``p.grad``; then the
optimizer steps once. Weighting by b_j / n rather than 1/k keeps (13.6) exact when the last
micro-batch is shorter. (Layers that look across a batch, such as BatchNorm, see micro-batch
statistics, so for them (13.6) holds only approximately.)

The rule for the learning rate: a scheduler counts *optimizer steps*, so it is stepped once
per k micro-batches, after ``optimizer.step()``. Stepping it per micro-batch runs the whole
schedule k times too fast (:func:`train_steps` with ``scheduler_per_micro_batch=True`` shows it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["micro_batches", "accumulate_gradients", "train_steps"]


def micro_batches(index: torch.Tensor, k: int) -> tuple[torch.Tensor, ...]:
    """Cut the index tensor of one mini-batch into ``k`` micro-batches of near-equal size
    (the first ones one longer when ``k`` does not divide the batch)."""
    if not 1 <= k <= len(index):
        raise ValueError(f"k must be between 1 and the batch size {len(index)}, got {k}")
    return torch.tensor_split(index, k)


def accumulate_gradients(model, x, y, index, k, *, loss_fn=F.cross_entropy, divide_by_k=False) -> float:
    """Add the gradient of the mean loss over ``x[index]`` into every ``p.grad``, computed in
    ``k`` micro-batches (13.6); return that mean loss as a float.

    ``divide_by_k=True`` weights every micro-batch by 1/k instead of b_j/n: the common
    shortcut, exact only when all micro-batches have the same size.
    """
    n, total = len(index), 0.0
    for part in micro_batches(index, k):
        weight = 1 / k if divide_by_k else len(part) / n                # (13.6) b_j / n
        loss = loss_fn(model(x[part]), y[part])
        (weight * loss).backward()                                     # (13.6) adds into p.grad
        total += weight * loss.item()
    return total


def train_steps(model, optimizer, x, y, batches, *, k=1, scheduler=None,
                scheduler_per_micro_batch=False, loss_fn=F.cross_entropy) -> dict:
    """One optimizer step per index tensor of ``batches``, each accumulated over ``k``
    micro-batches; the scheduler (if any) steps once after each optimizer step, or, with
    ``scheduler_per_micro_batch=True`` (the bug), once after each micro-batch.

    Returns ``{"loss": [...], "lr": [...]}``: the mini-batch loss and group 0's lr used by
    each optimizer step.
    """
    record = {"loss": [], "lr": []}
    for index in batches:
        record["lr"].append(float(optimizer.param_groups[0]["lr"]))
        optimizer.zero_grad()
        record["loss"].append(accumulate_gradients(model, x, y, index, k, loss_fn=loss_fn))
        optimizer.step()
        if scheduler is not None:
            for _ in range(k if scheduler_per_micro_batch else 1):
                scheduler.step()
    return record
