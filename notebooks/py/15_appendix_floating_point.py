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
# # 15 · Appendix: floating point and bitwise equality
#
# *The same formula, written two ways, can give two answers that differ in the last bit. This
# appendix shows where such differences come from, when they stay in the last bit and when
# they grow, and why the course tests its code the way it does.*
#
# **Prerequisites:** chapter 00 (`compare_optimizers`); chapter 05 for Adam's update.
# **Runtime:** about 20 s on a laptop CPU.
#
# **After this chapter you can**
# 1. state the rounding model of IEEE 754 arithmetic and measure a rounding error in units of
#    $u$;
# 2. explain why `p - lr * g` and `p.add_(g, alpha=-lr)`, or `β*m + (1-β)*g` and
#    `m.lerp_(g, 1-β)`, differ in the last bit;
# 3. predict from the update's Jacobian whether such a difference stays small or grows;
# 4. read a `compare_optimizers` report and tell rounding from a bug.

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
from fractions import Fraction

import matplotlib.pyplot as plt
import torch

from course_utils.device import setup
from course_utils.plotting import BLUE, GREEN, GREY, ORANGE, PURPLE, VERMILLION
from course_utils.verify import compare_optimizers

device = setup(seed=0)
f64 = dict(dtype=torch.float64)

# %% [markdown]
# Everything here runs on the CPU whatever device you have: the subject is the exact bits,
# and those depend on the processor that computes them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Every operation rounds
#
# A floating-point number is a sign, a significand of $p$ bits and an exponent. IEEE 754
# requires each of $+$, $-$, $\times$, $/$ and $\sqrt{\ }$ to return the exact result *rounded
# to the nearest representable number*. That gives the model every error analysis starts
# from (Higham, 2002, chapter 2):
#
# $$
# \mathrm{fl}(x \circ y) = (x \circ y)(1 + \delta), \qquad |\delta| \le u, \tag{15.1}
# $$
#
# $$
# u = 2^{-p}, \qquad p = 53 \ \text{(float64)}, \quad p = 24 \ \text{(float32)}. \tag{15.2}
# $$
#
# $u$ is the *unit roundoff*; torch's `finfo(dtype).eps`, the gap between 1 and the next
# float, is $2u$. The product of two float32 numbers is exact in float64 (24 + 24 bits fit in
# 53), so the rounding error $\delta$ of a float32 product can be measured exactly:

# %%
for dtype, p in ((torch.float64, 53), (torch.float32, 24)):
    eps = torch.finfo(dtype).eps
    print(f"{str(dtype)[6:]}: u = 2^-{p} = {2.0**-p:.1e}, finfo.eps = {eps:.1e}")
    assert eps == 2 * 2.0**-p                                         # eps = 2u, (15.2)

u32, u64 = 2.0**-24, 2.0**-53
gen = torch.Generator().manual_seed(0)
a, b = torch.randn(100_000, generator=gen), torch.randn(100_000, generator=gen)
exact = a.double() * b.double()                           # 48 bits: exact in float64
delta = ((a * b).double() - exact) / exact                # (15.1) for ×, in float32
beyond_half = float((delta.abs() > u32 / 2).double().mean())
print(f"largest |δ| = {delta.abs().max() / u32:.4f} u over 100,000 products; "
      f"{beyond_half:.0%} beyond u/2")
assert delta.abs().max() <= u32 and beyond_half < 0.5

fig, ax = plt.subplots(figsize=(6.4, 3.4))
ax.hist((delta / u32).numpy(), bins=80, color=BLUE)
for edge in (-1, 1):
    ax.axvline(edge, color=GREY, ls="--")
ax.set_xlabel("rounding error δ of a float32 product, in units of u = 2⁻²⁴")
ax.set_ylabel("products")
ax.set_title("Every product lands within u of the exact one (15.1)")
plt.show()

