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
# # 06 · Why decay the learning rate
#
# *On a noisy problem a constant learning rate is fast or precise, never both; a rate that
# shrinks at the right speed is both. This chapter measures the dilemma, derives the
# Robbins–Monro conditions from the mean and variance of SGD, and takes apart "×0.1 every 30
# epochs".*
#
# **Prerequisites:** chapter 01 (the stability limit (1.3) and the noise floor (1.7) of a
# constant rate). Chapter 07 derives every schedule torch offers; this one needs two of them,
# the step (7.2) and the exponential (7.4) decay.
# **Runtime:** about 15 s on a laptop CPU.
#
# **After this chapter you can**
# 1. show by measurement that a constant learning rate trades speed for precision, and that a
#    decaying one gets both;
# 2. derive the mean and variance of SGD under any schedule, and from them the Robbins–Monro
#    conditions;
# 3. predict whether a schedule converges, stalls at a distance you can bound, or hovers, and
#    when a $1/t$ schedule that meets both conditions still crawls;
# 4. explain where "×0.1 every 30 epochs" comes from, what each drop buys and how long it takes.
#
# **Notation.** The learning rate is $\alpha_t$, as in chapter 01 (chapter 07 writes $\eta_e$,
# torch's documentation $\gamma$: all three are `lr`). Here $\gamma$ is only the factor of a step
# or exponential decay; $\lambda$ is a curvature, $\sigma$ the noise level.

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

from course_utils.device import setup
from course_utils.plotting import GREY, PALETTE, VERMILLION
from course_utils.schedules import exponential_lr, step_lr

device = setup(seed=0)
f64 = dict(dtype=torch.float64)

# %% [markdown]
# Every experiment runs in float64 on the CPU, so each printed digit is the same everywhere.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: fast or precise, pick one
#
# Chapter 01 left us with the noisy quadratic $f(w) = \tfrac12(w_1^2 + 10\,w_2^2)$, whose gradient
# oracle returns $\nabla f(w) + \sigma\xi$, $\xi \sim \mathcal N(0, I)$, $\sigma = 1$. SGD on it, one
# eigen-direction at a time, with a learning rate $\alpha_t$ that may change from step to step, is
#
# $$
# w_{t+1,i} = (1 - \alpha_t\lambda_i)\, w_{t,i} - \alpha_t\,\sigma\,\xi_{t,i}. \tag{6.1}
# $$
#
# The helper below runs (6.1) for a thousand independent runs at once, for several schedules
# side by side, and returns the mean excess loss $\mathbb E f(w_t) - f^\star$ at every step.

# %%
def sgd_runs(lrs, curvatures=(1.0, 10.0), sigma=1.0, w0=3.0, runs=1000, seed=0):
    """Run (6.1) on f(w) = ½ Σ λ_i w_i² for each row of `lrs`, shape (schedules, steps).

    Returns the mean excess loss at steps 0..T, shape (schedules, T + 1), and the final
    iterates, shape (schedules, runs, dimensions).
    """
    lrs = torch.atleast_2d(torch.as_tensor(lrs, **f64))
    lam = torch.as_tensor(curvatures, **f64)
    gen = torch.Generator().manual_seed(seed)
    w = torch.full((lrs.shape[0], runs, lam.numel()), w0, **f64)
    loss = [0.5 * (lam * w**2).sum(-1).mean(-1)]
    for lr in lrs.T:                                # this step's rate, one per schedule
        noise = torch.randn(w.shape, generator=gen, **f64)
        w = w - lr[:, None, None] * (lam * w + sigma * noise)            # (6.1)
        loss.append(0.5 * (lam * w**2).sum(-1).mean(-1))
    return torch.stack(loss, dim=1), w


def schedule_table(schedules, steps):
    """The learning rates of named schedules `fn(t)` at t = 0..steps-1, one row each."""
    rows = [[fn(t) for t in range(steps)] for fn in schedules.values()]
    return torch.tensor(rows, **f64)


def chapter01_floor(lr, curvatures=(1.0, 10.0), sigma=1.0):
    """The noise floor (1.7) of chapter 01 for a constant rate."""
    return sum(lr * sigma**2 / (2 * (2 - lr * lam)) for lam in curvatures)

# %% [markdown]
# Before trusting it, one check: with a single run, (6.1) is exactly what the course's `SGD`
# (chapter 04) does when `course_utils.objectives.optimize` feeds it the same noisy gradients.

# %%
from course_utils.objectives import NoisyGradient, Quadratic, optimize
from course_utils.optim import SGD

noisy = NoisyGradient(Quadratic([1.0, 10.0]), sigma=1.0,
                      generator=torch.Generator().manual_seed(0))
