"""Adam, AMSGrad and AdamW from scratch (eqs. 5.1-5.6).

Chapter: 05_adam

:func:`adam_step` is the math; :class:`Adam` and :class:`AdamW` are the bookkeeping shells,
with torch 2.13's signatures, defaults, state layout and error messages.
"""

import torch
from torch import Tensor
from torch.optim import Optimizer

from ._compat import (_CAPTURABLE_DEVICES, _adam_step_general, _amp_unscale_or_skip,
                      _check_capturable_devices, _check_foreach_adam_group, _check_fused_device,
                      _check_fused_flags, _is_plain_adam, _scalar_dtype, _step_every_group,
                      _to_scalar)

__all__ = ["adam_step", "Adam", "AdamW"]


def adam_step(param, grad, exp_avg, exp_avg_sq, step, *, lr, beta1=0.9, beta2=0.999,
              eps=1e-8, weight_decay=0.0, maximize=False, decoupled_weight_decay=False,
              max_exp_avg_sq=None):
    """One Adam (or AdamW) step on one real tensor, in place; returns None.

    ``step`` is a 0-dim tensor holding t − 1, increased in place; ``exp_avg`` (m) and
    ``exp_avg_sq`` (v) start at zero; a zero ``max_exp_avg_sq`` buffer turns on AMSGrad.
    Bias correction is folded into the step size and the denominator, ε is added after
    dividing by √(1 − β2^t), as torch does. Under ``torch.compile`` t stays a tensor.
    """
    g = -grad if maximize else grad                                  # (5.1) ascent: −∇f
    step += 1                                                        # t ← t + 1
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)                        # (5.2)
        else:
            g = g.add(param, alpha=weight_decay)                     # (5.1)
    exp_avg.lerp_(g, 1 - beta1)                                      # (5.3) m += (1−β1)(g − m)
    exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)           # (5.4)
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        v = torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)   # (5.5)
    t = step if torch.compiler.is_compiling() else step.item()
    step_size = lr / (1 - beta1 ** t)                                # (5.6) γ / (1 − β1^t)
    bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5                  # (5.6) √(1 − β2^t)
    denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)            # (5.6) √v / √(1−β2^t) + ε
    param.addcdiv_(exp_avg, denom, value=-step_size)                 # (5.6)


class Adam(Optimizer):
    """Adam (Kingma & Ba), with AMSGrad and L2 or decoupled weight decay; see ``adam_step``.

    Same signature, defaults, group keys and state (``step``, ``exp_avg``, ``exp_avg_sq``,
    ``max_exp_avg_sq``, in that order) as ``torch.optim.Adam``. ``step`` is a 0-dim float32
    tensor on the CPU (float64 if that is the default dtype); with ``capturable`` it lives on
    the param's device, and with ``fused`` it is float32 there.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError(
                    "lr as a Tensor is not supported for capturable=False and foreach=True")
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if foreach and not capturable:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                     "capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = dict(lr=lr, betas=tuple(map(_to_scalar, betas)), eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        if fused:
            self._step_supports_amp_scaling = True    # GradScaler hands us the scale; see step
        _check_fused_flags(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in [("amsgrad", False), ("maximize", False), ("foreach", None),
                                 ("capturable", False), ("differentiable", False),
                                 ("decoupled_weight_decay", False), ("fused", None)]:
                group.setdefault(key, default)
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if p_state and not torch.is_tensor(p_state["step"]):   # very old checkpoints
                    on_device = group["capturable"] or group["fused"]
                    p_state["step"] = torch.tensor(
                        float(p_state["step"]),
                        dtype=_scalar_dtype(group["fused"]) if on_device else _scalar_dtype(),
                        device=p.device if on_device else None)

    def step(self, closure=None):
        """One step for every param with a gradient; returns ``closure()`` if given."""
        self._accelerator_graph_capture_health_check()   # torch's CUDA-graph guard, inherited
        return _step_every_group(self, closure)

    def _init_state(self, p, group):
        if p.grad.is_sparse:
            raise RuntimeError(
                "Adam does not support sparse gradients, please consider SparseAdam instead")
        state = self.state[p]
        if not state:                                    # lazily, on p's first gradient
            if group["fused"]:
                _check_fused_device(p)
            if group["capturable"] or group["fused"]:
                state["step"] = torch.zeros((), dtype=_scalar_dtype(group["fused"]),
                                            device=p.device)
            else:
                state["step"] = torch.tensor(0.0, dtype=_scalar_dtype(), device="cpu")
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["differentiable"] and state["step"].requires_grad:
            raise RuntimeError("`requires_grad` is not supported for `step` in differentiable mode")
        if group["foreach"] and torch.is_tensor(group["lr"]) and not group["capturable"]:
            raise RuntimeError(
                "lr as a Tensor is not supported for capturable=False and foreach=True")

    def _update_group(self, group):
        beta1, beta2 = map(_to_scalar, group["betas"])   # a malformed pair fails before any state
        params = []
        for p in group["params"]:                        # all checks before any update
            if p.grad is not None:
                self._init_state(p, group)
                params.append(p)
        fused = group["fused"]                           # torch's fused kernel wins over the flags
        if group["foreach"] and not fused and params:
            _check_foreach_adam_group(group, [self.state[p]["step"] for p in params], params)
        if not _amp_unscale_or_skip(self, group, [p.grad for p in params]):
            return                                   # AMP found inf/NaN: nothing changes
        for p in params:
            state = self.state[p]
            capturable = group["capturable"] and not fused
            if capturable and not torch.compiler.is_compiling():   # compiling: as torch
                _check_capturable_devices([p], [state["step"]], _CAPTURABLE_DEVICES + ["xla"])
            kwargs = dict(lr=_to_scalar(group["lr"]), beta1=beta1, beta2=beta2, eps=group["eps"],
                          weight_decay=group["weight_decay"], maximize=group["maximize"],
                          decoupled_weight_decay=group["decoupled_weight_decay"],
                          max_exp_avg_sq=state["max_exp_avg_sq"] if group["amsgrad"] else None)
            if _is_plain_adam(group, p, capturable):
                adam_step(p, p.grad, state["exp_avg"], state["exp_avg_sq"], state["step"], **kwargs)
            else:                                    # torch's other arrangements, in _compat
                _adam_step_general(p, p.grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                                   differentiable=group["differentiable"], capturable=capturable,
                                   **kwargs)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), eq. (5.2); λ defaults to 1e-2.

    Exactly ``Adam(..., decoupled_weight_decay=True)``, like ``torch.optim.AdamW``; there is
    no ``decoupled_weight_decay`` argument, and a loaded state dict always decouples.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
