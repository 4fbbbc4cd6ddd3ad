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
# # 01 · Why plain SGD struggles
#
# *Gradient descent zig-zags across narrow valleys, stalls at saddles, settles in whichever
# local minimum is nearest, and — with noisy gradients and a constant learning rate — never
# settles at all. Each failure is measured here, because each is what a later chapter cures.*
#
# **Prerequisites:** chapter 00; the gradient; eigenvalues of a symmetric matrix.
# **Runtime:** about 10 s on a laptop CPU.
#
# **After this chapter you can**
# 1. predict from the condition number $\kappa$ how many gradient-descent steps a quadratic needs,
#    and check the prediction against a run;
# 2. explain why the step size is capped by the *steepest* direction while progress is set by the
#    *shallowest*;
# 3. show that gradient descent can converge to a saddle point or a non-global minimum;
# 4. measure the noise floor of SGD with a constant learning rate and relate it to the rate.

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
from course_utils.objectives import (LocalMinima1D, NoisyGradient, Quadratic, Saddle,
                                     optimize)
from course_utils.plotting import (BLACK, BLUE, GREEN, GREY, VERMILLION, plot_contours,
                                   plot_loss_curves, plot_trajectory)

device = setup(seed=0)
f64 = dict(dtype=torch.float64)

# %% [markdown]
# The experiments of this chapter are two-dimensional toys; they run on the CPU in float64
# whatever device you have, so that every printed digit is the same on every machine.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: a narrow valley
#
# Take the quadratic $f(w) = \tfrac12(w_1^2 + 25\,w_2^2)$: a valley 25 times steeper across
# ($w_2$) than along ($w_1$). Gradient descent with step size (learning rate) $\alpha$,
#
# $$
# w_{t+1} = w_t - \alpha\nabla f(w_t), \tag{1.1}
# $$
#
# written out in full:

# %%
def gradient_descent(f, w0, lr, steps):
    """Plain gradient descent on an objective with a .grad method; all iterates."""
    w, path = w0.clone(), [w0.clone()]
    for _ in range(steps):
        w = w - lr * f.grad(w)                                      # (1.1)
        path.append(w)
    return torch.stack(path)


valley = Quadratic([1.0, 25.0])
w0 = torch.tensor([-4.0, 1.0], **f64)
zigzag = gradient_descent(valley, w0, lr=0.075, steps=40)

ax = plot_contours(valley, (-5.5, 1), (-1.5, 1.5), levels=15,
                   minimizer=valley.minimizer)
plot_trajectory(zigzag, ax=ax, label=r"GD, $\alpha = 0.075$")
ax.set_title("Across the valley GD bounces; along it, it crawls")
ax.legend()
plt.show()

# %% [markdown]
# The path bounces from wall to wall across the valley while creeping along its floor. Two
# facts describe it exactly, and the next cell asserts them: the steep coordinate changes sign
# at every step, and the shallow coordinate shrinks by the same factor $1 - \alpha\lambda_1 = 0.925$
# at every step.

# %%
steep, shallow = zigzag[:, 1], zigzag[:, 0]
assert torch.all(steep[1:] * steep[:-1] < 0), "the steep coordinate flips sign"
factor = torch.full((40,), 1 - 0.075 * 1.0, **f64)                  # 1 − αλ_1 = 0.925
torch.testing.assert_close(shallow[1:] / shallow[:-1], factor, rtol=1e-12, atol=0)
print(f"after 40 steps: w = ({shallow[-1]:.3f}, {steep[-1]:.2e}); "
      "the minimum is (0, 0)")

# %% [markdown]
# Before going on, the loop above is checked against `torch.optim.SGD` (no momentum), driven
# by the course's `optimize` helper, which feeds the objective's gradient to any optimizer:

