# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · Momentum in PyTorch: the forms, dampening, Nesterov and weight decay
#
# *One extra vector turns gradient descent into momentum: derive it, unroll it, write its four
# published forms, prove them equal (or not) and prove the course's SGD equal to `torch.optim.SGD`.*
#
# **Prerequisites:** chapter 00 (notation, `compare_optimizers`), gradient descent on a quadratic
# (chapter 01).
# **Runtime:** about 15 seconds on a laptop CPU.
#
# **After this chapter you can**
# 1. unroll the momentum recurrence into a weighted sum of past gradients and compute its
#    effective step $\alpha/(1-\beta)$;
# 2. say, with numbers, when momentum speeds a coordinate up and when it damps one — and when
#    the folk claim "momentum damps oscillations" is false;
# 3. translate between the heavy-ball, PyTorch, Sutskever and Nesterov forms, and predict where
#    they part ways under a learning-rate schedule;
# 4. read every argument of `torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9,
#    weight_decay=wd)` — dampening, Nesterov and weight decay included — and check a
#    from-scratch SGD against it to 12 digits.

# %% tags=["colab"]
# On Colab: fetch the course and its companion package. Anywhere else this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(["git", "clone", "-q", "--depth", "1",
                    "https://github.com/momentum-course/momentum-lr-decay", "/content/course"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/course"], check=True)
    sys.path.insert(0, "/content/course")

# %%
import matplotlib.pyplot as plt
import torch

from course_utils.device import setup

