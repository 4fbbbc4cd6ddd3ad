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
# # 08 · torch's schedulers, rebuilt
#
# *A `torch.optim.lr_scheduler` object is not a function of the epoch: it is a clock that
# writes into the optimizer. This chapter rebuilds every one of them, proves each equal to
# torch's at every step, and uses the rebuilt machinery to explain — and assert — the bugs
# that scheduler code is famous for.*
#
# **Prerequisites:** chapter 07 (the closed forms (7.1)–(7.15) in `course_utils.schedules`),
# chapter 04 (SGD with momentum).
# **Runtime:** about 10 s on a laptop CPU.
#
# **After this chapter you can**
# 1. predict the learning rate a scheduler leaves in the optimizer right after construction,
#    and after each `step()`;
# 2. tell a chainable (recursive) scheduler from a closed-form one, and predict when the two
#    disagree;
# 3. order `optimizer.step()` and `scheduler.step()`, choose per-batch or per-epoch stepping,
#    and compose a warm-up with a decay (`SequentialLR`, `ChainedScheduler`);
# 4. verify a scheduler against torch's, step by step, learning rate and momentum;
# 5. recognise and fix five classic scheduler bugs.

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
import warnings
from functools import partial

import matplotlib.pyplot as plt
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as ours
from course_utils import cyclic_schedules, schedules
from course_utils.device import setup
from course_utils.plotting import BLACK, GREY, VERMILLION, plot_lr_schedule
from course_utils.stepping import LRDriver

device = setup(seed=0)

# %% [markdown]
# A scheduler never looks at the parameters, only at `optimizer.param_groups`, so every
# optimizer in this chapter holds one small float64 tensor on the CPU; what we watch is the
# learning rate (and momentum) it is told to use. `ours` is `course_utils.lr_scheduler`, whose
# classes have torch's names, arguments and defaults; `schedules` holds chapter 07's pure functions.
# `lrs_used` below steps with `course_utils.stepping.LRDriver`, the one primitive every loop in
# the course uses to pair an optimizer with a scheduler object (stepped after `optimizer.step()`)
# or with a pure schedule of the step (written into every group before it).

# %%
def make_sgd(lr=0.1, momentum=0.9, lrs=None):
    """SGD with one param group per entry of `lrs` (default: one group at `lr`)."""
    groups = [{"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)],
               "lr": g} for g in (lrs or [lr])]
    return torch.optim.SGD(groups, lr=lr, momentum=momentum)


def lrs_used(optimizer, scheduler, steps):
    """Run `steps` of optimizer.step(); scheduler.step(); the lr each step used."""
    driver, used = LRDriver(optimizer, scheduler), []
    for _ in range(steps):
        used.append(driver.lr)
        optimizer.step()
        driver.step()          # scheduler.step(), after the optimizer's, as torch asks
    return used


def lr_values(optimizer, scheduler, steps):
    """η_0, …, η_steps: the lr after construction and after each scheduler step."""
    return lrs_used(optimizer, scheduler, steps) + [optimizer.param_groups[0]["lr"]]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: the schedule you plotted is not the one you trained with
#
# A common way to show a schedule before training — Dive into Deep Learning's `MultiStepLR`
# example does it — is to step the scheduler through the epochs and plot the learning rates,
# then train. Here "training" records the rate each epoch uses; the schedule is $\eta_0 = 0.5$,
# halved at epochs 15 and 30:

# %%
optimizer = make_sgd(lr=0.5)
scheduler = torch_sched.MultiStepLR(optimizer, milestones=[15, 30], gamma=0.5)
plotted = lrs_used(optimizer, scheduler, 30)      # "plot the schedule" ...
trained = lrs_used(optimizer, scheduler, 30)      # ... then train with the same objects

fig, ax = plt.subplots(figsize=(7, 3))
plot_lr_schedule({"plotted": plotted, "used in training": trained}, ax=ax,
                 xlabel="epoch")
ax.set_title("Plotting stepped the scheduler: training ran at a constant 0.125")
plt.show()

# %%
assert plotted == [0.5] * 15 + [0.25] * 15
assert trained == [0.125] * 30, "the plot consumed the schedule; training got its end"
print("plotted:", sorted(set(plotted), reverse=True),
      " trained with:", sorted(set(trained)))

# %% [markdown]
# The plot *consumed* the schedule: a scheduler is an object with a clock (`last_epoch`) that
# advances at every `step()` and writes the new rate into the optimizer, and after 30 steps it
# sat past both milestones. To see why it behaves like this — and to be sure of every other
# behaviour below — we rebuild the machinery.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Anatomy: what construction does
#
# `course_utils.lr_scheduler` rebuilds every class of `torch.optim.lr_scheduler` on one base
# class, `LRScheduler` (named after torch's). Its constructor does three things: it stores each
# group's starting rate as `initial_lr` (and in `base_lrs`), wraps `optimizer.step` so that it
# can later tell whether the optimizer has stepped, and **takes one step** — so the clock reads
# `last_epoch = 0` and the group already holds the epoch-0 rate when construction returns:

# %%
from course_utils.verify import show_source

show_source(ours.LRScheduler._initial_step)
show_source(ours.LRScheduler._update_lr)

# %% [markdown]
# **Why the base class is torch's, and what it contributes.** Training frameworks do not read a
# scheduler's code; they look at its type. Lightning rejects any scheduler that is not an
# instance of `torch.optim.lr_scheduler.LRScheduler`, and Lightning and Hugging Face's `Trainer`
# both hand the monitored metric to `step()` only when the scheduler is an instance of torch's
# `ReduceLROnPlateau`. So the course's `LRScheduler` subclasses torch's, and the course's
# `ReduceLROnPlateau` subclasses torch's `ReduceLROnPlateau` — for the `isinstance` check and
# nothing else. Every method and property those torch classes define (`__init__`,
# `_initial_step`, `step`, `_update_lr`, `get_lr`, `get_last_lr`, `state_dict`,
# `load_state_dict`, and the plateau rule's own) is redefined in `course_utils.lr_scheduler`,
# and no constructor calls torch's, so none of torch's scheduler code runs.
# `tests/test_schedulers_identity.py` proves it by making every function in
# `torch.optim.lr_scheduler` raise and then running each course class against the values torch
# produced beforehand; `tests/test_clients.py` trains with them in Lightning and `Trainer`.

