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
# *Chapters 02 and 03 derived momentum and measured what it does. Here is the update
# `torch.optim.SGD` actually runs, a from-scratch copy proven equal to it, and each of its
# arguments taken apart: where its form parts from the heavy ball's and Sutskever's at a
# learning-rate drop, and what dampening, Nesterov and weight decay change.*
#
# **Prerequisites:** chapter 02 (the recurrence (2.1) and the effective step), chapter 03 (the
# roots (3.4) of one eigen-direction, the stability limit $2 + 2\beta$, the $\sqrt\beta$ rate).
# **Runtime:** about 20 seconds on a laptop CPU.
#
# **Notation.** This chapter follows PyTorch's documentation: $\theta$ the parameters,
# $\gamma$ the learning rate (`lr`), $\mu$ the momentum, $\tau$ the dampening, $\lambda$ the
# weight decay, $b$ the momentum buffer. Chapters 02–03's $w, \alpha, \beta, z$ are
# $\theta, \gamma, \mu, b$ here, and a curvature (an eigenvalue of the Hessian) is $h$.
#
# **After this chapter you can**
# 1. write the update `torch.optim.SGD` runs, and check a from-scratch SGD against it to 12 digits;
# 2. translate between the heavy-ball, PyTorch and Sutskever forms, and predict what each does
#    at a learning-rate drop;
# 3. say what dampening does to the step, and why torch's first step skips it;
# 4. explain `nesterov=True` as a change of variables, and predict its rates and its shorter
#    stability limit;
# 5. read `weight_decay` as an L2 term inside the buffer, and predict how fast it shrinks weights.

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
from course_utils.optim import SGD, sgd_step
from course_utils.plotting import BLUE, GREEN, GREY, VERMILLION

device = setup(seed=0)
f64 = dict(dtype=torch.float64)

# %% [markdown]
# Every experiment below is small and runs in float64 on the CPU, whatever device you have, so
# that each printed digit is the same on every machine.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The update PyTorch runs
#
# `torch.optim.SGD` computes chapter 02's recurrence with three additions (weight decay,
# dampening, Nesterov's variant) and one convention about the first step. Step $t$ maps
# $\theta_{t-1}$ to $\theta_t$:
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
# With $\lambda = \tau = 0$ and no Nesterov, (4.1)–(4.3) are exactly (2.1), counted from step 1.
#
# | symbol | `sgd_step` (the course) | `torch.optim.SGD` |
# |---|---|---|
# | $\theta$, $\gamma$, $\mu$ | `param`, `lr`, `momentum` | `params`, `lr`, `momentum` |
# | $b$ | `momentum_buffer` | `state[p]["momentum_buffer"]` |
# | $\tau$, $\lambda$, $\pm$ | `dampening`, `weight_decay`, `maximize` | the same |
#
# The course's implementation is a plain function that updates one tensor in place, each line
# tagged with the equation it computes; the `SGD` class around it only does PyTorch's
# bookkeeping:

# %%
from course_utils.verify import show_source

show_source(sgd_step)

# %% [markdown]
# ### Proof of equality with `torch.optim.SGD`
#
# The test bed is a softmax regression on 256 of the course's 8×8 digits: two parameter
# tensors, float64. Each configuration runs 30 steps in both optimizers from the same start,
# and every iterate is compared. The last one *maximizes* the negated loss, which must give
# the same descent.

# %%
from course_utils.data import load_digits
from course_utils.verify import compare_optimizers

digits = load_digits(dtype=torch.float64)
X, y = digits.x_train[:256].flatten(1), digits.y_train[:256]
gen = torch.Generator().manual_seed(0)
init = [0.01 * torch.randn(10, 64, generator=gen, **f64), torch.zeros(10, **f64)]


def cross_entropy(params):
    weight, bias = params
    return torch.nn.functional.cross_entropy(X.to(weight.dtype) @ weight.T + bias, y)


def against_torch(config, init=init, steps=30, **tolerances):
    """Our SGD vs torch's on the digits loss with the same `config`; a Comparison."""
    loss = (lambda ps: -cross_entropy(ps)) if config.get("maximize") else cross_entropy
    return compare_optimizers(lambda ps: SGD(ps, **config),
                              lambda ps: torch.optim.SGD(ps, **config), loss, init,
                              steps=steps, names=("ours", "torch"), **tolerances)


# %%
configs = [dict(lr=0.5), dict(lr=0.5, momentum=0.9),
           dict(lr=0.5, momentum=0.9, nesterov=True),
           dict(lr=0.5, momentum=0.9, dampening=0.5),
           dict(lr=0.5, momentum=0.9, weight_decay=1e-2),
           dict(lr=0.5, momentum=0.9, weight_decay=1e-2, nesterov=True),
           dict(lr=0.5, momentum=0.5, dampening=0.9, weight_decay=1e-3, maximize=True)]
for config in configs:
    result = against_torch(config, rtol=1e-12, atol=0.0)
    print(f"{str(config):<80} max rel diff ≤ 1e-12: {result.max_rel_diff <= 1e-12}")
    assert result.max_rel_diff <= 1e-12, result
init32 = [p.float() for p in init]
# float32, with torch.testing's default tolerances:
assert all(against_torch(config, init=init32).allclose for config in configs)
print("float32: all configurations within torch.testing's default tolerances")

