"""Bytes per parameter (13.8), optimizer-state bytes, and AMP steps that are skipped."""

import warnings

import pytest
import torch

from course_utils import lr_scheduler, optim
from course_utils.precision import amp_step, bytes_per_parameter, state_bytes


def test_bytes_per_parameter_table():
    assert bytes_per_parameter("adam")["total"] == 16                               # 4 + 4 + 8
    assert bytes_per_parameter("adamw", weight_dtype=torch.bfloat16)["total"] == 16  # 2 + 2 + 4 + 8
    assert bytes_per_parameter("momentum", weight_dtype=torch.float16)["total"] == 12
    assert bytes_per_parameter("adam", weight_dtype=torch.bfloat16, master_weights=False,
                               state_dtype=torch.bfloat16)["total"] == 8
    assert bytes_per_parameter("sgd")["total"] == 8
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        bytes_per_parameter("lion")


def test_state_bytes_matches_the_table():
    model = torch.nn.Linear(100, 10)
    n = sum(p.numel() for p in model.parameters())
    opt = optim.AdamW(model.parameters())
    model(torch.randn(4, 100)).sum().backward()
    opt.step()
    steps = sum(s["step"].numel() * s["step"].element_size() for s in opt.state.values())
    assert state_bytes(opt) - steps == bytes_per_parameter("adamw")["state"] * n


def _run(step_scheduler_on_skip, init_scale):
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 4)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    scaler = torch.amp.GradScaler("cpu", init_scale=init_scale)
    taken = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(6):
            with torch.autocast("cpu", dtype=torch.float16):
                loss = model(torch.randn(16, 8)).pow(2).mean()
            taken.append(amp_step(scaler, opt, loss, sched, step_scheduler_on_skip=step_scheduler_on_skip))
    return taken, opt.param_groups[0]["lr"], [str(w.message) for w in caught]


def test_skipped_steps_and_the_scheduler():
    taken, lr, warned = _run(True, 2.0 ** 20)   # fp16 overflows at 65504: the first steps are skipped
    assert taken[:2] == [False, False] and taken[-1]
    assert lr == pytest.approx(0.1 * 0.5 ** 6)                 # the scheduler advanced on every call
    assert any("before `optimizer.step()`" in w for w in warned)
    taken, lr, warned = _run(False, 2.0 ** 20)
    assert lr == pytest.approx(0.1 * 0.5 ** sum(taken))        # only on the steps taken
    assert not any("before `optimizer.step()`" in w for w in warned)
    taken, _, _ = _run(True, 1.0)
    assert all(taken)
