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
# *Every fixed learning-rate schedule torch offers is a line or two of algebra. This chapter derives
# each one from what it is meant to do, writes it as a pure function of the step, draws the
# whole zoo on a linear and a logarithmic scale, and runs every member on the noisy quadratic
# of chapter 06 to see where it lands.*
#
# **Prerequisites:** chapter 06 (why decay at all; the noisy quadratic (6.1) and the floor
# (1.7) that a constant rate hovers at).
# **Runtime:** about 10 s on a laptop CPU.
#
# **After this chapter you can**
# 1. derive the closed form of every standard schedule (step, exponential, polynomial, cosine,
#    linear, warm-up, warm restarts, cyclic, one-cycle, warmup–stable–decay) and read its
#    arguments off a plot;
# 2. read a schedule on a log scale: how many decades it falls, and where it spends its steps;
# 3. write any schedule as a pure function of the step with `course_utils.schedules`, and
#    join schedules into one;
# 4. predict where a schedule lands on a noisy problem from the rates of its last steps.
#
# **Notation.** The learning rate is $\eta_e$, the schedule literature's letter (chapter 06's
# $\alpha_t$, torch's `lr`); $e$ counts scheduler steps, $\eta_0$ is the base rate, $T$ the
# number of steps over which a schedule changes, $\rho \in [0, 1]$ the fraction of a phase
# already done, $\gamma$ a decay factor and $\beta$ the momentum coefficient.

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
from functools import partial

import matplotlib.pyplot as plt
import torch

from course_utils.cyclic_schedules import (cyclic_lr, cyclic_momentum, one_cycle_lr,
                                           one_cycle_momentum)
from course_utils.device import setup
from course_utils.plotting import GREY, PALETTE, VERMILLION, plot_lr_schedule
from course_utils.schedules import (
    constant_lr, cosine_annealing_lr, cosine_annealing_warm_restarts_lr, exponential_lr,
    join_schedules, linear_lr, linear_warmup_lr, multi_step_lr, polynomial_lr, step_lr,
    warm_restart_position, warmup_stable_decay_lr,
)
from course_utils.verify import show_source

device = setup(seed=0)
f64 = dict(dtype=torch.float64)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. A schedule is a function of the step
#
# A schedule is a function $\eta_e$ of the step counter $e$. Torch calls $e$ `last_epoch`, but it
# counts scheduler steps, per epoch or per batch, whichever you step. The course writes each
# schedule as a pure function in `course_utils.schedules` with one signature: the step first,
# torch's arguments by keyword. So `partial(step_lr, base_lr=0.1, step_size=30)` is a schedule,
# a function of the step alone, equal to the closed form of torch's class of the same name
# (chapter 08 proves each).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Held, stepped and geometric
#
# **Hold, then release** (`ConstantLR`). Keep a fraction $f$ of the rate for the first $T$ steps:
#
# $$
# \eta_e = \begin{cases} f\,\eta_0 & e < T \\ \eta_0 & e \ge T \end{cases} \tag{7.1}
# $$
#
# **Step decay** (`StepLR`). Multiply by $\gamma$ each time $e$ reaches a multiple of the step
# size $s$; up to step $e$ that has happened $\lfloor e/s \rfloor$ times:
#
# $$
# \eta_e = \eta_0\,\gamma^{\lfloor e/s \rfloor}. \tag{7.2}
# $$
#
# **Multi-step decay** (`MultiStepLR`). The same at arbitrary milestones $M$: count those already
# passed, $k(e) = \#\{m \in M : m \le e\}$,
#
# $$
# \eta_e = \eta_0\,\gamma^{k(e)}. \tag{7.3}
# $$
#
# **Exponential decay** (`ExponentialLR`). A constant ratio $\eta_e/\eta_{e-1} = \gamma$ gives a
# geometric sequence, a straight line on a log scale; to end 100 times lower after $T$ steps,
# take $\gamma = 100^{-1/T}$:
#
# $$
# \eta_e = \eta_0\,\gamma^{e}. \tag{7.4}
# $$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Decays that land at a horizon
#
# **Polynomial decay** (`PolynomialLR`). Reach zero exactly at $T$ along $(1-\rho)^p$, $\rho = e/T$,
# and stay there; $p = 1$ is a straight line, $p > 1$ spends longer at small rates:
#
# $$
# \eta_e = \eta_0\,\bigl(1 - \min(e, T)/T\bigr)^{p}. \tag{7.5}
# $$
#
# **Cosine annealing** (`CosineAnnealingLR`). Ask for a smooth path from $\eta_0$ at $e = 0$ to
# $\eta_{\min}$ at $e = T$ with zero slope at both ends: no jolt when training starts, a gentle
# landing. Half a period of a cosine does it: $(1 + \cos\pi\rho)/2$ runs from 1 to 0 as $\rho$ runs
# from 0 to 1, and its derivative $-\tfrac\pi2\sin\pi\rho$ vanishes at both ends. Rescaled,
#
# $$
# \eta_e = \eta_{\min} + (\eta_0 - \eta_{\min})\,\frac{1 + \cos(\pi e/T)}{2}. \tag{7.6}
# $$
#
# By symmetry about $\rho = \tfrac12$ its average over the horizon is $(\eta_0 + \eta_{\min})/2$, a
# straight line's. Past $T$ the formula climbs back up, and so does torch's scheduler.
#
# **Linear ramp** (`LinearLR`). Move the factor from $f_0$ to $f_T$ over $T$ steps, then hold:
#
# $$
# \eta_e = \eta_0\,\Bigl(f_0 + (f_T - f_0)\,\frac{\min(e, T)}{T}\Bigr). \tag{7.7}
# $$
#
# **Linear warm-up** is (7.7) with $f_T = 1$: start at $f_0\,\eta_0$ (often $f_0 = 0$) and reach
# $\eta_0$ after $W$ steps (Goyal et al. 2017 used it to make large batches trainable):
#
# $$
# \eta_e = \eta_0\,\bigl(f_0 + (1 - f_0)\,e/W\bigr) \ \ (e < W), \qquad
# \eta_e = \eta_0 \ \ (e \ge W). \tag{7.8}
# $$
#
# The three decay shapes side by side, as functions of $\rho$, with the averages the derivations
# promise ($\int_0^1(1-\rho)^p\,d\rho = 1/(p+1)$) and the slopes at the ends:

