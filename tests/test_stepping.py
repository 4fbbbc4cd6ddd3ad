"""course_utils.stepping.LRDriver: one way to drive a learning rate (scheduler, schedule, None)."""

from functools import partial

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as our_sched
from course_utils.cyclic_schedules import cyclic_lr, one_cycle_lr
from course_utils.stepping import LRDriver, is_plateau


def sgd(lrs=(0.1,), momentum=0.9):
    groups = [{"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)], "lr": lr}
              for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=momentum)


def lrs_seen(driver, steps, metrics=None):
    """The lr of group 0 before each optimizer step, stepping the driver after each."""
    seen = []
    for t in range(steps):
        seen.append(driver.lr)
        driver.optimizer.step()
        driver.step(None if metrics is None else metrics[t])
    return seen


@pytest.mark.parametrize("lib", [torch_sched, our_sched])
@pytest.mark.parametrize("name, kwargs, schedule", [
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 30}, partial(one_cycle_lr, max_lr=0.3, total_steps=30)),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"},
     partial(cyclic_lr, base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2")),
])
def test_a_schedule_sets_what_its_closed_form_scheduler_sets_bitwise(lib, name, kwargs, schedule):
    opt = sgd()
    by_scheduler = lrs_seen(LRDriver(opt, getattr(lib, name)(opt, **kwargs)), 30)
    by_schedule = lrs_seen(LRDriver(sgd(), schedule=schedule), 30)
    assert by_schedule == by_scheduler == [schedule(t) for t in range(30)]


def test_a_schedule_writes_every_group_and_starts_where_asked():
    opt = sgd(lrs=(0.1, 0.1))
    driver = LRDriver(opt, schedule=lambda t: 1.0 / (1 + t), start=3)
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.25]
    opt.step()
    driver.step()
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2] and driver.t == 4


def test_a_tensor_lr_is_filled_in_place():
    lr = torch.tensor(0.1)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    LRDriver(opt, schedule=lambda t: 0.5)
    assert opt.param_groups[0]["lr"] is lr and float(lr) == 0.5


def test_none_leaves_the_lr_alone_and_plateau_gets_the_metric():
    opt = sgd()
    assert lrs_seen(LRDriver(opt), 3) == [0.1] * 3
    opt = sgd()
    plateau = our_sched.ReduceLROnPlateau(opt, patience=0)
    driver = LRDriver(opt, plateau)
    assert driver.needs_metric and is_plateau(plateau) and not is_plateau(our_sched.StepLR(sgd(), 1))
    assert lrs_seen(driver, 3, metrics=[1.0, 1.0, 1.0]) == [0.1, 0.1, 0.1 * 0.1]


def test_bad_combinations_are_refused_with_a_clear_error():
    opt = sgd()
    with pytest.raises(ValueError, match="not both"):
        LRDriver(opt, torch_sched.StepLR(opt, 1), schedule=lambda t: 0.1)
    with pytest.raises(TypeError, match="pass a function of the step as schedule="):
        LRDriver(opt, lambda t: 0.1)
    with pytest.raises(TypeError, match="pass a scheduler object as scheduler="):
        LRDriver(opt, schedule=torch_sched.StepLR(opt, 1))
    with pytest.raises(ValueError, match="one lr for every group"):
        LRDriver(sgd(lrs=(0.1, 0.01)), schedule=lambda t: 0.1)
    with pytest.raises(ValueError, match="only for ReduceLROnPlateau"):
        LRDriver(opt, torch_sched.StepLR(opt, 1)).step(0.5)
    with pytest.raises(ValueError, match=r"call step\(metric\)"):
        LRDriver(opt, torch_sched.ReduceLROnPlateau(opt)).step()
    LRDriver(opt, torch_sched.ReduceLROnPlateau(opt)).step(float("nan"))
