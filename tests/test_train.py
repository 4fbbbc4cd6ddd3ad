"""course_utils.train: models, batches, evaluation and the training loop (chapter 10).

Whole runs with the course's optimizers and schedulers are compared with the same runs
using torch's: on the CPU in float32 they must be bitwise equal, step for step.
"""

import math
from functools import partial

import pytest
import torch
import torch.nn.functional as F
import torch.optim.lr_scheduler as torch_sched

import course_utils.optim as our_optim
import course_utils.lr_scheduler as our_sched
from course_utils.data import load_digits
from course_utils.guards import DivergenceError
from course_utils.schedules import cosine_annealing_lr, step_lr
from course_utils.stepping import is_plateau
from course_utils.train import (History, evaluate, make_cnn, make_mlp,
                                parameters_equal, shuffled_batches, train, validation_split)


@pytest.fixture(scope="module")
def digits():
    return load_digits(device="cpu")


@pytest.fixture(scope="module")
def small(digits):
    """A quarter of the training split (fast), with a validation split carved from it."""
    from course_utils.data import Digits

    quarter = Digits(digits.x_train[::4], digits.y_train[::4], digits.x_test, digits.y_test)
    return validation_split(quarter, 0.25, seed=0)


def test_models_are_seeded_on_their_own_and_leave_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b, c = make_mlp(seed=3), make_mlp(seed=3), make_mlp(seed=4)
    assert torch.equal(torch.get_rng_state(), before)
    assert parameters_equal(a, b) and not parameters_equal(a, c)
    assert sum(p.numel() for p in a.parameters()) == 64 * 64 + 64 + 64 * 10 + 10
    cnn = make_cnn(channels=8, seed=0)
    assert cnn(torch.zeros(5, 1, 8, 8)).shape == (5, 10)
    assert parameters_equal(cnn, make_cnn(channels=8, seed=0))


def test_dropout_is_a_layer_only_when_asked_for():
    assert not any(isinstance(m, torch.nn.Dropout) for m in make_mlp())
    assert sum(isinstance(m, torch.nn.Dropout) for m in make_mlp(dropout=0.2)) == 1