# %%
by_torch = optimize(valley, w0, lambda ps: torch.optim.SGD(ps, lr=0.075), steps=40)
torch.testing.assert_close(zigzag, by_torch, rtol=1e-12, atol=1e-15)
print("inline loop == torch.optim.SGD to 1e-12, every step")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Why: one learning rate, many curvatures
#
# For a quadratic $f(w) = \tfrac12 (w-w^\star)^\top A (w-w^\star)$ with $A = Q\,\mathrm{diag}(\lambda_1,\dots,\lambda_d)\,Q^\top$,
# the gradient is $A(w - w^\star)$. Write the error in the eigenbasis, $e_t = Q^\top(w_t - w^\star)$. One
# step of (1.1) gives
#
# $$
# e_{t+1} = (I - \alpha\,\mathrm{diag}(\lambda))\,e_t
# \quad\Longrightarrow\quad
# e_{t,i} = (1 - \alpha\lambda_i)^t\, e_{0,i}. \tag{1.2}
# $$
#
# Every eigen-direction is its own scalar recurrence. It converges if and only if
# $|1-\alpha\lambda_i| < 1$ for all $i$, that is
#
# $$
# 0 < \alpha < \frac{2}{L}, \qquad L = \lambda_{\max}. \tag{1.3}
# $$
#
# The slowest direction sets the pace: the rate is $\rho(\alpha) = \max_i |1 - \alpha\lambda_i| =
# \max(|1-\alpha\mu|,\,|1-\alpha L|)$ with $\mu = \lambda_{\min}$. The first term falls and the
# second rises with $\alpha$, so the best constant step makes them equal:
#
# $$
# \alpha^\star = \frac{2}{L+\mu}, \qquad
# \rho^\star = \frac{L-\mu}{L+\mu} = \frac{\kappa-1}{\kappa+1}, \qquad \kappa = \frac{L}{\mu}. \tag{1.4}
# $$
#
# To shrink the error by a factor $\varepsilon$ takes
#
# $$
# t(\varepsilon) = \left\lceil \frac{\ln \varepsilon}{\ln \rho^\star} \right\rceil
# \approx \frac{\kappa}{2}\,\ln\frac{1}{\varepsilon} \tag{1.5}
# $$
#
# steps, because $-\ln\rho^\star = \ln\frac{\kappa+1}{\kappa-1} = \frac{2}{\kappa} + \frac{2}{3\kappa^3} + \dots$
# (the series of $2\,\mathrm{artanh}(1/\kappa)$): **the cost grows linearly with the condition number.** The steep direction caps the step size; the shallow
# one then needs $\kappa$ times as many steps. In the valley above, $\kappa = 25$ and
# $\alpha = 0.075$ sits just under the stability limit $2/L = 0.08$.

# %% [markdown]
# ### Measuring it
#
# For each $\kappa$ we run gradient descent with $\alpha^\star$ on a quadratic with eigenvalues
# $1$ and $\kappa$, starting from $(1, 1)$, and count the steps until $\|e_t\| \le 10^{-6}\|e_0\|$.
# With $\alpha^\star$ both directions contract by exactly $\rho^\star$ in magnitude, so (1.5)
# should hold to the step.

# %%
def steps_to_reach(path, minimizer, eps):
    err = (path - minimizer).norm(dim=-1)
    below = torch.nonzero(err <= eps * err[0])
    return int(below[0]) if len(below) else None


eps, rows = 1e-6, []
for kappa in [2, 5, 10, 20, 50, 100, 200, 500]:
    q = Quadratic([1.0, kappa])
    lr = 2 / (q.L + q.mu)                                                # (1.4)
    rho = (kappa - 1) / (kappa + 1)
    predicted = math.ceil(math.log(eps) / math.log(rho))                 # (1.5)
    path = gradient_descent(q, torch.ones(2, **f64), lr, steps=predicted + 5)
    measured = steps_to_reach(path, q.minimizer, eps)
    rate = float((path[-1].norm() / path[0].norm()) ** (1 / (len(path) - 1)))
    rows.append((kappa, predicted, measured, rho, rate))

print(f"{'kappa':>6} {'predicted t':>12} {'measured t':>11} {'rate (k-1)/(k+1)':>17} "
      f"{'measured rate':>14}")