# %% [markdown]
# The errors fill $[-u, u]$ and thin out beyond $u/2$: the gap between neighbouring floats,
# relative to the number, is $2u$ just above a power of two and nearly $u$ just below the next,
# so only products near the bottom of their range can be off by almost $u$. One operation is
# therefore as accurate as the format allows. The trouble starts when two programs compute the
# same formula with *different* operations: each rounds correctly, and their results need not
# be equal.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. One rounding or two
#
# Gradient descent's step $w - \alpha g$ written as `p - lr * g` is two operations, each
# rounded:
#
# $$
# \mathrm{fl}\big(w - \mathrm{fl}(\alpha g)\big) = \big(w - \alpha g\,(1 + \delta_1)\big)(1 + \delta_2).
# \tag{15.3}
# $$
#
# torch's SGD writes it `p.add_(g, alpha=-lr)`, one kernel. On a processor with a *fused
# multiply–add* instruction (FMA), that kernel computes $w - \alpha g$ exactly and rounds once:
#
# $$
# \mathrm{fma}(-\alpha, g, w) = (w - \alpha g)(1 + \delta). \tag{15.4}
# $$
#
# The extra $\delta_1$ of (15.3) moves $\alpha g$ by up to half a unit in its last place (an
# *ulp*); after the subtraction that shift sometimes crosses the midpoint between two floats,
# and the result's last bit changes. Python's `Fraction` computes exactly, and turning a
# fraction into a float rounds once, correctly, so it gives (15.4) without trusting any
# hardware:

# %%
gen = torch.Generator().manual_seed(1)
w, g = torch.randn(2, 2000, generator=gen, **f64)
lr = 0.1
once = torch.tensor([float(Fraction(x) - Fraction(lr) * Fraction(y))   # (15.4), exact
                     for x, y in zip(w.tolist(), g.tolist())], **f64)
by_torch, by_formula = w.add(g, alpha=-lr), w - lr * g                 # torch, (15.3)
ulp = torch.nextafter(once.abs(), torch.tensor(math.inf, **f64)) - once.abs()
gd_ulps = ((by_formula - once) / ulp).round()
print(f"rounded once: torch's add in {(by_torch == once).double().mean():.1%}, "
      f"w - lr*g in {(gd_ulps == 0).double().mean():.1%} of 2,000 elements")
assert torch.equal(by_torch, once), "this CPU's add does not fuse: see the text"
assert (gd_ulps.abs() == 1).sum() > (gd_ulps.abs() > 1).sum() > 0   # mostly one ulp


def ulp_bars(ax, ulps, color, cut=4):
    """Counts of differences of -cut..cut ulps, and of larger ones in two outer bars."""
    values = ulps.clamp(-cut - 1, cut + 1)
    ks = torch.arange(-cut - 1, cut + 2, dtype=values.dtype)
    ax.bar(ks.numpy(), [(values == k).sum().item() for k in ks], color=color)
    ax.set_yscale("log")
    names = [f"≤{-cut - 1}", *map(str, range(-cut, cut + 1)), f"≥{cut + 1}"]
    ax.set_xticks(ks.numpy(), names)
    ax.set_ylabel("elements")


fig, ax = plt.subplots(figsize=(6.4, 3.4))
ulp_bars(ax, gd_ulps, VERMILLION)
ax.set_xlabel("(w − lr·g) minus the single rounding, in ulps of the result")
missed = float((gd_ulps != 0).double().mean())
ax.set_title(f"Two roundings miss the single rounding in {missed:.0%} of elements")
plt.show()

# %% [markdown]
# On this CPU torch's `add` rounds once: the first assertion checks it against the exact
# reference. (`torch.backends.cpu.get_cpu_capability()` names the vector instructions torch
# uses; without FMA, torch's kernel rounds twice as well, that assertion fails, and the two
# spellings agree.) Most mismatches are one ulp. The tail of many ulps is *cancellation*:
# where $w \approx \alpha g$ the result is far smaller than its terms, and an error of one ulp
# of a term is many ulps of the result.
#
# Over a run, `p - lr * g` as an optimizer against torch's SGD on a small least-squares
# problem in float64:

# %%
gen = torch.Generator().manual_seed(3)
X, y = torch.randn(64, 10, generator=gen, **f64), torch.randn(64, generator=gen, **f64)
w_init = [0.1 * torch.randn(10, generator=gen, **f64)]


def least_squares(params):
    w = params[0]
    return 0.5 * ((X.to(w.dtype) @ w - y.to(w.dtype)) ** 2).mean()


class TextbookGD(torch.optim.Optimizer):
    """Gradient descent as printed, w ← w − α∇f(w), rounded twice (15.3)."""

    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.copy_(p - group["lr"] * p.grad)                    # (15.3)