# %% [markdown]
# Equal to twelve digits in float64 at every step, for every argument. (On most CPUs they are
# in fact *bitwise* equal, because `sgd_step` performs torch's tensor operations in torch's
# order; the appendix, chapter 15, explains why the course promises only $10^{-12}$.) From here
# on the chapter uses either one, and what it finds about one holds for the other.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Heavy ball, PyTorch, Sutskever: three ways to write it
#
# Write $g_t = \nabla f(\theta_{t-1})$ and let the rate $\gamma_t$ depend on the step. Polyak
# (1964) introduced momentum as the *heavy ball*, a gradient step plus a fraction of the last
# displacement (with $\theta_{-1} = \theta_0$):
#
# $$
# \theta_t = \theta_{t-1} - \gamma_t\, g_t + \mu\, (\theta_{t-1} - \theta_{t-2}). \tag{4.4}
# $$
#
# Sutskever, Martens, Dahl and Hinton (2013), and with them Caffe, Keras and CS231n, keep a
# velocity that already contains the learning rate ($v_0 = 0$):
#
# $$
# v_t = \mu\, v_{t-1} - \gamma_t\, g_t, \qquad \theta_t = \theta_{t-1} + v_t. \tag{4.5}
# $$
#
# Naming the displacement $v_t = \theta_t - \theta_{t-1}$ turns (4.4) into (4.5): **these two
# are one method**, for any schedule. PyTorch's (4.3) with a constant rate is the same method
# too: $\theta_t - \theta_{t-1} = -\gamma b_t = -\gamma g_t + \mu(-\gamma b_{t-1})$, and
# $-\gamma b_{t-1} = \theta_{t-1} - \theta_{t-2}$. Its buffer is a velocity in *gradient* units,
# $b_t = -v_t/\gamma$; Sutskever's is in *parameter* units.
#
# **Once the rate changes they part.** The identity used the same $\gamma$ at steps $t-1$ and
# $t$. With a schedule, $-\gamma_t\,\mu\, b_{t-1} = \mu\,\tfrac{\gamma_t}{\gamma_{t-1}}(\theta_{t-1} - \theta_{t-2})$, so PyTorch runs
#
# $$
# \theta_t = \theta_{t-1} - \gamma_t\, g_t + \mu\,\frac{\gamma_t}{\gamma_{t-1}}\,(\theta_{t-1} - \theta_{t-2}), \tag{4.6}
# $$
#
# the heavy ball with a momentum that jumps whenever the learning rate does. Typed out on a
# minimal optimizer shell:

# %%
class Momentum(torch.optim.Optimizer):
    """A minimal shell around one momentum form, `update(p, grad, state, lr, mu)`."""

    def __init__(self, params, update, lr, momentum):
        super().__init__(params, dict(lr=lr, momentum=momentum))
        self.update = update

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                self.update(p, p.grad, self.state[p], group["lr"], group["momentum"])


def heavy_ball(p, grad, state, lr, mu):                          # (4.4)
    previous = state.get("previous", p.clone())       # θ_{t−2}, with θ_{−1} = θ_0
    state["previous"] = p.clone()
    p.add_(-lr * grad + mu * (p - previous))


def sutskever(p, grad, state, lr, mu):                           # (4.5)
    velocity = mu * state.get("velocity", torch.zeros_like(p)) - lr * grad
    state["velocity"] = velocity
    p.add_(velocity)


forms = {"heavy ball": lambda ps: Momentum(ps, heavy_ball, 0.5, 0.9),
         "Sutskever": lambda ps: Momentum(ps, sutskever, 0.5, 0.9),
         "torch": lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9)}

# %% [markdown]
# All three on the digits loss for 30 steps, first at a constant rate, then under torch's
# `StepLR`, which divides the rate by 10 every 10 steps. The figure shows how far each form's
# parameters lie from torch's, relative to their size:

# %%
def trajectory(make, every=None, steps=30):
    """All parameters, flattened, after each of `steps` steps on the digits loss."""
    params = [p.clone().requires_grad_(True) for p in init]
    opt, out = make(params), []
    sched = (torch.optim.lr_scheduler.StepLR(opt, step_size=every, gamma=0.1)
             if every else None)
    for _ in range(steps):
        opt.zero_grad()
        cross_entropy(params).backward()
        opt.step()
        if sched:
            sched.step()
        out.append(torch.cat([p.detach().flatten() for p in params]))
    return torch.stack(out)


def gap(a, b):
    """‖θ^a_t − θ^b_t‖ / ‖θ^b_t‖ after each step."""
    return (a - b).norm(dim=1) / b.norm(dim=1)


runs = {(name, every): trajectory(make, every) for name, make in forms.items()
        for every in (None, 10)}
pairs = {"Sutskever vs torch, constant lr": (("Sutskever", None), ("torch", None)),
         "heavy ball vs Sutskever, StepLR": (("heavy ball", 10), ("Sutskever", 10)),
         "Sutskever vs torch, StepLR": (("Sutskever", 10), ("torch", 10))}
gaps = {label: gap(runs[a], runs[b]) for label, (a, b) in pairs.items()}
fig, ax = plt.subplots(figsize=(7, 3.5))
for (label, values), color in zip(gaps.items(), (GREY, GREEN, VERMILLION)):
    ax.plot(range(1, 31), values.clamp_min(1e-17), marker="o", markersize=3,
            label=label, color=color)
ax.axvline(10.5, color=GREY, lw=0.8, ls=":")
ax.text(11, 3e-17, "1e-17: bitwise equal", fontsize=8, color=GREY)
ax.set(yscale="log", xlabel="step",
       ylabel=r"$\|\theta^a_t - \theta^b_t\| / \|\theta^b_t\|$",
       title="One method while the rate is constant; PyTorch's form parts at a change")
ax.legend(fontsize=8)
plt.show()
parted = gaps["Sutskever vs torch, StepLR"]
assert gaps["Sutskever vs torch, constant lr"].max() < 1e-12
assert gaps["heavy ball vs Sutskever, StepLR"].max() < 1e-12
assert parted[:10].max() < 1e-12 and parted[10:].min() > 1e-4
print(f"Sutskever vs torch under StepLR: ≤ 1e-12 through step 10, "
      f"{parted[10]:.1e} after step 11, {parted[-1]:.1e} after step 30")