device = setup(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The update PyTorch runs
#
# `torch.optim.SGD` computes (2.1) with three additions — weight decay $\lambda$, dampening
# $\tau$ and Nesterov's variant — and one convention about the first step. With $\theta$ for the
# parameters, $\gamma$ for the learning rate and $\mu$ for the momentum, as in PyTorch's
# documentation:
#
# $$
# g_t = \pm\nabla f(\theta_{t-1}) + \lambda\, \theta_{t-1} \qquad (-\text{ when } \texttt{maximize}) \tag{4.1}
# $$
#
# $$
# b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + (1 - \tau)\, g_t \quad (t \ge 2) \tag{4.2}
# $$
#
# $$
# \theta_t = \theta_{t-1} - \gamma \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\ b_t & \text{otherwise} \end{cases} \tag{4.3}
# $$
#
# With $\lambda = \tau = 0$ and no Nesterov, (4.1)–(4.3) are exactly (2.1): $b_t = z_t$,
# $\gamma = \alpha$, $\mu = \beta$, counting steps from 1. The symbols map to code like this:
#
# | symbol | meaning | course code (`sgd_step`) | `torch.optim.SGD` |
# |---|---|---|---|
# | $\theta$, $w$ | parameters | `param` | `params` |
# | $\gamma$, $\alpha$ | learning rate | `lr` | `lr` |
# | $\mu$, $\beta$ | momentum coefficient | `momentum` | `momentum` |
# | $b$, $z$ | momentum buffer (velocity) | `momentum_buffer` | `state[p]["momentum_buffer"]` |
# | $\tau$ | dampening | `dampening` | `dampening` |
# | $\lambda$ | L2 weight decay | `weight_decay` | `weight_decay` |
# | $\pm$ | gradient ascent | `maximize` | `maximize` |
#
# The course's implementation is a pure function of one tensor, each line tagged with the
# equation it computes; the `SGD` class around it only does PyTorch's bookkeeping (parameter
# groups, `state`, `state_dict`):

# %%
from course_utils.optim import sgd_step
from course_utils.verify import show_source

show_source(sgd_step)

# %% [markdown]
# ### Proof of equality with `torch.optim.SGD`
#
# The test bed is a softmax regression on 256 of the course's 8×8 digits: two parameter
# tensors (weights and biases), float64. Every configuration below runs 30 steps in both
# optimizers from the same start, and every intermediate iterate is compared. The last
# configuration *maximizes* the negated loss, which must give the same descent.

# %%
from course_utils.data import load_digits
from course_utils.verify import compare_optimizers

digits = load_digits(dtype=torch.float64)
X, y = digits.x_train[:256].flatten(1), digits.y_train[:256]
gen = torch.Generator().manual_seed(0)
init = [0.01 * torch.randn(10, 64, generator=gen, dtype=torch.float64), torch.zeros(10, dtype=torch.float64)]


def cross_entropy(params):
    weight, bias = params
    return torch.nn.functional.cross_entropy(X.to(weight.dtype) @ weight.T + bias, y)


def against_torch(config, init=init, steps=30, **tolerances):
    """Our SGD vs torch's on the digits loss with the same `config`; returns the Comparison."""
    loss = (lambda ps: -cross_entropy(ps)) if config.get("maximize") else cross_entropy
    return compare_optimizers(lambda ps: SGD(ps, **config), lambda ps: torch.optim.SGD(ps, **config),
                              loss, init, steps=steps, names=("ours", "torch"), **tolerances)


# %%
configs = [dict(lr=0.5), dict(lr=0.5, momentum=0.9), dict(lr=0.5, momentum=0.9, nesterov=True),
           dict(lr=0.5, momentum=0.9, dampening=0.5), dict(lr=0.5, momentum=0.9, weight_decay=1e-2),
           dict(lr=0.5, momentum=0.9, weight_decay=1e-2, nesterov=True),
           dict(lr=0.5, momentum=0.5, dampening=0.9, weight_decay=1e-3, maximize=True)]
for config in configs:
    result = against_torch(config, rtol=1e-12, atol=0.0)
    print(f"{str(config):<82} max rel diff ≤ 1e-12: {result.max_rel_diff <= 1e-12}")
    assert result.max_rel_diff <= 1e-12, result
init32 = [p.float() for p in init]
assert all(against_torch(config, init=init32).allclose for config in configs)   # torch's float32 tolerances
print("float32: all configurations within torch.testing's default tolerances")

# %% [markdown]
# Equal to twelve digits in float64 at every step, for every argument. (On most CPUs the two are
# in fact *bitwise* equal, because `sgd_step` performs torch's tensor operations in torch's
# order; chapter 00 explains why the course only promises $10^{-12}$.) From here on the chapter
# uses either one, and what it finds about one holds for the other.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Heavy ball, PyTorch, Sutskever: three ways to write it
#
# Polyak (1964) introduced momentum as the *heavy-ball* method, a gradient step plus a fraction
# of the previous displacement:
#
# $$
# w_{t+1} = w_t - \alpha\, \nabla f(w_t) + \beta\, (w_t - w_{t-1}). \tag{4.4}
# $$
#
# Sutskever, Martens, Dahl and Hinton (2013) — and, for example, CS231n and Keras — keep a velocity
# that already contains the learning rate:
#
# $$
# v_{t+1} = \mu\, v_t - \alpha_t\, \nabla f(w_t), \qquad w_{t+1} = w_t + v_{t+1}. \tag{4.5}
# $$
#
# **They are the same while the learning rate is constant.** From (2.1),
# $w_{t+1} - w_t = -\alpha z_{t+1} = -\alpha\beta z_t - \alpha\nabla f(w_t)$, and
# $-\alpha z_t = w_t - w_{t-1}$, which is (4.4). Naming the displacement $v_t = w_t - w_{t-1}$
# turns (4.4) into (4.5). So PyTorch's buffer is a velocity measured in *gradient* units,
# $b_t = -v_t/\alpha$, and Sutskever's is measured in *parameter* units.
#
# **They differ once the learning rate changes.** The identity $-\alpha z_t = w_t - w_{t-1}$ used
# the same $\alpha$ at steps $t-1$ and $t$. With a schedule $\alpha_t$, PyTorch's step is
# $-\alpha_t \beta z_t = \beta\,\tfrac{\alpha_t}{\alpha_{t-1}}\,(w_t - w_{t-1})$, so PyTorch's form is
#
# $$
# w_{t+1} = w_t - \alpha_t\, \nabla f(w_t) + \beta\,\frac{\alpha_t}{\alpha_{t-1}}\,(w_t - w_{t-1}), \tag{4.6}
# $$
#
# the heavy ball with a momentum that jumps whenever the learning rate does, while Sutskever's
# form (4.5) stays the heavy ball with momentum $\beta$ for any schedule. Typed out on a minimal
# optimizer shell:

# %%
class Momentum(torch.optim.Optimizer):
    """A minimal shell around one momentum form `update(p, grad, state, lr, momentum)`."""

    def __init__(self, params, update, lr, momentum):
        super().__init__(params, dict(lr=lr, momentum=momentum))
        self.update = update

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                self.update(p, p.grad, self.state[p], group["lr"], group["momentum"])


# %%
def heavy_ball(p, grad, state, lr, beta):                       # (4.4)
    previous = state.get("previous", p.clone())                 # w_{t−1}, with w_{−1} = w_0
    state["previous"] = p.clone()
    p.add_(-lr * grad + beta * (p - previous))


def sutskever(p, grad, state, lr, mu):                          # (4.5)
    velocity = state["velocity"] = mu * state.get("velocity", torch.zeros_like(p)) - lr * grad
    p.add_(velocity)


forms = {"heavy ball": lambda ps: Momentum(ps, heavy_ball, 0.5, 0.9),
         "Sutskever": lambda ps: Momentum(ps, sutskever, 0.5, 0.9),
         "torch": lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9)}

# %% [markdown]
# First with a constant learning rate, then with a step decay (`StepLR`, the learning rate ÷10
# every 10 steps), on the digits loss:

# %%
step_decay = lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.1)  # noqa: E731
pairs = [("heavy ball", "torch"), ("Sutskever", "torch"), ("Sutskever", "heavy ball")]
for make_scheduler in (None, step_decay):
    for a, b in pairs:
        result = compare_optimizers(forms[a], forms[b], cross_entropy, init, steps=30, make_scheduler_a=make_scheduler,
                                    make_scheduler_b=make_scheduler, rtol=1e-12, atol=1e-14, names=(a, b))  # atol: weights near 0
        label = "constant lr" if make_scheduler is None else "StepLR     "
        print(f"{label} {a:>10} vs {b:<10}: {'equal (1e-12)' if result.allclose else 'DIFFERENT'}")
        assert result.allclose == (make_scheduler is None or "torch" not in (a, b))