# %%
step_sched = ours.StepLR(make_sgd(lr=0.1), step_size=3)
plateau_sched = ours.ReduceLROnPlateau(make_sgd(lr=0.1))
assert isinstance(step_sched, torch.optim.lr_scheduler.LRScheduler)
assert isinstance(plateau_sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
# no metric for StepLR:
assert not isinstance(step_sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
for sched in (step_sched, plateau_sched):
    torch_bases = [c for c in type(sched).__mro__ if c.__module__.startswith("torch")]
    names = sorted({n for c in torch_bases for n in vars(c)
                    if callable(getattr(c, n)) or isinstance(vars(c)[n], property)})
    owners = {n: next(c for c in type(sched).__mro__ if n in vars(c)) for n in names}
    assert all(c.__module__.startswith("course_utils.lr_scheduler")
               for c in owners.values())
    print(f"{type(sched).__name__}: torch's", ", ".join(names),
          "→ all defined in course_utils.lr_scheduler")

# %% [markdown]
# The epoch-0 rate is not always $\eta_0$. `LinearLR` starts at `start_factor`·$\eta_0$ (7.7),
# `ConstantLR` at `factor`·$\eta_0$ (7.1), and a `LambdaLR` warm-up $\lambda(e) = e/5$ at zero: each
# has *already changed the optimizer's lr* when its constructor returns. The same holds, number
# for number, for torch's classes and the course's:

# %%
at_construction = {
    "LinearLR(start_factor=0.25)": lambda lib, opt: lib.LinearLR(opt, 0.25),
    "ConstantLR(factor=0.5)": lambda lib, opt: lib.ConstantLR(opt, factor=0.5),
    "LambdaLR(λ(e) = e/5)": lambda lib, opt: lib.LambdaLR(opt, lambda e: e / 5),
    "StepLR(step_size=3)": lambda lib, opt: lib.StepLR(opt, step_size=3),
}
epoch_0 = {"LinearLR(start_factor=0.25)": 0.25 * 0.1,          # (7.7)
           "ConstantLR(factor=0.5)": 0.5 * 0.1,                # (7.1)
           "LambdaLR(λ(e) = e/5)": 0.0, "StepLR(step_size=3)": 0.1}
for name, build in at_construction.items():
    seen = []
    for lib in (torch_sched, ours):
        opt = make_sgd(lr=0.1)
        sched = build(lib, opt)
        group = opt.param_groups[0]
        seen.append((group["lr"], group["initial_lr"], sched.last_epoch,
                     sched._step_count))
    assert seen[0] == seen[1] == (epoch_0[name], 0.1, 0, 1), name
    lr, initial, last_epoch, count = seen[0]
    print(f"{name:<28} lr after construction {lr:<6} initial_lr {initial}  "
          f"last_epoch {last_epoch}  _step_count {count}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Chainable versus closed form
#
# Chapter 07 wrote each schedule as a closed form $\eta_e = F(e)$. Most of torch's classes do not
# compute it. Their `get_lr()` is **chainable**: it multiplies the rate *currently in the group*
# by the ratio of consecutive values,
#
# $$
# \eta_e = \eta_{e-1}\,\frac{F(e)}{F(e-1)}, \tag{8.1}
# $$
#
# and for `CosineAnnealingLR` the same ratio applied to the distance above $\eta_{\min}$:
#
# $$
# \eta_e = \eta_{\min} + \frac{1 + \cos(\pi e/T)}{1 + \cos(\pi (e-1)/T)}\,(\eta_{e-1} - \eta_{\min}), \tag{8.2}
# $$
#
# with one exception: at $e = T + 1$ (and every $2T$ after) the denominator $1 + \cos\pi$ is zero,
# and torch adds the increment of (7.6) instead:
#
# $$
# \eta_e = \eta_{e-1} + (\eta_0 - \eta_{\min})\,\frac{1 - \cos(\pi/T)}{2}. \tag{8.3}
# $$
#
# The other classes ($e > 0$; $\eta_{e-1}$ is the rate found in the group; the code is in
# `course_utils/lr_scheduler/epoch.py` and its sibling modules):
#
# | class | what `step()` computes | closed form |
# |---|---|---|
# | `LambdaLR` | $\eta_0\,\lambda(e)$ — closed by nature, *not* chainable | itself |
# | `MultiplicativeLR` | $\eta_{e-1}\,\lambda(e)$ | none |
# | `StepLR` | $\gamma\,\eta_{e-1}$ if $s$ divides $e$, else $\eta_{e-1}$ | (7.2) |
# | `MultiStepLR` | $\gamma^{m(e)}\eta_{e-1}$, $m(e)$ = how often $e$ is listed | (7.3) |
# | `ConstantLR` | $f\eta$ at $e = 0$, $\eta_{e-1}/f$ at $e = T$, else $\eta_{e-1}$ | (7.1) |
# | `LinearLR` | $\eta_{e-1}\bigl(1 + \frac{f_T - f_0}{Tf_0 + (e-1)(f_T - f_0)}\bigr)$ for $e \le T$ | (7.7) |
# | `ExponentialLR` | $\gamma\,\eta_{e-1}$ | (7.4) |
# | `PolynomialLR` | $\eta_{e-1}\bigl(\frac{1 - e/T}{1 - (e-1)/T}\bigr)^p$ for $e \le T$ | (7.5) |
# | `CosineAnnealingLR` | (8.2), (8.3) | (7.6) |
# | `CosineAnnealingWarmRestarts` | $T_{\text{cur}} \leftarrow T_{\text{cur}} + 1$, restart when it reaches $T_i$; lr from (7.6) | (7.9) |
# | `CyclicLR`, `OneCycleLR` | the closed form of `last_epoch`, not chainable | (7.10)–(7.13) |
#
# Each chainable row is (8.1) worked out for its $F$. The rebuilt cosine:

# %%
show_source(ours.CosineAnnealingLR.get_lr)

# %% [markdown]
# (The closed form is still there, as `_get_closed_form_lr`: the deprecated `step(epoch)` uses
# it.) Unrolling (8.1) telescopes back to $F(e)$, so on its own a chainable scheduler gives the
# closed form's values. It parts company in three situations.
#
# **1. Someone else changes the lr between steps.** The chainable form multiplies whatever it
# finds, so it carries the change forward; a closed form (`LambdaLR`, here with the cosine
# (7.6) as its $\lambda$) recomputes $F(e)$ and erases it. Halve the rate after the first step:

# %%
def halve_after_first_step(lib, build, steps=4):
    opt = make_sgd(lr=0.1)
    sched = build(lib, opt)
    lrs = [opt.param_groups[0]["lr"]]
    for e in range(1, steps + 1):
        opt.step()
        sched.step()
        if e == 1:
            opt.param_groups[0]["lr"] *= 0.5                    # an outside change
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def chainable(lib, opt):
    return lib.CosineAnnealingLR(opt, T_max=10)


def closed(lib, opt):
    cosine = partial(schedules.cosine_annealing_lr, base_lr=1.0, T_max=10)   # (7.6)
    return lib.LambdaLR(opt, cosine)


for name, build in (("CosineAnnealingLR (chainable)", chainable),
                    ("LambdaLR (closed form)", closed)):
    values = halve_after_first_step(torch_sched, build)
    assert values == halve_after_first_step(ours, build)        # ours == torch, bitwise
    print(f"{name:<30}", [f"{v:.4f}" for v in values])

# %%
F = partial(schedules.cosine_annealing_lr, base_lr=0.1, T_max=10)    # closed form (7.6)
kept = halve_after_first_step(ours, chainable, steps=10)
erased = halve_after_first_step(ours, closed, steps=10)
for e in range(2, 11):
    assert math.isclose(kept[e], 0.5 * F(e), rel_tol=1e-12)   # (8.2) kept the halving
    assert math.isclose(erased[e], F(e), rel_tol=1e-15)       # the closed form lost it

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot([F(e) for e in range(11)], color=GREY, linestyle=":",
        label="F(e), the closed form (7.6)")
ax.plot(kept, marker="o", markersize=4, label="CosineAnnealingLR: chainable (8.2)")
ax.plot(erased, marker="s", markersize=3, label="LambdaLR: closed form")
ax.axvline(1, color=VERMILLION, linewidth=1)
ax.text(1.15, 0.065, "lr halved by hand", color=VERMILLION)
ax.set(xlabel="scheduler step e", ylabel="learning rate",
       title="An outside change: the chainable form keeps it, a closed form erases it")
ax.legend()
plt.show()

# %% [markdown]
# Neither is a bug. Chainability is what lets two schedulers multiply on one optimizer
# (section 5), and what lets a manual change or `ReduceLROnPlateau` coexist with a schedule; a
# closed form is what you want when the rate must be a function of the epoch alone.
#
# **2. Past `T_max`.** Neither form clamps: the cosine climbs back to $\eta_0$ at $2T$ and keeps
# cycling with period $2T$ — stepping 40 times a `CosineAnnealingLR(T_max=10)` gives two full
# cycles, not a cosine and a long tail at $\eta_{\min}$. The special case (8.3) is what carries
# the recursion over the bottom at $e = T + 1$:

# %%
T_MAX, ETA_MIN, STEPS = 10, 1e-3, 40
opt = make_sgd(lr=0.1)
recursive = lr_values(opt, ours.CosineAnnealingLR(opt, T_max=T_MAX, eta_min=ETA_MIN),
                      STEPS)
cosine = partial(schedules.cosine_annealing_lr, base_lr=0.1, T_max=T_MAX,
                 eta_min=ETA_MIN)
closed_form = [cosine(e) for e in range(STEPS + 1)]
assert recursive[T_MAX + 1] > recursive[T_MAX]
assert math.isclose(recursive[2 * T_MAX], 0.1, rel_tol=1e-12)
assert all(math.isclose(r, c, rel_tol=1e-12) for r, c in zip(recursive, closed_form))

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(recursive, marker="o", markersize=3)
ax.axvline(T_MAX, color=GREY, linestyle=":")
ax.text(T_MAX + 0.5, 0.09, "T_max", color=GREY)
ax.set(xlabel="scheduler step e", ylabel="learning rate",
       title="CosineAnnealingLR(T_max=10) stepped 40 times: back up, period 2·T_max")
plt.show()

# %% [markdown]
# **3. In the last bits.** (8.2) rounds differently from (7.6), so the two drift apart by a few
# units in the last place — about $10^{-16}$, far below anything that matters, yet enough that
# they are equal bit for bit at only some of the steps. torch's scheduler drifts in exactly the
# same way, because the rebuilt one performs the same floating-point operations in the same order:

# %%
opt = make_sgd(lr=0.1)
torch_recursive = lr_values(
    opt, torch_sched.CosineAnnealingLR(opt, T_max=T_MAX, eta_min=ETA_MIN), STEPS)
assert torch_recursive == recursive, "ours and torch's recursive forms: bitwise equal"
drift = [abs(r - c) for r, c in zip(recursive, closed_form)]
bitwise = sum(d == 0 for d in drift)
print(f"recursive vs closed form over {STEPS + 1} values: {bitwise} bitwise equal, "
      f"max |diff| {max(drift):.1e}")
assert 0 < max(drift) < 1e-15 and bitwise < STEPS + 1

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. When to call `step()`: order, and per batch or per epoch
#
# Since PyTorch 1.1 the documented order is `optimizer.step()` **then** `scheduler.step()`: the
# construction already put $\eta_0$ in the group, so the first optimizer step uses $\eta_0$, and each
# scheduler step prepares the rate for the next. Reverse the order and the first optimizer step
# runs at $\eta_1$: the schedule loses its first value. Both torch and the rebuilt classes notice
# (that is what the wrapper around `optimizer.step` is for) and warn once:

# %%
opt = make_sgd(lr=0.1)
right_order = lrs_used(opt, ours.ExponentialLR(opt, gamma=0.5), 5)
print(f"{'right order':<26} lrs used {right_order}")
for lib in (torch_sched, ours):
    opt = make_sgd(lr=0.1)
    sched = lib.ExponentialLR(opt, gamma=0.5)
    used = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            sched.step()                                     # wrong order
            used.append(opt.param_groups[0]["lr"])
            opt.step()
    message = str(caught[0].message)
    print(f"{lib.__name__:<26} lrs used {used}\n{'':<26} warning: {message[:75]}…")
    assert len(caught) == 1 and "before `optimizer.step()`" in message
    assert used == right_order[1:] + [0.1 * 0.5**5], "every rate one step early"

# %% [markdown]
# Per batch or per epoch? The scheduler does not know: `T_max`, `step_size`, `milestones`,
# `total_iters` and `total_steps` all count **calls to `step()`**. Give a cosine `T_max = epochs`
# and step it after every batch, and it completes its half-cosine in the first five batches, then
# climbs back, and again, ten times in five epochs (part 2 of section 3):

# %%
EPOCHS, BATCHES = 5, 20


def per_batch_lrs(T_max):
    opt = make_sgd(lr=0.1)
    return lrs_used(opt, ours.CosineAnnealingLR(opt, T_max=T_max), EPOCHS * BATCHES)


wrong, right = per_batch_lrs(T_max=EPOCHS), per_batch_lrs(T_max=EPOCHS * BATCHES)
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(wrong, label="T_max = epochs, stepped per batch")
ax.plot(right, label="T_max = epochs × batches")
ax.set(xlabel="batch", ylabel="learning rate",
       title="T_max counts step() calls: per-batch stepping needs epochs × batches")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
plt.show()
assert all(a >= b for a, b in zip(right, right[1:]))
assert sum(a < b for a, b in zip(wrong, wrong[1:])) > EPOCHS * BATCHES / 3

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Composing schedules: `SequentialLR` and `ChainedScheduler`
#
# A warm-up followed by a cosine is (7.15), two schedules joined at a boundary. `SequentialLR`
# builds it from two scheduler objects: it runs the first until the milestone, then restarts
# the second at epoch 0 (by the call `_update_lr(0)`, its closed form at 0),
#
# $$
# \eta_e = S_k\text{'s rate at its own epoch } e - M_{k-1}, \qquad k = \#\{m \in M : m \le e\},\ M_{-1} = 0, \tag{8.4}
# $$
#
# and it agrees with the pure (7.15) of chapter 07 to rounding:

# %%
show_source(ours.SequentialLR.step)

# %%
W, TOTAL = 5, 40
opt = make_sgd(lr=0.1)
warm_cos = ours.SequentialLR(opt, [ours.LinearLR(opt, start_factor=0.1, total_iters=W),
                                   ours.CosineAnnealingLR(opt, T_max=TOTAL - W)],
                             milestones=[W])
sequential = lrs_used(opt, warm_cos, TOTAL)
joined = schedules.join_schedules(                                              # (7.15)
    [partial(schedules.linear_warmup_lr, base_lr=0.1, warmup_steps=W, start_factor=0.1),
     partial(schedules.cosine_annealing_lr, base_lr=0.1, T_max=TOTAL - W)], [W])
assert all(math.isclose(s, joined(e), rel_tol=1e-12) for e, s in enumerate(sequential))
print("SequentialLR(LinearLR, CosineAnnealingLR) == join_schedules (7.15) to 1e-12",
      "at all", TOTAL, "steps")

# %% [markdown]
# `ChainedScheduler` instead steps *every* scheduler at every step, in order, each acting on the
# rate the previous one left:
#
# $$
# \eta_e = S_n\bigl(\cdots S_2\bigl(S_1(\eta_{e-1})\bigr)\bigr). \tag{8.5}
# $$
#
# With chainable members the factors of (8.1) multiply, so a linear warm-up chained with an
# exponential decay gives the product of (7.7) and (7.4). A closed-form member does not
# multiply: it overwrites, so a `LambdaLR` late in the chain erases everything before it.

# %%
opt = make_sgd(lr=0.1)
chained = ours.ChainedScheduler([ours.LinearLR(opt, start_factor=0.1, total_iters=W),
                                 ours.ExponentialLR(opt, gamma=0.95)])
product = lrs_used(opt, chained, TOTAL)
expected = [schedules.linear_lr(e, base_lr=1.0, start_factor=0.1, end_factor=1.0,
                                total_iters=W)
            * schedules.exponential_lr(e, base_lr=0.1, gamma=0.95)
            for e in range(TOTAL)]
assert all(math.isclose(p, x, rel_tol=1e-12)
           for p, x in zip(product, expected))                           # (7.7) × (7.4)

opt = make_sgd(lr=0.1)
chained = ours.ChainedScheduler([ours.ExponentialLR(opt, gamma=0.95),
                                 ours.LambdaLR(opt, lambda e: 1.0)])
overwritten = lrs_used(opt, chained, TOTAL)
assert overwritten == [0.1] * TOTAL, "the closed-form LambdaLR erased the decay"

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(sequential, label="SequentialLR: warm-up, then cosine")
ax.plot(product, label="ChainedScheduler: warm-up × exponential")
ax.set(xlabel="step", ylabel="learning rate",
       title="Sequential joins schedules; chained multiplies them")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Momentum cycling: `OneCycleLR` and `CyclicLR`
#
# `OneCycleLR` and `CyclicLR` also write the momentum — `momentum` for SGD, `betas[0]` for
# Adam — in opposite phase to the rate, (7.11) and (7.13). Smith (2018) found that a lower
# momentum at a large rate keeps training stable; chapter 02's effective step $\eta/(1-\beta)$
# ($\beta$ the momentum coefficient, torch's `momentum`) says why: where the rate peaks, a lower
# $\beta$ keeps the effective step from exploding. Here is the whole cycle, on SGD and on Adam:

# %%
ONE_CYCLE = 100
traces = {}
adam = torch.optim.Adam([torch.zeros(2, dtype=torch.float64, requires_grad=True)],
                        betas=(0.9, 0.99))
for name, opt in (("SGD", make_sgd(lr=0.1)), ("Adam", adam)):
    sched, rows = ours.OneCycleLR(opt, max_lr=0.1, total_steps=ONE_CYCLE), []
    for _ in range(ONE_CYCLE):
        group = opt.param_groups[0]
        momentum, beta2 = ((group["momentum"], None) if name == "SGD"
                           else group["betas"])
        rows.append((group["lr"], momentum, beta2))
        opt.step()
        sched.step()
    traces[name] = rows

lr_curve, mom_curve = [r[0] for r in traces["SGD"]], [r[1] for r in traces["SGD"]]
assert lr_curve == [r[0] for r in traces["Adam"]]
assert mom_curve == [r[1] for r in traces["Adam"]]
assert {r[2] for r in traces["Adam"]} == {0.99}, "β2 is left alone"
one_cycle_momentum = partial(cyclic_schedules.one_cycle_momentum, total_steps=ONE_CYCLE)
assert all(math.isclose(m, one_cycle_momentum(e), rel_tol=1e-12)
           for e, m in enumerate(mom_curve))                                   # (7.13)
peak = lr_curve.index(max(lr_curve))
assert peak == mom_curve.index(min(mom_curve)) == 29, "lr peak = momentum trough"

# %%
effective = [lr / (1 - m) for lr, m in zip(lr_curve, mom_curve)]
print(f"effective step η/(1−β): start {effective[0]:.3f}, "
      f"at the peak {effective[peak]:.3f}; "
      f"with β held at 0.95 the peak would be {max(lr_curve) / (1 - 0.95):.3f}")
assert effective[peak] < max(lr_curve) / (1 - 0.95) / 2

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(lr_curve, label="lr")
ax.set(xlabel="batch", ylabel="learning rate",
       title="OneCycleLR: the momentum dips while the rate peaks")
twin = ax.twinx()
twin.plot(mom_curve, color=VERMILLION, label="momentum (SGD) = β₁ (Adam)")
twin.set_ylabel("momentum", color=VERMILLION)
ax.legend(ax.get_lines() + twin.get_lines(), ["lr", "momentum (SGD) = β₁ (Adam)"],
          loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
plt.show()

# %% [markdown]
# A side effect worth knowing: with `cycle_momentum=True` (the default) these schedulers write
# a momentum even into an optimizer built *without* one — `SGD(momentum=0)` ends up with
# momentum 0.9 under `CyclicLR`, in torch and in the rebuild alike:

# %%
for lib in (torch_sched, ours):
    opt = make_sgd(lr=0.1, momentum=0.0)
    lib.CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0.9
print("SGD(momentum=0) + CyclicLR: momentum is now", opt.param_groups[0]["momentum"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Every scheduler, verified against torch
#
# The proof promised in chapter 00: for every class in `course_utils.lr_scheduler`, the same
# construction on two identical optimizers (two param groups, SGD with momentum or Adam),
# then 40 rounds of `optimizer.step(); scheduler.step()`, comparing every group's lr, momentum
# (or $\beta_1$) and `get_last_lr()` after construction and after every step. The recording
# and comparing is `course_utils.lr_trace`:

# %%
from course_utils.lr_trace import compare_schedulers, record

show_source(record)

# %%
def make_adam():
    return torch.optim.Adam(
        [{"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)], "lr": lr}
         for lr in (0.1, 0.05)], betas=(0.9, 0.99))


def make_two_group_sgd():
    return make_sgd(lrs=[0.1, 0.05])


PLATEAU_METRICS = [1 / (1 + 0.1 * min(t, 8)) + 0.001 * (t % 3) for t in range(40)]
sgd2 = make_two_group_sgd
CASES = {  # name: (builder taking the library L and the optimizer o, optimizer factory)
    "LambdaLR": (lambda L, o: L.LambdaLR(o, lambda e: 0.95 ** e), sgd2),
    "MultiplicativeLR": (lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97), sgd2),
    "StepLR": (lambda L, o: L.StepLR(o, step_size=7, gamma=0.5), sgd2),
    "MultiStepLR": (
        lambda L, o: L.MultiStepLR(o, milestones=[12, 5, 30, 30], gamma=0.3), sgd2),
    "ConstantLR": (lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=6), sgd2),
    "LinearLR": (
        lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=15),
        sgd2),
    "ExponentialLR": (lambda L, o: L.ExponentialLR(o, gamma=0.93), sgd2),
    "PolynomialLR": (lambda L, o: L.PolynomialLR(o, total_iters=25, power=1.7), sgd2),
    "CosineAnnealingLR": (
        lambda L, o: L.CosineAnnealingLR(o, T_max=12, eta_min=0.002), sgd2),
    "CosineAnnealingWarmRestarts": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=1e-3),
        sgd2),
    "CyclicLR, SGD": (
        lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=5, step_size_down=8,
                                mode="triangular2"), sgd2),
    "CyclicLR, Adam": (
        lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=6, mode="exp_range",
                                gamma=0.97), make_adam),
    "OneCycleLR, SGD": (
        lambda L, o: L.OneCycleLR(o, max_lr=[0.3, 0.2], total_steps=40), sgd2),
    "OneCycleLR, Adam, 3 phases": (
        lambda L, o: L.OneCycleLR(o, max_lr=0.3, total_steps=40, three_phase=True),
        make_adam),
    "SequentialLR": (
        lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.2, total_iters=5),
                                        L.CosineAnnealingLR(o, T_max=20)], [5]), sgd2),
    "ChainedScheduler": (
        lambda L, o: L.ChainedScheduler([L.ConstantLR(o, 0.5, total_iters=4),
                                         L.ExponentialLR(o, 0.95)]), sgd2),
    "ReduceLROnPlateau": (
        lambda L, o: L.ReduceLROnPlateau(o, patience=2, cooldown=1, threshold=0.01),
        sgd2),
}

