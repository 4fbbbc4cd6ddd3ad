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
# *Where to run the chapters, which device you got, the notation, and how every piece of code is
# proven equal to `torch.optim`.*
#
# **Prerequisites:** Python, a first look at PyTorch tensors and autograd.
# **Runtime:** a few seconds on a laptop CPU.
#
# **After this chapter you can**
# 1. open the course in JupyterLab, Colab or Binder, and say which device your kernel uses;
# 2. read the course's notation and translate each symbol into its `torch.optim` argument;
# 3. run two optimizers side by side and decide whether they are bitwise equal, equal within
#    tolerance, or different;
# 4. explain why "equal to torch" means *the same tensor operations in the same order*, not
#    only *the same formula*.

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
import torch

from course_utils.device import setup

device = setup(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three ways to run a chapter
#
# | where | how | good for |
# |---|---|---|
# | **your machine** | `pip install -e ".[lab]" && jupyter lab notebooks/` (see the README) | working alone, changing code, the exercises |
# | **Colab** | the *Open in Colab* badge on each chapter | a free GPU, nothing to install |
# | **Binder** | the *Binder* badge in the README | a throw-away JupyterLab with the exact environment of `environment.yml` |
#
# Each chapter is a notebook (`.ipynb`) with a twin `.py` file in jupytext's *percent* format.
# Open the notebook; the `.py` exists so that reviewers read code changes as ordinary diffs. If
# you run JupyterLab with `jupytext` installed (the `lab` extra), saving one saves both.
#
# The notebooks are committed **with their outputs**, so they read well on GitHub before you run
# anything, and the test suite re-executes every one of them and compares the outputs
# ([nbval](https://github.com/computationalmodelling/nbval)). A number printed in a chapter is
# therefore a number the code produces today, not one somebody typed. The prose keeps to the same
# rule: a measured number in the text is either printed by the cell beside it or checked there
# by an `assert`, so a change that moves it fails the tests instead of leaving the text stale.
# (Timings are the exception: they are printed, never quoted, because they differ per machine.)
#
# Colab's first cell clones the course and installs its companion package `course_utils`; on your
# machine and on Binder that cell does nothing.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which device you got
#
# One helper, `course_utils.device.get_device`, chooses for the whole course: **CUDA** if torch
# sees an NVIDIA GPU, else Apple's **MPS**, else the **CPU**. The environment variable
# `COURSE_DEVICE` overrides it (`COURSE_DEVICE=cpu jupyter lab` checks that a chapter still runs
# without a GPU). Asking for a device that is absent is an error rather than a silent fallback,
# so what a lecture announces is what runs. Every chapter prints its device once, in its first
# code cell, as above. Here is the choice written out:

# %%
from course_utils.device import get_device
from course_utils.verify import show_source

show_source(get_device)

# %% [markdown]
# Everything in the course runs on the CPU in seconds; a GPU only matters for the
# timing chapter (09), and `book.toml` records which chapters benefit.

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
# | $w$ | parameters | `params`, `w` | `params` |
# | $f$, $\nabla f(w)$ | objective, its gradient | `loss`, `p.grad` | — |
# | $\alpha$, $\alpha_t$ | learning rate (step size) in the course's derivations (01–03, 05's theory) | `lr` | `lr` |
# | $\gamma$ | learning rate where a chapter follows torch's documentation (02's PyTorch form, 04) | `lr` | `lr` |
# | $\eta_e$, $\eta_0$ | a schedule's learning rate at step $e$, and the base rate it starts from (06–10) | `lr`, `base_lr` | `lr` of the param group, `base_lrs` |
# | `lr` | the one number all three stand for: the param group's current learning rate | `group["lr"]` | `lr` |
# | $\gamma$ (in a schedule) | multiplicative decay factor of `StepLR`, `ExponentialLR`, … (06–09) | `gamma` | `gamma` |
# | $\beta$ (also $\mu$) | momentum coefficient | `momentum` | `momentum` (SGD), `betas[0]` (Adam) |
# | $z$ (also $b$) | velocity, momentum buffer | `buf` | state `momentum_buffer` |
# | $\tau$ | dampening | `dampening` | `dampening` |
# | $\lambda$ | L2 weight decay | `weight_decay` | `weight_decay` |
# | $\beta_1, \beta_2$ | Adam's averaging coefficients | `betas` | `betas` |
# | $m, v$ | Adam's first and second moments | `exp_avg`, `exp_avg_sq` | state `exp_avg`, `exp_avg_sq` |
# | $\epsilon$ | Adam's denominator guard | `eps` | `eps` |
# | $L, \mu$ | largest and smallest eigenvalue of a quadratic's Hessian | `q.L`, `q.mu` | — |
# | $\kappa = L/\mu$ | condition number of a quadratic | `kappa` | — |
# | $T$ | schedule length | `T_max`, `total_steps` | `T_max`, `total_steps` |
# | $\eta_{\min}$ | floor of a decay schedule | `eta_min` | `eta_min` |
#
# The learning rate has three letters because the sources do: optimization texts write $\alpha$,
# torch's documentation $\gamma$, the schedule literature $\eta$. They are one quantity, `lr`, whatever
# the letter, and a chapter that switches letters says so. (Loshchilov & Hutter's
# $\eta_t$ in chapter 05 is different again: a schedule *multiplier* between 0 and 1, by which the
# whole step is scaled.) Three letters do double duty, as in the literature: $\gamma$ is also the
# decay factor of a step or exponential schedule; $\mu$ is the momentum coefficient in torch's
# update and the smallest eigenvalue in a rate or a condition number; $\lambda$ is the weight
# decay in an update and, with an index, an eigenvalue $\lambda_i$ of a Hessian (chapters 01
# and 03). The context always tells which.
# Equations are numbered by chapter: (2.4) is the fourth equation of chapter 02, and the line
# of package code that implements it carries the same number in a comment.

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
    """(0.1) wrapped in torch's Optimizer bookkeeping (param groups, zero_grad, state_dict)."""

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
X, y = torch.randn(32, 5, generator=gen, dtype=torch.float64), torch.randn(32, generator=gen, dtype=torch.float64)
w0 = [torch.zeros(5, dtype=torch.float64)]


def least_squares(params):
    return 0.5 * ((X @ params[0] - y) ** 2).mean()


ours_vs_torch = compare_optimizers(lambda ps: PlainGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1),
                                   least_squares, w0, steps=50, names=("PlainGD", "torch SGD"))
