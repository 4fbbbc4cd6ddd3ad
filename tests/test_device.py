import random

import numpy as np
import pytest
import torch

from course_utils import device as dev


def test_default_order_on_this_machine(monkeypatch):
    monkeypatch.delenv(dev.ENV_VAR, raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if dev.mps_available() else "cpu")
    assert dev.get_device().type == expected


def test_cuda_is_preferred_over_mps_and_cpu(monkeypatch):
    monkeypatch.delenv(dev.ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(dev, "mps_available", lambda: True)
    assert dev.get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.get_device().type == "mps"
    monkeypatch.setattr(dev, "mps_available", lambda: False)
    assert dev.get_device().type == "cpu"


def test_environment_variable_overrides(monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.get_device() == torch.device("cpu")


def test_asking_for_an_absent_device_is_an_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(dev, "mps_available", lambda: False)
    monkeypatch.setenv(dev.ENV_VAR, "cuda")
    with pytest.raises(RuntimeError, match="device 'cuda' was asked for .* no CUDA device"):
        dev.get_device()
    with pytest.raises(RuntimeError, match="no MPS device"):
        dev.get_device("mps")


def test_malformed_device_name_is_an_error(monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "gpu0")
    with pytest.raises(RuntimeError):
        dev.get_device()


def test_seed_everything_repeats_every_generator():
    def draw():
        g = dev.seed_everything(123)
        return random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g).item()

    assert draw() == draw()
    dev.seed_everything(124)
    assert torch.rand(1).item() != draw()[2]


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        dev.seed_everything(bad)


def test_setup_prints_the_device_once(capsys, monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "cpu")
    assert dev.setup(0) == torch.device("cpu")
    out = capsys.readouterr().out
    assert out.count("Device: cpu") == 1
    dev.setup(0, quiet=True)
    assert capsys.readouterr().out == ""


def test_synchronize_waits_on_cuda_and_mps_and_is_a_no_op_on_the_cpu(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(("cuda", device)))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: calls.append(("mps", None)))
    dev.synchronize("cpu")
    assert calls == []
    dev.synchronize("cuda:1")
    dev.synchronize(torch.device("mps"))
    assert calls == [("cuda", torch.device("cuda:1")), ("mps", None)]


def test_setup_caps_cpu_threads_when_asked(monkeypatch, capsys):
    monkeypatch.setenv(dev.ENV_VAR, "cpu")
    before = torch.get_num_threads()
    try:
        dev.setup(0, threads=1)
        assert torch.get_num_threads() == 1
        assert "Device: cpu (1 thread)" in capsys.readouterr().out
        with pytest.raises(ValueError, match="threads must be a positive int"):
            dev.setup(0, threads=0)
    finally:
        torch.set_num_threads(before)