gd = compare_optimizers(lambda ps: TextbookGD(ps, lr=0.1),
                        lambda ps: torch.optim.SGD(ps, lr=0.1), least_squares, w_init,
                        steps=100, rtol=1e-12, atol=0.0,
                        names=("textbook GD", "torch SGD"))
print(gd)
assert not gd.exact and gd.allclose

# %% [markdown]
# Not bitwise equal, and yet equal to a relative $10^{-12}$ at every one of the 100 steps. The
# formula is the same; the arithmetic is not.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Adam: `lerp` and folded constants
#
# torch's Adam, which chapter 05 rebuilds, differs from the paper's printed formula (Kingma &
# Ba, 2015) in three places: the first moment is updated with `lerp`; the bias corrections are
# folded into a step size $\alpha/(1-\beta_1^t)$ and a divisor $\sqrt{1-\beta_2^t}$ of
# $\sqrt{v}$; and $\epsilon$ is added after that division. The first is the subtlest. With
# the weight $c = 1 - \beta_1$, the two sides of
#
# $$
# \beta_1 m + (1-\beta_1)\,g \;=\; m + c\,(g - m) = \mathrm{lerp}(m, g, c) \tag{15.5}
# $$
#
# are equal in exact arithmetic, but the left rounds three times (two products and a sum) and
# `lerp` computes the right, with its own roundings. Even the weight is not what it looks like:

# %%
print(f"1 - 0.9 = {1 - 0.9!r}; equal to 0.1: {1 - 0.9 == 0.1}")
gen = torch.Generator().manual_seed(4)
m, g = torch.randn(100_000, generator=gen), torch.randn(100_000, generator=gen)
by_lerp = m.lerp(g, 1 - 0.9)                             # torch's Adam: (15.5), right
by_formula = 0.9 * m + (1 - 0.9) * g                     # the paper: (15.5), left
ulp = torch.nextafter(by_lerp.abs(), torch.tensor(math.inf)) - by_lerp.abs()
lerp_ulps = ((by_formula - by_lerp) / ulp).round()
terms = (0.9 * m.double()).abs() + (0.1 * g.double()).abs()
vs_terms = float(((by_formula.double() - by_lerp.double()).abs() / (u32 * terms)).max())
share = float((lerp_ulps != 0).double().mean())
print(f"float32: the two differ in {share:.0%} of 100,000 elements; "
      f"at most {vs_terms:.1f} u of the terms' size")
assert 1 / 3 < share < 1 and vs_terms < 3

fig, ax = plt.subplots(figsize=(6.4, 3.4))
ulp_bars(ax, lerp_ulps, PURPLE)
ax.set_xlabel("β·m + (1−β)·g minus lerp(m, g, 1−β), in ulps of the result (float32)")
ax.set_title(f"The textbook average differs from lerp in {share:.0%} of elements")
plt.show()

# %% [markdown]
# Over a third of the elements differ in the last bit, and the tail is cancellation again: where
# $\beta_1 m \approx -(1-\beta_1) g$ the average is small and one ulp of the terms is many of
# it. Measured against the terms, the difference never exceeds the few $u$ printed. The whole
# textbook Adam, with $\hat m = m/(1-\beta_1^t)$, $\hat v = v/(1-\beta_2^t)$ and the step
# $\alpha\,\hat m/(\sqrt{\hat v} + \epsilon)$, against torch's:

# %%
class TextbookAdam(torch.optim.Optimizer):
    """Adam as the paper prints it: (15.5)'s left side, corrections m̂ and v̂."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    def denominator(self, v_hat, eps):
        return v_hat.sqrt() + eps

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            (b1, b2), lr, eps = group["betas"], group["lr"], group["eps"]
            for p in group["params"]:
                s = self.state[p]
                if not s:
                    s.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                s["t"] += 1
                s["m"] = b1 * s["m"] + (1 - b1) * p.grad                     # (15.5)
                s["v"] = b2 * s["v"] + (1 - b2) * p.grad ** 2
                m_hat, v_hat = s["m"] / (1 - b1 ** s["t"]), s["v"] / (1 - b2 ** s["t"])
                p.sub_(lr * m_hat / self.denominator(v_hat, eps))


TOLERANCE = {torch.float64: dict(rtol=1e-12, atol=0.0),         # the course's
             torch.float32: {}}                                  # tolerances


def against_torch_adam(make, dtype, name):
    return compare_optimizers(make,
                              lambda ps: torch.optim.Adam(ps, lr=0.01, foreach=False),
                              least_squares, [w.to(dtype) for w in w_init], steps=100,
                              names=(name, "torch Adam"), **TOLERANCE[dtype])


textbook = {dt: against_torch_adam(lambda ps: TextbookAdam(ps, lr=0.01), dt,
                                   "textbook Adam")
            for dt in (torch.float32, torch.float64)}
for result in textbook.values():
    print(result)
    assert not result.exact and result.allclose

# %% [markdown]
# Not bitwise in either precision; within `assert_close`'s defaults in float32 and within
# $10^{-12}$ in float64.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. When a last-bit difference stays small, and when it grows
#
# Let $e_t = w_t - w'_t$ be the gap between two runs of one update $w_{t+1} = \Phi(w_t)$ that
# round differently. To first order,
#
# $$
# e_{t+1} = J_t\, e_t + r_t, \qquad \|r_t\| \le k\,u\,\|w_{t+1}\|, \tag{15.6}
# $$
#
# with $J_t$ the Jacobian of $\Phi$ at $w_t$ ($I - \alpha H$ for gradient descent on a
# quadratic with Hessian $H$) and $r_t$ the fresh rounding of step $t$, $k$ a small count of
# operations. If every $\|J_t\| \le \rho < 1$, the iteration *contracts*, and unrolling
# (15.6) bounds the gap for the whole run:
#
# $$
# \|e_t\| \le \rho^t \|e_0\| + \frac{k\,u}{1-\rho}\,\max_s \|w_s\|. \tag{15.7}
# $$
#
# The least-squares runs above contract; their relative difference from torch at each step:

# %%
H = X.T @ X / len(X)
rho = float((1 - 0.1 * torch.linalg.eigvalsh(H)).abs().max())     # ‖I − αH‖, α = 0.1
print(f"gradient descent contracts by ρ = {rho:.3f} per step")
assert rho < 1
w_run, largest = w_init[0].clone(), float(w_init[0].norm())   # torch SGD's own iterates
for _ in range(100):
    w_run = w_run - 0.1 * X.T @ (X @ w_run - y) / len(X)
    largest = max(largest, float(w_run.norm()))
bound = 2 * u64 / (1 - rho) * largest                           # (15.7), k = 2, e_0 = 0
print(f"textbook GD's largest gap {gd.max_abs_diff:.1e}; "
      f"(15.7) with k = 2: {bound:.1e}")
assert gd.max_abs_diff <= bound

runs = {"textbook GD, float64": (gd, BLUE),
        "textbook Adam, float64": (textbook[torch.float64], GREEN),
        "textbook Adam, float32": (textbook[torch.float32], ORANGE)}
fig, ax = plt.subplots(figsize=(6.4, 3.8))
for label, (result, color) in runs.items():
    ax.semilogy(range(1, 101), result.rel_diff_per_step, color=color, label=label)
for level, name in ((u32, "u, float32"), (u64, "u, float64")):
    ax.axhline(level, color=GREY, ls="--")
    ax.text(100, level / 1.5, name, ha="right", va="top", color=GREY, fontsize=9)
ax.set_ylim(1e-17, 1e-4)
ax.set_xlabel("step")
ax.set_ylabel("largest relative difference from torch")
in_u = max(max(r.rel_diff_per_step) / (u32 if "32" in name else u64)
           for name, (r, _) in runs.items())
ax.set_title(f"On a contracting run the gap does not grow: at most {in_u:.0f} u")
ax.legend(loc="center right")
plt.show()
for result, _ in runs.values():     # flat: the second half no worse than 10 × the first
    steps = result.rel_diff_per_step
    assert max(steps[50:]) <= 10 * max(steps[:50])

# %% [markdown]
# The gaps sit above $u$ (each is the worst coordinate's, after up to a hundred steps of
# roundings), within the bound (15.7), and they do not grow. A run whose Jacobians *stretch* on average behaves differently:
# (15.6) multiplies the gap by $|J_t|$ each step, so it grows like $e^{\chi t}$ with
#
# $$
# \chi = \frac{1}{T}\sum_{t=1}^{T} \ln |J_t|, \tag{15.8}
# $$
#
# the *Lyapunov exponent* of the run (Strogatz, 2015, §10.5). Gradient descent on the double
# well $f(w) = (w^2-1)^2/4$ has $J_t = 1 - \alpha(3w_t^2 - 1)$. At $\alpha = 0.9$ it settles
# in the minimum $w = 1$ ($|J| = |1 - 2\alpha| < 1$ there); at $\alpha = 1.4$ that minimum
# repels, and the iterates bounce around it for ever without diverging. The two spellings of
# the step, from 1,000 starting points in $[0.9, 1.1]$, for 150 steps (the cell also
# asserts that the iterates stay bounded):

# %%
def double_well_gap(alpha, steps=150):
    """Relative gaps between the fused and the textbook step; each run's χ (15.8)."""
    fused = textbook_w = torch.linspace(0.9, 1.1, 1000, **f64)
    gaps, log_j = [], torch.zeros(1000, **f64)
    for t in range(steps):
        log_j += (1 - alpha * (3 * fused**2 - 1)).abs().log()                  # ln|J_t|
        fused = fused.add(fused**3 - fused, alpha=-alpha)                      # (15.4)
        textbook_w = textbook_w - alpha * (textbook_w**3 - textbook_w)         # (15.3)
        gaps.append((fused - textbook_w).abs() / fused.abs())
    return torch.stack(gaps), log_j / steps