# %% [markdown]
# The smallest case shows the mechanism. A constant gradient $g = 1$, $\mu = 0.9$, and the
# learning rate cut from 0.1 to 0.01 after the first step:
#
# * PyTorch: $b = 1, 1.9, 2.71$; $\theta = -0.1,\; -0.1 - 0.019 = -0.119,\; -0.119 - 0.0271 = -0.1461$.
#   The cut acts at once on the whole buffer: the step falls from 0.1 to 0.019, then 0.0271.
# * Sutskever: $v = -0.1,\; 0.9(-0.1) - 0.01 = -0.1,\; -0.1$; $\theta = -0.1, -0.2, -0.3$.
#   The velocity was built with the old rate and keeps the step at 0.1.

# %%
def scalar_run(make, lrs):
    """θ after each step on f(θ) = θ (gradient 1), with the learning rate set to lrs[t] at step t."""
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt, out = make([theta]), []
    for rate in lrs:
        opt.param_groups[0]["lr"] = rate
        theta.grad = torch.ones(1, dtype=torch.float64)
        opt.step()
        out.append(theta.item())
    return torch.tensor(out, dtype=torch.float64)


lrs = [0.1, 0.01, 0.01]
pytorch_form = scalar_run(lambda ps: SGD(ps, lr=0.1, momentum=0.9), lrs)
sutskever_form = scalar_run(lambda ps: Momentum(ps, sutskever, 0.1, 0.9), lrs)
print("PyTorch  :", [round(v, 6) for v in pytorch_form.tolist()])
print("Sutskever:", [round(v, 6) for v in sutskever_form.tolist()])
assert torch.allclose(pytorch_form, torch.tensor([-0.1, -0.119, -0.1461], dtype=torch.float64), rtol=1e-12)
assert torch.allclose(sutskever_form, torch.tensor([-0.1, -0.2, -0.3], dtype=torch.float64), rtol=1e-12)

# %% [markdown]
# Over a longer run the two shapes are easy to see. With the buffer saturated and the rate cut
# tenfold at step 30, PyTorch's step drops by 10× *at once*; Sutskever's glides down
# geometrically, $0.9$ per step, over about $1/(1-\mu) = 10$ steps, because its velocity still
# carries steps taken at the old rate.

# %%
lrs = [0.1] * 30 + [0.01] * 30
paths = {"PyTorch form (torch, course SGD)": scalar_run(lambda ps: SGD(ps, lr=0.1, momentum=0.9), lrs),
         "Sutskever / heavy-ball form": scalar_run(lambda ps: Momentum(ps, sutskever, 0.1, 0.9), lrs)}
lengths = {k: torch.cat([torch.zeros(1, dtype=torch.float64), v]).diff().abs() for k, v in paths.items()}
ax = plot_loss_curves(lengths, ylabel="step length |θ_t − θ_{t−1}|")
ax.axvline(29.5, color=GREY, lw=0.8, ls=":")
ax.set_title("After a 10× learning-rate cut: PyTorch's step drops at once, Sutskever's decays")
torch_steps, sutskever_steps = lengths["PyTorch form (torch, course SGD)"], lengths["Sutskever / heavy-ball form"]
b30 = (1 - 0.9**30) / (1 - 0.9)                                       # torch's buffer before the cut (2.4)
assert abs(torch_steps[30] / torch_steps[29] - 0.1 * (0.9 + 1 / b30)) < 1e-10   # ≈ 0.100: 10x at once
assert abs(sutskever_steps[30] / sutskever_steps[29] - (0.9 + 0.01 / sutskever_steps[29])) < 1e-10
print(f"step ratio across the cut: PyTorch form {torch_steps[30] / torch_steps[29]:.3f}, "
      f"Sutskever form {sutskever_steps[30] / sutskever_steps[29]:.3f}")

# %% [markdown]
# **Why this matters.** Nearly every training run uses a schedule, so the form is part of the
# hyper-parameters: a momentum and learning rate tuned in one framework's form are not the same
# run in another's after the first schedule change. In PyTorch's form a decay (or a warm-up)
# takes effect on the very next step; in Sutskever's form the old velocity lingers for about
# $1/(1-\mu)$ steps, which softens abrupt changes. Neither is wrong. PyTorch's documentation
# notes the difference; exercise 2 makes (4.6) exact.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Dampening, and why the first step skips it
#
# Dampening $\tau$ scales the *incoming* gradient in (4.2): $b_t = \mu b_{t-1} + (1-\tau) g_t$.
# With $\tau = \mu$ the buffer is an exponential moving average, the kind of average Adam keeps as
# its first moment (chapter 05), and its steady value on a constant gradient is $(1-\tau)/(1-\mu) = 1$
# times the gradient: the effective step is back to $\alpha$, not $\alpha/(1-\mu)$.
#
# PyTorch starts the buffer at $b_1 = g_1$ — undamped — instead of at $b_0 = 0$ followed by the
# damped update. (The convention is inherited from Lua Torch's `optim.sgd`; PyTorch documents it
# in the algorithm box of `torch.optim.SGD`.) The two starts produce different buffers, and the
# difference is exact: both obey the same linear recurrence from step 1 on, and they start
# $\tau g_1$ apart, so
#
# $$
# b_t^{\text{torch}} - b_t^{\text{zero start}} = \tau\, \mu^{\,t-1} g_1 . \tag{4.7}
# $$
#
# Without dampening ($\tau = 0$) the two starts coincide, which is why only damped momentum
# notices. With $\tau = \mu$, starting at $g_1$ makes the weights on $g_1, \dots, g_t$ sum to
# exactly 1 ($\mu^{t-1} + (1-\mu)\sum_{k=2}^{t}\mu^{t-k} = 1$), so the average is never biased
# toward the zero it would otherwise start from — the bias that Adam removes with its
# $1/(1-\beta_1^t)$ correction.