def test_shuffled_batches_cover_every_index_once_in_a_seeded_order():
    batches = shuffled_batches(10, 4, torch.Generator().manual_seed(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    again = shuffled_batches(10, 4, torch.Generator().manual_seed(0))
    assert all(torch.equal(x, y) for x, y in zip(batches, again))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        shuffled_batches(10, 0, torch.Generator())


def test_validation_split_is_stratified_disjoint_and_keeps_the_test_split(digits):
    train_data, (x_val, y_val) = validation_split(digits, 0.2, seed=0)
    assert len(train_data.y_train) + len(y_val) == len(digits.y_train)
    assert torch.equal(train_data.x_test, digits.x_test)
    share_val = torch.bincount(y_val, minlength=10) / len(y_val)
    share_all = torch.bincount(digits.y_train, minlength=10) / len(digits.y_train)
    assert (share_val - share_all).abs().max() < 0.01
    rows = {tuple(r.flatten().tolist()) for r in x_val}
    overlap = sum(tuple(r.flatten().tolist()) in rows for r in train_data.x_train)
    assert overlap < 10   # the digits contain a few duplicate images; indices are disjoint


def test_evaluate_matches_a_direct_computation_and_restores_the_mode(digits):
    model = make_mlp(dropout=0.5, seed=0)
    model.train()
    loss, acc = evaluate(model, digits.x_test, digits.y_test)
    assert model.training
    model.eval()
    with torch.no_grad():
        logits = model(digits.x_test)
    assert loss == F.cross_entropy(logits, digits.y_test).item()
    assert acc == (logits.argmax(1) == digits.y_test).float().mean().item()


def test_history_counts_steps_and_time_to_accuracy():
    h = History(steps_per_epoch=10, loss=[1.0] * 30, test_acc=[0.5, 0.93, 0.97],
                seconds=[0.1, 0.2, 0.3])
    assert h.steps == 30
    assert (h.epochs_to(0.9), h.steps_to(0.9), h.seconds_to(0.9)) == (2, 20, 0.2)
    assert h.epochs_to(0.99) is None and h.steps_to(0.99) is None and h.seconds_to(0.99) is None


def _run(lib_optim, lib_sched, make_opt, make_sched, data, epochs=3, model="mlp", validation=None):
    net = make_mlp(seed=0) if model == "mlp" else make_cnn(seed=0)
    opt = make_opt(lib_optim, net.parameters())
    sched = make_sched(lib_sched, opt) if make_sched else None
    hist = train(net, opt, data, epochs=epochs, batch_size=32, scheduler=sched,
                 generator=torch.Generator().manual_seed(1), validation=validation)
    return net, hist


CASES = {
    "sgd": (lambda o, p: o.SGD(p, lr=0.1), None),
    "nesterov+onecycle": (lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                          lambda s, opt: s.OneCycleLR(opt, max_lr=0.2, total_steps=3 * 9)),
    "adam+warmup_cosine": (lambda o, p: o.Adam(p, lr=0.01),
                           lambda s, opt: s.SequentialLR(
                               opt, [s.LinearLR(opt, start_factor=0.1, total_iters=5),
                                     s.CosineAnnealingLR(opt, T_max=22)], milestones=[5])),
    "momentum+step": (lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, dampening=0.1),
                      lambda s, opt: s.StepLR(opt, step_size=7, gamma=0.5)),
    "adamw+plateau": (lambda o, p: o.AdamW(p, lr=0.01),
                      lambda s, opt: s.ReduceLROnPlateau(opt, patience=0, factor=0.5)),
}


@pytest.mark.parametrize("case, model", [(case, "mlp") for case in CASES]
                         + [("nesterov+onecycle", "cnn"), ("adam+warmup_cosine", "cnn")])
def test_the_course_optimizers_and_schedulers_train_bitwise_like_torch(small, case, model):
    data, val = small
    make_opt, make_sched = CASES[case]
    ours = _run(our_optim, our_sched, make_opt, make_sched, data, model=model, validation=val)
    theirs = _run(torch.optim, torch_sched, make_opt, make_sched, data, model=model, validation=val)
    assert parameters_equal(ours[0], theirs[0], exact=True)
    assert ours[1].loss == theirs[1].loss and ours[1].lr == theirs[1].lr
    assert ours[1].test_acc == theirs[1].test_acc


def _cosine_run(data, **lr_source):
    net = make_mlp(seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=0.125, momentum=0.9)
    if "make_scheduler" in lr_source:
        lr_source = {"scheduler": lr_source.pop("make_scheduler")(opt)}
    hist = train(net, opt, data, epochs=3, batch_size=32, generator=torch.Generator().manual_seed(1),
                 **lr_source)
    return net, hist


@pytest.mark.parametrize("lib", [torch_sched, our_sched])
def test_a_pure_schedule_trains_bitwise_like_its_scheduler(small, lib):
    """train(schedule=partial(cosine_annealing_lr, ...)) == train(scheduler=CosineAnnealingLR(...)),
    both stepped per batch. The scheduler's recursive form (8.2) equals the closed form (7.6)
    bitwise at every one of these 27 steps (asserted: history.lr), so the runs are equal too."""
    data, _ = small
    T = 3 * math.ceil(len(data.y_train) / 32)
    assert T == 27
    pure = _cosine_run(data, schedule=partial(cosine_annealing_lr, base_lr=0.125, T_max=30))
    obj = _cosine_run(data, make_scheduler=lambda opt: lib.CosineAnnealingLR(opt, T_max=30))
    assert pure[1].lr == obj[1].lr == [cosine_annealing_lr(t, base_lr=0.125, T_max=30) for t in range(T)]
    assert parameters_equal(pure[0], obj[0], exact=True) and pure[1].loss == obj[1].loss


def test_a_pure_schedule_continues_after_a_resume_and_refuses_a_scheduler_beside_it(small):
    data, _ = small
    net = make_mlp(seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    schedule = partial(step_lr, base_lr=0.1, step_size=5, gamma=0.5)
    h = train(net, opt, data, epochs=1, schedule=schedule)
    h = train(net, opt, data, epochs=1, schedule=schedule, history=h)
    assert h.lr == [schedule(t) for t in range(2 * h.steps_per_epoch)]
    with pytest.raises(ValueError, match="not both"):
        train(net, opt, data, epochs=1, schedule=schedule, scheduler=torch_sched.StepLR(opt, 1))
    with pytest.raises(TypeError, match="schedule="):
        train(net, opt, data, epochs=1, scheduler=schedule)


def test_history_records_one_entry_per_step_and_per_epoch(small):
    data, val = small
    _, h = _run(torch.optim, None, CASES["sgd"][0], None, data, epochs=2, validation=val)
    assert h.steps_per_epoch == math.ceil(len(data.y_train) / 32) and h.steps == 2 * h.steps_per_epoch
    assert len(h.epoch_loss) == len(h.val_loss) == len(h.test_acc) == len(h.seconds) == 2
    assert h.seconds[0] <= h.seconds[1]
    assert h.epoch_loss[0] == pytest.approx(sum(h.loss[:h.steps_per_epoch]) / h.steps_per_epoch)


@pytest.mark.parametrize("lib", [torch_sched, our_sched])
@pytest.mark.parametrize("with_validation", [False, True])
def test_plateau_steps_once_per_epoch_on_the_validation_or_training_loss(small, lib, with_validation):
    data, val = small
    net = make_mlp(seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = lib.ReduceLROnPlateau(opt)
    assert is_plateau(sched) and not is_plateau(lib.StepLR(torch.optim.SGD(net.parameters()), 1))
    h = train(net, opt, data, epochs=3, batch_size=64, scheduler=sched,
              validation=val if with_validation else None)
    assert sched.last_epoch == 3
    assert sched.best == min(h.val_loss if with_validation else h.epoch_loss)


def test_a_history_passed_back_in_continues_the_step_count(small):
    data, _ = small
    net = make_mlp(seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    gen = torch.Generator().manual_seed(0)
    h = train(net, opt, data, epochs=1, generator=gen)
    h = train(net, opt, data, epochs=1, generator=gen, history=h)
    assert h.steps == 2 * h.steps_per_epoch and len(h.test_acc) == 2


def test_a_diverging_run_stops_with_the_step_and_the_learning_rate(small):
    data, _ = small
    net = make_mlp(seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=1e8)
    with pytest.raises(DivergenceError, match=r"diverged at step \d+ with learning rate \[1e\+08\]: loss is nan"):
        train(net, opt, data, epochs=5, max_loss_ratio=None)


def test_an_exploding_but_finite_loss_is_stopped_too(small):
    data, _ = small
    net = make_mlp(seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=30.0)
    with pytest.raises(DivergenceError, match=r"with learning rate \[30\]: loss is .*, more than 10× the first"):
        train(net, opt, data, epochs=5)
    net = make_mlp(seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=30.0)
    h = train(net, opt, data, epochs=2, max_loss_ratio=None)     # finite, and useless
    assert all(math.isfinite(v) for v in h.loss) and max(h.loss) > 10 * h.loss[0]


def test_parameters_equal_sees_a_one_ulp_difference():
    a, b = make_mlp(seed=0), make_mlp(seed=0)
    with torch.no_grad():
        w = b[1].weight
        w[0, 0] = torch.nextafter(w[0, 0], torch.tensor(math.inf))
    assert not parameters_equal(a, b, exact=True)
    assert parameters_equal(a, b, exact=False)
    assert not parameters_equal(a, make_cnn())


def test_a_schedule_free_optimizer_is_evaluated_at_its_average_and_left_in_train_mode(small):
    """train() calls optimizer.eval() around evaluation (x, chapter 13) and train() after it."""
    data, val = small
    model = make_mlp(seed=0)
    opt = our_optim.SGDScheduleFree(model.parameters(), lr=0.5, momentum=0.9)
    h = train(model, opt, data, epochs=2, batch_size=32, validation=val)
    assert opt.param_groups[0]["train_mode"]
    y_weights = [p.detach().clone() for p in model.parameters()]
    opt.eval()
    assert evaluate(model, *val) == (h.val_loss[-1], h.val_acc[-1])
    assert evaluate(model, data.x_test, data.y_test) == (h.test_loss[-1], h.test_acc[-1])
    assert not all(torch.equal(p, q) for p, q in zip(model.parameters(), y_weights))   # x differs from y
