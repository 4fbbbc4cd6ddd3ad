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
# # 02 · Momentum: the recurrence and what it does
#
# *One extra vector turns gradient descent into momentum: unroll it, measure which directions
# it speeds up and which it damps, and watch it at a saddle and in a double well.*
#
# **Prerequisites:** chapter 00 (notation); chapter 01 (gradient descent on a quadratic, the
# saddle, local minima).
# **Runtime:** about 15 seconds on a laptop CPU.
#
# **After this chapter you can**
# 1. unroll the momentum recurrence into a weighted sum of past gradients and compute its
#    effective step $\alpha/(1-\beta)$;
# 2. say, with measurements, which coordinates momentum speeds up and which it damps — and
#    when "momentum damps oscillations" is false;
# 3. bound how much momentum shortens the plateau at a saddle, and measure it;
# 4. map which $(\alpha, \beta)$ carry an iterate over a barrier into a deeper minimum, and
#    explain why momentum guarantees no such crossing.

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

device = setup(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The failing example: a long, narrow valley
#
# Take a two-dimensional quadratic whose curvatures differ a thousandfold:
#
# $$f(w) = \tfrac12\left(0.001\, w_1^2 + w_2^2\right), \qquad \mu = 0.001,\; L = 1,\; \kappa = L/\mu = 1000.$$
#
# Gradient descent multiplies each coordinate by $1 - \alpha\lambda_i$ per step, so the steep
# coordinate $w_2$ caps the step at $\alpha < 2/L = 2$ (chapter 01). At $\alpha = 1.9$ the steep
# coordinate flips sign every step ($1 - 1.9 = -0.9$) while the shallow one shrinks by only
# $1 - 0.0019$. Here is the course's `SGD` (chapter 04 proves it equal to `torch.optim.SGD`)
# with and without momentum $\beta = 0.9$, at the *same* $\alpha$:

# %%
from course_utils.objectives import Quadratic, optimize
from course_utils.optim import SGD

valley = Quadratic([0.001, 1.0])    # w1 shallow (λ = 0.001), w2 steep (λ = 1): κ = 1000
w0, lr = [-10.0, 1.0], 1.9           # lr just under gradient descent's limit 2/L = 2


def run(lr, momentum=0.0, steps=1400, objective=valley):
    """Iterates of the course's SGD on `objective` from w0: shape (steps + 1, 2)."""
    return optimize(objective, w0, lambda ps: SGD(ps, lr=lr, momentum=momentum), steps)


def steps_to(path, tol):
    """First step at which the distance to the minimum (the origin) is at most `tol`."""
    return int((path.norm(dim=1) <= tol).nonzero()[0])


gd, mom = run(lr), run(lr, momentum=0.9)
tol = 0.1 * float(gd[0].norm())
n_gd, n_mom = steps_to(gd, tol), steps_to(mom, tol)
print(f"steps to 10% of the starting distance: gradient descent {n_gd}, "
      f"momentum {n_mom} ({n_gd / n_mom:.1f}x fewer)")
assert n_gd >= 10 * n_mom

# %%
from course_utils.plotting import (BLUE, GREEN, GREY, ORANGE, SKY, VERMILLION, WHITE,
                                   plot_contours, plot_loss_curves, plot_trajectory)

zig = {name: int((path[:, 1].abs() >= 0.1).nonzero()[-1]) + 1   # |w2| below 10% after
       for name, path in (("gd", gd), ("mom", mom))}
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.8))
plot_contours(valley, (-11, 1), (-1.2, 1.2), levels=12, ax=ax0,
              minimizer=valley.minimizer)
plot_trajectory(gd[:120], ax=ax0, label="gradient descent", markersize=2)
plot_trajectory(mom[:120], ax=ax0, label="momentum β = 0.9", markersize=2)
ax0.set_title(f"First 120 steps: GD's zigzag is below 10% after {zig['gd']} steps, "
              f"momentum's after {zig['mom']}", fontsize=9)
ax0.legend(loc="lower right")
plot_loss_curves({"gradient descent": gd.norm(dim=1),
                  "momentum β = 0.9": mom.norm(dim=1)},
                 ax=ax1, ylabel=r"distance to the minimum $\|w_t - w^*\|$")
ax1.axhline(tol, color=GREY, lw=0.8, ls=":")
ax1.set_title(f"Same α = {lr}: momentum reaches 10% in {n_gd / n_mom:.0f}x fewer steps")
plt.show()

