"""Schedule-free SGD and AdamW (Defazio et al. 2024), from scratch, equal to ``schedulefree`` 1.4.1.

Chapter: 13_training_practice (it derives (13.13)-(13.16); (13.17)-(13.22) are this module's
working forms)

No learning-rate schedule: the method keeps three sequences and takes the gradient at an
interpolation y of a fast iterate z (plain SGD or Adam steps) and its running average x.
Steps are counted from t = 1; x_0 = y_0 = z_0 = θ_0; β is ``momentum`` (SGD) or ``betas[0]``
(AdamW), γ ``lr``, λ ``weight_decay``, T ``warmup_steps``, p ``weight_lr_power``:

    (13.13)  y_t = (1 − β) z_t + β x_t                   (the params in train mode)
    (13.14)  z_t = z_{t-1} − γ_t g_t                     (g_t taken at y_{t-1})
    (13.15)  x_t = (1 − c_t) x_{t-1} + c_t z_t           (the average: the params in eval mode)
    (13.16)  c_t = w_t / Σ_{i≤t} w_i,  w_t = t^r · (max_{i≤t} γ_i)^p    (0 if the sum is 0)
    (13.17)  γ_t = γ · t / T  while t − 1 < T,  else γ   (linear warm-up)
    (13.18)  y_t = (1 − c_t) y_{t-1} + c_t z_{t-1} + γ_t (β (1 − c_t) − 1) g_t
    (13.19)  x_t = y_t + (1 − 1/β)(z_t − y_t)            ((13.13) solved for x)
    (13.20)  SGD:   g_t = ∇f(y_{t-1}) + λ y_{t-1}
    (13.21)  AdamW: v_t = β2 v_{t-1} + (1 − β2) ∇f(y_{t-1})²
    (13.22) AdamW: g_t = ∇f(y_{t-1}) / (√(v_t / (1 − β2^t)) + ε) + λ y_{t-1}

(The paper writes z_{t+1} = z_t − γ ∇f(y_t), x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1};
here step t produces z_t, x_t and y_t.) Only y (in ``p`` during training) and z
(``state['z']``) are stored: (13.18) follows from (13.13)-(13.15) by eliminating
x_{t-1} = (y_{t-1} − (1 − β) z_{t-1})/β, so x is never formed until ``eval()`` swaps it in
with (13.19); ``train()`` swaps y back with (13.13). With r = 0 and no warm-up, c_t = 1/t and
x_t is the plain average of z_1 … z_t. (13.16) weighs by the largest γ so far, as
``schedulefree`` does, not by γ_t as the paper writes; the two agree while γ never decreases
(warm-up, then constant). Like the package, (13.17) ramps while t − 1 < T, so a fractional T
overshoots γ at its last ramp step; and t, Σ w_i and the bias correction 1 − β2^t count the
group's steps, also for a param that skipped some (no gradient) or joined late.

Signatures, defaults, param-group keys (``k`` counts steps, ``weight_sum`` is Σ w_i, ``lr_max``
starts at −1, ``scheduled_lr`` is γ_t, ``train_mode`` starts False) and state (``z``; AdamW
adds ``exp_avg_sq``) are those of ``schedulefree`` 1.4.1, so ``state_dict`` moves both ways;
the tensor ops are the same too, so trajectories agree bitwise on CPU. ``foreach`` is stored
only: the package's foreach path is bitwise equal to its for-loop on CPU, and here there is one,
readable, implementation. Deliberate differences, each pinned by a test: ``p.grad`` is left
as the gradient (the package overwrites it with g_t); a group added with ``add_param_group``
joins in the optimizer's current mode (the package adds it in eval mode, so a later
``eval()``/``train()`` pair corrupts it); AdamW rejects arguments that break the method
(the package checks none).
"""

import torch
from torch.optim import Optimizer

__all__ = ["schedule_free_weight", "sgd_schedule_free_step", "adamw_schedule_free_step",
           "y_to_x", "x_to_y", "SGDScheduleFree", "AdamWScheduleFree"]

