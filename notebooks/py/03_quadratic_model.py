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
# # 03 · Why momentum works: the quadratic model
#
# *On a quadratic, momentum is a 2×2 linear system per eigenvalue. Its eigenvalues give the
# stability region, the best step size and momentum, and the √κ speed-up — each predicted in
# closed form and then measured.*
#
# **Prerequisites:** chapter 01 (gradient descent's rate $(\kappa-1)/(\kappa+1)$), chapter 02
# (the momentum recurrence (2.1)), eigenvalues of a symmetric matrix.
# **Runtime:** about 20 seconds on a laptop CPU.
#
# **After this chapter you can**
# 1. reduce momentum on a quadratic to one 2×2 iteration per eigenvalue and compute its
#    eigenvalues;
# 2. state and check the stability region $0 < \alpha\lambda < 2 + 2\beta$, the $\sqrt\beta$ rate of
#    the complex regime and critical damping, and read them off a phase portrait;
# 3. derive the optimal $\alpha^*$, $\beta^*$ and the rate $(\sqrt\kappa-1)/(\sqrt\kappa+1)$, and
#    measure it against gradient descent's $(\kappa-1)/(\kappa+1)$;
# 4. predict how much a larger $\beta$ amplifies gradient noise;
# 5. say precisely in what sense momentum is — and is not — "approximately second-order".

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
from course_utils.plotting import BLACK, BLUE, GREY, ORANGE, VERMILLION, WHITE

device = setup(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The question
#
# Chapter 01 found that gradient descent's best rate on a quadratic is $(\kappa-1)/(\kappa+1)$, so
# the number of steps grows in proportion to the condition number $\kappa$. Chapter 02 found
# momentum an order of magnitude faster on one valley, at a hand-picked $\alpha$ and $\beta$. Is
# that luck, or a law? Here is the experiment this chapter explains: a 10-dimensional quadratic
# with $\kappa = 1000$, a rotated (non-diagonal) Hessian, gradient descent at its best step size,
# and momentum at the $\alpha^*, \beta^*$ derived below.

# %%
from course_utils.objectives import Quadratic, optimize
from course_utils.optim import SGD
from course_utils.quadratic_theory import optimal_gd, optimal_momentum


def errors(q, tuning, steps, w0=None):
    """‖w_t − w*‖, t = 0 … steps: the course's SGD with a Tuning(lr, momentum, rate)."""
    w0 = torch.ones(q.dim, dtype=torch.float64) if w0 is None else w0
    make = lambda ps: SGD(ps, lr=tuning.lr, momentum=tuning.momentum)  # noqa: E731
    return (optimize(q, w0, make, steps) - q.minimizer).norm(dim=1)


q1000 = Quadratic.with_condition(1000.0, dim=10, rotate=True, seed=0)
gd_1000 = errors(q1000, optimal_gd(q1000.mu, q1000.L), 500)
mom_1000 = errors(q1000, optimal_momentum(q1000.mu, q1000.L), 500)
print(f"after 500 steps, error / initial error: "
      f"gradient descent {gd_1000[-1] / gd_1000[0]:.2f}, "
      f"momentum {mom_1000[-1] / mom_1000[0]:.1e}")
assert gd_1000[-1] / gd_1000[0] > 0.1 and mom_1000[-1] / mom_1000[0] < 1e-10

# %% [markdown]
# Gradient descent has not yet removed a factor of ten; momentum has removed ten orders of
# magnitude. The rest of the chapter derives where that difference comes from, exactly.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One quadratic, many independent directions
#
# Write the quadratic with its minimiser $w^*$ and the eigen-decomposition of its Hessian,
#
# $$
# f(w) = \tfrac12 (w - w^*)^\top A\, (w - w^*), \qquad A = Q \Lambda Q^\top,\;
# \Lambda = \operatorname{diag}(\lambda_1, \dots, \lambda_n),\; 0 < \mu = \lambda_{\min},\; L = \lambda_{\max}. \tag{3.1}
# $$
#
# The gradient is $\nabla f(w) = A(w - w^*)$. In the eigenbasis — coordinates
# $x_i = q_i^\top (w - w^*)$ for the position and $z_i = q_i^\top z$ for the momentum buffer —
# it is $q_i^\top \nabla f(w) = \lambda_i x_i$, and momentum (2.1) falls apart into $n$ scalar
# recurrences that never interact:
#
# $$
# z_{i,t+1} = \beta\, z_{i,t} + \lambda_i\, x_{i,t}, \qquad x_{i,t+1} = x_{i,t} - \alpha\, z_{i,t+1}. \tag{3.2}
# $$
#
# Substituting the first equation into the second gives a linear map of the pair $(z, x)$:
#
# $$
# \begin{pmatrix} z_{i,t+1} \\ x_{i,t+1} \end{pmatrix} = R(\lambda_i)
# \begin{pmatrix} z_{i,t} \\ x_{i,t} \end{pmatrix}, \qquad
# R(\lambda) = \begin{pmatrix} \beta & \lambda \\ -\alpha\beta & 1 - \alpha\lambda \end{pmatrix}. \tag{3.3}
# $$
#
# Every result of this chapter is a statement about the 2×2 matrix $R(\lambda)$. The course keeps
# these closed forms in `course_utils.quadratic_theory`; here is $R$:

# %%
from course_utils.quadratic_theory import eigen_trajectory, iteration_matrix
from course_utils.verify import show_source

show_source(iteration_matrix)

# %% [markdown]
# The decomposition is exact, which the next cell checks on the $\kappa = 100$ version of the
# experiment: run the course's SGD in the original (rotated) coordinates, project its path onto
# the eigenvectors, and compare every coordinate with $R(\lambda_i)^t$ applied to its start.

# %%
q100 = Quadratic.with_condition(100.0, dim=10, rotate=True, seed=0)
alpha, beta = 0.015, 0.8
path = optimize(q100, torch.ones(10), lambda ps: SGD(ps, lr=alpha, momentum=beta), 200)
x = (path - q100.minimizer) @ q100.Q            # x_{i,t} = q_iᵀ(w_t − w*), (201, 10)
for i, lam in enumerate(q100.eigenvalues.tolist()):
    start = float(x[0, i])
    predicted = eigen_trajectory(lam, alpha, beta, x0=start, steps=200)[:, 1]   # (3.3)
    assert torch.allclose(x[:, i], predicted, rtol=1e-9, atol=1e-12), i
print("all 10 eigen-coordinates of 200 SGD steps follow (3.3)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The eigenvalues of $R$
#
# $R(\lambda)^t$ shrinks like $\rho^t$, where $\rho = \max(|\sigma_1|, |\sigma_2|)$ is the spectral
# radius of $R$. The eigenvalues solve $\det(R - \sigma I) = 0$, with trace
# $1 + \beta - \alpha\lambda$ and determinant $\beta(1 - \alpha\lambda) + \alpha\beta\lambda = \beta$:
#
# $$
# \sigma^2 - (1 + \beta - \alpha\lambda)\,\sigma + \beta = 0, \qquad
# \sigma_{1,2} = \frac{1 + \beta - \alpha\lambda \pm \sqrt{(1 + \beta - \alpha\lambda)^2 - 4\beta}}{2}. \tag{3.4}
# $$
#
# Two facts about (3.4) carry the whole chapter: the product of the roots is $\sigma_1\sigma_2 = \beta$,
# and the roots are real or complex conjugate depending on the sign of the discriminant. The
# closed form agrees with a numerical eigen-solver across a grid:

# %%
from course_utils.quadratic_theory import iteration_eigenvalues, spectral_radius

grid = [(a_lam, b) for a_lam in (0.001, 0.05, 0.5, 1.0, 2.0, 3.5)
        for b in (0.0, 0.3, 0.81, 0.99)]
for a_lam, b in grid:
    closed = iteration_eigenvalues(a_lam, 1.0, b)                   # (3.4), α = 1
    numeric = torch.linalg.eigvals(iteration_matrix(a_lam, 1.0, b))
    assert torch.allclose(closed.abs().sort().values, numeric.abs().sort().values,
                          rtol=1e-7, atol=1e-12)
    assert abs(complex(closed.prod()) - b) < 1e-12                  # σ₁σ₂ = det R = β
print(f"(3.4) matches torch.linalg.eigvals on {len(grid)} (αλ, β) pairs; "
      "σ₁σ₂ = β every time")

# %% [markdown]
# Where the roots go as $\beta$ grows: at $\beta = 0$ they are $0$ and $1 - \alpha\lambda$, gradient
# descent's factor. Raising $\beta$ pushes them together along the real axis until they collide;
# then they leave it as a conjugate pair on the circle of radius $\sqrt\beta$, since their product
# is $\beta$. The unit circle is the stability limit. Left, a small step; right, a step beyond
# gradient descent's limit, whose root at $-1.5$ momentum pulls back inside.

# %%
from course_utils.quadratic_theory import critical_momentum

betas = torch.linspace(0, 0.99, 397, dtype=torch.float64)
turn = torch.linspace(0, 2 * math.pi, 200)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.3), layout="constrained")
for ax, a_lam in zip(axes, (0.1, 2.5)):
    roots = iteration_eigenvalues(a_lam, 1.0, betas)                # (3.4), (397, 2)
    meet = float(critical_momentum(a_lam, 1.0))                     # the roots collide
    paired = roots[:, 0].imag.abs() > 1e-12
    assert torch.equal(paired, betas > meet)                        # complex past it,
    assert torch.allclose(roots[paired].abs(), betas[paired][:, None].sqrt())  # = √β
    for k in range(2):
        dots = ax.scatter(roots[:, k].real, roots[:, k].imag, c=betas, s=5,
                          vmin=0, vmax=1)
    ax.plot(turn.cos(), turn.sin(), color=GREY, lw=0.8, label=r"$|\sigma| = 1$")
    ax.plot(roots[0].real, [0, 0], "o", color=BLACK, ms=5, label=r"$\beta = 0$")
    double = (1 + meet - a_lam) / 2                                 # σ₁ = σ₂ there
    ax.plot(double, 0, "*", color=VERMILLION, ms=12, label=f"collision, β = {meet:.3f}")
    ax.set(aspect="equal", xlim=(-1.6, 1.1), ylim=(-1.05, 1.05), xlabel=r"Re $\sigma$",
           ylabel=r"Im $\sigma$", title=f"αλ = {a_lam}: the roots of (3.4) as β grows")
    ax.legend(loc="lower left", fontsize=8)