for kappa, predicted, measured, rho, rate in rows:
    print(f"{kappa:>6} {predicted:>12} {measured:>11} {rho:>17.6f} {rate:>14.6f}")

# %%
for kappa, predicted, measured, rho, rate in rows:
    assert abs(measured - predicted) <= 1, (kappa, predicted, measured)
    assert abs(rate - rho) < 1e-9 * rho
    if kappa >= 10:   # the approximation of (1.5), off by less than one step
        assert abs(kappa / 2 * math.log(1 / eps) - predicted) < 1, (kappa, predicted)
ks = torch.tensor([r[0] for r in rows if r[0] >= 10], **f64)
ts = torch.tensor([r[2] for r in rows if r[0] >= 10], **f64)
design = torch.stack([ks.log(), torch.ones_like(ks)], 1)
slope = float(torch.linalg.lstsq(design, ts.log().unsqueeze(1)).solution[0])
print(f"log-log slope of steps against kappa: {slope:.3f}")
assert 0.95 < slope < 1.05, "the number of steps grows linearly with kappa"

# %%
fig, ax = plt.subplots()
ax.loglog([r[0] for r in rows], [r[2] for r in rows], "o-", label="measured")
ax.loglog([r[0] for r in rows], [r[0] / 2 * math.log(1 / eps) for r in rows], "--",
          label=r"$\frac{\kappa}{2}\ln\frac{1}{\varepsilon}$  (1.5)")
ax.set(xlabel=r"condition number $\kappa$",
       ylabel=r"steps to reach $\varepsilon = 10^{-6}$",
       title="Gradient descent needs steps in proportion to $\\kappa$")
ax.legend()
plt.show()

# %% [markdown]
# The Hessians of real networks spread their eigenvalues over orders of magnitude, a few large
# outliers above a bulk near zero, and the spread changes as training goes (Sagun et al.,
# 2016; Ghorbani et al., 2019). A cost linear in $\kappa$ is the first thing momentum will
# improve, to $\sqrt{\kappa}$ (chapter 03 derives it).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Saddles: a zero gradient that is not a minimum
#
# $f(x, y) = \tfrac12 x^2 - \tfrac12 y^2 + \tfrac14 y^4$ has a saddle at the origin — it curves up
# along $x$ and down along $y$ — and two minima at $(0, \pm 1)$ with $f = -\tfrac14$. Near the
# origin the gradient is $(x,\,-y)$, so gradient descent multiplies $x$ by $1-\alpha$ and $y$ by
# $1+\alpha$ at each step:
#
# $$
# x_t = (1-\alpha)^t x_0, \qquad y_t \approx (1+\alpha)^t y_0 \quad (|y| \ll 1). \tag{1.6}
# $$
#
# Started exactly on $y = 0$, the run converges to the saddle; from almost every start
# gradient descent avoids such points (Lee et al., 2016). Started a hair away from it,
# it escapes — after $t \approx \ln(|y_{\text{escape}}|/|y_0|)/\ln(1+\alpha)$ steps of almost no progress.

# %%
saddle, lr = Saddle(), 0.1
on_axis = gradient_descent(saddle, torch.tensor([1.0, 0.0], **f64), lr, steps=300)
nudged = gradient_descent(saddle, torch.tensor([1.0, 1e-6], **f64), lr, steps=300)

end = on_axis[-1]
hessian_eigs = torch.linalg.eigvalsh(torch.autograd.functional.hessian(saddle, end))
print(f"start on y=0:   ends at ({end[0]:.1e}, {end[1]:.1e}), "
      f"|grad| = {saddle.grad(end).norm():.1e}, "
      f"Hessian eigenvalues {hessian_eigs.tolist()}")
assert saddle.grad(end).norm() < 1e-12 and hessian_eigs[0] < 0   # stationary, no minimum

escape = int(torch.nonzero(nudged[:, 1].abs() > 0.5)[0])
predicted = math.log(0.5 / 1e-6) / math.log(1 + lr)                            # (1.6)
print(f"start at y=1e-6: |y| passes 0.5 after {escape} steps (linearised prediction "
      f"{predicted:.0f}); final f = {saddle(nudged[-1]):.4f}")