calm, calm_chi = double_well_gap(0.9)
wild, wild_chi = double_well_gap(1.4)
chi = float(wild_chi.median())
median = {0.9: calm.median(1).values, 1.4: wild.median(1).values}
measured = float((median[1.4][50] / median[1.4][10]).log() / 40)
crossed = int((median[1.4] > 1e-2).nonzero()[0, 0]) + 1
print(f"α = 0.9: χ = {float(calm_chi.median()):.2f}, "
      f"largest gap {float(calm.max()):.0e}")
print(f"α = 1.4: χ = {chi:.3f} predicted, {measured:.3f} measured (steps 10-50); "
      f"the median gap passes 1% at step {crossed}")
assert calm_chi.max() < 0 and calm.max() < 1e-14
assert abs(measured / chi - 1) < 0.1 and crossed < 150
bounce = torch.linspace(0.9, 1.1, 1000, **f64)
for _ in range(150):
    bounce = bounce - 1.4 * (bounce**3 - bounce)
assert 0 < bounce.min() and bounce.max() < 1.25             # bounded, never diverges

fig, ax = plt.subplots(figsize=(6.4, 3.8))
t = torch.arange(1, 151)
for alpha, gaps, color in ((0.9, calm, BLUE), (1.4, wild, VERMILLION)):
    ax.semilogy(t, median[alpha].clamp_min(1e-18), color=color,
                label=f"α = {alpha}, median")
    ax.semilogy(t, gaps.max(1).values.clamp_min(1e-18), color=color, lw=0.8, ls=":",
                label=f"α = {alpha}, largest")
ax.semilogy(t, median[1.4][10] * torch.exp(chi * (t - 11)), color=GREY, ls="--",
            label="slope χ of (15.8)")
ax.set_ylim(1e-18, 10)
ax.set_xlabel("step")
ax.set_ylabel("relative gap over 1,000 runs (0 at 1e-18)")
ax.set_title("A chaotic run multiplies a last-bit gap by "
             f"$e^\\chi$ = {math.exp(chi):.2f} per step")
ax.legend(loc="center right")
plt.show()

# %% [markdown]
# The measured growth matches the exponent (15.8) predicts, and within the printed number of
# steps the two spellings of *one formula* disagree in the second digit. Passing the stability
# limit is not enough for this (exercise 4 finds a rate past it, $\alpha = 1.1$, whose run
# settles into a two-step cycle that contracts); a run that keeps bouncing irregularly, as this
# one does, is enough. That is why the course proves equality on contracting problems, and why
# chapter 12 re-checks a recorded training run only over its first steps, with a tolerance:
# another thread count or CPU sums a matrix product in another order, and over a long,
# non-contracting run that last-bit gap could grow.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. What the course demands, and why
#
# `compare_optimizers` and `torch.testing.assert_close` accept two tensors when, elementwise,
#
# $$
# |a - b| \le \mathrm{atol} + \mathrm{rtol}\,|b|. \tag{15.9}
# $$
#
# The course's tests make three demands of every optimizer and scheduler built from scratch:
#
# 1. **bitwise**, where the code performs torch's operations in torch's order (the unit tests
#    compare with `torch.equal`): then any difference at all is a bug;
# 2. **float64, rtol $10^{-12}$, atol 0**, at every step, where the order must differ (a
#    formula as printed, a fused kernel);
# 3. **float32 within `assert_close`'s defaults** (rtol $1.3\times10^{-6}$, atol $10^{-5}$).
#
# Why float64, and why so tight? Rounding on a contracting run stays orders below $10^{-12}$
# (section 4), so the tolerance never fails an honest implementation, while a real mistake
# shows far above it. A float32 test cannot make that separation. Here is a small, real
# mistake, easy to make: $\epsilon$ inside the square root, $\sqrt{\hat v + \epsilon}$.

