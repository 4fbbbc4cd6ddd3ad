"""SGD (with momentum and Nesterov), Adam and AdamW from scratch, equal to ``torch.optim``.

Chapter: 02_momentum, 04_adam

A functional core and a thin stateful shell. :func:`sgd_step` and :func:`adam_step` hold all
the math: they update the tensors they are given in place and keep no hidden state, so a
chapter can call them on plain tensors. The classes subclass ``torch.optim.Optimizer`` for
bookkeeping only (param groups, ``state[p]``, ``state_dict``, ``zero_grad``, hooks).

Equations (the numbers match the chapters; γ lr, μ momentum, τ dampening, λ weight_decay):

    (2.3)  g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}                 (− under maximize; L2 keeps its +)
    (2.4)  b_1 = g_1 ;  b_t = μ b_{t-1} + (1 − τ) g_t
    (2.5)  θ_t = θ_{t-1} − γ (g_t + μ b_t  if nesterov else  b_t)   (b_t = g_t when μ = 0)
    (4.1)  g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}                 (Adam's L2 weight decay)
    (4.2)  θ_{t-1} ← (1 − γλ) θ_{t-1}                     (AdamW's decoupled weight decay)
    (4.3)  m_t = β1 m_{t-1} + (1 − β1) g_t
    (4.4)  v_t = β2 v_{t-1} + (1 − β2) g_t²
    (4.5)  v_t ← max(v_{t-1}^max, v_t)                    (AMSGrad, on the uncorrected v)
    (4.6)  θ_t = θ_{t-1} − γ/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)

The tensor operations are torch's own, in torch's order (``lerp_`` for (4.3),
``mul_().addcmul_()`` for (4.4), ``add(alpha=)`` for (2.3)), so on CPU the results are
bitwise equal to ``torch.optim.X(..., foreach=False)``; the textbook spelling
``β1*m + (1-β1)*g`` rounds differently in the last bit.

Signatures, defaults, param-group keys, state keys and error messages are torch 2.13's, so a
``state_dict`` moves between these classes and torch's in both directions. There is one
implementation, the readable for-loop; the flags that pick torch's other paths are accepted,
stored and validated as torch does, and here mean:

* ``foreach``: no effect on the math (torch's foreach path is bitwise equal to its for-loop on
  CPU for real float32/float64 tensors); torch's refusals on that path (tensor betas without
  ``capturable``, ``differentiable``) are reproduced. Unlike torch's foreach SGD with Nesterov,
  ``p.grad`` is never overwritten.
* ``fused``: torch's fused kernels round differently (about 1e-7 in float32); here it only
  keeps Adam's ``step`` as float32 on the param's device, as torch does, and checks devices
  and sparse gradients. AMP's ``GradScaler`` therefore unscales gradients itself before
  ``step()``.
* ``capturable`` (Adam): ``step`` lives on the param's device, CPU params are refused, and the
  bias corrections stay tensors (no ``.item()``), all as in torch.
* ``differentiable``: ``step()`` runs with autograd on and uses torch's differentiable
  arrangement of the ops (tensor bias corrections, clones of re-read state, ``addcmul`` for
  tensor hyper-parameters that require grad), so gradients reach the params, gradients, state
  and hyper-parameters exactly as with ``torch.optim`` (checked with ``gradcheck``).
"""

import torch
from torch import Tensor
from torch.optim import Optimizer

__all__ = ["sgd_step", "adam_step", "SGD", "Adam", "AdamW"]


