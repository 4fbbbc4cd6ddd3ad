"""Train small models on the digits: two models, a loop that stops on divergence, evaluation.

Chapter: 10_real_training (09_reduce_lr_on_plateau records its loss curve with it).

Every source of randomness is explicit: a model is initialised from its own ``seed`` (the
global generator is left as it was), and the order of the mini-batches is drawn from a
``torch.Generator`` that the caller owns, so it can be saved in a checkpoint and restored
(``course_utils.checkpoint``). A run is then a pure function of its seeds on a given device.

The loop, one step (η the learning rate, B_t the t-th mini-batch, ℓ the cross-entropy):

    L_t = (1/|B_t|) Σ_{i ∈ B_t} ℓ(f(x_i; θ_{t-1}), y_i);  stop if L_t ∉ ℝ or L_t > c L_1  (10.1)
    θ_t = optimizer step on ∇L_t with η_t;   η_{t+1} = scheduler(t + 1)                    (10.2)

c is ``max_loss_ratio``: a run is stopped when it is non-finite or has clearly exploded.
The rate η_t comes from a scheduler object or from a pure schedule function of the step t
(``course_utils.schedules``), both stepped per batch by ``course_utils.stepping.LRDriver``.
ReduceLROnPlateau is the exception to (10.2): it is stepped once per epoch with the
validation loss (or the epoch's mean training loss), since it needs a metric, not a step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.device import synchronize
from course_utils.guards import DivergenceError, check_finite, format_lrs
from course_utils.stepping import LRDriver

__all__ = ["make_mlp", "make_cnn", "validation_split", "shuffled_batches", "evaluate", "History",
           "train", "check_not_exploding", "parameters_equal"]


def _seeded(build, seed):
    """Run ``build()`` with the CPU generator seeded to ``seed``, restoring it afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def make_mlp(hidden=64, *, dropout=0.0, seed=0, device="cpu"):
    """Flatten → Linear(64, hidden) → ReLU → [Dropout(dropout)] → Linear(hidden, 10).

    About 4,800 parameters for ``hidden=64``; initialised from ``seed`` on the CPU (so the
    initial weights are the same on every device), then moved to ``device``.
    """
    def build():
        layers = [nn.Flatten(), nn.Linear(64, hidden), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        return nn.Sequential(*layers, nn.Linear(hidden, 10))
    return _seeded(build, seed).to(device)


def make_cnn(channels=8, *, seed=0, device="cpu"):
    """Conv(1→c, 3×3) → ReLU → MaxPool 2 → Conv(c→2c, 3×3) → ReLU → MaxPool 2 → Linear(8c, 10).

    8×8 images shrink to 4×4 and then 2×2, so the classifier sees 2c · 2 · 2 features.
    """
    def build():
        return nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(8 * channels, 10))
    return _seeded(build, seed).to(device)


def validation_split(data, fraction=0.2, seed=0):
    """Hold out a stratified ``fraction`` of the training images for validation.

    Returns ``(train_data, (x_val, y_val))``: a :class:`~course_utils.data.Digits` with the
    remaining training images and the same test split, and the validation tensors. Choices
    made while training (ReduceLROnPlateau's metric, the lr) look at the validation split,
    so the test split measures only the final result.
    """
    from course_utils.data import Digits, stratified_split

    keep, held = stratified_split(data.y_train.cpu().numpy(), fraction, seed)
    keep = torch.from_numpy(keep).to(data.y_train.device)
    held = torch.from_numpy(held).to(data.y_train.device)
    train_data = Digits(data.x_train[keep], data.y_train[keep], data.x_test, data.y_test)
    return train_data, (data.x_train[held], data.y_train[held])


def shuffled_batches(n, batch_size, generator, device="cpu"):
    """The index tensors of one epoch: a permutation of ``range(n)`` drawn from ``generator``
    (a CPU generator, so the order is the same on every device), cut into ``batch_size``
    pieces (the last one may be shorter)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return torch.randperm(n, generator=generator).to(device).split(batch_size)


@torch.no_grad()
def evaluate(model, x, y):
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)``, in eval mode; plain floats."""
    was_training = model.training
    model.eval()
    logits = model(x)
    loss = F.cross_entropy(logits, y).item()
    accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    model.train(was_training)
    return loss, accuracy


@dataclass
class History:
    """What :func:`train` recorded. Per step: ``loss`` (the mini-batch loss (10.1), before the
    step) and ``lr`` (group 0's lr used by that step). Per epoch: ``epoch_loss`` (mean of that
    epoch's step losses), ``val_loss`` and ``val_acc`` (if a validation split was given),
    ``test_loss`` and ``test_acc`` after the epoch, and ``seconds``, the cumulative training
    time (wall clock, evaluation excluded) at the end of the epoch."""

    steps_per_epoch: int
    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    @property
    def steps(self):
        return len(self.loss)

    def epochs_to(self, accuracy):
        """The first epoch (counting from 1) after which test accuracy ≥ ``accuracy``, or None."""
        return next((e + 1 for e, a in enumerate(self.test_acc) if a >= accuracy), None)

    def steps_to(self, accuracy):
        """Optimizer steps taken when ``accuracy`` was first reached (None if never)."""
        epochs = self.epochs_to(accuracy)
        return None if epochs is None else epochs * self.steps_per_epoch

    def seconds_to(self, accuracy):
        """Training seconds (wall clock) when ``accuracy`` was first reached (None if never)."""
        epochs = self.epochs_to(accuracy)
        return None if epochs is None else self.seconds[epochs - 1]


