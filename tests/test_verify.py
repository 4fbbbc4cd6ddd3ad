import inspect

import pytest
import torch

from course_utils import verify


def quad_loss(params):
    (w,) = params
    return 0.5 * (w * torch.arange(1.0, w.numel() + 1, dtype=w.dtype) * w).sum()


def init(dtype=torch.float64):
    return [torch.linspace(-1, 1, 6, dtype=dtype)]


def test_identical_optimizers_are_bitwise_equal():
    sgd = lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)
    c = verify.compare_optimizers(sgd, sgd, quad_loss, init(), steps=15)
    assert c.exact and c.allclose and c.max_abs_diff == 0.0
    assert "bitwise equal" in str(c)
    assert c.assert_close() is c


def test_different_optimizers_are_reported_different():
    a = lambda ps: torch.optim.SGD(ps, lr=0.1)
    b = lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5)
    c = verify.compare_optimizers(a, b, quad_loss, init(), steps=5, names=("sgd", "momentum"))
    assert not c.exact and not c.allclose and c.max_abs_diff > 1e-3
    assert str(c).startswith("sgd vs momentum") and "DIFFERENT" in str(c)
    with pytest.raises(AssertionError, match="exceeds rtol"):
        c.assert_close()


def test_a_difference_only_in_a_late_step_is_caught():
    a = lambda ps: torch.optim.SGD(ps, lr=0.1)
    b = lambda ps: torch.optim.SGD(ps, lr=0.1)
    sched = lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=4)
    c = verify.compare_optimizers(a, b, quad_loss, init(), steps=6, make_scheduler_b=sched)
    assert not c.allclose  # steps 1-4 agree; the decay at step 4 changes step 5 on
    assert len(c.rel_diff_per_step) == 6 and c.rel_diff_per_step[:4] == (0.0,) * 4
    assert min(c.rel_diff_per_step[4:]) > 0 and max(c.rel_diff_per_step) == c.max_rel_diff


def test_tolerances_default_to_torch_assert_close():
    sgd = lambda ps: torch.optim.SGD(ps, lr=0.1)
    c32 = verify.compare_optimizers(sgd, sgd, quad_loss, init(torch.float32), steps=2)
    assert (c32.rtol, c32.atol) == (1.3e-6, 1e-5)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        verify.compare_optimizers(sgd, sgd, quad_loss, init(), steps=0)


def test_show_source_returns_and_prints_the_code(capsys):
    assert verify.show_source(verify.compare_optimizers) is None  # shown, not returned twice
    assert "def compare_optimizers" in capsys.readouterr().out
    src = verify.show_source(verify.Comparison, display=False)
    assert src == inspect.getsource(verify.Comparison)
    assert capsys.readouterr().out == ""