# %%
class EpsInsideAdam(TextbookAdam):
    def denominator(self, v_hat, eps):
        return (v_hat + eps).sqrt()                  # the mistake: ε under the root


bug = {dt: against_torch_adam(lambda ps: EpsInsideAdam(ps, lr=0.01), dt, "ε inside √")
       for dt in (torch.float32, torch.float64)}
for result in bug.values():
    print(result)
assert bug[torch.float32].allclose, "float32's default tolerance lets it through"
assert not bug[torch.float64].allclose, "float64 at 1e-12 catches it"
assert max(r.max_abs_diff for r in (bug[torch.float32], textbook[torch.float32])) < 1e-5

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, dt, limit in zip(axes, (torch.float64, torch.float32), (1e-12, 1.3e-6)):
    ax.semilogy(range(1, 101), textbook[dt].rel_diff_per_step, color=GREEN,
                label="rounding")
    ax.semilogy(range(1, 101), bug[dt].rel_diff_per_step, color=VERMILLION,
                label="ε inside √")
    ax.axhline(limit, color=GREY, ls="--")
    ax.text(100, limit * 2, f"rtol {limit:g}", ha="right", color=GREY, fontsize=9)
    ax.set_title(str(dt)[6:])
    ax.set_xlabel("step")
axes[0].set_ylabel("largest relative difference from torch")
axes[0].legend(loc="center right")
fig.suptitle("float64 puts a bug orders of magnitude above rounding; float32 does not")
plt.show()

# %% [markdown]
# In float64 the mistake sits orders of magnitude above the rounding, and the tolerance
# rejects it. In float32 the rounding is itself large, and `assert_close` passes both: where
# either curve rises above rtol, the absolute differences (the max |diff| printed above) stay
# far below atol = $10^{-5}$. A float32 test alone would have let the bug ship.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Reading a `compare_optimizers` report
#
# | verdict | max rel diff, over the steps | what it says | what to look at |
# |---|---|---|---|
# | bitwise equal | 0 | same operations, same order | nothing |
# | allclose | $u$ to $10^{-13}$, flat (float64) | same formula, other rounding | `lerp`, FMA, folded constants, summation order |
# | DIFFERENT | $\gg 10^{-12}$ from the first steps | another formula or hyperparameter | the update line by line, the defaults |
# | DIFFERENT | tiny at first, growing exponentially | rounding amplified by a chaotic run | check on a contracting problem in float64 |
#
# Two habits follow. Compare in float64 before float32, and on a problem that contracts.
# When a float64 report says *allclose* where you expected *bitwise*, find the operation that
# differs before raising the tolerance: a tolerance that hides rounding can hide a bug too.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. Each operation rounds to within a relative $u$ (15.1); $u = 2^{-53}$ in float64 and
#    $2^{-24}$ in float32 (15.2).
# 2. One formula, two spellings: `p.add_(g, alpha=-lr)` rounds once on an FMA processor,
#    `p - lr * g` twice (15.3)–(15.4); `lerp` and $\beta m + (1-\beta) g$ differ in over a
#    third of float32 elements (15.5).
# 3. The gap between two runs evolves by the update's Jacobian (15.6): on a contracting run it
#    stays within a few $u/(1-\rho)$ of the iterates' size (15.7); on a chaotic one it grows
#    by $e^{\chi}$ per step (15.8).
# 4. The course demands bitwise equality where it copies torch's order and float64 at
#    $10^{-12}$ elsewhere, because float32's tolerance (15.9) can pass a real bug.