path = optimize(noisy, [3.0, 3.0], lambda ps: SGD(ps, lr=0.05), steps=200)
loss_by_recursion, _ = sgd_runs(torch.full((1, 200), 0.05, **f64), runs=1, seed=0)
torch.testing.assert_close(loss_by_recursion[0], noisy(path), rtol=1e-12, atol=1e-15)
print("recursion (6.1) == course_utils.optim.SGD on NoisyGradient, 200 steps, 1e-12")

# %% [markdown]
# Now the dilemma: three constant rates, $\alpha = 0.01$, $0.1$ and $0.19$ (just under the
# stability limit $2/L = 0.2$ of (1.3)), against the simplest decaying rate,
# $\alpha_t = 0.1/(1 + t/50)$, for 2,000 steps.

# %%
STEPS = 2000
dilemma = {"α = 0.01": lambda t: 0.01, "α = 0.1": lambda t: 0.1,
           "α = 0.19": lambda t: 0.19,
           "α_t = 0.1/(1 + t/50)": lambda t: 0.1 / (1 + t / 50)}
dilemma_loss, _ = sgd_runs(schedule_table(dilemma, STEPS))


def first_below(row, level):
    """The first step at which a loss curve is below `level` (None if never)."""
    hits = torch.nonzero(row < level)
    return int(hits[0]) if len(hits) else None


speed = {name: first_below(row, 0.1) for name, row in zip(dilemma, dilemma_loss)}
final = {name: float(row[-500:].mean()) for name, row in zip(dilemma, dilemma_loss)}
print(f"{'schedule':<22} {'steps to 0.1':>12} {'last 500':>10} {'floor (1.7)':>12}")
for name, fn in dilemma.items():
    floor = f"{chapter01_floor(fn(0)):.2e}" if name.startswith("α =") else "—"
    hit = str(speed[name] or "never")
    print(f"{name:<22} {hit:>12} {final[name]:>10.2e} {floor:>12}")

# %% [markdown]
# The table is the dilemma in numbers, and the next cell asserts each part of it:
#
# * $\alpha = 0.1$ is **fast** but **imprecise**: it hovers at its floor (1.7);
# * $\alpha = 0.01$ is **precise** (a lower floor) but **slow**: at least six times the steps;
# * $\alpha = 0.19$ is slow *and* imprecise: the steep direction contracts by only
#   $|1 - 1.9| = 0.9$ per step, and its floor is multiplied by $1/(2 - \alpha\lambda) = 10$;
# * the decaying rate is as fast as $\alpha = 0.1$ and ends **below the floor of
#   $\alpha = 0.01$**, still going down.

# %%
assert speed["α = 0.1"] <= 30 and speed["α = 0.01"] >= 6 * speed["α = 0.1"]
assert speed["α = 0.19"] is None
for lr in (0.01, 0.1, 0.19):
    assert abs(final[f"α = {lr}"] / chapter01_floor(lr) - 1) < 0.1, "hovers at (1.7)"
decay = "α_t = 0.1/(1 + t/50)"
assert speed[decay] <= speed["α = 0.1"] + 5
assert dilemma_loss[3, -1] < 0.5 * chapter01_floor(0.01)
assert dilemma_loss[3, -1] < dilemma_loss[3, 1000], "still going down"
end = float(dilemma_loss[3, -1])
below = chapter01_floor(0.01) / end
print(f"decay ends at {end:.2e}, {below:.1f}x below the floor of α = 0.01")

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for (name, fn), row, color in zip(dilemma.items(), dilemma_loss, PALETTE):
    ax.plot(row, label=name, color=color, linewidth=1.2)
    if name.startswith("α ="):
        ax.axhline(chapter01_floor(fn(0)), color=color, linestyle="--", linewidth=0.8)
ax.set(xscale="log", yscale="log", xlabel="step",
       ylabel=r"mean $f(w_t) - f^\star$ (1,000 runs)",
       title="A constant rate is fast or precise (dashed: floor 1.7); a decay is both")
ax.legend()
plt.show()

# %% [markdown]
# Past the stability limit there is no floor at all. At $\alpha = 0.5$ the steep direction is
# multiplied by $1 - 5 = -4$ per step; the iterate overflows to infinity, then NaN, and a bare
# training loop carries on. The course's `optimize` checks every iterate with
# `course_utils.guards.check_finite` and stops with a `DivergenceError` naming step and rate.
# The step is predictable: the gradient $10\cdot 3\cdot 4^t$ passes float64's largest value when
# $t > \log_4(\text{max}/30)$.

# %%
from course_utils.guards import DivergenceError

try:
    optimize(Quadratic([1.0, 10.0]), [3.0, 3.0], lambda ps: SGD(ps, lr=0.5), steps=2000)
