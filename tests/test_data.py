import shutil

import numpy as np
import pytest
import torch

from course_utils import data


def test_shipped_file_matches_its_recorded_sha256():
    path = data.verified_path()
    assert data.sha256(path) == data.DIGITS_SHA256
    readme = (path.parent / "README.md").read_text()
    assert data.DIGITS_SHA256 in readme


def test_readme_describes_the_shipped_file():
    path = data.verified_path()
    readme = (path.parent / "README.md").read_text()
    with np.load(path) as f:
        images, labels = f["images"], f["labels"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and int(images.max()) == 16
    counts = ", ".join(str(c) for c in np.bincount(labels, minlength=10))
    assert f"| class counts | {counts} (digits 0–9) |" in readme
    assert f"| size | {path.stat().st_size} bytes |" in readme


def test_split_is_fixed_seeded_stratified_and_disjoint():
    d = data.load_digits(device="cpu")
    assert d.x_train.shape == (1438, 1, 8, 8) and d.x_test.shape == (359, 1, 8, 8)
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    assert 0.0 <= float(d.x_train.min()) and float(d.x_train.max()) == 1.0
    again = data.load_digits(device="cpu")
    assert torch.equal(d.x_train, again.x_train) and torch.equal(d.y_test, again.y_test)
    other = data.load_digits(device="cpu", seed=1)
    assert not torch.equal(d.y_test, other.y_test)
    share_train = torch.bincount(d.y_train, minlength=10) / len(d.y_train)
    share_test = torch.bincount(d.y_test, minlength=10) / len(d.y_test)
    assert (share_train - share_test).abs().max() < 0.01
    train, test = data.stratified_split(np.repeat(np.arange(10), 50), 0.2, seed=0)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 500


def test_a_corrupted_file_is_refused_with_its_name(tmp_path):
    target = tmp_path / data.DIGITS_FILE
    shutil.copy(data.verified_path(), target)
    raw = bytearray(target.read_bytes())
    raw[100] ^= 0xFF
    target.write_bytes(bytes(raw))
    with pytest.raises(data.DataError, match=rf"{data.DIGITS_FILE} is corrupted: sha256"):
        data.load_digits(directory=tmp_path, device="cpu")


def test_a_missing_file_is_refused_with_its_name(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    with pytest.raises(data.DataError, match=rf"{tmp_path}/{data.DIGITS_FILE} is missing"):
        data.load_digits(device="cpu")


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1])
def test_test_fraction_is_checked(bad):
    with pytest.raises(ValueError, match="test_fraction must be in"):
        data.load_digits(device="cpu", test_fraction=bad)


def test_float64_and_device_are_honoured():
    d = data.load_digits(device="cpu", dtype=torch.float64)
    assert d.x_test.dtype == torch.float64 and d.x_test.device.type == "cpu"


# ── Fashion-MNIST ─────────────────────────────────────────────────────────────────────────────

@pytest.fixture(scope="module")
def fashion():
    return data.load_fashion_mnist(device="cpu")


def test_fashion_files_match_the_sha256_in_the_readme():
    folder = data.data_dir() / data.FASHION_DIR
    readme = (data.data_dir() / "README.md").read_text()
    for name, digest in data.FASHION_FILES.items():
        assert data.sha256(data.verified_path(name, digest, folder)) == digest
        assert f"| `{name}` |" in readme and f"| {(folder / name).stat().st_size} | `{digest}` |" in readme


def test_fashion_splits_are_fixed_stratified_and_scaled(fashion):
    d = fashion
    assert d.x_train.shape == (55000, 1, 28, 28) and d.x_val.shape == (5000, 1, 28, 28)
    assert d.x_test.shape == (10000, 1, 28, 28) and d.y_test.dtype == torch.int64
    assert float(d.x_train.min()) == 0.0 and float(d.x_train.max()) == 1.0
    assert torch.bincount(d.y_val).tolist() == [500] * 10
    assert torch.bincount(d.y_train).tolist() == [5500] * 10
    assert torch.bincount(d.y_test).tolist() == [1000] * 10
    raw = data.read_idx(data.data_dir() / data.FASHION_DIR / "train-images-idx3-ubyte.gz")
    pixels = torch.from_numpy(raw.astype(np.float32) / 255).flatten(1)
    seen = torch.cat([d.x_train, d.x_val]).flatten(1)          # train ∪ val is the official set
    assert torch.equal(torch.sort(seen.sum(1)).values, torch.sort(pixels.sum(1)).values)
    labels = data.read_idx(data.data_dir() / data.FASHION_DIR / "train-labels-idx1-ubyte.gz")
    keep, held = data.stratified_split(labels, 5000 / 60000, 0)      # what the loader used
    assert torch.equal(torch.from_numpy(labels[held].astype(np.int64)), d.y_val)
    assert torch.equal(pixels[held], d.x_val.flatten(1))
    assert not np.array_equal(data.stratified_split(labels, 5000 / 60000, 1)[1], held)
    assert d.validation[0] is d.x_val and "FashionMNIST(train=(55000, 1, 28, 28)" in repr(d)


def _fashion_copy(tmp_path):
    folder = data.data_dir() / data.FASHION_DIR
    for name in data.FASHION_FILES:
        shutil.copy(folder / name, tmp_path / name)
    return tmp_path


def test_a_corrupted_fashion_file_is_refused_with_its_name(tmp_path):
    target = _fashion_copy(tmp_path) / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(target.read_bytes())
    raw[50] ^= 0xFF
    target.write_bytes(bytes(raw))
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte.gz is corrupted: sha256"):
        data.load_fashion_mnist(directory=tmp_path, device="cpu")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte.gz is missing"):
        data.load_fashion_mnist(directory=tmp_path, device="cpu")


def test_read_idx_parses_the_header_and_refuses_bad_files(tmp_path):
    import gzip

    values = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + np.array([2, 3, 4], dtype=">u4").tobytes()
    good = tmp_path / "good.gz"
    good.write_bytes(gzip.compress(header + values.tobytes()))
    assert np.array_equal(data.read_idx(good), values)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(header + values.tobytes()[:-1]))
    with pytest.raises(data.DataError, match="holds 23 bytes of data, its header promises 24"):
        data.read_idx(short)
    floats = tmp_path / "floats.gz"
    floats.write_bytes(gzip.compress(bytes([0, 0, 0x0D, 1, 0, 0, 0, 0])))
    with pytest.raises(data.DataError, match="not an IDX file of unsigned bytes"):
        data.read_idx(floats)


@pytest.mark.parametrize("bad", [0, 60000, -5])
def test_fashion_validation_size_is_checked(bad):
    with pytest.raises(ValueError, match="validation must be between 1 and 59999"):
        data.load_fashion_mnist(device="cpu", validation=bad)