# %% [markdown]
# Exercise 2 makes the heavy ball follow torch by giving it the jumping momentum of (4.6).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The three forms at a step decay
#
# A step decay is the simplest schedule there is: multiply `lr` by 0.1 at step $k$, which is
# one line, `opt.param_groups[0]["lr"] *= 0.1`. (Why and when to decay, and the whole zoo of
# schedules, are chapters 06–07; one drop is all this section needs.) Unrolled from rest, the
# two forms step
#
# $$
# \theta_t - \theta_{t-1} = -\gamma_t\sum_{s\le t}\mu^{t-s}g_s \quad\text{(PyTorch)}, \qquad
# \theta_t - \theta_{t-1} = -\sum_{s\le t}\mu^{t-s}\gamma_s\,g_s \quad\text{(Sutskever)}. \tag{4.7}
# $$
#
# PyTorch applies the **new** rate to the whole buffer, gradients gathered at the old rate
# included, so its step shrinks at once. Sutskever's velocity keeps each gradient at the rate
# it was taken with, so its step's excess over the new one fades by $\mu$ per step. On a slope
# of constant gradient $g$, with the velocity saturated, a drop $\gamma \to \gamma'$ lets
# Sutskever's form travel an extra
#
# $$
# \Delta = \sum_{k\ge 1}\mu^{k}\,\frac{\gamma - \gamma'}{1-\mu}\,g = \frac{(\gamma - \gamma')\,\mu}{(1-\mu)^2}\,g . \tag{4.8}
# $$
#
# Measured on $f(\theta) = \theta$ ($g = 1$), with $\gamma = 0.1$ cut to $0.01$ after 100 steps:

# %%
MU, STEPS, DROP = 0.9, 300, 100
lrs = [0.1] * DROP + [0.01] * (STEPS - DROP)


def pytorch_form(lrs, rescale_buffer=False):
    """θ_t on f(θ) = θ with torch.optim.SGD, the rate set to lrs[t − 1] at step t."""
    theta = torch.zeros(1, **f64, requires_grad=True)
    opt, path = torch.optim.SGD([theta], lr=lrs[0], momentum=MU), []
    for rate in lrs:
        old, opt.param_groups[0]["lr"] = opt.param_groups[0]["lr"], rate
        if rescale_buffer and opt.state[theta]:          # b ← b·γ_old/γ_new (below)
            opt.state[theta]["momentum_buffer"].mul_(old / rate)
        theta.grad = torch.ones(1, **f64)                # f(θ) = θ: gradient 1
        opt.step()
        path.append(theta.item())
    return torch.tensor(path, **f64)


def sutskever_form(lrs, g=1.0):
    theta, v, path = 0.0, 0.0, []
    for rate in lrs:
        v = MU * v - rate * g                             # (4.5)
        theta += v
        path.append(theta)
    return torch.tensor(path, **f64)


def step_lengths(path):
    return torch.diff(path, prepend=torch.zeros(1, **f64)).abs()


torch_path, sutskever_path = pytorch_form(lrs), sutskever_form(lrs)
step_p, step_s = step_lengths(torch_path), step_lengths(sutskever_path)
torch.testing.assert_close(torch_path[:DROP], sutskever_path[:DROP], rtol=1e-12, atol=0)
shrink_p = float(step_p[DROP] / step_p[DROP - 1])
shrink_s = float(step_s[DROP] / step_s[DROP - 1])
print(f"step after the drop / step before: PyTorch {shrink_p:.3f}, "
      f"Sutskever {shrink_s:.3f} "
      f"(μ + (1 − μ)γ'/γ = {MU + (1 - MU) * 0.1:.3f})")
assert abs(shrink_p - 0.1) < 1e-6             # off by ~3e-7: μ^100 of warm-up left
assert abs(shrink_s - (MU + (1 - MU) * 0.1)) < 1e-6
excess = step_s[DROP - 1:] - 0.01 / (1 - MU)  # Sutskever's step minus the new one
assert torch.allclose(excess[1:60] / excess[:59], torch.full((59,), MU, **f64),
                      rtol=1e-9)

fig, ax = plt.subplots(figsize=(7, 3.5))
window = range(DROP - 9, DROP + 41)                        # steps t, counted from 1
ax.plot(window, step_p[DROP - 10:DROP + 40], marker="o", markersize=3, color=BLUE,
        label="PyTorch form: drops at once")
ax.plot(window, step_s[DROP - 10:DROP + 40], marker="o", markersize=3, color=VERMILLION,
        label="Sutskever / heavy-ball form: the excess fades by μ per step")
ax.axvline(DROP + 0.5, color=GREY, linestyle=":")
ax.set(yscale="log", xlabel="step", ylabel=r"step length $|\theta_t - \theta_{t-1}|$",
       title=f"The same ×0.1 drop: step ×{shrink_p:.2f} at once, "
             f"or ×{shrink_s:.2f} and fading")
ax.legend()
plt.show()

# %% [markdown]
# The gradual fade adds up. The next figure plots how far ahead Sutskever's form is, against
# (4.8); the dashed curve compares with PyTorch's form plus one line, explained below.

# %%
fixed = pytorch_form(lrs, rescale_buffer=True)
ahead = torch_path - sutskever_path          # g = 1 points down: ahead means lower
predicted_extra = (0.1 - 0.01) * MU / (1 - MU) ** 2       # (4.8)
torch.testing.assert_close(fixed, sutskever_path, rtol=1e-12, atol=1e-12)
assert abs(float(ahead[-1]) - predicted_extra) < 1e-3
print(f"extra distance travelled by Sutskever's form: {float(ahead[-1]):.4f} "
      f"((4.8) predicts {predicted_extra:.4f}, "
      f"{predicted_extra / (0.1 / (1 - MU)):.1f} "
      "old-rate steps)")

fig, ax = plt.subplots(figsize=(7, 3.5))
steps_axis = range(1, STEPS + 1)
ax.plot(steps_axis, ahead, color=VERMILLION, label="over PyTorch's form")
ax.plot(steps_axis, fixed - sutskever_path, color=BLUE, ls="--",
        label="over PyTorch's form with its buffer × γ_old/γ_new at the drop")