except DivergenceError as err:
    print(f"DivergenceError: {err}")
    blown_at = int(str(err).split("step ")[1].split(" ")[0])
predicted = math.log(torch.finfo(torch.float64).max / 30) / math.log(4)
print(f"overflow predicted after {predicted:.1f} steps; the guard stopped: {blown_at}")
assert abs(blown_at - predicted) < 2

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Mean and variance under a schedule
#
# The rate must be large early, to cover ground, and small late, to average the noise away.
# How fast may it shrink? Take one eigen-direction of (6.1) (drop the index $i$) and average
# over the noise. Since $\xi_t$ has mean 0, variance 1 and is independent of $w_t$, the mean
# $m_t = \mathbb E\,w_t$ and the variance $v_t = \operatorname{Var} w_t$ obey
#
# $$
# m_{t+1} = (1 - \alpha_t\lambda)\,m_t, \qquad
# v_{t+1} = (1 - \alpha_t\lambda)^2\,v_t + \alpha_t^2\sigma^2. \tag{6.2}
# $$
#
# With a constant $\alpha$ the second recursion settles at $\mathrm{Var}_\infty$ of (1.7), the
# variance behind the floor. (6.2) is exact, not an approximation: the next cell tracks the sample mean and variance of 10,000 runs
# of (6.1) under the decaying rate of section 1 ($\lambda = 1$) and compares them with (6.2).

# %%
def moments(lrs, lam, sigma=1.0, w0=3.0):
    """Iterate (6.2): mean and variance of w_t along one eigen-direction, t = 0..T."""
    m, v = [w0], [0.0]
    for a in lrs:
        m.append((1 - a * lam) * m[-1])                                     # (6.2)
        v.append((1 - a * lam) ** 2 * v[-1] + a**2 * sigma**2)              # (6.2)
    return torch.tensor(m, **f64), torch.tensor(v, **f64)


def sample_moments(lrs, lam, runs, sigma=1.0, w0=3.0, seed=1):
    """Sample mean and variance of `runs` runs of (6.1) on one direction, t = 0..T."""
    gen = torch.Generator().manual_seed(seed)
    w, m, v = torch.full((runs,), w0, **f64), [w0], [0.0]
    for a in lrs:
        noise = torch.randn(runs, generator=gen, **f64)
        w = w - a * (lam * w + sigma * noise)                               # (6.1)
        m.append(float(w.mean()))
        v.append(float(w.var()))
    return torch.tensor(m, **f64), torch.tensor(v, **f64)


decay_lrs = schedule_table({"decay": dilemma[decay]}, STEPS)[0].tolist()
m_exact, v_exact = moments(decay_lrs, lam=1.0)
m_seen, v_seen = sample_moments(decay_lrs, lam=1.0, runs=10_000)
z_mean = (m_seen - m_exact)[1:] / (v_exact[1:] / 10_000).sqrt()   # in standard errors
z_var = (v_seen / v_exact - 1)[1:] / math.sqrt(2 / 10_000)
for t in (10, 100, STEPS):
    print(f"step {t:>4}: mean {float(m_seen[t]):+.4f} (6.2: {float(m_exact[t]):+.4f}), "
          f"variance {float(v_seen[t]):.5f} (6.2: {float(v_exact[t]):.5f})")
z_max = float(z_mean.abs().max()), float(z_var.abs().max())
print(f"largest gap over all {STEPS} steps, in standard errors: "
      f"{z_max[0]:.1f} (mean), {z_max[1]:.1f} (variance)")
assert max(z_max) < 5

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, seen, exact, what in ((left, m_seen, m_exact, "mean $m_t$"),
                              (right, v_seen, v_exact, "variance $v_t$")):
    steps = range(1, STEPS + 1)
    ax.plot(steps, seen[1:], color=GREY, linewidth=3, label="10,000 runs of (6.1)")
    ax.plot(steps, exact[1:], color=VERMILLION, linestyle="--", label="(6.2)")
    ax.set(xscale="log", xlabel="step", title=what)
right.set_yscale("log")             # the sample mean crosses zero: linear y on the left
left.legend()
fig.suptitle(r"(6.2) is exact: the mean shrinks by $(1-\alpha_t\lambda)$, "
             r"the variance gains $\alpha_t^2\sigma^2$ per step")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Why decay works, and when it stalls: Robbins–Monro