fig.colorbar(dots, ax=axes, label=r"momentum $\beta$")
inside = iteration_eigenvalues(2.5, 1.0, betas).abs().amax(dim=1) < 1
entry = float(betas[inside][0])
print(f"αλ = 2.5: both roots inside the unit circle from β = {entry:.3f} on "
      f"((3.5): αλ < 2 + 2β ⇔ β > {2.5 / 2 - 1})")
assert torch.equal(inside, betas > 2.5 / 2 - 1)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Stability: $0 < \alpha\lambda < 2 + 2\beta$
#
# The polynomial $p(\sigma)$ of (3.4) has both roots inside the unit circle exactly when
# $|\beta| < 1$, $p(1) > 0$ and $p(-1) > 0$ (the Jury conditions for degree 2). Here
# $p(1) = 1 - (1 + \beta - \alpha\lambda) + \beta = \alpha\lambda$ and
# $p(-1) = 1 + (1 + \beta - \alpha\lambda) + \beta = 2 + 2\beta - \alpha\lambda$, so
#
# $$
# \rho(R(\lambda)) < 1 \iff |\beta| < 1 \text{ and } 0 < \alpha\lambda < 2 + 2\beta. \tag{3.5}
# $$
#
# Gradient descent ($\beta = 0$) is stable for $\alpha\lambda < 2$, as chapter 01 found; momentum
# $\beta$ stretches the limit to $2 + 2\beta$, almost double at $\beta = 0.9$. A negative $\beta$ is
# stable too, but only shrinks the limit below 2, so the rest of the course takes $0 \le \beta < 1$.
# The boundary is sharp:

# %%
from course_utils.quadratic_theory import stability_limit

for b in (-0.5, 0.0, 0.5, 0.9, 0.99):
    edge = float(stability_limit(b))                                # (3.5)
    inside, on, outside = (float(spectral_radius(edge * s, 1.0, b))
                           for s in (1 - 1e-6, 1.0, 1 + 1e-6))
    print(f"β = {b:<4}  2 + 2β = {edge:.2f}:  ρ just inside {inside:.7f}, "
          f"on the edge {on:.7f}, just outside {outside:.7f}")
    assert inside < 1 < outside and abs(on - 1) < 1e-12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three regimes, and the √β rate
#
# The discriminant of (3.4), $(1 + \beta - \alpha\lambda)^2 - 4\beta$, is negative exactly when
# $|1 + \beta - \alpha\lambda| < 2\sqrt\beta$, that is, for $\alpha\lambda$ in the band
# $(1-\sqrt\beta)^2 < \alpha\lambda < (1+\sqrt\beta)^2$. There the roots are complex conjugates, so
# $|\sigma_1| = |\sigma_2|$, and since their product is $\beta$:
#
# $$
# (1-\sqrt\beta)^2 < \alpha\lambda < (1+\sqrt\beta)^2 \;\Longrightarrow\; \rho = |\sigma_{1,2}| = \sqrt\beta . \tag{3.6}
# $$
#
# Inside that band the rate does not depend on $\alpha$ or $\lambda$ at all — every eigen-direction
# in the band ripples down at the same speed $\sqrt\beta$. Below the band (small $\alpha\lambda$) the
# roots are real and positive: the direction creeps monotonically toward zero, *over-damped*.
# Above it they are real and negative: the direction flips sign every step. Where the band begins
# the two real roots meet, at
#
# $$
# \beta = \left(1 - \sqrt{\alpha\lambda}\right)^2 \;\Longrightarrow\; \sigma_1 = \sigma_2 = 1 - \sqrt{\alpha\lambda}
# \qquad (\alpha\lambda \le 1), \tag{3.7}
# $$
#
# *critical damping*, the fastest momentum for that one direction. The next cell *measures* the
# rate: it runs the iteration (3.3) for 400 steps at seven values of $\alpha\lambda$ across the
# band, fits the decay of the state $(x_t, x_{t-1})$ with `geometric_rate`, and compares
# $-\ln\rho$, the quantity that sets the number of steps.

# %%
from course_utils.quadratic_theory import complex_interval, geometric_rate

b = 0.81
low, high = (float(v) for v in complex_interval(b))
print(f"β = {b}: the band is {low:.3f} < αλ < {high:.3f}; "
      f"(3.6) predicts ρ = √β = {b ** 0.5:.4f} throughout")
for a_lam in torch.linspace(low, high, 9, dtype=torch.float64)[1:-1].tolist():
    x_t = eigen_trajectory(a_lam, 1.0, b, steps=400)[:, 1]      # the iteration (3.3)
    measured = geometric_rate((x_t[1:] ** 2 + x_t[:-1] ** 2).sqrt(), 50, 399)
    print(f"  αλ = {a_lam:.2f}: measured rate {measured:.4f}, "
          f"−ln ρ {-math.log(measured):.4f} (√β: {-math.log(b ** 0.5):.4f})")
    assert abs(math.log(measured) / math.log(b ** 0.5) - 1) < 0.03  # (3.6), on −ln ρ

