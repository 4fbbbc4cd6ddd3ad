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
# # 05 · Why decay the learning rate
#
# *No constant learning rate is both fast and precise on a noisy problem. Shrinking it over
# time is, provided it shrinks at the right speed: this chapter measures the dilemma, derives
# every standard schedule, states the Robbins–Monro conditions that separate schedules that
# converge from schedules that stall, and shows how a step decay meets momentum.*
#
# **Prerequisites:** chapter 01 (the noise floor (1.7)), chapter 02 (SGD with momentum in
# PyTorch's form, (2.4)–(2.5)).
# **Runtime:** about 15 s on a laptop CPU.
#
# **After this chapter you can**
# 1. show by measurement that a constant learning rate trades speed for precision, and that a
#    decaying one gets both;
# 2. derive the closed form of every standard schedule (step, exponential, polynomial, cosine,
#    linear, warm-up, warm restarts, cyclic, one-cycle, warmup–stable–decay) and read its
#    arguments off a plot;
# 3. state the Robbins–Monro conditions and predict from them whether a schedule converges,
#    stalls at a finite distance, or hovers;
# 4. explain where "×0.1 every 30 epochs" comes from and what each drop buys;
# 5. predict how a step decay acts on momentum in PyTorch's form and in Sutskever's.

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
import math

import matplotlib.pyplot as plt
import torch

from course_utils.device import setup
from course_utils.plotting import GREY, VERMILLION, plot_lr_schedule

device = setup(seed=0)
f64 = dict(dtype=torch.float64)

# %% [markdown]
# Every experiment here is a small quadratic with simulated gradient noise, run in float64 on
# the CPU whatever device you have, so that each printed digit is the same on every machine.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: fast or precise, pick one
#
# Chapter 01 left us with the noisy quadratic $f(w) = \tfrac12(w_1^2 + 10\,w_2^2)$, whose gradient
# oracle returns $\nabla f(w) + \sigma\xi$, $\xi \sim \mathcal N(0, I)$, $\sigma = 1$. SGD on it, one
# eigen-direction at a time, is the recursion
#
# $$
# w_{t+1,i} = (1 - \alpha_t\lambda_i)\, w_{t,i} - \alpha_t\,\sigma\,\xi_{t,i}, \tag{5.16}
# $$
#
# now with a learning rate $\alpha_t$ that may change from step to step. (Equations (5.1)–(5.15)
# are the schedules of section 2; they carry the numbers that `course_utils.schedules` gives
# them.) The helper below runs (5.16) for a thousand independent runs at once and for several
# schedules side by side, and returns the mean excess loss $\mathbb E f(w_t) - f^\star$ at every step.

# %%
def sgd_runs(lrs, curvatures=(1.0, 10.0), sigma=1.0, w0=3.0, runs=1000, seed=0):
    """Run (5.16) on f(w) = ½ Σ λ_i w_i² for every row of `lrs` (shape (schedules, steps)).

    Returns the mean excess loss at steps 0..T, shape (schedules, T + 1), and the final iterates.
    """
    lrs = torch.atleast_2d(torch.as_tensor(lrs, **f64))
    lam = torch.as_tensor(curvatures, **f64)
    gen = torch.Generator().manual_seed(seed)
    w = torch.full((lrs.shape[0], runs, lam.numel()), w0, **f64)
    loss = [0.5 * (lam * w**2).sum(-1).mean(-1)]
    for lr in lrs.T:                                    # lr: this step's rate, one per schedule
        noise = torch.randn(w.shape, generator=gen, **f64)
        w = w - lr[:, None, None] * (lam * w + sigma * noise)            # (5.16)
        loss.append(0.5 * (lam * w**2).sum(-1).mean(-1))
    return torch.stack(loss, dim=1), w


def schedule_table(schedules, steps):
    """The learning rates of named schedules `fn(t)` at t = 0..steps-1, one row each."""
    return torch.tensor([[fn(t) for t in range(steps)] for fn in schedules.values()], **f64)

# %% [markdown]
# Before trusting it, one check: with a single run, (5.16) is exactly what the course's `SGD`
# (chapter 02) does when `course_utils.objectives.optimize` feeds it the noisy gradient drawn
# from the same random stream.

# %%
from course_utils.objectives import NoisyGradient, Quadratic, optimize
from course_utils.optim import SGD

noisy = NoisyGradient(Quadratic([1.0, 10.0]), sigma=1.0, generator=torch.Generator().manual_seed(0))
path = optimize(noisy, [3.0, 3.0], lambda ps: SGD(ps, lr=0.05), steps=200)
loss_by_sgd = noisy(path)
loss_by_recursion, _ = sgd_runs(torch.full((1, 200), 0.05, **f64), runs=1, seed=0)
torch.testing.assert_close(loss_by_recursion[0], loss_by_sgd, rtol=1e-12, atol=1e-15)
print("recursion (5.16) == course_utils.optim.SGD on NoisyGradient, 200 steps, rtol 1e-12")

# %% [markdown]
# Now the dilemma. Three constant rates, $\alpha = 0.01$, $0.1$ and $0.19$ (just under the
# stability limit $2/L = 0.2$ of (1.3)), against the simplest decaying rate,
# $\alpha_t = 0.1/(1 + t/50)$, for 2,000 steps:

# %%
STEPS = 2000
dilemma = {"α = 0.01": lambda t: 0.01, "α = 0.1": lambda t: 0.1, "α = 0.19": lambda t: 0.19,
           "α_t = 0.1/(1 + t/50)": lambda t: 0.1 / (1 + t / 50)}
dilemma_loss, _ = sgd_runs(schedule_table(dilemma, STEPS))


def chapter01_floor(lr, curvatures=(1.0, 10.0), sigma=1.0):
    """The noise floor (1.7) of chapter 01 for a constant rate."""
    return sum(lr * sigma**2 / (2 * (2 - lr * lam)) for lam in curvatures)


def first_below(row, level):
    """The first step at which a loss curve is below `level` (None if never)."""
    hits = torch.nonzero(row < level)
    return int(hits[0]) if len(hits) else None


speed = {name: first_below(row, 0.1) for name, row in zip(dilemma, dilemma_loss)}
final = {name: float(row[-500:].mean()) for name, row in zip(dilemma, dilemma_loss)}
for name in dilemma:
    print(f"{name:<22} below 0.1 after {str(speed[name] or 'never'):>5} steps;  "
          f"mean loss over the last 500 steps {final[name]:.2e}")

# %% [markdown]
# The table is the dilemma in numbers, and the next cell asserts each part of it:
#
# * $\alpha = 0.1$ is **fast** (below 0.1 in about 25 steps) but **imprecise**: it hovers at
#   the floor (1.7), about 0.076;
# * $\alpha = 0.01$ is **precise** (a 15× lower floor) but **slow**: about eight times as many
#   steps to get anywhere;
# * $\alpha = 0.19$ is both slow and imprecise: the steep direction contracts by only
#   $|1 - 1.9| = 0.9$ per step, flipping sign each time, and its floor is multiplied by
#   $1/(2 - \alpha\lambda) = 10$;
# * the decaying rate is as fast as $\alpha = 0.1$ and ends **below the floor of $\alpha = 0.01$** —
#   and it is still going down.