#
# (6.2) separates two jobs a schedule must do:
#
# * **the mean must reach the minimum:** $m_T = m_0\prod_{t<T}(1 - \alpha_t\lambda)$, and a product
#   of factors $1 - a_t$ tends to 0 only if $\sum a_t = \infty$;
# * **the variance must die out:** each step injects $\alpha_t^2\sigma^2$ of fresh variance, and
#   the total injected stays finite only if $\sum \alpha_t^2 < \infty$.
#
# These are the two conditions of Robbins and Monro (1951):
#
# $$
# \sum_{t=0}^{\infty}\alpha_t = \infty, \qquad \sum_{t=0}^{\infty}\alpha_t^2 < \infty. \tag{6.3}
# $$
#
# Together they are sufficient for SGD to converge on this problem. The first fails in a way
# we can measure. Since $\ln(1 - a) \ge -a/(1 - a)$ for $0 \le a < 1$, when every
# $\alpha_t\lambda \le \alpha_0\lambda < 1$,
#
# $$
# m_T = m_0\prod_{t<T}(1 - \alpha_t\lambda) \;\ge\;
# m_0\,\exp\!\Bigl(-\frac{\lambda}{1 - \alpha_0\lambda}\sum_{t<T}\alpha_t\Bigr), \tag{6.4}
# $$
#
# so a schedule with a finite $\sum\alpha_t$ leaves the mean stranded at a finite distance from
# the minimum however long it runs: it has **stalled**. The usual test family is the inverse
# power law (torch has no class for it; `LambdaLR(opt, lambda e: (1 + e / t0) ** -p)` is it):
#
# $$
# \alpha_t = \frac{\alpha_0}{(1 + t/t_0)^{p}}, \qquad \sum\alpha_t = \infty \iff p \le 1,
# \qquad \sum\alpha_t^2 < \infty \iff p > \tfrac12, \tag{6.5}
# $$
#
# which meets both conditions exactly for $\tfrac12 < p \le 1$ (compare with $\int^\infty
# x^{-p}dx$). The experiment: one direction, $\lambda = 1$, start far away at $w_0 = 10$,
# 10,000 steps, 400 runs per schedule: a constant rate, an exponential decay $\alpha_t = \alpha_0\gamma^t$
# ((7.4) in chapter 07) with $\gamma = 0.98$, and (6.5) with $p = 1.5$, $1$ and $0.75$. First their two budgets:

# %%
RM_STEPS, a0, t0 = 10_000, 0.1, 10
rm = {"constant": lambda t: a0,
      "exponential, γ = 0.98": partial(exponential_lr, base_lr=a0, gamma=0.98),
      "(6.5) p = 1.5": lambda t: a0 / (1 + t / t0) ** 1.5,
      "(6.5) p = 1": lambda t: a0 / (1 + t / t0),
      "(6.5) p = 0.75": lambda t: a0 / (1 + t / t0) ** 0.75}
rm_lrs = schedule_table(rm, RM_STEPS)
sums, squares = rm_lrs.cumsum(1), (rm_lrs**2).cumsum(1)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for name, s, q in zip(rm, sums, squares):
    left.plot(range(1, RM_STEPS + 1), s, label=name)
    right.plot(range(1, RM_STEPS + 1), q, label=name)
left.set(xscale="log", yscale="log", xlabel="step T",
         title=r"$\sum_{t<T}\alpha_t$: must grow")
right.set(xscale="log", yscale="log", xlabel="step T",
          title=r"$\sum_{t<T}\alpha_t^2$: must level off")
left.legend(fontsize=8)
plt.show()
growth = sums[:, -1] / sums[:, 999]                  # Σα over 10,000 steps / over 1,000
print("Σα grows from step 1e3 to 1e4 by", [f"{float(g):.2f}x" for g in growth])
assert all(growth[[1, 2]] < 1.1) and all(growth[[0, 3, 4]] > 1.3)

# %% [markdown]
# The exponential and $p = 1.5$ spend their whole $\sum\alpha_t$ early; the others keep adding
# to it, but the constant rate also keeps adding variance (right). Now the losses:

# %%
rm_loss, rm_w = sgd_runs(rm_lrs, curvatures=(1.0,), w0=10.0, runs=400, seed=2)


def window(row, t, width=100):
    """Mean of a loss curve over the `width` steps up to t (one step alone is noisy)."""
    return float(row[t - width + 1:t + 1].mean())


print("losses averaged over the 100 steps up to step 1e3 and step 1e4")
print(f"{'schedule':<22} {'Σα':>6} {'Σα²':>6} {'@ 1e3':>9} {'@ 1e4':>9} {'ratio':>6}")
for i, name in enumerate(rm):
    early, late = window(rm_loss[i], 1000), window(rm_loss[i], 10_000)
    print(f"{name:<22} {float(sums[i, -1]):>6.3g} {float(squares[i, -1]):>6.3g} "
          f"{early:>9.2e} {late:>9.2e} {late / early:>6.2f}")

