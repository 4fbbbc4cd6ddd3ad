"""torch-compatibility paths shared by the optimizers: flags, refusals, scalar types.

Chapter: 02_momentum, 04_adam (learners never need to read this module)

What lives here is not the math but what makes the classes a drop-in for ``torch.optim``:
the checks torch makes for ``fused``/``foreach``/``capturable``/``differentiable``, the
dtype and device of Adam's ``step`` counter, and torch's ``step()`` protocol.
"""

import torch
from torch import Tensor

def _needs_grad(hyper):
    """A tensor hyper-parameter that requires grad. ``alpha=`` and ``value=`` take plain
    numbers only, so torch (and we) switch to ops with a tensor factor for it."""
    return isinstance(hyper, Tensor) and hyper.requires_grad


def _to_scalar(x):
    """A 1-element tensor hyper-parameter as a 0-dim tensor (torch's ``_to_scalar``)."""
    return x.squeeze() if isinstance(x, Tensor) and x.dim() != 0 else x


def _scalar_dtype(fused=False):
    """dtype of Adam's ``step``: float32, or float64 when that is the default dtype."""
    if fused:
        return torch.float32
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _check_fused_flags(fused, foreach, differentiable):
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _check_fused_device(p):
    devices = ["mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"]
    if not (p.device.type in devices and torch.is_floating_point(p)):
        raise RuntimeError(
            "`fused=True` requires all the params to be floating point Tensors of "
            f"supported devices: {devices} but {p.dtype} and {p.device.type}")


def _step_every_group(optimizer, closure):
    """torch's ``step()`` protocol: the closure under autograd, then each group's update
    without autograd (with it when ``differentiable``); returns the closure's loss."""
    loss = None
    if closure is not None:
        with torch.enable_grad():
            loss = closure()
    with torch.set_grad_enabled(optimizer.defaults["differentiable"]):
        for group in optimizer.param_groups:
            optimizer._update_group(group)
    return loss


_CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone"]


def _check_capturable_devices(params, steps, devices):
    if not all(p.device.type == s.device.type and p.device.type in devices
               for p, s in zip(params, steps)):
        raise AssertionError("If capturable=True, params and state_steps must be "
                             f"on supported devices: {devices}.")


def _check_foreach_adam_group(group, steps, params):
    """The checks of torch's multi-tensor Adam, which a group with ``foreach=True`` takes there
    (its values equal the for-loop's on CPU, so only the refusals are reproduced)."""
    if isinstance(group["lr"], Tensor) and group["lr"].numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    for name, value in [("beta1", group["betas"][0]), ("beta2", group["betas"][1])]:
        if isinstance(value, Tensor):
            if not group["capturable"]:
                raise ValueError(f"{name} as a Tensor is not supported for capturable=False "
                                 "and foreach=True")
            if value.numel() != 1:
                raise ValueError(f"Tensor {name} must be 1-element")
    if group["capturable"]:
        _check_capturable_devices(params, steps, _CAPTURABLE_DEVICES)
    if group["differentiable"]:
        raise AssertionError("_foreach ops don't support autograd")