# %%
results = []
for name, (build, make_opt) in CASES.items():
    metrics = PLATEAU_METRICS if name == "ReduceLROnPlateau" else None
    result = compare_schedulers(lambda o, b=build: b(ours, o),
                                lambda o, b=build: b(torch_sched, o),
                                make_opt, steps=40, metrics=metrics, name=name)
    print(result)
    results.append(result.assert_close(rtol=1e-12))
cycling = {n for n in CASES if n.startswith(("CyclicLR", "OneCycleLR"))}
assert {r.name for r in results if r.cycles_momentum} == cycling
assert {c.split(",")[0] for c in CASES} == set(ours.__all__) - {"LRScheduler",
                                                                "ExactWarmRestarts"}
print(f"{len(results)} cases, {sum(r.exact for r in results)} of them bitwise equal, "
      "every value within 1e-12")

# %% [markdown]
# Every class is covered (the second assertion checks the list against `ours.__all__`),
# and every case is not just within $10^{-12}$ but **bitwise** equal: the rebuilt classes replay
# torch's arithmetic operation for operation, including the recursive drift of section 3. The
# unit tests in `tests/test_schedulers*.py` repeat this over random arguments, Tensor learning
# rates, `step(epoch)`, error messages and `state_dict` round trips.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. torch's quirks, reproduced on purpose
#
# Matching torch bit for bit means matching its oddities too. `course_utils.lr_scheduler`
# documents two, and the rebuild follows torch in both (with an opt-out for the first).
#
# **Warm restarts located by a logarithm.** `CosineAnnealingWarmRestarts.step(epoch)` finds the
# period $n$ containing `epoch` by solving (7.9) with `int(math.log(...))`. With $T_0 = 1$,
# $T_{\text{mult}} = 3$ the restarts are at $S_n = (3^n - 1)/2$: 1, 4, 13, 40, 121, … At epoch 121
# the logarithm is $\log_3 243 = 5$, but in floating point it comes out just below, the `int`
# rounds it down to 4, and the scheduler lands at the *bottom* of the previous period instead of
# the top of a new one. Stepping there one step at a time gets the restart, and so does
# `ours.ExactWarmRestarts`, the same class (same arguments, same `state_dict`) whose `step(epoch)`
# uses the exact integer search of chapter 07 instead of the logarithm:

# %%
print("math.log(243, 3) =", math.log(243, 3))
assert int(math.log(121 / 1 * (3 - 1) + 1, 3)) == 4


def cawr_at_121(cls):
    opt = make_sgd(lr=1.0)
    sched = cls(opt, T_0=1, T_mult=3)
    sched.step(121)
    return opt.param_groups[0]["lr"], sched.T_cur, sched.T_i


opt = make_sgd(lr=1.0)
stepped = ours.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3)
lrs_used(opt, stepped, 121)
single = (opt.param_groups[0]["lr"], stepped.T_cur, stepped.T_i)
for name, value in (("torch step(121)",
                     cawr_at_121(torch_sched.CosineAnnealingWarmRestarts)),
                    ("ours step(121)", cawr_at_121(ours.CosineAnnealingWarmRestarts)),
                    ("ExactWarmRestarts", cawr_at_121(ours.ExactWarmRestarts)),
                    ("121 single steps", single)):
    print(f"{name:<22} lr {value[0]:.3f}  T_cur {value[1]}  T_i {value[2]}")
assert (cawr_at_121(torch_sched.CosineAnnealingWarmRestarts)
        == cawr_at_121(ours.CosineAnnealingWarmRestarts) == (0.0, 81.0, 81))
assert cawr_at_121(ours.ExactWarmRestarts)[::2] == (1.0, 243) == single[::2]