assert abs(escape - predicted) < 0.1 * predicted
assert abs(float(saddle(nudged[-1])) + 0.25) < 1e-9

# %% [markdown]
# A preview of chapter 02. Momentum keeps a decaying sum of past gradients,
# $z_{t+1} = \beta z_t + \nabla f(w_t)$, $w_{t+1} = w_t - \alpha z_{t+1}$ (0.2). Chapter 02
# derives that near the saddle its $y$ coordinate grows like $r^t$ with $r$ *larger* than
# gradient descent's $1+\alpha$ whenever $\beta > 0$; here is the measurement, beside the $r$
# that chapter 02's (2.5) gives. The same start, the same $\alpha$, with $\beta = 0.9$ (the
# loop is checked against `torch.optim.SGD(momentum=0.9)`):

# %%
def heavy_ball(f, w0, lr, beta, steps):
    """Momentum (0.2), z ← βz + ∇f(w), w ← w − αz; returns all iterates."""
    w, z, path = w0.clone(), torch.zeros_like(w0), [w0.clone()]
    for _ in range(steps):
        z = beta * z + f.grad(w)
        w = w - lr * z
        path.append(w)
    return torch.stack(path)


beta = 0.9
rolled = heavy_ball(saddle, torch.tensor([1.0, 1e-6], **f64), lr, beta, steps=300)
by_torch = optimize(saddle, torch.tensor([1.0, 1e-6], **f64),
                    lambda ps: torch.optim.SGD(ps, lr=lr, momentum=beta), 300)
torch.testing.assert_close(rolled, by_torch, rtol=1e-12, atol=1e-15)
coef = 1 + lr + beta
r = (coef + math.sqrt(coef**2 - 4 * beta)) / 2     # growing root of chapter 02's (2.5)
escape_momentum = int(torch.nonzero(rolled[:, 1].abs() > 0.5)[0])
predicted_momentum = math.log(0.5 / 1e-6) / math.log(r)
print(f"momentum β = {beta}: growth factor {r:.3f} per step (gradient descent: "
      f"{1 + lr:.3f}); |y| passes 0.5 after {escape_momentum} steps (linearised "
      f"prediction {predicted_momentum:.0f}), against {escape} for gradient descent: "
      f"the plateau is {escape / escape_momentum:.1f}x shorter; "
      f"final f = {saddle(rolled[-1]):.4f}")
assert abs(escape_momentum - predicted_momentum) < 0.1 * predicted_momentum
assert escape_momentum < escape / 2 and abs(float(saddle(rolled[-1])) + 0.25) < 1e-9

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
plot_contours(saddle, (-1.2, 1.2), (-1.4, 1.4), ax=ax1, levels=25)
runs = {"GD, start on y = 0": (on_axis, dict(color=BLUE, lw=6, alpha=0.35)),
        "GD, start at y = 1e-6": (nudged, dict(color=VERMILLION, lw=1.5)),
        f"momentum β = {beta}, y = 1e-6": (rolled, dict(color=GREEN, lw=1.5, ls="--"))}
for name, (path, style) in runs.items():
    shown = path[:80] if "on y = 0" in name else path   # after step 80 it only creeps
    ax1.plot(shown[:, 0], shown[:, 1], label=name, **style)
ax1.plot(0, 0, "X", color=BLACK, ms=9, label="saddle (where GD on y = 0 stops)",
         zorder=5)
ax1.plot(0, 1, "*", color=BLACK, ms=11, label="minimum (0, 1)", zorder=5)
ax1.set_title("Both GD runs share the path to the saddle", fontsize=10)
ax1.legend(loc="lower left", fontsize=7)
for name, (path, style) in runs.items():
    ax2.plot(saddle(path) + 0.25, label=name, **style)