# %% [markdown]
# ### The √β floor
#
# Since $|\sigma_1\sigma_2| = \beta$, the larger root has modulus at least $\sqrt\beta$: **no step
# size converges faster than $\sqrt\beta$**, and inside the band the rate sits exactly on that
# floor. The figure draws $\rho$ against $\beta$ for four values of $\alpha\lambda$. Each curve falls
# while the roots are real, meets the floor where they collide, and rides it from there. For a
# shallow direction the best momentum replaces gradient descent's $1 - \alpha\lambda$ by
# $1 - \sqrt{\alpha\lambda}$ (3.7): the square root is momentum's whole speed-up.

# %%
betas = torch.linspace(0, 0.999, 4000, dtype=torch.float64)
fig, ax = plt.subplots(figsize=(7.5, 4))
ax.plot(betas, betas.sqrt(), color=GREY, lw=3, alpha=0.5, label=r"floor $\sqrt{\beta}$")
for a_lam in (0.01, 0.05, 0.5, 2.5):
    rho = spectral_radius(a_lam, 1.0, betas)
    best = int(rho.argmin())
    assert (rho >= betas.sqrt() - 1e-12).all()                      # σ₁σ₂ = β
    assert abs(float(betas[best]) - float(critical_momentum(a_lam, 1.0))) < 1e-3  # 3.7
    assert abs(float(rho[best]) - abs(1 - a_lam ** 0.5)) < 1e-3
    line = ax.plot(betas, rho, label=f"αλ = {a_lam}")[0]
    ax.plot(betas[best], rho[best], "o", color=line.get_color(), ms=6)
gd = float(spectral_radius(0.01, 1.0, 0.0))
tuned = float(spectral_radius(0.01, 1.0, 0.81))
ax.set(xlabel=r"momentum $\beta$", ylabel=r"rate $\rho$ per step", ylim=(0, 1.05),
       title=f"αλ = 0.01: gradient descent {gd:.2f}, critical momentum {tuned:.2f}; "
             "none below √β")
ax.legend(loc="lower right", fontsize=8)
plt.show()
b_crit = float(critical_momentum(0.05, 1.0))                  # for αλ = 0.05, below
print(f"αλ = 0.05: critical β = {b_crit:.4f}, "
      f"rate {float(spectral_radius(0.05, 1.0, b_crit)):.4f} = 1 − √(αλ) "
      f"(gradient descent: {1 - 0.05:.2f})")

# %% [markdown]
# ### Phase portraits, to explore
#
# The regimes as pictures: one eigen-direction's position $x_t$ against its velocity
# $x_t - x_{t-1} = -\alpha z_t$, started at rest at $x_0 = 1$. With a live kernel, move $\alpha\lambda$
# and $\beta$; the title names the regime and its rate. Try $\alpha\lambda = 0.05$ with $\beta$
# rising from 0 to 0.9, then $\alpha\lambda = 2.1$ with $\beta$ from 0 up.

# %%
from course_utils.quadratic_theory import plot_phase_portrait
from course_utils.widgets import explorer, log_slider, slider, small_multiples


def regime(a_lam, b):
    """Which regime of (3.4)–(3.7) one eigen-direction is in, and its rate ρ."""
    rho = float(spectral_radius(a_lam, 1.0, b))
    low, high = (float(v) for v in complex_interval(b))
    if rho >= 1:
        return "diverges", rho
    if abs(a_lam - low) < 1e-9:
        return "critical", rho
    if a_lam < low:
        return "over-damped", rho
    return ("under-damped" if a_lam < high else "flips sign"), rho


def draw_phase(a_lam=0.05, momentum=0.6, steps=80, ax=None):
    """Phase portrait of one eigen-direction (3.3), titled with its regime."""
    ax = plt.subplots(figsize=(5, 4))[1] if ax is None else ax
    name, rho = regime(a_lam, momentum)
    x_t = eigen_trajectory(a_lam, 1.0, momentum, steps=steps)[:, 1]
    far = (x_t.abs() > 4).nonzero()                             # a divergent run:
    steps = int(far[0]) if len(far) else steps                  # stop it in view
    plot_phase_portrait(a_lam, 1.0, momentum, steps=steps, ax=ax, color=BLUE)
    ax.set_title(f"αλ = {a_lam:.3g}, β = {momentum:.3g}: {name}, ρ = {rho:.3f}",
                 fontsize=9)
    return name, rho


# %%
# NBVAL_IGNORE_OUTPUT
# (widget views carry random ids; the static figure below is this cell's tested twin)
explorer(draw_phase, a_lam=log_slider("αλ", 0.05, 0.001, 4.0),
         momentum=slider("β", 0.6, 0.0, 0.99, 0.01))

# %% [markdown]
# Without a kernel, six cases. Top, a shallow direction ($\alpha\lambda = 0.05$): over-damped,
# critical, under-damped. Bottom, a steep one ($\alpha\lambda = 2.1$, past gradient descent's
# limit 2): gradient descent diverges, a little momentum converges while flipping sign every
# step, more momentum spirals in.

# %%
phase_cases = {0.05: (0.2, b_crit, 0.9), 2.1: (0.0, 0.1, 0.5)}
fig, axes, shown = small_multiples(
    lambda a_lam, k, ax: draw_phase(a_lam, phase_cases[a_lam][k], ax=ax),
    rows=("a_lam", phase_cases), cols=("k", range(3)), panel=(4.0, 3.2))
fig.suptitle("Phase portraits: over-damped creeps in, critical is fastest without "
             "overshoot, under-damped spirals at √β")
plt.show()
assert [name for name, _ in shown.values()] == [
    "over-damped", "critical", "under-damped", "diverges", "flips sign", "under-damped"]

# %% [markdown]
# The pictures make claims the next cell checks: the over-damped and critical directions never
# cross zero, the under-damped ones cross again and again, the flipping one at nearly every
# step; and each converging one contracts at its predicted $\rho$.

# %%
for (a_lam, k), (name, predicted) in shown.items():
    b = phase_cases[a_lam][k]
    x_t = eigen_trajectory(a_lam, 1.0, b, steps=300)[:, 1]
    crossings = int((x_t[1:].sign() * x_t[:-1].sign() < 0).sum())
    measured = geometric_rate((x_t[1:] ** 2 + x_t[:-1] ** 2).sqrt(), 100, 299)
    print(f"αλ = {a_lam}, β = {b:.3f}, {name:<12}  zero crossings: {crossings:>3}   "
          f"rate measured {measured:.4f}, predicted {predicted:.4f}")
    assert (crossings == 0) == (name in ("over-damped", "critical"))
    if name in ("flips sign", "diverges"):
        assert crossings > 290
    assert abs(measured - predicted) < 0.01 * predicted

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The best α and β
#
# A quadratic has a whole spectrum in $[\mu, L]$, and the slowest direction sets the pace:
#
# $$
# \rho(\alpha, \beta) = \max_{\mu \le \lambda \le L} \rho\big(R(\lambda)\big) = \max\big(\rho(R(\mu)),\, \rho(R(L))\big). \tag{3.8}
# $$
#
# (The maximum sits at an end of the interval because $\rho$, as a function of $\lambda$, falls
# through the over-damped range, stays flat at $\sqrt\beta$ across the band, and rises beyond it —
# `tests/test_quadratic_theory.py` checks this on a dense grid.)
#
# Now the optimum, stated first and proved after:
#
# $$
# \sqrt{\beta^*} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}, \qquad
# \alpha^* = \left(\frac{2}{\sqrt L + \sqrt\mu}\right)^2, \qquad
# \rho^* = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}. \tag{3.9}
# $$
#
# It puts $\mu$ exactly at critical damping and $L$ exactly at the band's upper edge,
# $(1-\sqrt{\beta^*})^2 = \alpha^*\mu$ and $\alpha^* L = (1+\sqrt{\beta^*})^2$, so every direction
# ripples at $\sqrt{\beta^*}$. Why nothing does better: **for every $\lambda$,
# $\rho(R(\lambda)) \ge |1 - \sqrt{\alpha\lambda}|$**, whatever $\beta$. Write $s = \sqrt{\alpha\lambda}$
# and evaluate the polynomial of (3.4) at $1 - s$:
#
# $$
# p(1 - s) = (1-s)^2 - (1 + \beta - s^2)(1 - s) + \beta = -s\,\big((1-s)^2 - \beta\big). \tag{3.9a}
# $$
#
# Outside the band, $(1-s)^2 > \beta$, so $p(1-s) < 0$: the point $1-s$ lies strictly between the two
# real roots, and one of them is larger than $|1-s|$ in magnitude. Inside the band (and on its
# edges) $\rho = \sqrt\beta \ge |1-s|$, which is the band's definition. Applying the bound at both
# ends of the spectrum,
#
# $$
# \rho(\alpha, \beta) \ge \max\big(1 - \sqrt{\alpha\mu},\; \sqrt{\alpha L} - 1\big)
# \ge \frac{\sqrt L - \sqrt\mu}{\sqrt L + \sqrt\mu}, \tag{3.9b}
# $$
#
# because the first term falls and the second rises with $\alpha$, and they are equal at
# $\sqrt\alpha = 2/(\sqrt L + \sqrt\mu)$. The bound holds for *every* $(\alpha, \beta)$, in or out of
# the band, and (3.9) attains it.
#
# Compare gradient descent's best (chapter 01): balancing $1 - \alpha\mu = -(1 - \alpha L)$ gives
#
# $$
# \alpha = \frac{2}{L + \mu}, \qquad \rho = \frac{\kappa - 1}{\kappa + 1}. \tag{3.10}
# $$
#
# Both, as the package computes them:

# %%
show_source(optimal_momentum)

# %% [markdown]
# The bound (3.9b) is the whole proof, so it gets its own check, with the eigenvalues from
# `torch.linalg.eigvals` rather than the closed form: over a grid of $\alpha\lambda$ and $\beta$, in
# and out of the band, stable or not, $\rho$ never drops below $|1 - \sqrt{\alpha\lambda}|$, and it
# touches the bound only on the band's edges.

# %%
a_lams = torch.linspace(0.01, 5.0, 60, dtype=torch.float64)
gaps = []
for b in torch.linspace(0.0, 0.98, 50, dtype=torch.float64).tolist():
    for a_lam in a_lams.tolist():
        rho = float(torch.linalg.eigvals(iteration_matrix(a_lam, 1.0, b)).abs().max())
        gaps.append((rho - abs(1 - a_lam ** 0.5), abs((1 - a_lam ** 0.5) ** 2 - b)))
print(f"{len(gaps)} (αλ, β) pairs: "
      f"smallest ρ − |1 − √(αλ)| = {min(g for g, _ in gaps):.2e}")
assert all(g > -1e-7 for g, _ in gaps)                              # (3.9b)
assert all(g > 1e-6 for g, edge in gaps if edge > 1e-3)       # tight only on the edges

# %% [markdown]
# ### Predicted against measured
#
# For $\kappa \in \{10, 100, 1000\}$: a 10-dimensional rotated quadratic with eigenvalues spread
# geometrically from $\mu = 1$ to $L = \kappa$, and the course's SGD at (3.9) and at (3.10). Each
# run goes on until the error $e_t = w_t - w^*$ has $\|e_t\| \le 10^{-6}\|e_0\|$ — that step
# count is measured, next to the $\lceil \ln 10^{-6} / \ln\rho \rceil$ the rate predicts — and the
# rate is measured as the geometric mean contraction over the second half of a run of $T$ steps,
# $\big(\|e_T\| / \|e_{T/2}\|\big)^{2/T}$.

# %%
def steps_to(errs, tol=1e-6):
    return int((errs <= tol * errs[0]).nonzero()[0])


rows, curves = [], {}
for kappa in (10.0, 100.0, 1000.0):
    q = Quadratic.with_condition(kappa, dim=10, rotate=True, seed=0)
    for method, tune in (("gradient descent", optimal_gd),
                         ("momentum", optimal_momentum)):
        tuning = tune(q.mu, q.L)
        predicted_steps = math.ceil(math.log(1e-6) / math.log(tuning.rate))
        n = max(500, 2 * math.ceil(0.6 * predicted_steps))        # even, and past 1e-6
        errs = errors(q, tuning, n)
        rows.append((kappa, method, tuning, geometric_rate(errs, n // 2, n),
                     predicted_steps, steps_to(errs), n))
        curves[(kappa, method)] = errs / errs[0]
print(f"{'κ':>5}  {'method':<16} {'α':>7} {'β':>6}  {'ρ predicted':>11} {'measured':>8}"
      f"  steps to 1e-6: predicted, measured")
for kappa, method, tuning, measured, predicted_steps, measured_steps, n in rows:
    print(f"{kappa:>5.0f}  {method:<16} {tuning.lr:>7.5f} {tuning.momentum:>6.4f}"
          f"  {tuning.rate:>11.5f} {measured:>8.5f}  {predicted_steps:>6}"
          f" {measured_steps:>6}")

# %% [markdown]
# A rate is checked on $-\ln\rho$, the decay per step, because that is what the number of steps is
# inversely proportional to: near $\rho = 1$ a tolerance on $\rho$ itself means little (a 1%
# tolerance around 0.998 would accept 1.008, a divergent run). For gradient descent the
# measured $-\ln\rho$ must be within 1% of (3.10)'s.
#
# Momentum needs one correction. At the optimum, $\mu$ and $L$ sit exactly on the band's edges,
# where $R$ has a repeated eigenvalue, a Jordan block, and the error decays like $t\,\rho^t$ rather
# than $\rho^t$. Over a window from $T/2$ to $T$ that factor adds $\ln 2/(T/2)$ to the measured
# $\ln\rho$ (exactly in the limit of long runs); once it is added to the prediction, the
# measurement must agree within 1% of $-\ln\rho^*$:

# %%
for kappa, method, tuning, measured, predicted_steps, measured_steps, n in rows:
    jordan = math.log(2) / (n // 2) if method == "momentum" else 0.0
    predicted = -math.log(tuning.rate) - jordan
    error = abs(-math.log(measured) - predicted) / -math.log(tuning.rate)
    print(f"κ = {kappa:>6.0f} {method:<17} −ln ρ measured {-math.log(measured):.6f}, "
          f"predicted {predicted:.6f}: {100 * error:.2f}% apart")
    assert error < 0.01
steps = {(r[0], r[1]): r[5] for r in rows}
for method in ("gradient descent", "momentum"):
    slope = math.log(steps[(1000.0, method)] / steps[(10.0, method)]) / math.log(100)
    print(f"{method}: steps grow like κ^{slope:.2f} (measured, κ = 10 → 1000)")
    assert abs(slope - (1.0 if method == "gradient descent" else 0.5)) < 0.1
pairs = list(zip(rows[0::2], rows[1::2]))                     # (GD, momentum) per κ
predicted_speedup = [math.log(m[2].rate) / math.log(g[2].rate) for g, m in pairs]
measured_speedup = [g[5] / m[5] for g, m in pairs]
show = lambda xs: ", ".join(f"{x:.1f}" for x in xs)  # noqa: E731
print(f"steps(GD) / steps(momentum), predicted from the rates: "
      f"{show(predicted_speedup)}   measured: {show(measured_speedup)}   "
      f"√κ: {show(k ** 0.5 for k in (10, 100, 1000))}")
for k, predicted, measured in zip((10, 100, 1000), predicted_speedup, measured_speedup):
    assert 0.9 * k ** 0.5 < predicted < 1.1 * k ** 0.5
    assert 0.5 * k ** 0.5 < measured < k ** 0.5

# %% [markdown]
# The figure puts the measurements beside the predictions. Left, $\kappa = 100$: the measured
# errors (solid) against $\rho^t$ (dotted). Right, the steps to $10^{-6}$ for all three $\kappa$
# (dots) against $\lceil \ln 10^{-6}/\ln\rho \rceil$ (lines), on log axes where $\kappa$ and
# $\sqrt\kappa$ are slopes 1 and ½. Gradient descent's counts come in slightly *under* the
# prediction (its slowest directions hold only part of $\|e_0\|$); momentum's come in over it,
# because the $t\,\rho^t$ of the Jordan block costs about $\ln t/(-\ln\rho^*)$ extra steps. So the
# measured speed-up is below $\sqrt\kappa$, and the printed ratios are the honest answer to "how
# many times fewer steps".

# %%
kappas = torch.logspace(0.7, 3.3, 60, dtype=torch.float64).tolist()
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.9), layout="constrained")
for method, tune, color in (("gradient descent", optimal_gd, GREY),
                            ("momentum", optimal_momentum, BLUE)):
    rate, curve = tune(1.0, 100.0).rate, curves[(100.0, method)]
    t = torch.arange(len(curve), dtype=torch.float64)
    left.plot(t, curve, color=color, label=f"{method}, measured")
    left.plot(t, rate ** t, color=color, ls=":",
              label=rf"$\rho^t$, $\rho$ = {rate:.3f}")
    right.plot(kappas, [math.log(1e-6) / math.log(tune(1.0, k).rate) for k in kappas],
               color=color, label=f"{method}, predicted")
    mine = [r for r in rows if r[1] == method]
    right.plot([r[0] for r in mine], [r[5] for r in mine], "o", color=color,
               label=f"{method}, measured")
