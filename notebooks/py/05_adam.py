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
# # 05 · Adam: momentum built in
#
# *Adam's first moment is a momentum buffer written as an average; its second moment gives every
# coordinate its own step size. Both averages start at zero, which is what bias correction
# repairs, and weight decay can be mixed into them (L2) or kept out (AdamW) — with very
# different results. On real, noisy data, tuned, it is measured against plain SGD and momentum.*
#
# **Prerequisites:** chapter 04 (momentum, torch's buffer and its dampening convention).
# **Runtime:** about 30 s on a laptop CPU.
#
# **After this chapter you can**
# 1. derive the mean of an exponential moving average started at zero, $\mathbb E[m_t] = (1-\beta^t)\,\mathbb E[g]$,
#    and say what bias correction divides out;
# 2. show that `SGD(momentum=β, dampening=β)` keeps an exponential moving average of the
#    gradients, and state exactly how its first step differs from Adam's;
# 3. implement Adam and AdamW and prove them bitwise equal to `torch.optim`;
# 4. predict which parameters L2 regularisation shrinks inside Adam, and why AdamW's decoupled
#    decay shrinks all of them alike;
# 5. compare tuned plain SGD, momentum and Adam on Fashion-MNIST over five seeds, and say which
#    differences a 95 % interval supports.

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
from course_utils.objectives import Quadratic, optimize
from course_utils.optim import SGD, Adam, AdamW, adam_step
from course_utils.verify import compare_optimizers, show_source

device = setup(seed=0, threads=1)  # section 8 replays records made on one thread
f64 = dict(dtype=torch.float64)

# %% [markdown]
# Sections 1–7 are small: two-dimensional quadratics, scalar recurrences and a least-squares
# problem, on the CPU in float64 (float32 for the bitwise comparison with torch), so every digit printed
# is the same on every machine. Section 8 trains a small network on real images.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: curvatures $10^4$ apart
#
# Take $f(w) = \tfrac12\,(100\,w_1^2 + 0.01\,w_2^2)$ from $w_0 = (1, 1)$. Momentum $\beta$ with
# learning rate $\gamma$ is stable only if $\gamma h < 2 + 2\beta$ for every curvature $h$
# (chapter 03's (3.5)), so with $\beta = 0.9$ the steep coordinate caps the rate at
# $\gamma < 3.8/100 = 0.038$, and the flat coordinate then moves by at most
# $\gamma\cdot 0.01/(1-\beta) \approx 0.4\%$ of its distance per step. We try every stable
# learning rate on a grid:

# %%
valley = Quadratic([100.0, 0.01])
w0 = torch.tensor([1.0, 1.0], **f64)
lr_limit = (2 + 2 * 0.9) / valley.L
sgd_runs = {lr: optimize(valley, w0, lambda ps, lr=lr: SGD(ps, lr=lr, momentum=0.9),
                         100)
            for lr in torch.linspace(0.05, 0.99, 12).mul(lr_limit).tolist()}
flat_left = {lr: float(path[-1, 1]) for lr, path in sgd_runs.items()}
print(f"stable lr < {lr_limit:.3f}; w2 after 100 steps, over {len(flat_left)} stable "
      f"lrs: {min(flat_left.values()):.3f} … {max(flat_left.values()):.3f}")
assert min(flat_left.values()) > 0.7, "no stable lr moves the flat coordinate far"

# %% [markdown]
# Every stable learning rate on the grid leaves $w_2$ above 0.7 after 100 steps. Adam, with
# one learning rate $\gamma = 0.05$, brings **both** coordinates to within $0.01$ of the minimum —
# and, more striking, moves them along *the same* path, as if the curvatures were equal:

# %%
adam_path = optimize(valley, w0, lambda ps: Adam(ps, lr=0.05), 100)
gap = float((adam_path[:, 0] - adam_path[:, 1]).abs().max())
print(f"Adam: |w| after 100 steps = {float(adam_path[-1].abs().max()):.2e}; "
      f"largest |w1 - w2| along the path = {gap:.1e}")
assert float(adam_path[-1].abs().max()) < 0.01 and gap < 1e-6

# %%
fig, ax = plt.subplots()
best_sgd = sgd_runs[min(flat_left, key=flat_left.get)]
best = "SGD+momentum (best stable lr)"
ax.semilogy(best_sgd[:, 0].abs(), label=f"{best}: $|w_1|$ (curvature 100)")
ax.semilogy(best_sgd[:, 1].abs(), label=f"{best}: $|w_2|$ (curvature 0.01)")
ax.semilogy(adam_path[:, 0].abs(), "--", label="Adam, lr = 0.05: $|w_1|$")
ax.semilogy(adam_path[:, 1].abs(), "o", markevery=5, markersize=3,
            label="Adam, lr = 0.05: $|w_2|$ (on top of $|w_1|$)")
ax.set(xlabel="step", ylabel="distance to the minimum, per coordinate",
       title="One learning rate cannot serve curvatures $10^4$ apart; "
             "Adam rescales each coordinate")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The reason is in Adam's update: each coordinate's step is its averaged gradient divided by the