ax2.set(yscale="log", xlabel="step", ylabel=r"$f - f^\star$")
ax2.set_title("A plateau near the saddle; momentum leaves sooner", fontsize=10)
ax2.legend(fontsize=7)
plt.show()

# %% [markdown]
# In high dimensions saddles vastly outnumber local minima (Dauphin et al., 2014), and the
# plateau above is what they cost: the gradient is tiny for a long time. Momentum shortens it
# because the small, consistent push along $y$ accumulates in $z$: at the same step size it
# leaves in the fraction of the steps printed above, as the growth factors predict. (Gradient descent
# with a larger $\alpha$ would also escape sooner; what caps $\alpha$ is the steepest curvature
# elsewhere — section 2 — and momentum gains speed without raising $\alpha$.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Local minima: the nearest valley wins
#
# `LocalMinima1D` is a polynomial whose derivative is $f'(w) = \prod_i (w - r_i)$ for five
# chosen points $r_1 < \dots < r_5$; so $r_1, r_3, r_5$ are minima and $r_2, r_4$ maxima, all known
# exactly. Gradient descent with a small step never crosses a maximum: it settles in the
# minimum of the basin it starts in, which need not be the global one.

# %%
bumpy = LocalMinima1D()
maxima = [float(m) for m in bumpy.maximizers]
minima = [float(m) for m in bumpy.minimizers]
best = float(bumpy.minimizer)
starts = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.7, 1.3, 2.2], **f64)
ends = gradient_descent(bumpy, starts.unsqueeze(1), lr=0.02, steps=1500)[-1, :, 0]


def basin_minimum(w):
    """The minimum between the maxima that enclose w."""
    return minima[sum(w > m for m in maxima)]


for s, e in zip(starts.tolist(), ends.tolist()):
    note = "   (global minimum)" if abs(e - best) < 1e-9 else ""
    print(f"start {s:+.1f} -> end {e:+.4f}{note}")
    assert abs(e - basin_minimum(s)) < 1e-9

# %%
w = torch.linspace(-2.1, 2.3, 400, **f64).unsqueeze(1)
fig, ax = plt.subplots()
ax.plot(w[:, 0], bumpy(w), color=GREY)
for s, e in zip(starts.tolist(), ends.tolist()):
    fs, fe = (float(bumpy(torch.tensor([v], **f64))) for v in (s, e))
    ax.annotate("", xy=(e, fe), xytext=(s, fs),
                arrowprops=dict(arrowstyle="->", alpha=0.7))
ax.plot(minima, [float(bumpy(torch.tensor([m], **f64))) for m in minima], "k*",
        markersize=10, label="minima")
ax.set(xlabel="$w$", ylabel="$f(w)$",
       title="Each start ends in the minimum of its own basin")
ax.legend()
plt.show()

# %% [markdown]
# Momentum does not promise the global minimum either. Started from rest it behaves like a ball
# with friction: the speed it gathers rolling downhill can carry it over a maximum, but only one
# lower than where it started, less what the friction $1-\beta$ takes. Whether a crossing helps
# depends on what lies beyond the barrier. The next cell runs momentum ($\beta = 0.9$, the same
# $\alpha$) from 120 starts across the plot, compares where each run ends with gradient
# descent, and asserts that every barrier crossed is lower than the start:

# %%
grid_starts = torch.linspace(-2.0, 2.3, 120, **f64)
gd_ends = gradient_descent(bumpy, grid_starts.unsqueeze(1), lr=0.02, steps=1500)[-1]
mom_ends = heavy_ball(bumpy, grid_starts.unsqueeze(1), lr=0.02, beta=0.9,
                      steps=1500)[-1]
