"""The 8×8 handwritten digits that ship in ``data/``, verified before they are used.

Chapter: 10_real_training.

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


# ── Fashion-MNIST (chapter 12_evidence_on_fashion_mnist) ─────────────────────────────────────

FASHION_DIR = "fashion-mnist"
FASHION_FILES = {  # file → sha256, as recorded in data/README.md
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (LeCun's MNIST format) of unsigned bytes into a NumPy array.

    The header is two zero bytes, a type byte (0x08: unsigned byte), the number of
    dimensions d, then d big-endian uint32 sizes; the data follow in C order.
    """
    import gzip

    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"data file {path} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)):
        raise DataError(f"data file {path} holds {len(raw) - offset} bytes of data, "
                        f"its header promises {int(np.prod(shape))} for shape {shape}")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape)


@dataclass(frozen=True)
class FashionMNIST:
    """Fixed train/validation/test splits: images (N, 1, 28, 28) scaled to [0, 1], labels int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def validation(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x_val, self.y_val

    def __repr__(self) -> str:
        return (f"FashionMNIST(train={tuple(self.x_train.shape)}, val={tuple(self.x_val.shape)}, "
                f"test={tuple(self.x_test.shape)}, dtype={self.x_train.dtype}, "
                f"device={self.x_train.device.type})")


def load_fashion_mnist(*, device=None, dtype: torch.dtype = torch.float32, validation: int = 5000,
                       seed: int = 0, directory: Path | None = None) -> FashionMNIST:
    """Load the verified Fashion-MNIST files and return fixed splits.

    Training: the official 60,000 training images minus ``validation`` of them, held out
    class-stratified with ``seed`` (default 55,000 / 5,000, 500 per class). Test: the
    official 10,000. Normalisation: pixel / 255, so inputs lie in [0, 1]; no mean or
    standard-deviation shift, so a reader can undo it by eye.
    """
    if not 0 < validation < 60000:
        raise ValueError(f"validation must be between 1 and 59999 images, got {validation}")
    folder = Path(directory or data_dir() / FASHION_DIR)
    paths = {name: verified_path(name, digest, folder) for name, digest in FASHION_FILES.items()}
    arrays = {name: read_idx(path) for name, path in paths.items()}
    train_x, train_y = arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]
    test_x, test_y = arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]
    if train_x.shape != (60000, 28, 28) or train_y.shape != (60000,) or test_x.shape != (10000, 28, 28) \
            or test_y.shape != (10000,) or max(train_y.max(), test_y.max()) > 9:
        raise DataError(f"Fashion-MNIST files in {folder} have unexpected shapes or labels")
    keep, held = stratified_split(train_y, validation / len(train_y), seed)
    if device is None:
        from .device import get_device
        device = get_device()

    def images(a):
        return (torch.from_numpy(a.astype(np.float32) / 255.0).unsqueeze(1).to(dtype)).to(device)

    def labels(a):
        return torch.from_numpy(a.astype(np.int64)).to(device)

    return FashionMNIST(images(train_x[keep]), labels(train_y[keep]), images(train_x[held]),
                        labels(train_y[held]), images(test_x), labels(test_y))