# %% [markdown]
# Three verdicts, each asserted below:
#
# * **constant: hovers** on its floor (1.7), not moving between step $10^3$ and $10^4$.
# * **exponential and $p = 1.5$: stall.** Their sums converge, $\sum_{t\ge0}\alpha_t =
#   \alpha_0/(1-\gamma)$ and $\sum_{t\ge0}\alpha_t \le \alpha_0 + \alpha_0 t_0/(p-1)$ (first term plus the
#   integral of the rest), so by (6.4) the mean can *never* come closer to the minimum than a
#   bound the next cell prints, and the loss never below half its square. The measured means sit
#   on the exact product of (6.2), above the bounds.
# * **$p = 1$ and $p = 0.75$: converge.** Both conditions hold; the loss keeps falling, by more
#   than 3× from step $10^3$ to $10^4$, and ends more than 10× below the stalled schedules.

# %%
names = list(rm)
ratio = [window(row, 10_000) / window(row, 1000) for row in rm_loss]
floor_1 = chapter01_floor(a0, (1.0,))
assert abs(ratio[0] - 1) < 0.1
assert abs(float(rm_loss[0, 1000:].mean()) / floor_1 - 1) < 0.05
sum_forever = {1: a0 / (1 - 0.98), 2: a0 + a0 * t0 / (1.5 - 1)}     # Σα over all t ≥ 0
for i, total in sum_forever.items():                                 # stalled: Σα < ∞
    bound = 10 * math.exp(-total / (1 - a0))                           # (6.4), T → ∞
    exact = float(moments(rm_lrs[i].tolist(), lam=1.0, w0=10.0)[0][-1])          # (6.2)
    mean = float(rm_w[i, :, 0].mean())
    print(f"{names[i]:<22} Σα ≤ {total:.2f}: mean iterate {mean:.4f} ≈ exact product "
          f"{exact:.4f} ≥ bound forever (6.4) {bound:.4f}")
    assert exact >= bound and abs(mean - exact) < 4 * float(rm_w[i, :, 0].std()) / 20
    assert bool((rm_loss[i] >= 0.5 * bound**2).all()), "never below ½ bound²"
assert ratio[1] > 0.9, "the exponential has stopped moving"
stalled_end = min(window(rm_loss[j], 10_000) for j in (1, 2))
for i in (3, 4):                                                 # Robbins–Monro holds
    assert ratio[i] < 1 / 3 and window(rm_loss[i], 10_000) < stalled_end / 10

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name, row in zip(rm, rm_loss):
    ax.plot(range(1, RM_STEPS + 2), row, label=name, linewidth=1.2)
ax.axhline(floor_1, color=GREY, linestyle="--", linewidth=0.8)
ax.set(xscale="log", yscale="log", xlabel="step", ylabel="mean excess loss (400 runs)",
       title="Σα < ∞ stalls, a constant rate hovers, ½ < p ≤ 1 keeps converging")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Two caveats. (6.3) is *sufficient*, not necessary: $p = 0.5$ breaks $\sum\alpha_t^2 < \infty$
# and still converges here, more slowly (exercise 1). And (6.3) is about $t \to \infty$, while
# a real run has a budget of $T$ steps: cosine or linear decay to zero at $T$ (chapter 07) never
# need $\sum\alpha_t = \infty$, only enough of it before they land. The exponential stalls here
# because $\gamma = 0.98$ *per step* spends its whole $\sum\alpha_t$ in a few hundred steps —
# what a per-epoch $\gamma$ stepped once per batch does (chapter 07's pitfalls).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The $1/t$ trap: both conditions met, and still crawling
#
# Meeting (6.3) says nothing about speed. Write $p = 1$ as $\alpha_t = \theta/(t_0 + t)$, with
# $\theta = \alpha_0 t_0$. The mean obeys $m_T = m_0\prod_t\bigl(1 - \theta\lambda/(t_0 + t)\bigr)
# \approx m_0\,(t_0/T)^{\theta\lambda}$, so the squared mean falls like $T^{-2\theta\lambda}$; the
# variance falls like $1/T$ only when $2\theta\lambda > 1$. If the constant is too small the
# loss crawls like $T^{-2\theta\lambda}$. Nemirovski, Juditsky, Lan & Shapiro (2009) make the
# point with $f(x) = x^2/10$ and $\alpha_t = 1/t$, that is $\theta\lambda = 0.2$. Bottou, Curtis &
# Nocedal (2018, Theorem 4.7) prove an $O(1/T)$ gap for exactly this family on strongly convex
# objectives, with a condition on the constant that (6.3) lacks — for unbiased gradients on our
# quadratic, $\theta\lambda_{\min} > 1$. The products (6.2) can be evaluated exactly, with
# cumulative products, for a million steps:

# %%
def exact_loss(lrs, lam=1.0, sigma=1.0, w0=10.0):
    """E f(w_t) − f* = ½λ(m_t² + v_t) of (6.2) for t = 1..T, with cumprod and cumsum."""
    shrink = torch.cumprod(1 - lrs * lam, dim=0)                  # Π_{s≤t}(1 − α_s λ)
    m = w0 * shrink                                                   # (6.2), mean
    v = shrink**2 * torch.cumsum(lrs**2 * sigma**2 / shrink**2, dim=0)   # (6.2), var
    return 0.5 * lam * (m**2 + v)


T_TRAP = 1_000_000
t_axis = torch.arange(T_TRAP, **f64)
thetas = (0.1, 0.2, 1.0, 2.0)                                         # θλ, with λ = 1
trap = {th: exact_loss(th / (t0 + t_axis)) for th in thetas}
m_loop, v_loop = moments([0.2 / (t0 + t) for t in range(2000)], lam=1.0, w0=10.0)
loop_loss = 0.5 * (m_loop**2 + v_loop)[1:]                   # the loop of (6.2) agrees
torch.testing.assert_close(trap[0.2][:2000], loop_loss, rtol=1e-9, atol=0)
slopes = {}
for th, loss in trap.items():
    slopes[th] = math.log(loss[-1] / loss[99_999]) / math.log(10)   # log-log, 1e5 → 1e6
    print(f"θλ = {th:<4}: loss {float(loss[9_999]):.2e} at 1e4, "
          f"{float(loss[-1]):.2e} at 1e6; slope {slopes[th]:+.2f} "
          f"(predicted {-min(1, 2 * th):+.1f})")
    assert abs(slopes[th] + min(1, 2 * th)) < 0.06
mean_left = (t0 / (t0 + T_TRAP)) ** 0.1
print(f"θλ = 0.1: after a million steps the mean keeps {mean_left:.2f} of its start")

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for th, loss in trap.items():
    ax.plot(t_axis[99::100] + 1, loss[99::100],
            label=f"θλ = {th}  (slope {slopes[th]:+.2f})")
ax.plot(t_axis[99::100] + 1, 1 / (t_axis[99::100] + 1), color=GREY, linestyle="--",
        label="1/T")
ax.set(xscale="log", yscale="log", xlabel="step T", ylabel="E f − f* by (6.2)",
       title=r"$\alpha_t = \theta/(t_0+t)$ meets (6.3) for every θ; "
             r"only $2\theta\lambda > 1$ gives 1/T")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The $p = 1$ schedule of section 3 has $\theta\lambda = \alpha_0 t_0 = 1$, on the good side. On a
# network $\lambda_{\min}$ is unknown: one reason practice holds a large rate, then drops it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. "×0.1 every 30 epochs": where the classic recipe comes from
#
# The step decay owes its fame to ImageNet:
#
# * **Krizhevsky, Sutskever & Hinton (2012)**, AlexNet: rate 0.01, "divide the learning rate
#   by 10 when the validation error rate stopped improving", three times over roughly 90 epochs.
# * **He, Zhang, Ren & Sun (2016)**, ResNet: ImageNet from 0.1, "divided by 10 when the error
#   plateaus"; CIFAR-10 from 0.1, divided by 10 at 32k and 48k iterations, stopping at 64k.
# * **The fixed calendar** is older than both: Caffe's solver (Jia et al. 2014) offered
#   `lr_policy: "step"` with `gamma: 0.1`, a ÷10 every `stepsize` iterations.
#
# The ResNet reproductions kept that calendar: `fb.resnet.torch` (Gross & Wilber 2016) multiplies
# the rate by $0.1^{\lfloor (\text{epoch}-1)/30 \rfloor}$ over 90 epochs, and the PyTorch ImageNet example
# by $0.1^{\lfloor \text{epoch}/30 \rfloor}$ — `StepLR(optimizer, step_size=30, gamma=0.1)`, (7.2).
# Goyal et al. (2017) drop at epochs 30, 60 and 80 of 90. So the original rule was *adaptive*,
# drop when the error plateaus (chapter 09 builds it as `ReduceLROnPlateau`), and "every 30
# epochs" is that rule frozen once people knew when ImageNet plateaued.
#
# On the noisy quadratic a plateau is the floor of the current rate, and (1.7) says what a drop
# buys: a floor about 10 times lower (more when $\alpha\lambda$ is not small, through the
# $2 - \alpha\lambda$ of (1.7)).
# Getting there takes time: by (6.2) the excess variance contracts by $(1 - \alpha\lambda)^2$ per
# step at the *new* rate. The next cell measures both, with stages of 3,000 steps, beside (6.2).

# %%
STAGE, RATES = 3000, (0.1, 0.01, 0.001)
stair_lrs = [step_lr(t, base_lr=0.1, step_size=STAGE, gamma=0.1)
             for t in range(3 * STAGE)]