# %% [markdown]
# Look at the picture before the numbers. Gradient descent's zigzag across the valley dies
# *sooner* than momentum's; what sinks gradient descent is the crawl along the floor afterwards.
# Momentum keeps swinging across the valley for longer, yet travels along it an order of
# magnitude faster. The rest of the chapter explains both halves of that picture.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The recurrence, and what it sums
#
# Momentum keeps a running vector $z$ (the *velocity*, or *momentum buffer*) and steps along it
# instead of along the gradient:
#
# $$
# z_{t+1} = \beta z_t + \nabla f(w_t), \qquad w_{t+1} = w_t - \alpha z_{t+1}, \qquad z_0 = 0. \tag{2.1}
# $$
#
# Substitute the first equation into itself $t$ times. With $z_0 = 0$,
# $z_{t+1} = \nabla f(w_t) + \beta \nabla f(w_{t-1}) + \dots + \beta^t \nabla f(w_0)$, so
#
# $$
# w_{t+1} = w_t - \alpha \sum_{k=0}^{t} \beta^{\,t-k}\, \nabla f(w_k). \tag{2.2}
# $$
#
# Each step is a geometrically weighted sum of *every* gradient seen so far: the newest with
# weight 1, one step older with $\beta$, and so on. Nothing in (2.2) is approximate; the cell
# recomputes the momentum path above from its own gradients:

# %%
beta = 0.9
grads = valley.grad(mom[:-1])                            # ∇f(w_0), …, ∇f(w_{T−1})
for t in range(200):
    weights = beta ** torch.arange(t, -1, -1, dtype=torch.float64)  # β^{t−k}, k = 0 … t
    unrolled = mom[t] - lr * (weights[:, None] * grads[: t + 1]).sum(0)   # (2.2)
    assert torch.allclose(unrolled, mom[t + 1], rtol=1e-12, atol=1e-12), t
print("(2.2) reproduces the first 200 momentum iterates to 1e-12")

# %% [markdown]
# (2.1) is also short enough to run for a whole grid of $(\alpha, \beta)$ at once, which the
# rest of the chapter does; it is checked here against the course's `SGD`:

# %%
def momentum_runs(objective, w0, lr, beta, steps):
    """(2.1) for a grid of (α, β) at once: iterates of shape (steps + 1, *grid, dim)."""
    lr, beta = (torch.as_tensor(v, dtype=torch.float64) for v in (lr, beta))
    lr, beta = (v[..., None] for v in torch.broadcast_tensors(lr, beta))
    w = torch.as_tensor(w0, dtype=torch.float64).expand(*lr.shape[:-1], -1).clone()
    z, path = torch.zeros_like(w), [w]
    for _ in range(steps):
        z = beta * z + objective.grad(w)                            # (2.1)
        w = w - lr * z
        path.append(w)
    return torch.stack(path)


both = momentum_runs(valley, w0, lr, [0.0, 0.9], 1400)
torch.testing.assert_close(both[:, 0], gd, rtol=1e-12, atol=1e-14)
torch.testing.assert_close(both[:, 1], mom, rtol=1e-12, atol=1e-14)
print("momentum_runs equals the course's SGD on the valley to 1e-12, β = 0 and 0.9")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The effective step: $\alpha/(1-\beta)$
#
# Where the gradient does not change — a linear function $f(w) = c^\top w$, or a long flat
# stretch of a valley — (2.2) sums a geometric series. The step after $t+1$ gradients is
#
# $$
# w_t - w_{t+1} = \alpha \left(1 + \beta + \dots + \beta^{t}\right) c = \alpha\, \frac{1 - \beta^{t+1}}{1-\beta}\, c \;\longrightarrow\; \frac{\alpha}{1-\beta}\, c. \tag{2.3}
# $$
#
# So momentum $\beta = 0.9$ eventually moves ten times as far per step as gradient descent with
# the same $\alpha$; $\alpha/(1-\beta)$ is its *effective step size*, and $1/(1-\beta)$ the
# number of recent gradients the buffer effectively remembers. Measured with the course's `SGD`:

# %%
slope = torch.tensor([1.0, -2.0], dtype=torch.float64)    # f(w) = cᵀw: gradient c
w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
opt, taken = SGD([w], lr=0.1, momentum=0.9), []
for _ in range(100):
    before = w.detach().clone()
    w.grad = slope.clone()
    opt.step()
    taken.append((before - w.detach()) / slope)             # step length in units of c
taken = torch.stack(taken)[:, 0]
predicted = 0.1 * (1 - 0.9 ** torch.arange(1, 101, dtype=torch.float64)) / 0.1  # (2.3)
assert torch.allclose(taken, predicted, rtol=1e-12, atol=0.0)
print(f"step 1: {taken[0]:.3f}, step 10: {taken[9]:.3f}, step 100: {taken[99]:.5f};  "
      f"α/(1−β) = {0.1 / (1 - 0.9):.5f}")
assert abs(taken[99] - 0.1 / (1 - 0.9)) < 1e-4

# %% [markdown]
# The same sum shows what the buffer does to a gradient that *alternates*, $+1, -1, +1, \dots$:
# the series now has ratio $-\beta$, and
#
# $$
# |z_t| = \frac{1 - (-\beta)^{t}}{1+\beta} \longrightarrow \frac{1}{1+\beta}
# \qquad\text{versus}\qquad z_t = \frac{1 - \beta^{t}}{1-\beta} \longrightarrow \frac{1}{1-\beta}
# \text{ for a constant gradient.} \tag{2.4}
# $$
#
# Agreeing gradients are amplified, alternating ones shrunk. The buffers below come from the
# course's `SGD` fed each sequence:

# %%
def buffers(grads, beta):
    """The buffers z_1 … z_T that the course's SGD builds from g_0 … g_{T−1}."""
    p = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt, out = SGD([p], lr=0.0, momentum=beta), []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        out.append(opt.state[p]["momentum_buffer"].clone())
    return torch.stack(out)


t = torch.arange(1, 41, dtype=torch.float64)
constant = buffers(torch.ones(40, dtype=torch.float64), beta)
alternating = buffers((-1.0) ** (t - 1), beta)
assert torch.allclose(constant, (1 - beta**t) / (1 - beta), rtol=1e-12)        # (2.4)
assert torch.allclose(alternating.abs(), (1 - (-beta) ** t) / (1 + beta),
                      rtol=1e-12)                                             # (2.4)
contrast = float(constant[-1] / alternating[-1].abs())

fig, ax = plt.subplots(figsize=(7, 3.4))
ax.plot(t, constant, "o-", ms=3, color=BLUE, label="constant gradient +1")
ax.plot(t, alternating, "o-", ms=3, color=VERMILLION, label="alternating gradient ±1")
for level in (1 / (1 - beta), 1 / (1 + beta), -1 / (1 + beta)):
    ax.axhline(level, color=GREY, lw=0.8, ls=":")
ax.set(xlabel="step t", ylabel="buffer $z_t$")
ax.set_title(f"β = {beta}: after {len(t)} steps the constant gradient's buffer is "
             f"{contrast:.0f}x the alternating one's (dotted: (2.4))")
ax.legend()
plt.show()
print(f"after {len(t)} steps: constant → {constant[-1]:.3f}, alternating → "
      f"|z| = {alternating[-1].abs():.3f}; contrast {contrast:.1f} ≈ (1+β)/(1−β) = "
      f"{(1 + beta) / (1 - beta):.0f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which coordinates momentum speeds up, and which it damps
#
# The usual account, found in many tutorials, says momentum *speeds up coordinates whose
# gradients agree and damps those whose gradients alternate*. On the valley each coordinate is
# its own one-dimensional problem (the Hessian is diagonal), so both halves can be measured.
#
# **The shallow coordinate.** Its gradient changes slowly, so (2.3) predicts that momentum's
# step there, in units of gradient descent's step $\alpha\, \partial_1 f(w_t)$, climbs along
# $(1-\beta^{t+1})/(1-\beta)$ toward $1/(1-\beta) = 10$:

# %%
g1 = valley.grad(mom)[:, 0]
multiplier = (mom[:-1, 0] - mom[1:, 0]) / (lr * g1[:-1])   # momentum's step / GD's step
steps60 = torch.arange(1, 61, dtype=torch.float64)
partial_sums = (1 - beta**steps60) / (1 - beta)                        # (2.3)
ratio = multiplier[:60] / partial_sums
print("step multiplier at t = 0, 5, 20, 59: "
      + ", ".join(f"{multiplier[i]:.2f}" for i in (0, 5, 20, 59))
      + f"   (1/(1−β) = {1 / (1 - beta):.0f})")
assert torch.all((ratio[:18] >= 1 - 1e-12) & (ratio[:18] <= 1.1))  # tracks the sums
assert 1 / (1 - beta) <= multiplier[59] <= 1.3 / (1 - beta)      # settles near 1/(1−β)

# %% [markdown]
# Confirmed, with a refinement: the multiplier overshoots 10 (the last value printed), as the *older*
# gradients in the sum were larger than today's. The claim also needs the gradient to keep its
# sign over the $\sim 1/(1-\beta)$ steps the buffer remembers. On a milder valley
# ($\mu = 0.01$) that fails: the shallow coordinate overshoots the minimum, its gradient
# changes sign, and the buffer carries it past. (Chapter 03 derives where the boundary lies.)

# %%
steps_shown = 120
milder = momentum_runs(Quadratic([0.01, 1.0]), w0, lr, beta, steps_shown)[:, 0]
crossings = {name: int((x[1:].sign() != x[:-1].sign()).sum())
             for name, x in (("valley", mom[:, 0]), ("milder", milder))}
print(f"sign changes of the shallow coordinate: valley (μ = 0.001) "
      f"{crossings['valley']} in {len(mom) - 1} steps, milder valley (μ = 0.01) "
      f"{crossings['milder']} in {steps_shown}")
assert crossings["valley"] == 0 and crossings["milder"] >= 1

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.4))
ax0.plot(multiplier[:60], "o", ms=3, color=GREEN, label="measured on the valley")
ax0.plot(partial_sums, color=GREY, label=r"$(1-\beta^{t+1})/(1-\beta)$  (2.3)")
ax0.set(xlabel="step t", ylabel="momentum's step / GD's step")
ax0.set_title(f"Shallow coordinate: the step grows to {multiplier[59]:.1f}x GD's",
              fontsize=10)
