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
# # 07 · The schedule zoo
#
# *No constant learning rate is both fast and precise on a noisy problem. Shrinking it over
# time is, provided it shrinks at the right speed: this chapter measures the dilemma, derives
# every standard schedule, states the Robbins–Monro conditions that separate schedules that
# converge from schedules that stall, and shows how a step decay meets momentum.*
#
# **Prerequisites:** chapter 01 (the noise floor (1.7)), chapter 04 (SGD with momentum in
# PyTorch's form, (4.2)–(4.3)).
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
# \eta_e = \begin{cases} f\,\eta_0 & e < T \\ \eta_0 & e \ge T \end{cases} \tag{7.1}
# $$
#
# **Step decay** (`StepLR`). Multiply by $\gamma$ each time $e$ reaches a multiple of the step size
# $s$. Up to step $e$ that has happened $\lfloor e/s \rfloor$ times, so
#
# $$
# \eta_e = \eta_0\,\gamma^{\lfloor e/s \rfloor}. \tag{7.2}
# $$
#
# **Multi-step decay** (`MultiStepLR`). The same with arbitrary milestones $M$: count those already
# passed, $k(e) = \#\{m \in M : m \le e\}$,
#
# $$
# \eta_e = \eta_0\,\gamma^{k(e)}. \tag{7.3}
# $$
#
# **Exponential decay** (`ExponentialLR`). A constant ratio $\eta_e/\eta_{e-1} = \gamma$ at every step
# gives a geometric sequence; to fall by a factor $R$ over $T$ steps, take $\gamma = R^{-1/T}$:
#
# $$
# \eta_e = \eta_0\,\gamma^{e}. \tag{7.4}
# $$
#
# **Polynomial decay** (`PolynomialLR`). Reach zero exactly at $T$ along $(1-u)^p$, $u = e/T$, and
# stay there; $p = 1$ is a straight line, $p > 1$ spends longer at small rates:
#
# $$
# \eta_e = \eta_0\,\bigl(1 - \min(e, T)/T\bigr)^{p}. \tag{7.5}
# $$
#
# **Cosine annealing** (`CosineAnnealingLR`). Ask for a smooth path from $\eta_0$ at $e = 0$ to
# $\eta_{\min}$ at $e = T$ with zero slope at both ends (no jolt when training starts, a gentle
# landing). Half a period of a cosine does it: $(1 + \cos\pi u)/2$ runs from 1 to 0 as $u$ runs
# from 0 to 1, and its derivative $-\tfrac\pi2\sin\pi u$ vanishes at both ends. Rescaled,
#
# $$
# \eta_e = \eta_{\min} + (\eta_0 - \eta_{\min})\,\frac{1 + \cos(\pi e/T)}{2}. \tag{7.6}
# $$
#
# By symmetry its average over the horizon is $(\eta_0 + \eta_{\min})/2$, the same as a straight
# line's. Past $T$ the formula climbs back up, and so does torch's scheduler (chapter 08).
#
# **Linear ramp** (`LinearLR`). Interpolate the factor from $s$ to $f$ over $T$ steps, then hold:
#
# $$
# \eta_e = \eta_0\,\Bigl(s + (f - s)\,\frac{\min(e, T)}{T}\Bigr). \tag{7.7}
# $$
#
# **Linear warm-up** is (7.7) with $f = 1$: start at $s\,\eta_0$ (often $s = 0$) and reach $\eta_0$
# after $W$ steps (Goyal et al. 2017 used it to make large batches trainable):
#
# $$
# \eta_e = \eta_0\,\bigl(s + (1 - s)\,e/W\bigr) \ \ (e < W), \qquad \eta_e = \eta_0 \ \ (e \ge W). \tag{7.8}
# $$
#
# **Cosine with warm restarts** (`CosineAnnealingWarmRestarts`, Loshchilov & Hutter 2017). Run
# (7.6) over periods of growing length $T_i = T_0\,T_{\text{mult}}^{\,i}$ and jump back to $\eta_0$
# at each boundary. The $n$-th restart happens after the first $n$ periods, a geometric series:
#
# $$
# S_n = \sum_{i<n} T_0\,T_{\text{mult}}^{\,i} = T_0\,\frac{T_{\text{mult}}^{\,n} - 1}{T_{\text{mult}} - 1}
# \quad (T_{\text{mult}} > 1), \qquad S_n = n\,T_0 \quad (T_{\text{mult}} = 1). \tag{7.9}
# $$
#
# With $n$ the last restart before $e$, $T_{\text{cur}} = e - S_n$ and $\eta_e$ is (7.6) evaluated at
# $(T_{\text{cur}}, T_n)$.
#
# **Cyclical rates** (`CyclicLR`, Smith 2017). A triangle wave between $\eta_{\text{base}}$ and
# $\eta_{\max}$, rising for $u$ steps and falling for $d$. With the cycle number
# $c = \lfloor 1 + e/(u+d) \rfloor$, the position in the cycle $x = 1 + e/(u+d) - c \in [0, 1)$ and
# $r = u/(u+d)$, the triangle's height is $h = x/r$ on the way up and $(x-1)/(r-1)$ on the way down:
#
# $$
# \eta_e = \eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}})\,h\,g, \tag{7.10}
# $$
#
# where the amplitude factor $g$ is 1 (`triangular`), $2^{1-c}$ (`triangular2`, halved every
# cycle) or $\gamma^e$ (`exp_range`). Momentum, if cycled, runs in opposite phase:
#
# $$
# \mu_e = \mu_{\max} - (\mu_{\max} - \mu_{\text{base}})\,h\,g. \tag{7.11}
# $$
#
# **One cycle** (`OneCycleLR`, Smith & Topin 2019). One rise and one long fall over the whole
# run: from $\eta_{\max}/\text{div}$ up to $\eta_{\max}$ during the first fraction `pct_start` of the
# steps, then down to $\eta_{\max}/(\text{div}\cdot\text{final\_div})$, each leg a cosine interpolation
# between its end points $a \to b$ over its own fraction $\rho \in [0, 1]$:
#
# $$
# \eta = b + \frac{a - b}{2}\,\bigl(1 + \cos\pi\rho\bigr), \tag{7.12}
# $$
#
# and momentum does the opposite, $\mu_{\max} \to \mu_{\text{base}}$ on the way up and back on the way down:
#
# $$
# \mu = (7.12) \text{ with } a \to b \text{ replaced by } \mu_{\max} \to \mu_{\text{base}} \text{ (rise)},\ \mu_{\text{base}} \to \mu_{\max} \text{ (fall)}. \tag{7.13}
# $$
#
# **Warmup–stable–decay** (no torch class; Hu et al. 2024, Hägele et al. 2024). Warm up for $W$
# steps, hold $\eta_0$ for $S$ steps, then decay over the last $D$ steps along a shape $\varphi$
# ($1 - u$, $(1 + \cos\pi u)/2$ or $1 - \sqrt u$) to $\eta_{\min}$:
#
# $$
# \eta_e = \eta_{\min} + (\eta_0 - \eta_{\min})\,\varphi\!\left(\frac{e - W - S}{D}\right), \quad W + S \le e < W + S + D. \tag{7.14}
# $$
#
# Its appeal is that the long plateau does not commit you to a horizon: you can branch off a
# decay from any checkpoint.
#
# **Joining schedules** (`SequentialLR`). Run schedule $f_k$ between boundaries $B_{k-1}$ and $B_k$,
# restarted at 0 each time, with $k(e) = \#\{b \in B: b \le e\}$:
#
# $$
# \eta_e = f_{k(e)}\bigl(e - B_{k(e)-1}\bigr), \qquad B_{-1} = 0. \tag{7.15}
# $$
#
# The code is the formulas. Two of them, with their equation numbers in the comments:

# %%
from course_utils.schedules import cosine_annealing_lr, warm_restart_position
from course_utils.verify import show_source

show_source(cosine_annealing_lr)
show_source(warm_restart_position)

# %% [markdown]
# `warm_restart_position` walks the geometric series (7.9) with integer arithmetic rather than
# solving for $n$ with a floating-point logarithm; chapter 08 shows the restart that torch's
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
        "ConstantLR (7.1)": (constant_lr, dict(base_lr=lr, factor=1 / 3, total_iters=T // 6)),
        "StepLR (7.2)": (step_lr, dict(base_lr=lr, step_size=T // 3, gamma=0.1)),
        "MultiStepLR (7.3)": (multi_step_lr, dict(base_lr=lr, milestones=[T // 3, 2 * T // 3, 8 * T // 9])),
        "ExponentialLR (7.4)": (exponential_lr, dict(base_lr=lr, gamma=0.01 ** (1 / T))),
        "PolynomialLR, p = 2 (7.5)": (polynomial_lr, dict(base_lr=lr, total_iters=T, power=2.0)),
        "CosineAnnealingLR (7.6)": (cosine_annealing_lr, dict(base_lr=lr, T_max=T, eta_min=lr / 100)),
        "LinearLR (7.7)": (linear_lr, dict(base_lr=lr, start_factor=1.0, end_factor=0.01, total_iters=T)),
        "linear warm-up (7.8)": (linear_warmup_lr, dict(base_lr=lr, warmup_steps=warm)),
        "warm restarts (7.9)": (cosine_annealing_warm_restarts_lr, dict(base_lr=lr, T_0=warm, T_mult=2)),
        "CyclicLR (7.10)": (cyclic_lr, dict(base_lr=lr / 10, max_lr=lr, step_size_up=T // 6, mode="triangular2")),
        "OneCycleLR (7.12)": (one_cycle_lr, dict(max_lr=lr, total_steps=T)),
        "warmup–stable–decay (7.14)": (warmup_stable_decay_lr, dict(
            base_lr=lr, warmup_steps=warm, stable_steps=T // 2, decay_steps=T - warm - T // 2)),
        "warm-up then cosine (7.15)": (join_schedules, dict(
            schedules=[partial(linear_warmup_lr, base_lr=lr, warmup_steps=warm),
                       partial(cosine_annealing_lr, base_lr=lr, T_max=T - warm)], boundaries=[warm])),
    }


def momentum_table(T):
    """The momentum schedules that cycle with the lr, as (function, keyword arguments)."""
    return {"CyclicLR (7.10)": (cyclic_momentum, dict(step_size_up=T // 6, mode="triangular2")),
            "OneCycleLR (7.12)": (one_cycle_momentum, dict(total_steps=T))}


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
# end and average, the restarts at $S_n = 10, 30, 70$ of (7.9), the one-cycle peak at step
# $\lfloor 0.3\cdot 90\rfloor - 1 = 26$ and its momentum trough there, the exponential's factor of 100.

# %%
T, lr = 90, 0.1
at = {name: [schedule(e) for e in range(T + 1)] for name, schedule in zoo(lr, T).items()}
close = lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)  # noqa: E731
assert close(at["StepLR (7.2)"][29], lr) and close(at["StepLR (7.2)"][30], lr * 0.1) and close(at["StepLR (7.2)"][60], lr * 0.01)
assert close(at["MultiStepLR (7.3)"][80], lr * 0.1**3) and close(at["MultiStepLR (7.3)"][79], lr * 0.1**2)
assert close(at["ExponentialLR (7.4)"][T], lr / 100) and at["PolynomialLR, p = 2 (7.5)"][T] == 0.0
assert close(at["CosineAnnealingLR (7.6)"][T // 2], (lr + lr / 100) / 2) and close(at["CosineAnnealingLR (7.6)"][T], lr / 100)
assert close(sum(at["CosineAnnealingLR (7.6)"]) / (T + 1), (lr + lr / 100) / 2)          # its average over 0..T
restarts = [e for e in range(1, T) if at["warm restarts (7.9)"][e] > at["warm restarts (7.9)"][e - 1]]
assert restarts == [10 * (2**n - 1) for n in (1, 2, 3)], restarts                             # (7.9)
one_cycle = at["OneCycleLR (7.12)"]
assert max(one_cycle) == one_cycle[26] == lr and close(one_cycle[0], lr / 25)
one_cycle_momentum_at = built(momentum_table(T))["OneCycleLR (7.12)"]
assert min(one_cycle_momentum_at(e) for e in range(T)) == one_cycle_momentum_at(26) == 0.85
print("landmarks of (7.2)–(7.12) verified; warm restarts at", restarts)

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
for name in ("ConstantLR (7.1)", "linear warm-up (7.8)"):               # these end at η₀ itself
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
# ## Pitfalls
#
# * **A per-epoch decay stepped per batch.** `ExponentialLR(gamma=0.95)` meant per epoch but
#   stepped after each of 100 batches has multiplied the rate by $0.95^{100} \approx 0.006$ by the end of
#   the first epoch, and its whole budget $\sum\alpha = 20\,\eta_0$ is spent: by (6.4) training
#   stalls. The next cell measures it. (Chapter 08 shows the same trap with `OneCycleLR`.)
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
# 2. Every standard schedule is a short closed form (7.1)–(7.15), derived from what it is meant to
#    do; the gallery draws them and the landmark checks pin them down.
# 3. The mean and variance obey (6.2) exactly; Robbins–Monro (6.3) asks $\sum\alpha_t = \infty$
#    (reach the minimum) and $\sum\alpha_t^2 < \infty$ (kill the noise). A finite $\sum\alpha_t$
#    stalls at a distance bounded by (6.4) — exponential decay, or $p > 1$ in (6.5); a constant
#    rate hovers; $\tfrac12 < p \le 1$ converges.
# 4. "×0.1 every 30 epochs" is AlexNet's and ResNet's "divide by 10 at the plateau" frozen into a
#    calendar (fb.resnet.torch, the PyTorch ImageNet example); each drop divides the floor by 10
#    after a settling time $\propto 1/\alpha$.
# 5. In PyTorch's momentum form a rate drop applies to the whole velocity at once; in Sutskever's
#    it fades in by $\mu$ per step, a difference of $(\gamma-\gamma')\mu/(1-\mu)^2$ in distance (4.12),
#    removed by rescaling the buffer.

# %% [markdown]
# ## Exercises
#
# **1.** $p = \tfrac12$ in (6.5) violates $\sum\alpha_t^2 < \infty$. Run it in the Robbins–Monro
# experiment: does it still converge? Faster or slower than $p = 0.75$?

# %% tags=["solution"]
half_lrs = schedule_table({"p = 0.5": lambda t: a0 / (1 + t / t0) ** 0.5}, RM_STEPS)
half_loss, _ = sgd_runs(half_lrs, curvatures=(1.0,), w0=10.0, runs=400, seed=2)
print(f"p = 0.5: loss {float(half_loss[0, 1000]):.2e} at 1e3, {float(half_loss[0, -1]):.2e} at 1e4; "
      f"p = 0.75 ends at {float(rm_loss[4, -1]):.2e}")
assert half_loss[0, -1] < half_loss[0, 1000] / 2, "still converging: (6.3) is sufficient, not necessary"
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
    w = w - 0.1 * (lam * w + torch.randn(w.shape, generator=gen, **f64))          # (6.1)
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
#   Statistics 22(3), 1951 — conditions (6.3).
# * L. Bottou, F. E. Curtis and J. Nocedal, *Optimization methods for large-scale machine
#   learning*, SIAM Review 60(2), 2018 — §4: fixed steps converge to a neighbourhood,
#   diminishing steps satisfying (6.3) converge (Theorems 4.6 and 4.7).
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
#   momentum in deep learning*, ICML 2013 — form (4.10) with the rate inside the velocity.
# * I. Loshchilov and F. Hutter, *SGDR: stochastic gradient descent with warm restarts*, ICLR 2017.
# * L. N. Smith, *Cyclical learning rates for training neural networks*, WACV 2017; L. N. Smith
#   and N. Topin, *Super-convergence*, 2019 (arXiv 1708.07120).
# * S. Hu et al., *MiniCPM*, 2024, and A. Hägele et al., *Scaling laws and compute-optimal training
#   beyond fixed training durations*, NeurIPS 2024 — warmup–stable–decay (7.14).
# * PyTorch issue #1099 and the note in the `torch.optim.SGD` documentation on the two momentum
#   forms; Dive into Deep Learning, §12.4 "Stochastic Gradient Descent" (its dynamic learning
#   rate), whose exponential-versus-polynomial experiment section 3 turns into a test of (6.3).
