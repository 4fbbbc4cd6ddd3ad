"""Checkpoint and resume so that the resumed run is the run that was never interrupted.

Chapter: 10_real_training

Training is a function of more than the weights. To resume *exactly*, a checkpoint holds
every piece of state the next step reads:

=================  ==========================================  =========================
piece              what is lost without it                     where it lives
=================  ==========================================  =========================
model              everything                                  ``model.state_dict()``
optimizer          momentum buffers, Adam's m, v and t          ``optimizer.state_dict()``
scheduler          the position in the schedule (last_epoch),   ``scheduler.state_dict()``
                   ReduceLROnPlateau's best and counters
torch RNG          dropout masks (CPU, CUDA, MPS generators)    ``torch.get_rng_state()``
data order         which mini-batches come next                 ``generator.get_state()``
=================  ==========================================  =========================

Files are read back with ``torch.load(..., weights_only=True)``, which unpickles only
tensors, plain containers and numbers and a short allow-list (``collections.Counter``,
which MultiStepLR keeps, is on it since torch 2.4, pytorch#98921), so a checkpoint from
somewhere else cannot run code. A NumPy scalar, which enters a state dict as easily as
``lr=np.logspace(...)[k]``, is not on the list; :func:`save_checkpoint` converts such values
to plain Python (:func:`plain`) and then checks the written file, so an unloadable
checkpoint fails when it is saved, not when it is needed.
"""

from __future__ import annotations

from collections import Counter, OrderedDict

import numpy as np
import torch

from .device import mps_available

__all__ = ["CheckpointError", "plain", "rng_state", "set_rng_state", "save_checkpoint",
           "load_checkpoint"]


class CheckpointError(RuntimeError):
    """A checkpoint could not be written in a form that ``weights_only=True`` loads."""


def plain(obj):
    """``obj`` with NumPy scalars turned into Python numbers and arrays into tensors.

    Containers are rebuilt with their own type (dict, OrderedDict, Counter, list, tuple,
    set); everything else is returned as it is.
    """
    if isinstance(obj, np.generic):       # before float: np.float64 *is* a float subclass
        return obj.item()
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, (dict, OrderedDict, Counter)):
        out = type(obj)()               # not type(obj)(pairs): Counter would count the pairs
        for key, value in obj.items():
            out[plain(key)] = plain(value)
        return out
    if isinstance(obj, (list, tuple, set)):
        return type(obj)(plain(v) for v in obj)
    return obj


def rng_state(generator=None):
    """The torch RNG states (CPU; every CUDA device once CUDA is in use; Apple's MPS device
    when present) and ``generator``'s. A model on a GPU draws its dropout masks there."""
    cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if cuda else [],
            "mps": torch.mps.get_rng_state() if mps_available() else None,
            "data": None if generator is None else generator.get_state()}


def set_rng_state(state):
    """Restore the torch RNG states that :func:`rng_state` saved (not the data generator)."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if state.get("mps") is not None and mps_available():   # .get: files saved before MPS was kept
        torch.mps.set_rng_state(state["mps"])


def save_checkpoint(path, *, model, optimizer, scheduler=None, generator=None, extra=None):
    """Write model, optimizer, scheduler, RNG states and ``extra`` (plain data) to ``path``.

    Raises :class:`CheckpointError`, naming the offending types, if the file would not load
    with ``weights_only=True`` (for example a function or an object of your own class).
    """
    state = plain({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": rng_state(generator),
        "extra": extra,
    })
    torch.save(state, path)
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    if unsafe:
        raise CheckpointError(f"this checkpoint would not load with weights_only=True: it holds "
                              f"{', '.join(sorted(unsafe))}; keep only tensors, numbers, strings "
                              "and plain containers in state dicts")


def load_checkpoint(path, *, model, optimizer, scheduler=None, generator=None, rng=True):
    """Load ``path`` (``weights_only=True``) into freshly built objects; return its ``extra``.

    Build the model, the optimizer and the scheduler exactly as at the start of training,
    then call this: the optimizer's state (including lr, ``initial_lr`` and momentum in its
    param groups) replaces what the scheduler's constructor wrote, and the scheduler's state
    replaces its position. ``scheduler=None``, ``generator=None`` or ``rng=False`` leave that
    piece as it is: ``rng`` is torch's own generators, ``generator`` the data order
    (chapter 10 shows what each omission costs).
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if rng:
        set_rng_state(state["rng"])
    if generator is not None:
        if state["rng"]["data"] is None:
            raise CheckpointError(f"{path} holds no data-order generator state to load")
        generator.set_state(state["rng"]["data"])
    return state["extra"]