# %%
rho = torch.linspace(0, 1, 10_001, **f64)
shapes = {"(7.6) cosine": (1 + torch.cos(math.pi * rho)) / 2,
          "(7.5) p = 1 (linear)": 1 - rho, "(7.5) p = 2": (1 - rho) ** 2}
promised = {"(7.6) cosine": 1 / 2, "(7.5) p = 1 (linear)": 1 / 2, "(7.5) p = 2": 1 / 3}
fig, ax = plt.subplots(figsize=(7, 3.5))
for (name, y), color in zip(shapes.items(), PALETTE):
    mean = float(torch.trapezoid(y, rho))
    slopes = [float((y[1] - y[0]) / rho[1]), float((y[-1] - y[-2]) / rho[1])]
    print(f"{name:<22} average {mean:.4f} (promised {promised[name]:.4f}), "
          f"slope at ρ = 0: {slopes[0]:+.3f}, at ρ = 1: {slopes[1]:+.3f}")
    assert abs(mean - promised[name]) < 1e-6
    ax.plot(rho, y, color=color, label=name)
    ax.axhline(mean, color=color, linestyle=":", linewidth=0.8)
    if "cosine" in name:
        assert max(abs(s) for s in slopes) < 1e-3, "zero slope at both ends"
ax.set(xlabel="ρ = e / T", ylabel="(η − η_min) / (η₀ − η_min)",
       title="Cosine: flat at both ends, average of linear; p = 2 spends longer low")
ax.legend()
plt.show()

# %% [markdown]
# The code is the formula; here is (7.6), with its equation number in the comment:

# %%
show_source(cosine_annealing_lr)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Restarts and cycles
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
# With $n$ the last restart before $e$, $T_{\text{cur}} = e - S_n$, and $\eta_e$ is (7.6) evaluated at
# $(T_{\text{cur}}, T_n)$. The course finds $n$ by walking the series with integers rather than
# with a floating-point logarithm (chapter 08 shows the restart torch's logarithm misses):

# %%
show_source(warm_restart_position)

