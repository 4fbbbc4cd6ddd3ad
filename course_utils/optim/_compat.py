"""torch-compatibility paths shared by the optimizers: flags, refusals, scalar types.

Chapter: 04_momentum_in_pytorch, 05_adam (learners never need to read this module)

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
    if group["capturable"] and not torch.compiler.is_compiling():   # compiling: as torch
        _check_capturable_devices(params, steps, _CAPTURABLE_DEVICES)
    if group["differentiable"]:
        raise AssertionError("_foreach ops don't support autograd")


# ------------------------------------------------------------------- torch's other arrangements
# The chapters' cores (``sgd_step``, ``adam_step``) are the default for-loop of torch. The two
# functions below are what the shells call instead when torch takes its other arrangement:
# ``differentiable`` (gradients flow through the step), ``capturable`` (no ``.item()``), tensor
# betas, complex params. Each replays torch's ``_single_tensor_*`` op for op, so the classes
# stay bitwise equal to ``torch.optim`` on those paths too.

def _sgd_step_differentiable(param, grad, momentum_buffer, *, lr, momentum, dampening,
                             weight_decay, nesterov, maximize):
    """``sgd_step`` with torch's ops for tensor ``lr``/``weight_decay`` that require grad:
    ``alpha=`` takes plain numbers only, so torch uses ``addcmul_`` with a tensor factor."""
    d_p = -grad if maximize else grad
    if weight_decay != 0:
        if _needs_grad(weight_decay):    # torch: in place, into p.grad itself unless maximize
            d_p = d_p.addcmul_(param.clone(), weight_decay)
        else:
            d_p = d_p.add(param, alpha=weight_decay)
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = d_p.detach().clone()
        else:
            momentum_buffer.mul_(momentum).add_(d_p, alpha=1 - dampening)
        d_p = d_p.add(momentum_buffer, alpha=momentum) if nesterov else momentum_buffer
    if _needs_grad(lr):
        param.addcmul_(d_p, lr, value=-1)
    else:
        param.add_(d_p, alpha=-lr)
    return momentum_buffer


def _adam_step_general(param, grad, exp_avg, exp_avg_sq, step, *, lr, beta1, beta2, eps,
                       weight_decay, maximize, decoupled_weight_decay, max_exp_avg_sq,
                       differentiable, capturable):
    """``adam_step`` for every case torch's ``_single_tensor_adam`` handles: complex params
    (as pairs of reals), tensor betas (β1 moved to the param's device and dtype for the
    lerp), and with ``differentiable``/``capturable`` torch's second arrangement of (5.6):
    bias corrections kept as tensors computed from ``step`` (no ``.item()``; gradients reach
    γ, β1, β2 that require grad), state read again later cloned for autograd. That
    arrangement rounds differently from the default (about 1e-7: ``step`` is float32).

    Under ``torch.compile`` dynamo shows every param group ``capturable=True`` (torch's own
    optimizers take this tensor path when compiled, with no ``.item()`` to break the graph),
    so the shells land here. There t is taken in float64 (except on MPS, which has none):
    β2^t in float32 is off by up to 1e-5 relative at t = 1 (0.999 rounds to float32), which
    made torch's compiled Adam drift about 1.5e-6 from its eager run; in float64 compiled
    training agrees with eager to float32 rounding (tests/test_optim_compile.py)."""
    g = -grad if maximize else grad
    step += 1
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)
        elif differentiable and _needs_grad(weight_decay):   # torch: in place, as in SGD
            g = g.addcmul_(param.clone(), weight_decay)
        else:
            g = g.add(param, alpha=weight_decay)
    if torch.is_complex(param):
        param, g, exp_avg, exp_avg_sq = map(torch.view_as_real, (param, g, exp_avg, exp_avg_sq))
        if max_exp_avg_sq is not None:
            max_exp_avg_sq = torch.view_as_real(max_exp_avg_sq)
    b1 = beta1.to(param.device, param.dtype) if isinstance(beta1, Tensor) else beta1
    exp_avg.lerp_(g, 1 - b1)
    if differentiable and _needs_grad(beta2):
        exp_avg_sq.lerp_(g.square(), 1 - beta2)                  # (5.4) as one lerp
    else:
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        previous = max_exp_avg_sq.clone() if differentiable else max_exp_avg_sq
        max_exp_avg_sq.copy_(torch.maximum(previous, exp_avg_sq))
        v = max_exp_avg_sq
    if differentiable or capturable:     # tensors throughout; the step size joins the denom
        t = step.clone() if differentiable else step
        if torch.compiler.is_compiling() and t.device.type != "mps":
            t = t.double()      # see _adam_step_general's docstring: β^t rounded as in eager
        step_size_neg = -(lr / (1 - beta1 ** t))
        bias_correction2_sqrt = (1 - beta2 ** t).sqrt()
        denom = (v.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(eps / step_size_neg)
        param.addcdiv_(exp_avg.clone() if differentiable else exp_avg, denom)
        return
    t = step if torch.compiler.is_compiling() else step.item()
    step_size = lr / (1 - beta1 ** t)
    bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5
    denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
    param.addcdiv_(exp_avg, denom, value=-step_size)


def _is_plain_adam(group, param, capturable):
    """The cases ``adam_step`` (the chapters' core) covers; the rest go to the general step."""
    return not (group["differentiable"] or capturable or torch.is_complex(param)
                or isinstance(group["betas"][0], Tensor) or isinstance(group["betas"][1], Tensor))


# --------------------------------------------------------------- AMP: the fused-kernel protocol
def _amp_unscale_or_skip(optimizer, group, grads):
    """torch's fused kernels' side of ``torch.amp.GradScaler``; True when the step goes on.

    An optimizer with ``_step_supports_amp_scaling`` (ours with ``fused=True``, as torch's) is
    not unscaled by the scaler: it gets ``optimizer.grad_scale`` (the scale, or None if the
    user already called ``scaler.unscale_``) and ``optimizer.found_inf`` (a 0-dim tensor, 1
    when some gradient was inf/NaN). As torch's fused kernels, we then either skip the whole
    step (params, state, ``step`` and the gradients untouched) or divide each ``p.grad`` in
    place by the scale (``p.grad / scale`` exactly, as the kernel; the unscaled gradients
    stay in ``p.grad``) and step. torch's non-fused paths refuse the two attributes.
    """
    grad_scale = getattr(optimizer, "grad_scale", None)
    found_inf = getattr(optimizer, "found_inf", None)
    if grad_scale is None and found_inf is None:
        return True
    if not group["fused"]:
        raise AssertionError("Expected grad_scale and found_inf to be None")
    if found_inf is not None and bool(found_inf != 0):
        return False
    if grad_scale is not None:
        for g in grads:
            g.div_(grad_scale.to(g.device))
    return True