# root of its averaged squared gradient. Multiply a coordinate's gradients by 100 and both
# averages scale with it, so the quotient does not change (up to the tiny $\epsilon$). Adam sees
# the *shape* of each coordinate's gradient history, not its scale. And the averaged gradient
# in the numerator is momentum — Adam carries its own.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Adam in one box
#
# PyTorch's Adam (Kingma & Ba, 2015, with torch's placement of $\epsilon$), for a step $t = 1, 2, \dots$
# with $m_0 = v_0 = 0$:
#
# $$ g_t = \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1} \qquad\text{(Adam's L2 weight decay)} \tag{5.1} $$
# $$ \theta_{t-1} \leftarrow (1 - \gamma\lambda)\,\theta_{t-1} \qquad\text{(AdamW's decoupled weight decay, instead of (5.1))} \tag{5.2} $$
# $$ m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t \tag{5.3} $$
# $$ v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \tag{5.4} $$
# $$ v_t \leftarrow \max(v^{\max}_{t-1}, v_t) \qquad\text{(AMSGrad only)} \tag{5.5} $$
# $$ \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\cdot \frac{m_t}{\sqrt{v_t}\,/\sqrt{1-\beta_2^t} + \epsilon} \tag{5.6} $$
#
# Squares, roots and quotients act elementwise: every coordinate has its own $m$ and $v$.
#
# | symbol | meaning | code name | torch argument / state |
# |---|---|---|---|
# | $\theta$ | parameters | `param` | `params` |
# | $g_t$ | gradient (plus L2 term) at step $t$ | `grad`, `g` | `p.grad` |
# | $\gamma$ | learning rate | `lr` | `lr` |
# | $\beta_1, \beta_2$ | averaging coefficients of $m$ and $v$ | `beta1`, `beta2` | `betas=(0.9, 0.999)` |
# | $m_t$ | first moment: average gradient | `exp_avg` | state `exp_avg` |
# | $v_t$ | second moment: average squared gradient | `exp_avg_sq` | state `exp_avg_sq` |
# | $\epsilon$ | guard in the denominator | `eps` | `eps=1e-8` |
# | $\lambda$ | weight decay | `weight_decay` | `weight_decay` (Adam 0, AdamW 0.01) |
# | $t$ | step counter | `step` | state `step` (a float tensor) |
#
# Two parts need explaining: the averages (5.3)–(5.4), and the factors $1-\beta^t$ in (5.6).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Exponential moving averages and their bias
#
# Unroll (5.3) from $m_0 = 0$:
#
# $$ m_t = (1-\beta)\sum_{i=1}^{t} \beta^{\,t-i}\, g_i . \tag{5.7} $$
#
# The weights form a geometric series, and they do **not** sum to one:
#
# $$ (1-\beta)\sum_{i=1}^{t}\beta^{\,t-i} = (1-\beta)\,\frac{1-\beta^t}{1-\beta} = 1-\beta^t . \tag{5.8} $$
#
# So if the gradients are *stationary*, with the same mean $\mathbb E[g_i] = \bar g$ for every $i$,
# linearity gives
#
# $$ \mathbb E[m_t] = (1-\beta^t)\,\bar g, \qquad \mathbb E[v_t] = (1-\beta_2^t)\,\mathbb E[g^2], \tag{5.9} $$
#
# and the corrected averages $\hat m_t = m_t/(1-\beta_1^t)$, $\hat v_t = v_t/(1-\beta_2^t)$ are unbiased.
# The missing mass $\beta^t$ is the weight (5.7) gives to $m_0 = 0$. With $\beta_1 = 0.9$ it is gone
# after a few dozen steps; with $\beta_2 = 0.999$ it takes thousands.
#
# (5.9) is checked by simulation: 100,000 independent runs of gradients $g \sim \mathcal N(1, 2^2)$,
# averaged with (5.3)–(5.4). The mean over runs must match $(1-\beta^t)\bar g$ within a few standard
# errors at every step.

# %%
gen = torch.Generator().manual_seed(1)
runs, steps, g_bar, sigma, b1, b2 = 100_000, 60, 1.0, 2.0, 0.9, 0.999
g = g_bar + sigma * torch.randn(steps, runs, generator=gen, **f64)
m, v = torch.zeros(runs, **f64), torch.zeros(runs, **f64)
mean_m, mean_v, se_m, se_v = [], [], [], []
for t in range(steps):
    m = b1 * m + (1 - b1) * g[t]                                   # (5.3)
    v = b2 * v + (1 - b2) * g[t] ** 2                              # (5.4)
    mean_m.append(m.mean()); mean_v.append(v.mean())
    se_m.append(m.std() / runs ** 0.5); se_v.append(v.std() / runs ** 0.5)
t_axis = torch.arange(1, steps + 1, **f64)
mean_m, mean_v, se_m, se_v = map(torch.stack, (mean_m, mean_v, se_m, se_v))
z_m = ((mean_m - (1 - b1 ** t_axis) * g_bar) / se_m).abs().max()          # (5.9)
g2 = g_bar**2 + sigma**2                                                  # E[g²]
z_v = ((mean_v - (1 - b2 ** t_axis) * g2) / se_v).abs().max()
print(f"largest deviation from (5.9), in standard errors: m {z_m:.2f}, v {z_v:.2f}")
print(f"at t = {steps}: E[v_t] / E[g²] = {float(mean_v[-1]) / g2:.3f}  "
      f"(1 - β2^t = {1 - b2**steps:.3f})")
assert z_m < 5 and z_v < 5

# %%
fig, ax = plt.subplots()
ax.plot(t_axis, mean_m / g_bar, label=r"raw $m_t$ / $\bar g$  ($\beta_1 = 0.9$)")
ax.plot(t_axis, mean_m / (1 - b1 ** t_axis) / g_bar, "--",
        label=r"corrected $\hat m_t$ / $\bar g$")
ax.plot(t_axis, mean_v / (g_bar**2 + sigma**2),
        label=r"raw $v_t$ / $\mathbb{E}[g^2]$  ($\beta_2 = 0.999$)")
ax.plot(t_axis, mean_v / (1 - b2 ** t_axis) / (g_bar**2 + sigma**2), ":",
        label=r"corrected $\hat v_t$ / $\mathbb{E}[g^2]$")
ax.set(xlabel="step t", ylabel="mean over 100,000 runs / true value",
       title="Averages started at zero are biased low; "
             "dividing by $1-\\beta^t$ removes it")
ax.legend()
plt.show()

# %% [markdown]
# The second moment is the one that matters. After 60 steps the raw $v_t$ is still only 6% of
# $\mathbb E[g^2]$. Drop its correction and the denominator of (5.6) is far too small: the first step is
# $\gamma\, g_1 / \sqrt{(1-\beta_2) g_1^2} = \gamma/\sqrt{0.001} \approx 31.6\,\gamma$ long instead of $\gamma$. The
# package's `adam_step` with and without that factor, on one coordinate:

# %%
theta, grad = torch.zeros(1, **f64), torch.tensor([0.3], **f64)
m, v, step = torch.zeros(1, **f64), torch.zeros(1, **f64), torch.tensor(0.0, **f64)
adam_step(theta, grad, m, v, step, lr=0.01, eps=0.0)          # (5.3)–(5.6), corrected
with_correction = float(theta.abs())
without = float(0.01 / (1 - 0.9) * m / v.sqrt())             # same m, v; √v uncorrected
print(f"first step with correction {with_correction:.4f}, without {without:.4f} "
      f"(ratio {without / with_correction:.1f} = 1/√(1 − β2))")