ax.axhline(predicted_extra, color=GREY, lw=0.8, ls=":",
           label=f"(4.8): Δ = {predicted_extra:.1f}")
ax.axvline(DROP + 0.5, color=GREY, lw=0.8)
ax.set(xlabel="step", ylabel="Sutskever's form's lead",
       title=f"Sutskever's form coasts {float(ahead[-1]):.2f} further after the drop")
ax.legend()
plt.show()

# %% [markdown]
# Neither form is wrong, but a recipe tuned in one is not the same run in the other after its
# first rate change. The conversion is one line: since $v_t = -\gamma_t b_t$ between changes,
# multiply torch's buffer by $\gamma_{\text{old}}/\gamma_{\text{new}}$ whenever the rate changes,
# and PyTorch's form reproduces Sutskever's exactly (the dashed line, asserted to $10^{-12}$).
# The opposite conversion, Sutskever's velocity times $\gamma_{\text{new}}/\gamma_{\text{old}}$,
# is Goyal et al.'s (2017) *momentum correction*; Detectron's `SOLVER.SCALE_MOMENTUM` applies it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Dampening, and why the first step skips it
#
# Dampening $\tau$ scales the *incoming* gradient in (4.2). On a constant gradient the buffer
# settles where $b = \mu b + (1-\tau) g$, at $(1-\tau)/(1-\mu)$ times the gradient (exercise 1).
# With $\tau = \mu$ the buffer is an exponential moving average, the kind Adam keeps (chapter
# 05), and the step on a constant gradient is $\gamma$, not $\gamma/(1-\mu)$.
#
# PyTorch starts the buffer at $b_1 = g_1$, undamped, instead of at $b_0 = 0$ followed by the
# damped update. (The convention comes from Lua Torch's `optim.sgd`; PyTorch documents it in the
# algorithm box of `torch.optim.SGD`.) Both starts obey the same linear recurrence from step 1
# on and begin $\tau g_1$ apart, so the difference is exact:
#
# $$
# b_t^{\text{torch}} - b_t^{\text{zero start}} = \tau\, \mu^{\,t-1} g_1 . \tag{4.9}
# $$
#
# Without dampening the two starts coincide. With $\tau = \mu$, torch's start makes the weights
# on $g_1, \dots, g_t$ sum to exactly 1 ($\mu^{t-1} + (1-\mu)\sum_{k=2}^{t}\mu^{t-k} = 1$), so the
# average is never biased toward zero: the bias Adam removes with its $1/(1-\beta_1^t)$.

# %%
def buffers(grads, momentum, dampening=0.0):
    """The buffers b_1 … b_T that sgd_step builds from the gradients g_1 … g_T (4.2)."""
    buf, out = None, []
    for g in grads:
        buf = sgd_step(torch.zeros((), **f64), g, buf, lr=0.0,
                       momentum=momentum, dampening=dampening)
        out.append(buf.clone())
    return torch.stack(out)


def zero_start(grads, momentum, dampening):
    """The same recurrence from b_0 = 0, damped at t = 1 too."""
    b, out = torch.zeros((), **f64), []
    for g in grads:
        b = momentum * b + (1 - dampening) * g
        out.append(b)
    return torch.stack(out)


g = torch.randn(25, generator=torch.Generator().manual_seed(1), **f64)
t = torch.arange(1, 26, **f64)
difference = buffers(g, 0.9, 0.5) - zero_start(g, 0.9, 0.5)
assert torch.allclose(difference, 0.5 * 0.9 ** (t - 1) * g[0],       # (4.9)
                      rtol=1e-12, atol=1e-15)
print("(4.9) holds for 25 random gradients, μ = 0.9, τ = 0.5, to 1e-12")

ones = torch.ones(60, **f64)
curves = {"τ = 0 (torch's default)": buffers(ones, 0.9),
          "τ = 0.5": buffers(ones, 0.9, 0.5),
          "τ = μ = 0.9, torch's start b₁ = g₁": buffers(ones, 0.9, 0.9),
          "τ = μ = 0.9, zero start": zero_start(ones, 0.9, 0.9)}
fig, ax = plt.subplots(figsize=(7, 3.5))
for (label, b), color, ls in zip(curves.items(), (BLUE, GREEN, VERMILLION, VERMILLION),
                                 ("-", "-", "-", "--")):
    ax.plot(range(1, 61), b, label=label, color=color, ls=ls)
ax.set(xlabel="step t", ylabel=r"buffer $b_t$ on a constant gradient $g = 1$",
       title="On a constant gradient the step tends to γ(1 − τ)/(1 − μ); "
             "at once if τ = μ")
ax.legend(fontsize=8)
plt.show()
settled = {label: float(b[-1]) for label, b in curves.items()}
print("after 60 steps:", {k: round(v, 3) for k, v in settled.items()})
for (label, b), tau in zip(list(curves.items())[:3], (0.0, 0.5, 0.9)):
    steady = (1 - tau) / (1 - 0.9)
    assert abs(float(b[-1]) - steady) < 0.02 * steady, label
assert torch.allclose(curves["τ = μ = 0.9, torch's start b₁ = g₁"], ones, rtol=1e-14)
assert abs(float(curves["τ = μ = 0.9, zero start"][0]) - 0.1) < 1e-15  # biased to 0

