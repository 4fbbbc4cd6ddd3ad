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