# %% [markdown]
# **A first rate that is not quite `max_lr / div_factor`.** `OneCycleLR` starts at
# $\eta_{\max}/25 = 0.004$ — except that with cosine annealing it computes (7.12) as
# $b + (a - b)/2\cdot(1 + \cos 0) = 0.1 + (0.004 - 0.1)/2\cdot 2$, which rounds to
# `0.0040000000000000036`. Linear annealing computes $(b - a)\cdot 0 + a$ and gets 0.004 exactly.
# The rebuild (and `one_cycle_lr` of chapter 07) keeps torch's order of operations, so it agrees:

# %%
first = {}
for strategy in ("cos", "linear"):
    for lib in (torch_sched, ours):
        opt = make_sgd()
        lib.OneCycleLR(opt, max_lr=0.1, total_steps=100, anneal_strategy=strategy)
        first[lib.__name__, strategy] = opt.param_groups[0]["lr"]
print({k[1]: repr(v) for k, v in first.items()})
TORCH, OURS = "torch.optim.lr_scheduler", "course_utils.lr_scheduler"
assert first[TORCH, "cos"] == first[OURS, "cos"] \
    == 0.1 + (0.004 - 0.1) / 2 * 2 == 0.0040000000000000036 != 0.1 / 25
assert first[TORCH, "linear"] == first[OURS, "linear"] == 0.004

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Pitfall gallery
#
# Five bugs that scheduler code is known for, each reproduced, asserted, and fixed.
#
# **(a) A scheduler consumed before training** — section 1. The fix is to plot from something
# that has no clock: the pure function of chapter 07, or a throwaway optimizer and scheduler.