left.set(yscale="log", ylim=(1e-7, 2), xlim=(0, 700), xlabel="step t",
         ylabel=r"$\|e_t\| / \|e_0\|$",
         title="κ = 100: measured errors, predicted rates")
right.set(xscale="log", yscale="log", xlabel=r"condition number $\kappa$",
          ylabel="steps to 1e-6",
          title=f"Steps grow like κ and like √κ "
                f"(measured ratio at κ = 1000: {measured_speedup[-1]:.1f})")
left.legend(loc="lower center", fontsize=8)
right.legend(fontsize=8)
plt.show()
for kappa, method, tuning, measured, predicted_steps, measured_steps, n in rows:
    assert (measured_steps <= predicted_steps) == (method == "gradient descent")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The map of all (α, β)
#
# The whole story on one picture: the rate (3.8) for $\kappa = 30$ over step size (in units of $1/L$)
# and momentum. The dashed line is the divergence boundary (3.5) for $L$; the dotted and dash-dotted
# curves are the edges (3.6) of the $\sqrt\beta$ band for $\mu$ and for $L$. Between them lies the region
# where *both* extreme directions ripple at $\sqrt\beta$ and the rate depends only on $\beta$ (horizontal
# colour bands). Left of $\mu$'s edge, the shallow direction is over-damped and slow; right of $L$'s
# edge, the steep one flips sign, and beyond $\alpha L = 2 + 2\beta$ it diverges. The optimum (3.9) is
# where $\mu$'s lower edge meets $L$'s upper edge; gradient descent lives on the bottom row.

# %%
from course_utils.quadratic_theory import convergence_rate, plot_rate_map

mu, L = 1.0, 30.0
fig, ax = plt.subplots(figsize=(8, 5.8), layout="constrained")
plot_rate_map(mu, L, ax=ax)
ax.text(0.2, 0.45, "over-damped:\nslow on μ", color=WHITE, fontsize=9)
ax.text(2.0, 0.8, "√β band:\nrate = √β", color=WHITE, fontsize=9)
ax.text(3.3, 0.2, "diverges", color=BLACK, fontsize=9)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8, ncol=3,
          frameon=False, labelcolor=BLACK)      # below the axes: it covers nothing
for line in ax.get_legend().get_lines()[:3]:
    line.set_color("0.3")                        # white boundaries, visible on white
ax.set_title(f"Rate over (α, β) for κ = {L / mu:.0f}: "
             "best where μ's and L's band edges meet")
plt.show()

# %% [markdown]
# The map evaluates (3.8) at every grid point without using the argument (3.9b). Since (3.9b)
# bounds every $(\alpha, \beta)$, not only those that fit the spectrum into the band, the grid's
# minimum must sit at the optimum (3.9), up to the grid's resolution:

# %%
lrs = torch.linspace(1e-3, 4, 800, dtype=torch.float64) / L
momenta = torch.linspace(0, 0.999, 800, dtype=torch.float64)
A, B = torch.meshgrid(lrs, momenta, indexing="xy")
rates = convergence_rate([mu, L], A, B)
best, cell = optimal_momentum(mu, L), int(rates.argmin())
lr_min, momentum_min = float(A.flatten()[cell]), float(B.flatten()[cell])
print(f"grid minimum {float(rates.min()):.4f} at αL = {lr_min * L:.3f}, "
      f"β = {momentum_min:.3f}; "
      f"(3.9): {best.rate:.4f} at αL = {best.lr * L:.3f}, β = {best.momentum:.3f}")
assert best.rate - 1e-12 <= float(rates.min()) < best.rate + 0.005
assert abs(lr_min - best.lr) * L < 0.02 and abs(momentum_min - best.momentum) < 0.01

# %% [markdown]
# ### Explore the map
#
# With a live kernel, choose $\kappa$ and a point $(\alpha L, \beta)$: the map is redrawn, the
# point marked, and the title compares its rate with the best. Only $\kappa$ is needed: by (3.8)
# the rate depends on the spectrum only through $\mu$ and $L$.

# %%
def draw_map(kappa=30.0, lr_L=2.0, momentum=0.5, ax=None):
    """The rate map (3.8) for μ = 1, L = κ, with the point (αL, β); returns its rate."""
    ax = plt.subplots(figsize=(6.5, 4.6), layout="constrained")[1] if ax is None else ax
    plot_rate_map(1.0, kappa, ax=ax)
    rate = float(convergence_rate([1.0, kappa], lr_L / kappa, momentum))
    ax.plot(lr_L, momentum, "X", mfc=WHITE, mec=BLACK, ms=12)
    here = f"rate {rate:.3f} here" if rate < 1 else "diverges here"
    best = optimal_momentum(1.0, kappa).rate
    ax.set_title(f"κ = {kappa:.0f}: {here}, {best:.3f} at best", fontsize=10)
    return rate


# %%
# NBVAL_IGNORE_OUTPUT
# (widget views carry random ids; the static figure below is this cell's tested twin)
explorer(draw_map, kappa=log_slider("κ", 30.0, 2.0, 1e4),
         lr_L=slider("αL", 2.0, 0.01, 4.0, 0.01),
         momentum=slider("β", 0.5, 0.0, 0.99, 0.01))

# %% [markdown]
# Without a kernel: $L$ is easy to estimate (power iteration) but $\mu$ is not. Tune for
# $\kappa = 100$ and the point $(\alpha^* L, \beta^*)$ is fixed; below it lands on problems whose
# true $\kappa$ is 10, 100 and 1000. Overestimating $\kappa$ leaves everything in the band at a
# needlessly slow $\sqrt{\beta^*}$; underestimating it leaves $\mu$ over-damped, which costs more.

# %%
guess = optimal_momentum(1.0, 100.0)
fig, axes, at = small_multiples(draw_map, cols=("kappa", (10.0, 100.0, 1000.0)),
                                fixed={"lr_L": guess.lr * 100.0,
                                       "momentum": guess.momentum},
                                panel=(4.3, 3.4))
plt.show()
best = {kappa: optimal_momentum(1.0, kappa).rate for kappa in at}
cost = {kappa: math.log(best[kappa]) / math.log(rate) for kappa, rate in at.items()}
for kappa, rate in at.items():
    print(f"true κ = {kappa:>6.0f}: rate {rate:.4f} (3.8), "
          f"best {best[kappa]:.4f} (3.9): "
          f"{cost[kappa]:.1f}x the steps of the right tuning")