stair_loss = sgd_runs(torch.tensor([stair_lrs], **f64), runs=1000, seed=3)[0][0]
stair_exact = sum(0.5 * lam * (m**2 + v)                        # (6.2), both directions
                  for lam in (1.0, 10.0) for m, v in [moments(stair_lrs, lam)])
floors, settle = [], {}
for k, lr in enumerate(RATES):
    floors.append(float(stair_loss[(k + 1) * STAGE - 500:(k + 1) * STAGE].mean()))
    print(f"stage {k + 1}: α = {lr:<6} floor measured {floors[k]:.3e}, "
          f"(1.7) {chapter01_floor(lr):.3e}")
    assert abs(floors[k] / chapter01_floor(lr) - 1) < 0.1
    if k:                          # steps after the drop to within 1.5x the new floor
        level = 1.5 * chapter01_floor(lr)
        settle[k] = [first_below(curve[k * STAGE:], level)
                     for curve in (stair_loss, stair_exact)]
        print(f"  settled after {settle[k][0]} steps ((6.2) predicts {settle[k][1]})")
        assert abs(settle[k][0] / settle[k][1] - 1) < 0.1
drops = [floors[k] / floors[k + 1] for k in range(2)]
by_17 = [chapter01_floor(lr) / chapter01_floor(lr / 10) for lr in RATES[:2]]
print("each ÷10 divides the floor by", [f"{d:.1f}" for d in drops],
      "; (1.7) says", [f"{r:.1f}" for r in by_17])
assert all(abs(d / r - 1) < 0.05 for d, r in zip(drops, by_17))
assert 7 < settle[2][0] / settle[1][0] < 13, "settling time ∝ 1/α"

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(stair_loss, linewidth=3, color=GREY, label="1,000 runs of (6.1)")
ax.plot(stair_exact, linewidth=1, color=PALETTE[0], label="(6.2)")
for k, lr in enumerate(RATES):
    ax.hlines(chapter01_floor(lr), k * STAGE, (k + 1) * STAGE, color=VERMILLION,
              linestyle="--")
    if k:
        ax.axvline(k * STAGE + settle[k][0], color=VERMILLION, linewidth=0.8,
                   linestyle=":")
ax.set(yscale="log", xlabel="step", ylabel="mean excess loss",
       title=f"StepLR: each ÷10 buys a lower floor (dashed), reached {settle[1][0]} "
             f"and {settle[2][0]} steps after the drop (dotted)")
ax.legend()
plt.show()

# %% [markdown]
# The familiar ImageNet staircase, and the drop is not immediate: the smaller the new rate,
# the longer the descent, ten times longer after the second drop than after the first. Recipes
# nonetheless often make later stages *shorter* (Goyal et al.: 30, 30, 20 and 10 epochs; ResNet
# on CIFAR-10: 32k, 16k and 16k iterations): a stage need only last until the loss that matters
# stops improving. Here, a last stage shorter than its settling time would stop above its floor.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **Dropping before the plateau.** A drop pays off only after $\sim 1/(2\alpha\lambda_{\min})$
#   steps at the new rate (section 5).
# * **A $1/t$ schedule with too small a constant** meets (6.3) and crawls (section 4).
# * **A decay that spends its budget early** (exponential, $p > 1$, a per-epoch $\gamma$ stepped
#   per batch) stalls within (6.4).
# * **Trusting a NaN to stop itself.** Past $2/L$ the run blows up silently; guard every loop
#   (`course_utils.guards.check_finite`), as `optimize` does.

# %% [markdown]
# ## Summary
#
# 1. A constant rate is fast (large $\alpha$) or precise (small $\alpha$); a decaying rate is
#    both. Past $2/L$ it diverges, and the guard names the step.
# 2. Mean and variance obey (6.2) exactly: the mean shrinks by $1 - \alpha_t\lambda$ per step,
#    the variance gains $\alpha_t^2\sigma^2$.
# 3. Robbins–Monro (6.3): $\sum\alpha_t = \infty$ reaches the minimum, $\sum\alpha_t^2 < \infty$
#    kills the noise. A finite $\sum\alpha_t$ stalls within (6.4); a constant rate hovers.
# 4. (6.3) is not a speed: $\theta/(t_0 + t)$ reaches $1/T$ only if $2\theta\lambda > 1$.
# 5. "×0.1 every 30 epochs" is "divide by 10 at the plateau" frozen into a calendar; each drop
#    lowers the floor about tenfold, after a settling time $\propto 1/\alpha$.

# %% [markdown]
# ## Exercises
#
# **1.** $p = \tfrac12$ in (6.5) violates $\sum\alpha_t^2 < \infty$. Evaluate it with (6.2)
# (`exact_loss`) in the setting of section 3: does it still converge? Faster or slower than
# $p = 0.75$?

