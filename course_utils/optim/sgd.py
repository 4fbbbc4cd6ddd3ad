"""SGD with momentum, dampening, Nesterov and weight decay, from scratch (eqs. 4.1-4.3).

Chapter: 04_momentum_in_pytorch

:func:`sgd_step` is the math; :class:`SGD` is the bookkeeping shell (``torch.optim.Optimizer``
groups and ``state[p]``), with torch 2.13's signature, defaults, state and error messages.
"""

from torch import Tensor
from torch.optim import Optimizer

from ._compat import (_amp_unscale_or_skip, _check_fused_device, _check_fused_flags,
                      _sgd_step_differentiable, _step_every_group, _to_scalar)

__all__ = ["sgd_step", "SGD"]


def sgd_step(param, grad, momentum_buffer, *, lr, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    """One SGD step on one tensor, in place; returns the momentum buffer (None if μ = 0).

    The buffer starts at g_1 on the first step *this tensor* has a gradient (PyTorch's
    convention), so dampening first acts at its second step; γ multiplies the buffer from
    outside. Call under ``torch.no_grad()`` when ``param`` is a leaf that requires grad.
    """
    d_p = -grad if maximize else grad                                # (4.1) ascent: −∇f
    if weight_decay != 0:
        d_p = d_p.add(param, alpha=weight_decay)                     # (4.1) + λθ, after the sign
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = d_p.detach().clone()                   # (4.2) b_1 = g_1
        else:
            momentum_buffer.mul_(momentum).add_(d_p, alpha=1 - dampening)   # (4.2)
        d_p = d_p.add(momentum_buffer, alpha=momentum) if nesterov else momentum_buffer  # (4.3)
    param.add_(d_p, alpha=-lr)                                       # (4.3) θ ← θ − γ d
    return momentum_buffer


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, Nesterov and weight decay; see ``sgd_step``.

    Same signature, defaults, group keys and ``momentum_buffer`` state as
    ``torch.optim.SGD``. With ``momentum=0`` no state is kept at all.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        if fused:
            self._step_supports_amp_scaling = True    # GradScaler hands us the scale; see step
        _check_fused_flags(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in [("nesterov", False), ("maximize", False), ("foreach", None),
                                 ("differentiable", False), ("fused", False)]:
                group.setdefault(key, default)

    def step(self, closure=None):
        """One step for every param with a gradient; returns ``closure()`` if given."""
        return _step_every_group(self, closure)

    def _update_group(self, group):
        params = [p for p in group["params"] if p.grad is not None]
        if group["fused"] and params and getattr(self, "_fused_device_unchecked", True):
            _check_fused_device(params[0])
            self._fused_device_unchecked = False
        if group["fused"] and not group["foreach"] and any(p.grad.is_sparse for p in params):
            # torch's error text, word for word; nothing here calls torch's fused kernel
            raise RuntimeError("`_fused_sgd` does not support sparse gradients")
        if not _amp_unscale_or_skip(self, group, [p.grad for p in params]):
            return                                   # AMP found inf/NaN: nothing changes
        has_momentum = group["momentum"] != 0
        one_step = _sgd_step_differentiable if group["differentiable"] else sgd_step
        # As torch: read every buffer before any update and store them after the last one
        # (matters for a param listed twice, and for a step that fails half-way).
        bufs = [self.state[p].get("momentum_buffer") if has_momentum else None for p in params]
        for i, p in enumerate(params):
            bufs[i] = one_step(p, p.grad, bufs[i], lr=_to_scalar(group["lr"]),
                               momentum=group["momentum"], dampening=group["dampening"],
                               weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                               maximize=group["maximize"])
        if has_momentum:
            for p, buf in zip(params, bufs):
                self.state[p]["momentum_buffer"] = buf