# %%
plotted = [schedules.multi_step_lr(e, base_lr=0.5, milestones=[15, 30], gamma=0.5)
           for e in range(30)]                                       # (7.3): no state
optimizer = make_sgd(lr=0.5)
scheduler = torch_sched.MultiStepLR(optimizer, milestones=[15, 30], gamma=0.5)
trained = lrs_used(optimizer, scheduler, 30)
assert trained == plotted
print("(a) fixed: training used the plotted schedule,",
      sorted(set(trained), reverse=True))

# %% [markdown]
# **(b) A hand-written loop that lags one epoch.** Setting the rate *after* each epoch, as
# `param_group["lr"] = schedule(epoch)` at the bottom of the loop, trains epoch $e$ with
# `schedule(e - 1)` — and epoch 0 with whatever the optimizer started with. Dive into Deep
# Learning's warm-up example (5 epochs from 0 to 0.3, then cosine to 0.01 at epoch 20) does this:
# its first two epochs run at 0.3 and then at 0 instead of 0, 0.06.

# %%
schedule = schedules.join_schedules(                                           # (7.15)
    [partial(schedules.linear_warmup_lr, base_lr=0.3, warmup_steps=5),
     partial(schedules.cosine_annealing_lr, base_lr=0.3, T_max=15, eta_min=0.01)], [5])
optimizer, lagging, fixed = make_sgd(lr=0.3), [], []
group = optimizer.param_groups[0]
for epoch in range(20):
    lagging.append(group["lr"])         # train the epoch at the current lr...
    group["lr"] = schedule(epoch)       # ...then set this epoch's lr: too late
for epoch in range(20):
    group["lr"] = schedule(epoch)       # fix: set it before the epoch
    fixed.append(group["lr"])
print("lagging:", [round(x, 3) for x in lagging[:5]],
      " fixed:", [round(x, 3) for x in fixed[:5]])