# %% tags=["solution"]
power = {p: exact_loss(a0 / (1 + t_axis[:RM_STEPS] / t0) ** p) for p in (0.5, 0.75)}
for p, loss in power.items():
    print(f"p = {p}: loss {float(loss[999]):.2e} at 1e3, {float(loss[-1]):.2e} at 1e4")
assert power[0.5][-1] < power[0.5][999] / 2, "converging: (6.3) is only sufficient"
assert power[0.5][-1] > power[0.75][-1], "but more slowly: its variance tracks α_t"
# The variance injected, α_t²σ², is still damped by the factor (1 − α_t λ)² of (6.2).

# %% [markdown]
# **2.** Polyak–Ruppert averaging beats the floor without touching the rate: keep $\alpha = 0.1$
# constant and report the excess loss of the *average* of the iterates of the last 1,000 of
# 2,000 steps. Compare with the floor (1.7).

# %% tags=["solution"]
gen = torch.Generator().manual_seed(4)
lam = torch.tensor([1.0, 10.0], **f64)
w, running = torch.full((1000, 2), 3.0, **f64), torch.zeros(1000, 2, **f64)
for t in range(2000):
    w = w - 0.1 * (lam * w + torch.randn(w.shape, generator=gen, **f64))    # (6.1)
    if t >= 1000:
        running += w / 1000
averaged = float(0.5 * (lam * running**2).sum(-1).mean())
print(f"averaged iterate: {averaged:.2e}; floor of α = 0.1: {chapter01_floor(0.1):.2e}")
assert averaged < chapter01_floor(0.1) / 20

# %% [markdown]
# **3.** For $\alpha_t = \theta/(t_0 + t)$ on one direction with $\lambda = 1$, which $\theta$ gives
# the lowest loss after $10^5$ steps? Predict it from the variance of (6.2) for large $T$,
# $v_T \approx \theta^2\sigma^2/\bigl((2\theta\lambda - 1)\,T\bigr)$, and check with `exact_loss`.

# %% tags=["solution"]
grid = torch.linspace(0.55, 4.0, 70, **f64)
after = torch.stack([exact_loss(th / (t0 + t_axis[:100_000]))[-1] for th in grid])
best = float(grid[after.argmin()])
print(f"best θλ on the grid: {best:.2f}; θ²/(2θ − 1) is smallest at θλ = 1")
assert 0.8 < best < 1.25
# Too small a constant crawls (section 4); too large pays θ²/(2θλ − 1) in noise.

# %% [markdown]
# ## References
#
# * H. Robbins and S. Monro, *A stochastic approximation method*, Annals of Mathematical
#   Statistics 22(3), 1951 — conditions (6.3).
# * L. Bottou, F. E. Curtis and J. Nocedal, *Optimization methods for large-scale machine
#   learning*, SIAM Review 60(2), 2018 — §4: a fixed step converges to a neighbourhood
#   (Theorem 4.6); steps $\propto 1/(t_0 + t)$ with a large enough constant reach $O(1/T)$
#   (Theorem 4.7).
# * A. Nemirovski, A. Juditsky, G. Lan and A. Shapiro, *Robust stochastic approximation approach
#   to stochastic programming*, SIAM J. Optimization 19(4), 2009 — the $1/t$ step whose constant
#   is too small.
# * B. T. Polyak and A. B. Juditsky, *Acceleration of stochastic approximation by averaging*,
#   SIAM J. Control and Optimization 30(4), 1992 — exercise 2.
# * A. Krizhevsky, I. Sutskever and G. E. Hinton, *ImageNet classification with deep
#   convolutional neural networks*, NeurIPS 2012 — ÷10 at the plateau, about 90 epochs.
# * K. He, X. Zhang, S. Ren and J. Sun, *Deep residual learning for image recognition*, CVPR 2016
#   — ÷10 at the plateau (ImageNet), at 32k and 48k of 64k iterations (CIFAR-10).
# * Y. Jia et al., *Caffe: convolutional architecture for fast feature embedding*, ACM Multimedia
#   2014 — the solver's `lr_policy: "step"`.
# * S. Gross and M. Wilber, *Training and investigating residual nets*, 2016, and the
#   `facebookarchive/fb.resnet.torch` code (`train.lua`, `opts.lua`); `pytorch/examples`,
#   `imagenet/main.py` — the 30/60-epoch calendar over 90 epochs.
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017 — drops at
#   epochs 30, 60, 80.
# * A. Zhang, Z. C. Lipton, M. Li and A. J. Smola, *Dive into Deep Learning*, §12.4 "Stochastic
#   Gradient Descent" — the exponential-versus-polynomial experiment that section 3 turns into a
#   test of (6.3).