# %%
g = torch.randn(25, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
mu, tau = 0.9, 0.5
zero_start, b = [], torch.zeros((), dtype=torch.float64)
for g_t in g:
    b = mu * b + (1 - tau) * g_t                                  # (4.2) from b_0 = 0, damped at t = 1 too
    zero_start.append(b)
difference = buffers(g, mu, tau) - torch.stack(zero_start)
t = torch.arange(1, 26, dtype=torch.float64)
assert torch.allclose(difference, tau * mu ** (t - 1) * g[0], rtol=1e-12, atol=1e-15)          # (4.7)
ema = buffers(torch.ones(25, dtype=torch.float64), 0.9, dampening=0.9)
print("τ = μ = 0.9, constant gradient 1: buffers", [round(float(v), 12) for v in ema[:4]], "…")
assert torch.allclose(ema, torch.ones(25, dtype=torch.float64), rtol=1e-14)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Nesterov's momentum, and torch's `nesterov=True`
#
# Nesterov (1983) evaluates the gradient not where the parameters are but where the velocity is
# about to carry them. In Sutskever et al.'s form:
#
# $$
# v_{t+1} = \mu v_t - \alpha\, \nabla f(w_t + \mu v_t), \qquad w_{t+1} = w_t + v_{t+1}. \tag{4.8}
# $$
#
# A framework cannot easily do this: `loss.backward()` gives the gradient at the parameters, not at a
# look-ahead point. So PyTorch changes variables and stores the look-ahead point itself,
# $u_t = w_t + \mu v_t$. Then
# $u_{t+1} = w_{t+1} + \mu v_{t+1} = (u_t - \mu v_t) + (1+\mu)\,v_{t+1}$, and substituting
# $v_{t+1} = \mu v_t - \alpha \nabla f(u_t)$:
#
# $$
# u_{t+1} = u_t - \alpha\nabla f(u_t) + \mu\, v_{t+1}
# = u_t - \alpha\left(\nabla f(u_t) + \mu\, b_{t+1}\right), \qquad b = -v/\alpha, \tag{4.9}
# $$
#
# which is (4.2)–(4.3) with `nesterov=True`: the buffer obeys the ordinary recurrence, and the
# step adds the fresh gradient to $\mu$ times the buffer. Since $v_0 = 0$, $u_0 = w_0$: both runs
# start from the same point. But torch's parameters *are* the look-ahead point $u_t$, not $w_t$.

# %%
def nesterov_lookahead(objective, w0, lr, mu, steps):
    """(4.8), typed out: the iterates w_t and velocities v_t, each of shape (steps + 1, dim)."""
    w = torch.as_tensor(w0, dtype=torch.float64)
    v = torch.zeros_like(w)
    ws, vs = [w], [v]
    for _ in range(steps):
        v = mu * v - lr * objective.grad(w + mu * v)
        w = w + v
        ws.append(w)
        vs.append(v)
    return torch.stack(ws), torch.stack(vs)


w_path, v_path = nesterov_lookahead(valley, w0, 1.0, 0.9, 300)
theta = optimize(valley, w0, lambda ps: torch.optim.SGD(ps, lr=1.0, momentum=0.9, nesterov=True), 300)
assert torch.allclose(w_path + 0.9 * v_path, theta, rtol=1e-12, atol=1e-13)    # (4.9): θ_t = u_t
assert not torch.allclose(w_path, theta, rtol=1e-3, atol=0.0)
print("torch's nesterov=True iterates are the look-ahead points w_t + μ v_t of (4.8), to 1e-12")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Weight decay, and the line everyone writes
#
# Equation (4.1) adds $\lambda\theta$ to the gradient, which is the gradient of an L2 penalty:
# $\nabla\big(f(\theta) + \tfrac\lambda2\|\theta\|^2\big) = \nabla f(\theta) + \lambda\theta$. So
# `weight_decay=λ` is the same as adding $\tfrac\lambda2\|\theta\|^2$ to the loss (same up to
# rounding, because the sum is formed in another order):

# %%
def train(make_optimizer, loss_fn, steps=30):
    params = [p.clone().requires_grad_(True) for p in init]
    opt = make_optimizer(params)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(params).backward()
        opt.step()
    return [p.detach() for p in params]


wd = 1e-2
with_l2 = lambda ps: cross_entropy(ps) + wd / 2 * sum((p**2).sum() for p in ps)  # noqa: E731
decayed = train(lambda ps: SGD(ps, lr=0.5, momentum=0.9, weight_decay=wd), cross_entropy)
penalized = train(lambda ps: SGD(ps, lr=0.5, momentum=0.9), with_l2)
for a, b in zip(decayed, penalized):
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
print("weight_decay=λ equals an explicit (λ/2)‖θ‖² term in the loss, to 1e-12")

# %% [markdown]
# Now the line from countless training scripts,
# `torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=wd)`, argument by argument:
#
# * `net.parameters()` — every tensor of the network, in **one** parameter group: the weights
#   *and* the biases (and normalisation scales), all decayed alike. Whether biases should be
#   decayed is a modelling choice; the line makes it silently. Parameter groups make it explicit
#   (next cell).
# * `lr=lr, momentum=0.9` — (2.1) with $\alpha = $ `lr` outside the buffer; the effective step on
#   slowly changing directions is `10 * lr` (2.3).
# * `weight_decay=wd` — (4.1): $\lambda\theta$ joins the gradient *before* the buffer, so the decay
#   is accelerated by momentum like everything else. With no loss at all, the decay is momentum on
#   the quadratic $\tfrac\lambda2\|\theta\|^2$: chapter 03's rate with eigenvalue $\lambda$, about
#   $1 - \alpha\lambda/(1-\beta)$ per step instead of $1 - \alpha\lambda$. This coupling is what
#   AdamW's *decoupled* decay removes (chapter 05).
# * dampening 0, `nesterov=False`, `maximize=False` — the defaults.

# %%
net = torch.nn.Linear(64, 10, dtype=torch.float64)
print([(name, tuple(p.shape)) for name, p in net.named_parameters()])
grouped = lambda opt_class: lambda ps: opt_class([{"params": [ps[0]], "weight_decay": wd},   # noqa: E731
                                                  {"params": [ps[1]], "weight_decay": 0.0}], lr=0.5, momentum=0.9)
init_net = [net.weight.detach(), net.bias.detach()]
result = compare_optimizers(grouped(SGD), grouped(torch.optim.SGD), cross_entropy, init_net, steps=30,
                            rtol=1e-12, atol=0.0, names=("ours, 2 groups", "torch, 2 groups"))
assert result.allclose
print("decay on weights only, via two parameter groups: ours equals torch to 1e-12")

# %%
lam_wd, alpha = 1e-2, 0.1
shrink = {}
for b in (0.0, 0.9):
    theta = torch.ones(3, dtype=torch.float64, requires_grad=True)
    opt, norms = SGD([theta], lr=alpha, momentum=b, weight_decay=lam_wd), [3**0.5]
    for _ in range(400):
        theta.grad = torch.zeros(3, dtype=torch.float64)            # no loss: only the decay acts
        opt.step()
        norms.append(float(theta.detach().norm()))
    shrink[b] = geometric_rate(norms, 200, 400)
    assert abs(shrink[b] - float(spectral_radius(lam_wd, alpha, b))) < 1e-4
print(f"decay per step with no loss: β = 0: {shrink[0.0]:.5f}, β = 0.9: {shrink[0.9]:.5f}"
      f"  → momentum decays {(1 - shrink[0.9]) / (1 - shrink[0.0]):.1f}x faster")
assert 8 < (1 - shrink[0.9]) / (1 - shrink[0.0]) < 12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. A step decay meets momentum: PyTorch's form versus Sutskever's
#
# Chapter 02 wrote SGD with momentum in PyTorch's form, with the learning rate *outside* the
# buffer. Allow the rate to change and write it next to Sutskever et al.'s (2013) form, which
# puts it *inside* the velocity:
#
# $$
# \text{PyTorch:}\quad b_t = \mu\,b_{t-1} + g_t,\quad \theta_t = \theta_{t-1} - \gamma_t\,b_t;
# \qquad
# \text{Sutskever:}\quad v_t = \mu\,v_{t-1} - \gamma_t\,g_t,\quad \theta_t = \theta_{t-1} + v_t. \tag{4.10}
# $$
#
# Unrolled from rest, the two steps are
#
# $$
# \theta_t - \theta_{t-1} = -\gamma_t\sum_{s\le t}\mu^{t-s}g_s \quad\text{(PyTorch)}, \qquad
# \theta_t - \theta_{t-1} = -\sum_{s\le t}\mu^{t-s}\gamma_s\,g_s \quad\text{(Sutskever)}. \tag{4.11}
# $$
#
# While $\gamma$ is constant they are the same (and $v_t = -\gamma\,b_t$). When $\gamma$ drops, PyTorch
# applies the **new** rate to the whole velocity, including every gradient gathered at the old
# rate, so the step shrinks at once; Sutskever's velocity keeps each gradient at the rate it was
# taken with, so the step decays gradually, by $\mu$ per step. On a slope of constant gradient $g$
# with a saturated velocity, a drop $\gamma \to \gamma'$ lets Sutskever's form travel an extra
#
# $$
# \Delta = \sum_{k\ge 0}(\gamma - \gamma')\,\frac{\mu^{k+1}}{1-\mu}\,g = (\gamma - \gamma')\,\frac{\mu}{(1-\mu)^2}\,g \tag{4.12}
# $$
#
# — with $\gamma = 0.1 \to 0.01$ and $\mu = 0.9$, 8.1 units, the distance of eight old-rate steps.
# The course's `SGD` (PyTorch's form, proven equal to `torch.optim.SGD` earlier in this chapter) with the
# course's `MultiStepLR`, against an inline Sutskever loop on $f(\theta) = \theta$:

# %%
from course_utils.lr_scheduler import MultiStepLR


def pytorch_form(steps, milestone, rescale_buffer=False):
    theta = torch.zeros(1, **f64, requires_grad=True)
    opt = SGD([theta], lr=0.1, momentum=0.9)
    sched, path = MultiStepLR(opt, milestones=[milestone], gamma=0.1), []
    for _ in range(steps):
        theta.grad = torch.ones(1, **f64)                   # f(θ) = θ: gradient 1 everywhere
        old_lr = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
        if rescale_buffer and opt.param_groups[0]["lr"] != old_lr:   # the fix discussed below
            opt.state[theta]["momentum_buffer"].mul_(old_lr / opt.param_groups[0]["lr"])
        path.append(theta.item())
    return torch.tensor(path, **f64)

# %%
def sutskever_form(steps, milestone, mu=0.9, g=1.0):
    theta, v, path = 0.0, 0.0, []
    for t in range(steps):
        v = mu * v - multi_step_lr(t, base_lr=0.1, milestones=[milestone]) * g           # (4.10), Sutskever
        theta += v
        path.append(theta)
    return torch.tensor(path, **f64)


STEPS_M, DROP = 300, 100
torch_path, sutskever_path = pytorch_form(STEPS_M, DROP), sutskever_form(STEPS_M, DROP)
print("first steps, PyTorch  :", [f"{x:.3f}" for x in torch_path[:3].tolist()])
print("first steps, Sutskever:", [f"{x:.3f}" for x in sutskever_path[:3].tolist()])

# %% [markdown]
# Before the drop the two forms agree (to rounding); at the drop the PyTorch step shrinks by
# the factor 10 at once while Sutskever's shrinks only by $\mu + (1-\mu)\gamma'/\gamma = 0.91$ (both to
# within $3\times10^{-7}$, what is left of the velocity's warm-up after 100 steps), and by the
# end Sutskever's has travelled the extra distance (4.12):

# %%
step_p, step_s = torch.diff(torch_path, prepend=torch.zeros(1, **f64)), torch.diff(sutskever_path, prepend=torch.zeros(1, **f64))
torch.testing.assert_close(torch_path[:DROP], sutskever_path[:DROP], rtol=1e-12, atol=0)
shrink_p, shrink_s = float(step_p[DROP] / step_p[DROP - 1]), float(step_s[DROP] / step_s[DROP - 1])
extra = float(torch_path[-1] - sutskever_path[-1])
predicted_extra = (0.1 - 0.01) * 0.9 / (1 - 0.9) ** 2                                      # (4.12)
print(f"step after the drop / step before: PyTorch {shrink_p:.3f}, Sutskever {shrink_s:.3f}")
print(f"extra distance travelled by Sutskever's form: {extra:.4f} (4.12 predicts {predicted_extra:.4f})")
assert abs(shrink_p - 0.1) < 1e-6 and abs(shrink_s - 0.91) < 1e-6   # off by ~3e-7: μ^100 of unsaturated velocity
assert abs(extra - predicted_extra) < 1e-3

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
window = slice(DROP - 10, DROP + 40)
ax.plot(range(STEPS_M)[window], (-step_p[window]).tolist(), marker="o", markersize=3, label="PyTorch form: drops at once")
ax.plot(range(STEPS_M)[window], (-step_s[window]).tolist(), marker="o", markersize=3, label="Sutskever form: decays by μ per step")
ax.axvline(DROP, color=GREY, linestyle=":")
ax.set(yscale="log", xlabel="step", ylabel=r"step length $|\theta_t - \theta_{t-1}|$",
       title="The same MultiStepLR drop, two momentum forms: sudden vs gradual")
ax.legend()
plt.show()

# %% [markdown]
# Neither form is wrong, but a recipe tuned with one does not transfer unchanged to the other.
# Caffe and AlexNet's own update rule put the rate inside the velocity (Sutskever's form); Torch7's
# `optim.sgd` and PyTorch put it outside. The conversion is one line: since $v_t = -\gamma_t b_t$
# holds between changes, rescale the buffer by $\gamma_{\text{old}}/\gamma_{\text{new}}$ whenever the rate
# changes, and PyTorch's form reproduces Sutskever's exactly (the `rescale_buffer` switch above):

# %%
fixed = pytorch_form(STEPS_M, DROP, rescale_buffer=True)
torch.testing.assert_close(fixed, sutskever_path, rtol=1e-12, atol=1e-12)
print("PyTorch form + buffer rescaled at the drop == Sutskever form, all 300 steps (rtol 1e-12)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# **1. A sign in the unrolled formula.** Summing (2.2) over steps gives the position from the
# start, $w_{t+1} = w_0 - \alpha \sum_{k=0}^{t} \frac{1-\beta^{\,t+1-k}}{1-\beta}\, \nabla f(w_k)$.
# Distill's *Why Momentum Really Works* prints this with a $+$ (a known erratum); the cell checks
# which sign reproduces the iterates.

# %%
t_end = 100
coefficients = (1 - beta ** torch.arange(t_end + 1, 0, -1, dtype=torch.float64)) / (1 - beta)   # k = 0 … t
total = (coefficients[:, None] * grads[: t_end + 1]).sum(0)
assert torch.allclose(mom[0] - lr * total, mom[t_end + 1], rtol=1e-12, atol=1e-12)
assert not torch.allclose(mom[0] + lr * total, mom[t_end + 1], rtol=1e-3)
print("w_{t+1} = w_0 − α Σ (1 − β^{t+1−k})/(1 − β) ∇f(w_k): the minus sign is right")

# %% [markdown]
# **2. Damped and undamped momentum are different learning rates.** An EMA buffer
# (`dampening=momentum`, or the $(1-\beta)$ in Adam and in fastbook's text) steps $\alpha$ on a
# constant gradient; PyTorch's default undamped buffer steps $\alpha/(1-\beta)$ — ten times more
# at $\beta = 0.9$ (asserted in the dampening section). Porting a learning rate between the two
# conventions without that factor is a tenfold error; fastbook's issue #174 is this confusion.
#
# **3. Moving hyper-parameters between forms under a schedule.** PyTorch's and Sutskever's forms
# agree only at a constant learning rate (asserted above). Keras (as documented for
# `tf.keras.optimizers.SGD`) and CS231n use Sutskever's form; PyTorch and Lua Torch use the
# buffer form.
#
# **4. Nesterov with dampening.** PyTorch refuses the combination, and so does the course's SGD,
# with the same message:

# %%
for name, optimizer_class in (("torch.optim.SGD", torch.optim.SGD), ("course_utils.optim.SGD", SGD)):
    try:
        optimizer_class([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    except ValueError as err:
        print(f"{name}: ValueError: {err}")

# %% [markdown]
# **5. `net.parameters()` decays the biases too.** Use parameter groups when you do not want that
# (shown above).
#
# **6. "Momentum damps oscillations."** Only where $\sqrt\beta < |1 - \alpha\lambda|$ on the
# oscillating direction (measured above). With $\beta = 0.9$ and a step that gradient descent
# already handles, momentum *prolongs* the steep direction's ringing.
#
# **7. Names.** $\beta$ is the *momentum coefficient* and $z$ (or $b$, or $v$) the *velocity*.
# CS231n points out that $\mu$ behaves more like friction than like momentum: the ball keeps a
# fraction $\beta$ of its velocity each step and loses $1-\beta$, so $\beta \to 1$ means *less*
# damping, not more.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. Momentum steps along $z_{t+1} = \beta z_t + \nabla f(w_t)$, which unrolls to a geometric
#    sum of every past gradient (2.2); on a constant gradient the step tends to
#    $\alpha/(1-\beta)$ (2.3).
# 2. The buffer amplifies agreeing gradients by $1/(1-\beta)$ and shrinks alternating ones to
#    $1/(1+\beta)$ (2.4). On the valley that speeds the shallow coordinate up about tenfold, but it
#    damps the steep one better than gradient descent only where $\sqrt\beta < |1-\alpha L|$.
# 3. Heavy ball (4.4) and Sutskever (4.5) are one method; PyTorch's buffer form equals them at a
#    constant learning rate and is the heavy ball with momentum $\beta\alpha_t/\alpha_{t-1}$
#    under a schedule (4.6). Nesterov's look-ahead (4.8) is torch's `nesterov=True` after the
#    change of variables $u = w + \mu v$ (4.9).
# 4. `weight_decay` is an L2 term in the gradient, before the buffer; dampening is skipped on the
#    first step, which makes $\tau = \mu$ an unbiased moving average (4.7). The course's `SGD`
#    equals `torch.optim.SGD` to $10^{-12}$ in float64 for every argument.

# %% [markdown]
# ## Exercises
#
# **1.** With dampening $\tau$, what step does momentum take on a constant gradient in the long
# run? Derive it from (4.2), then check with `SGD(momentum=0.9, dampening=0.5)` on a linear
# function.

# %% tags=["solution"]
# b = μb + (1 − τ)g has the fixed point b = (1 − τ)g/(1 − μ): the step tends to α(1 − τ)/(1 − μ) · g.
long_run = buffers(torch.ones(300, dtype=torch.float64), 0.9, dampening=0.5)[-1]
print(f"measured {float(long_run):.6f}, predicted (1 − τ)/(1 − μ) = {(1 - 0.5) / (1 - 0.9):.6f}")
assert abs(float(long_run) - 0.5 / 0.1) < 1e-9

# %% [markdown]
# **2.** Make the heavy ball (4.4) reproduce `torch.optim.SGD` under `StepLR` by giving it the
# momentum $\beta_t = \beta\,\alpha_t/\alpha_{t-1}$ of (4.6). (Hint: remember the previous
# learning rate in `state`.)

# %% tags=["solution"]
def heavy_ball_rescaled(p, grad, state, lr, beta):
    previous, previous_lr = state.get("previous", p.clone()), state.get("lr", lr)
    state["previous"], state["lr"] = p.clone(), lr
    p.add_(-lr * grad + beta * lr / previous_lr * (p - previous))     # (4.6)


check = compare_optimizers(lambda ps: Momentum(ps, heavy_ball_rescaled, 0.5, 0.9), forms["torch"], cross_entropy,
                           init, steps=30, make_scheduler_a=step_decay, make_scheduler_b=step_decay, rtol=1e-12, atol=0.0)
print("heavy ball with β·α_t/α_{t−1} vs torch under StepLR:", "equal (1e-12)" if check.allclose else "DIFFERENT")
assert check.allclose

# %% [markdown]
# **3.** You trained 20 steps in Sutskever's form and want to continue in `torch.optim.SGD`
# without a jump. Convert the velocity into torch's `momentum_buffer` and check that the next
# 20 steps match a run that used torch throughout. (At a constant learning rate $b = -v/\alpha$.)

# %% tags=["solution"]
def steps_of(opt, params, n):
    for _ in range(n):
        opt.zero_grad()
        cross_entropy(params).backward()
        opt.step()


mine = [p.clone().requires_grad_(True) for p in init]
first = Momentum(mine, sutskever, 0.5, 0.9)
steps_of(first, mine, 20)
second = torch.optim.SGD(mine, lr=0.5, momentum=0.9)
for p in mine:
    second.state[p]["momentum_buffer"] = -first.state[p]["velocity"] / 0.5
steps_of(second, mine, 20)
reference = [p.clone().requires_grad_(True) for p in init]
steps_of(torch.optim.SGD(reference, lr=0.5, momentum=0.9), reference, 40)
for a, b in zip(mine, reference):
    torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-13)
print("Sutskever for 20 steps, converted, torch for 20 more = torch for 40 steps")

# %% [markdown]
# **4.** On the valley, with $\beta = 0.9$, race heavy-ball momentum against Nesterov's
# (`nesterov=True`) to 10% of the starting distance, at $\alpha = 1$ and at $\alpha = 1.9$.
# Explain the second race with the steep coordinate's recurrence under Nesterov,
# $x_{t+1} = (1+\beta)(1-\alpha\lambda)\,x_t - \beta(1-\alpha\lambda)\,x_{t-1}$ (from (4.8)).

# %% tags=["solution"]
from course_utils.guards import DivergenceError

print(f"α = 1: heavy ball {steps_to(run(1.0, 0.9, steps=400), tol)} steps, "
      f"Nesterov {steps_to(run(1.0, 0.9, steps=400, nesterov=True), tol)} steps")
try:
    run(1.9, 0.9, steps=1200, nesterov=True)
except DivergenceError as err:
    print("α = 1.9, Nesterov:", str(err).split(":")[0])
# The recurrence's characteristic polynomial is positive at σ = −1 only if 1 + (1 + 2β)(1 − αλ) > 0,
# i.e. αλ < (2 + 2β)/(1 + 2β) = 1.357 for β = 0.9: Nesterov's stable steps are far shorter than
# the heavy ball's 2 + 2β = 3.8. At αL = 1.9 its larger root is:
c = 1 - 1.9
roots = torch.linalg.eigvals(torch.tensor([[(1 + 0.9) * c, -0.9 * c], [1.0, 0.0]], dtype=torch.float64))
print(f"|σ|max = {roots.abs().max():.3f} > 1")
assert roots.abs().max() > 1 and (2 + 2 * 0.9) / (1 + 2 * 0.9) < 1.9

# %% [markdown]
# ## References
#
# * B. T. Polyak, *Some methods of speeding up the convergence of iteration methods*, USSR
#   Computational Mathematics and Mathematical Physics 4(5), 1964 — the heavy-ball method (4.4).
# * Y. Nesterov, *A method of solving a convex programming problem with convergence rate
#   O(1/k²)*, Soviet Mathematics Doklady 27, 1983 — the look-ahead gradient (4.8).
# * I. Sutskever, J. Martens, G. Dahl, G. Hinton, *On the importance of initialization and momentum
#   in deep learning*, ICML 2013 — the velocity form (4.5) and Nesterov written as (4.8).
# * G. Goh, *Why Momentum Really Works*, Distill, 2017 — the quadratic analysis of chapter 03;
#   errata on the unrolled sign and the √β rate are noted here and there.
# * PyTorch documentation, [`torch.optim.SGD`](https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)
#   (algorithm box and the note on Sutskever's form; pytorch/pytorch issue #1099), and Lua Torch's
#   `optim/sgd.lua`, which set the $b_1 = g_1$ convention.
# * CS231n, *Neural Networks Part 3* (Sutskever-form momentum and Nesterov's look-ahead);
#   D2L, *Momentum* (the leaky-average view); fastbook chapter 16 and issue #174 (damped vs
#   undamped).