assert lagging[:3] == [0.3, 0.0, schedule(1)] and lagging[1:] == fixed[:-1]
assert fixed == [schedule(e) for e in range(20)]

# %% [markdown]
# **(c) `OneCycleLR` stepped per epoch.** It is meant to be stepped after every batch
# (`total_steps = epochs × steps_per_epoch`); stepped once per epoch, ten epochs of 50 batches
# cover the first ten of its 500 steps and training never leaves the bottom of the warm-up
# (PyTorch issue #65417). The opposite mistake, `total_steps = epochs` with per-batch stepping,
# fails loudly one step past the end:

# %%
optimizer = make_sgd()
scheduler = torch_sched.OneCycleLR(optimizer, max_lr=0.1, epochs=10, steps_per_epoch=50)
per_epoch = lrs_used(optimizer, scheduler, 10)
print(f"(c) stepped per epoch: the largest lr ever used is {max(per_epoch):.4f}, "
      "max_lr is 0.1")
assert max(per_epoch) < 0.005
for lib in (torch_sched, ours):
    optimizer = make_sgd()
    try:
        lrs_used(optimizer, lib.OneCycleLR(optimizer, max_lr=0.1, total_steps=10), 50)
    except ValueError as err:
        print(f"    {lib.__name__}: ValueError: {err}")
        assert str(err) == ("Tried to step 11 times. "
                            "The specified number of total steps is 10")

# %% [markdown]
# **(d) Resuming without the scheduler's state.** A checkpoint that saves the model and the
# optimizer but not the scheduler resumes with a *new* scheduler, whose clock starts again at 0:
# one step after resuming, `OneCycleLR` is back at the bottom of its warm-up. Saving
# `scheduler.state_dict()` and loading it resumes the schedule exactly — provided the state is
# loaded *after* both objects are built, because construction writes the epoch-0 rate into the
# optimizer (section 2); load the optimizer's state first and the first resumed step runs at
# $\eta_0$. Chapter 10 puts this into a full checkpoint.

# %%
import copy

TOTAL_STEPS, STOP = 60, 25


def make_sched(opt):
    return torch_sched.OneCycleLR(opt, max_lr=0.1, total_steps=TOTAL_STEPS)


optimizer = make_sgd()
uninterrupted = lrs_used(optimizer, make_sched(optimizer), TOTAL_STEPS)

optimizer = make_sgd()
scheduler = make_sched(optimizer)
first_part = lrs_used(optimizer, scheduler, STOP)
checkpoint = {"optimizer": copy.deepcopy(optimizer.state_dict()),
              "scheduler": copy.deepcopy(scheduler.state_dict())}


def resume(load_scheduler, optimizer_state_first=False):
    """Rebuild optimizer and scheduler from `checkpoint`; finish; all the lrs used."""
    optimizer = make_sgd()
    if optimizer_state_first:
        optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler = make_sched(optimizer)
    if not optimizer_state_first:
        optimizer.load_state_dict(checkpoint["optimizer"])
    if load_scheduler:
        scheduler.load_state_dict(checkpoint["scheduler"])
    return first_part + lrs_used(optimizer, scheduler, TOTAL_STEPS - STOP)


forgot, right = resume(False), resume(True)
early = resume(True, optimizer_state_first=True)
print(f"(d) steps {STOP}, {STOP + 1}: "
      f"uninterrupted {uninterrupted[STOP]:.4f}, {uninterrupted[STOP + 1]:.4f}; "
      f"no scheduler state {forgot[STOP]:.4f}, {forgot[STOP + 1]:.4f}; "
      f"optimizer state loaded too early {early[STOP]:.4f}, {early[STOP + 1]:.4f}")
assert forgot[STOP + 1] == uninterrupted[1], "the schedule restarted"
assert early[STOP] == uninterrupted[0] and early[STOP + 1:] == uninterrupted[STOP + 1:]
assert right == uninterrupted

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(uninterrupted, linewidth=3, color=GREY,
        label="uninterrupted = state loaded after construction")
ax.plot(forgot, label="no scheduler state: the cycle restarts")
ax.plot(early, marker="o", markersize=3, label="optimizer state loaded first")
ax.axvline(STOP, color=BLACK, linewidth=1, linestyle=":")
ax.set(xlim=(STOP - 5, TOTAL_STEPS), xlabel="step", ylabel="learning rate used",
       title=f"Resumed after step {STOP}: only the right order continues the one-cycle")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
plt.show()

# %% [markdown]
# **(e) The removed `verbose` argument.** Older code (and older courses) pass `verbose=True` to
# get a message whenever the rate changes. The argument was deprecated in torch 2.2 (pull
# request #111302) and removed in 2.7 (#147301), so 2.7 and later, 2.13 included, reject it with a
# `TypeError` at construction. The rebuild has torch 2.13's signatures, so it refuses it too. The fix is to
# print `scheduler.get_last_lr()` yourself when it changes.

# %%
# torch before 2.7 still accepts it, with a deprecation warning: test torch's only from 2.7
for lib in (torch_sched, ours) if torch.__version__ >= "2.7" else (ours,):
    try:
        lib.ReduceLROnPlateau(make_sgd(), mode="min", patience=3, verbose=True)
    except TypeError as err:
        print(f"(e) {lib.__name__}: TypeError: {err}")
        assert "unexpected keyword argument 'verbose'" in str(err)
    else:
        raise AssertionError("verbose was accepted")

# %% [markdown]
# ## Summary
#
# 1. Construction takes the first step: `last_epoch` is 0, `initial_lr` is stored in every group,
#    and the group already holds the epoch-0 rate — a warm-up's small rate, not $\eta_0$.
# 2. Most classes are chainable (8.1): they multiply the rate in the group, so they carry outside
#    changes forward where a closed form erases them; both run past `T_max` (the cosine climbs
#    back); and they drift from the closed form by about $10^{-16}$, exactly as torch does.
# 3. `optimizer.step()` then `scheduler.step()` (the reverse skips $\eta_0$ and warns); every length
#    argument counts `step()` calls, so per-batch stepping needs lengths in batches.
#    `SequentialLR` joins schedules (8.4) = (7.15); `ChainedScheduler` multiplies chainable ones
#    (8.5) and lets a closed-form one overwrite.
# 4. Every class of `course_utils.lr_scheduler` equals torch's at every step — lr, momentum or
#    $\beta_1$, and `get_last_lr()` — bitwise, including torch's CAWR restart miss and
#    OneCycleLR's first rate 0.0040000000000000036.
# 5. The pitfalls: a plot that consumes the scheduler, a loop that lags one epoch, `OneCycleLR`
#    per epoch, a resume that forgets the scheduler, and `verbose=True`, which torch has rejected
#    since 2.7.