# %% [markdown]
# Damped and undamped momentum are therefore different learning rates: at $\mu = 0.9$ the
# default buffer ends ten times larger than the averaged one (the first and third curves).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Nesterov's momentum, and torch's `nesterov=True`
#
# Nesterov (1983) evaluates the gradient not where the parameters are but where the velocity is
# about to carry them. In Sutskever et al.'s form, at a constant rate:
#
# $$
# v_t = \mu v_{t-1} - \gamma\, \nabla f(\theta_{t-1} + \mu v_{t-1}), \qquad \theta_t = \theta_{t-1} + v_t. \tag{4.10}
# $$
#
# `loss.backward()` gives the gradient at the parameters, not at a look-ahead point, so PyTorch
# changes variables and stores the look-ahead point itself, $u_t = \theta_t + \mu v_t$. Then
# $u_t = (u_{t-1} - \mu v_{t-1}) + (1+\mu)\,v_t$, and substituting $v_t$ from (4.10):
#
# $$
# u_t = u_{t-1} - \gamma\nabla f(u_{t-1}) + \mu\, v_t
# = u_{t-1} - \gamma\left(\nabla f(u_{t-1}) + \mu\, b_t\right), \qquad b_t = -v_t/\gamma, \tag{4.11}
# $$
#
# which is (4.2)–(4.3) with `nesterov=True`: the buffer obeys the ordinary recurrence, and the
# step adds the fresh gradient to $\mu$ times the buffer. Since $v_0 = 0$, both start at
# $\theta_0$; but torch's parameters *are* the look-ahead points $u_t$, not $\theta_t$. Checked on
# chapter 02's valley, $f = \tfrac12(0.001\,\theta_1^2 + \theta_2^2)$:

# %%
from course_utils.objectives import Quadratic, optimize

valley, theta0 = Quadratic([0.001, 1.0]), [-10.0, 1.0]


def nesterov_lookahead(objective, theta0, lr, mu, steps):
    """(4.10), typed out: the iterates θ_t and velocities v_t, each (steps + 1, dim)."""
    theta = torch.as_tensor(theta0, **f64)
    v = torch.zeros_like(theta)
    thetas, vs = [theta], [v]
    for _ in range(steps):
        v = mu * v - lr * objective.grad(theta + mu * v)
        theta = theta + v
        thetas.append(theta)
        vs.append(v)
    return torch.stack(thetas), torch.stack(vs)


theta_path, v_path = nesterov_lookahead(valley, theta0, 1.0, 0.9, 300)
torch_nesterov = optimize(valley, theta0, lambda ps: torch.optim.SGD(
    ps, lr=1.0, momentum=0.9, nesterov=True), 300)
assert torch.allclose(theta_path + 0.9 * v_path, torch_nesterov, rtol=1e-12, atol=1e-13)
assert not torch.allclose(theta_path, torch_nesterov, rtol=1e-3, atol=0.0)
print("torch's nesterov=True iterates are the look-ahead points θ_t + μ v_t of (4.10), "
      "to 1e-12")

# %% [markdown]
# **What the look-ahead buys.** On one direction of curvature $h$, (4.10) reads
# $\theta_t = (1-\gamma h)\big((1+\mu)\theta_{t-1} - \mu\,\theta_{t-2}\big)$, and $u_t$, a
# combination of two $\theta$'s, obeys the same recurrence. Its characteristic polynomial,
# beside the heavy ball's (whose roots are chapter 03's (3.4)):
#
# $$
# \sigma^2 - (1+\mu)(1-\gamma h)\,\sigma + \mu(1-\gamma h) = 0
# \qquad\text{versus}\qquad \sigma^2 - (1+\mu-\gamma h)\,\sigma + \mu = 0 . \tag{4.12}
# $$
#
# Two consequences. Where the roots are complex, their modulus is the square root of their
# product: $\sqrt{\mu(1-\gamma h)}$ against the heavy ball's $\sqrt\mu$, so Nesterov damps
# oscillating directions faster. And its polynomial at $\sigma = -1$ is
# $1 + (1+2\mu)(1-\gamma h)$, positive only while $\gamma h < (2+2\mu)/(1+2\mu)$: a far shorter
# stability limit than the heavy ball's $2 + 2\mu$. To measure, fit $a, c$ in
# $x_t = a\,x_{t-1} - c\,x_{t-2}$ to torch's iterates on $f(\theta) = \tfrac h2\theta^2$
# ($\gamma = 1$, $\mu = 0.9$) by least squares; the roots of the fitted polynomial give the rate.

# %%
from course_utils.quadratic_theory import geometric_rate, spectral_radius

MU_N = 0.9


def largest_root(a, c):
    """max |σ| over the roots of σ² − aσ + c."""
    companion = torch.tensor([[float(a), -float(c)], [1.0, 0.0]], **f64)
    return float(torch.linalg.eigvals(companion).abs().max())


def predicted(gh, nesterov, mu=MU_N):
    """(a, c) of σ² − aσ + c in (4.12): Nesterov's polynomial, or the heavy ball's."""
    return ((1 + mu) * (1 - gh), mu * (1 - gh)) if nesterov else (1 + mu - gh, mu)


def iterates(gh, nesterov, steps=8):
    def make(ps):
        return torch.optim.SGD(ps, lr=1.0, momentum=MU_N, nesterov=nesterov)

    return optimize(Quadratic([gh]), [1.0], make, steps)[:, 0]


def identified(gh, nesterov):
    """(a, c) least-squares fitted to torch's iterates x_3 … x_8: early, while the
    smaller root still shows (later a diverging run is one geometric sequence)."""
    x = iterates(gh, nesterov)
    rows = torch.stack([x[2:-1], -x[1:-2]], dim=1)
    return torch.linalg.lstsq(rows, x[3:, None]).solution.flatten().tolist()


limit_hb, limit_nesterov = 2 + 2 * MU_N, (2 + 2 * MU_N) / (1 + 2 * MU_N)
points = [0.001, 0.01, 0.03, 0.1, 0.3, 0.6, 1.2, 1.5, 2.0, 3.0, 3.6]
measured = {}
for nesterov in (False, True):
    measured[nesterov] = []
    for gh in points:
        fit, theory = identified(gh, nesterov), predicted(gh, nesterov)
        assert max(abs(f - p) for f, p in zip(fit, theory)) < 1e-7, (gh, nesterov, fit)
        measured[nesterov].append(largest_root(*fit))
assert all((r < 1) == (gh < limit_nesterov) for gh, r in zip(points, measured[True]))
assert all(r < 1 for r in measured[False])      # the heavy ball: stable up to 2 + 2μ
for gh in points:                                # (4.12), right: chapter 03's rate
    hb = largest_root(*predicted(gh, False))
    assert abs(float(spectral_radius(gh, 1.0, MU_N)) - hb) < 1e-12

