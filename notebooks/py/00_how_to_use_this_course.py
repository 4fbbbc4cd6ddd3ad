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
# # 00 · How to use this course
#
# *Where to run the chapters, in which order to read them, which device you got, the
# notation, and how every piece of code is proven equal to `torch.optim`.*
#
# **Prerequisites:** Python, a first look at PyTorch tensors and autograd.
# **Runtime:** about 10 s on a laptop CPU.
#
# **After this chapter you can**
# 1. open the course in JupyterLab, Colab or Binder, and say which device your kernel uses;
# 2. read the map of the course: which chapters a chapter builds on;
# 3. read the course's notation and translate each symbol into its `torch.optim` argument;
# 4. run two optimizers side by side and read the report: bitwise equal, equal within
#    tolerance, or different.

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
import re
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch

import course_utils
from course_utils.device import setup
from course_utils.plotting import (BLACK, BLUE, GREEN, GREY, ORANGE, PURPLE, VERMILLION,
                                   plot_contours, plot_trajectory)

device = setup(seed=0)
f64 = dict(dtype=torch.float64)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three ways to run a chapter
#
# | where | how | good for |
# |---|---|---|
# | **your machine** | `pip install -e ".[lab]" && jupyter lab notebooks/` (see the README) | working alone, changing code, the exercises |
# | **Colab** | the *Open in Colab* badge on each chapter | a free GPU, nothing to install |
# | **Binder** | the *Binder* badge in the README | a throw-away JupyterLab with the exact environment of `environment.yml` |
#
# Each chapter is a notebook with a twin `.py` file (jupytext's *percent* format) that
# reviewers read as an ordinary diff. Colab's first cell installs the companion package
# `course_utils`; elsewhere it does nothing.
#
# The notebooks are committed **with their outputs**, and the test suite re-executes every one
# and compares the outputs ([nbval](https://github.com/computationalmodelling/nbval)). A
# measured number in the text is printed by the cell beside it, drawn in a figure's title, or
# checked there by an `assert`, so a change that moves it fails the tests instead of leaving
# the text stale. (Timings are printed, never quoted: they differ per machine.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The map of the course
#
# `book.toml` is the table of contents; each chapter names what it builds on in its
# **Prerequisites** line. The next cell reads both and draws the course: reading order from
# top to bottom, an arc from each chapter back to every chapter it names.

# %%
from course_utils.publish.book import load_book

root = Path(course_utils.__file__).resolve().parent.parent
book = load_book(root)
PARTS = {"start": ("00", GREY), "momentum and Adam": ("01", BLUE),
         "learning-rate decay": ("06", GREEN), "practice": ("10", ORANGE),
         "appendix": ("15", PURPLE)}


def part(number):
    """The last part that starts at or before this chapter number."""
    return [name for name, (first, _) in PARTS.items() if first <= number][-1]


def prerequisites(chapter):
    """Chapter numbers in the first sentence of its Prerequisites (06–09: a range)."""
    text = (root / chapter.py_file).read_text(encoding="utf-8")
    line = text.split("**Prerequisites:**", 1)[1].split("**", 1)[0].replace("\n# ", " ")
    line = re.split(r"\.\s+(?=[A-Z])", line)[0]                # its first sentence
    line = re.sub(r"\$[^$]*\$|\(\d+\.\d+\)", " ", line)     # no formulas, equations
    named = {int(n) for n in re.findall(r"\b\d\d\b", line)}
    for first, last in re.findall(r"\b(\d\d)\s*[–-]\s*(\d\d)\b", line):
        named |= set(range(int(first), int(last) + 1))
    return sorted(named)


needs = {int(ch.number): prerequisites(ch) for ch in book.chapters}
assert all(p < n for n, ps in needs.items() for p in ps), "a prerequisite comes later"
assert all(n - 1 in needs[n] for n in range(1, 6))                  # 01-05: a chain
assert all(p in (1, 4) or p >= 6 for n in range(6, 10) for p in needs[n])  # decay
assert all({4, 5} & set(needs[n]) for n in range(10, 15))           # practice: 04 or 05

