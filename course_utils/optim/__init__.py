"""SGD (with momentum and Nesterov), Adam and AdamW from scratch, equal to ``torch.optim``.

Chapter: 04_momentum_in_pytorch, 05_adam

A functional core and a thin stateful shell. :func:`sgd_step` and :func:`adam_step` hold
the math: they update the tensors they are given in place and keep no hidden state, so a
chapter can call them on plain tensors. The classes subclass ``torch.optim.Optimizer`` for
bookkeeping only (param groups, ``state[p]``, ``state_dict``, ``zero_grad``, hooks).

Equations (the numbers match the chapters; γ lr, μ momentum, τ dampening, λ weight_decay):

    (4.1)  g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}                 (− under maximize; L2 keeps its +)
    (4.2)  b_1 = g_1 ;  b_t = μ b_{t-1} + (1 − τ) g_t
    (4.3)  θ_t = θ_{t-1} − γ (g_t + μ b_t  if nesterov else  b_t)   (b_t = g_t when μ = 0)
    (5.1)  g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}                 (Adam's L2 weight decay)
    (5.2)  θ_{t-1} ← (1 − γλ) θ_{t-1}                     (AdamW's decoupled weight decay)
    (5.3)  m_t = β1 m_{t-1} + (1 − β1) g_t
    (5.4)  v_t = β2 v_{t-1} + (1 − β2) g_t²
    (5.5)  v_t ← max(v_{t-1}^max, v_t)                    (AMSGrad, on the uncorrected v)
    (5.6)  θ_t = θ_{t-1} − γ/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)

The tensor operations are torch's own, in torch's order (``lerp_`` for (5.3),
``mul_().addcmul_()`` for (5.4), ``add(alpha=)`` for (4.1)), so on CPU the results are
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
* ``fused``: torch's fused kernels round differently (about 1e-7 in float32); here the math
  is the for-loop's, Adam's ``step`` is float32 on the param's device, devices and sparse
  gradients are checked, and the optimizer takes part in AMP as torch's fused ones do
  (``_step_supports_amp_scaling``): ``GradScaler`` sets ``grad_scale`` and ``found_inf``, and
  ``step()`` divides each ``p.grad`` in place by the scale, or skips the whole step (params,
  state, ``step`` unchanged) when an inf/NaN was found (``_compat._amp_unscale_or_skip``).
* ``capturable`` (Adam): ``step`` lives on the param's device, CPU params are refused, and the
  bias corrections stay tensors (no ``.item()``), all as in torch.
* ``differentiable``: ``step()`` runs with autograd on and uses torch's differentiable
  arrangement of the ops (tensor bias corrections, clones of re-read state, ``addcmul`` for
  tensor hyper-parameters that require grad), so gradients reach the params, gradients, state
  and hyper-parameters exactly as with ``torch.optim`` (checked with ``gradcheck``).

These other arrangements (and complex params, tensor betas) live in ``_compat.py``; the shells
call them instead of the cores, so ``sgd_step``/``adam_step`` show only the equations.
``torch.compile`` traces ``step()`` into one graph, as for torch: dynamo shows every group
``capturable=True``, so Adam takes the tensor arrangement there (β^t in float64, so compiled
training agrees with eager to float32 rounding).
"""

from .adam import Adam, AdamW, adam_step
from .sgd import SGD, sgd_step
from .schedule_free import AdamWScheduleFree, SGDScheduleFree

__all__ = ["sgd_step", "adam_step", "SGD", "Adam", "AdamW", "SGDScheduleFree", "AdamWScheduleFree"]