grid = torch.logspace(-3, 0.6, 300, **f64).tolist()
styles = ((False, BLUE, "heavy ball"), (True, VERMILLION, "Nesterov"))
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
for nesterov, color, label in styles:
    ax.plot(grid, [largest_root(*predicted(gh, nesterov)) for gh in grid], color=color,
            label=f"{label}, (4.12)")
    ax.plot(points, measured[nesterov], "o", color=color, markersize=4,
            label=f"{label}, fitted to torch's run")
for limit, color in ((limit_hb, BLUE), (limit_nesterov, VERMILLION)):
    ax.axvline(limit, color=color, lw=0.8, ls=":")
ax.axhline(1, color=GREY, lw=0.8)
ax.set(xscale="log", ylim=(0, 1.6), xlabel=r"$\gamma h$ (step × curvature)",
       ylabel="contraction per step",
       title=f"Nesterov diverges past γh = {limit_nesterov:.3f} "
             f"(heavy ball: {limit_hb:.1f})")
ax.legend(fontsize=8, loc="lower left")
for nesterov, color, label in styles:
    x = iterates(0.6, nesterov, steps=60)
    rate = largest_root(*predicted(0.6, nesterov))
    ax2.plot((x[1:] ** 2 + x[:-1] ** 2).sqrt(), color=color, label=f"{label}, torch")
    ax2.plot([rate ** k for k in range(60)], color=color, ls="--", lw=0.8,
             label=f"slope {rate:.3f} per step")
ax2.set(yscale="log", xlabel="step", ylabel=r"amplitude $\sqrt{x_t^2 + x_{t-1}^2}$",
        title="γh = 0.6: Nesterov's oscillation dies far sooner")
ax2.legend(fontsize=8)
plt.show()
i = points.index(0.6)
print(f"γh = 0.6: heavy ball {measured[False][i]:.3f} (√μ = {MU_N ** 0.5:.3f}), "
      f"Nesterov {measured[True][i]:.3f} (√(μ(1 − γh)) = {(MU_N * 0.4) ** 0.5:.3f})")
assert measured[True][i] < measured[False][i]              # faster where complex
assert abs(measured[True][0] - measured[False][0]) < 1e-3          # alike at γh = 0.001
assert largest_root(*predicted(1.0, True)) == 0            # both roots 0 at γh = 1

# %% [markdown]
# On shallow directions ($\gamma h \ll 1$) the two are nearly the same; on steeper ones Nesterov
# contracts faster (at $\gamma h = 1$ both its roots are 0) until, past its limit, it diverges
# where the heavy ball is still stable.
# Exercise 4 races the two on the valley.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Weight decay, and the line everyone writes
#
# Equation (4.1) adds $\lambda\theta$ to the gradient, the gradient of an L2 penalty:
# $\nabla\big(f(\theta) + \tfrac\lambda2\|\theta\|^2\big) = \nabla f(\theta) + \lambda\theta$. So
# `weight_decay=λ` is the same as adding $\tfrac\lambda2\|\theta\|^2$ to the loss (up to rounding,
# since the sum is formed in another order):

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
def with_l2(ps):
    return cross_entropy(ps) + wd / 2 * sum((p**2).sum() for p in ps)


decayed = train(lambda ps: SGD(ps, lr=0.5, momentum=0.9, weight_decay=wd),
                cross_entropy)
penalized = train(lambda ps: SGD(ps, lr=0.5, momentum=0.9), with_l2)
for a, b in zip(decayed, penalized):
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
print("weight_decay=λ equals an explicit (λ/2)‖θ‖² term in the loss, to 1e-12")

# %% [markdown]
# Now the line from countless training scripts,
# `torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=wd)`, argument by argument:
#
# * `net.parameters()`: every tensor in **one** parameter group, so weights, biases and
#   normalisation scales are all decayed alike. Parameter groups make that choice explicit.
# * `lr=lr, momentum=0.9`: the rate outside the buffer; on slowly changing directions the
#   effective step is `lr / (1 - 0.9)`, ten times `lr` (chapter 02).
# * `weight_decay=wd`: $\lambda\theta$ joins the gradient *before* the buffer, so momentum
#   accelerates the decay like everything else. AdamW's decoupled decay takes it out (chapter 05).
#
# Dampening, `nesterov` and `maximize` keep their defaults. Decaying the weights only:

# %%
net = torch.nn.Linear(64, 10, dtype=torch.float64)
print([(name, tuple(p.shape)) for name, p in net.named_parameters()])


def grouped(opt_class):
    return lambda ps: opt_class([{"params": [ps[0]], "weight_decay": wd},
                                 {"params": [ps[1]], "weight_decay": 0.0}],
                                lr=0.5, momentum=0.9)


init_net = [net.weight.detach(), net.bias.detach()]
result = compare_optimizers(grouped(SGD), grouped(torch.optim.SGD), cross_entropy,
                            init_net, steps=30, rtol=1e-12, atol=0.0,
                            names=("ours, 2 groups", "torch, 2 groups"))
assert result.allclose
print("decay on weights only, via two parameter groups: ours equals torch to 1e-12")

# %% [markdown]
# **How fast it shrinks.** With no loss at all, the decay is momentum on the quadratic
# $\tfrac\lambda2\|\theta\|^2$, one curvature $h = \lambda$, so chapter 03 predicts its rate.
# Usual values of $\gamma\lambda$ lie deep in the over-damped range, $\gamma\lambda < (1-\sqrt\mu)^2$,
# where putting $\sigma = 1 - \varepsilon$ into the heavy ball's polynomial (4.12) with $h = \lambda$
# and keeping first-order terms gives
#
# $$
# \rho \approx 1 - \frac{\gamma\lambda}{1-\mu} \qquad (\gamma\lambda \ll (1-\sqrt\mu)^2): \tag{4.13}
# $$
#
# momentum multiplies the decay per step by $1/(1-\mu)$, as it does every gradient. With
# $\gamma = 0.1$ and AlexNet's $\lambda = 5\cdot 10^{-4}$, torch's SGD with a zero loss gradient:

# %%
LR_WD, LAMBDA, STEPS_WD = 0.1, 5e-4, 5000
assert LR_WD * LAMBDA < (1 - 0.9**0.5) ** 2 / 50      # deep in the over-damped range
thetas = {mu: torch.ones(3, **f64, requires_grad=True) for mu in (0.0, 0.9)}
opt = torch.optim.SGD([{"params": [thetas[0.0]], "momentum": 0.0},    # two groups, one
                       {"params": [thetas[0.9]], "momentum": 0.9}],   # optimizer
                      lr=LR_WD, weight_decay=LAMBDA)
traces = {mu: [1.0] for mu in thetas}
for _ in range(STEPS_WD):
    for mu, theta in thetas.items():
        theta.grad = torch.zeros(3, **f64)              # no loss: only the decay acts
    opt.step()
    for mu, theta in thetas.items():
        traces[mu].append(float(theta.detach().norm()) / 3**0.5)
norms, rates = {}, {}
for mu, trace in traces.items():
    norms[mu] = torch.tensor(trace, **f64)
    rates[mu] = geometric_rate(trace, 2500, STEPS_WD)
    exact = float(spectral_radius(LAMBDA, LR_WD, mu))          # chapter 03, h = λ
    approx = 1 - LR_WD * LAMBDA / (1 - mu)                     # (4.13)
    assert abs(rates[mu] - exact) < 1e-7
    assert abs((1 - rates[mu]) / (1 - approx) - 1) < 0.01
speedup = (1 - rates[0.9]) / (1 - rates[0.0])
print(f"decay per step: μ = 0: 1 − {1 - rates[0.0]:.3e}, "
      f"μ = 0.9: 1 − {1 - rates[0.9]:.3e}"
      f" → {speedup:.2f}x faster; (4.13) predicts {1 / (1 - 0.9):.0f}x")
assert abs(speedup - 10) < 0.1

fig, ax = plt.subplots(figsize=(7, 3.5))
steps_axis = torch.arange(STEPS_WD + 1, **f64)
for mu, color in ((0.0, BLUE), (0.9, VERMILLION)):
    ax.plot(steps_axis, norms[mu], color=color, label=f"μ = {mu}: measured")
    ax.plot(steps_axis, (1 - LR_WD * LAMBDA / (1 - mu)) ** steps_axis, color=GREY,
            ls="--", lw=1, zorder=3)
ax.plot([], [], color=GREY, ls="--", label="(4.13): (1 − γλ/(1 − μ))ᵗ")
ax.set(yscale="log", xlabel="step", ylabel=r"$\|\theta_t\| / \|\theta_0\|$",
       title=f"Weight decay alone, γ = {LR_WD}, λ = {LAMBDA:g}: momentum shrinks "
             f"{speedup:.1f}x faster")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# **1. Damped and undamped momentum are different learning rates.** `dampening=momentum` steps
# $\gamma$ on a constant gradient, torch's default $\gamma/(1-\mu)$ (the dampening figure).
# Porting a learning rate between the two SGD conventions needs that factor.
#
# **2. Moving hyper-parameters between frameworks under a schedule.** Keras (as documented for
# `tf.keras.optimizers.SGD`), Caffe and CS231n use Sutskever's form; PyTorch and Lua Torch the
# buffer form. They agree at a constant rate and differ by (4.8) after each drop.
#
# **3. Nesterov with dampening.** PyTorch refuses the combination, and so does the course's SGD,
# with the same message:

# %%
for name, optimizer_class in (("torch.optim.SGD", torch.optim.SGD),
                              ("course_utils.optim.SGD", SGD)):
    try:
        optimizer_class([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9,
                        dampening=0.1, nesterov=True)
    except ValueError as err:
        print(f"{name}: ValueError: {err}")
    else:
        raise AssertionError(f"{name} accepted Nesterov with dampening")

# %% [markdown]
# **4. `net.parameters()` decays the biases too.** Use parameter groups when you do not want
# that (shown above).
#
# **5. Under `nesterov=True` the parameters are look-ahead points.** A paper's $\theta_t$ is
# torch's parameter minus $\mu v_t$ (asserted in the Nesterov section); compare like with like.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. `torch.optim.SGD` runs (4.1)–(4.3): weight decay inside the gradient, the buffer started
#    at $b_1 = g_1$, the rate outside the buffer. The course's `SGD` equals it to $10^{-12}$ in
#    float64 for every argument.
# 2. Heavy ball (4.4) and Sutskever (4.5) are one method for any schedule; PyTorch's form equals
#    them at a constant rate and is the heavy ball with momentum $\mu\gamma_t/\gamma_{t-1}$ (4.6).
# 3. At a drop, PyTorch's step shrinks at once; Sutskever's excess step fades by $\mu$ per
#    step and coasts $(\gamma-\gamma')\mu/(1-\mu)^2$ further (4.8). Rescaling the buffer
#    converts one form into the other.
# 4. Dampening scales the steady step by $1-\tau$; torch skips it on the first step, so
#    $\tau = \mu$ is an unbiased average from step 1 (4.9).
# 5. `nesterov=True` is Nesterov's look-ahead (4.10) stored as parameters (4.11): it contracts
#    oscillating directions faster, but is stable only for $\gamma h < (2+2\mu)/(1+2\mu)$ (4.12).
# 6. `weight_decay` enters the buffer, so momentum speeds the decay to about
#    $\gamma\lambda/(1-\mu)$ per step (4.13).

# %% [markdown]
# ## Exercises
#
# **1.** With dampening $\tau$, what step does momentum take on a constant gradient in the long
# run? Derive it from (4.2), then check with `SGD(momentum=0.9, dampening=0.5)`.

# %% tags=["solution"]
# b = μb + (1 − τ)g has the fixed point b = (1 − τ)g/(1 − μ):
# the step tends to γ(1 − τ)/(1 − μ)·g.
long_run = buffers(torch.ones(300, **f64), 0.9, dampening=0.5)[-1]
print(f"measured {float(long_run):.6f}, "
      f"predicted (1 − τ)/(1 − μ) = {(1 - 0.5) / (1 - 0.9):.6f}")
assert abs(float(long_run) - 0.5 / 0.1) < 1e-9

# %% [markdown]
# **2.** Make the heavy ball (4.4) reproduce `torch.optim.SGD` under `StepLR` by giving it the
# momentum $\mu\,\gamma_t/\gamma_{t-1}$ of (4.6). (Hint: remember the previous rate in `state`.)

# %% tags=["solution"]
def heavy_ball_rescaled(p, grad, state, lr, mu):
    previous, previous_lr = state.get("previous", p.clone()), state.get("lr", lr)
    state["previous"], state["lr"] = p.clone(), lr
    p.add_(-lr * grad + mu * lr / previous_lr * (p - previous))     # (4.6)


def step_decay(opt):
    return torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.1)