ax0.legend()
ax1.plot(mom[: steps_shown + 1, 0], color=GREEN, label="valley, μ = 0.001")
ax1.plot(milder, color=VERMILLION, label="milder valley, μ = 0.01")
ax1.axhline(0, color=GREY, lw=0.8)
ax1.set(xlabel="step t", ylabel="shallow coordinate $w_1$")
ax1.set_title(f"β = {beta}: the milder valley's $w_1$ overshoots 0 "
              f"({crossings['milder']} crossings)", fontsize=10)
ax1.legend()
plt.show()

# %% [markdown]
# **The steep coordinate.** (2.4) says the buffer shrinks an alternating gradient. Does the
# steep coordinate's *oscillation* therefore die faster than under gradient descent? The first
# figure already said no at $\alpha = 1.9$. Measure the per-step contraction of its amplitude
# across all step sizes $0 < \alpha L < 4.2$, for three momenta:

# %%
steep = Quadratic([1.0])                       # the steep coordinate alone: λ = L = 1
aL = torch.linspace(0.0125, 4.1875, 168, dtype=torch.float64)
betas = torch.tensor([0.0, 0.5, 0.9], dtype=torch.float64)
x = momentum_runs(steep, [1.0], aL[:, None], betas, 120)[..., 0]
amplitude = torch.hypot(x[1:], x[:-1])                    # size of (x_t, x_{t−1})
rate = (amplitude[119] / amplitude[19]) ** (1 / 100)      # per step, steps 20 … 120
gd_rate = (1 - aL).abs()
assert torch.allclose(rate[:, 0], gd_rate, rtol=1e-9)      # GD: exactly |1 − αL|
slower = rate[:, 2] > gd_rate
band = (aL > 0.3) & (aL < 3.5)
plateau = rate[band, 2]
print(f"β = 0.9 is slower than GD for {aL[slower].min():.2f} ≤ αL ≤ "
      f"{aL[slower].max():.2f}, faster outside; for 0.3 < αL < 3.5 its rate stays in "
      f"[{plateau.min():.3f}, {plateau.max():.3f}]; it converges up to "
      f"αL = {aL[rate[:, 2] < 1].max():.2f}")
assert plateau.max() - plateau.min() < 0.02
inside = slower.nonzero()[:, 0]
assert bool((inside.diff() == 1).all()) and not slower[0]   # one interval, faster outside
assert abs(plateau.median() - beta**0.5) < 0.005          # chapter 03: the level is √β
assert not slower[aL > 2].any() and (rate[(aL > 2) & (aL < 3.7), 2] < 1).all()

# %%
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.6))
ax0.semilogy(gd[:121, 1].abs(), color=BLUE, label="gradient descent")
ax0.semilogy(mom[:121, 1].abs(), color=VERMILLION, label="momentum β = 0.9")
ax0.axhline(0.1, color=GREY, lw=0.8, ls=":")
ax0.set(xlabel="step t", ylabel=r"steep coordinate $|w_{2,t}|$")
ax0.set_title(f"α = {lr}: below 10% after {zig['gd']} steps (GD) and {zig['mom']} "
              "(momentum)", fontsize=10)
ax0.legend()
for k, color in enumerate((BLUE, GREEN, VERMILLION)):
    ax1.plot(aL, rate[:, k], color=color, label=f"β = {betas[k]:g}")
ax1.axhline(1, color=GREY, lw=0.8)
ax1.set_ylim(0, 1.5)
ax1.set(xlabel=r"step size $\alpha L$", ylabel="measured contraction per step")
ax1.set_title("Steep coordinate: lower is faster damping", fontsize=10)
ax1.legend()
plt.show()

# %% [markdown]
# The claim holds only in part, and the right panel says where:
#
# * beyond gradient descent's limit ($\alpha L > 2$, where its oscillation *grows*) momentum
#   still converges — up to $\alpha L < 2 + 2\beta$, as chapter 03 proves;
# * near $\alpha L = 0$ or $2$, where gradient descent barely contracts, momentum damps faster;
# * in between, across the wide flat stretch, every momentum curve sits at a level set by
#   $\beta$ alone (measured above; chapter 03 shows it is $\sqrt\beta$), *slower* than gradient
#   descent wherever $|1-\alpha L|$ is smaller.
#
# So the buffer does shrink alternating gradients (2.4), but the oscillation it leaves behind
# lives longer. Momentum's gain on the valley is the shallow direction; on the steep one it
# trades damping for the freedom to take larger steps.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## At a saddle: a shorter plateau
#
# Chapter 01 started gradient descent on `Saddle`, $f(x,y) = \tfrac12 x^2 - \tfrac12 y^2 +
# \tfrac14 y^4$, at $(1, 10^{-6})$ and watched it idle on a plateau while the tiny $y$ grew by
# $1+\alpha$ per step. Near the saddle $\partial_y f \approx -y$, and (2.1) with
# $-\alpha z_t = y_t - y_{t-1}$ gives
#
# $$
# y_{t+1} = (1+\alpha)\,y_t + \beta\,(y_t - y_{t-1}). \tag{2.5}
# $$
#
# Momentum adds $\beta$ times the last displacement, which points the same way while $y$ grows.
# If $y$ grows by a factor $r$ per step, then $y_t - y_{t-1} = (1 - 1/r)\,y_t$, and (2.5) reads
# $r - 1 = \alpha + \beta\,(r-1)/r$. For $r > 1$ and $0 \le \beta < 1$ the last term is
# positive, below $\beta\,(r-1)$ and below $(r-1)/r$, which bounds $r$:
#
# $$
# 1 + \alpha \;<\; r \;<\; 1 + \frac{\alpha}{1-\beta}, \qquad (r-1)^2 < \alpha\, r \ \text{ for every } \beta < 1. \tag{2.6}
# $$
#
# Momentum escapes faster than gradient descent, but never faster than gradient descent with the
# effective step (2.3) would, and no $\beta$, however close to 1, passes the ceiling
# $(r-1)^2 = \alpha r$: roughly $1 + \sqrt\alpha$ against gradient descent's $1 + \alpha$. Measured,
# for $\alpha = 0.1$, with "left the plateau" meaning $|y| > 0.5$ and "settled" meaning
# $f - f^\star < 10^{-8}$ from then on:

# %%
from course_utils.objectives import Saddle

saddle, a_s = Saddle(), 0.1
saddle_betas = torch.tensor([0.0, 0.5, 0.8, 0.9, 0.95, 0.99], dtype=torch.float64)
paths = momentum_runs(saddle, [1.0, 1e-6], a_s, saddle_betas, 2500)
y, gap = paths[..., 1].abs(), saddle(paths) + 0.25
r_ceiling = 1 + a_s / 2 + math.sqrt(a_s + a_s**2 / 4)         # (r − 1)² = α r
leave, settle = [], []
print(" β     left   settled   r measured   bounds (2.6)")
for k, b in enumerate(saddle_betas.tolist()):
    leave.append(int((y[:, k] > 0.5).nonzero()[0]))
    settle.append(int((gap[:, k] >= 1e-8).nonzero()[-1]) + 1)
    half = leave[-1] // 2                                  # r on the plateau, |y| ≪ 1
    r = float((y[half, k] / y[5, k]) ** (1 / (half - 5)))
    upper = min(1 + a_s / (1 - b), r_ceiling)
    print(f"{b:<5} {leave[-1]:>5} {settle[-1]:>8}   {r:>9.4f}    "
          f"({1 + a_s:.3f}, {upper:.4f})")
    assert (b == 0 and abs(r - 1 - a_s) < 1e-6) or 1 + a_s < r < upper
assert all(l1 > l2 for l1, l2 in zip(leave, leave[1:]))      # more β, shorter plateau
assert leave[0] > 2.5 * leave[3] and leave[-1] >= math.log(0.5e6) / math.log(r_ceiling)
assert min(settle) < settle[0] < settle[-1]                  # leaving is not arriving
print(f"β = 0.9 leaves {leave[0] / leave[3]:.1f}x sooner than GD; "
      f"the fastest β to settle is {saddle_betas[settle.index(min(settle))]:g}")

# %%
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.6))
shown = (0, 1, 3, 5)
colors = (BLUE, GREEN, VERMILLION, GREY)
for k, color in zip(shown, colors):
    label = f"β = {saddle_betas[k]:g}"
    ax0.semilogy(y[:250, k], color=color, label=label)
    ax1.semilogy(gap[:2500, k] + 1e-17, color=color, label=label)
ax0.axhline(0.5, color=GREY, lw=0.8, ls=":")
ax0.set(xlabel="step t", ylabel=r"$|y_t|$")
ax0.set_title(f"Leaving the plateau: {leave[0]} steps (GD), {leave[3]} (β = 0.9), "
              f"{leave[5]} (β = 0.99)", fontsize=10)
ax0.legend()
ax1.axhline(1e-8, color=GREY, lw=0.8, ls=":")
ax1.set_ylim(1e-12, 1)
ax1.set(xlabel="step t", ylabel=r"$f(w_t) - f^\star$")
ax1.set_title(f"Settling: {settle[0]} (GD), {settle[1]} (β = 0.5), "
              f"{settle[5]} (β = 0.99)", fontsize=10)
ax1.legend()
plt.show()

# %% [markdown]
# Momentum does shorten the plateau, and more $\beta$ shortens it more — but with sharply
# diminishing returns, as (2.6) predicts: on the plateau the gradient keeps growing, so the
# buffer, which remembers older and *smaller* gradients, never reaches the full factor
# $1/(1-\beta)$. And leaving is not arriving: past the saddle the same large $\beta$ makes the
# iterate swing around the minimum for hundreds of steps, the steep-coordinate effect of the
# previous section. A moderate $\beta$ settles first.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## In a double well: over the barrier, or not
#
# A double well from `LocalMinima1D`: $f'(w) = (w+1)(w-0.25)(w-1)$, so minima at $w = -1$
# (the deeper) and $w = 1$, with a barrier at $w = 0.25$. Start at rest on the shallow side at
# $w_0 = 1.6$, higher than the barrier. A frictionless ball would roll over it; gradient
# descent has no velocity to carry, and momentum keeps a fraction $\beta$ of its velocity each
# step. Which $(\alpha, \beta)$ end in the deeper minimum?