# The package's message, word for word, so that code catching it behaves the same.
NOT_IN_TRAIN_MODE = ("Optimizer was not in train mode when step is called. "
                     "Please insert .train() and .eval() calls on the "
                     "optimizer. See documentation for details.")


def schedule_free_weight(k, *, lr, warmup_steps, r, weight_lr_power, lr_max, weight_sum):
    """The scalars of step t = k + 1: returns (γ_t, new lr_max, new weight_sum, c_t).

    Pure: ``k`` is the number of steps taken so far, ``lr_max`` and ``weight_sum`` the group's
    running maximum of γ_i and Σ w_i before this step.
    """
    t = k + 1
    lr_t = lr * (t / warmup_steps) if k < warmup_steps else lr * 1.0    # (13.17)
    lr_max = max(lr_t, lr_max)                                           # (13.16) max γ_i
    weight = (t ** r) * (lr_max ** weight_lr_power)                      # (13.16) w_t
    weight_sum = weight_sum + weight                                     # (13.16) Σ w_i
    try:
        c = weight / weight_sum                                          # (13.16) c_t
    except ZeroDivisionError:                                            # every w_i = 0 (γ = 0)
        c = 0
    return lr_t, lr_max, weight_sum, c


def _interpolated_step(y, z, g, *, lr, beta, c):
    """(13.18) then (13.14), in place on y and z, given the step's direction g_t."""
    y.lerp_(z, c)                                        # (13.18) (1 − c) y + c z
    y.add_(g, alpha=lr * (beta * (1 - c) - 1))           # (13.18) + γ (β (1 − c) − 1) g
    z.sub_(g, alpha=lr)                                  # (13.14)


def sgd_schedule_free_step(y, grad, z, *, lr, momentum, weight_decay, c):
    """One schedule-free SGD step on one tensor, in place on ``y`` and ``z`` (``grad`` kept)."""
    g = grad.add(y, alpha=weight_decay) if weight_decay != 0 else grad   # (13.20)
    _interpolated_step(y, z, g, lr=lr, beta=momentum, c=c)


def adamw_schedule_free_step(y, grad, z, exp_avg_sq, *, step, lr, betas, eps, weight_decay, c):
    """One schedule-free AdamW step (``step`` = t) on one tensor, in place on y, z, v."""
    beta1, beta2 = betas
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)         # (13.21)
    denom = exp_avg_sq.div(1 - beta2 ** step).sqrt_().add_(eps)   # (13.22) √(v/(1 − β2^t)) + ε
    g = grad.div(denom)                                                  # (13.22)
    if weight_decay != 0:
        g.add_(y, alpha=weight_decay)                                    # (13.22) + λ y
    _interpolated_step(y, z, g, lr=lr, beta=beta1, c=c)


def y_to_x(p, z, beta):
    """In place, p ← x = y + (1 − 1/β)(z − y): what ``eval()`` does, eq. (13.19)."""
    p.lerp_(z, 1 - 1 / beta)


def x_to_y(p, z, beta):
    """In place, p ← y = x + (1 − β)(z − x): what ``train()`` does, eq. (13.13)."""
    p.lerp_(z, 1 - beta)