def sgd_step(param, grad, momentum_buffer, *, lr, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    """One SGD step on one tensor, in place; returns the momentum buffer (None if μ = 0).

        g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}                           (2.3)
        b_1 = g_1 ;  b_t = μ b_{t-1} + (1 − τ) g_t               (2.4)
        θ_t = θ_{t-1} − γ (g_t + μ b_t  if nesterov else  b_t)   (2.5)

    PyTorch's convention: the buffer starts at g_1 on the first step *this tensor* has a
    gradient, so dampening first acts at its second step, and γ multiplies the buffer from
    outside (Sutskever et al. put γ inside the buffer; the two agree while γ is constant).
    ``lr`` and ``weight_decay`` may be floats or 0-dim tensors; a tensor that requires grad
    gets a gradient through the step. Call under ``torch.no_grad()`` when ``param`` is a leaf
    that requires grad.
    """
    d_p = -grad if maximize else grad                                # (2.3) ascent: −∇f
    if weight_decay != 0:
        if _needs_grad(weight_decay):    # torch: in place, into p.grad itself unless maximize
            d_p = d_p.addcmul_(param.clone(), weight_decay)          # (2.3) + λθ
        else:
            d_p = d_p.add(param, alpha=weight_decay)                 # (2.3) + λθ, after the sign
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = d_p.detach().clone()                   # (2.4) b_1 = g_1
        else:
            momentum_buffer.mul_(momentum).add_(d_p, alpha=1 - dampening)   # (2.4)
        d_p = d_p.add(momentum_buffer, alpha=momentum) if nesterov else momentum_buffer  # (2.5)
    if _needs_grad(lr):
        param.addcmul_(d_p, lr, value=-1)                            # (2.5) θ ← θ − γ d
    else:
        param.add_(d_p, alpha=-lr)                                   # (2.5) θ ← θ − γ d
    return momentum_buffer


def _needs_grad(hyper):
    """A tensor hyper-parameter that requires grad. ``alpha=`` and ``value=`` take plain
    numbers only, so torch (and we) switch to ops with a tensor factor for it."""
    return isinstance(hyper, Tensor) and hyper.requires_grad


def adam_step(param, grad, exp_avg, exp_avg_sq, step, *, lr, beta1=0.9, beta2=0.999,
              eps=1e-8, weight_decay=0.0, maximize=False, decoupled_weight_decay=False,
              max_exp_avg_sq=None, differentiable=False, capturable=False):
    """One Adam (or AdamW) step on one tensor, in place; returns None.

        g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}                       (4.1)  Adam's L2 decay
        θ_{t-1} ← (1 − γλ) θ_{t-1}                            (4.2)  AdamW: decoupled decay
        m_t = β1 m_{t-1} + (1 − β1) g_t                       (4.3)
        v_t = β2 v_{t-1} + (1 − β2) g_t²                      (4.4)
        v_t ← max(v_{t-1}^max, v_t)                           (4.5)  AMSGrad only
        θ_t = θ_{t-1} − γ/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)   (4.6)

    ``step`` is a 0-dim tensor holding t − 1; it is increased in place. ``exp_avg`` (m) and
    ``exp_avg_sq`` (v) start at zero. Pass a zero ``max_exp_avg_sq`` buffer to use AMSGrad.
    Bias correction is folded into the step size and the denominator, and ε is added after
    dividing by √(1 − β2^t), exactly as torch does; ``eps=0`` turns 0/0 into NaN.
    Complex tensors are treated as pairs of real coordinates, as in torch.

    ``differentiable`` or ``capturable`` take torch's second arrangement of (4.6): the bias
    corrections stay tensors computed from ``step`` (no ``.item()``, so gradients reach γ, β1,
    β2 that require grad), and state read again later is cloned for autograd. It rounds
    differently from the default arrangement (about 1e-7, since ``step`` is float32).
    """
    if not torch.is_tensor(step):
        raise TypeError(f"step must be a 0-dim tensor (it is counted in place), got {step!r}")
    g = -grad if maximize else grad                                  # (4.1) ascent: −∇f
    step += 1                                                        # t ← t + 1
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)                        # (4.2)
        elif differentiable and _needs_grad(weight_decay):   # torch: in place, as in SGD
            g = g.addcmul_(param.clone(), weight_decay)              # (4.1)
        else:
            g = g.add(param, alpha=weight_decay)                     # (4.1)
    if torch.is_complex(param):
        param, g, exp_avg, exp_avg_sq = map(torch.view_as_real, (param, g, exp_avg, exp_avg_sq))
        if max_exp_avg_sq is not None:
            max_exp_avg_sq = torch.view_as_real(max_exp_avg_sq)
    b1 = beta1.to(param.device, param.dtype) if isinstance(beta1, Tensor) else beta1
    exp_avg.lerp_(g, 1 - b1)                                         # (4.3) m += (1−β1)(g − m)
    if differentiable and _needs_grad(beta2):
        exp_avg_sq.lerp_(g.square(), 1 - beta2)                      # (4.4) as one lerp
    else:
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)       # (4.4)
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        previous = max_exp_avg_sq.clone() if differentiable else max_exp_avg_sq
        max_exp_avg_sq.copy_(torch.maximum(previous, exp_avg_sq))   # (4.5)
        v = max_exp_avg_sq

    if differentiable or capturable:     # tensors throughout; the step size joins the denom
        t = step.clone() if differentiable else step
        step_size_neg = -(lr / (1 - beta1 ** t))                     # (4.6) −γ / (1 − β1^t)
        bias_correction2_sqrt = (1 - beta2 ** t).sqrt()              # (4.6) √(1 − β2^t)
        denom = (v.sqrt() / (bias_correction2_sqrt * step_size_neg)  # (4.6) (√v̂ + ε) / step
                 ).add_(eps / step_size_neg)
        param.addcdiv_(exp_avg.clone() if differentiable else exp_avg, denom)   # (4.6)
        return
    t = step.item()
    step_size = lr / (1 - beta1 ** t)                                # (4.6) γ / (1 − β1^t)
    bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5                  # (4.6) √(1 − β2^t)
    denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)            # (4.6) √v / √(1−β2^t) + ε
    param.addcdiv_(exp_avg, denom, value=-step_size)                 # (4.6)


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
        has_momentum = group["momentum"] != 0
        # As torch: read every buffer before any update and store them after the last one
        # (matters for a param listed twice, and for a step that fails half-way).
        bufs = [self.state[p].get("momentum_buffer") if has_momentum else None for p in params]
        for i, p in enumerate(params):
            bufs[i] = sgd_step(p, p.grad, bufs[i], lr=_to_scalar(group["lr"]),
                               momentum=group["momentum"], dampening=group["dampening"],
                               weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                               maximize=group["maximize"])
        if has_momentum:
            for p, buf in zip(params, bufs):
                self.state[p]["momentum_buffer"] = buf


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
        for p in params:
            state = self.state[p]
            if group["capturable"] and not fused:
                _check_capturable_devices([p], [state["step"]], _CAPTURABLE_DEVICES + ["xla"])
            adam_step(p, p.grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                      lr=_to_scalar(group["lr"]), beta1=beta1, beta2=beta2, eps=group["eps"],
                      weight_decay=group["weight_decay"], maximize=group["maximize"],
                      decoupled_weight_decay=group["decoupled_weight_decay"],
                      max_exp_avg_sq=state["max_exp_avg_sq"] if group["amsgrad"] else None,
                      differentiable=group["differentiable"],
                      capturable=group["capturable"] and not fused)


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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), eq. (4.2); λ defaults to 1e-2.

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
