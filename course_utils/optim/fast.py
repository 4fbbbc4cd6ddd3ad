"""Fast from-scratch optimizer steps: every parameter a view into one flat buffer.

Chapter: 11_cost_of_a_step

An optimizer step is elementwise, so its cost is the memory it moves, not the arithmetic:

    SGD with momentum   reads θ, g, b     writes θ, b      5 floats per parameter   (11.1)
    Adam                reads θ, g, m, v  writes θ, m, v   7 floats per parameter   (11.2)

Two ideas bring a from-scratch step to that floor:

1. **Flatten.** :func:`flatten_parameters` makes every parameter (and its ``.grad``) a view
   into one contiguous buffer, so one tensor operation updates the whole model instead of
   one small operation per tensor.
2. **Fuse.** An eager step is a chain of operations, each a full pass over memory (Adam's is
   seven passes, 18 floats per parameter). ``torch.compile`` of the same math emits one
   loop that reads each input once and writes each output once: the floor (11.1)–(11.2).

The eager flat steps replay torch's for-loop operations (``sgd_step`` itself on the flat
buffers; :func:`flat_adam_step`, ``adam_step``'s operations without temporaries), so they are
bitwise equal to ``torch.optim``'s for-loop; the multi-tensor cores use ``torch._foreach_*``
in torch's order; the fused math (:func:`sgd_fused_math`, :func:`adam_fused_math`) is what
``torch.compile`` turns into one kernel.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.optim import Optimizer

from .sgd import sgd_step

__all__ = ["flatten_parameters", "foreach_sgd_step", "foreach_adam_step", "flat_adam_step", "sgd_fused_math",
           "adam_fused_math", "compiled", "FlatSGD", "FlatAdam"]


def _flat_view(tensors: list[Tensor]) -> Tensor | None:
    """The 1-D tensor the ``tensors`` are consecutive contiguous views of, or None."""
    first = tensors[0]
    offset = first.storage_offset()
    for t in tensors:
        if (not t.is_contiguous() or t.storage_offset() != offset or t.dtype != first.dtype
                or t.untyped_storage().data_ptr() != first.untyped_storage().data_ptr()):
            return None
        offset += t.numel()
    return first.new_empty(0).set_(first.untyped_storage(), first.storage_offset(),
                                   (offset - first.storage_offset(),))


def _rebind(tensors: list[Tensor], flat: Tensor) -> None:
    """Copy each tensor into its slice of the fresh buffer ``flat``, then make it that slice."""
    offset = 0
    with torch.no_grad():
        for t in tensors:
            n = t.numel()
            flat[offset:offset + n].copy_(t.reshape(-1))
            t.set_(flat.untyped_storage(), offset, t.shape, flat[:n].view(t.shape).stride())
            offset += n


def flatten_parameters(params) -> tuple[Tensor, Tensor]:
    """Make ``params`` and their ``.grad`` views into two flat buffers; return the buffers.

    Each parameter keeps its identity (modules, optimizers and hooks still hold it) and its
    values; only its memory moves. A missing ``.grad`` becomes zeros. Backward accumulates
    into the views in place, so the flat gradient fills itself. Params that already are
    consecutive views of one buffer are left where they are (two optimizers can share them).
    """
    params = list(params)
    if not params:
        raise ValueError("flatten_parameters got an empty parameter list")
    p0 = params[0]
    if any(p.dtype != p0.dtype or p.device != p0.device for p in params):
        raise ValueError("flat buffers need one dtype and one device for all params")
    flat = _flat_view(params)
    if flat is None:
        flat = torch.empty(sum(p.numel() for p in params), dtype=p0.dtype, device=p0.device)
        _rebind(params, flat)
    grads = [p.grad for p in params]
    flat_grad = _flat_view(grads) if all(g is not None for g in grads) else None
    if flat_grad is None:
        flat_grad = torch.zeros_like(flat)
        offset = 0
        for p, g in zip(params, grads):
            view = flat_grad[offset:offset + p.numel()].view_as(p)
            if g is not None:
                view.copy_(g)
            p.grad = view
            offset += p.numel()
    return flat, flat_grad


def foreach_sgd_step(params, grads, bufs, *, lr, momentum=0.0, dampening=0.0,
                     weight_decay=0.0, nesterov=False):
    """(4.1)–(4.3) on lists of tensors with ``torch._foreach_*`` ops; returns the buffers.

    Torch's operation order, so equal to ``sgd_step`` on each tensor. ``bufs`` is None on
    the first step (the buffers start at g_1).
    """
    if weight_decay != 0:
        grads = torch._foreach_add(grads, params, alpha=weight_decay)            # (4.1)
    if momentum != 0:
        if bufs is None:
            bufs = [g.detach().clone() for g in grads]                           # (4.2) b_1 = g_1
        else:
            torch._foreach_mul_(bufs, momentum)                                  # (4.2)
            torch._foreach_add_(bufs, grads, alpha=1 - dampening)
        grads = torch._foreach_add(grads, bufs, alpha=momentum) if nesterov else bufs  # (4.3)
    torch._foreach_add_(params, grads, alpha=-lr)                                # (4.3)
    return bufs


def foreach_adam_step(params, grads, exp_avgs, exp_avg_sqs, step: int, *, lr, beta1=0.9,
                      beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
    """(5.1)–(5.6) on lists of tensors with ``torch._foreach_*`` ops; ``step`` is t (≥ 1)."""
    if weight_decay != 0:
        if decoupled_weight_decay:
            torch._foreach_mul_(params, 1 - lr * weight_decay)                   # (5.2)
        else:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)        # (5.1)
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)                             # (5.3)
    torch._foreach_mul_(exp_avg_sqs, beta2)                                      # (5.4)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    step_size = lr / (1 - beta1 ** step)                                         # (5.6)
    denom = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(denom, (1 - beta2 ** step) ** 0.5)
    torch._foreach_add_(denom, eps)                                              # √v̂ + ε
    torch._foreach_addcdiv_(params, exp_avgs, denom, -step_size)                 # (5.6)


def flat_adam_step(param, grad, exp_avg, exp_avg_sq, step, denom, *, lr, beta1=0.9, beta2=0.999,
                   eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
    """``adam_step``'s operations, in its order, with the denominator written into ``denom``.

    Bitwise equal to ``adam_step`` (the same elementwise ops), but a big flat step allocates
    no temporaries: two fresh 100 MB tensors per step cost more (page faults) than the math.
    ``step`` is a 0-dim tensor holding t − 1, increased in place.
    """
    step += 1
    t = step.item()
    g = grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)                                    # (5.2)
        else:
            g = grad.add(param, alpha=weight_decay)                              # (5.1)
    exp_avg.lerp_(g, 1 - beta1)                                                  # (5.3)
    exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)                       # (5.4)
    torch.sqrt(exp_avg_sq, out=denom).div_((1 - beta2 ** t) ** 0.5).add_(eps)    # √v̂ + ε
    param.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1 ** t))                 # (5.6)


def sgd_fused_math(param, grad, buf, lr, momentum, dampening, weight_decay,
                   nesterov: bool, use_weight_decay: bool):
    """(4.1)–(4.3) for t ≥ 2, written for ``torch.compile``: one read and one write each.

    Plain arithmetic (no ``alpha=`` keywords) so that the compiler keeps the scalars symbolic:
    a new ``lr`` from a scheduler is a new argument, not a recompilation.
    """
    d = grad + weight_decay * param if use_weight_decay else grad               # (4.1)
    buf.copy_(momentum * buf + (1 - dampening) * d)                             # (4.2)
    update = d + momentum * buf if nesterov else buf                            # (4.3)
    param.copy_(param - lr * update)                                            # (4.3)


def adam_fused_math(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                    step_size, bias_correction2_sqrt, decoupled: bool, use_weight_decay: bool):
    """(5.1)–(5.6) written for ``torch.compile``; ``step_size = lr/(1 − β1^t)`` from the host."""
    p = param
    if use_weight_decay and decoupled:
        p = p * (1 - lr * weight_decay)                                         # (5.2)
    g = grad + weight_decay * param if use_weight_decay and not decoupled else grad  # (5.1)
    exp_avg.copy_(exp_avg + (1 - beta1) * (g - exp_avg))                        # (5.3)
    exp_avg_sq.copy_(beta2 * exp_avg_sq + (1 - beta2) * g * g)                  # (5.4)
    denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps                     # √v̂ + ε
    param.copy_(p - step_size * exp_avg / denom)                                # (5.6)


_COMPILED: dict = {}


def compiled(fn):
    """``torch.compile(fn)`` once per process: one fused kernel, scalars kept symbolic."""
    if fn not in _COMPILED:
        _COMPILED[fn] = torch.compile(fn, fullgraph=True, dynamic=True)
    return _COMPILED[fn]


class _Flat(Optimizer):
    """Bookkeeping shared by the flat optimizers: one group, one flat buffer, fixed grads."""

    def __init__(self, params, defaults, compile):
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__} takes one parameter group")
        params = self.param_groups[0]["params"]
        self.flat_param, self.flat_grad = flatten_parameters(params)
        self._grads = [p.grad for p in params]
        self.compile = bool(compile)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Zero the flat gradient in place (``set_to_none`` is ignored: the views must stay)."""
        self.flat_grad.zero_()

    def _check_grads(self):
        params = self.param_groups[0]["params"]
        if any(p.grad is not g for p, g in zip(params, self._grads)):
            raise RuntimeError(f"{type(self).__name__}: a param's .grad was replaced; it must stay "
                               "a view of the flat gradient (use opt.zero_grad(), not p.grad = None)")

    @property
    def _state(self):
        return self.state[self.param_groups[0]["params"][0]]     # the flat state lives here

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self._check_grads()
        with torch.no_grad():
            self._update(self.param_groups[0])
        return loss