class _ScheduleFree(Optimizer):
    """The bookkeeping both classes share: modes, the per-group scalars, lazy state."""

    def _beta(self, group):
        raise NotImplementedError

    def _init_state(self, p, state):
        state["z"] = torch.clone(p, memory_format=torch.preserve_format)   # z_0 = y_0 = x_0

    def _update(self, p, state, group, *, lr, c):
        raise NotImplementedError

    def add_param_group(self, param_group):
        """As torch's, but a group added later joins the current mode (see the module notes)."""
        joins = (bool(self.param_groups) and isinstance(param_group, dict)
                 and "train_mode" not in param_group)
        super().add_param_group(param_group)
        if joins:
            self.param_groups[-1]["train_mode"] = self.param_groups[0]["train_mode"]

    def _switch(self, to_train):
        for group in self.param_groups:
            if group["train_mode"] == to_train:
                continue
            beta = self._beta(group)
            for p in group["params"]:
                z = self.state[p].get("z")
                if z is not None:                        # untouched params: x = y = z already
                    (x_to_y if to_train else y_to_x)(p, z.to(p.device), beta)
            group["train_mode"] = to_train

    @torch.no_grad()
    def train(self):
        """Put y (13.13), the point gradients are taken at, into the params."""
        self._switch(True)

    @torch.no_grad()
    def eval(self):
        """Put x (13.19), the averaged iterate to evaluate and checkpoint, into the params."""
        self._switch(False)

    @torch.no_grad()
    def step(self, closure=None):
        """One step for every param with a gradient; returns ``closure()`` if given."""
        if not self.param_groups[0]["train_mode"]:       # the package checks the first group
            raise Exception(NOT_IN_TRAIN_MODE)
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, group["lr_max"], group["weight_sum"], c = schedule_free_weight(
                group["k"], lr=group["lr"], warmup_steps=group["warmup_steps"], r=group["r"],
                weight_lr_power=group["weight_lr_power"], lr_max=group["lr_max"],
                weight_sum=group["weight_sum"])
            group["scheduled_lr"] = lr
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "z" not in state:
                    self._init_state(p, state)
                self._update(p, state, group, lr=lr, c=c)
            group["k"] += 1
        return loss


def _defaults(lr, warmup_steps, r, weight_lr_power, weight_decay, foreach, **method):
    return dict(lr=lr, **method, r=r, k=0, warmup_steps=warmup_steps, train_mode=False,
                weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0, weight_lr_power=weight_lr_power,
                weight_decay=weight_decay, foreach=foreach)


class SGDScheduleFree(_ScheduleFree):
    """Schedule-free SGD, eqs. (13.13)-(13.20); call ``train()`` before stepping, ``eval()``
    before evaluating or saving. Same signature, defaults, group keys and state as
    ``schedulefree.SGDScheduleFree`` 1.4.1."""

    def __init__(self, params, lr=1.0, momentum=0.9, weight_decay=0, warmup_steps=0, r=0.0,
                 weight_lr_power=2, foreach=hasattr(torch, "_foreach_mul_")):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0 < momentum < 1:       # β = 0 leaves x unrecoverable in (13.19)
            raise ValueError(f"Momentum must be between 0 and 1 exclusive: {momentum}")
        super().__init__(params, _defaults(lr, warmup_steps, r, weight_lr_power, weight_decay,
                                           foreach, momentum=momentum))

    def _beta(self, group):
        return group["momentum"]

    def _update(self, p, state, group, *, lr, c):
        sgd_schedule_free_step(p, p.grad, state["z"], lr=lr, momentum=group["momentum"],
                               weight_decay=group["weight_decay"], c=c)


class AdamWScheduleFree(_ScheduleFree):
    """Schedule-free AdamW, eqs. (13.13)-(13.19), (13.21), (13.22); call ``train()`` before
    stepping, ``eval()`` before evaluating or saving. Same signature, defaults, group keys
    and state as ``schedulefree.AdamWScheduleFree`` 1.4.1, which validates no argument; here
    the values that break the method raise ``ValueError``."""

    def __init__(self, params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 warmup_steps=0, r=0.0, weight_lr_power=2.0,
                 foreach=hasattr(torch, "_foreach_mul_")):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 < betas[0] <= 1.0:  # β1 = 0: x unrecoverable in (13.19); β1 = 1: y = x
            raise ValueError(f"Invalid beta parameter at index 0 (need 0 < β1 ≤ 1): {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:  # β2 = 1: v stays 0 and 1 − β2^t = 0 in (13.22)
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, _defaults(lr, warmup_steps, r, weight_lr_power, weight_decay,
                                           foreach, betas=betas, eps=eps))

    def _beta(self, group):
        return group["betas"][0]

    def _init_state(self, p, state):
        super()._init_state(p, state)
        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def _update(self, p, state, group, *, lr, c):
        adamw_schedule_free_step(p, p.grad, state["z"], state["exp_avg_sq"], step=group["k"] + 1,
                                 lr=lr, betas=group["betas"], eps=group["eps"],
                                 weight_decay=group["weight_decay"], c=c)