changed = (gd_ends - mom_ends).abs()[:, 0] > 1e-6
higher = changed & (bumpy(mom_ends) > bumpy(gd_ends))
height = {m: float(bumpy(torch.tensor([m], **f64))) for m in maxima}
for s, g_end, m_end in zip(grid_starts[changed].tolist(), gd_ends[changed, 0].tolist(),
                           mom_ends[changed, 0].tolist()):
    crossed = [m for m in maxima if min(g_end, m_end) < m < max(g_end, m_end)]
    f_start = float(bumpy(torch.tensor([s], **f64)))
    print(f"start {s:+.2f} (f = {f_start:.2f}): gradient descent ends at {g_end:+.2f}, "
          f"momentum crosses the barrier at {crossed[0]:+.2f} "
          f"(f = {height[crossed[0]]:.2f}) and ends at {m_end:+.2f}")
    assert len(crossed) == 1 and height[crossed[0]] < f_start   # only a lower barrier
print(f"momentum changed the outcome for {int(changed.sum())} of {len(grid_starts)} "
      f"starts, to a higher minimum in {int(higher.sum())} of them")
assert all(abs(e - basin_minimum(s)) < 1e-6
           for s, e in zip(grid_starts.tolist(), gd_ends[:, 0].tolist()))
assert changed.any() and bool((higher == changed).all())

# %% [markdown]
# On this landscape every barrier momentum crossed led *up*: from the far left it rolls out of
# the global minimum's basin, from the far right out of the second-best one. Escaping a basin is
# not the same as finding a better one. The honest statement is narrower: gradient descent —
# with or without momentum — is a *local* method, and its result depends on where it starts.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Noisy gradients: SGD hovers at a noise floor
#
# A minibatch gives an unbiased but noisy gradient, $g_t = \nabla f(w_t) + \sigma\xi_t$ with
# $\xi_t \sim \mathcal N(0, I)$. On the quadratic, each eigen-direction becomes
# $e_{t+1} = (1-\alpha\lambda)e_t - \alpha\sigma\xi_t$, a stable linear recurrence driven by noise. Its
# variance settles where $\mathrm{Var} = (1-\alpha\lambda)^2\mathrm{Var} + \alpha^2\sigma^2$, so
#
# $$
# \mathrm{Var}_\infty = \frac{\alpha\sigma^2}{\lambda(2-\alpha\lambda)}, \qquad
# \mathbb E f_\infty - f^\star = \sum_i \frac{\lambda_i}{2}\mathrm{Var}_{\infty,i} =
# \sum_i \frac{\alpha\sigma^2}{2(2-\alpha\lambda_i)} \approx \frac{d\,\alpha\,\sigma^2}{4}. \tag{1.7}
# $$
#
# **The floor grows with the learning rate** — in proportion to it while $\alpha\lambda_i \ll 2$,
# faster as $\alpha\lambda_i$ nears the stability limit 2 — and does not depend on how long you run.
# We measure it with 2,000 independent runs at once (each row of `w` is one run), averaging
# $f$ over the last 1,000 of 2,000 steps.

# %%
noisy = NoisyGradient(Quadratic([1.0, 10.0]), sigma=1.0,
                      generator=torch.Generator().manual_seed(1))
runs = torch.full((2000, 2), 3.0, **f64)
floors, curves = [], {}
for lr in [0.01, 0.03, 0.1]:
    path = gradient_descent(noisy, runs, lr, steps=2000)
    f_path = noisy(path)                                   # shape (steps + 1, runs)
    measured = float(f_path[1000:].mean())
    predicted = sum(lr / (2 * (2 - lr * lam))                          # (1.7)
                    for lam in noisy.base.eigenvalues.tolist())
    floors.append((lr, predicted, measured))
    curves[f"α = {lr}"] = f_path.mean(dim=1)
    print(f"lr {lr:<5} floor: predicted {predicted:.4f}, measured {measured:.4f} "
          f"({100 * (measured / predicted - 1):+.1f}%)")

# %%
for lr, predicted, measured in floors:
    assert abs(measured / predicted - 1) < 0.05
assert floors[0][2] < floors[1][2] < floors[2][2], "a larger rate settles higher"
ratio, predicted_ratio = floors[2][2] / floors[0][2], floors[2][1] / floors[0][1]
print(f"10x the learning rate -> {ratio:.1f}x the floor "
      f"(1.7 predicts {predicted_ratio:.1f}x)")