# %% [markdown]
# ## Exercises
#
# **1.** Derive the chainable form of `PolynomialLR` from its closed form (7.5) with (8.1),
# implement it as a `MultiplicativeLR` factor, and prove it equal to torch's `PolynomialLR`
# (`total_iters=10`, `power=2`) to $10^{-12}$ with `compare_schedulers`. (Mind the steps after
# `total_iters`, where the closed form is 0.)

# %% tags=["solution"]
def polynomial_factor(e, total_iters=10, power=2.0):
    """(8.1) on (7.5): F(e)/F(e−1) = ((1 − e/T)/(1 − (e−1)/T))^p, 0 < e ≤ T; else 1."""
    if e == 0 or e > total_iters:
        return 1.0
    return ((1.0 - e / total_iters) / (1.0 - (e - 1) / total_iters)) ** power


check = compare_schedulers(
    lambda o: torch_sched.MultiplicativeLR(o, polynomial_factor),
    lambda o: torch_sched.PolynomialLR(o, total_iters=10, power=2.0),
    make_two_group_sgd, steps=20, name="MultiplicativeLR as PolynomialLR")
print(check)
check.assert_close(rtol=1e-12)

# %% [markdown]
# **2.** Build the warmup–stable–decay schedule (7.14) from torch's classes — `SequentialLR` of a
# `LinearLR` warm-up, a `ConstantLR(factor=1.0)` plateau and a `LinearLR` decay — and check it
# against `warmup_stable_decay_lr` (warm-up 5 from `start_factor=0.1`, plateau 20, decay 15 to
# $\eta_{\min} = 10^{-3}$, 45 steps) to $10^{-12}$.

# %% tags=["solution"]
optimizer = make_sgd(lr=0.1)
wsd = torch_sched.SequentialLR(optimizer, [
    torch_sched.LinearLR(optimizer, start_factor=0.1, total_iters=5),
    torch_sched.ConstantLR(optimizer, factor=1.0, total_iters=20),
    torch_sched.LinearLR(optimizer, start_factor=1.0, end_factor=0.01, total_iters=15)],
    milestones=[5, 25])
built = lrs_used(optimizer, wsd, 45)
wsd_schedule = partial(schedules.warmup_stable_decay_lr, base_lr=0.1, warmup_steps=5,
                       stable_steps=20, decay_steps=15, eta_min=1e-3, start_factor=0.1)
pure = [wsd_schedule(e) for e in range(45)]
assert all(math.isclose(b, p, rel_tol=1e-12) for b, p in zip(built, pure))
print("SequentialLR(LinearLR, ConstantLR, LinearLR) == warmup_stable_decay_lr (7.14)",
      "to 1e-12")

# %% [markdown]
# **3.** Another way to resume is to rebuild the scheduler with `last_epoch` instead of loading
# its state (the optimizer's state, which holds `initial_lr`, is loaded). For a `StepLR(step_size=3)`
# interrupted after $k$ epochs, which `last_epoch` reproduces the uninterrupted run? Try
# $k = 5$ and $k = 6$, and explain the difference.

# %% tags=["solution"]
def resume_with_last_epoch(k, total=12):
    optimizer = make_sgd()
    full = lrs_used(optimizer, torch_sched.StepLR(optimizer, step_size=3), total)
    optimizer = make_sgd()
    first = lrs_used(optimizer, torch_sched.StepLR(optimizer, step_size=3), k)
    saved = copy.deepcopy(optimizer.state_dict())
    optimizer = make_sgd()
    optimizer.load_state_dict(saved)            # holds the decayed lr and initial_lr
    rebuilt = torch_sched.StepLR(optimizer, step_size=3, last_epoch=k - 1)
    rest = lrs_used(optimizer, rebuilt, total - k)
    return first + rest == full


# last_epoch = k - 1, because construction takes one step. It works for k = 5, but at
# k = 6 the initial step lands on a multiple of step_size and applies γ to a rate that
# already had it:
assert resume_with_last_epoch(5) and not resume_with_last_epoch(6)
print("last_epoch = k - 1 resumes k = 5 exactly; at k = 6 the drop is applied twice",
      "— load_state_dict instead")

# %% [markdown]
# ## References
#
# * PyTorch documentation, `torch.optim` — "How to adjust learning rate" (the order of
#   `optimizer.step()` and `scheduler.step()`, changed in PyTorch 1.1.0) and the pages of each
#   class in `torch.optim.lr_scheduler`; the source, `torch/optim/lr_scheduler.py` (torch
#   2.13), which the package `course_utils/lr_scheduler/` (`base.py`, `epoch.py`, `cyclic.py`,
#   `composite.py`, `plateau.py`) rebuilds.
# * PyTorch pull requests #111302 (`verbose` deprecated, 2.2) and #147301 (removed, 2.7).
# * PyTorch issues #65417 (`OneCycleLR` stepped per epoch), #152081 (the documented cosine
#   formula versus the recursive implementation).
# * A. Zhang, Z. C. Lipton, M. Li and A. J. Smola, *Dive into Deep Learning*, §12.11 "Learning
#   Rate Scheduling" — the consumed `MultiStepLR` and the lagging warm-up of pitfalls (a) and (b).
# * L. N. Smith and N. Topin, *Super-convergence: very fast training of neural networks using
#   large learning rates*, 2019 (arXiv 1708.07120) — the one-cycle policy.
# * L. N. Smith, *A disciplined approach to neural network hyper-parameters: Part 1 — learning
#   rate, batch size, momentum, and weight decay*, 2018 (arXiv 1803.09820) — cyclic momentum.
# * L. N. Smith, *Cyclical learning rates for training neural networks*, WACV 2017.
# * I. Loshchilov and F. Hutter, *SGDR: stochastic gradient descent with warm restarts*, ICLR 2017.
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017 — warm-up.