assert abs(at[100.0] - guess.rate) < 1e-6                # √eps: a double root
assert abs(at[10.0] - guess.momentum ** 0.5) < 1e-9      # everything in the band: √β*
assert cost[1000.0] > cost[10.0] > 1

# %% [markdown] slideshow={"slide_type": "slide"}
# ## With noisy gradients, β amplifies the noise
#
# Real gradients are noisy. Give each eigen-direction a gradient $\lambda x_t + \sigma_g \xi_t$ with
# independent $\xi_t \sim \mathcal N(0, 1)$. Then $x$ no longer converges; it settles into a stationary
# distribution whose variance we can compute. From (3.2), the position obeys
# $x_{t+1} = (1 + \beta - \alpha\lambda)\, x_t - \beta\, x_{t-1} - \alpha\sigma_g\xi_t$, an AR(2) process.
# Multiplying by $x_{t+1}$ and by $x_t$ and taking expectations in the stationary state gives two linear
# equations (Yule–Walker) for $\operatorname{Var} x$ and $\operatorname{Cov}(x_{t+1}, x_t)$; solved:
#
# $$
# \operatorname{Var} x = \frac{\alpha\,\sigma_g^2\,(1+\beta)}{\lambda\,(1-\beta)\,(2 + 2\beta - \alpha\lambda)}. \tag{3.11}
# $$
#
# The factor $2 + 2\beta - \alpha\lambda$ vanishes at the stability edge (3.5), and $\beta = 0$ recovers
# chapter 01's noise floor (1.7). For small $\alpha\lambda$,
#
# $$
# \operatorname{Var} x \approx \frac{\alpha\,\sigma_g^2}{2\lambda\,(1-\beta)}, \tag{3.12}
# $$
#
# so **at a fixed step size the noise floor grows like $1/(1-\beta)$**: tenfold at $\beta = 0.9$. It
# is the effective step $\alpha/(1-\beta)$ of chapter 02 (2.3) again: momentum amplifies the random
# part of the gradient by the same factor as the consistent part. At a fixed *effective* step
# $\alpha/(1-\beta)$ the floor is nearly independent of $\beta$. Both claims are measured on 4,000
# independent chains of the course's `sgd_step`, each starting at the minimum:

# %%
from course_utils.optim import sgd_step
from course_utils.quadratic_theory import stationary_variance


def noisy_chains(lr, momentum, lam=1.0, sigma=1.0, x0=0.0, chains=4000, steps=1000,
                 seed=0):
    """x_t of independent 1-D momentum runs on gradient λx + σξ: (steps + 1, chains)."""
    gen = torch.Generator().manual_seed(seed)
    x, buf = torch.full((chains,), x0, dtype=torch.float64), None
    out = [x.clone()]
    for _ in range(steps):
        g = lam * x + sigma * torch.randn(chains, generator=gen, dtype=torch.float64)
        buf = sgd_step(x, g, buf, lr=lr, momentum=momentum)     # (2.1), in place
        out.append(x.clone())
    return torch.stack(out)


# %%
print(f"{'α':>6} {'β':>4}  {'α/(1−β)':>7}  {'Var x measured':>14}  {'(3.11)':>8}")
variance = {}
for lr, b in [(0.05, 0.0), (0.05, 0.5), (0.05, 0.8), (0.05, 0.9),
              (0.1, 0.0), (0.01, 0.9)]:
    measured = float(noisy_chains(lr, b)[200:].pow(2).mean())  # after a burn-in
    predicted = float(stationary_variance(1.0, lr, b, 1.0))
    variance[(lr, b)] = measured
    print(f"{lr:>6} {b:>4}  {lr / (1 - b):>7.2f}  {measured:>14.4f}  {predicted:>8.4f}")
    assert abs(measured / predicted - 1) < 0.03
ratio = variance[(0.05, 0.9)] / variance[(0.05, 0.0)]
same_step = variance[(0.01, 0.9)] / variance[(0.1, 0.0)]
print(f"same α = 0.05: β = 0.9 has {ratio:.1f}x the variance of β = 0 "
      f"(1/(1 − β) = 10); "
      f"same α/(1−β) = 0.1: ratio {same_step:.2f}")
assert 9 < ratio < 11 and abs(same_step - 1) < 0.1
gd_floor = 0.5 * float(stationary_variance(1.0, 0.05, 0.0, 1.0))
assert abs(gd_floor - 0.05 / (2 * (2 - 0.05))) < 1e-15              # β = 0: (1.7)

# %% [markdown]
# Distill's article splits the expected loss into a *transient* part, which the analysis above
# shrinks at rate $\rho^t$, and a *stochastic* part, the floor (3.11). Momentum trades one for the
# other. Started at $x_0 = 1$ with $\alpha\lambda = 0.05$: critical damping ($\beta = 0.60$) ends
# the transient more than three times sooner than gradient descent and pays about 2.5× the floor;
# $\beta = 0.9$ is no faster here (its rate $\sqrt{0.9} = 0.949$ barely beats gradient descent's
# $0.95$) and pays ten times the floor. (By linearity the average over chains, $E[x_t]$, follows the
# noiseless iteration (3.3) exactly, so the transient can be read off `eigen_trajectory`.)

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
loss_curves, mean_paths = {}, {}
for b in (0.0, b_crit, 0.9):
    chains = noisy_chains(0.05, b, x0=1.0, chains=2000, steps=400)
    loss_curves[b] = 0.5 * chains.pow(2).mean(dim=1)                # E[½λx²]
    mean_paths[b] = chains.mean(dim=1)                              # E[x]
    line = ax.plot(loss_curves[b], label=f"β = {b:.2f}")[0]
    floor = 0.5 * float(stationary_variance(1.0, 0.05, b, 1.0))
    ax.axhline(floor, color=line.get_color(), ls=":", lw=0.9)
ax.set(yscale="log", xlabel="step", ylabel=r"mean loss $E[\frac{1}{2} \lambda x_t^2]$",
       title="Noisy gradients: β trades a faster transient for a higher floor "
             "(dotted: (3.11))")
ax.legend()
plt.show()

# %%
def transient_steps(b, tol=0.01):
    """Steps until the noiseless iteration (3.3), E[x_t] by linearity, stays < tol."""
    noiseless = eigen_trajectory(1.0, 0.05, b, steps=400)[:, 1]
    return int((noiseless.abs() > tol).nonzero()[-1]) + 1


for b, mean_path in mean_paths.items():           # the noise averages out of E[x_t]
    sem = (2 * float(stationary_variance(1.0, 0.05, b, 1.0)) / 2000) ** 0.5
    noiseless = eigen_trajectory(1.0, 0.05, b, steps=400)[:, 1]
    assert (mean_path - noiseless).abs().max() < 5 * sem
floors = {b: 0.5 * float(stationary_variance(1.0, 0.05, b, 1.0))   # ½λ Var x
          for b in loss_curves}
late = {b: float(curve[200:].mean()) for b, curve in loss_curves.items()}
transient = {b: transient_steps(b) for b in loss_curves}
for b in loss_curves:
    print(f"β = {b:.2f}: transient over after {transient[b]:>3} steps; "
          f"late mean loss {late[b]:.4f} "
          f"({late[b] / late[0.0]:.1f}x gradient descent's; "
          f"(3.11) predicts {floors[b]:.4f})")