class FlatSGD(_Flat):
    """SGD with momentum on one flat buffer: ``torch.optim.SGD``'s math and arguments.

    ``compile=False``: ``sgd_step`` on the flat buffers (bitwise equal to torch's for-loop).
    ``compile=True``: from the second step, ``sgd_fused_math`` compiled into one kernel.
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, compile=False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"Invalid lr, momentum or weight_decay: {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov), compile)

    def _update(self, group):
        buf = self._state.get("momentum_buffer")
        if self.compile and buf is not None:
            compiled(sgd_fused_math)(self.flat_param, self.flat_grad, buf, group["lr"],
                                     group["momentum"], group["dampening"], group["weight_decay"],
                                     group["nesterov"], group["weight_decay"] != 0)
            return
        buf = sgd_step(self.flat_param, self.flat_grad, buf, lr=group["lr"],
                       momentum=group["momentum"], dampening=group["dampening"],
                       weight_decay=group["weight_decay"], nesterov=group["nesterov"])
        if buf is not None:
            self._state["momentum_buffer"] = buf


class FlatAdam(_Flat):
    """Adam / AdamW on one flat buffer: ``torch.optim.Adam``'s math and arguments (no AMSGrad).

    ``compile=False``: ``flat_adam_step`` (``adam_step``'s ops; bitwise equal to torch's for-loop).
    ``compile=True``: ``adam_fused_math`` compiled into one kernel.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *,
                 decoupled_weight_decay=False, compile=False):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Invalid lr, betas, eps or weight_decay: {lr}, {betas}, {eps}, {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay), compile)
        self._state.update(step=torch.tensor(0.0), exp_avg=torch.zeros_like(self.flat_param),
                           exp_avg_sq=torch.zeros_like(self.flat_param))

    def _update(self, group):
        s, (beta1, beta2) = self._state, group["betas"]
        kwargs = dict(lr=group["lr"], eps=group["eps"], weight_decay=group["weight_decay"])
        if not self.compile:
            if "denom" not in s:
                s["denom"] = torch.empty_like(self.flat_param)
            flat_adam_step(self.flat_param, self.flat_grad, s["exp_avg"], s["exp_avg_sq"], s["step"],
                           s["denom"], beta1=beta1, beta2=beta2,
                           decoupled_weight_decay=group["decoupled_weight_decay"], **kwargs)
            return
        s["step"] += 1
        t = float(s["step"])
        compiled(adam_fused_math)(self.flat_param, self.flat_grad, s["exp_avg"], s["exp_avg_sq"],
                                  group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                                  group["lr"] / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5,
                                  group["decoupled_weight_decay"], group["weight_decay"] != 0)