# %% [markdown]
# **Cyclical rates** (`CyclicLR`, Smith 2017). A triangle wave between $\eta_{\text{base}}$
# (torch's `base_lr`, the bottom of the cycle) and $\eta_{\max}$, rising for $u$ steps and falling
# for $d$. With the cycle number $c = \lfloor 1 + e/(u+d) \rfloor$, the position in the cycle
# $x = 1 + e/(u+d) - c \in [0, 1)$ and $r = u/(u+d)$, the triangle's height is $h = x/r$ on the
# way up and $(x-1)/(r-1)$ on the way down:
#
# $$
# \eta_e = \eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}})\,h\,g, \tag{7.10}
# $$
#
# where the amplitude factor $g$ is 1 (`triangular`), $2^{1-c}$ (`triangular2`, halved every
# cycle) or $\gamma^e$ (`exp_range`). Momentum, if cycled, runs in opposite phase (Smith 2018):
#
# $$
# \beta_e = \beta_{\max} - (\beta_{\max} - \beta_{\text{base}})\,h\,g. \tag{7.11}
# $$
#
# **One cycle** (`OneCycleLR`, Smith & Topin 2019). One rise and one long fall over the whole
# run: from $\eta_{\max}/\text{div}$ up to $\eta_{\max}$ during the first fraction `pct_start` of
# the steps, then down to $\eta_{\max}/(\text{div}\cdot\text{final\_div})$, each leg a cosine
# interpolation from its start $a$ to its end $b$ over the fraction $\rho$ of the leg done:
#
# $$
# \eta = b + \frac{a - b}{2}\,\bigl(1 + \cos\pi\rho\bigr), \tag{7.12}
# $$
#
# and momentum does the opposite, by the same interpolation:
#
# $$
# \beta = (7.12) \text{ with } a \to b \text{ replaced by } \beta_{\max} \to \beta_{\text{base}}
# \text{ (rise)},\ \beta_{\text{base}} \to \beta_{\max} \text{ (fall)}. \tag{7.13}
# $$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Warmup–stable–decay, and joined schedules
#
# **Warmup–stable–decay** (no torch class; Hu et al. 2024, Hägele et al. 2024). Warm up for $W$
# steps (7.8), hold $\eta_0$ for $H$ steps, then decay over the last $D$ steps along a shape
# $\varphi$ ($1 - \rho$, $(1 + \cos\pi\rho)/2$ or $1 - \sqrt\rho$) to $\eta_{\min}$:
#
# $$
# \eta_e = \eta_{\min} + (\eta_0 - \eta_{\min})\,\varphi\!\left(\frac{e - W - H}{D}\right),
# \quad W + H \le e < W + H + D. \tag{7.14}
# $$
#
# The long plateau does not commit you to a horizon: a decay can branch off any checkpoint.
#
# **Joining schedules** (`SequentialLR`). Run the $k$-th schedule $\eta^{(k)}$ between boundaries
# $B_{k-1}$ and $B_k$, restarted at 0 each time, with $k(e) = \#\{b \in B: b \le e\}$ counted as in
# (7.3):
#
# $$
# \eta_e = \eta^{(k(e))}_{\,e - B_{k(e)-1}}, \qquad B_{-1} = 0. \tag{7.15}
# $$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. The gallery, on two scales
#
# Every schedule over 90 steps from $\eta_0 = 0.1$ (read "90 epochs", the ImageNet budget of
# chapter 06). `zoo(lr, T)` builds each one for a base rate and a horizon $T$, so the explorer of
# section 7 can redraw it for any $T$.

