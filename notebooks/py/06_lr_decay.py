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
# ## 1. The failing example: fast or precise, pick one
#
# Chapter 01 left us with the noisy quadratic $f(w) = \tfrac12(w_1^2 + 10\,w_2^2)$, whose gradient
# oracle returns $\nabla f(w) + \sigma\xi$, $\xi \sim \mathcal N(0, I)$, $\sigma = 1$. SGD on it, one
# eigen-direction at a time, is the recursion
#
# $$
# w_{t+1,i} = (1 - \alpha_t\lambda_i)\, w_{t,i} - \alpha_t\,\sigma\,\xi_{t,i}, \tag{6.1}
# $$
#
# now with a learning rate $\alpha_t$ that may change from step to step. (Equations (7.1)–(7.15)
# are the schedules of section 2; they carry the numbers that `course_utils.schedules` gives
# them.) The helper below runs (6.1) for a thousand independent runs at once and for several
# schedules side by side, and returns the mean excess loss $\mathbb E f(w_t) - f^\star$ at every step.

# %%
def sgd_runs(lrs, curvatures=(1.0, 10.0), sigma=1.0, w0=3.0, runs=1000, seed=0):
    """Run (6.1) on f(w) = ½ Σ λ_i w_i² for every row of `lrs` (shape (schedules, steps)).

    Returns the mean excess loss at steps 0..T, shape (schedules, T + 1), and the final iterates.
    """
    lrs = torch.atleast_2d(torch.as_tensor(lrs, **f64))
    lam = torch.as_tensor(curvatures, **f64)
    gen = torch.Generator().manual_seed(seed)
    w = torch.full((lrs.shape[0], runs, lam.numel()), w0, **f64)
    loss = [0.5 * (lam * w**2).sum(-1).mean(-1)]
    for lr in lrs.T:                                    # lr: this step's rate, one per schedule
        noise = torch.randn(w.shape, generator=gen, **f64)
        w = w - lr[:, None, None] * (lam * w + sigma * noise)            # (6.1)
        loss.append(0.5 * (lam * w**2).sum(-1).mean(-1))
    return torch.stack(loss, dim=1), w


def schedule_table(schedules, steps):
    """The learning rates of named schedules `fn(t)` at t = 0..steps-1, one row each."""
    return torch.tensor([[fn(t) for t in range(steps)] for fn in schedules.values()], **f64)

# %% [markdown]
# Before trusting it, one check: with a single run, (6.1) is exactly what the course's `SGD`
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
print("recursion (6.1) == course_utils.optim.SGD on NoisyGradient, 200 steps, rtol 1e-12")

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
# ## 3. Why decay works, and when it stalls: Robbins–Monro
#
# Take one eigen-direction of (6.1) (drop the index $i$) and average over the noise. The mean
# $m_t = \mathbb E\,w_t$ and the variance $v_t = \operatorname{Var} w_t$ obey
#
# $$
# m_{t+1} = (1 - \alpha_t\lambda)\,m_t, \qquad v_{t+1} = (1 - \alpha_t\lambda)^2\,v_t + \alpha_t^2\sigma^2, \tag{6.2}
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
# \sum_{t=0}^{\infty}\alpha_t = \infty, \qquad \sum_{t=0}^{\infty}\alpha_t^2 < \infty. \tag{6.3}
# $$
#
# Together they are sufficient for SGD to converge on this problem. Beyond it, take care what a
# theorem covers: Bottou, Curtis & Nocedal (2018, Theorem 4.7) prove an $O(1/k)$ rate on strongly
# convex objectives for one family, $\alpha_k = \beta/(\gamma + k)$ with $\beta > 1/(c\mu)$ — a schedule that
# satisfies (6.3), with a condition on its constant that (6.3) does not contain (the trap below
# shows why the constant matters). The first condition fails in a
# quantifiable way. Since $\ln(1 - a) \ge -a/(1 - a)$ for $0 \le a < 1$, when every $\alpha_t\lambda \le \alpha_0\lambda < 1$,
#
# $$
# m_T = m_0\prod_{t<T}(1 - \alpha_t\lambda) \;\ge\; m_0\,\exp\!\Bigl(-\frac{\lambda}{1 - \alpha_0\lambda}\sum_{t<T}\alpha_t\Bigr), \tag{6.4}
# $$
#
# so a schedule with a finite sum $\sum\alpha_t$ leaves the mean stranded at a finite distance
# from the minimum, however long it runs: it has **stalled**. The usual test family is the
# inverse power law
#
# $$
# \alpha_t = \frac{\alpha_0}{(1 + t/t_0)^{p}}, \qquad \sum\alpha_t = \infty \iff p \le 1, \qquad \sum\alpha_t^2 < \infty \iff p > \tfrac12, \tag{6.5}
# $$
#
# which meets both conditions exactly for $\tfrac12 < p \le 1$ (compare with $\int^\infty x^{-p}dx$).
# Torch has no class for it; `LambdaLR(optimizer, lambda e: (1 + e / t0) ** -p)` is (6.5).
#
# **The $1/t$ trap.** Meeting (6.3) says nothing about speed. With $p = 1$ and $t \gg t_0$,
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
# First, (6.2) is exact, not an approximation: for the decaying rate of section 1, it predicts
# the mean and variance of 10,000 runs of (6.1) (the $\lambda = 1$ direction) at steps 10, 100 and
# 2,000 to within sampling error:

# %%
def moments(lrs, lam, sigma=1.0, w0=3.0):
    """Iterate (6.2): mean and variance of w_t along one eigen-direction, t = 0..T."""
    m, v = [w0], [0.0]
    for a in lrs:
        m.append((1 - a * lam) * m[-1])                                     # (6.2)
        v.append((1 - a * lam) ** 2 * v[-1] + a**2 * sigma**2)              # (6.2)
    return torch.tensor(m, **f64), torch.tensor(v, **f64)


decay_lrs = schedule_table({"decay": dilemma[decay]}, STEPS)
for horizon in (10, 100, STEPS):
    _, w_final = sgd_runs(decay_lrs[:, :horizon], runs=10_000, seed=horizon)
    m, v = moments(decay_lrs[0, :horizon].tolist(), lam=1.0)
    sample = w_final[0, :, 0]                                  # the λ = 1 direction, 10,000 runs
    print(f"step {horizon:>4}: mean {float(sample.mean()):+.4f} (6.2: {float(m[-1]):+.4f}),  "
          f"variance {float(sample.var()):.5f} (6.2: {float(v[-1]):.5f})")
    assert abs(float(sample.mean()) - float(m[-1])) < 4 * math.sqrt(float(v[-1]) / 10_000)
    assert abs(float(sample.var()) / float(v[-1]) - 1) < 4 * math.sqrt(2 / 10_000)

# %% [markdown]
# Now the Robbins–Monro experiment, on one direction with $\lambda = 1$, $\sigma = 1$, starting
# far away at $w_0 = 10$, for 10,000 steps and 400 runs per schedule: a constant rate, an
# exponential decay ($\gamma = 0.98$), and (6.5) with $p = 1.5$ (decays too fast, like the
# exponential), $p = 1$ and $p = 0.75$ (both conditions hold).

# %%
RM_STEPS, a0, t0 = 10_000, 0.1, 10
rm = {"constant": lambda t: a0,
      "exponential, γ = 0.98": partial(exponential_lr, base_lr=a0, gamma=0.98),
      "(6.5) p = 1.5": lambda t: a0 / (1 + t / t0) ** 1.5,
      "(6.5) p = 1": lambda t: a0 / (1 + t / t0),
      "(6.5) p = 0.75": lambda t: a0 / (1 + t / t0) ** 0.75}
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
#   term plus the integral of the rest), so by (6.4) the mean iterate can *never* come closer to
#   the minimum than $10\,e^{-5/0.9} \approx 0.04$ and $10\,e^{-2.1/0.9} \approx 0.97$, and the loss, which is
#   at least half the squared mean, never below $\tfrac12 0.04^2$ and $\tfrac12 0.97^2$. The measured
#   means sit on the exact product of (6.2), above these bounds; the exponential's loss has
#   stopped moving altogether, $p = 1.5$ is creeping towards its bound.
# * **$p = 1$ and $p = 0.75$: converge.** Both conditions of (6.3) hold; the loss keeps falling,
#   by more than 3× from step $10^3$ to $10^4$, and ends more than 10× below the stalled schedules.

# %%
names = list(rm)
ratio = [window(row, 10_000) / window(row, 1000) for row in rm_loss]
assert abs(ratio[0] - 1) < 0.1 and abs(float(rm_loss[0, 1000:].mean()) / chapter01_floor(a0, (1.0,)) - 1) < 0.05
sum_forever = {1: a0 / (1 - 0.98), 2: a0 + a0 * t0 / (1.5 - 1)}       # Σα over all t ≥ 0 (upper bound for p = 1.5)
for i, total in sum_forever.items():                                  # stalled: Σα < ∞
    bound = 10 * math.exp(-total / (1 - a0))                                          # (6.4), t → ∞
    exact = float(moments(rm_lrs[i].tolist(), lam=1.0, w0=10.0)[0][-1])               # (6.2)
    mean = float(rm_w[i, :, 0].mean())
    print(f"{names[i]:<22} mean iterate {mean:.4f} ≈ exact product {exact:.4f} ≥ bound forever (6.4) {bound:.4f}")
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
# Two caveats keep this honest. First, (6.3) is *sufficient*, not necessary: $p = 0.5$ breaks
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
# So the original rule was *adaptive* — drop when the error plateaus, which chapter 09 builds as
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