print(ours_vs_torch)
assert ours_vs_torch.exact

# %% [markdown]
# **Bitwise equal**, for fifty steps. That is stronger than "close", and it is possible only
# because `PlainGD` performs the *same tensor operation* as torch: `p.add_(grad, alpha=-lr)`.
# Write the same formula another way, `p - lr * grad`, and the result is no longer bitwise equal
# on most CPUs: `add` with `alpha` is computed as one fused multiply–add (a single rounding),
# while `p - lr * grad` rounds twice. The formula is the same; the floating-point arithmetic is
# not. The next cell asserts both halves of that claim — the two differ, and only by rounding:

# %%
class TextbookGD(PlainGD):
    def step(self):
        with torch.no_grad():
            for p in self.param_groups[0]["params"]:
                p.copy_(p - self.param_groups[0]["lr"] * p.grad)     # (0.1), rounded twice


textbook_vs_torch = compare_optimizers(lambda ps: TextbookGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1),
                                       least_squares, w0, steps=50, rtol=1e-12, atol=0.0,
                                       names=("TextbookGD", "torch SGD"))
print(textbook_vs_torch)
assert not textbook_vs_torch.exact, "rounded twice is not rounded once"
assert textbook_vs_torch.allclose and textbook_vs_torch.max_rel_diff < 1e-13

# %% [markdown]
# Whether a formula written another way is bitwise equal or only equal to the last bit or two
# depends on the processor's instruction set (with or without fused multiply–add), so the
# course's test suite demands two things of every from-scratch optimizer and scheduler:
#
# * **float64, relative difference $\le 10^{-12}$** at every step against `torch.optim`, over
#   grids of every constructor argument (and, where the implementation copies torch's order of
#   operations, bitwise equality);
# * **float32 within `torch.testing.assert_close`'s default tolerances.**
#
# Beyond the numbers, equality with torch means the same constructor arguments and defaults,
# the same exception (class and message) for a bad argument, and the same checkpoint layout,
# so that a `state_dict` saved by the course's optimizer loads into torch's and training goes
# on identically. The tests in `tests/` check each of these; where torch has a genuine bug, the
# chapter that meets it says so and shows it.

# %% [markdown]
# A comparison can also fail, and then it says so — here, with a different learning rate:

# %%
different = compare_optimizers(lambda ps: PlainGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.11),
                               least_squares, w0, steps=50, names=("PlainGD lr=0.1", "torch SGD lr=0.11"))
print(different)
assert not different.allclose

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where things live
#
# * `notebooks/` — the chapters, in reading order; `book.toml` is the table of contents.
# * `course_utils/` — every reusable piece, one concept per module (`device`, `objectives`,
#   `optim`, `schedules`, `plotting`, `verify`, `data`, …). A chapter shows the package code it
#   teaches with `show_source`, as above; each module's docstring names its chapter.
# * `data/` — the one real data set (8×8 handwritten digits), with its source, licence and
#   sha256; nothing is downloaded while you work.
# * `tests/` — the unit tests, and the notebooks themselves, re-executed by nbval.
#
# ## Summary
#
# 1. Run the chapters locally, on Colab or on Binder; the first code cell says which device runs them.
# 2. The notation table maps each symbol to its code name and `torch.optim` argument.
# 3. `compare_optimizers` compares two optimizers at every step and reports *bitwise*, *allclose*
#    or *different*.
# 4. Equal formulas are not equal arithmetic: `p.add_(g, alpha=-lr)` and `p - lr*g` round
#    differently, which is why the course's proofs copy torch's order of operations.

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
        torch.optim.Optimizer.__init__(self, params, defaults={"lr": lr, "weight_decay": weight_decay})

    def step(self):
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    d_p = p.grad.add(p, alpha=group["weight_decay"])
                    p.add_(d_p, alpha=-group["lr"])


check = compare_optimizers(lambda ps: DecayGD(ps, 0.1, 0.01), lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.01),
                           least_squares, w0, steps=50, rtol=1e-12, atol=0.0, names=("DecayGD", "torch SGD"))
print(check)
assert check.exact      # torch's operations in torch's order: bitwise, not merely close

# %% [markdown]
# ## References
#
# * PyTorch documentation, [`torch.optim`](https://pytorch.org/docs/stable/optim.html), and its
#   source, `torch/optim/sgd.py`, whose update this chapter's `PlainGD` mirrors.
# * D. Goldberg, *What every computer scientist should know about floating-point arithmetic*,
#   ACM Computing Surveys 23(1), 1991 — why `a + b*c` rounded once and twice can differ.
# * The jupytext and nbval documentation, for the paired `.py` files and the executed tests.