assert 3 * transient[b_crit] < transient[0.0]
assert abs(transient[0.9] / transient[0.0] - 1) < 0.25
assert abs(late[b_crit] / late[0.0] - 2.5) < 0.25
assert abs(late[0.9] / late[0.0] - 10) < 1

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Is momentum "approximately second-order"?
#
# The claim, common in tutorials, mixes a true statement with a false one.
#
# **What is true.**
#
# * *Second-order in time.* Eliminating the buffer from (2.1) gives the heavy ball
#   $w_{t+1} = w_t - \alpha\nabla f(w_t) + \beta\,(w_t - w_{t-1})$, a discretisation of the damped
#   oscillator $\ddot w + a\,\dot w + \nabla f(w) = 0$, a second-order *differential equation*
#   (Polyak 1964; hence the phase portraits and the "damping" vocabulary).
# * *Accelerated in κ.* On quadratics tuned momentum needs $O(\sqrt\kappa \log 1/\varepsilon)$ steps
#   where gradient descent needs $O(\kappa \log 1/\varepsilon)$: the $\sqrt\kappa$ of conjugate
#   gradients' (CG) worst case and, by Nesterov's lower bound, the best order any method that
#   only combines gradients can reach.
#
# **What is not.** A second-order *optimizer* uses curvature: Newton's method multiplies the
# gradient by $A^{-1}$ and solves any quadratic in one step. Momentum never forms or inverts the
# Hessian, its steps still grow with $\sqrt\kappa$, it must be tuned to $\mu$ and $L$, and CG, also
# built from gradients alone, adapts to the actual spectrum and does better. Measured on a 200-dimensional
# quadratic with eigenvalues spread evenly over $[1, \kappa]$:

# %%
def conjugate_gradient(q, w0, steps):
    """Errors ‖w_t − w*‖ of linear conjugate gradients (Hestenes & Stiefel 1952)."""
    w, r = w0.clone(), -q.grad(w0)
    p, errs = r.clone(), [float((w0 - q.minimizer).norm())]
    for _ in range(steps):
        Ap = q.A @ p
        step = (r @ r) / (p @ Ap)
        w, r_next = w + step * p, r - step * Ap
        p, r = r_next + (r_next @ r_next) / (r @ r) * p, r_next
        errs.append(float((w - q.minimizer).norm()))
    return torch.tensor(errs, dtype=torch.float64)


# %%
w0 = torch.ones(200, dtype=torch.float64)
print(f"{'κ':>6}  {'GD (3.10), predicted':>20}  {'momentum (3.9)':>14}  {'CG':>4}  "
      f"{'Newton':>6}   (steps to 1e-6)")
table = {}
for kappa in (10, 100, 1000):
    q = Quadratic(torch.linspace(1.0, kappa, 200), rotate=True, seed=0)
    newton = w0 - torch.linalg.solve(q.hessian(), q.grad(w0))      # one Newton step
    solved = (newton - q.minimizer).norm() <= 1e-6 * (w0 - q.minimizer).norm()
    table[kappa] = (math.ceil(math.log(1e-6) / math.log(optimal_gd(q.mu, q.L).rate)),
                    steps_to(errors(q, optimal_momentum(q.mu, q.L), 400, w0)),
                    steps_to(conjugate_gradient(q, w0, 200)), 1 if solved else None)
    gd, mom, cg, nt = table[kappa]
    print(f"{kappa:>6}  {gd:>20}  {mom:>14}  {cg:>4}  {nt:>6}")
assert all(t[3] == 1 and t[2] <= t[1] < t[0] for t in table.values())
growth = table[1000][1] / table[10][1]
print(f"κ × 100 multiplies momentum's steps by {growth:.1f} (√100 = 10), "
      f"gradient descent's predicted steps by {table[1000][0] / table[10][0]:.0f}")
assert 7 < growth < 15

# %% [markdown]
# **And only on quadratics.** Every rate in this chapter is an eigenvalue argument, and
# eigenvalues only describe *linear* iterations. Lessard, Recht and Packard (2016) give a
# strongly convex function with $\mu = 1$, $L = 25$ — three quadratic pieces glued with a continuous
# gradient — on which the heavy ball with exactly the parameters (3.9) never converges: it falls
# into a 3-cycle. Nesterov's method keeps a guarantee on all smooth strongly convex functions;
# Polyak's optimal heavy ball does not.

# %%
def glued_gradient(x):
    """∇f of Lessard et al.'s counterexample: slopes 25, 1, then 25 (μ = 1, L = 25)."""
    return 25 * x if x < 1 else (x + 24 if x < 2 else 25 * x - 24)


tuned = optimal_momentum(1.0, 25.0)                              # α* = 1/9, β* = 4/9
x_prev = x_now = 3.3
history = []
for _ in range(3000):                                           # the heavy ball
    step = -tuned.lr * glued_gradient(x_now) + tuned.momentum * (x_now - x_prev)
    x_prev, x_now = x_now, x_now + step
    history.append(x_now)
print(f"α* = {tuned.lr:.4f}, β* = {tuned.momentum:.4f}; last six iterates:",
      [round(v, 4) for v in history[-6:]])
assert abs(history[-1] - history[-4]) < 1e-9                    # a 3-cycle,
assert min(abs(v) for v in history[-3:]) > 0.5                  # not the minimum 0

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **The √β rate, not 2√β.** Distill's article gives the complex-regime rate as $2\sqrt\beta$
#   (1.8 at $\beta = 0.81$: divergence); it is $\sqrt\beta$ (3.6), since $\sigma_1\sigma_2 = \det R = \beta$.
#   The article also has open errata on $R^k$'s closed form (distill issue #102) and on the ½ of
#   $f$ (issue #98).
# * **Keep α in the eigenbasis.** (3.2) has $x_{t+1} = x_t - \alpha z_{t+1}$; a derivation that
#   writes $z_t = (I - \Lambda) z_{t-1}$ for gradient descent has set $\alpha = 1$ without saying so.
# * **A short window mismeasures a rate**: it picks up transients and, at the optimum, the
#   $t\rho^t$ of the double root.
# * **β = 0.9 is optimal only for one κ**, about $1.4 \times 10^3$ ($\beta^* = 0.99$: about
#   $1.6 \times 10^5$; next cell). A good guess for badly conditioned problems, not a law.
# * **The optimum sits at a cliff edge.** At $\beta^*$ the divergence boundary $2 + 2\beta^*$ exceeds
#   $\alpha^* L = (1+\sqrt{\beta^*})^2$ by only $(1-\sqrt{\beta^*})^2$, a relative margin of exactly
#   $1/\kappa$ (next cell): at $\kappa = 1000$, an $\alpha$ 0.1% too large diverges. Stay a little
#   below $\alpha^*$; exercise 3 measures both mistakes.
# * **Quadratic results are local at best** on other functions (the 3-cycle above).

# %%
for b in (0.9, 0.99):
    kappa = ((1 + b**0.5) / (1 - b**0.5)) ** 2                  # (3.9) solved for κ
    print(f"β* = {b} is optimal for κ = {kappa:,.0f}")
    assert abs(optimal_momentum(1.0, kappa).momentum - b) < 1e-9
for kappa in (10.0, 100.0, 1000.0):
    opt = optimal_momentum(1.0, kappa)
    margin = float(stability_limit(opt.momentum)) / (opt.lr * kappa) - 1  # relative
    print(f"κ = {kappa:>6.0f}: α* may grow by {100 * margin:.2f}% before momentum "
          f"diverges (1/κ = {100 / kappa:.2f}%)")
    assert abs(margin - 1 / kappa) < 1e-9

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. On a quadratic, momentum is one 2×2 linear iteration $R(\lambda)$ per eigenvalue (3.3), with
#    eigenvalues (3.4) whose product is $\beta$: no rate beats $\sqrt\beta$.
# 2. It is stable iff $0 < \alpha\lambda < 2 + 2\beta$ (3.5); inside the band
#    $(1\mp\sqrt\beta)^2$ it converges at exactly $\sqrt\beta$ (3.6); at its lower edge it is
#    critically damped, with rate $1 - \sqrt{\alpha\lambda}$ (3.7).
# 3. The best $\alpha^*, \beta^*$ put $\mu$ and $L$ on the band's edges and give the rate
#    $(\sqrt\kappa - 1)/(\sqrt\kappa + 1)$ (3.9), against gradient descent's $(\kappa - 1)/(\kappa + 1)$
#    (3.10); no $(\alpha, \beta)$ does better (3.9b). Measured: the rates agree on $-\ln\rho$ within
#    1%, and the step counts grow like $\kappa$ and $\sqrt\kappa$.
# 4. With gradient noise the stationary variance is (3.11), growing like $1/(1-\beta)$ at a fixed
#    $\alpha$ (3.12) and roughly constant at a fixed $\alpha/(1-\beta)$.
# 5. Momentum is "second-order" as a differential equation and "accelerated" in its $\sqrt\kappa$;
#    it is not a curvature method (Newton: 1 step), and its optimal rate is a quadratic-only result.