fig, ax = plt.subplots(figsize=(9, 7))
for ch in book.chapters:
    n, color = int(ch.number), PARTS[part(ch.number)][1]
    ax.plot(0, -n, "o", color=color, markersize=9)
    ax.text(0.25, -n, f"{ch.minutes} min", va="center", fontsize=8, color=GREY)
    ax.text(1.3, -n, f"{ch.number}  {ch.title}" + (" (a GPU helps)" if ch.gpu else ""),
            va="center", fontsize=9)
    for p in needs[n]:
        arc = FancyArrowPatch((0, -p), (0, -n), connectionstyle="arc3,rad=0.5",
                              arrowstyle="-|>", mutation_scale=8, lw=0.8, color=color,
                              alpha=0.7, shrinkA=5, shrinkB=5)
        ax.add_patch(arc)
for name, (_, color) in PARTS.items():
    ax.plot([], [], "o", color=color, label=name)
ax.set(xlim=(-4.2, 9), ylim=(-len(book.chapters), 1), xticks=[], yticks=[])
ax.grid(False)
ax.spines[["left", "bottom"]].set_visible(False)
ax.legend(loc="lower left", fontsize=8)
hours = sum(ch.minutes for ch in book.chapters) / 60
ax.set_title(f"{len(book.chapters)} chapters, about {hours:.0f} hours; "
             "an arc joins a chapter to each chapter it builds on")
plt.show()

# %% [markdown]
# Read the arcs from a chapter upwards to see what it needs (the cell asserts what this
# paragraph says). The momentum and Adam chapters form a chain; of them, the decay chapters
# need only chapter 01 (the noise floor) and 04 (torch's momentum); each practice chapter
# builds on the optimizers of 04 or 05. The appendix (15)
# explains the floating-point detail behind the equality proofs, for whenever a comparison
# surprises you. The minutes are a first careful reading of a chapter, running its cells
# included.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which device you got
#
# One helper, `course_utils.device.get_device`, chooses for the whole course: **CUDA** if torch
# sees an NVIDIA GPU, else Apple's **MPS**, else the **CPU**. The environment variable
# `COURSE_DEVICE` overrides it (`COURSE_DEVICE=cpu jupyter lab`). Asking for an absent device
# is an error, not a silent fallback. Every chapter prints its device in its first code cell:

# %%
from course_utils.device import get_device
from course_utils.verify import show_source

show_source(get_device)