def check_not_exploding(value, first, *, step, optimizer, max_loss_ratio):
    """Raise DivergenceError if the loss ``value`` exceeds ``max_loss_ratio`` × ``first``.

    A ReLU classifier driven by too large an lr rarely reaches inf or NaN: its loss climbs
    to hundreds while the network dies, all in finite numbers. This catches that case (10.1).
    """
    if max_loss_ratio is not None and value > max_loss_ratio * first:
        raise DivergenceError(f"diverged at step {step} with learning rate {format_lrs(optimizer)}: "
                              f"loss is {value:.4g}, more than {max_loss_ratio:g}× the first "
                              f"step's {first:.4g}; lower the learning rate (or warm it up) "
                              "and run again")
    return value


def train(model, optimizer, data, *, epochs, batch_size=64, scheduler=None, schedule=None,
          generator=None, validation=None, max_loss_ratio=10.0, history=None, progress=False,
          desc=None):
    """Train for ``epochs`` passes over ``data.x_train``; return the :class:`History`.

    Each step computes (10.1) and stops with :class:`~course_utils.guards.DivergenceError`
    (naming the step and the lr) if the loss is not finite or exceeds ``max_loss_ratio``
    times the first step's loss (None: no such check); then it steps the optimizer and the
    lr, per batch: ``scheduler`` is a scheduler object (``StepLR(optimizer, ...)``) stepped
    after every optimizer step; ``schedule`` is a pure function of the step (for instance
    ``functools.partial(cosine_annealing_lr, base_lr=0.1, T_max=steps)``) that sets every
    group's lr to ``schedule(t)`` before optimizer step t (t counts from ``history.steps``,
    so a resumed run continues the schedule); give at most one of the two. A
    ReduceLROnPlateau is stepped once per epoch, on the validation loss when
    ``validation=(x_val, y_val)`` is given, else on the epoch's mean training loss. The
    data order comes from ``generator`` (a fresh ``torch.Generator`` seeded 0 if None).
    Pass an earlier ``history`` to append to it, so step numbers continue after a resume.
    ``progress`` shows a tqdm bar over the epochs.
    """
    from tqdm.auto import tqdm

    generator = torch.Generator().manual_seed(0) if generator is None else generator
    x, y = data.x_train, data.y_train
    n = len(y)
    steps_per_epoch = -(-n // batch_size)
    history = History(steps_per_epoch) if history is None else history
    driver = LRDriver(optimizer, scheduler, schedule=schedule, start=history.steps)
    elapsed = history.seconds[-1] if history.seconds else 0.0
    model.train()
    _optimizer_mode(optimizer, train=True)
    for _ in tqdm(range(epochs), desc=desc, disable=not progress):
        start, losses = time.perf_counter(), []
        for idx in shuffled_batches(n, batch_size, generator, x.device):
            loss = F.cross_entropy(model(x[idx]), y[idx])                          # (10.1)
            value = check_finite(loss.item(), step=history.steps + 1, lr=optimizer)  # (10.1) stop
            check_not_exploding(value, history.loss[0] if history.loss else value,
                                step=history.steps + 1, optimizer=optimizer,
                                max_loss_ratio=max_loss_ratio)                     # (10.1) stop
            history.loss.append(value)
            history.lr.append(float(optimizer.param_groups[0]["lr"]))
            losses.append(value)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()                                                       # (10.2)
            if not driver.needs_metric:
                driver.step()                                                      # (10.2)
        history.epoch_loss.append(sum(losses) / len(losses))
        synchronize(x.device)
        elapsed += time.perf_counter() - start
        history.seconds.append(elapsed)
        _optimizer_mode(optimizer, train=False)
        if validation is not None:
            val_loss, val_acc = evaluate(model, *validation)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
        if driver.needs_metric:
            driver.step(history.val_loss[-1] if validation is not None else history.epoch_loss[-1])
        test_loss, test_acc = evaluate(model, data.x_test, data.y_test)
        history.test_loss.append(test_loss)
        history.test_acc.append(test_acc)
        _optimizer_mode(optimizer, train=True)
    return history


def _optimizer_mode(optimizer, *, train):
    """A schedule-free optimizer (chapter 13) holds the point gradients are taken at in the
    weights during ``train()`` and swaps in its average for ``eval()``; other optimizers
    have no modes and are left alone."""
    switch = getattr(optimizer, "train" if train else "eval", None)
    if callable(switch):
        switch()


def parameters_equal(model_a, model_b, *, exact=True):
    """True if the two models' parameters and buffers are bitwise equal (``exact``) or within
    ``torch.testing.assert_close``'s default tolerances for their dtype."""
    a, b = model_a.state_dict(), model_b.state_dict()
    if a.keys() != b.keys():
        return False
    for key in a:
        if exact and not torch.equal(a[key], b[key]):
            return False
        if not exact:
            try:
                torch.testing.assert_close(a[key], b[key])
            except AssertionError:
                return False
    return True