assert ratio > 10 and abs(ratio / predicted_ratio - 1) < 0.07

# %%
ax = plot_loss_curves(curves, ylabel=r"mean $f(w_t) - f^\star$ over 2,000 runs")
palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
for (lr, predicted, _), color in zip(floors, palette):
    ax.axhline(predicted, color=color, linestyle="--", linewidth=1)
ax.set_title("Constant learning rate: fast descent, then a floor that grows with "
             "$\\alpha$ (dashed: 1.7)")
plt.show()

# %% [markdown]
# The floor is not proportional to $\alpha$ here: ten times the rate gives the larger ratio printed
# above, because at $\alpha = 0.1$ the steep direction ($\lambda = 10$) has $\alpha\lambda = 1$, and the
# factor $1/(2-\alpha\lambda)$ of (1.7) has doubled. Proportionality is the small-$\alpha$ limit.
#
# The figure shows the dilemma that learning-rate decay resolves (chapters 06 and 07): a large $\alpha$
# descends fast but hovers high; a small $\alpha$ hovers low but takes $1/(\alpha\mu)$ steps to
# get there. Start large and shrink $\alpha$ — and the schedule for shrinking it is the whole
# subject of the second half of the course.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Explore: the learning rate on the valley
#
# With a live kernel, move the slider and watch the path change from a crawl, to the fastest
# run, to a zig-zag, to divergence past $\alpha = 2/L = 0.08$ (1.3). Without a kernel, the four
# panels below show the same four regimes.

# %%
# NBVAL_IGNORE_OUTPUT
from course_utils.widgets import explorer, log_slider


def draw_valley(lr, steps=30, ax=None):
    path = gradient_descent(valley, w0, lr, steps)
    ax = plot_contours(valley, (-5.5, 1), (-1.5, 1.5), levels=15, ax=ax,
                       minimizer=valley.minimizer)
    plot_trajectory(path.clamp(-10, 10), ax=ax)
    ax.set_title(f"α = {lr:.3g}: distance to minimum after {steps} steps "
                 f"{path[-1].norm():.2g}")
    return path


explorer(draw_valley, lr=log_slider("α", 0.05, 0.005, 0.1), steps=(5, 100, 5))

# %%
fig, axes = plt.subplots(2, 2, figsize=(9, 6))
regimes = {0.01: "too small: crawls", 2 / 26: "α* = 2/(L+μ)",
           0.079: "near 2/L: zig-zag", 0.09: "past 2/L: diverges"}
finals = {}
for ax, (lr, label) in zip(axes.flat, regimes.items()):
    finals[label] = float(draw_valley(lr, ax=ax)[-1].norm())
    ax.set_title(f"α = {lr:.3g} ({label})", fontsize=9)
fig.suptitle("One learning rate for every direction: too small, just right, too large")
plt.show()

# %%
print({k: f"{v:.3g}" for k, v in finals.items()})
assert finals["α* = 2/(L+μ)"] < min(finals["too small: crawls"],
                                   finals["near 2/L: zig-zag"])
assert finals["past 2/L: diverges"] > float(w0.norm())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **Judging convergence by the loss alone.** Near the saddle the loss barely moves for a
#   hundred steps; that is not convergence. The gradient norm and, here, the Hessian tell.
# * **Tuning the learning rate on the steep direction only.** The largest stable $\alpha$ is set by
#   $L$, but the time to converge is set by $\mu$: both ends of the spectrum matter (1.4).
# * **Running longer to beat the noise floor.** With a constant $\alpha$ the floor (1.7) does not
#   move with the number of steps; only a smaller $\alpha$ (or a larger batch, a smaller $\sigma$) lowers it.
#
# ## Summary
#
# 1. On a quadratic, gradient descent contracts each eigen-direction by $|1-\alpha\lambda_i|$ (1.2);
#    with the best constant step the rate is $(\kappa-1)/(\kappa+1)$ and the number of steps grows
#    linearly with $\kappa$ — predicted and measured to the step.
# 2. The steepest direction caps $\alpha$ below $2/L$ (1.3); the shallowest then sets the pace.
# 3. Gradient descent can converge to a saddle (from a measure-zero set of starts) and lingers
#    near one from nearby starts; it settles in the local minimum of its starting basin.
# 4. With noisy gradients and a constant $\alpha$, SGD hovers at a floor (1.7) that grows with $\alpha$ —
#    in proportion to it only while every $\alpha\lambda_i \ll 2$.
# 5. Momentum leaves a saddle sooner at the same $\alpha$, and can roll over a low barrier — here,
#    always into a worse minimum.
#
# Momentum answers the first two (chapters 02–05); learning-rate decay answers the fourth (06–09).

