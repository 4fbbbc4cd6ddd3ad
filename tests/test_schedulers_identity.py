"""The course's schedulers are torch's scheduler types by ``isinstance``, and run none of torch's code.

Training frameworks decide by ``isinstance``: Lightning refuses a scheduler that is not a
``torch.optim.lr_scheduler.LRScheduler`` (or ``ReduceLROnPlateau``), and Lightning and
Hugging Face ``Trainer`` pass the monitored metric to ``step()`` only when the scheduler is
a torch ``ReduceLROnPlateau``. So ``course_utils.lr_scheduler.LRScheduler`` subclasses torch's
``LRScheduler`` and the course's ``ReduceLROnPlateau`` subclasses torch's — for identity only.

The proof that no torch scheduler code runs: every function and property defined by a torch
class in a course class's MRO (``LRScheduler``, ``ReduceLROnPlateau``), every other class of
``torch.optim.lr_scheduler``, and every module-level helper there is replaced by one that
raises. Under that patch each course class is constructed, stepped, stepped with an epoch,
read with ``get_last_lr``, saved and restored through ``state_dict``, and its optimizer-step
counter and order warning are used; everything must still work and equal what torch's own
classes gave *before* the patch, bitwise.
"""

import copy
import inspect
import warnings

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as ours

# Entries of a class __dict__ that are not behaviour (the interpreter's own bookkeeping).
NOT_BEHAVIOUR = {"__dict__", "__weakref__", "__doc__", "__module__", "__annotations__",
                 "__annotate__", "__qualname__", "__firstlineno__", "__static_attributes__",
                 "__orig_bases__", "__parameters__"}

COURSE_CLASSES = [name for name in ours.__all__ if name != "LRScheduler"]
TORCH_NAME = {"ExactWarmRestarts": "CosineAnnealingWarmRestarts"}  # same behaviour at these epochs
PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7]


def torch_bases(cls):
    """The torch classes in ``cls``'s MRO (for the course's classes: LRScheduler, ReduceLROnPlateau)."""
    return [base for base in cls.__mro__ if base.__module__.startswith("torch")]


def behaviour(torch_cls):
    """Names of the methods, properties and class attributes ``torch_cls`` itself defines."""
    return [name for name in vars(torch_cls) if name not in NOT_BEHAVIOUR]


# --------------------------------------------------------------------------- identity
@pytest.mark.parametrize("name", COURSE_CLASSES)
def test_every_course_scheduler_is_a_torch_lr_scheduler(name):
    opt = make_optimizer()
    sched = build(ours, name, opt)
    assert isinstance(sched, torch_sched.LRScheduler)
    # Lightning and HF pass the metric exactly when this holds: only for the plateau rule.
    assert isinstance(sched, torch_sched.ReduceLROnPlateau) == (name == "ReduceLROnPlateau")


def test_the_base_class_is_torchs_by_name_and_by_type():
    assert ours.LRScheduler.__name__ == "LRScheduler"
    assert issubclass(ours.LRScheduler, torch_sched.LRScheduler)
    assert issubclass(ours.ReduceLROnPlateau, torch_sched.ReduceLROnPlateau)
    assert not hasattr(ours, "Scheduler")  # one name, torch's


@pytest.mark.parametrize("name", ["LRScheduler", *COURSE_CLASSES])
def test_every_torch_method_is_overridden_by_the_course(name):
    """Statically: each name torch's base classes define resolves to a course class."""
    cls = getattr(ours, name)
    bases = torch_bases(cls)
    assert torch_sched.LRScheduler in bases
    for base in bases:
        for attr in behaviour(base):
            owner = next(c for c in cls.__mro__ if attr in vars(c))
            assert owner.__module__.startswith("course_utils.lr_scheduler"), (
                f"{name}.{attr} is torch's {owner.__qualname__}.{attr}")


# --------------------------------------------------------------------------- the protocol
def make_optimizer():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2).double()
    return torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "lr": 0.05}],
                           lr=0.1, momentum=0.9)


def build(lib, name, opt):
    name = TORCH_NAME.get(name, name) if lib is torch_sched else name
    cls = getattr(lib, name)
    if name == "LambdaLR":
        return cls(opt, [lambda e: 0.9 ** e, lambda e: 1.0 / (1 + e)])
    if name == "MultiplicativeLR":
        return cls(opt, lambda e: 0.95)
    if name == "StepLR":
        return cls(opt, step_size=3, gamma=0.5)
    if name == "MultiStepLR":
        return cls(opt, milestones=[2, 5], gamma=0.3)
    if name == "ConstantLR":
        return cls(opt, factor=0.5, total_iters=3)
    if name == "LinearLR":
        return cls(opt, start_factor=0.2, total_iters=4)
    if name == "ExponentialLR":
        return cls(opt, gamma=0.9)
    if name == "PolynomialLR":
        return cls(opt, total_iters=6, power=2.0)
    if name == "CosineAnnealingLR":
        return cls(opt, T_max=7, eta_min=0.001)
    if name in ("CosineAnnealingWarmRestarts", "ExactWarmRestarts"):
        return cls(opt, T_0=3, T_mult=2, eta_min=0.001)
    if name == "CyclicLR":
        return cls(opt, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=3, mode="triangular2")
    if name == "OneCycleLR":
        return cls(opt, max_lr=0.3, total_steps=40)
    if name == "SequentialLR":
        return cls(opt, [lib.LinearLR(opt, 0.1, total_iters=3), lib.ExponentialLR(opt, 0.9)],
                   milestones=[3])
    if name == "ChainedScheduler":
        return cls([lib.ConstantLR(opt, 0.5, total_iters=4), lib.ExponentialLR(opt, 0.9)])
    if name == "ReduceLROnPlateau":
        return cls(opt, patience=1, cooldown=1, threshold=0.01)
    raise AssertionError(name)