# %% [markdown]
# ## Exercises
#
# **1.** Predict whether `TextbookGD` with `lr=0.5` is bitwise equal to torch's SGD, using
# (15.3) and (15.4); then check it, and try `lr=0.3`.

# %% tags=["solution"]
# 0.5·g only changes the exponent, so it is exact: δ1 = 0 in (15.3), and (15.3) = (15.4)
for rate in (0.5, 0.3):
    check = compare_optimizers(lambda ps: TextbookGD(ps, lr=rate),
                               lambda ps: torch.optim.SGD(ps, lr=rate), least_squares,
                               w_init, steps=100,
                               names=(f"textbook GD lr={rate}", "torch SGD"))
    print(check)
    assert check.exact == (rate == 0.5)

# %% [markdown]
# **2.** Addition is not associative. For 100,000 random float32 triples, how often is
# $(a + b) + c \ne a + (b + c)$? What does that mean for a sum split over threads?

# %% tags=["solution"]
gen = torch.Generator().manual_seed(5)
a, b, c = torch.randn(3, 100_000, generator=gen)
differ = (a + b) + c != a + (b + c)
print(f"(a + b) + c != a + (b + c) in {differ.double().mean():.0%} of triples")
assert differ.any()
# A sum split over threads adds partial sums in another order: equal up to rounding,
# not bitwise.

# %% [markdown]
# **3.** Express `assert_close`'s default rtol for float16, bfloat16, float32 and float64 in
# units of each format's $u$. Which default is loosest, and what does the course do about it?

# %% tags=["solution"]
from course_utils.verify import DEFAULT_TOLERANCES

for dtype, (rtol, _) in DEFAULT_TOLERANCES.items():
    u = torch.finfo(dtype).eps / 2
    print(f"{str(dtype)[6:]:>9}: rtol {rtol:.1e} = {rtol / u:.1e} u")
assert DEFAULT_TOLERANCES[torch.float64][0] / u64 > 1e8
# float64's default (1e-7) is about 1e9 u: it would pass far more than rounding. Hence
# the course's float64 rtol of 1e-12, about 1e4 u: above rounding, below mistakes (§5).

# %% [markdown]
# **4.** Run `double_well_gap` at $\alpha = 1.1$, past the stability limit $\alpha < 1$ of the
# minimum. Does the gap grow? Explain with $\chi$ (15.8).

# %% tags=["solution"]
cycle, cycle_chi = double_well_gap(1.1)
print(f"α = 1.1: χ = {float(cycle_chi.median()):.2f}, "
      f"largest gap {float(cycle.max()):.0e}")
assert cycle_chi.max() < 0 and cycle.max() < 1e-12
ws = [torch.linspace(0.9, 1.1, 1000, **f64)]
for _ in range(200):
    ws.append(ws[-1] - 1.1 * (ws[-1] ** 3 - ws[-1]))
period_2 = float((ws[-1] - ws[-3]).abs().max())
swing = float((ws[-1] - ws[-2]).abs().min())
print(f"|w_200 - w_198| ≤ {period_2:.0e}, |w_200 - w_199| ≥ {swing:.2f}")
assert period_2 < 1e-9 and swing > 0.01
# χ < 0: the iterates settle into a two-step cycle around w = 1 whose Jacobians,
# multiplied over the cycle, contract, so (15.6) damps the gap as it does at α = 0.9.

# %% [markdown]
# ## References
#
# * IEEE, *IEEE Standard for Floating-Point Arithmetic*, IEEE Std 754-2019 — correctly rounded
#   operations and the fused multiply–add.
# * D. Goldberg, *What every computer scientist should know about floating-point arithmetic*,
#   ACM Computing Surveys 23(1), 5–48, 1991 — rounding, ulps and cancellation.
# * N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM, 2002 —
#   the model (15.1) (chapter 2) and the error of sums in any order (chapter 4).
# * S. H. Strogatz, *Nonlinear Dynamics and Chaos*, 2nd ed., Westview, 2015 — Lyapunov
#   exponents.
# * D. P. Kingma and J. Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015 — the
#   formula as printed.
# * PyTorch documentation: [Numerical accuracy](https://pytorch.org/docs/stable/notes/numerical_accuracy.html),
#   [`torch.lerp`](https://pytorch.org/docs/stable/generated/torch.lerp.html) and
#   [`torch.testing.assert_close`](https://pytorch.org/docs/stable/testing.html).