# %% [markdown]
# ## Exercises
#
# **1.** For the valley ($\lambda = 1, 25$), scan $\alpha$ on a fine grid and find the step size that
# reaches $\|e_t\| \le 10^{-6}\|e_0\|$ in the fewest steps from $w_0 = (1, 1)$. Compare it with $\alpha^\star$ of (1.4).

# %% tags=["solution"]
grid = torch.linspace(0.06, 0.079, 77).tolist()
counts = [steps_to_reach(gradient_descent(valley, torch.ones(2, **f64), a, 300),
                         valley.minimizer, 1e-6) or math.inf   # inf: not within 300
          for a in grid]
best_lr = grid[min(range(len(grid)), key=lambda i: counts[i])]
print(f"fewest steps {min(counts)} at α = {best_lr:.4f}; α* = {2 / 26:.4f}")
assert abs(best_lr - 2 / 26) < 0.002

# %% [markdown]
# **2.** With noise, halving $\alpha$ about halves the floor (1.7) — but how much longer does
# it take to get there? Measure the number of steps until the mean loss of the noisy quadratic first falls
# within 10% of its floor, for $\alpha = 0.02$ and $0.01$.

# %% tags=["solution"]
def steps_to_floor(lr):
    mean_f = noisy(gradient_descent(noisy, runs, lr, steps=3000)).mean(dim=1)
    floor = float(mean_f[2000:].mean())
    return int(torch.nonzero(mean_f < 1.1 * floor)[0]), floor


(t2, floor2), (t1, floor1) = steps_to_floor(0.02), steps_to_floor(0.01)
print(f"α = 0.02: floor {floor2:.4f} after {t2} steps; "
      f"α = 0.01: floor {floor1:.4f} after {t1} steps")
assert 1.7 < t1 / t2 < 2.3 and 1.7 < floor2 / floor1 < 2.3
# About twice as long: the descent contracts by 1 − αλ per step (1.2), so half the rate
# needs about twice the steps. A lower floor costs time in proportion.

# %% [markdown]
# ## References
#
# * B. T. Polyak, *Introduction to Optimization*, Optimization Software, 1987 — chapter 1 derives
#   the rate $(\kappa-1)/(\kappa+1)$ of gradient descent on quadratics.
# * J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer, 2006, §3.3.
# * Y. N. Dauphin et al., *Identifying and attacking the saddle point problem in high-dimensional
#   non-convex optimization*, NeurIPS 2014.
# * L. Bottou, F. E. Curtis and J. Nocedal, *Optimization methods for large-scale machine learning*,
#   SIAM Review 60(2), 2018 — §4: SGD with a fixed step converges to a neighbourhood whose size
#   is bounded in proportion to the step.
# * J. D. Lee, M. Simchowitz, M. I. Jordan and B. Recht, *Gradient descent only converges to
#   minimizers*, COLT 2016.
# * L. Sagun, L. Bottou and Y. LeCun, *Eigenvalues of the Hessian in deep learning: singularity
#   and beyond*, arXiv:1611.07476, 2016.
# * B. Ghorbani, S. Krishnan and Y. Xiao, *An investigation into neural net optimization via
#   Hessian eigenvalue density*, ICML 2019.
# * G. Goh, *Why Momentum Really Works*, Distill, 2017 — the eigen-decomposition view used here.
