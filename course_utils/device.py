"""Device choice and reproducibility: one helper picks the device for the whole course.

Chapter: 00_how_to_use_this_course (used by every chapter).

The order is CUDA, then Apple's MPS, then the CPU. Set the environment variable
``COURSE_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``) to override the choice, for
example to check that a chapter still runs on the CPU on a machine with a GPU.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

ENV_VAR = "COURSE_DEVICE"


def mps_available() -> bool:
    """True when this torch build has Apple's MPS backend and the machine has the device."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device the course runs on: CUDA → MPS → CPU.

    ``prefer`` (or, when it is None, the ``COURSE_DEVICE`` environment variable) forces a
    device; asking for one that is not present raises ``RuntimeError`` rather than quietly
    falling back, so a lecture never runs on a device other than the one announced.
    """
    wanted = prefer if prefer is not None else os.environ.get(ENV_VAR, "").strip()
    if wanted:
        device = torch.device(wanted)  # raises RuntimeError on a malformed name
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {wanted!r} was asked for (argument or {ENV_VAR}), "
                               "but torch sees no CUDA device")
        if device.type == "mps" and not mps_available():
            raise RuntimeError(f"device {wanted!r} was asked for (argument or {ENV_VAR}), "
                               "but torch sees no MPS device")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device | str | None = None) -> str:
    """One line naming the device, e.g. ``cuda (NVIDIA H100 80GB HBM3)`` or ``cpu (2 threads)``."""
    device = get_device() if device is None else torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        n = torch.get_num_threads()
        return f"cpu ({n} thread{'s' if n != 1 else ''})"
    return device.type


def synchronize(device: torch.device | str) -> None:
    """Wait until every kernel queued on ``device`` has finished (CUDA and MPS run them
    asynchronously); a no-op on the CPU. Call it before reading a clock."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices) and return a fresh seeded CPU generator.

    Chapters pass the returned generator explicitly where the order of random draws matters,
    so that adding a cell never shifts the numbers of a later one.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def setup(seed: int = 0, *, threads: int | None = None, quiet: bool = False) -> torch.device:
    """The first cell of every chapter: seed everything, apply the course style, pick the device.

    ``threads`` caps torch's CPU threads (chapters that train models of a few thousand
    weights use 1: splitting such small operations across cores costs more than it saves).
    Prints the device once (``Device: …``) unless ``quiet``; nbval sanitizes that line, so a
    chapter's committed outputs compare equal on a laptop and on a GPU machine.
    """
    from .plotting import use_course_style

    if threads is not None:
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        torch.set_num_threads(threads)
    seed_everything(seed)
    use_course_style()
    device = get_device()
    if not quiet:
        print(f"Device: {describe_device(device)}")
    return device