assert math.isclose(without / with_correction, 1 / math.sqrt(1 - 0.999), rel_tol=1e-12)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. `SGD(momentum=β, dampening=β)` is an average too
#
# torch's SGD with momentum $\beta$ and dampening $\tau$ keeps the buffer $b_1 = g_1$,
# $b_t = \beta\,b_{t-1} + (1-\tau)\,g_t$ (chapter 04's (4.2)). With $\tau = \beta$ this is the recursion (5.3) — at
# every step but the first:
#
# $$ b_1 = g_1, \qquad b_t = \beta\, b_{t-1} + (1-\beta)\, g_t \quad (t \ge 2). \tag{5.10} $$
#
# An average (5.3) started from $m_0 = 0$ would have $m_1 = (1-\beta)\,g_1$. torch instead sets
# $b_1 = g_1$, which is what (5.3) gives if it starts from $m_0 = g_1$. Subtracting the two
# recursions, the difference $b_t - m_t$ starts at $\beta g_1$ and is multiplied by $\beta$ at every step:
#
# $$ b_t = m_t + \beta^{\,t}\, g_1 \tag{5.11} $$
#
# (chapter 04's dampening formula (4.9), with its momentum $\mu$ and dampening $\tau$ both equal to
# $\beta$). Two consequences. First, the buffer is unbiased without any correction: for stationary
# gradients $\mathbb E[b_t] = (1-\beta^t)\bar g + \beta^t\bar g = \bar g$. Second, it is a
# *different* unbiased average from Adam's $\hat m_t$: the first gradient keeps weight
# $\beta^{t-1}$, which is $\beta/(1-\beta) = 9$ times (for $\beta = 0.9$) the weight
# $(1-\beta)\beta^{t-2}$ of the second. Both claims, on the course's `SGD` run on a fixed sequence
# of gradients:

# %%
beta = 0.9
gen = torch.Generator().manual_seed(2)
grads = torch.randn(12, 3, generator=gen, **f64)
theta = torch.zeros(3, **f64, requires_grad=True)
opt = SGD([theta], lr=0.1, momentum=beta, dampening=beta)
m, buffers, emas = torch.zeros(3, **f64), [], []
for g_t in grads:
    theta.grad = g_t.clone()
    opt.step()
    buffers.append(opt.state[theta]["momentum_buffer"].clone())
    m = m.mul(beta).add(g_t, alpha=1 - beta)                        # (5.3), torch's ops
    emas.append(m.clone())
for t, (b_t, m_t) in enumerate(zip(buffers, emas), start=1):
    torch.testing.assert_close(b_t - m_t, beta ** t * grads[0],
                               rtol=1e-12, atol=1e-15)                     # (5.11)
    if t >= 2:   # (5.10): the same recursion, to the last bit, once it has started
        again = buffers[t - 2].mul(beta).add(grads[t - 1], alpha=1 - beta)
        assert torch.equal(b_t, again)
assert torch.equal(buffers[0], grads[0]) and not torch.allclose(buffers[0], emas[0])
print("b_1 = g_1 (not (1-β) g_1); b_t = β b_(t-1) + (1-β) g_t for t ≥ 2; "
      "b_t - m_t = β^t g_1: asserted")

# %% [markdown]
# The weights each average puts on past gradients, at $t = 8$, make the difference visible: torch's
# buffer gives the first gradient nine times its neighbour's weight, while Adam's corrected
# $\hat m_t$ keeps the geometric pattern and rescales it to sum to one.

# %%
t, i = 8, torch.arange(1, 9, **f64)
w_ema = (1 - beta) * beta ** (t - i)                                # (5.7)
w_torch = w_ema.clone()
w_torch[0] += beta ** t                                            # (5.11)
w_adam = w_ema / (1 - beta ** t)                                   # m̂_t
assert math.isclose(float(w_torch.sum()), 1.0)
assert math.isclose(float(w_adam.sum()), 1.0)
assert math.isclose(float(w_torch[0] / w_torch[1]), beta / (1 - beta))
fig, ax = plt.subplots()
for k, (w, name) in enumerate(((w_ema, "raw EMA $m_8$ (sums to $1-\\beta^8$)"),
                               (w_torch, "torch SGD buffer $b_8$"),
                               (w_adam, "Adam's $\\hat m_8$"))):
    ax.bar(i + (k - 1) * 0.27, w, width=0.27, label=name)
ax.set(xlabel="gradient index i", ylabel="weight of $g_i$ at t = 8",
       title="torch's buffer over-weights the first gradient; "
             "Adam's correction does not")
ax.legend()
plt.show()

# %% [markdown]
# **So Adam carries momentum**, in the *dampened* form: its numerator is a step of size $\gamma$ in
# the direction of an average gradient. Undamped momentum (`dampening=0`) instead takes steps up
# to $\gamma/(1-\beta)$ (chapter 02's effective step). A constant gradient $g = 0.5$ shows the difference
# in one number each: after 100 steps Adam's step is $\gamma$ whatever $g$ is, damped SGD's is
# $\gamma g$, and undamped SGD's is $1/(1-\beta) = 10$ times damped SGD's — here 5 times Adam's, since
# $g = 0.5$:

# %%
def step_after(make, steps=100):
    theta = torch.zeros(1, **f64, requires_grad=True)
    opt = make([theta])
    for _ in range(steps):
        before = theta.detach().clone()
        theta.grad = torch.full((1,), 0.5, **f64)
        opt.step()
    return float((before - theta.detach()).abs())


adam_len = step_after(lambda ps: Adam(ps, lr=0.01))
sgd_len = step_after(lambda ps: SGD(ps, lr=0.01, momentum=0.9))
damped_len = step_after(lambda ps: SGD(ps, lr=0.01, momentum=0.9, dampening=0.9))
print(f"step length at t = 100, gradient 0.5: Adam {adam_len:.4f} (≈ γ), "
      f"SGD damped {damped_len:.4f} (γ·g), SGD undamped {sgd_len:.4f} (≈ γ·g/(1-β))")
assert math.isclose(adam_len, 0.01, rel_tol=1e-6)
assert math.isclose(damped_len, 0.01 * 0.5, rel_tol=1e-12)
assert math.isclose(sgd_len / damped_len, 1 / (1 - 0.9), rel_tol=1e-4)  # 10x damped's
assert math.isclose(sgd_len / adam_len, 0.5 / (1 - 0.9), rel_tol=1e-4)   # 5x Adam's
assert math.isclose(sgd_len, 0.01 * 0.5 * (1 - 0.9**100) / (1 - 0.9),
                    rel_tol=1e-12)                               # (2.3), the 100th step

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Adam from scratch, equal to torch
#
# The package's functional core, `course_utils.optim.adam_step`, carries the numbers of (5.1)–(5.6)
# on the lines that compute them:

# %%
show_source(adam_step)

# %% [markdown]
# Three details make it *torch's* Adam rather than the paper's formula typed out:
#
# * (5.3) is `exp_avg.lerp_(g, 1 - β1)`, i.e. $m + (1-\beta_1)(g - m)$, not $\beta_1 m + (1-\beta_1) g$;
# * the bias corrections are Python floats (double precision), folded into a step size
#   $\gamma/(1-\beta_1^t)$ and a divisor $\sqrt{1-\beta_2^t}$ of $\sqrt{v_t}$;
# * $\epsilon$ is added *after* that division: $\text{denom} = \sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon$.
#
# (torch has a second arrangement of (5.6) for `differentiable` and `capturable`: the same quotient
# with the bias corrections kept as tensors, so that no `.item()` is needed and gradients can flow
# through the step. For those flags, and for complex parameters and tensor betas, the `Adam` class
# calls the package's private `_compat.py` instead of `adam_step`; `tests/test_optim.py` checks
# those paths against torch bitwise and with `gradcheck`.)
#
# With the same operations in the same order, the course's `Adam`, `AdamW` and AMSGrad are
# bitwise equal to torch's, in float32, on a least-squares problem. (The same formula typed as
# the paper prints it agrees with torch only to rounding; chapter 15 shows why.)

# %%
gen = torch.Generator().manual_seed(3)
X, y = torch.randn(64, 10, generator=gen), torch.randn(64, generator=gen)
w_init = [0.1 * torch.randn(10, generator=gen)]


def least_squares(params):
    w = params[0]
    return 0.5 * ((X.to(w.dtype) @ w - y.to(w.dtype)) ** 2).mean()


configs = {"Adam": (lambda ps: Adam(ps, lr=0.01),
                    lambda ps: torch.optim.Adam(ps, lr=0.01, foreach=False)),
           "AdamW": (lambda ps: AdamW(ps, lr=0.01),
                     lambda ps: torch.optim.AdamW(ps, lr=0.01, foreach=False)),
           "AMSGrad": (lambda ps: Adam(ps, lr=0.01, amsgrad=True),
                       lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True,
                                                   foreach=False))}
for name, (ours, theirs) in configs.items():
    result = compare_optimizers(ours, theirs, least_squares, w_init, steps=100,
                                names=(f"ours {name}", f"torch {name}"))
    print(result)
    assert result.exact

# %% [markdown]
# AMSGrad (Reddi, Kale & Kumar, 2018) replaces $v_t$ in the denominator by its running maximum
# (5.5). The paper's version has no bias correction, so its effective step size $\gamma/\sqrt{v^{\max}_t}$
# can never grow; that repairs a convex counter-example on which Adam fails to converge. torch takes
# the maximum of the *uncorrected* $v_t$ and then divides by the current $\sqrt{1-\beta_2^t}$, as
# (5.5)–(5.6) say, so in torch the effective step $\gamma\sqrt{1-\beta_2^t}/\sqrt{v^{\max}_t}$ still grows
# while that correction fades. One large gradient followed by small ones shows both:

# %%
w = torch.zeros(1, **f64, requires_grad=True)
opt, v_max, effective = Adam([w], lr=0.01, amsgrad=True), [], []
for t in range(1, 201):
    w.grad = torch.tensor([1.0 if t == 1 else 0.01], **f64)
    opt.step()
    v_max.append(float(opt.state[w]["max_exp_avg_sq"]))                     # (5.5)
    effective.append(0.01 * math.sqrt(1 - 0.999**t) / math.sqrt(v_max[-1]))  # (5.6)
print(f"v_max at t = 1, 200: {v_max[0]:.2e}, {v_max[-1]:.2e}; "
      f"effective step {effective[0]:.3f} → {effective[-1]:.3f}")
assert all(later >= earlier for earlier, later in zip(v_max, v_max[1:]))  # never falls
assert effective[-1] > 10 * effective[0]                          # the step still grows

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Weight decay: in the gradient (L2) or beside it (AdamW)
#
# For SGD, adding $\lambda\theta$ to the gradient and shrinking $\theta$ by $(1-\gamma\lambda)$ are the same
# thing. In Adam they are not. With (5.1) the decay term $\lambda\theta$ enters $m$ and $v$ and is *divided by*
# $\sqrt{\hat v}$ like any gradient. Where the loss gradients of coordinate $i$ have scale
# $s_i \gg \lambda|\theta_i|$, so $\sqrt{\hat v_i} \approx s_i$, the decay part of the step is
# about $\gamma\lambda\theta_i/s_i$:
#
# $$ \lambda^{\text{eff}}_i \approx \frac{\lambda}{s_i} \quad\text{(Adam + L2)}, \qquad \lambda^{\text{eff}}_i = \lambda \quad\text{(AdamW, (5.2))}. \tag{5.12} $$
#
# Coupled L2 decays least the weights whose gradients are *largest* — the opposite of a uniform
# prior on the weights — and a coordinate whose gradients are tiny falls toward zero by about
# $\gamma$ per step, because there the decay term *is* the gradient, and Adam turns any gradient
# into steps of size $\gamma$ (until $\lambda|\theta|$ has shrunk to the noise scale $s$). Loshchilov & Hutter (2019) proposed the decoupled form (5.2) for
# this reason. One difference in bookkeeping: their Algorithm 2 multiplies the decay by the
# schedule multiplier $\eta_t$ alone, $\theta \leftarrow \theta - \eta_t(\alpha\,\hat m/(\sqrt{\hat v}+\epsilon) + \lambda\theta)$,
# so their decay does not change with the step size $\alpha$; torch multiplies it by `lr`, the step
# size itself, as in (5.2). torch's `weight_decay` therefore corresponds to the paper's $\lambda/\alpha$, and
# changing `lr` changes the decay too.
#
# The experiment: three groups of 1,000 coordinates, all starting at $\theta = 1$, whose gradients
# are pure noise of scale $s = 10$, $1$ and $0.01$ (the loss does not care where they are; only the
# decay pulls them). 500 steps, $\gamma = 0.01$, $\lambda = 0.1$, so uniform decay would leave
# $(1-\gamma\lambda)^{500} \approx 0.61$:

# %%
def decay_run(make, scales=(10.0, 1.0, 0.01), n=1000, steps=500, seed=5):
    s = torch.tensor(scales, **f64).repeat_interleave(n)
    theta = torch.ones(len(s), **f64, requires_grad=True)
    opt, gen, trace = make([theta]), torch.Generator().manual_seed(seed), []
    for _ in range(steps):
        theta.grad = s * torch.randn(len(s), generator=gen, **f64)
        opt.step()
        trace.append(theta.detach().view(len(scales), n).mean(1))
    return torch.stack(trace)                        # (steps, groups): mean θ per group


gamma, lam, T = 0.01, 0.1, 500
l2 = decay_run(lambda ps: Adam(ps, lr=gamma, weight_decay=lam))
decoupled = decay_run(lambda ps: AdamW(ps, lr=gamma, weight_decay=lam))
eff = {name: -torch.log(run[-1].abs()) / (gamma * T)
       for name, run in (("Adam + L2", l2), ("AdamW", decoupled))}
print(f"{'gradient scale s':>16} {'λ/s (5.12)':>11} {'Adam+L2 λ_eff':>14} "
      f"{'AdamW λ_eff':>12} {'Adam+L2 θ_T':>12} {'AdamW θ_T':>10}")
for k, s in enumerate((10.0, 1.0, 0.01)):
    print(f"{s:>16g} {lam / s:>11.3g} {eff['Adam + L2'][k]:>14.3g} "
          f"{eff['AdamW'][k]:>12.3g} {l2[-1, k]:>12.2g} {decoupled[-1, k]:>10.3f}")

# %%
torch.testing.assert_close(eff["AdamW"], torch.full((3,), lam, **f64),
                           rtol=0.05, atol=0)                          # uniform
assert abs(eff["Adam + L2"][0] / (lam / 10) - 1) < 0.05                 # (5.12), s = 10
assert abs(eff["Adam + L2"][1] / lam - 1) < 0.05                        # (5.12), s = 1
assert abs(l2[-1, 2]) < 0.01, "tiny gradients: L2 drives the weights to zero"
slope = float(1 - l2[49, 2]) / 50
print(f"s = 0.01 under L2: θ falls by {slope:.4f} per step over the first 50 steps "
      f"(γ = {gamma})")
assert 0.8 * gamma < slope < 1.05 * gamma, "… by about γ a step while decay dominates"

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, run, name in ((axes[0], l2, "Adam + L2 (5.1)"),
                      (axes[1], decoupled, "AdamW (5.2)")):
    for k, s in enumerate((10.0, 1.0, 0.01)):
        ax.plot(run[:, k], label=f"gradient scale s = {s:g}")
    ax.plot((1 - gamma * lam) ** torch.arange(1, T + 1, **f64), "k:",
            label=r"$(1-\gamma\lambda)^t$")
    ax.set(title=name, xlabel="step")
axes[0].set_ylabel(r"mean $\theta$ of the group")
axes[1].legend()
fig.suptitle("L2 inside Adam decays weights by the inverse of their gradient scale; "
             "AdamW decays all alike")
plt.show()

# %% [markdown]
# The table is (5.12) measured: with L2, the group with gradients of scale 10 decays ten times
# slower than intended, the group with scale 1 as intended, and the group with scale 0.01 falls
# by about $\gamma$ per step at first (the straight start of its curve) and ends near zero. AdamW's three groups follow $(1-\gamma\lambda)^t$.
# In torch, `Adam(weight_decay=λ)` is the coupled form and `AdamW(weight_decay=λ)` the decoupled one;
# in recent releases `AdamW` is exactly `Adam(..., decoupled_weight_decay=True)`. That keyword may be
# missing from the older releases the course supports (torch ≥ 2.4), so the cell checks for it first:

# %%
import inspect

if "decoupled_weight_decay" in inspect.signature(torch.optim.Adam).parameters:
    same = compare_optimizers(
        lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1, foreach=False),
        lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1,
                                    decoupled_weight_decay=True, foreach=False),
        least_squares, w_init, steps=50, names=("torch AdamW", "torch Adam(decoupled)"))
    print(same)
    assert same.exact
else:
    print(f"torch {torch.__version__} has no Adam(decoupled_weight_decay=...): use "
          "torch.optim.AdamW, the same algorithm under its own name")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Turn the valley: Adam rescales coordinates, not directions
#
# Section 1's valley had its steep and flat directions on the coordinate axes, which is exactly
# where Adam's per-coordinate division helps. Turn the same valley by an angle $\phi$:
# $f(w) = \tfrac12\, w^\top Q D Q^\top w$ with $Q$ the rotation by $\phi$ and $D = \mathrm{diag}(100, 0.01)$.
# Gradient descent with momentum does not notice. Writing $w = Qu$, its update is
#
# $$ u_{t+1} = u_t - \gamma\,D u_t + \beta\,(u_t - u_{t-1}), \tag{5.13} $$
#
# the same recursion in the eigen-coordinates $u$ for every $\phi$, so its distance to the minimum
# is the same at every angle. Adam's division by $\sqrt{\hat v_t}$ is taken coordinate by coordinate in
# $w$, and once the axes are not eigen-directions each coordinate mixes a steep and a flat
# direction: no per-coordinate scale fits both. We start every run at the same eigen-coordinates
# $u_0 = (1, 1)$, so the only difference is the angle:

# %%
from course_utils.objectives import rotation
from course_utils.plotting import BLACK

angles = {"0°": 0.0, "22.5°": math.pi / 8, "45°": math.pi / 4}
turned = {}
for name, phi in angles.items():
    tilted = Quadratic([100.0, 0.01], Q=rotation(phi))
    start = tilted.Q @ w0                                  # u_0 = (1, 1) in every case
    turned[name] = {
        "Adam": optimize(tilted, start, lambda ps: Adam(ps, lr=0.05), 100),
        "SGD+momentum": optimize(tilted, start,
                                 lambda ps: SGD(ps, lr=0.037, momentum=0.9), 100)}
distance = {(name, opt): float(path[-1].norm())
            for name, runs in turned.items() for opt, path in runs.items()}
for (name, opt), d in distance.items():
    print(f"{opt:12s} valley turned by {name:>5s}: distance to the minimum after "
          f"100 steps {d:.3f}")
momentum_distances = [d for (_, opt), d in distance.items() if opt == "SGD+momentum"]
assert max(momentum_distances) - min(momentum_distances) < 1e-9  # (5.13): angle-blind
assert distance["45°", "Adam"] > 100 * distance["0°", "Adam"]  # Adam's gain: the axes'
assert distance["45°", "Adam"] > distance["45°", "SGD+momentum"]

# %%
fig, ax = plt.subplots()
for name in angles:
    ax.semilogy(turned[name]["Adam"].norm(dim=1),
                label=f"Adam, valley turned by {name}")