# %% [markdown]
# Everything in the course runs on the CPU in seconds; a GPU only matters for the timing
# chapter (11), the one the map marks.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Notation
#
# The course writes the parameters as $w$ (a vector; in code, a list of tensors), the objective
# as $f$, and the step counter as $t$. The two updates at the heart of the course are gradient
# descent and momentum:
#
# $$
# w_{t+1} = w_t - \alpha \nabla f(w_t) \tag{0.1}
# $$
#
# $$
# z_{t+1} = \beta z_t + \nabla f(w_t), \qquad w_{t+1} = w_t - \alpha z_{t+1} \tag{0.2}
# $$
#
# Each symbol has one name in the code and one argument in `torch.optim`:
#
# | symbol | meaning | code name | torch argument |
# |---|---|---|---|
# | $w$ (also $\theta$) | parameters ($\theta$ where a chapter follows torch's documentation) | `params`, `w` | `params` |
# | $f$, $\nabla f(w)$ | objective, its gradient | `loss`, `p.grad` | — |
# | $\alpha$, $\alpha_t$ | learning rate (step size) in the course's derivations (01–03, 06's theory, 15) | `lr` | `lr` |
# | $\gamma$ | learning rate where a chapter follows torch's documentation (04, 05) | `lr` | `lr` |
# | $\eta_e$, $\eta_0$ | a schedule's learning rate at step $e$, and the base rate it starts from (07–10, 12, 13) | `lr`, `base_lr` | `lr` of the param group, `base_lrs` |
# | `lr` | the one number all three stand for: the param group's current learning rate | `group["lr"]` | `lr` |
# | $\gamma$ (in a schedule) | multiplicative decay factor of `StepLR`, `ExponentialLR`, … (06–09) | `gamma` | `gamma` |
# | $\beta$ (also $\mu$) | momentum coefficient ($\mu$ where a chapter follows torch's documentation, 04) | `momentum` | `momentum` (SGD), `betas[0]` (Adam) |
# | $z$ (also $b$) | velocity, momentum buffer | `buf` | state `momentum_buffer` |
# | $\tau$ | dampening | `dampening` | `dampening` |
# | $\lambda$ | L2 weight decay | `weight_decay` | `weight_decay` |
# | $\beta_1, \beta_2$ | Adam's averaging coefficients | `betas` | `betas` |
# | $m, v$ | Adam's first and second moments | `exp_avg`, `exp_avg_sq` | state `exp_avg`, `exp_avg_sq` |
# | $\epsilon$ | Adam's denominator guard | `eps` | `eps` |
# | $\lambda_i$; $L, \mu$ | eigenvalues of a quadratic's Hessian; the largest and smallest (01–03) | `q.eigenvalues`; `q.L`, `q.mu` | — |
# | $\kappa = L/\mu$ | condition number of a quadratic | `kappa` | — |
# | $T$ | schedule length | `T_max`, `total_steps` | `T_max`, `total_steps` |
# | $\eta_{\min}$ | floor of a decay schedule | `eta_min` | `eta_min` |
#
# The learning rate has three letters because the sources do: optimization texts write
# $\alpha$, torch's documentation $\gamma$, the schedule literature $\eta$. All three are
# `lr`. (Loshchilov & Hutter's $\eta_t$, in chapter 05, is a schedule *multiplier* between 0
# and 1; chapter 13 writes that multiplier $\rho_t$.) Across the course $\gamma$, $\mu$ and $\lambda$ also do double duty, as
# in the literature; within one chapter a letter keeps one meaning. Equations are numbered by
# chapter: (2.4) is the fourth of chapter 02, and the package line implementing it carries
# the same number in a comment.
#
# Read (0.2) as two arrows: a step of momentum keeps going along its last direction ($-\alpha
# \beta z_t$) and adds the new gradient step ($-\alpha \nabla f(w_t)$). On a narrow valley:

# %%
def valley(w):
    return 0.5 * (w[..., 0] ** 2 + 10 * w[..., 1] ** 2)


def valley_grad(w):
    return torch.stack([w[0], 10 * w[1]])


alpha, beta = 0.1, 0.7
w, z, path = torch.tensor([-1.8, 0.6], **f64), torch.zeros(2, **f64), []
for t in range(3):                                       # stop at w_t with t = 3
    path.append(w)
    z = beta * z + valley_grad(w)                        # (0.2)
    w = w - alpha * z
coast, push = -alpha * beta * z, -alpha * valley_grad(w)       # the two arrows at w_t
w_next = w - alpha * (beta * z + valley_grad(w))               # (0.2), one more step
assert torch.allclose(w + coast + push, w_next, rtol=1e-12, atol=1e-15)

ax = plot_contours(valley, xlim=(-2, 0), ylim=(-0.7, 0.7), levels=12)
plot_trajectory(torch.stack(path + [w]), ax=ax, color=GREY, label="$w_0, \\dots, w_t$")
arrows = ((w, coast, BLUE, "$-\\alpha\\beta z_t$: keep going"),
          (w + coast, push, VERMILLION, "$-\\alpha \\nabla f(w_t)$: new gradient step"))
for start, arrow, color, label in arrows:
    ax.annotate("", xy=(start + arrow).tolist(), xytext=start.tolist(),
                arrowprops=dict(arrowstyle="-|>", color=color, lw=2))
    ax.plot([], [], color=color, lw=2, label=label)
ax.plot(*w_next.tolist(), "o", color=BLACK, label="$w_{t+1}$")
ax.annotate("$w_t$", w.tolist(), xytext=(-4, -14), textcoords="offset points")
ax.set_title(f"One step of (0.2) with α = {alpha}, β = {beta}: two arrows")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How every implementation is verified
#
# The course builds SGD with momentum, Adam, AdamW and every learning-rate scheduler of
# `torch.optim` from scratch, and then **proves** each equal to torch's. The proof always has
# the same shape: two copies of the same parameters, the same gradients, the same number of
# steps, and every intermediate iterate compared — not only the last one, and never "by eye".
#
# A first example. Equation (0.1) takes three lines:

# %%
def gradient_descent_step(params, lr):
    """One step of (0.1) on every parameter that has a gradient."""
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)              # (0.1)


class PlainGD(torch.optim.Optimizer):
    """(0.1) in torch's Optimizer bookkeeping (param groups, zero_grad, state_dict)."""

    def __init__(self, params, lr):
        super().__init__(params, defaults={"lr": lr})

    def step(self):
        for group in self.param_groups:
            gradient_descent_step(group["params"], group["lr"])


# %% [markdown]
# `course_utils.verify.compare_optimizers` trains two copies of the parameters, one with each
# optimizer, on the same loss, and compares them after every step. The loss here is a small
# least-squares problem in float64:

# %%
from course_utils.verify import compare_optimizers

gen = torch.Generator().manual_seed(0)
X, y = torch.randn(32, 5, generator=gen, **f64), torch.randn(32, generator=gen, **f64)
w0 = [torch.zeros(5, **f64)]


def least_squares(params):
    return 0.5 * ((X @ params[0] - y) ** 2).mean()


ours_vs_torch = compare_optimizers(lambda ps: PlainGD(ps, lr=0.1),
                                   lambda ps: torch.optim.SGD(ps, lr=0.1),
                                   least_squares, w0, steps=50,
                                   names=("PlainGD", "torch SGD"))
print(ours_vs_torch)
assert ours_vs_torch.exact

# %% [markdown]
# **Bitwise equal**, for fifty steps: `PlainGD` performs the *same tensor operation* as torch,
# `p.add_(grad, alpha=-lr)`. The same formula written another way, `p - lr * grad`, in
# general differs from it in the last bits, because it rounds differently; appendix 15 shows
# why, and when such a difference can grow. The course's test suite therefore demands of
# every from-scratch optimizer and scheduler:
#
# * **bitwise equality** where the code performs torch's operations in torch's order;
# * otherwise **float64, relative difference $\le 10^{-12}$** at every step against
#   `torch.optim`, over grids of every constructor argument;
# * and in float32, agreement within `torch.testing.assert_close`'s default tolerances.
#
# Beyond the numbers, equality means the same constructor arguments and defaults, the same
# exception for a bad argument, and the same `state_dict` layout, so that a checkpoint moves
# between the two and training goes on identically; `tests/` checks each. Where torch has a
# genuine bug, the chapter that meets it shows it.
#
# A comparison can also fail, and then it says so — here, with a different learning rate:

# %%
different = compare_optimizers(lambda ps: PlainGD(ps, lr=0.1),
                               lambda ps: torch.optim.SGD(ps, lr=0.11),
                               least_squares, w0, steps=50,
                               names=("PlainGD lr=0.1", "torch SGD lr=0.11"))
print(different)
assert not different.allclose

fig, ax = plt.subplots(figsize=(6.4, 3.6))
steps = range(1, 51)
floor = 1e-18                                      # where a difference of 0 is drawn
ax.semilogy(steps, [max(d, floor) for d in ours_vs_torch.rel_diff_per_step], color=BLUE,
            marker="o", markersize=3, label="PlainGD vs torch SGD: 0 at every step")
ax.semilogy(steps, different.rel_diff_per_step, color=VERMILLION,
            label="lr 0.1 vs 0.11: different")
ax.axhline(1e-12, color=GREY, ls="--")
ax.text(1, 3e-12, "the course's float64 tolerance, 1e-12", color=GREY, fontsize=9)
ax.set_ylim(floor / 10, 10)
ax.set_xlabel("step")
ax.set_ylabel("largest relative difference")
ax.set_title("A compare_optimizers report, step by step (0 drawn at 1e-18)")
ax.legend(loc="center left", bbox_to_anchor=(0, 0.62), fontsize=8)
plt.show()
first, least = different.rel_diff_per_step[0], min(different.rel_diff_per_step)
print(f"lr 0.1 vs 0.11: {first:.1%} after step 1 (0.01/0.11 = {0.01 / 0.11:.1%}), "
      f"never below {least:.1%}")
