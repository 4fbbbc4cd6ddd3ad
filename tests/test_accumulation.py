"""Gradient accumulation equals one big batch; the scheduler steps once per optimizer step."""

import math

import pytest
import torch

from course_utils import lr_scheduler, optim
from course_utils.accumulation import accumulate_gradients, micro_batches, train_steps
from course_utils.schedules import cosine_annealing_lr


def _problem(seed=0, n=96):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 7, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (n,), generator=g)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(7, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4)).double()
    return model, x, y


def _grads(model):
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("batch,k", [(32, 1), (32, 2), (32, 4), (30, 4), (31, 5), (32, 32)])
def test_k_micro_batches_give_the_big_batch_gradient(batch, k):
    model, x, y = _problem()
    index = torch.arange(batch)
    loss_big = accumulate_gradients(model, x, y, index, 1)
    big = _grads(model)
    model.zero_grad()
    loss_acc = accumulate_gradients(model, x, y, index, k)
    for a, b in zip(_grads(model), big):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)   # float64: sums in another order
    assert math.isclose(loss_acc, loss_big, rel_tol=1e-12)


def test_dividing_by_k_is_wrong_for_unequal_micro_batches_only():
    model, x, y = _problem()
    accumulate_gradients(model, x, y, torch.arange(30), 1)
    big = _grads(model)
    for batch, k, equal in ((32, 4, True), (30, 4, False)):
        index = torch.arange(batch)
        model.zero_grad()
        accumulate_gradients(model, x, y, index, 1)
        ref = _grads(model)
        model.zero_grad()
        accumulate_gradients(model, x, y, index, k, divide_by_k=True)
        close = all(torch.allclose(a, b, rtol=1e-12, atol=1e-14) for a, b in zip(_grads(model), ref))
        assert close is equal, (batch, k)
    assert big  # the 30-example gradient was formed


@pytest.mark.parametrize("make_opt", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                                      lambda p: optim.AdamW(p, lr=1e-2, weight_decay=0.1)])
def test_accumulated_training_equals_big_batch_training(make_opt):
    batches = [torch.randperm(96, generator=torch.Generator().manual_seed(s))[:32] for s in range(6)]
    runs = []
    for k in (1, 4):
        model, x, y = _problem()
        opt = make_opt(model.parameters())
        sched = lr_scheduler.CosineAnnealingLR(opt, T_max=6)
        rec = train_steps(model, opt, x, y, batches, k=k, scheduler=sched)
        runs.append((rec, [p.detach().clone() for p in model.parameters()]))
    (rec1, p1), (rec4, p4) = runs
    assert rec1["lr"] == rec4["lr"]
    for a, b in zip(p1, p4):
        torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-13)   # six steps amplify 1e-16 sums
    assert not all(torch.equal(a, b) for a, b in zip(p1, _problem()[0].parameters()))


def test_scheduler_steps_once_per_optimizer_step_not_per_micro_batch():
    steps, k, base = 8, 4, 0.1
    batches = [torch.arange(s, s + 16) for s in range(steps)]
    expected = [cosine_annealing_lr(t, base_lr=base, T_max=steps) for t in range(steps)]
    for per_micro in (False, True):
        model, x, y = _problem()
        opt = optim.SGD(model.parameters(), lr=base)
        sched = lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        rec = train_steps(model, opt, x, y, batches, k=k, scheduler=sched, scheduler_per_micro_batch=per_micro)
        if not per_micro:
            assert rec["lr"] == pytest.approx(expected, rel=1e-12)
        else:   # the schedule runs k times too fast: η at optimizer step t is the schedule at k·t,
            # and torch's chainable cosine climbs back up after T_max
            assert rec["lr"] == pytest.approx([cosine_annealing_lr(k * t, base_lr=base, T_max=steps)
                                               for t in range(steps)], rel=1e-9, abs=1e-15)
            assert rec["lr"][2] < 1e-12 and rec["lr"][4] == pytest.approx(base)


def test_micro_batches_sizes_and_errors():
    parts = micro_batches(torch.arange(10), 3)
    assert [len(p) for p in parts] == [4, 3, 3] and torch.equal(torch.cat(parts), torch.arange(10))
    for k in (0, 11):
        with pytest.raises(ValueError, match="k must be between 1 and the batch size 10"):
            micro_batches(torch.arange(10), k)