ax.semilogy(turned["45°"]["SGD+momentum"].norm(dim=1), "--", color=BLACK,
            label="SGD+momentum, any angle (5.13)")
ax.set(xlabel="step", ylabel="distance to the minimum",
       title="Turn the valley and Adam's per-coordinate scaling stops helping")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Aligned with the axes, Adam ends more than a hundred times closer than at 45°; at 45° it ends
# farther away than momentum, which is blind to the angle. Real networks' curvature is not
# aligned with the weights either, which is one reason Adam is no universal cure for
# ill-conditioning: it is a *diagonal* preconditioner. Methods that rescale along directions
# (full-matrix AdaGrad, Shampoo) pay for it with matrices.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Noisy gradients: plain SGD, momentum and Adam on Fashion-MNIST
#
# The valleys above have exact gradients. A network trained on mini-batches sees a noisy
# estimate of the gradient at every step, and comparing optimizers becomes a measurement with
# error bars. We take chapter 12's setting: an MLP 784–64–10 on a fixed, class-stratified 20,000
# of Fashion-MNIST's training images (shipped in `data/`), batches of 64, a constant rate. Each
# optimizer runs at *its own* rate, the one chapter 12's `tuning` experiment chose (records in
# `data/results/tuning/`: best mean validation accuracy after 2 epochs over two seeds, on a grid
# in thirds of a decade). A best rate at an end of its grid would mean the grid stopped too
# soon, unfairly to that optimizer; the records say each best rate is interior:

# %%
from course_utils.data import load_fashion_mnist
from course_utils.experiments import load_records, registry, runner, stats
from course_utils.plotting import GREY
from course_utils.train import History, evaluate, train

names = {"sgd": "plain SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam"}
tuning = stats.summary("tuning", load_records("tuning"))
tuned = {row["optimizer"]: row for row in tuning}
for opt in names:
    grid, best = tuned[opt]["lr_grid"], tuned[opt]["best_lr"]
    print(f"{names[opt]:19s} tuned lr {best:<8g} grid {grid[0]:g} … {grid[-1]:g}")
    assert grid[0] < best < grid[-1]                    # interior: the grid brackets it

# %% [markdown]
# One seed of each, live, for three epochs, with the validation accuracy (on images held out
# from training) measured every 32 steps. The run replays seed 0 of chapter 12's records,
# which the cell checks:

# %%
data = runner.subset(load_fashion_mnist(device="cpu"), registry.TRAIN_SIZE)
EVERY, EPOCHS = 32, 3
per_epoch = -(-len(data.y_train) // registry.BATCH_SIZE)              # ceil
print(f"{len(data.y_train):,} training images, "
      f"{len(data.validation[1]):,} for validation, batches of {registry.BATCH_SIZE}: "
      f"{EPOCHS} epochs = {EPOCHS * per_epoch} steps")


def live_run(opt, seed=0):
    """Seed ``seed`` of chapter 12's run: weights, batches, rate (runner.run_one)."""
    model = registry.make_fashion_mlp(seed=seed)
    optimizer = registry.make_optimizer(opt, model.parameters(), tuned[opt]["best_lr"])
    history, val_acc = History(-(-len(data.y_train) // registry.BATCH_SIZE)), {}
    total = EPOCHS * history.steps_per_epoch

    def measure(*_):
        if history.steps % EVERY == 0 or history.steps == total:
            val_acc[history.steps] = evaluate(model, *data.validation)[1]

    optimizer.register_step_post_hook(measure)
    train(model, optimizer, data, epochs=EPOCHS, batch_size=registry.BATCH_SIZE,
          generator=torch.Generator().manual_seed(1000 + seed), history=history)
    return history, val_acc


live = {opt: live_run(opt) for opt in names}
recorded = {r["config"]["optimizer"]: r for r in load_records("optimizers")
            if r["seed"] == 0 and r["config"]["schedule"] == "constant"}
last_epoch, jump = {}, {}
for opt, (history, val_acc) in live.items():
    last_epoch[opt] = torch.tensor(history.loss[-history.steps_per_epoch:])
    start = (EPOCHS - 1) * history.steps_per_epoch
    late = [a for step, a in val_acc.items() if step > start]
    jump[opt] = max(abs(b - a) for a, b in zip(late, late[1:]))
    print(f"{names[opt]:19s} epoch {EPOCHS}: mini-batch loss "
          f"{last_epoch[opt].mean():.3f} ± {last_epoch[opt].std():.3f} (mean ± std); "
          f"validation accuracy {val_acc[history.steps]:.2%}, "
          f"largest jump between checks {100 * jump[opt]:.2f} points")
    assert recorded[opt]["config"]["lr"] == tuned[opt]["best_lr"]
    torch.testing.assert_close(history.epoch_loss, recorded[opt]["epoch_loss"][:EPOCHS],
                               rtol=1e-3, atol=0)           # the records' first epochs
    assert math.isclose(val_acc[history.steps], recorded[opt]["val_acc"][EPOCHS - 1],
                        abs_tol=1e-3)
means = [float(last_epoch[opt].mean()) for opt in names]
scatter = min(float(loss.std()) for loss in last_epoch.values())
gap = max(a - b for a, b in zip(means, means[1:]))
assert means == sorted(means, reverse=True)         # SGD highest, then momentum, Adam
assert scatter > 2 * gap                            # one batch's noise ≫ the gaps
finals_live = sorted(val_acc[history.steps] for history, val_acc in live.values())
assert min(jump.values()) > max(b - a for a, b in zip(finals_live, finals_live[1:]))

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for opt, (history, val_acc) in live.items():
    loss = torch.tensor(history.loss)
    steps = torch.arange(1, len(loss) + 1)
    line, = axes[0].plot(steps, loss, alpha=0.2, linewidth=0.5)
    axes[0].plot(steps[EVERY - 1:], loss.unfold(0, EVERY, 1).mean(1),
                 color=line.get_color(),
                 label=f"{names[opt]} (lr {tuned[opt]['best_lr']:g})")
    axes[1].plot(list(val_acc), [100 * a for a in val_acc.values()],
                 color=line.get_color(), marker=".", label=names[opt])
axes[0].set(xlabel="step", ylabel="mini-batch loss; mean of 32 (solid)",
            yscale="log", title="Training loss, one seed")
axes[1].set(xlabel="step", ylabel="validation accuracy (%)", ylim=(70, 90),
            title="Validation accuracy every 32 steps")
axes[0].legend(fontsize=8)
fig.suptitle(f"One mini-batch's loss scatters by ±{scatter:.2f}; "
             f"neighbouring curves' means are at most {gap:.2f} apart")
plt.show()

# %% [markdown]
# Adam's curve lies lowest, momentum's next, plain SGD's highest. But one mini-batch's loss
# scatters more than twice as far as neighbouring curves are apart, and in the last epoch the
# validation accuracy jumps between checks by more than the final gaps between the three
# (printed above). One run at one seed cannot rank them. Chapter 12 recorded five seeds of
# each, 6 epochs, a seed giving all three the same initial weights and batch order, so we
# compare in pairs, seed by seed: the mean difference with its Student-t 95 % interval (chapter
# 12 derives it). A difference counts as measured only when its interval excludes zero:

# %%
R = load_records("optimizers")
label = {opt: f"{opt}/constant" for opt in names}
final = {(opt, metric): stats.finals(R, label[opt], metric)
         for opt in names for metric in ("test_acc", "train_loss")}
assert all(len(values) == 5 for values in final.values())           # five seeds each,
assert all(r["config"]["epochs"] == 6 for r in R)                  # of 6 epochs
diff = {}
for a, b in (("sgd", "momentum"), ("sgd", "adam"), ("momentum", "adam")):
    for metric, scale in (("test_acc", 100), ("train_loss", 1)):
        mean, half = stats.paired(R, label[a], label[b], metric)  # b − a, seed by seed
        diff[a, b, metric] = (scale * mean, scale * half)
        verdict = "measured" if abs(mean) > half else "cannot tell"
        print(f"{names[b]} − {names[a]}, final {metric}: {scale * mean:+.3f} ± "
              f"{scale * half:.3f} ({verdict})")

# %%
for pair in (("sgd", "momentum"), ("sgd", "adam"), ("momentum", "adam")):
    mean, half = diff[(*pair, "train_loss")]
    assert mean + half < 0                  # each down the list ends at a lower loss
for pair in (("sgd", "momentum"), ("sgd", "adam")):
    mean, half = diff[(*pair, "test_acc")]
    assert mean - half > 0                  # both beat plain SGD on test accuracy
mean, half = diff["momentum", "adam", "test_acc"]
assert abs(mean) < half                     # Adam against momentum on test: cannot tell
assert max(final["momentum", "test_acc"]) - min(final["momentum", "test_acc"]) > 0.01
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for ax, metric, scale, unit in ((axes[0], "test_acc", 100, "final test accuracy (%)"),
                                (axes[1], "train_loss", 1, "final training loss")):
    per_seed = scale * torch.tensor([final[opt, metric] for opt in names])  # opt × seed
    ax.plot(range(len(names)), per_seed, color=GREY, alpha=0.5, marker=".")  # a seed
    for k, opt in enumerate(names):
        mean, half = stats.mean_ci(final[opt, metric])
        ax.errorbar(k, scale * mean, yerr=scale * half, fmt="o", color=BLACK, capsize=5)
    ax.set(xticks=range(len(names)), xticklabels=list(names.values()), ylabel=unit)
axes[0].set_title("Test: Adam vs momentum cannot be told apart")
axes[1].set_title("Training loss: every gap measured")
fig.suptitle("Five seeds (grey lines join a seed), mean ± 95 % interval (black)")
plt.show()

# %% [markdown]
# What the records show, tuned and over five seeds: the three end at clearly different training
# losses, Adam lowest, and momentum and Adam each beat plain SGD on test accuracy, intervals
# clear of zero. But Adam's lower training loss did not buy a test accuracy that five seeds can
# tell from momentum's: that interval contains zero. It says the data cannot tell, not that the
# two are equal. The grey lines show why: a constant rate ends on a noisy snapshot, and
# momentum's seeds spread over more than a point. Chapter 12 measures what a decaying schedule
# adds to each optimizer.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **Adding momentum to Adam.** $\beta_1$ *is* the momentum, in the dampened form: steps of size
#   $\gamma$, not $\gamma/(1-\beta_1)$ (section 4). And no fixed factor converts an SGD recipe's learning
#   rate into Adam's: Adam divides by $\sqrt{\hat v}$, so its step is about $\gamma$ whatever the gradient's
#   scale, while SGD's is proportional to it. The factor $1/(1-\beta)$ relates *damped* and *undamped*
#   SGD momentum only (section 4's cell: 10× between them, 5× against Adam at $g = 0.5$).
# * **`weight_decay` in `Adam` is L2, not AdamW.** The two differ by (5.12), and their defaults differ
#   too (checked below): `Adam` has $\lambda = 0$, `AdamW` $\lambda = 0.01$.
# * **Where $\epsilon$ sits.** torch adds $\epsilon$ to $\sqrt{\hat v}$ (5.6). The paper's "efficient" form, used
#   by some other libraries, adds $\hat\epsilon$ to the *uncorrected* $\sqrt{v}$, which is torch's rule with
#   $\epsilon = \hat\epsilon/\sqrt{1-\beta_2^t}$: 32 times larger at $t = 1$. For gradients near $\epsilon$ the first
#   steps differ markedly (checked below).

# %%
defaults = {cls.__name__: inspect.signature(cls).parameters["weight_decay"].default
            for cls in (torch.optim.Adam, torch.optim.AdamW)}
print("torch's default weight_decay:", defaults)
assert defaults == {"Adam": 0, "AdamW": 1e-2}


def first_update(grad, eps_after_correction=True, lr=0.1, eps=1e-8, b1=0.9, b2=0.999):
    m, v = (1 - b1) * grad, (1 - b2) * grad ** 2
    if eps_after_correction:                                            # torch, (5.6)
        return lr / (1 - b1) * m / (math.sqrt(v) / math.sqrt(1 - b2) + eps)
    return lr * math.sqrt(1 - b2) / (1 - b1) * m / (math.sqrt(v) + eps)  # ε̂ on raw √v


for grad in (1.0, 1e-7):
    print(f"g = {grad:g}: first update, torch's ε {first_update(grad):.3g}, "
          f"ε̂ form {first_update(grad, False):.3g}")
assert math.isclose(first_update(1.0), first_update(1.0, False), rel_tol=1e-6)
assert first_update(1e-7) / first_update(1e-7, False) > 3

# %% [markdown]
# ## Summary
#
# 1. An average started at zero has mean $(1-\beta^t)\,\mathbb E[g]$ (5.9); Adam divides by $1-\beta^t$ to
#    remove the bias, which matters most for $v$ with $\beta_2 = 0.999$ (a 31.6× first step without it).
# 2. `SGD(momentum=β, dampening=β)` keeps the same recursion from step 2 on; it starts at $b_1 = g_1$, so
#    $b_t = m_t + \beta^t g_1$ (5.11): unbiased without correction, but with the first gradient over-weighted.
#    Adam's $\beta_1$ is momentum in this dampened form.
# 3. The course's `Adam`, `AdamW` and AMSGrad are bitwise equal to torch's because they replay its
#    operations (`lerp`, folded corrections, $\epsilon$ after the division).
# 4. L2 inside Adam decays each weight at about $\lambda/s_i$ (5.12); AdamW decays every weight at $\lambda$.
# 5. Adam's rescaling is per coordinate: it cures a valley aligned with the axes and not the same
#    valley turned by 45°, while momentum's progress does not depend on the angle at all (5.13).
# 6. On Fashion-MNIST, each at its tuned rate over five seeds, Adam ends at the lowest training
#    loss and both Adam and momentum beat plain SGD on test accuracy; Adam against momentum on
#    test accuracy is within the noise of a constant rate.

# %% [markdown]
# ## Exercises
#
# **1.** Adam is invariant to a rescaling of the loss. Run the course's `Adam` on `least_squares` and
# on $1000\times$ `least_squares` from the same start (float64, 100 steps) and show that the
# trajectories agree to $10^{-6}$ of the size of $w$. What breaks the invariance? Show that without it
# they agree to rounding.

# %% tags=["solution"]
def adam_path(loss_scale, eps=1e-8, steps=100):
    w = w_init[0].double().clone().requires_grad_()
    opt, path = Adam([w], lr=0.01, eps=eps), []
    for _ in range(steps):
        opt.zero_grad()
        (loss_scale * least_squares([w])).backward()
        opt.step()
        path.append(w.detach().clone())
    return torch.stack(path)


for eps in (1e-8, 0.0):
    plain, times_1000 = adam_path(1.0, eps), adam_path(1000.0, eps)
    gap = float((plain - times_1000).abs().max() / plain.abs().max())
    print(f"eps = {eps:g}: largest gap between the trajectories on f and on 1000·f, "
          f"relative to |w|: {gap:.1e}")
    assert gap < (1e-6 if eps else 1e-14)
# Only ε breaks the invariance: √v̂ + ε does not scale with the loss.
# It matters once √v̂ ~ ε.

# %% [markdown]
# **2.** Repeat the bias simulation for SGD's buffer (5.10): with $g\sim\mathcal N(1, 2^2)$ and
# $\beta = 0.9$, check that the mean of $b_t$ over 100,000 runs is $\bar g = 1$ at every step (no correction
# needed), and that its variance at $t = 2$ is larger than that of Adam's $\hat m_2$. Why?

# %% tags=["solution"]
gen = torch.Generator().manual_seed(6)
g = 1.0 + 2.0 * torch.randn(20, 100_000, generator=gen, **f64)
b, m = g[0].clone(), (1 - 0.9) * g[0]
var_b, var_mhat = [], []
for t in range(1, 20):
    b, m = 0.9 * b + 0.1 * g[t], 0.9 * m + 0.1 * g[t]
    assert abs(float(b.mean()) - 1.0) < 5 * float(b.std()) / 100_000 ** 0.5
    var_b.append(float(b.var()))
    var_mhat.append(float((m / (1 - 0.9 ** (t + 1))).var()))
print(f"t = 2: Var b = {var_b[0]:.3f}, Var m̂ = {var_mhat[0]:.3f}")
assert var_b[0] > var_mhat[0]
# b_2 = 0.9 g_1 + 0.1 g_2 leans on one gradient (variance 0.82 σ²);
# m̂_2 = (0.09 g_1 + 0.1 g_2)/0.19 splits its weight almost evenly (variance 0.50 σ²).

# %% [markdown]
# **3.** From (5.12), which L2 coefficient would make Adam + L2 decay the $s = 10$ group at the rate
# AdamW gives it with $\lambda = 0.1$? Check your prediction with `decay_run`.

# %% tags=["solution"]
matched = decay_run(lambda ps: Adam(ps, lr=gamma, weight_decay=lam * 10.0),
                    scales=(10.0,))
eff_matched = float(-torch.log(matched[-1].abs()) / (gamma * T))
print(f"Adam + L2 with λ = {lam * 10:g} on s = 10: λ_eff = {eff_matched:.3f} "
      f"(target {lam})")
assert abs(eff_matched / lam - 1) < 0.05

# %% [markdown]
# ## References
#
# * D. P. Kingma and J. Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015
#   ([arXiv:1412.6980](https://arxiv.org/abs/1412.6980)) — the algorithm, the bias correction of §3,
#   and the "efficient" $\hat\epsilon$ form of §2.
# * I. Loshchilov and F. Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019
#   ([arXiv:1711.05101](https://arxiv.org/abs/1711.05101)) — why L2 and weight decay differ in Adam; AdamW.
# * S. J. Reddi, S. Kale and S. Kumar, *On the Convergence of Adam and Beyond*, ICLR 2018 — the
#   counter-example and AMSGrad.
# * PyTorch documentation, [`torch.optim.Adam`](https://pytorch.org/docs/stable/generated/torch.optim.Adam.html)
#   and [`AdamW`](https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html), and the source
#   `torch/optim/adam.py`, whose single-tensor path `course_utils.optim.adam_step` replays.
# * H. Xiao, K. Rasul and R. Vollgraf, *Fashion-MNIST: a Novel Image Dataset for Benchmarking
#   Machine Learning Algorithms* (2017, [arXiv:1708.07747](https://arxiv.org/abs/1708.07747)) — the
#   data of section 8 (MIT licence; `data/README.md`).
# * J. Duchi, E. Hazan and Y. Singer, *Adaptive Subgradient Methods for Online Learning and
#   Stochastic Optimization*, JMLR 12, 2011 — AdaGrad, diagonal and full-matrix (§7).
# * V. Gupta, T. Koren and Y. Singer, *Shampoo: Preconditioned Stochastic Tensor Optimization*,
#   ICML 2018 — a preconditioner along directions at the cost of matrix roots (§7).
# * A. Zhang, Z. C. Lipton, M. Li and A. J. Smola, *Dive into Deep Learning*, §12.10 "Adam" — a
#   derivation of the bias correction from the same geometric sum.