# %% [markdown]
# ## Exercises
#
# **1.** Gradient descent with the "safe" step $\alpha = 1/L$: derive its rate from (3.10)'s
# reasoning and check it with `convergence_rate` and with a run on `q100`.

# %% tags=["solution"]
# With α = 1/L the factors are 1 − λ/L ∈ [0, 1 − 1/κ]: the slowest is μ's, 1 − 1/κ.
predicted = float(convergence_rate(q100.eigenvalues, 1 / q100.L, 0.0))
safe = errors(q100, optimal_gd(q100.mu, q100.L)._replace(lr=1 / q100.L), 600)
measured = geometric_rate(safe, 300, 600)
print(f"1 − 1/κ = {1 - 1 / 100:.4f}, convergence_rate {predicted:.4f}, "
      f"measured {measured:.4f}")
assert abs(predicted - 0.99) < 1e-12 and abs(measured / 0.99 - 1) < 1e-3

# %% [markdown]
# **2.** Nesterov's momentum (chapter 04) on a quadratic: one eigen-direction obeys
# $x_{t+1} = (1+\beta)(1-\alpha\lambda)\,x_t - \beta(1-\alpha\lambda)\,x_{t-1}$. With the common choice
# $\alpha = 1/L$, $\beta = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)$, compute the rate on $[\mu, L]$ for
# $\kappa = 100$ and compare it with $1 - 1/\sqrt\kappa$, then measure it with
# `torch.optim.SGD(..., nesterov=True)`.

# %% tags=["solution"]
def nesterov_radius(lam, lr, b):
    c = 1 - lr * lam
    companion = torch.tensor([[(1 + b) * c, -b * c], [1.0, 0.0]], dtype=torch.float64)
    return float(torch.linalg.eigvals(companion).abs().max())


b_nag, kappa = (10 - 1) / (10 + 1), 100.0
rate_nag = max(nesterov_radius(lam, 1 / q100.L, b_nag)
               for lam in q100.eigenvalues.tolist())
nag = lambda ps: torch.optim.SGD(ps, lr=1 / q100.L, momentum=b_nag,  # noqa: E731
                                 nesterov=True)
path = optimize(q100, torch.ones(10), nag, 800)
measured = geometric_rate((path - q100.minimizer).norm(dim=1), 400, 800)
print(f"Nesterov: predicted {rate_nag:.4f}, measured {measured:.4f}, "
      f"1 − 1/√κ = {1 - 1 / kappa**0.5:.4f}; "
      f"heavy ball at (3.9): {optimal_momentum(q100.mu, q100.L).rate:.4f}")
assert abs(rate_nag - (1 - 1 / kappa**0.5)) < 1e-6                # √eps: a double root
# μ's root is double, so the error decays like tρᵗ: over steps 400 … 800 that adds
# ln 2/400 to the measured ln ρ (as for (3.9) above). Compare on −ln ρ:
expected = -math.log(rate_nag) - math.log(2) / 400
assert abs(-math.log(measured) - expected) < 0.01 * -math.log(rate_nag)

# %% [markdown]
# **3.** Mis-tuning. With $\beta^*$ fixed, what happens on $\kappa = 100$ when $\alpha$ is 10% too small,
# and when it is 10% too large? Which end of the spectrum leaves the band in each case?

# %% tags=["solution"]
opt100 = optimal_momentum(1.0, 100.0)
rate_at = {f: float(convergence_rate([1.0, 100.0], f * opt100.lr, opt100.momentum))
           for f in (0.9, 1.0, 1.1)}
for factor, rate in rate_at.items():
    steps = math.ceil(math.log(1e-6) / math.log(rate)) if rate < 1 else None
    print(f"α = {factor:.1f}·α*: rate {rate:.4f}, "
          + (f"{steps} steps to 1e-6" if steps else "diverges"))
# Too small pushes μ below the band: an over-damped real root, slower but safe. Too
# large pushes L above the band and, the margin to 2 + 2β being 1/κ = 1%, past the edge.
assert opt100.rate < rate_at[0.9] < 1 < rate_at[1.1]

# %% [markdown]
# **4.** Dampening $\tau = \beta$ (chapter 04) scales each new gradient in the buffer by $1-\beta$ (from the
# second step on: torch's first step stores $g_1$ undamped). Predict the stationary
# variance of damped momentum at $\alpha = 0.05$, $\beta = 0.9$ from (3.11), and check with
# `sgd_step(..., dampening=0.9)`.

# %% tags=["solution"]
# torch's first step sets the buffer to g₁ in both forms (no dampening then); afterwards
# the damped buffer adds (1 − β)g_t instead of g_t, so it approaches (1 − β) times the
# undamped one as the first gradient's weight β^(t−1) fades. In the stationary regime,
# damped momentum at α is undamped momentum at α(1 − β):
# Var ≈ α(1 − β)σ_g²/(2λ(1 − β)) = ασ_g²/(2λ), as without momentum.
gen = torch.Generator().manual_seed(3)
x, buf, samples = torch.zeros(4000, dtype=torch.float64), None, []
for t in range(1500):
    g = x + torch.randn(4000, generator=gen, dtype=torch.float64)
    buf = sgd_step(x, g, buf, lr=0.05, momentum=0.9, dampening=0.9)
    if t >= 500:
        samples.append(float(x.pow(2).mean()))
measured = sum(samples) / len(samples)
predicted = float(stationary_variance(1.0, 0.05 * (1 - 0.9), 0.9, 1.0))
undamped = float(stationary_variance(1.0, 0.05, 0.9, 1.0))
print(f"damped: measured {measured:.4f}, predicted {predicted:.4f}, "
      f"undamped would be {undamped:.4f}")
assert abs(measured / predicted - 1) < 0.03

# %% [markdown]
# ## References
#
# * B. T. Polyak, *Some methods of speeding up the convergence of iteration methods*, USSR
#   Computational Mathematics and Mathematical Physics 4(5), 1964 — the heavy ball, its optimal
#   parameters (3.9) and the oscillator view.
# * Y. Nesterov, *A method of solving a convex programming problem with convergence rate O(1/k²)*,
#   Soviet Mathematics Doklady 27, 1983; and *Introductory Lectures on Convex Optimization*, 2004
#   (the lower bound for first-order methods).
# * I. Sutskever, J. Martens, G. Dahl, G. Hinton, *On the importance of initialization and momentum
#   in deep learning*, ICML 2013 — Nesterov's method written as momentum, and the quadratic analysis
#   of both.
# * G. Goh, *Why Momentum Really Works*, Distill, 2017 — the 2×2 analysis, rate map, phase diagrams
#   and the transient/stochastic split this chapter reproduces as tested code (with the errata noted
#   above).
# * L. Lessard, B. Recht, A. Packard, *Analysis and design of optimization algorithms via integral
#   quadratic constraints*, SIAM Journal on Optimization 26(1), 2016 — the heavy ball's 3-cycle.
# * M. R. Hestenes, E. Stiefel, *Methods of conjugate gradients for solving linear systems*, Journal
#   of Research of the National Bureau of Standards 49(6), 1952.
# * D2L, *Momentum* (the eigenbasis argument and the stability condition (3.5)).
