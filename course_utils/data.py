"""The 8×8 handwritten digits that ship in ``data/``, verified before they are used.

Chapter: 08_real_training.

Nothing is downloaded: the file sits in the repository with its source, licence and sha256
(``data/README.md``). A missing, truncated or altered file is refused with an error that
names it, never read into a silently wrong data set.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DIGITS_FILE = "digits.npz"
DIGITS_SHA256 = "b2dab7b501728c22e9119ad76740b2e17c77a231e42d1e592380d90886f1a05e"
ENV_VAR = "COURSE_DATA_DIR"


class DataError(RuntimeError):
    """A course data file is missing, corrupted or malformed."""


def data_dir() -> Path:
    """Where the course data lives: the first of these folders that exists.

    1. ``$COURSE_DATA_DIR``, when it is set (a copy kept elsewhere);
    2. ``course_utils/_data``: the copy of ``data/`` that an installed package carries
       (``pip install .`` or a wheel; ``pyproject.toml`` maps that package onto ``data/``);
    3. ``data/`` beside the package, at the repository root (a clone, ``pip install -e .``);
    4. ``data/`` in the working directory or a folder above it (a notebook inside a clone).

    When none is found, the repository's ``data/`` is returned and :func:`verified_path`
    refuses the missing file with its full path and the variable that points elsewhere.
    """
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    package = Path(__file__).resolve().parent
    if (package / "_data").is_dir():
        return package / "_data"
    here = package.parent / "data"
    if here.is_dir():
        return here
    for base in (Path.cwd(), *Path.cwd().parents):  # a notebook started inside the repository
        if (base / "data" / DIGITS_FILE).is_file():
            return base / "data"
    return here


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_path(name: str = DIGITS_FILE, expected: str = DIGITS_SHA256, directory: Path | None = None) -> Path:
    """Return the path of a data file after checking its sha256; raise :class:`DataError` if it fails."""
    path = Path(directory or data_dir()) / name
    if not path.is_file():
        raise DataError(f"data file {path} is missing: the course ships it in data/ "
                        f"(set {ENV_VAR} if your copy lives elsewhere); nothing is downloaded")
    actual = sha256(path)
    if actual != expected:
        raise DataError(f"data file {path} is corrupted: sha256 {actual} does not match the expected "
                        f"{expected} recorded in data/README.md; restore it from the repository")
    return path


@dataclass(frozen=True)
class Digits:
    """A train/test split: images (N, 1, 8, 8) scaled to [0, 1], labels (N,) int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def __repr__(self) -> str:
        return (f"Digits(train={tuple(self.x_train.shape)}, test={tuple(self.x_test.shape)}, "
                f"dtype={self.x_train.dtype}, device={self.x_train.device.type})")


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded split that keeps each class's share the same in train and test."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_digits(*, device=None, dtype: torch.dtype = torch.float32, test_fraction: float = 0.2,
                seed: int = 0, directory: Path | None = None) -> Digits:
    """Load the verified digits and return a fixed, seeded, stratified train/test split."""
    path = verified_path(directory=directory)
    with np.load(path) as f:
        images, labels = f["images"], f["labels"]
    if images.shape != (1797, 8, 8) or labels.shape != (1797,) or images.max() > 16 or labels.max() > 9:
        raise DataError(f"data file {path} has unexpected contents: images {images.shape}, labels {labels.shape}")
    train, test = stratified_split(labels, test_fraction, seed)
    x = torch.from_numpy(images.astype(np.float32) / 16.0).unsqueeze(1).to(dtype)
    y = torch.from_numpy(labels.astype(np.int64))
    if device is None:
        from .device import get_device
        device = get_device()
    tr, te = torch.from_numpy(train), torch.from_numpy(test)
    return Digits(x[tr].to(device), y[tr].to(device), x[te].to(device), y[te].to(device))