# %%
assert speed["α = 0.1"] <= 30 and speed["α = 0.01"] >= 6 * speed["α = 0.1"] and speed["α = 0.19"] is None
for lr in (0.01, 0.1, 0.19):
    assert abs(final[f"α = {lr}"] / chapter01_floor(lr) - 1) < 0.1, "constant rates hover at (1.7)"
decay = "α_t = 0.1/(1 + t/50)"
assert speed[decay] <= speed["α = 0.1"] + 5
assert dilemma_loss[3, -1] < 0.5 * chapter01_floor(0.01) and dilemma_loss[3, -1] < dilemma_loss[3, 1000]
print(f"decay ends at {float(dilemma_loss[3, -1]):.2e}: "
      f"{chapter01_floor(0.01) / float(dilemma_loss[3, -1]):.1f}x below the floor of α = 0.01")

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for (name, row), color in zip(zip(dilemma, dilemma_loss), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
    ax.plot(row, label=name, color=color, linewidth=1.2)
    if name.startswith("α ="):
        ax.axhline(chapter01_floor(float(name.split("= ")[1])), color=color, linestyle="--", linewidth=0.8)
ax.set(xscale="log", yscale="log", xlabel="step", ylabel=r"mean $f(w_t) - f^\star$ over 1,000 runs",
       title="A constant rate is fast or precise (dashed: floor 1.7); a decaying one is both")
ax.legend()
plt.show()

# %% [markdown]
# Past the stability limit there is no floor at all. At $\alpha = 0.5$ the steep direction is
# multiplied by $1 - 5 = -4$ at every step, and nothing warns you: the iterate grows to
# infinity and then to NaN, and a training loop happily continues with NaN. The course's runner
# `optimize` checks every iterate with `course_utils.guards.check_finite`, which stops the run
# with a `DivergenceError` that names the step and the learning rate:

# %%
from course_utils.guards import DivergenceError

try:
    optimize(Quadratic([1.0, 10.0]), [3.0, 3.0], lambda ps: SGD(ps, lr=0.5), steps=2000)
except DivergenceError as err:
    print(f"DivergenceError: {err}")
    blown_at = int(str(err).split("step ")[1].split(" ")[0])

# %% [markdown]
# The step is predictable: the steep coordinate is $3\cdot(-4)^t$, and its gradient
# $10\cdot 3\cdot 4^t$ overflows float64 (largest value $\approx 1.8\times10^{308}$) when
# $t > \log_4(1.8\times10^{308}/30)$:

# %%
predicted = math.log(torch.finfo(torch.float64).max / 30) / math.log(4)
print(f"predicted overflow after {predicted:.1f} steps; the guard stopped the run at step {blown_at}")
assert abs(blown_at - predicted) < 2

# %% [markdown]
# So the learning rate must be large early, to cover ground, and small late, to average the
# noise away, and it must never pass $2/L$. How to shrink it — the *schedule* — is the rest of
# the chapter: first the shapes practice uses, then the theory that says which shapes converge.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The schedule zoo, derived
#
# A schedule is a function $\eta_e$ of the step counter $e$ (torch calls it `last_epoch`, and it
# counts scheduler steps, whether you step per epoch or per batch). The course writes each one
# as a pure function in `course_utils.schedules`, with torch's argument names, equal to the
# closed form of the torch class of the same name. Here is each derived in a line or two;
# $\eta_0$ is the base learning rate, the one you gave the optimizer.
#
# **Hold, then release** (`ConstantLR`). Keep a fraction $f$ of the rate for the first $T$ steps:
#
# $$
# \eta_e = \begin{cases} f\,\eta_0 & e < T \\ \eta_0 & e \ge T \end{cases} \tag{5.1}
# $$
#
# **Step decay** (`StepLR`). Multiply by $\gamma$ each time $e$ reaches a multiple of the step size
# $s$. Up to step $e$ that has happened $\lfloor e/s \rfloor$ times, so
#
# $$
# \eta_e = \eta_0\,\gamma^{\lfloor e/s \rfloor}. \tag{5.2}
# $$
#
# **Multi-step decay** (`MultiStepLR`). The same with arbitrary milestones $M$: count those already
# passed, $k(e) = \#\{m \in M : m \le e\}$,
#
# $$
# \eta_e = \eta_0\,\gamma^{k(e)}. \tag{5.3}
# $$
#
# **Exponential decay** (`ExponentialLR`). A constant ratio $\eta_e/\eta_{e-1} = \gamma$ at every step
# gives a geometric sequence; to fall by a factor $R$ over $T$ steps, take $\gamma = R^{-1/T}$:
#
# $$
# \eta_e = \eta_0\,\gamma^{e}. \tag{5.4}
# $$
#
# **Polynomial decay** (`PolynomialLR`). Reach zero exactly at $T$ along $(1-u)^p$, $u = e/T$, and
# stay there; $p = 1$ is a straight line, $p > 1$ spends longer at small rates:
#
# $$
# \eta_e = \eta_0\,\bigl(1 - \min(e, T)/T\bigr)^{p}. \tag{5.5}
# $$
#
# **Cosine annealing** (`CosineAnnealingLR`). Ask for a smooth path from $\eta_0$ at $e = 0$ to
# $\eta_{\min}$ at $e = T$ with zero slope at both ends (no jolt when training starts, a gentle
# landing). Half a period of a cosine does it: $(1 + \cos\pi u)/2$ runs from 1 to 0 as $u$ runs
# from 0 to 1, and its derivative $-\tfrac\pi2\sin\pi u$ vanishes at both ends. Rescaled,
#
# $$
# \eta_e = \eta_{\min} + (\eta_0 - \eta_{\min})\,\frac{1 + \cos(\pi e/T)}{2}. \tag{5.6}
# $$
#
# By symmetry its average over the horizon is $(\eta_0 + \eta_{\min})/2$, the same as a straight
# line's. Past $T$ the formula climbs back up, and so does torch's scheduler (chapter 06).
#
# **Linear ramp** (`LinearLR`). Interpolate the factor from $s$ to $f$ over $T$ steps, then hold:
#
# $$
# \eta_e = \eta_0\,\Bigl(s + (f - s)\,\frac{\min(e, T)}{T}\Bigr). \tag{5.7}
# $$
#
# **Linear warm-up** is (5.7) with $f = 1$: start at $s\,\eta_0$ (often $s = 0$) and reach $\eta_0$
# after $W$ steps (Goyal et al. 2017 used it to make large batches trainable):
#
# $$
# \eta_e = \eta_0\,\bigl(s + (1 - s)\,e/W\bigr) \ \ (e < W), \qquad \eta_e = \eta_0 \ \ (e \ge W). \tag{5.8}
# $$
#
# **Cosine with warm restarts** (`CosineAnnealingWarmRestarts`, Loshchilov & Hutter 2017). Run
# (5.6) over periods of growing length $T_i = T_0\,T_{\text{mult}}^{\,i}$ and jump back to $\eta_0$
# at each boundary. The $n$-th restart happens after the first $n$ periods, a geometric series:
#
# $$
# S_n = \sum_{i<n} T_0\,T_{\text{mult}}^{\,i} = T_0\,\frac{T_{\text{mult}}^{\,n} - 1}{T_{\text{mult}} - 1}
# \quad (T_{\text{mult}} > 1), \qquad S_n = n\,T_0 \quad (T_{\text{mult}} = 1). \tag{5.9}
# $$
#
# With $n$ the last restart before $e$, $T_{\text{cur}} = e - S_n$ and $\eta_e$ is (5.6) evaluated at
# $(T_{\text{cur}}, T_n)$.
#
# **Cyclical rates** (`CyclicLR`, Smith 2017). A triangle wave between $\eta_{\text{base}}$ and
# $\eta_{\max}$, rising for $u$ steps and falling for $d$. With the cycle number
# $c = \lfloor 1 + e/(u+d) \rfloor$, the position in the cycle $x = 1 + e/(u+d) - c \in [0, 1)$ and
# $r = u/(u+d)$, the triangle's height is $h = x/r$ on the way up and $(x-1)/(r-1)$ on the way down:
#
# $$
# \eta_e = \eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}})\,h\,g, \tag{5.10}
# $$
#
# where the amplitude factor $g$ is 1 (`triangular`), $2^{1-c}$ (`triangular2`, halved every
# cycle) or $\gamma^e$ (`exp_range`). Momentum, if cycled, runs in opposite phase:
#
# $$
# \mu_e = \mu_{\max} - (\mu_{\max} - \mu_{\text{base}})\,h\,g. \tag{5.11}
# $$
#
# **One cycle** (`OneCycleLR`, Smith & Topin 2019). One rise and one long fall over the whole
# run: from $\eta_{\max}/\text{div}$ up to $\eta_{\max}$ during the first fraction `pct_start` of the
# steps, then down to $\eta_{\max}/(\text{div}\cdot\text{final\_div})$, each leg a cosine interpolation
# between its end points $a \to b$ over its own fraction $\rho \in [0, 1]$:
#
# $$
# \eta = b + \frac{a - b}{2}\,\bigl(1 + \cos\pi\rho\bigr), \tag{5.12}
# $$
#
# and momentum does the opposite, $\mu_{\max} \to \mu_{\text{base}}$ on the way up and back on the way down:
#
# $$
# \mu = (5.12) \text{ with } a \to b \text{ replaced by } \mu_{\max} \to \mu_{\text{base}} \text{ (rise)},\ \mu_{\text{base}} \to \mu_{\max} \text{ (fall)}. \tag{5.13}
# $$
#
# **Warmup–stable–decay** (no torch class; Hu et al. 2024, Hägele et al. 2024). Warm up for $W$
# steps, hold $\eta_0$ for $S$ steps, then decay over the last $D$ steps along a shape $\varphi$
# ($1 - u$, $(1 + \cos\pi u)/2$ or $1 - \sqrt u$) to $\eta_{\min}$:
#
# $$
# \eta_e = \eta_{\min} + (\eta_0 - \eta_{\min})\,\varphi\!\left(\frac{e - W - S}{D}\right), \quad W + S \le e < W + S + D. \tag{5.14}
# $$
#
# Its appeal is that the long plateau does not commit you to a horizon: you can branch off a
# decay from any checkpoint.
#
# **Joining schedules** (`SequentialLR`). Run schedule $f_k$ between boundaries $B_{k-1}$ and $B_k$,
# restarted at 0 each time, with $k(e) = \#\{b \in B: b \le e\}$:
#
# $$
# \eta_e = f_{k(e)}\bigl(e - B_{k(e)-1}\bigr), \qquad B_{-1} = 0. \tag{5.15}
# $$
#
# The code is the formulas. Two of them, with their equation numbers in the comments:

# %%
from course_utils.schedules import cosine_annealing_lr, warm_restart_position
from course_utils.verify import show_source

show_source(cosine_annealing_lr)
show_source(warm_restart_position)

# %% [markdown]
# `warm_restart_position` walks the geometric series (5.9) with integer arithmetic rather than
# solving for $n$ with a floating-point logarithm; chapter 06 shows the restart that torch's
# logarithm misses.
#
# The gallery below draws every schedule over 90 steps from $\eta_0 = 0.1$ (read "90 epochs",
# the classic ImageNet budget of section 4). Every function has one signature, the step first
# and torch's arguments by keyword, so `partial(step_lr, base_lr=0.1, step_size=30)` is a
# schedule, a function of the step alone. `zoo(lr, T)` builds each one for a base rate and a
# horizon $T$, so the explorer further down can redraw it for any $T$.

# %%
from functools import partial

from course_utils.cyclic_schedules import cyclic_lr, cyclic_momentum, one_cycle_lr, one_cycle_momentum
from course_utils.schedules import (
    constant_lr, cosine_annealing_warm_restarts_lr, exponential_lr, join_schedules, linear_lr,
    linear_warmup_lr, multi_step_lr, polynomial_lr, step_lr, warmup_stable_decay_lr,
)


def zoo_table(lr, T):
    """Every schedule as (function, its keyword arguments), for base rate `lr` and horizon `T`."""
    warm = T // 9
    return {  # name (equation): (function, keyword arguments)
        "ConstantLR (5.1)": (constant_lr, dict(base_lr=lr, factor=1 / 3, total_iters=T // 6)),
        "StepLR (5.2)": (step_lr, dict(base_lr=lr, step_size=T // 3, gamma=0.1)),
        "MultiStepLR (5.3)": (multi_step_lr, dict(base_lr=lr, milestones=[T // 3, 2 * T // 3, 8 * T // 9])),
        "ExponentialLR (5.4)": (exponential_lr, dict(base_lr=lr, gamma=0.01 ** (1 / T))),
        "PolynomialLR, p = 2 (5.5)": (polynomial_lr, dict(base_lr=lr, total_iters=T, power=2.0)),
        "CosineAnnealingLR (5.6)": (cosine_annealing_lr, dict(base_lr=lr, T_max=T, eta_min=lr / 100)),
        "LinearLR (5.7)": (linear_lr, dict(base_lr=lr, start_factor=1.0, end_factor=0.01, total_iters=T)),
        "linear warm-up (5.8)": (linear_warmup_lr, dict(base_lr=lr, warmup_steps=warm)),
        "warm restarts (5.9)": (cosine_annealing_warm_restarts_lr, dict(base_lr=lr, T_0=warm, T_mult=2)),
        "CyclicLR (5.10)": (cyclic_lr, dict(base_lr=lr / 10, max_lr=lr, step_size_up=T // 6, mode="triangular2")),
        "OneCycleLR (5.12)": (one_cycle_lr, dict(max_lr=lr, total_steps=T)),
        "warmup–stable–decay (5.14)": (warmup_stable_decay_lr, dict(
            base_lr=lr, warmup_steps=warm, stable_steps=T // 2, decay_steps=T - warm - T // 2)),
        "warm-up then cosine (5.15)": (join_schedules, dict(
            schedules=[partial(linear_warmup_lr, base_lr=lr, warmup_steps=warm),
                       partial(cosine_annealing_lr, base_lr=lr, T_max=T - warm)], boundaries=[warm])),
    }


def momentum_table(T):
    """The momentum schedules that cycle with the lr, as (function, keyword arguments)."""
    return {"CyclicLR (5.10)": (cyclic_momentum, dict(step_size_up=T // 6, mode="triangular2")),
            "OneCycleLR (5.12)": (one_cycle_momentum, dict(total_steps=T))}


def built(table):
    """Each (function, kwargs) of a table as a schedule of the step alone; a combinator is called."""
    return {name: fn(**kwargs) if fn is join_schedules else partial(fn, **kwargs)
            for name, (fn, kwargs) in table.items()}


def zoo(lr, T):
    """Every schedule of the gallery, for base rate `lr` and horizon `T`, as a function of the step."""
    return built(zoo_table(lr, T))

# %%
def draw_gallery(T=90, lr=0.1):
    """Every schedule of zoo(lr, T) over T steps, momentum on a twin axis where it cycles."""
    fig, axes = plt.subplots(5, 3, figsize=(10, 11), sharex=True)
    schedules, momentum = zoo(lr, T), built(momentum_table(T))
    for ax, (name, schedule) in zip(axes.flat, schedules.items()):
        plot_lr_schedule([schedule(e) for e in range(T)], ax=ax, xlabel="", ylabel="")
        ax.set_title(name, fontsize=9)
        ax.set_ylim(0, 1.1 * lr)
        if name in momentum:
            twin = ax.twinx()
            twin.plot(range(T), [momentum[name](e) for e in range(T)], color=VERMILLION, linewidth=1)
            twin.set_ylabel("momentum", color=VERMILLION, fontsize=8)
    for ax in axes.flat[len(schedules):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("learning rate")
    for ax in axes[-1]:
        ax.set_xlabel("step (epoch)")
    fig.suptitle("The schedule zoo: start high, end low — or cycle (orange: momentum, opposite phase)")
    return fig


draw_gallery()
plt.show()

# %% [markdown]
# Each derivation promised a landmark you can read off the plot; the next cell checks them all
# against the formulas, to $10^{-12}$ relative: where the step decays fall, the cosine's midpoint,
# end and average, the restarts at $S_n = 10, 30, 70$ of (5.9), the one-cycle peak at step
# $\lfloor 0.3\cdot 90\rfloor - 1 = 26$ and its momentum trough there, the exponential's factor of 100.

# %%
T, lr = 90, 0.1
at = {name: [schedule(e) for e in range(T + 1)] for name, schedule in zoo(lr, T).items()}
close = lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)  # noqa: E731
assert close(at["StepLR (5.2)"][29], lr) and close(at["StepLR (5.2)"][30], lr * 0.1) and close(at["StepLR (5.2)"][60], lr * 0.01)
assert close(at["MultiStepLR (5.3)"][80], lr * 0.1**3) and close(at["MultiStepLR (5.3)"][79], lr * 0.1**2)
assert close(at["ExponentialLR (5.4)"][T], lr / 100) and at["PolynomialLR, p = 2 (5.5)"][T] == 0.0
assert close(at["CosineAnnealingLR (5.6)"][T // 2], (lr + lr / 100) / 2) and close(at["CosineAnnealingLR (5.6)"][T], lr / 100)
assert close(sum(at["CosineAnnealingLR (5.6)"]) / (T + 1), (lr + lr / 100) / 2)          # its average over 0..T
restarts = [e for e in range(1, T) if at["warm restarts (5.9)"][e] > at["warm restarts (5.9)"][e - 1]]
assert restarts == [10 * (2**n - 1) for n in (1, 2, 3)], restarts                             # (5.9)
one_cycle = at["OneCycleLR (5.12)"]
assert max(one_cycle) == one_cycle[26] == lr and close(one_cycle[0], lr / 25)
one_cycle_momentum_at = built(momentum_table(T))["OneCycleLR (5.12)"]
assert min(one_cycle_momentum_at(e) for e in range(T)) == one_cycle_momentum_at(26) == 0.85
print("landmarks of (5.2)–(5.12) verified; warm restarts at", restarts)

# %% [markdown]
# ### Explore
#
# With a live kernel, pick a schedule, a base rate and a horizon: the left panel draws the
# schedule, the right one runs it on the noisy quadratic of section 1 (200 runs, against the
# constant base rate). Without a kernel, the gallery above shows the schedules and the table
# below shows where each one lands.

# %%
# NBVAL_IGNORE_OUTPUT
from course_utils.widgets import explorer, log_slider


def draw_explorer(schedule, lr, steps):
    rates = [zoo(lr, steps)[schedule](e) for e in range(steps)]
    loss, _ = sgd_runs(torch.tensor([rates, [lr] * steps], **f64), runs=200)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(rates, drawstyle="steps-post")
    left.set(xlabel="step", ylabel="learning rate", title=schedule)
    right.plot(loss[0], label=schedule)
    right.plot(loss[1], label=f"constant α = {lr:.3g}", color=GREY)
    right.set(yscale="log", xlabel="step", ylabel="mean excess loss", title="on the noisy quadratic")
    right.legend()
    plt.show()


explorer(draw_explorer, schedule=list(zoo(0.1, 90)), lr=log_slider("η₀", 0.1, 0.01, 0.19), steps=(30, 600, 30))

# %% [markdown]
# The same experiment for every schedule at once, 600 steps from $\eta_0 = 0.1$ (1,000 runs):
# the mean excess loss at the end, and the floor (1.7) that a constant rate equal to each
# schedule's *final* rate would have.

# %%
T = 600
schedules = zoo(0.1, T)
zoo_loss, _ = sgd_runs(schedule_table(schedules, T))
constant_end = chapter01_floor(0.1)
print(f"{'schedule':<28} {'final lr':>9} {'final loss':>11} {'floor at final lr':>18}")
for (name, schedule), row in zip(schedules.items(), zoo_loss):
    final_lr = schedule(T - 1)
    print(f"{name:<28} {final_lr:>9.2e} {float(row[-1]):>11.2e} {chapter01_floor(final_lr):>18.2e}")
decays = [i for i, schedule in enumerate(schedules.values()) if schedule(T - 1) < 0.01]
assert all(zoo_loss[i, -1] < constant_end / 3 for i in decays), "every decay ends well below the constant floor"
for name in ("ConstantLR (5.1)", "linear warm-up (5.8)"):               # these end at η₀ itself
    assert abs(float(zoo_loss[list(schedules).index(name), -1]) / constant_end - 1) < 0.15
to_zero = [(i, schedule(T - 1)) for i, schedule in enumerate(schedules.values()) if schedule(T - 1) < 1e-5]
assert len(to_zero) == 3 and all(zoo_loss[i, -1] > 100 * chapter01_floor(end_lr) for i, end_lr in to_zero)

# %% [markdown]
# Every schedule that ends at a small rate ends far below the constant rate's floor of 0.076;
# the two that end at $\eta_0$ itself (hold-and-release, warm-up alone) end on that floor, and the
# cyclic ones land wherever their cycle happens to stop. And the ones that decay all the way to zero do not reach zero loss: the
# last column is the floor of the *final* rate, which a run cannot reach if the rate falls faster
# than the iterate can follow. How fast is too fast is the subject of the next section.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Why decay works, and when it stalls: Robbins–Monro
#
# Take one eigen-direction of (5.16) (drop the index $i$) and average over the noise. The mean
# $m_t = \mathbb E\,w_t$ and the variance $v_t = \operatorname{Var} w_t$ obey
#
# $$
# m_{t+1} = (1 - \alpha_t\lambda)\,m_t, \qquad v_{t+1} = (1 - \alpha_t\lambda)^2\,v_t + \alpha_t^2\sigma^2, \tag{5.17}
# $$
#
# since $\xi_t$ has mean 0, variance 1 and is independent of $w_t$. With a constant $\alpha$ the
# fixed point of the second recursion is the floor (1.7) of chapter 01. With a schedule, two
# separate things must happen:
#
# * **the mean must reach the minimum:** $m_T = m_0\prod_{t<T}(1 - \alpha_t\lambda)$, and a product
#   of factors $1 - a_t$ tends to 0 only if $\sum a_t = \infty$;
# * **the variance must die out:** each step injects $\alpha_t^2\sigma^2$ of fresh variance, and
#   the total injected stays finite only if $\sum \alpha_t^2 < \infty$.
#
# These are the two conditions of Robbins and Monro (1951):
#
# $$
# \sum_{t=0}^{\infty}\alpha_t = \infty, \qquad \sum_{t=0}^{\infty}\alpha_t^2 < \infty. \tag{5.18}
# $$
#
# Together they are sufficient for SGD to converge on this problem. Beyond it, take care what a
# theorem covers: Bottou, Curtis & Nocedal (2018, Theorem 4.7) prove an $O(1/k)$ rate on strongly
# convex objectives for one family, $\alpha_k = \beta/(\gamma + k)$ with $\beta > 1/(c\mu)$ — a schedule that
# satisfies (5.18), with a condition on its constant that (5.18) does not contain (the trap below
# shows why the constant matters). The first condition fails in a
# quantifiable way. Since $\ln(1 - a) \ge -a/(1 - a)$ for $0 \le a < 1$, when every $\alpha_t\lambda \le \alpha_0\lambda < 1$,
#
# $$
# m_T = m_0\prod_{t<T}(1 - \alpha_t\lambda) \;\ge\; m_0\,\exp\!\Bigl(-\frac{\lambda}{1 - \alpha_0\lambda}\sum_{t<T}\alpha_t\Bigr), \tag{5.19}
# $$
#
# so a schedule with a finite sum $\sum\alpha_t$ leaves the mean stranded at a finite distance
# from the minimum, however long it runs: it has **stalled**. The usual test family is the
# inverse power law
#
# $$
# \alpha_t = \frac{\alpha_0}{(1 + t/t_0)^{p}}, \qquad \sum\alpha_t = \infty \iff p \le 1, \qquad \sum\alpha_t^2 < \infty \iff p > \tfrac12, \tag{5.20}
# $$
#
# which meets both conditions exactly for $\tfrac12 < p \le 1$ (compare with $\int^\infty x^{-p}dx$).
# Torch has no class for it; `LambdaLR(optimizer, lambda e: (1 + e / t0) ** -p)` is (5.20).
#
# **The $1/t$ trap.** Meeting (5.18) says nothing about speed. With $p = 1$ and $t \gg t_0$,
# $\alpha_t \approx \theta/t$ with $\theta = \alpha_0 t_0$, and the mean obeys
# $m_T = m_0\prod_t(1 - \theta\lambda/t) \approx m_0\,(t_0/T)^{\theta\lambda}$: if the constant is too small,
# $\theta\lambda \ll 1$, the mean crawls like $T^{-\theta\lambda}$, far slower than the $1/T$ the theorem
# promises when $\theta$ is large enough (Nemirovski, Juditsky, Lan & Shapiro 2009 make this point
# with $f(x) = x^2/10$ and $\alpha_t = 1/t$). The product is exact, so it can be computed for a
# million steps:

# %%
theta_lam, t0_trap = 0.1, 10.0                                   # θλ = 0.1: a constant ten times too small
t_trap = torch.arange(1, 1_000_001, dtype=torch.float64)
mean_trap = torch.cumprod(1 - theta_lam / (t0_trap + t_trap), dim=0)    # m_T / m_0 with α_t λ = θλ/(t0 + t)
for T in (1_000, 1_000_000):
    print(f"θλ = {theta_lam}: after {T:>9,} steps the mean keeps {float(mean_trap[T - 1]):.3f} of its start "
          f"(power law {(t0_trap / (t0_trap + T)) ** theta_lam:.3f})")
assert float(mean_trap[-1]) > 0.25                                # a million steps, still a quarter of the way
assert abs(float(mean_trap[-1]) / (t0_trap / (t0_trap + 1e6)) ** theta_lam - 1) < 0.05
#
# First, (5.17) is exact, not an approximation: for the decaying rate of section 1, it predicts
# the mean and variance of 10,000 runs of (5.16) (the $\lambda = 1$ direction) at steps 10, 100 and
# 2,000 to within sampling error:

# %%
def moments(lrs, lam, sigma=1.0, w0=3.0):
    """Iterate (5.17): mean and variance of w_t along one eigen-direction, t = 0..T."""
    m, v = [w0], [0.0]
    for a in lrs:
        m.append((1 - a * lam) * m[-1])                                     # (5.17)
        v.append((1 - a * lam) ** 2 * v[-1] + a**2 * sigma**2)              # (5.17)
    return torch.tensor(m, **f64), torch.tensor(v, **f64)


decay_lrs = schedule_table({"decay": dilemma[decay]}, STEPS)
for horizon in (10, 100, STEPS):
    _, w_final = sgd_runs(decay_lrs[:, :horizon], runs=10_000, seed=horizon)
    m, v = moments(decay_lrs[0, :horizon].tolist(), lam=1.0)
    sample = w_final[0, :, 0]                                  # the λ = 1 direction, 10,000 runs
    print(f"step {horizon:>4}: mean {float(sample.mean()):+.4f} (5.17: {float(m[-1]):+.4f}),  "
          f"variance {float(sample.var()):.5f} (5.17: {float(v[-1]):.5f})")
    assert abs(float(sample.mean()) - float(m[-1])) < 4 * math.sqrt(float(v[-1]) / 10_000)
    assert abs(float(sample.var()) / float(v[-1]) - 1) < 4 * math.sqrt(2 / 10_000)

# %% [markdown]
# Now the Robbins–Monro experiment, on one direction with $\lambda = 1$, $\sigma = 1$, starting
# far away at $w_0 = 10$, for 10,000 steps and 400 runs per schedule: a constant rate, an
# exponential decay ($\gamma = 0.98$), and (5.20) with $p = 1.5$ (decays too fast, like the
# exponential), $p = 1$ and $p = 0.75$ (both conditions hold).

# %%
RM_STEPS, a0, t0 = 10_000, 0.1, 10
rm = {"constant": lambda t: a0,
      "exponential, γ = 0.98": partial(exponential_lr, base_lr=a0, gamma=0.98),
      "(5.20) p = 1.5": lambda t: a0 / (1 + t / t0) ** 1.5,
      "(5.20) p = 1": lambda t: a0 / (1 + t / t0),
      "(5.20) p = 0.75": lambda t: a0 / (1 + t / t0) ** 0.75}
rm_lrs = schedule_table(rm, RM_STEPS)
rm_loss, rm_w = sgd_runs(rm_lrs, curvatures=(1.0,), w0=10.0, runs=400, seed=2)


def window(row, t, width=100):
    """Mean of a loss curve over the `width` steps up to t (one step alone is noisy)."""
    return float(row[t - width + 1:t + 1].mean())


print("losses averaged over the 100 steps up to 1e3 and 1e4")
print(f"{'schedule':<22} {'Σα':>8} {'Σα²':>8} {'loss @ 1e3':>11} {'loss @ 1e4':>11} {'ratio':>6}")
for i, name in enumerate(rm):
    early, late = window(rm_loss[i], 1000), window(rm_loss[i], 10_000)
    print(f"{name:<22} {float(rm_lrs[i].sum()):>8.3g} {float((rm_lrs[i] ** 2).sum()):>8.3g} "
          f"{early:>11.2e} {late:>11.2e} {late / early:>6.2f}")

# %% [markdown]
# Three verdicts, each asserted below:
#
# * **constant: hovers.** Its loss does not move between step $10^3$ and $10^4$ and sits on the
#   floor (1.7).
# * **exponential and $p = 1.5$: stall.** Their sums converge, $\sum_{t\ge0}\alpha_t = \alpha_0/(1-\gamma) = 5$
#   and $\sum_{t\ge0}\alpha_t \le \alpha_0 + \alpha_0 t_0/(p-1) = 2.1$ (the sum is at most its first
#   term plus the integral of the rest), so by (5.19) the mean iterate can *never* come closer to
#   the minimum than $10\,e^{-5/0.9} \approx 0.04$ and $10\,e^{-2.1/0.9} \approx 0.97$, and the loss, which is
#   at least half the squared mean, never below $\tfrac12 0.04^2$ and $\tfrac12 0.97^2$. The measured
#   means sit on the exact product of (5.17), above these bounds; the exponential's loss has
#   stopped moving altogether, $p = 1.5$ is creeping towards its bound.
# * **$p = 1$ and $p = 0.75$: converge.** Both conditions of (5.18) hold; the loss keeps falling,
#   by more than 3× from step $10^3$ to $10^4$, and ends more than 10× below the stalled schedules.

# %%
names = list(rm)
ratio = [window(row, 10_000) / window(row, 1000) for row in rm_loss]
assert abs(ratio[0] - 1) < 0.1 and abs(float(rm_loss[0, 1000:].mean()) / chapter01_floor(a0, (1.0,)) - 1) < 0.05
sum_forever = {1: a0 / (1 - 0.98), 2: a0 + a0 * t0 / (1.5 - 1)}       # Σα over all t ≥ 0 (upper bound for p = 1.5)
for i, total in sum_forever.items():                                  # stalled: Σα < ∞
    bound = 10 * math.exp(-total / (1 - a0))                                          # (5.19), t → ∞
    exact = float(moments(rm_lrs[i].tolist(), lam=1.0, w0=10.0)[0][-1])               # (5.17)
    mean = float(rm_w[i, :, 0].mean())
    print(f"{names[i]:<22} mean iterate {mean:.4f} ≈ exact product {exact:.4f} ≥ bound forever (5.19) {bound:.4f}")
    assert exact >= bound and abs(mean - exact) < 4 * float(rm_w[i, :, 0].std()) / 20
    assert bool((rm_loss[i] >= 0.5 * bound**2).all()), "the loss can never go below ½ (bound)²"
assert ratio[1] > 0.9, "the exponential has stopped moving"
for i in (3, 4):                                                      # Robbins–Monro holds
    assert ratio[i] < 1 / 3 and window(rm_loss[i], 10_000) < min(window(rm_loss[j], 10_000) for j in (1, 2)) / 10

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name, row in zip(rm, rm_loss):
    ax.plot(range(1, RM_STEPS + 2), row, label=name, linewidth=1.2)
ax.axhline(chapter01_floor(a0, (1.0,)), color=GREY, linestyle="--", linewidth=0.8)
ax.set(xscale="log", yscale="log", xlabel="step", ylabel="mean excess loss (400 runs)",
       title="Σα < ∞ stalls, a constant rate hovers, ½ < p ≤ 1 keeps converging")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Two caveats keep this honest. First, (5.18) is *sufficient*, not necessary: $p = 0.5$ breaks
# $\sum\alpha_t^2 < \infty$ and still converges on this problem, only more slowly (exercise 1),
# because the injected variance is also damped by the contraction. Second, the conditions are
# about $t \to \infty$; a practical run has a budget of $T$ steps, and schedules such as cosine
# or linear decay to zero at $T$ are designed for that budget: they never need $\sum\alpha_t = \infty$,
# only enough of it before they land. The exponential decay stalls here because $\gamma = 0.98$
# *per step* spends its whole budget $\sum\alpha_t = \alpha_0/(1-\gamma) = 5$ in the first few hundred
# steps — the pitfall of stepping a per-epoch $\gamma$ once per batch.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. "×0.1 every 30 epochs": where the classic recipe comes from
#
# The step decay owes its fame to ImageNet:
#
# * **Krizhevsky, Sutskever & Hinton (2012)**, AlexNet: learning rate 0.01, with the heuristic
#   to "divide the learning rate by 10 when the validation error rate stopped improving",
#   applied three times in all, over roughly 90 passes through the 1.2 million training images.
# * **He, Zhang, Ren & Sun (2016)**, ResNet: on ImageNet the rate "starts from 0.1 and is divided
#   by 10 when the error plateaus", with momentum 0.9 and weight decay $10^{-4}$; on CIFAR-10,
#   0.1 divided by 10 at 32k and 48k iterations, stopping at 64k.
# * The **fixed** calendar is older than both papers: Caffe's solver already offered
#   `lr_policy: "step"` with `gamma: 0.1`, a ÷10 every `stepsize` iterations. The public ResNet
#   reproductions kept it: Facebook's `fb.resnet.torch`
#   (Gross & Wilber 2016) trains ImageNet for 90 epochs with the rate multiplied by
#   $0.1^{\lfloor (\text{epoch}-1)/30 \rfloor}$ (and CIFAR for 164 epochs with drops at 81 and 122, the
#   paper's 32k/48k/64k iterations in epochs), and the PyTorch ImageNet example sets the rate to
#   $0.1\cdot 0.1^{\lfloor \text{epoch}/30 \rfloor}$ ("decayed by 10 every 30 epochs") over a default of 90
#   epochs — in scheduler terms, `StepLR(optimizer, step_size=30, gamma=0.1)`.
#   Goyal et al. (2017) use drops at epochs 30, 60 and 80 of 90: `MultiStepLR([30, 60, 80])`.
#
# So the original rule was *adaptive* — drop when the error plateaus, which chapter 07 builds as
# `ReduceLROnPlateau` — and "every 30 epochs" is that rule frozen into a calendar once people
# knew when ImageNet plateaued. Section 3 says what a plateau is on the noisy quadratic: the
# iterate has reached the floor of the current rate, about $1/(2\alpha\lambda_{\min})$ steps after
# the last change, and (1.7) says what each drop buys — a floor 10 times lower (more when the old
# rate was near the stability limit: the first drop here buys 15×, the factor $2 - \alpha\lambda$ of
# (1.7) at work in the steep direction). Both are
# measured here with stages of 3,000 steps (six settling times of the last one):

# %%
STAGE = 3000
stair = schedule_table({"StepLR": partial(step_lr, base_lr=0.1, step_size=STAGE, gamma=0.1)}, 3 * STAGE)
stair_loss, _ = sgd_runs(stair, runs=1000, seed=3)
floors = []
for k, lr in enumerate([0.1, 0.01, 0.001]):
    measured = float(stair_loss[0, (k + 1) * STAGE - 500:(k + 1) * STAGE].mean())
    floors.append(measured)
    print(f"stage {k + 1}: α = {lr:<6} floor measured {measured:.3e}, (1.7) {chapter01_floor(lr):.3e}, "
          f"settling time 1/(2αλ_min) = {1 / (2 * lr):.0f} steps")
    assert abs(measured / chapter01_floor(lr) - 1) < 0.1
print("each ÷10 of the rate divides the floor by", [f"{floors[k] / floors[k + 1]:.1f}" for k in range(2)])
ratio_17 = [chapter01_floor(lr) / chapter01_floor(lr / 10) for lr in (0.1, 0.01)]        # 14.8 and 10.3 by (1.7)
assert all(abs(floors[k] / floors[k + 1] / ratio_17[k] - 1) < 0.05 for k in range(2))

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(stair_loss[0], linewidth=1)
for k, lr in enumerate([0.1, 0.01, 0.001]):
    ax.hlines(chapter01_floor(lr), k * STAGE, (k + 1) * STAGE, color=VERMILLION, linestyle="--")
ax.set(yscale="log", xlabel="step", ylabel="mean excess loss (1,000 runs)",
       title="StepLR: each ÷10 buys a 10× lower floor, after a settling time ∝ 1/α (dashed: 1.7)")
plt.show()

# %% [markdown]
# The picture is the one familiar from ImageNet training curves: a drop at each milestone, then a
# plateau. The drop is not immediate: the variance contracts at rate $(1-\alpha\lambda)^2$ per step at
# the *new* rate, so the smaller that rate, the longer the descent to the next floor — a few hundred
# steps after the first drop, most of the last stage after the second (the settling times are
# printed above). Practical recipes nonetheless often make later stages *shorter* (Goyal et al.:
# 30, 30, 20 and 10 epochs; ResNet on CIFAR-10: 32k, 16k and 16k iterations): a stage only has to
# last until the loss that matters stops improving. On this quadratic a last stage that short
# would stop above its floor.

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
# \text{Sutskever:}\quad v_t = \mu\,v_{t-1} - \gamma_t\,g_t,\quad \theta_t = \theta_{t-1} + v_t. \tag{5.21}
# $$
#
# Unrolled from rest, the two steps are
#
# $$
# \theta_t - \theta_{t-1} = -\gamma_t\sum_{s\le t}\mu^{t-s}g_s \quad\text{(PyTorch)}, \qquad
# \theta_t - \theta_{t-1} = -\sum_{s\le t}\mu^{t-s}\gamma_s\,g_s \quad\text{(Sutskever)}. \tag{5.22}
# $$
#
# While $\gamma$ is constant they are the same (and $v_t = -\gamma\,b_t$). When $\gamma$ drops, PyTorch
# applies the **new** rate to the whole velocity, including every gradient gathered at the old
# rate, so the step shrinks at once; Sutskever's velocity keeps each gradient at the rate it was
# taken with, so the step decays gradually, by $\mu$ per step. On a slope of constant gradient $g$
# with a saturated velocity, a drop $\gamma \to \gamma'$ lets Sutskever's form travel an extra
#
# $$
# \Delta = \sum_{k\ge 0}(\gamma - \gamma')\,\frac{\mu^{k+1}}{1-\mu}\,g = (\gamma - \gamma')\,\frac{\mu}{(1-\mu)^2}\,g \tag{5.23}
# $$
#
# — with $\gamma = 0.1 \to 0.01$ and $\mu = 0.9$, 8.1 units, the distance of eight old-rate steps.
# The course's `SGD` (PyTorch's form, proven equal to `torch.optim.SGD` in chapter 02) with the
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
        v = mu * v - multi_step_lr(t, base_lr=0.1, milestones=[milestone]) * g           # (5.21), Sutskever
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
# end Sutskever's has travelled the extra distance (5.23):

# %%
step_p, step_s = torch.diff(torch_path, prepend=torch.zeros(1, **f64)), torch.diff(sutskever_path, prepend=torch.zeros(1, **f64))
torch.testing.assert_close(torch_path[:DROP], sutskever_path[:DROP], rtol=1e-12, atol=0)
shrink_p, shrink_s = float(step_p[DROP] / step_p[DROP - 1]), float(step_s[DROP] / step_s[DROP - 1])
extra = float(torch_path[-1] - sutskever_path[-1])
predicted_extra = (0.1 - 0.01) * 0.9 / (1 - 0.9) ** 2                                      # (5.23)
print(f"step after the drop / step before: PyTorch {shrink_p:.3f}, Sutskever {shrink_s:.3f}")
print(f"extra distance travelled by Sutskever's form: {extra:.4f} (5.23 predicts {predicted_extra:.4f})")
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
# * **A per-epoch decay stepped per batch.** `ExponentialLR(gamma=0.95)` meant per epoch but
#   stepped after each of 100 batches has multiplied the rate by $0.95^{100} \approx 0.006$ by the end of
#   the first epoch, and its whole budget $\sum\alpha = 20\,\eta_0$ is spent: by (5.19) training
#   stalls. The next cell measures it. (Chapter 06 shows the same trap with `OneCycleLR`.)
# * **Dropping before the plateau.** A drop divides the floor by 10 only once the iterate has
#   settled, $\sim 1/(2\alpha\lambda_{\min})$ steps (section 4); dropping earlier wastes the large
#   rate's progress.
# * **Porting a recipe across momentum forms.** A step decay in PyTorch acts at once; in Caffe it
#   acted over $\sim 1/(1-\mu)$ steps (section 5).
# * **Trusting a loss of NaN to stop itself.** Past $2/L$ the run blows up silently; guard every
#   loop (`course_utils.guards.check_finite`), as `optimize` does.

# %%
gamma_per_epoch = partial(exponential_lr, base_lr=0.1, gamma=0.95)
per_epoch = [gamma_per_epoch(epoch) for epoch in range(10)]
per_batch = [gamma_per_epoch(batch) for batch in range(10 * 100)]
print(f"after epoch 1: per-epoch lr {per_epoch[1]:.4f}, per-batch lr {per_batch[100]:.2e}; "
      f"Σα per batch {sum(per_batch):.2f} = η₀/(1−γ) = {0.1 / 0.05:.2f}")
assert per_batch[100] < per_epoch[1] / 100 and abs(sum(per_batch) - 0.1 / 0.05) < 1e-9

# %% [markdown]
# ## Summary
#
# 1. On a noisy quadratic a constant rate is fast (large $\alpha$) or precise (small $\alpha$); a
#    decaying rate is as fast as the large one and ends below the small one's floor — measured in
#    section 1. Past $2/L$ it diverges, and the guard names the step and the rate.
# 2. Every standard schedule is a short closed form (5.1)–(5.15), derived from what it is meant to
#    do; the gallery draws them and the landmark checks pin them down.
# 3. The mean and variance obey (5.17) exactly; Robbins–Monro (5.18) asks $\sum\alpha_t = \infty$
#    (reach the minimum) and $\sum\alpha_t^2 < \infty$ (kill the noise). A finite $\sum\alpha_t$
#    stalls at a distance bounded by (5.19) — exponential decay, or $p > 1$ in (5.20); a constant
#    rate hovers; $\tfrac12 < p \le 1$ converges.
# 4. "×0.1 every 30 epochs" is AlexNet's and ResNet's "divide by 10 at the plateau" frozen into a
#    calendar (fb.resnet.torch, the PyTorch ImageNet example); each drop divides the floor by 10
#    after a settling time $\propto 1/\alpha$.
# 5. In PyTorch's momentum form a rate drop applies to the whole velocity at once; in Sutskever's
#    it fades in by $\mu$ per step, a difference of $(\gamma-\gamma')\mu/(1-\mu)^2$ in distance (5.23),
#    removed by rescaling the buffer.

# %% [markdown]
# ## Exercises
#
# **1.** $p = \tfrac12$ in (5.20) violates $\sum\alpha_t^2 < \infty$. Run it in the Robbins–Monro
# experiment: does it still converge? Faster or slower than $p = 0.75$?

# %% tags=["solution"]
half_lrs = schedule_table({"p = 0.5": lambda t: a0 / (1 + t / t0) ** 0.5}, RM_STEPS)
half_loss, _ = sgd_runs(half_lrs, curvatures=(1.0,), w0=10.0, runs=400, seed=2)
print(f"p = 0.5: loss {float(half_loss[0, 1000]):.2e} at 1e3, {float(half_loss[0, -1]):.2e} at 1e4; "
      f"p = 0.75 ends at {float(rm_loss[4, -1]):.2e}")
assert half_loss[0, -1] < half_loss[0, 1000] / 2, "still converging: (5.18) is sufficient, not necessary"
assert half_loss[0, -1] > rm_loss[4, -1], "but more slowly: its variance tracks α_t, which decays slowly"

# %% [markdown]
# **2.** Polyak–Ruppert averaging beats the floor without touching the rate: keep $\alpha = 0.1$
# constant and report the excess loss of the *average* of the iterates of the last 1,000 of 2,000
# steps. Compare with the floor (1.7).

# %% tags=["solution"]
gen = torch.Generator().manual_seed(4)
lam = torch.tensor([1.0, 10.0], **f64)
w, running = torch.full((1000, 2), 3.0, **f64), torch.zeros(1000, 2, **f64)
for t in range(2000):
    w = w - 0.1 * (lam * w + torch.randn(w.shape, generator=gen, **f64))          # (5.16)
    if t >= 1000:
        running += w / 1000
averaged = float(0.5 * (lam * running**2).sum(-1).mean())
print(f"averaged iterate: {averaged:.2e}; floor of α = 0.1: {chapter01_floor(0.1):.2e}")
assert averaged < chapter01_floor(0.1) / 20

# %% [markdown]
# **3.** Give three schedules the same budget of 600 steps from $\eta_0 = 0.1$: `StepLR` with
# drops at 200 and 400, cosine to $10^{-3}$, and linear to $10^{-3}$. Which ends lowest on the
# noisy quadratic? Does the ranking follow the floor (1.7) of each schedule's mean rate over its
# last 100 steps?

# %% tags=["solution"]
budget = {"StepLR 200/400": partial(step_lr, base_lr=0.1, step_size=200),
          "cosine": partial(cosine_annealing_lr, base_lr=0.1, T_max=600, eta_min=1e-3),
          "linear": partial(linear_lr, base_lr=0.1, start_factor=1.0, end_factor=0.01, total_iters=600)}
budget_loss, _ = sgd_runs(schedule_table(budget, 600), runs=2000, seed=5)
for (name, fn), row in zip(budget.items(), budget_loss):
    mean_late_lr = sum(fn(t) for t in range(500, 600)) / 100
    print(f"{name:<15} final loss {float(row[-1]):.2e}; floor of its mean late rate {chapter01_floor(mean_late_lr):.2e}")
assert all(row[-1] < chapter01_floor(0.1) / 5 for row in budget_loss)
late_floor = [chapter01_floor(sum(fn(t) for t in range(500, 600)) / 100) for fn in budget.values()]
assert sorted(range(3), key=lambda i: float(budget_loss[i, -1])) == sorted(range(3), key=late_floor.__getitem__)
# Yes: what a run ends at is set by how small the rate has been lately, and for how long.

# %% [markdown]
# ## References
#
# * H. Robbins and S. Monro, *A stochastic approximation method*, Annals of Mathematical
#   Statistics 22(3), 1951 — conditions (5.18).
# * L. Bottou, F. E. Curtis and J. Nocedal, *Optimization methods for large-scale machine
#   learning*, SIAM Review 60(2), 2018 — §4: fixed steps converge to a neighbourhood,
#   diminishing steps satisfying (5.18) converge (Theorems 4.6 and 4.7).
# * A. Nemirovski, A. Juditsky, G. Lan and A. Shapiro, *Robust stochastic approximation approach to
#   stochastic programming*, SIAM J. Optimization 19(4), 2009 — the $1/t$ step whose constant is
#   too small.
# * B. T. Polyak and A. B. Juditsky, *Acceleration of stochastic approximation by averaging*,
#   SIAM J. Control and Optimization 30(4), 1992 — exercise 2.
# * A. Krizhevsky, I. Sutskever and G. E. Hinton, *ImageNet classification with deep
#   convolutional neural networks*, NeurIPS 2012 — ÷10 at the plateau, about 90 epochs, and an
#   update with the rate inside the velocity.
# * K. He, X. Zhang, S. Ren and J. Sun, *Deep residual learning for image recognition*, CVPR 2016
#   — ÷10 at the plateau (ImageNet), at 32k and 48k of 64k iterations (CIFAR-10).
# * S. Gross and M. Wilber, *Training and investigating residual nets*, 2016, and the
#   `facebookarchive/fb.resnet.torch` code (`train.lua`, `opts.lua`); `pytorch/examples`,
#   `imagenet/main.py` — the 30/60-epoch calendar over 90 epochs.
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017 — linear
#   warm-up and drops at epochs 30, 60, 80.
# * I. Sutskever, J. Martens, G. Dahl and G. Hinton, *On the importance of initialization and
#   momentum in deep learning*, ICML 2013 — form (5.21) with the rate inside the velocity.
# * I. Loshchilov and F. Hutter, *SGDR: stochastic gradient descent with warm restarts*, ICLR 2017.
# * L. N. Smith, *Cyclical learning rates for training neural networks*, WACV 2017; L. N. Smith
#   and N. Topin, *Super-convergence*, 2019 (arXiv 1708.07120).
# * S. Hu et al., *MiniCPM*, 2024, and A. Hägele et al., *Scaling laws and compute-optimal training
#   beyond fixed training durations*, NeurIPS 2024 — warmup–stable–decay (5.14).
# * PyTorch issue #1099 and the note in the `torch.optim.SGD` documentation on the two momentum
#   forms; Dive into Deep Learning, §12.4 "Stochastic Gradient Descent" (its dynamic learning
#   rate), whose exponential-versus-polynomial experiment section 3 turns into a test of (5.18).