def step(name, opt, sched, k, epoch=None):
    """One training step: gradient, ``optimizer.step()``, then the scheduler's step."""
    opt.zero_grad()
    loss = sum((p * (k + 1)).sum() for group in opt.param_groups for p in group["params"])
    loss.backward()
    opt.step()
    if name == "ReduceLROnPlateau":
        sched.step(PLATEAU_METRICS[k % len(PLATEAU_METRICS)], *(() if epoch is None else (epoch,)))
    elif epoch is None:
        sched.step()
    else:
        sched.step(epoch)


def seen(opt, sched):
    """What the optimizer will use next, and what the scheduler reports."""
    return ([(g["lr"], g["momentum"]) for g in opt.param_groups], list(sched.get_last_lr()),
            getattr(sched, "_step_count", None), getattr(sched, "last_epoch", None))


def protocol(lib, name):
    """Everything a client does with a scheduler; returns what was observed, step by step."""
    record = {}
    # the order warning and the optimizer-step counter (the wrapper on optimizer.step)
    opt = make_optimizer()
    sched = build(lib, name, opt)
    record["wrapped"] = hasattr(opt.step, "_wrapped_by_lr_sched")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if name == "ReduceLROnPlateau":
            sched.step(1.0)
        else:
            sched.step()  # before any optimizer.step(): torch warns (most classes)
    record["order_warning"] = [str(w.message)[:60] for w in caught]
    record["opt_called_before"] = getattr(opt, "_opt_called", False)
    opt.step()
    record["opt_called_after"] = getattr(opt, "_opt_called", False)

    # construct, step, step with epoch, get_last_lr
    opt = make_optimizer()
    sched = build(lib, name, opt)
    trace = [seen(opt, sched)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(8):
            step(name, opt, sched, k)
            trace.append(seen(opt, sched))
        if name not in ("SequentialLR", "ChainedScheduler"):  # they take no epoch
            for k, epoch in enumerate([10, 11, 5, 12]):
                step(name, opt, sched, 8 + k, epoch=epoch)
                trace.append(seen(opt, sched))
    record["trace"] = trace

    # state_dict round trip: resume into a fresh optimizer and scheduler, then go on
    state = copy.deepcopy(sched.state_dict())
    record["state_keys"] = sorted(state)
    opt2 = make_optimizer()
    sched2 = build(lib, name, opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(state)
    resumed = [seen(opt2, sched2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(12, 18):
            step(name, opt2, sched2, k)
            resumed.append(seen(opt2, sched2))
    record["resumed"] = resumed
    return record


def forbid_torch_scheduler_code(monkeypatch):
    """Replace every function and property of torch's scheduler module with one that raises."""
    def forbidden(where):
        def run(*args, **kwargs):
            raise AssertionError(f"torch's {where} ran")
        return run

    patched = []
    for name, obj in list(vars(torch_sched).items()):
        if inspect.isfunction(obj) and obj.__module__ == torch_sched.__name__:
            monkeypatch.setattr(torch_sched, name, forbidden(name))
            patched.append(name)
        elif inspect.isclass(obj) and obj.__module__ == torch_sched.__name__:
            for attr, value in list(vars(obj).items()):
                where = f"{obj.__name__}.{attr}"
                if isinstance(value, property):
                    monkeypatch.setattr(obj, attr, property(forbidden(where)))
                elif isinstance(value, (staticmethod, classmethod)):
                    monkeypatch.setattr(obj, attr, type(value)(forbidden(where)))
                elif inspect.isfunction(value):
                    monkeypatch.setattr(obj, attr, forbidden(where))
                else:
                    continue
                patched.append(where)
    return patched


@pytest.mark.parametrize("name", COURSE_CLASSES)
def test_no_torch_scheduler_code_runs(monkeypatch, name):
    expected = protocol(torch_sched, name)  # torch's values, computed before the patch
    patched = forbid_torch_scheduler_code(monkeypatch)
    # the patch covers every method and property of the torch classes in the course's MRO
    for base in torch_bases(getattr(ours, name)):
        for attr in behaviour(base):
            value = inspect.getattr_static(base, attr)
            if callable(value) or isinstance(value, (property, staticmethod, classmethod)):
                assert f"{base.__name__}.{attr}" in patched, attr
    # ... and it bites: torch's own classes no longer construct
    with pytest.raises(AssertionError, match="torch's"):
        build(torch_sched, name, make_optimizer())

    actual = protocol(ours, name)
    assert actual == expected
    if name != "ReduceLROnPlateau":  # torch's plateau rule neither wraps nor counts steps
        assert actual["wrapped"] and actual["opt_called_after"] and not actual["opt_called_before"]