assert abs(first - 0.01 / 0.11) < 1e-12 and least > 1e10 * 1e-12

# %% [markdown]
# The report's single line is the worst of these per-step differences (`rel_diff_per_step`).
# From $w_0 = 0$ the first step is $-\alpha \nabla f(w_0)$, so two rates 0.01 apart differ by
# $0.01/0.11$ at once, and the runs stay that far apart: ten orders of magnitude above the
# tolerance. A rounding difference on a run like this one stays orders of magnitude below
# the tolerance (appendix 15 measures it).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where things live
#
# * `notebooks/` — the chapters, in reading order; `book.toml` is the table of contents.
# * `course_utils/` — every reusable piece, one concept per module (`device`, `objectives`,
#   `optim`, `schedules`, `plotting`, `verify`, `data`, …); each module's docstring names its
#   chapter, and a chapter shows the code it teaches with `show_source`.
# * `data/` — the real data sets, with source, licence and sha256; nothing is downloaded
#   while you work.
# * `tests/` — the unit tests, and the notebooks themselves, re-executed by nbval.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. Run the chapters locally, on Colab or on Binder; the first code cell says which device
#    runs them, and the map says which chapters each one builds on.
# 2. The notation table maps each symbol to its code name and `torch.optim` argument; $\alpha$,
#    $\gamma$ and $\eta$ are all `lr`.
# 3. `compare_optimizers` compares two optimizers at every step and reports *bitwise*,
#    *allclose* or *different*.
# 4. The course demands bitwise equality where it copies torch's operations, and float64 to
#    $10^{-12}$ elsewhere; appendix 15 explains why the same formula can differ in the last bit.

# %% [markdown]
# ## Exercises
#
# **1.** Force the CPU by passing `"cpu"` to `get_device` (or setting `COURSE_DEVICE=cpu` before
# starting Jupyter), then ask for a device name torch does not know, `"tpu"`, and read the error.

# %% tags=["solution"]
print(get_device("cpu"))
try:
    get_device("tpu")
except RuntimeError as err:
    print("refused:", str(err).splitlines()[0][:60])

# %% [markdown]
# **2.** Give `PlainGD` weight decay: $w_{t+1} = w_t - \alpha(\nabla f(w_t) + \lambda w_t)$. Prove
# it equal to `torch.optim.SGD(params, lr=0.1, weight_decay=0.01)` with `compare_optimizers`.
# (Hint: torch forms `grad.add(p, alpha=weight_decay)` first.)

# %% tags=["solution"]
class DecayGD(PlainGD):
    def __init__(self, params, lr, weight_decay):
        defaults = {"lr": lr, "weight_decay": weight_decay}
        torch.optim.Optimizer.__init__(self, params, defaults=defaults)

    def step(self):
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    d_p = p.grad.add(p, alpha=group["weight_decay"])
                    p.add_(d_p, alpha=-group["lr"])


check = compare_optimizers(lambda ps: DecayGD(ps, 0.1, 0.01),
                           lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.01),
                           least_squares, w0, steps=50, rtol=1e-12, atol=0.0,
                           names=("DecayGD", "torch SGD"))
print(check)
assert check.exact      # torch's operations in torch's order: bitwise, not merely close

# %% [markdown]
# ## References
#
# * PyTorch documentation, [`torch.optim`](https://pytorch.org/docs/stable/optim.html), and its
#   source, `torch/optim/sgd.py`, whose update this chapter's `PlainGD` mirrors.
# * D. Goldberg, *What every computer scientist should know about floating-point arithmetic*,
#   ACM Computing Surveys 23(1), 1991 — the rounding behind "bitwise" and "allclose"
#   (appendix 15).
# * The [jupytext](https://jupytext.readthedocs.io) and
#   [nbval](https://github.com/computationalmodelling/nbval) documentation, for the paired
#   `.py` files and the executed tests.