# %%
from course_utils.objectives import LocalMinima1D

well = LocalMinima1D((-1.0, 0.25, 1.0))
deep, shallow = (float(m) for m in well.minimizers)
barrier = float(well.maximizers[0])
heights = {name: float(well(torch.tensor([v], dtype=torch.float64)))
           for name, v in (("start", 1.6), ("barrier", barrier), ("deep", deep),
                           ("shallow", shallow))}
print("f at the start, the barrier, the deep and the shallow minimum:",
      ", ".join(f"{v:.3f}" for v in heights.values()))
assert heights["deep"] < heights["shallow"] < heights["barrier"] < heights["start"]

well_lrs = torch.logspace(-2.5, -0.5, 41, dtype=torch.float64)
well_betas = 1 - torch.logspace(0, -2, 41, dtype=torch.float64)  # 0 … 0.99, dense at 1
w_path = momentum_runs(well, [1.6], well_lrs[:, None], well_betas, 2000)[..., 0]
end = w_path[-1]
crossed = ((w_path[1:] > barrier) != (w_path[:-1] > barrier)).any(0)
settled = torch.minimum((end - deep).abs(), (end - shallow).abs()) < 1e-3  # trapped
outcome = torch.where(end < barrier, 2, crossed.long())    # 0 stays, 1 back, 2 deep
counts = [int((outcome == k).sum()) for k in range(3)]
print(f"of {outcome.numel()} (α, β): {counts[0]} never cross, {counts[2]} end in the "
      f"deeper minimum, {counts[1]} cross and come back")
assert bool(settled.all()) and not bool(crossed[:, well_betas < 0.5].any())
i = int((well_lrs - 0.15).abs().argmin())                 # one row of the map: α ≈ 0.15
j_back = int((outcome[i] == 1).nonzero()[0])            # a β that crosses, comes back
j_deep = int((outcome[i, :j_back] == 2).nonzero()[0])   # the smallest β that ends deep
print(f"not monotone in β: at α = {well_lrs[i]:.3f}, "
      f"β = {well_betas[j_deep]:.2f} ends deep, β = {well_betas[j_back]:.2f} crosses "
      "and comes back")
threshold = torch.stack([well_betas[row.nonzero()[0, 0]] for row in crossed])
assert bool((threshold.diff() <= 0).all())     # a larger α needs no more β to cross
first = torch.stack([row.nonzero()[0, 0] for row in crossed])
assert bool((outcome[torch.arange(len(first)), first] == 2).all())  # just above: deep
print(f"the smallest β that crosses falls from {threshold[0]:.3f} at "
      f"α = {well_lrs[0]:.4f} to {threshold[-1]:.3f} at α = {well_lrs[-1]:.3f}")

# %%
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

cases = {"1: β = 0 (GD)": 0, f"2: β = {well_betas[j_deep]:.2f}": j_deep,
         f"3: β = {well_betas[j_back]:.2f}": j_back}
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.8))
for (name, jj), color in zip(cases.items(), (BLUE, GREEN, VERMILLION)):
    ax0.plot(w_path[:160, i, jj], color=color, label=name)
    ax1.annotate(name[0], (well_lrs[i], 1 - well_betas[jj]), ha="center", va="center",
                 fontsize=9, fontweight="bold", bbox=dict(boxstyle="circle", fc=WHITE))
for level in (deep, barrier, shallow):
    ax0.axhline(level, color=GREY, lw=0.8, ls=":")
ax0.set(xlabel="step t", ylabel="$w_t$ (dotted: minima and barrier)")
ax0.set_title(f"From $w_0 = 1.6$ at α = {well_lrs[i]:.3f}: stays, crosses, "
              "crosses and comes back", fontsize=10)
ax0.legend(loc="upper right")
palette = ListedColormap([SKY, ORANGE, GREEN])
ax1.pcolormesh(well_lrs, 1 - well_betas, outcome.T, cmap=palette, vmin=-0.5, vmax=2.5,
               shading="nearest")
ax1.set(xscale="log", yscale="log", xlabel="step size α", ylabel="momentum β")
ticks = [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99]
ax1.set_yticks([1 - b for b in ticks], [f"{b:g}" for b in ticks])
ax1.minorticks_off()
ax1.invert_yaxis()                                        # β grows upward, dense near 1
ax1.set_title(f"Crossing needs β ≥ {threshold[0]:.2f} at α = {well_lrs[0]:.4f}, "
              f"β ≥ {threshold[-1]:.2f} at α = {well_lrs[-1]:.2f}", fontsize=10)
ax1.legend(handles=[Patch(color=c, label=n) for c, n in
                    zip((SKY, ORANGE, GREEN), ("never crosses", "crosses, comes back",
                                               "ends deep"))],
           loc="lower left", frameon=True, fontsize=8)
plt.show()