check = compare_optimizers(lambda ps: Momentum(ps, heavy_ball_rescaled, 0.5, 0.9),
                           forms["torch"], cross_entropy, init, steps=30,
                           make_scheduler_a=step_decay, make_scheduler_b=step_decay,
                           rtol=1e-12, atol=1e-14)
print("heavy ball with μ·γ_t/γ_{t−1} vs torch under StepLR:",
      "equal (1e-12)" if check.allclose else "DIFFERENT")
assert check.allclose

# %% [markdown]
# **3.** You trained 20 steps in Sutskever's form and want to continue in `torch.optim.SGD`
# without a jump. Convert the velocity into torch's `momentum_buffer` and check that the next
# 20 steps match a run that used torch throughout.

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
    second.state[p]["momentum_buffer"] = -first.state[p]["velocity"] / 0.5   # b = −v/γ
steps_of(second, mine, 20)
reference = [p.clone().requires_grad_(True) for p in init]
steps_of(torch.optim.SGD(reference, lr=0.5, momentum=0.9), reference, 40)
for a, b in zip(mine, reference):
    torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-13)
print("Sutskever for 20 steps, converted, torch for 20 more = torch for 40 steps")

# %% [markdown]
# **4.** On the valley, with $\mu = 0.9$, race the heavy ball against Nesterov to 10% of the
# starting distance, at $\gamma = 1$ and at $\gamma = 1.9$. Explain both races with (4.12).

# %% tags=["solution"]
def race(lr, nesterov, steps=300):
    """Distance to the minimum at each step of torch's SGD on the valley, μ = 0.9."""
    def make(ps):
        return torch.optim.SGD(ps, lr=lr, momentum=0.9, nesterov=nesterov)

    return optimize(valley, theta0, make, steps).norm(dim=1)


def steps_to_tenth(distances):
    return int((distances <= 0.1 * distances[0]).nonzero()[0])


hb1, n1 = steps_to_tenth(race(1.0, False)), steps_to_tenth(race(1.0, True))
print(f"γ = 1: heavy ball {hb1} steps, Nesterov {n1} steps")
print(f"γ = 1.9: heavy ball {steps_to_tenth(race(1.9, False))} steps")
blown_up = float(race(1.9, True)[-1])
print(f"γ = 1.9: Nesterov is {blown_up:.1e} from the minimum after 300 steps")
# The shallow direction (γh = 0.001, then 0.0019) sets the pace: there the two
# polynomials of (4.12) have nearly the same root, so the first race is close. In the
# second the steep direction has γh = 1.9 > (2 + 2μ)/(1 + 2μ) = 1.357: Nesterov's
# largest root exceeds 1.
radius_19 = largest_root(*predicted(1.9, True))
print(f"Nesterov's |σ|max at γh = 1.9: {radius_19:.3f}")
assert abs(hb1 - n1) <= 0.2 * hb1 and blown_up > 1e50
assert radius_19 > 1 and limit_nesterov < 1.9

# %% [markdown]
# ## References
#
# * B. T. Polyak, *Some methods of speeding up the convergence of iteration methods*, USSR
#   Computational Mathematics and Mathematical Physics 4(5), 1964: the heavy ball (4.4).
# * Y. Nesterov, *A method of solving a convex programming problem with convergence rate
#   O(1/k²)*, Soviet Mathematics Doklady 27, 1983: the look-ahead gradient (4.10).
# * I. Sutskever, J. Martens, G. Dahl, G. Hinton, *On the importance of initialization and
#   momentum in deep learning*, ICML 2013: the velocity form (4.5) and Nesterov as (4.10).
# * A. Krizhevsky, I. Sutskever, G. Hinton, *ImageNet classification with deep convolutional
#   neural networks*, NeurIPS 2012: the rate inside the velocity, and $\lambda = 5\cdot10^{-4}$.
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017:
#   "momentum correction" when the rate changes; Detectron's `SOLVER.SCALE_MOMENTUM` applies it.
# * PyTorch documentation, [`torch.optim.SGD`](https://pytorch.org/docs/stable/generated/torch.optim.SGD.html):
#   the algorithm box and the note on Sutskever's form (pytorch/pytorch issue #1099, pull
#   request #1196; the skipped first dampening, pull request #152833); Lua Torch's
#   `optim/sgd.lua`, which set the $b_1 = g_1$ convention.
# * Keras, `tf.keras.optimizers.SGD`; Caffe, *Solver* tutorial; CS231n, *Neural Networks
#   Part 3*: Sutskever's form and Nesterov's look-ahead.
# * I. Loshchilov, F. Hutter, *Decoupled weight decay regularization*, ICLR 2019: why L2 in the
#   buffer is not decoupled decay (chapter 05).
