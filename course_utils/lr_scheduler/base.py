"""The base every from-scratch scheduler builds on: torch's ``LRScheduler`` mechanics, rewritten.

Chapter: 08_torch_schedulers

Same warnings and error messages as torch, word for word, and the same bookkeeping, so that
every per-step lr equals torch's bitwise. A scheduler drives any ``torch.optim.Optimizer``
through ``param_groups``.

``LRScheduler`` subclasses ``torch.optim.lr_scheduler.LRScheduler`` for identity only:
training frameworks (Lightning, Hugging Face ``Trainer``) accept a scheduler, and decide how
to step it, by ``isinstance`` against torch's classes. Every method and property torch's
base defines (``__init__``, ``_initial_step``, ``step``, ``_update_lr``, ``get_lr``,
``get_last_lr``, ``state_dict``, ``load_state_dict``) is overridden here, so none of torch's
scheduler code runs; ``tests/test_schedulers_identity.py`` proves it by making every one of
them raise.

How a scheduler moves (the part most re-implementations get wrong):

* construction already takes one step (``_initial_step``): afterwards ``last_epoch == 0``,
  ``_step_count == 1`` and the groups hold the epoch-0 lr;
* ``step()`` increments ``last_epoch`` and calls ``get_lr()``, which for most classes is
  *recursive* (chainable): it multiplies the lr currently in the group, (8.1)–(8.3);
* ``step(epoch)`` (deprecated, warns) sets ``last_epoch = epoch`` and uses the closed form
  ``_get_closed_form_lr()`` where the class has one: the pure functions (7.x) of
  ``course_utils.schedules``.
"""

import functools
import warnings
import weakref

import torch
from torch.optim import Optimizer
from torch.optim import lr_scheduler as torch_lr_scheduler


__all__ = ["LRScheduler"]

# Warning and error texts are torch's, word for word, so that code written against torch
# (and tests matching its messages) behaves the same with these classes.
_DOCS = "See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)
_STEP_OVERRIDDEN = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    f"`lr_scheduler.step()`. {_DOCS}")
_STEP_ORDER = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    f"{_DOCS}")
_GET_LR_OUTSIDE_STEP = ("To get the last learning rate computed by the scheduler, "
                        "please use `get_last_lr()`.")
_MISSING_INITIAL_LR = (
    "param 'initial_lr' is not specified in param_groups[{}] when resuming scheduler with "
    "last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training "
    "from a checkpoint but haven't properly loaded the optimizer state\n2. You're using "
    "last_epoch >= 0 for a fresh training run (not recommended)")
_NO_MOMENTUM = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


def _copy(value):
    """A Tensor hyper-parameter is cloned so that nothing aliases a group's lr."""
    return value.clone() if isinstance(value, torch.Tensor) else value


def _group_values(optimizer, key):
    return [_copy(group[key]) for group in optimizer.param_groups]


def _set_group_value(group, key, value):
    """Write ``value`` into ``group[key]``; a Tensor entry is filled in place (same object)."""
    if isinstance(group[key], torch.Tensor):
        if isinstance(value, torch.Tensor) and value.dim() != 0:
            value = value.squeeze()
        group[key].fill_(value)
    else:
        group[key] = value


def _one_per_group(name, optimizer, value):
    """Broadcast a scalar to every param group, or check a list's length (torch's wording)."""
    n = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        value = [value] * n  # one copy each below, so no two groups share a Tensor
    elif len(value) != n:
        raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                         f"{name} has {len(value)} values, param_groups has {n}.")
    return [_copy(v) for v in value]


def _lambdas_per_group(optimizer, lr_lambda):
    n = len(optimizer.param_groups)
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * n
    if len(lr_lambda) != n:
        raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
    return list(lr_lambda)


def _set_momentum(group, momentum, use_beta1):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _track_optimizer_step(optimizer):
    """Wrap ``optimizer.step`` once so that calling it sets ``optimizer._opt_called``.

    Only used to warn about calling ``scheduler.step()`` first. The marker attributes are
    torch's, so a torch scheduler and ours on one optimizer share a single wrapper.
    """
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    step_fn, opt_ref = optimizer.step.__func__, weakref.ref(optimizer)

    @functools.wraps(step_fn)
    def step(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        return step_fn(opt, *args, **kwargs)

    step._wrapped_by_lr_sched = True
    optimizer.step = step


class LRScheduler(torch_lr_scheduler.LRScheduler):
    """Base class: bookkeeping shared by every scheduler, torch's ``LRScheduler`` rewritten.

    Subclasses implement ``get_lr()`` (the recursive form) and, when a closed form exists,
    ``_get_closed_form_lr()``. ``state_dict()`` is every attribute except the optimizer,
    so its keys are exactly torch's and the two load each other's state.

    torch's class is the base for ``isinstance`` only: each of its methods is overridden
    below, and ``__init__`` never calls ``super().__init__``.
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:  # setdefault: a second scheduler keeps the first's initial_lr
                group.setdefault("initial_lr", _copy(group["lr"]))
            elif "initial_lr" not in group:
                raise KeyError(_MISSING_INITIAL_LR.format(i))
        self.base_lrs = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _track_optimizer_step(optimizer)
        self._initial_step()

    def _initial_step(self):
        """The step taken at construction: ``last_epoch`` -1 → 0, lr ← its epoch-0 value."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self, epoch=None):
        """Advance one step (call it after ``optimizer.step()``); ``epoch`` is deprecated."""
        if self._step_count == 1:  # the user's first call: was optimizer.step() called?
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(_STEP_OVERRIDDEN, UserWarning, stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(_STEP_ORDER, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()  # recursive (chainable) form
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")

    def _warn_if_outside_step(self):
        if not self._get_lr_called_within_step:
            warnings.warn(_GET_LR_OUTSIDE_STEP, UserWarning, stacklevel=2)  # at get_lr, as torch

    def get_lr(self):
        """The lrs for ``last_epoch``; called by ``step()``. To read the lr use ``get_last_lr``."""
        raise NotImplementedError

    def get_last_lr(self):
        """The lrs written by the last step (copies: they never alias a Tensor lr)."""
        return self._last_lr

    def state_dict(self):
        """Every attribute but the optimizer (private counters included), as torch saves it."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a state from ours or from the torch class of the same name."""
        self.__dict__.update(state_dict)