# %% [markdown]
# Below a threshold $\beta$ nothing crosses: friction takes the speed before the barrier. A
# larger $\alpha$ reaches the barrier in fewer steps, so friction acts fewer times and the
# threshold falls. Just above it the iterate ends deep — until, higher up, it has speed enough
# to cross, climb the far wall and roll back; near $\beta = 1$ the outcome changes from cell to
# cell. Chapter 01 showed the other half on a landscape with three minima: crossings into a
# *higher* minimum. Momentum is a heavier ball, not a search for the global minimum.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explore: step size and momentum on the valley
#
# With a live kernel, move the sliders: the left panel shows the path, the right one the
# distance to the minimum; the title gives the contraction per step measured over the second
# half of the run. Try $\alpha = 1.9$ and slide $\beta$ from 0 to 0.99; then push $\alpha$
# past 2, where gradient descent diverges and momentum does not.

# %%
from course_utils.quadratic_theory import geometric_rate
from course_utils.widgets import explorer, log_slider, slider


def draw_valley(lr=1.9, momentum=0.9, steps=150, axes=None):
    """Path and distance of momentum (α, β) on the valley; returns the measured rate."""
    axes = plt.subplots(1, 2, figsize=(10, 3.4))[1] if axes is None else axes
    path = momentum_runs(valley, w0, lr, momentum, steps)
    distance = path.norm(dim=1)
    rate = geometric_rate(distance, steps // 2, steps)
    plot_contours(valley, (-11, 1), (-1.5, 1.5), levels=10, ax=axes[0])
    plot_trajectory(path, ax=axes[0], markersize=1.5)
    axes[0].set_xlim(-11, 1)
    axes[0].set_ylim(-1.5, 1.5)
    axes[0].set_title(f"α = {lr:.3g}, β = {momentum:.2f}: rate {rate:.4f}"
                      + (" (diverges)" if rate >= 1 else ""))
    if len(axes) > 1:
        plot_loss_curves({"distance": distance}, ax=axes[1], ylabel=r"$\|w_t - w^*\|$")
    return rate


# %%
# NBVAL_IGNORE_OUTPUT
# (widget views carry random ids; the static figure below is this cell's tested twin)
explorer(draw_valley, lr=log_slider("α", 1.9, 0.05, 4.0),
         momentum=slider("β", 0.9, 0.0, 0.99, 0.01))

# %% [markdown]
# Without a kernel, the same lesson as small multiples: three step sizes (well inside, just
# inside, and beyond gradient descent's limit $\alpha L < 2$) by three momenta, 150 steps each.

# %%
alphas, grid_betas = (0.5, 1.9, 2.5), (0.0, 0.5, 0.9)
fig, grid = plt.subplots(3, 3, figsize=(11, 7.5), sharex=True, sharey=True)
rates = {(a, b): draw_valley(a, b, axes=[grid[i, j]])
         for i, a in enumerate(alphas) for j, b in enumerate(grid_betas)}
for ax in grid[:-1, :].flat:
    ax.set_xlabel("")
for ax in grid[:, 1:].flat:
    ax.set_ylabel("")
fig.suptitle("Rows: α = 0.5, 1.9, 2.5. Columns: β = 0, 0.5, 0.9. "
             "Momentum converges where GD cannot (bottom row)")
plt.show()
assert rates[(2.5, 0.0)] > 1 > max(rates[(2.5, 0.5)], rates[(2.5, 0.9)])
assert rates[(1.9, 0.9)] < rates[(1.9, 0.0)] and rates[(0.5, 0.9)] < rates[(0.5, 0.0)]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# **1. A sign in the unrolled formula.** Summing (2.2) over steps gives the position from the
# start, $w_{t+1} = w_0 - \alpha \sum_{k=0}^{t} \frac{1-\beta^{\,t+1-k}}{1-\beta}\, \nabla f(w_k)$.
# Distill's *Why Momentum Really Works* prints this with a $+$ (a sign slip); the cell checks
# which sign reproduces the iterates.

# %%
t_end = 100
powers = torch.arange(t_end + 1, 0, -1, dtype=torch.float64)   # t + 1 − k, k = 0 … t
coefficients = (1 - beta**powers) / (1 - beta)
total = (coefficients[:, None] * grads[: t_end + 1]).sum(0)
assert torch.allclose(mom[0] - lr * total, mom[t_end + 1], rtol=1e-12, atol=1e-12)
assert not torch.allclose(mom[0] + lr * total, mom[t_end + 1], rtol=1e-3)
print("w_{t+1} = w_0 − α Σ (1 − β^{t+1−k})/(1 − β) ∇f(w_k): the minus sign is right")

# %% [markdown]
# **2. "Momentum damps oscillations."** Only where gradient descent barely contracts the
# oscillating direction ($|1-\alpha\lambda|$ near 1). With $\beta = 0.9$ and a step that gradient descent already handles, momentum
# *prolongs* the ringing (the damping figure).
#
# **3. "Momentum escapes saddles and local minima."** It leaves a saddle's plateau sooner, by a
# bounded factor (2.6), and may then take longer to settle. It crosses a barrier only for some
# $(\alpha, \beta)$, and a crossing can lead to a worse minimum (chapter 01).
#
# **4. Names.** $\beta$ is the *momentum coefficient*, $z$ the *velocity*. CS231n notes that
# $\beta$ acts more like friction than momentum: the ball keeps a fraction $\beta$ of its
# velocity each step, so $\beta \to 1$ means *less* damping, not more.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. Momentum steps along $z_{t+1} = \beta z_t + \nabla f(w_t)$ (2.1), a geometric sum of every
#    past gradient (2.2); on a constant gradient the step tends to $\alpha/(1-\beta)$ (2.3).
# 2. The buffer amplifies agreeing gradients by $1/(1-\beta)$ and shrinks alternating ones to
#    $1/(1+\beta)$ (2.4). On the valley that speeds the shallow coordinate up about tenfold.
# 3. On the steep coordinate momentum damps better than gradient descent only near
#    $\alpha L = 0$ or $2$; elsewhere its oscillation decays at a rate set by $\beta$ alone —
#    slower — but it tolerates steps beyond $\alpha L = 2$.
# 4. At a saddle the growth per step obeys (2.6): the plateau shortens, boundedly, and a large
#    $\beta$ then settles late. In a double well only part of the $(\alpha, \beta)$ map carries
#    the iterate into the deeper minimum. Chapter 03 turns all of this into formulas; chapter
#    04 shows how `torch.optim.SGD` writes (2.1).

# %% [markdown]
# ## Exercises
#
# **1.** By (2.3), how many steps does the buffer need before the step on a constant gradient
# reaches 99% of $\alpha/(1-\beta)$, for $\beta = 0.9$ and $\beta = 0.99$? Check with `buffers`.

# %% tags=["solution"]
# 1 − β^t ≥ 0.99 ⟺ t ≥ ln 0.01 / ln β.
for b in (0.9, 0.99):
    needed = math.ceil(math.log(0.01) / math.log(b))
    z = buffers(torch.ones(needed + 1, dtype=torch.float64), b) * (1 - b)
    print(f"β = {b}: {needed} steps (z_{needed} = {z[needed - 1]:.4f} of the limit)")
    assert z[needed - 1] >= 0.99 > z[needed - 2]

# %% [markdown]
# **2.** On the saddle with $\alpha = 0.03$, what is the fewest steps (to $|y| > 0.5$ from
# $y_0 = 10^{-6}$) that *any* $\beta$ could achieve according to (2.6)? Measure $\beta = 0.999$.

# %% tags=["solution"]
# (r − 1)² < α r ⟹ r < 1 + α/2 + √(α + α²/4); steps ≥ ln(0.5 / 1e-6) / ln r_max.
a = 0.03
r_max = 1 + a / 2 + math.sqrt(a + a**2 / 4)
bound = math.log(0.5e6) / math.log(r_max)
ys = momentum_runs(saddle, [1.0, 1e-6], a, 0.999, 400)[:, 1].abs()
measured = int((ys > 0.5).nonzero()[0])
print(f"bound {bound:.1f} steps, measured {measured} (gradient descent needs "
      f"{math.log(0.5e6) / math.log(1 + a):.0f})")
assert bound <= measured <= 1.1 * bound

# %% [markdown]
# **3.** In the double well, start lower, at $w_0 = 1.4$ (still above the barrier). With
# $\alpha = 0.1$, find the smallest $\beta$ on a grid of step 0.01 that ends in the deeper
# minimum, and compare with the start $w_0 = 1.6$. Why does the lower start need more $\beta$?

# %% tags=["solution"]
grid = torch.arange(0.0, 1.0, 0.01, dtype=torch.float64)
smallest = {}
for start in (1.4, 1.6):
    ends = momentum_runs(well, [start], 0.1, grid, 2000)[-1, :, 0]
    smallest[start] = float(grid[(ends < barrier).nonzero()[0]])
print("smallest β that ends deep:", {s: round(b, 2) for s, b in smallest.items()})
assert smallest[1.4] > smallest[1.6]
# The lower start has less height to turn into speed; to reach the barrier with speed
# left, it must lose less of its velocity per step: a larger β.

# %% [markdown]
# ## References
#
# * B. T. Polyak, *Some methods of speeding up the convergence of iteration methods*, USSR
#   Computational Mathematics and Mathematical Physics 4(5), 1964 — the heavy-ball method.
# * N. Qian, *On the momentum term in gradient descent learning algorithms*, Neural Networks
#   12(1), 1999 — momentum as a ball with mass and friction.
# * G. Goh, *Why Momentum Really Works*, Distill, 2017 — the quadratic analysis of chapter 03;
#   its unrolled formula's sign is corrected in Pitfall 1.
# * Y. N. Dauphin et al., *Identifying and attacking the saddle point problem in high-dimensional
#   non-convex optimization*, NeurIPS 2014 — why plateaus at saddles matter.
# * C. Jin, P. Netrapalli, M. I. Jordan, *Accelerated gradient descent escapes saddle points
#   faster than gradient descent*, COLT 2018 — the faster escape proved in any dimension, for
#   a perturbed accelerated method.
# * CS231n, *Neural Networks Part 3* (momentum as friction); D2L, *Momentum* (the leaky-average
#   view).