# %%
def zoo_table(lr, T):
    """Every schedule as (function, keyword arguments), for base rate lr, horizon T."""
    warm = T // 9
    return {  # name (equation): (function, keyword arguments)
        "ConstantLR (7.1)": (constant_lr, dict(
            base_lr=lr, factor=1 / 3, total_iters=T // 6)),
        "StepLR (7.2)": (step_lr, dict(base_lr=lr, step_size=T // 3, gamma=0.1)),
        "MultiStepLR (7.3)": (multi_step_lr, dict(
            base_lr=lr, milestones=[T // 3, 2 * T // 3, 8 * T // 9])),
        "ExponentialLR (7.4)": (exponential_lr, dict(base_lr=lr, gamma=0.01 ** (1/T))),
        "PolynomialLR, p = 2 (7.5)": (polynomial_lr, dict(
            base_lr=lr, total_iters=T, power=2.0)),
        "CosineAnnealingLR (7.6)": (cosine_annealing_lr, dict(
            base_lr=lr, T_max=T, eta_min=lr / 100)),
        "LinearLR (7.7)": (linear_lr, dict(
            base_lr=lr, start_factor=1.0, end_factor=0.01, total_iters=T)),
        "linear warm-up (7.8)": (linear_warmup_lr, dict(base_lr=lr, warmup_steps=warm)),
        "warm restarts (7.9)": (cosine_annealing_warm_restarts_lr, dict(
            base_lr=lr, T_0=warm, T_mult=2)),
        "CyclicLR (7.10)": (cyclic_lr, dict(
            base_lr=lr / 10, max_lr=lr, step_size_up=T // 6, mode="triangular2")),
        "OneCycleLR (7.12)": (one_cycle_lr, dict(max_lr=lr, total_steps=T)),
        "warmup–stable–decay (7.14)": (warmup_stable_decay_lr, dict(
            base_lr=lr, warmup_steps=warm, stable_steps=T // 2,
            decay_steps=T - warm - T // 2)),
        "warm-up then cosine (7.15)": (join_schedules, dict(
            schedules=[partial(linear_warmup_lr, base_lr=lr, warmup_steps=warm),
                       partial(cosine_annealing_lr, base_lr=lr, T_max=T - warm)],
            boundaries=[warm])),
    }


def momentum_table(T):
    """The momentum schedules that cycle with the lr, as (function, keyword args)."""
    return {"CyclicLR (7.10)": (cyclic_momentum, dict(
                step_size_up=T // 6, mode="triangular2")),
            "OneCycleLR (7.12)": (one_cycle_momentum, dict(total_steps=T))}


def built(table):
    """Each (function, kwargs) as a schedule of the step alone; combinators called."""
    return {name: fn(**kwargs) if fn is join_schedules else partial(fn, **kwargs)
            for name, (fn, kwargs) in table.items()}


def zoo(lr, T):
    """Every schedule of the gallery, for base rate `lr` and horizon T, as e -> η_e."""
    return built(zoo_table(lr, T))

# %%
def draw_gallery(T=90, lr=0.1):
    """Every schedule of zoo(lr, T) over T steps; momentum on a twin axis if cycled."""
    fig, axes = plt.subplots(5, 3, figsize=(10, 11), sharex=True)
    schedules, momentum = zoo(lr, T), built(momentum_table(T))
    for ax, (name, schedule) in zip(axes.flat, schedules.items()):
        plot_lr_schedule([schedule(e) for e in range(T)], ax=ax, xlabel="", ylabel="")
        ax.set_title(name, fontsize=9)
        ax.set_ylim(0, 1.1 * lr)
        if name in momentum:
            twin = ax.twinx()
            twin.plot(range(T), [momentum[name](e) for e in range(T)], color=VERMILLION,
                      linewidth=1)
            twin.set_ylabel("momentum β", color=VERMILLION, fontsize=8)
    for ax in axes.flat[len(schedules):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("learning rate")
    for ax in axes.flat[len(schedules) - 3:len(schedules)]:     # lowest in each column
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("step (epoch)")
    fig.suptitle("The schedule zoo: start high, end low, or cycle "
                 "(orange: momentum, opposite phase)")
    return fig


draw_gallery()
plt.show()

# %% [markdown]
# Each derivation promised a landmark you can read off the plot; the next cell checks them
# against the formulas, to $10^{-12}$ relative: where the step decays fall, the cosine's midpoint,
# end and average, the restarts at $S_n = 10, 30, 70$ of (7.9), the one-cycle peak at step
# $\lfloor 0.3\cdot 90\rfloor - 1 = 26$ and its momentum trough there, the exponential's factor of 100.

# %%
T, lr = 90, 0.1
at = {name.split(" (")[0]: [schedule(e) for e in range(T + 1)]
      for name, schedule in zoo(lr, T).items()}
close = lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)  # noqa: E731
assert close(at["StepLR"][29], lr) and close(at["StepLR"][30], lr * 0.1)
assert close(at["StepLR"][60], lr * 0.01)                                     # (7.2)
assert close(at["MultiStepLR"][79], lr * 0.1**2)                              # (7.3)
assert close(at["MultiStepLR"][80], lr * 0.1**3)
assert close(at["ExponentialLR"][T], lr / 100) and at["PolynomialLR, p = 2"][T] == 0.0
cosine = at["CosineAnnealingLR"]
assert close(cosine[T // 2], (lr + lr / 100) / 2)                             # (7.6)
assert close(cosine[T], lr / 100)
assert close(sum(cosine) / (T + 1), (lr + lr / 100) / 2)           # average over 0..T
restart = at["warm restarts"]
restarts = [e for e in range(1, T) if restart[e] > restart[e - 1]]
assert restarts == [10 * (2**n - 1) for n in (1, 2, 3)], restarts             # (7.9)
one_cycle = at["OneCycleLR"]
assert max(one_cycle) == one_cycle[26] == lr and close(one_cycle[0], lr / 25)  # (7.12)
one_cycle_beta = built(momentum_table(T))["OneCycleLR (7.12)"]
assert min(one_cycle_beta(e) for e in range(T)) == one_cycle_beta(26) == 0.85  # (7.13)
print("landmarks of (7.2)–(7.13) verified; warm restarts at", restarts)

# %% [markdown]
# On a linear axis every decay looks finished once it is near the bottom, yet the last tenth of
# a decade and the last two decades look the same. A log scale shows what the noise floor (1.7)
# feels, since the floor grows with the rate (in proportion while $\eta\lambda$ is small): how many decades each schedule falls, and
# how many steps it spends in each. One panel per family:

# %%
families = {
    "held, stepped, geometric (7.1)–(7.4)": [
        "ConstantLR", "StepLR", "MultiStepLR", "ExponentialLR"],
    "to a horizon (7.5)–(7.8)": [
        "PolynomialLR, p = 2", "CosineAnnealingLR", "LinearLR", "linear warm-up"],
    "restarts and cycles (7.9)–(7.12)": ["warm restarts", "CyclicLR", "OneCycleLR"],
    "WSD and joined (7.14)–(7.15)": ["warmup–stable–decay", "warm-up then cosine"]}
fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, sharey=True)
for ax, (family, members) in zip(axes.flat, families.items()):
    for name, color, style in zip(members, PALETTE, ["-", "--", "-.", ":"]):
        rates = torch.tensor(at[name][:T], **f64)
        drawn = torch.where(rates > 0, rates, math.nan)        # zero has no logarithm
        ax.step(range(T), drawn, where="post", color=color, linestyle=style, label=name)
    ax.set(yscale="log", title=family, ylim=(1e-7, 0.2))
    ax.legend(fontsize=7, loc="lower left")
for ax in axes[:, 0]:
    ax.set_ylabel("learning rate (log)")
for ax in axes[-1]:
    ax.set_xlabel("step (epoch)")
fig.suptitle("The zoo on a log scale: exponential is a straight line, "
             "cosine and linear plunge at the end")
plt.show()

# %% [markdown]
# The log scale turns each shape into a budget, printed below: decades fallen from the peak to
# the last step, and the share of the steps spent in the top decade, above a tenth of the peak.
# The exponential spends half its steps there (it has fallen one of its two decades at $T/2$);
# the cosine, by (7.6), until $\cos\pi\rho = 2(0.1 - 0.01)/0.99 - 1$, about four fifths.

# %%
print(f"{'schedule':<22} {'decades':>8} {'share of steps in the top decade':>33}")
share = {}
for name, rates in at.items():
    peak, rates = max(rates[:T]), rates[:T]
    top = peak / 10 * (1 + 1e-12)               # a rate of exactly a tenth is out
    share[name] = sum(r > top for r in rates) / T
    decades = math.log10(peak / rates[-1]) if rates[-1] > 0 else math.inf
    print(f"{name:<22} {decades:>8.2f} {share[name]:>33.2f}")
cosine_share = math.acos(2 * (0.1 - 0.01) / 0.99 - 1) / math.pi    # (7.6) solved for ρ
assert share["ExponentialLR"] == 0.5 and share["StepLR"] == 1 / 3
assert abs(share["CosineAnnealingLR"] - cosine_share) < 1 / T        # to within a step
print(f"cosine: (7.6) predicts {cosine_share:.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Where each schedule lands
#
# Now run them. The noisy quadratic of chapter 06, $f(w) = \tfrac12(w_1^2 + 10\,w_2^2)$ with
# gradient noise $\sigma = 1$, and SGD (6.1) for 1,000 runs at once; the floor (1.7) of a constant
# rate is the reference, both for the rate a schedule ends at and for the rate it has *now*.

# %%
def sgd_runs(lrs, curvatures=(1.0, 10.0), sigma=1.0, w0=3.0, runs=1000, seed=0):
    """Mean excess loss of (6.1) at steps 0..T, one row per schedule (row of `lrs`)."""
    lrs = torch.atleast_2d(torch.as_tensor(lrs, **f64))
    lam = torch.as_tensor(curvatures, **f64)
    gen = torch.Generator().manual_seed(seed)
    w = torch.full((lrs.shape[0], runs, lam.numel()), w0, **f64)
    loss = [0.5 * (lam * w**2).sum(-1).mean(-1)]
    for lr in lrs.T:
        noise = torch.randn(w.shape, generator=gen, **f64)
        w = w - lr[:, None, None] * (lam * w + sigma * noise)            # (6.1)
        loss.append(0.5 * (lam * w**2).sum(-1).mean(-1))
    return torch.stack(loss, dim=1)


def floor_17(lr, curvatures=(1.0, 10.0), sigma=1.0):
    """The noise floor (1.7) of a constant rate `lr` (a float or a tensor of rates)."""
    return sum(lr * sigma**2 / (2 * (2 - lr * lam)) for lam in curvatures)


def draw_landing(schedule, lr=0.1, steps=600, axes=None, runs=1000):
    """A schedule of the zoo (top) and its loss on the noisy quadratic (bottom), beside
    the floor (1.7) of the rate it has at each step; returns the rates and the loss."""
    axes = plt.subplots(2, 1, figsize=(5, 5), sharex=True)[1] if axes is None else axes
    fn = zoo(lr, steps)[schedule]
    rates = torch.tensor([fn(e) for e in range(steps)], **f64)
    loss = sgd_runs(rates, runs=runs)[0]
    axes[0].step(range(steps), torch.where(rates > 0, rates, math.nan), where="post")
    axes[0].set(yscale="log", title=schedule, ylim=(1e-7, 0.3))
    axes[1].plot(loss, color=GREY, linewidth=2, label="loss, 1,000 runs")
    axes[1].plot(floor_17(rates), color=VERMILLION, linestyle="--", linewidth=1,
                 label="floor (1.7) of the current rate")
    axes[1].set(yscale="log", xlabel="step", ylim=(1e-4, 100))
    return rates, loss

# %% [markdown]
# With a live kernel, pick a schedule, a base rate and a horizon. Without one, the small
# multiples after it show the lesson for four schedules.

# %%
# NBVAL_IGNORE_OUTPUT
# (widget views carry random ids; the static figure below is the tested version)
from course_utils.widgets import explorer, log_slider

explorer(lambda schedule, lr, steps: draw_landing(schedule, lr, int(steps), runs=200),
         schedule=list(zoo(0.1, 90)), lr=log_slider("η₀", 0.1, 0.01, 0.19),
         steps=(30, 600, 30))

# %%
picked = ["StepLR (7.2)", "CosineAnnealingLR (7.6)", "OneCycleLR (7.12)",
          "warmup–stable–decay (7.14)"]
fig, grid = plt.subplots(2, 4, figsize=(13, 5.5), sharex=True, sharey="row")
landing = {name: draw_landing(name, axes=grid[:, j]) for j, name in enumerate(picked)}
grid[1, 0].legend(fontsize=7)
fig.suptitle("600 steps from η₀ = 0.1: the loss follows the floor of the current rate "
             "down, until the rate falls faster than it can follow")
plt.show()
for name, (rates, loss) in landing.items():
    lag = float(loss[-1]) / float(floor_17(rates[-1]))
    print(f"{name:<28} final rate {float(rates[-1]):.1e}: loss {float(loss[-1]):.2e}, "
          f"{lag:.1f}x the floor of that rate")
    assert lag > 1, "a decaying rate leaves the loss above the floor of its final rate"
step_rates, step_loss = landing["StepLR (7.2)"]
assert abs(float(step_loss[200]) / floor_17(0.1) - 1) < 0.1, "on the floor, pre-drop"

# %% [markdown]
# Every schedule walks the loss down the staircase or slope of its own floor (dashed) while the
# rate changes slowly, and leaves it behind when the rate changes faster than the iterate's
# settling time $\sim 1/(2\eta\lambda_{\min})$ (chapter 06, section 5). The same experiment for
# the whole zoo, each final loss against the floor of the schedule's final rate:

# %%
T = 600
schedules = zoo(0.1, T)
zoo_rates = [[schedule(e) for e in range(T)] for schedule in schedules.values()]
zoo_loss = sgd_runs(torch.tensor(zoo_rates, **f64))
final_lr = {name: schedule(T - 1) for name, schedule in schedules.items()}
print(f"{'schedule':<28} {'final lr':>9} {'final loss':>11} {'floor at final lr':>17}")
for (name, end_lr), row in zip(final_lr.items(), zoo_loss):
    loss, floor = float(row[-1]), floor_17(end_lr)
    print(f"{name:<28} {end_lr:>9.2e} {loss:>11.2e} {floor:>17.2e}")
constant_end = floor_17(0.1)
index = {name: i for i, name in enumerate(schedules)}
decays = [i for i, end_lr in enumerate(final_lr.values()) if end_lr < 0.01]
assert all(zoo_loss[i, -1] < constant_end / 3 for i in decays), "below η₀'s floor"
for name in ("ConstantLR (7.1)", "linear warm-up (7.8)"):             # these end at η₀
    assert abs(float(zoo_loss[index[name], -1]) / constant_end - 1) < 0.15
to_zero = [name for name, end_lr in final_lr.items() if end_lr < 1e-5]
print("decay to (almost) zero:", ", ".join(to_zero))
assert len(to_zero) == 3
assert all(zoo_loss[index[n], -1] > 100 * floor_17(final_lr[n]) for n in to_zero)

# %%
fig, ax = plt.subplots(figsize=(7, 4.5))
for (name, end_lr), row, k in zip(final_lr.items(), zoo_loss, range(len(final_lr))):
    ax.scatter(floor_17(end_lr), float(row[-1]), color=PALETTE[k % len(PALETTE)],
               marker="os^"[k // len(PALETTE)], label=name)
span = [1e-7, 0.2]
ax.plot(span, span, color=GREY, linestyle="--", linewidth=0.8, label="loss = floor")
ax.set(xscale="log", yscale="log", xlabel="floor (1.7) of the final rate",
       ylabel="final loss (1,000 runs)",
       title="Ending low is not landing low: decays to zero end far above their floor")
ax.legend(fontsize=7, ncol=2)
plt.show()

# %% [markdown]
# The two that end at $\eta_0$ (hold-and-release, warm-up alone) sit on the diagonal at $\eta_0$'s
# floor; the cyclic ones land wherever their cycle stops; and the three that decay to
# (almost) zero, named under the table, end orders of magnitude above the floor of their final
# rate. What they reach is set by how small the rate has been *lately, and for
# how long* (exercise 2).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **A per-epoch decay stepped per batch.** $e$ counts scheduler steps. `ExponentialLR(gamma=0.95)`
#   meant per epoch but stepped after each of 100 batches has multiplied the rate by
#   $0.95^{100}$ by the end of the first epoch and spent nearly all of its $\sum\eta_e =
#   \eta_0/(1-\gamma)$: training stalls, as chapter 06's (6.4) says. The next cell measures it.
# * **Running past the horizon.** (7.6) has no clamp: a cosine stepped for $2T$ steps climbs back
#   to $\eta_0$ (measured below), and `OneCycleLR` raises one step past `total_steps` (chapter 08).

# %%
gamma_per_epoch = partial(exponential_lr, base_lr=0.1, gamma=0.95)
per_epoch = [gamma_per_epoch(epoch) for epoch in range(10)]
per_batch = [gamma_per_epoch(batch) for batch in range(10 * 100)]
spent = sum(per_batch[:100])
print(f"after epoch 1: per-epoch {per_epoch[1]:.4f}, per-batch {per_batch[100]:.2e}; "
      f"Σ over its 100 batches {spent:.3f} of η₀/(1−γ) = {0.1 / 0.05:.2f}")
assert per_batch[100] < per_epoch[1] / 100 and spent > 0.99 * 0.1 / 0.05
past = cosine_annealing_lr(2 * 90, base_lr=0.1, T_max=90)
print(f"cosine with T = 90 at step 180: {past:.3f}")
assert math.isclose(past, 0.1)

# %% [markdown]
# ## Summary
#
# 1. A schedule is a pure function of the scheduler step $e$; every fixed one in torch is a short
#    closed form, (7.1)–(7.15), derived from what it is meant to do.
# 2. Step decays (7.2)–(7.3) are staircases, the exponential (7.4) a straight line on a log scale;
#    polynomial, cosine and linear (7.5)–(7.7) land at a horizon $T$; cosine is flat at both ends
#    and averages what a straight line does.
# 3. Warm restarts (7.9), cycles (7.10)–(7.11) and one cycle (7.12)–(7.13) move the rate up as well
#    as down, momentum in opposite phase; warmup–stable–decay (7.14) defers the horizon, and
#    (7.15) joins any schedules.
# 4. On a log scale a schedule is a budget: decades fallen, and steps spent in each.
# 5. On a noisy problem the loss follows the floor of the current rate down until the rate falls
#    faster than the iterate settles: decays to zero end far above the floor of their last rate.

# %% [markdown]
# ## Exercises
#
# **1.** Which power $p$ makes `PolynomialLR` (7.5) spend exactly half of its steps in the top
# decade, above $\eta_0/10$? Derive it, then count on `polynomial_lr` with $T = 1000$.

# %% tags=["solution"]
# (1 − ρ)^p > 0.1 for ρ < 1 − 0.1^(1/p); half the steps: 0.1^(1/p) = 0.5,
# p = ln 0.1 / ln 0.5
p_half = math.log(0.1) / math.log(0.5)
counted = sum(polynomial_lr(e, base_lr=1.0, total_iters=1000, power=p_half) > 0.1
              for e in range(1000)) / 1000
print(f"p = {p_half:.3f}: {counted:.3f} of the steps above η₀/10")
assert abs(counted - 0.5) <= 1e-3

# %% [markdown]
# **2.** Give three schedules the same budget of 600 steps from $\eta_0 = 0.1$: `StepLR` with
# drops at 200 and 400, cosine to $10^{-3}$, and linear to $10^{-3}$. Which ends lowest on the
# noisy quadratic? Does the ranking follow the floor (1.7) of each schedule's mean rate over its
# last 100 steps?

# %% tags=["solution"]
budget = {"StepLR 200/400": partial(step_lr, base_lr=0.1, step_size=200),
          "cosine": partial(cosine_annealing_lr, base_lr=0.1, T_max=600, eta_min=1e-3),
          "linear": partial(linear_lr, base_lr=0.1, start_factor=1.0, end_factor=0.01,
                            total_iters=600)}
budget_rates = torch.tensor([[fn(e) for e in range(600)] for fn in budget.values()],
                            **f64)
budget_loss = sgd_runs(budget_rates, runs=2000, seed=5)
late_floor = [floor_17(float(rates[500:].mean())) for rates in budget_rates]
for name, row, late in zip(budget, budget_loss, late_floor):
    print(f"{name:<15} final loss {float(row[-1]):.2e}; floor of late rate {late:.2e}")
assert all(row[-1] < floor_17(0.1) / 5 for row in budget_loss)
by_loss = sorted(range(3), key=lambda i: float(budget_loss[i, -1]))
assert by_loss == sorted(range(3), key=late_floor.__getitem__)
# Yes: where a run ends is set by how small the rate has been lately, and how long.

# %% [markdown]
# **3.** Show that the gallery's "warm-up then cosine" (7.15) is a warmup–stable–decay (7.14)
# with no stable phase and a cosine decay to $\eta_{\min} = 0$.

# %% tags=["solution"]
joined = zoo(0.1, 90)["warm-up then cosine (7.15)"]
wsd = partial(warmup_stable_decay_lr, base_lr=0.1, warmup_steps=10, stable_steps=0,
              decay_steps=80, decay="cosine")
assert all(math.isclose(joined(e), wsd(e), rel_tol=1e-12, abs_tol=1e-15)
           for e in range(90))
print("join(warm-up, cosine) == WSD(H = 0, cosine) at all 90 steps, rel 1e-12")
# (7.14) with H = 0 and φ(ρ) = (1 + cos πρ)/2 is (7.6) restarted at e = W: (7.15).

# %% [markdown]
# ## References
#
# * PyTorch documentation, `torch.optim.lr_scheduler` — the classes whose closed forms are
#   (7.1)–(7.13) and (7.15).
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017 — linear
#   warm-up (7.8).
# * I. Loshchilov and F. Hutter, *SGDR: stochastic gradient descent with warm restarts*, ICLR 2017
#   — cosine annealing and warm restarts (7.6), (7.9).
# * L. N. Smith, *Cyclical learning rates for training neural networks*, WACV 2017 — (7.10).
# * L. N. Smith and N. Topin, *Super-convergence: very fast training of neural networks using
#   large learning rates*, 2019 (arXiv 1708.07120) — one cycle, (7.12).
# * L. N. Smith, *A disciplined approach to neural network hyper-parameters: Part 1 — learning
#   rate, batch size, momentum, and weight decay*, 2018 (arXiv 1803.09820) — cyclic momentum,
#   (7.11), (7.13).
# * S. Hu et al., *MiniCPM: unveiling the potential of small language models with scalable training
#   strategies*, 2024, and A. Hägele et al., *Scaling laws and compute-optimal training beyond
#   fixed training durations*, NeurIPS 2024 — warmup–stable–decay (7.14).
