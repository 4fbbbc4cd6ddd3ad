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
# # 13 · Training practice: batch size, accumulation, mixed precision, decay, clipping, schedule-free
#
# *The optimizers and schedules of chapters 02–12 meet the settings a practitioner changes
# every day. This chapter measures on Fashion-MNIST how the learning rate must follow the
# batch size, and where a bigger batch stops paying; proves that gradient accumulation is a
# bigger batch, as long as the scheduler counts optimizer steps; takes apart what mixed
# precision does to a step and to the scheduler; shows that AdamW's weight decay follows the
# schedule too; puts gradient clipping next to warm-up and the divergence guard; and
# compares schedule-free SGD and AdamW with tuned WSD and cosine schedules.*
#
# **Prerequisites:** chapters 04 and 05 (SGD with momentum, Adam, AdamW), 06–09 (schedules
# and schedulers), 10 (the training loop and its guard), 12 (experiments on Fashion-MNIST,
# intervals over seeds). **Runtime:** about 15 s on a laptop CPU; the Fashion-MNIST results
# are read from recorded runs. `python -m course_utils experiments run NAME` reproduces them
# for NAME = `batch_size`, `batch_size_adam`, `schedule_free_tuning`, `schedule_free` (in that
# order, after chapter 12's `tuning`): about 7 minutes on one CPU thread.
#
# **After this chapter you can**
# 1. carry a learning rate to another batch size by the linear (13.1) or square-root (13.3)
#    rule with a warm-up (13.2), and estimate the critical batch size from measured runs (13.4)–(13.5);
# 2. accumulate gradients exactly (13.6) and step the scheduler once per optimizer step;
# 3. explain why `GradScaler` skips steps (13.7), what that does to a scheduler and its
#    warning, and count the bytes per parameter of a mixed-precision run (13.8);
# 4. state how torch's AdamW schedules its weight decay (13.9)–(13.10) and convert between
#    torch's and Loshchilov & Hutter's λ;
# 5. bound a step with gradient clipping (13.11)–(13.12), and tell clipping, warm-up and the
#    divergence guard apart;
# 6. write schedule-free SGD from its equations (13.13)–(13.16) and judge it against tuned schedules.

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

import matplotlib.pyplot as plt
import torch

from course_utils.device import setup
from course_utils.plotting import GREY

device = setup(seed=0, threads=1)  # small models: one CPU thread is fastest

# %% [markdown]
# The Fashion-MNIST results come from the experiment records of chapter 12's runner
# (`data/results/`): a 784-64-10 MLP trained on a fixed 20,000-image subset for 6 epochs,
# five seeds per configuration, every learning rate tuned by the chapter-10 protocol (best
# mean validation accuracy after 2 epochs over 2 seeds). Every number below is a mean over
# the five seeds with its Student-t 95 % interval (12.1).

# %%
from course_utils.experiments import load_records, mean_ci
from course_utils.experiments.stats import final


def results(name, metric="test_acc"):
    """{label: (mean, 95% half-width, seeds that diverged, records)} of experiment ``name``."""
    by_label = {}
    for r in load_records(name):
        by_label.setdefault(r["config"]["label"], []).append(r)
    out = {}
    for label, rs in by_label.items():
        values = [v for v in (final(r, metric) for r in rs) if v is not None]
        mean, ci = mean_ci(values) if values else (math.nan, math.nan)
        out[label] = (mean, ci, sum(bool(r.get("diverged")) for r in rs), rs)
    return out


def show(res, title):
    print(title)
    for label, (mean, ci, diverged, rs) in res.items():
        lr = rs[0]["config"]["lr"]
        print(f"  {label:32s} lr {lr:<9.4g} test acc {mean:.4f} ± {ci:.4f}   diverged {diverged}/{len(rs)}")


batch = results("batch_size")
assert all(len(v[3]) == 5 for v in batch.values())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: a bigger batch with the same recipe
#
# SGD with momentum 0.9 was tuned at batch 64. The same learning rate and the same six
# epochs at batch 1024 take 16 times fewer steps, each with a gradient 16 times less noisy.

# %%
same_lr = {b: batch[label] for b, label in ((64, "momentum/constant"), (256, "momentum/B=256/none"),
                                            (1024, "momentum/B=1024/none"))}
for b, (mean, ci, _, rs) in same_lr.items():
    print(f"batch {b:5d}: {rs[0]['steps_per_epoch'] * 6:5d} steps at lr {rs[0]['config']['lr']:.4g}: "
          f"test accuracy {mean:.4f} ± {ci:.4f}")
assert same_lr[1024][0] + same_lr[1024][1] < same_lr[64][0] - same_lr[64][1]

# %% [markdown]
# Sixteen times the batch with the same rate is clearly worse: the intervals do not overlap.
# Each step averages more examples but, at the same rate, moves the weights about as far as
# a small-batch step, and the run takes a sixteenth as many of them. The cure is to change the learning
# rate with the batch size, and the question is by how much.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Batch size and the learning rate
#
# **The linear rule.** Take $k$ SGD steps with batches $B_1, \dots, B_k$ of $b$ examples and
# rate $\eta$, against one step with their union (batch $kb$) and rate $\hat\eta$. If the
# gradient barely changes over those $k$ steps, $\nabla L_{B_j}(\theta_{t+j}) \approx
# \nabla L_{B_j}(\theta_t)$, the $k$ small steps add up to $\eta \sum_j \nabla L_{B_j} =
# k\eta \, \nabla L_{B_1\cup\dots\cup B_k}$, one step of the big batch with $\hat\eta = k\eta$.
# Goyal et al. (2017) turned this into a rule for batch $B$ from a rate $\eta_0$ tuned at $B_0$:
#
# $$ \eta(B) = \eta_0 \, \frac{B}{B_0}. \tag{13.1} $$
#
# The assumption fails at the start of training, where the gradient changes fastest, so
# they start at $\eta_0$ and raise the rate by equal increments to $\eta(B)$ over the first
# epochs (*gradual warm-up*); with $T_w$ warm-up steps,
#
# $$ \eta_t = \eta_0 + \big(\eta(B) - \eta_0\big) \min(t / T_w,\, 1). \tag{13.2} $$
#
# **The square-root rule.** Adam divides by $\sqrt{v}$, so its step does not grow with the
# gradient's size the way SGD's does, and the same argument does not carry over. Malladi et
# al. (2022) derive, from a stochastic differential equation that approximates Adam and
# RMSprop, that the rate should grow with the square root of the batch:
#
# $$ \eta(B) = \eta_0 \sqrt{B / B_0}. \tag{13.3} $$
#
# (Their full rule also moves $1-\beta_1$, $1-\beta_2$ and $\epsilon$ with the batch; we
# scale the rate only, as most recipes do.)
#
# | symbol | meaning | code | where |
# |---|---|---|---|
# | $B_0$, $\eta_0$ | batch and tuned rate of the reference run | `BATCH_SIZE` (64), `"tuned"` | `experiments.registry` |
# | $B$, $\eta(B)$ | new batch and its rate | `batch_size`, `lr × lr_factor` | `course_utils.scaling.scaled_lr` |
# | $T_w$ | warm-up steps (here: the first epoch) | `"goyal_warmup"` | `course_utils.scaling.warmup_lr` |
#
# The `batch_size` experiment keeps momentum SGD's rate, scales it by (13.1) with the
# warm-up (13.2) over the first epoch, or scales it without warm-up; `batch_size_adam`
# scales Adam's rate by (13.3) or (13.1), both with the warm-up.

# %%
adam = results("batch_size_adam")
show(batch, "SGD + momentum 0.9, 6 epochs (batch_size):")
show(adam, "Adam, 6 epochs (batch_size_adam):")

# %%
RULES_TO_PLOT = {"momentum, lr kept": "momentum/B={b}/none", "momentum, linear + warm-up": "momentum/B={b}/linear/warmup",
                 "Adam, square root + warm-up": "adam/B={b}/sqrt/warmup", "Adam, linear + warm-up": "adam/B={b}/linear/warmup"}
fig, ax = plt.subplots(figsize=(6.4, 4.0))
for name, pattern in RULES_TO_PLOT.items():
    table = batch if name.startswith("momentum") else adam
    base = table["momentum/constant" if name.startswith("momentum") else "adam/constant"]
    points = [(64, base)] + [(b, table[pattern.format(b=b)]) for b in (128, 256, 512, 1024, 2048)
                             if pattern.format(b=b) in table]
    ax.errorbar([b for b, _ in points], [v[0] for _, v in points], yerr=[v[1] for _, v in points],
                marker="o", capsize=3, label=name)
ax.set_xscale("log", base=2)
ax.set_xlabel("batch size (examples per step)")
ax.set_ylabel("test accuracy after 6 epochs")
ax.set_title("Scaled rates recover accuracy up to a point; at 2048 the linear rule breaks")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# For momentum SGD, keeping the rate loses accuracy steadily as the batch grows. The linear
# rule with warm-up recovers all of it at batch 256 (its interval overlaps batch 64's) and
# part of it at 1024: clearly better than keeping the rate, still below batch 64. At 2048
# it breaks: the scaled rate of 0.69 with momentum 0.9 is past the stable range, the five
# seeds scatter, and the mean falls below even the unscaled run. At 1024 the warm-up
# mostly narrows the spread over seeds (an interval a quarter as wide) rather than moving
# the mean. For Adam the square-root rule is never worse than the linear one and holds up
# where the linear one fails: at 2048 their intervals are far apart.

# %%
lo, hi = (lambda t: t[0] - t[1]), (lambda t: t[0] + t[1])
kept = [batch[k][0] for k in ("momentum/constant", "momentum/B=256/none", "momentum/B=1024/none", "momentum/B=2048/none")]
assert kept == sorted(kept, reverse=True)                                        # kept rate: steadily worse
base, lin = batch["momentum/constant"], {b: batch[f"momentum/B={b}/linear/warmup"] for b in (256, 1024, 2048)}
assert abs(lin[256][0] - base[0]) < lin[256][1] + base[1]                       # recovered at 256
assert lo(lin[1024]) > hi(batch["momentum/B=1024/none"]) and hi(lin[1024]) < lo(base)   # partly at 1024
assert lin[2048][1] > 0.1 and lin[2048][0] < batch["momentum/B=2048/none"][0]   # broken at 2048
no_warm = batch["momentum/B=1024/linear"]
assert lin[1024][1] < no_warm[1] / 2 and abs(lin[1024][0] - no_warm[0]) < lin[1024][1] + no_warm[1]
assert all(adam[f"adam/B={b}/sqrt/warmup"][0] >= adam[f"adam/B={b}/linear/warmup"][0] for b in (256, 1024, 2048))
assert lo(adam["adam/B=2048/sqrt/warmup"]) > hi(adam["adam/B=2048/linear/warmup"])

# %% [markdown]
# **Where scaling stops paying: the critical batch size.** McCandlish et al. (2018) model
# the number of optimizer steps $S$ and of training examples $E = BS$ needed to reach a
# given loss as
#
# $$ S(B) = S_{\min}\Big(1 + \frac{B_{\text{noise}}}{B}\Big), \tag{13.4} $$
#
# $$ E(B) = E_{\min}\Big(1 + \frac{B}{B_{\text{noise}}}\Big), \qquad E_{\min} = S_{\min} B_{\text{noise}}. \tag{13.5} $$
#
# For $B \ll B_{\text{noise}}$ doubling the batch halves the steps at no cost in examples
# (perfect scaling); for $B \gg B_{\text{noise}}$ it saves almost no steps and doubles the
# examples. The crossover, the *critical batch size* $B_{\text{crit}} = E_{\min}/S_{\min}$,
# is where a run needs twice the minimal steps and twice the minimal examples. Since
# $S = S_{\min} + E_{\min}\cdot(1/B)$ is a straight line in $1/B$, two or more measured
# batch sizes give both constants by least squares. We measure $S$ as the steps until the
# training loss, averaged over tenths of an epoch, first falls below a target, for the runs
# scaled by (13.1) with warm-up (the model assumes a well-tuned rate at every batch size;
# the linear rule is our stand-in for that tuning).

# %%
from course_utils.scaling import fit_critical_batch, steps_to_target

TARGET = 0.5
scaled = {64: batch["momentum/constant"]} | {b: batch[f"momentum/B={b}/linear/warmup"] for b in (128, 256, 512, 1024, 2048)}
steps = {}
for b, (_, _, _, rs) in scaled.items():
    reached = [steps_to_target(r["loss_chunks"], TARGET, r["chunk_steps"]) for r in rs if not r.get("diverged")]
    steps[b] = sum(reached) / len(reached) if reached and None not in reached else None
print("steps to a training loss of", TARGET, ":", {b: s for b, s in steps.items()})
measured = {b: s for b, s in steps.items() if s is not None}
fit = fit_critical_batch(list(measured), list(measured.values()))
print(f"fit (13.4): S_min = {fit.s_min:.0f} steps, E_min = {fit.e_min:,.0f} examples, B_crit = {fit.b_crit:.0f}")

# %%
fig, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(9.0, 3.6))
grid = [2 ** (i / 4) for i in range(20, 45)]
ax_s.plot(list(measured), list(measured.values()), "o", label="measured")
ax_s.plot(grid, [fit.steps(b) for b in grid], label="fit (13.4)")
ax_e.plot(list(measured), [b * s for b, s in measured.items()], "o")
ax_e.plot(grid, [fit.examples(b) for b in grid])
for ax, what in ((ax_s, "optimizer steps"), (ax_e, "training examples")):
    ax.axvline(fit.b_crit, color=GREY, linestyle=":")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size")
    ax.set_ylabel(f"{what} to reach the target")
ax_s.legend(fontsize=8)
fig.suptitle("Below the critical batch size (dotted) bigger batches save steps; above it they cost examples")
plt.show()

# %% [markdown]
# From batch 64 to 128 the steps to the target fall almost by half, as (13.4) predicts far
# below $B_{\text{crit}}$; from 512 to 1024 doubling the batch saves less than a quarter of
# the steps and costs more than 50 % more examples. The fit puts the critical batch size
# between 256 and 512 for this target. (The run at 2048 never reaches it: its scaled rate is
# unstable, as above.) The critical batch size is not a constant of the problem: repeated for
# three targets, it grows as the target loss falls, the trend McCandlish et al. report for
# the gradient noise scale, since near a minimum the mean gradient shrinks and the noise
# dominates.

# %%
s64, s128, s512, s1024 = (measured[b] for b in (64, 128, 512, 1024))
assert s128 / s64 < 0.65 and s1024 / s512 > 0.75 and 1024 * s1024 > 1.5 * 512 * s512
assert 256 < fit.b_crit < 512 and 2048 not in measured


def b_crit_for(target):
    at = {b: [steps_to_target(r["loss_chunks"], target, r["chunk_steps"]) for r in rs]
          for b, (_, _, _, rs) in scaled.items()}
    at = {b: sum(v) / len(v) for b, v in at.items() if None not in v}
    return fit_critical_batch(list(at), list(at.values())).b_crit


by_target = {t: b_crit_for(t) for t in (0.7, 0.6, 0.5)}
print("B_crit by target training loss:", {t: round(b) for t, b in by_target.items()})
assert by_target[0.7] < by_target[0.6] < by_target[0.5]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Gradient accumulation: a big batch, one micro-batch at a time
#
# When a batch of $n$ examples does not fit in memory, cut it into micro-batches
# $M_1, \dots, M_k$ of sizes $m_j$ and let `backward()` add their gradients into `p.grad`
# before one optimizer step. The big batch's mean loss is a weighted sum of the micro-batch
# means, so
#
# $$ \nabla L_B = \frac1n \sum_{i \in B} \nabla \ell_i = \sum_{j=1}^{k} \frac{m_j}{n} \, \nabla L_{M_j}. \tag{13.6} $$
#
# Weighting each micro-batch by $m_j / n$ keeps (13.6) exact when the last micro-batch is
# shorter; the common shortcut $1/k$ is exact only for equal sizes.

# %%
from course_utils.accumulation import accumulate_gradients, train_steps
from course_utils.verify import show_source

show_source(accumulate_gradients)

# %% [markdown]
# The proof on the digits, in float64: one MLP, one batch of 100 images, its gradient taken
# whole and in $k = 1, 3, 4, 7$ micro-batches (3 and 7 do not divide 100), and with the
# $1/k$ shortcut.

# %%
from course_utils.data import load_digits
from course_utils.train import make_mlp

digits64 = load_digits(device=device, dtype=torch.float64)
xd, yd = digits64.x_train, digits64.y_train
model = make_mlp(seed=0, device=device).double()


def gradient(k, **kwargs):
    model.zero_grad()
    accumulate_gradients(model, xd, yd, torch.arange(100, device=device), k, **kwargs)
    return torch.cat([p.grad.flatten() for p in model.parameters()])


whole = gradient(1)
for k in (3, 4, 7):
    exact, shortcut = gradient(k), gradient(k, divide_by_k=True)
    err_exact = float((exact - whole).abs().max() / whole.abs().max())
    err_short = float((shortcut - whole).abs().max() / whole.abs().max())
    print(f"k = {k}: m_j/n weights: max rel. error {err_exact:.1e};   1/k weights: {err_short:.1e}")
    assert err_exact < 1e-13 and (err_short < 1e-13) == (100 % k == 0)

# %% [markdown]
# With $m_j/n$ weights every $k$ gives the big batch's gradient to the last few bits (the
# sums are taken in another order); the $1/k$ shortcut is equally exact when $k$ divides the
# batch and off by a few per cent when it does not.
#
# **The scheduler counts optimizer steps.** A scheduler's `T_max`, `step_size` or
# `total_steps` is a number of *optimizer* steps. Put `scheduler.step()` inside the
# micro-batch loop, an easy slip when accumulation is added to an existing loop, and the
# schedule runs $k$ times too fast. With $k = 4$ and a cosine over 20 optimizer steps:

# %%
from course_utils.lr_scheduler import CosineAnnealingLR
from course_utils.optim import SGD


def accumulated_run(per_micro_batch, k=4, steps=20):
    torch.manual_seed(0)
    net = make_mlp(seed=0, device=device).double()
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = CosineAnnealingLR(opt, T_max=steps)
    order = torch.Generator().manual_seed(0)
    batches = [torch.randperm(len(yd), generator=order)[:64].to(device) for _ in range(steps)]
    return train_steps(net, opt, xd, yd, batches, k=k, scheduler=sched, scheduler_per_micro_batch=per_micro_batch)


right, wrong = accumulated_run(False), accumulated_run(True)
print("lr at optimizer steps 0, 5, 10, 15:  right", [f"{v:.3f}" for v in right["lr"][::5]],
      " wrong", [f"{v:.3f}" for v in wrong["lr"][::5]])
assert right["lr"][-1] > 0 and wrong["lr"][5] < 1e-12 and abs(wrong["lr"][10] - 0.1) < 1e-12

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.2))
ax.plot(right["lr"], label="scheduler.step() per optimizer step")
ax.plot(wrong["lr"], label="scheduler.step() per micro-batch (k = 4)")
ax.set_xlabel("optimizer step")
ax.set_ylabel("learning rate")
ax.set_title("Stepped per micro-batch, a 20-step cosine ends at step 5 and climbs back")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Stepped per micro-batch, the cosine reaches zero after 5 optimizer steps, then, since
# torch's `CosineAnnealingLR` is periodic past `T_max`, climbs back to the full rate by
# step 10, and repeats: down and back up twice in a run that should have held one descent. Any schedule
# defined in steps fails the same way (a `StepLR` decays $k$ times too early, `OneCycleLR`
# raises once it passes `total_steps`). `course_utils.accumulation.train_steps` steps the
# scheduler once per optimizer step, and then the accumulated run is the big-batch run:
# `tests/test_accumulation.py` proves the weights equal after six steps of SGD with
# Nesterov momentum and of AdamW, float64, to $10^{-11}$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Mixed precision: skipped steps and the scheduler
#
# In float16 the largest number is 65504 and gradients below about $6\times10^{-8}$ round to
# zero. *Loss scaling* multiplies the loss by a large $s$ before `backward()`, so small
# gradients survive the backward pass in float16, then divides by $s$ before the step; if any
# gradient overflowed, the step is skipped and $s$ halved (and $s$ doubles again after 2000
# clean steps). With $\hat g$ the unscaled gradient,
#
# $$ \hat g = \nabla (s L) / s, \qquad
#    \theta_t = \begin{cases} \theta_{t-1} - \eta_t \,\hat g & \hat g \text{ finite} \\
#                             \theta_{t-1},\ \ s \leftarrow s/2 & \text{otherwise.} \end{cases} \tag{13.7} $$
#
# `torch.amp.GradScaler` does this; bfloat16 keeps float32's exponent range and needs no
# scaling. A skipped step simply does not call `optimizer.step()`, and a scheduler stepped
# in the same loop moves on anyway. We start the scaler at $s = 2^{24}$, high enough that the
# first float16 backward passes overflow, and train the digits MLP under `torch.autocast`
# with the course's SGD and a `StepLR` that halves the rate every step:

# %%
from course_utils.lr_scheduler import StepLR
from course_utils.precision import amp_step

digits = load_digits(device=device)
x32, y32 = digits.x_train, digits.y_train


def amp_run(step_scheduler_on_skip, steps=8):
    net = make_mlp(seed=0, device=device)
    opt = SGD(net.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    scaler = torch.amp.GradScaler(device.type, init_scale=2.0 ** 24)
    taken = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for t in range(steps):
            with torch.autocast(device.type, dtype=torch.float16):
                loss = torch.nn.functional.cross_entropy(net(x32[64 * t:64 * (t + 1)]), y32[64 * t:64 * (t + 1)])
            taken.append(amp_step(scaler, opt, loss, sched, step_scheduler_on_skip=step_scheduler_on_skip))
    return taken, opt.param_groups[0]["lr"], [str(w.message) for w in caught if "before `optimizer" in str(w.message)]

# %%
taken, lr_plain, warned = amp_run(True)
print("steps taken:", taken, f"| final lr {lr_plain:.2e} = 0.1 / 2^{round(math.log2(0.1 / lr_plain))}")
print("warning:", warned[0][:100], "...")
taken_aware, lr_aware, warned_aware = amp_run(False)
print(f"scheduler stepped only after taken steps: final lr {lr_aware:.2e} = 0.1 / 2^{sum(taken_aware)}, warnings: {len(warned_aware)}")
n_skipped = taken.count(False)
assert n_skipped >= 1 and not any(taken[:n_skipped]) and all(taken[n_skipped:])
assert abs(lr_plain - 0.1 * 0.5 ** 8) < 1e-15 and warned
assert taken_aware == taken and abs(lr_aware - 0.1 * 0.5 ** (8 - n_skipped)) < 1e-15 and not warned_aware

# %% [markdown]
# The first float16 backward passes overflowed; `GradScaler` skipped those steps, halving $s$
# each time, until one went through. The plain loop still called `scheduler.step()` after
# every iteration, so by the first real step the rate had already been halved once per skip:
# the first values of the schedule were spent on steps that never happened. torch's
# scheduler notices only at its very first `step()`: it checks whether `optimizer.step()`
# has ever run and, since `GradScaler.step` skipped it, warns about the call order although
# the loop's order is right. Two remedies. Step the scheduler only after steps that were
# taken (`amp_step(..., step_scheduler_on_skip=False)` tells them apart by the scale, which
# shrinks only on a skip): no warning, and no value of the schedule is lost. Or accept the
# loss when skips are rare, as they are once the scale has settled (after 2000 clean steps
# the scaler tries a doubled scale, and an overflow then costs one step). A lower
# `init_scale` avoids most of the initial skips.
#
# **Bytes per parameter.** Mixed precision also changes memory. With $w$, $g$ bytes per
# weight and gradient, an fp32 master copy (4 bytes) when the weights the model computes
# with are 16-bit, and $k$ state buffers of $s$ bytes (SGD 0, momentum 1, Adam and AdamW 2),
#
# $$ \text{bytes per parameter} = w + g + [\text{master}] + k\,s. \tag{13.8} $$

# %%
from course_utils.precision import bytes_per_parameter, state_bytes

setups = {"fp32": dict(), "bf16 + fp32 master": dict(weight_dtype=torch.bfloat16),
          "fp16 + fp32 master": dict(weight_dtype=torch.float16),
          "pure bf16 (no master)": dict(weight_dtype=torch.bfloat16, master_weights=False, state_dtype=torch.bfloat16)}
print(f"{'':24s}" + "".join(f"{o:>10s}" for o in ("sgd", "momentum", "adamw")))
table = {name: {o: bytes_per_parameter(o, **kw)["total"] for o in ("sgd", "momentum", "adamw")} for name, kw in setups.items()}
for name, row in table.items():
    print(f"{name:24s}" + "".join(f"{v:10d}" for v in row.values()))
assert table["fp32"]["adamw"] == table["bf16 + fp32 master"]["adamw"] == 16 and table["pure bf16 (no master)"]["adamw"] == 8

# %% [markdown]
# Mixed precision with master weights does not shrink the per-parameter memory of AdamW at
# all: 16 bytes either way, because the 2 + 2 bytes saved on weights and gradients are
# spent again on the 4-byte master copy. What it saves is activation memory and time (16-bit
# matrix products run several times faster on GPUs). `torch.autocast` keeps the parameters
# in fp32 and casts on the fly, so there the parameter memory is simply fp32's. Only pure
# 16-bit training (weights and state in bf16) halves it, at the price of updates smaller than
# bf16's resolution of $2^{-8}$ relative being rounded away. The table's state column can be
# checked against a real optimizer: the course's AdamW keeps its state in the parameter's dtype.

# %%
from course_utils.optim import AdamW

for dtype, expected in ((torch.float32, 8), (torch.bfloat16, 4)):
    layer = torch.nn.Linear(64, 10).to(device=device, dtype=dtype)
    opt = AdamW(layer.parameters())
    layer(x32[:8].flatten(1).to(dtype)).sum().backward()
    opt.step()
    n = sum(p.numel() for p in layer.parameters())
    per_param = (state_bytes(opt) - sum(s["step"].numel() * s["step"].element_size() for s in opt.state.values())) / n
    print(f"{dtype}: AdamW state {per_param:.0f} bytes per parameter")
    assert per_param == expected == bytes_per_parameter("adamw", state_dtype=dtype)["state"]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. AdamW's weight decay is scheduled too
#
# torch's AdamW (and the course's, step for step) shrinks the weights by the *current*
# learning rate $\gamma_t = \alpha\,\eta_t$ times `weight_decay` $\lambda$, where $\alpha$ is
# the base rate and $\eta_t$ the scheduler's multiplier:
#
# $$ \text{torch:}\qquad \theta \leftarrow (1 - \alpha\,\eta_t\,\lambda)\,\theta \;-\; \alpha\,\eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t}+\epsilon}. \tag{13.9} $$
#
# So every scheduler schedules the decay too: under a cosine to zero the decay fades out
# with the rate. Loshchilov & Hutter (2019, Algorithm 2) write the same update with the
# decay multiplied by the schedule multiplier only:
#
# $$ \text{L\&H:}\qquad \theta \leftarrow (1 - \eta_t\,\lambda')\,\theta \;-\; \eta_t\,\alpha\,\frac{\hat m_t}{\sqrt{\hat v_t}+\epsilon}. \tag{13.10} $$
#
# Both follow $\eta_t$; they differ by the constant $\alpha$, so $\lambda' = \alpha\lambda$
# maps one onto the other. The practical difference is what a hyper-parameter search sees:
# in (13.10) $\alpha$ and $\lambda'$ are separate knobs (the point of Loshchilov & Hutter's
# "decoupling"), in (13.9) changing the rate changes the decay too. First the equivalence,
# with a from-scratch (13.10) built on the course's `adam_step`, against the course's
# `AdamW` given $\lambda = \lambda'/\alpha$, under a cosine schedule, in float64:

# %%
from course_utils.optim import adam_step
from course_utils.schedules import cosine_annealing_lr

ALPHA, LAM_LH, T = 1e-2, 1e-3, 30
torch.manual_seed(0)
theta_lh = torch.randn(50, dtype=torch.float64)
theta_torch = theta_lh.clone().requires_grad_()
m, v, step = torch.zeros_like(theta_lh), torch.zeros_like(theta_lh), torch.tensor(0.0)
opt = AdamW([theta_torch], lr=ALPHA, weight_decay=LAM_LH / ALPHA)
sched = CosineAnnealingLR(opt, T_max=T)
for t in range(T):
    eta = cosine_annealing_lr(t, base_lr=1.0, T_max=T)               # the multiplier η_t
    grad = torch.sin(3 * theta_lh) + 0.1 * theta_lh                  # any gradient field
    theta_lh.mul_(1 - eta * LAM_LH)                                  # (13.10) decay by η_t λ'
    adam_step(theta_lh, grad, m, v, step, lr=eta * ALPHA)          # (13.10) Adam step η_t α
    theta_torch.grad = torch.sin(3 * theta_torch.detach()) + 0.1 * theta_torch.detach()
    opt.step()
    sched.step()
torch.testing.assert_close(theta_torch.detach(), theta_lh, rtol=1e-13, atol=1e-15)
print(f"(13.10) with λ' = {LAM_LH:g} equals torch-style AdamW with λ = λ'/α = {LAM_LH / ALPHA:g}, 30 cosine steps, float64")

# %% [markdown]
# **What "scheduled" means on a run.** The contrast is a decay that ignores the schedule: a
# fixed fraction $\alpha\lambda$ of the weights removed at every step, as if the decay lived
# outside the optimizer. We train the digits MLP for 40 epochs with AdamW ($\alpha = 10^{-2}$,
# $\lambda = 1$, a strong decay so that the effect is plain) under a cosine to zero, once
# with torch's scheduled decay (13.9) and once with the unscheduled one (a step pre-hook sets
# `weight_decay` to $\alpha\lambda/\gamma_t$, so the product stays $\alpha\lambda$), and
# follow the norm of all the weights.

# %%
from course_utils.train import train

ALPHA_WD, LAM_WD, EPOCHS_WD = 1e-2, 1.0, 40
T_WD = EPOCHS_WD * -(-len(y32) // 64)


def decay_run(scheduled, alpha=ALPHA_WD, lam=LAM_WD):
    net = make_mlp(seed=0, device=device)
    opt = AdamW(net.parameters(), lr=alpha, weight_decay=lam)
    sched = CosineAnnealingLR(opt, T_max=T_WD)
    norms = []

    def constant_decay(o, args, kwargs):            # γ_t · λ_t = α λ at every step
        for group in o.param_groups:
            group["weight_decay"] = alpha * lam / group["lr"]

    if not scheduled:
        opt.register_step_pre_hook(constant_decay)
    opt.register_step_post_hook(lambda o, a, k: norms.append(float(torch.cat([p.detach().flatten() for p in net.parameters()]).norm())))
    return train(net, opt, digits, epochs=EPOCHS_WD, batch_size=64, scheduler=sched), norms

# %%
decay_runs = {"scheduled (torch, L&H)": decay_run(True), "unscheduled": decay_run(False)}
for name, (history, norms) in decay_runs.items():
    print(f"{name:24s} weight norm at 50 % {norms[T_WD // 2]:6.2f}, 90 % {norms[9 * T_WD // 10]:6.2f}, "
          f"end {norms[-1]:6.2f}; test accuracy {history.test_acc[-1]:.3f}")
(h_s, n_s), (h_u, n_u) = decay_runs.values()
assert abs(n_s[-1] / n_s[9 * T_WD // 10] - 1) < 0.05 and n_u[-1] < 0.5 * n_u[9 * T_WD // 10]
assert n_u[-1] < n_s[-1] / 3 and h_s.test_acc[-1] > h_u.test_acc[-1] + 0.05

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.4))
for name, (_, norms) in decay_runs.items():
    ax.plot(norms, label=f"decay {name}")
ax.set_xlabel("optimizer step")
ax.set_ylabel("norm of all weights")
ax.set_title("Scheduled decay fades with the rate; unscheduled decay erases the weights")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# With the decay scheduled, the weights settle as the rate anneals: over the last tenth of
# the run the norm barely moves, because both the gradient steps and the decay have
# faded together. Unscheduled, the decay keeps removing the same fraction per step while
# the gradient steps that balance it vanish, so the weights shrink by more than half in the
# last tenth of the run and the accuracy drops. A schedule in torch therefore anneals two
# things at once, and a decay strength tuned under one schedule is not the same strength
# under another.
#
# **Where torch's λ and Loshchilov & Hutter's λ' part ways: a sweep over the rate.** Hold
# torch's `weight_decay` at $\lambda = 0.1$ and sweep $\alpha$, and the decay per step
# $\alpha\lambda$ sweeps with it; hold $\lambda' = 10^{-3}$ instead (torch's
# `weight_decay` $= \lambda'/\alpha$) and the decay stays put while only the Adam step
# changes. The two conventions coincide at $\alpha = 10^{-2}$, where $\alpha\lambda = \lambda'$.

# %%
sweep = {}
for alpha in (3e-3, 1e-2, 3e-2):
    torch_fixed = decay_run(True, alpha, 0.1)[1][-1]
    same = math.isclose(0.1, 1e-3 / alpha)            # α = 1e-2: one run serves both conventions
    lh_fixed = torch_fixed if same else decay_run(True, alpha, 1e-3 / alpha)[1][-1]
    sweep[alpha] = (torch_fixed, lh_fixed)
    print(f"alpha {alpha:g}: decay per step {alpha * 0.1:.0e} (torch's λ fixed) vs 1e-03 (λ' fixed); "
          f"final weight norm {torch_fixed:.2f} vs {lh_fixed:.2f}")
assert sweep[3e-3][0] > 1.05 * sweep[3e-3][1] and sweep[3e-2][0] < 0.95 * sweep[3e-2][1]

# %% [markdown]
# With torch's $\lambda$ fixed, a smaller rate also means weaker decay and larger final
# weights, a larger rate stronger decay and smaller ones; with $\lambda'$ fixed the decay
# per step is the same at every rate. When a sweep or a scaling rule (section 2) changes the
# rate, re-derive torch's `weight_decay` from the $\lambda'$ you mean to keep.
#
# **`Adam(decoupled_weight_decay=True)`.** In the installed torch, `AdamW` is `Adam` with
# `decoupled_weight_decay=True`; the course checks the installed release only, and says
# nothing about others:

# %%
import inspect

print(f"torch {torch.__version__.split('+')[0]}: Adam accepts decoupled_weight_decay:",
      "decoupled_weight_decay" in inspect.signature(torch.optim.Adam).parameters,
      "| AdamW subclasses Adam:", issubclass(torch.optim.AdamW, torch.optim.Adam))
if "decoupled_weight_decay" in inspect.signature(torch.optim.Adam).parameters:
    probe = torch.nn.Parameter(torch.ones(3))
    probe.grad = torch.full((3,), 0.5)
    twin = torch.nn.Parameter(torch.ones(3))
    twin.grad = probe.grad.clone()
    torch.optim.Adam([probe], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True).step()
    torch.optim.AdamW([twin], lr=0.1, weight_decay=0.5).step()
    assert torch.equal(probe, twin)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Gradient clipping, warm-up and the divergence guard
#
# Clipping by the global norm rescales the whole gradient when its norm exceeds $c$
# (`max_norm`):
#
# $$ \|g\| = \Big(\sum_p \|g_p\|^2\Big)^{1/2}, \qquad g \leftarrow g \cdot \min\!\Big(1, \frac{c}{\|g\| + 10^{-6}}\Big), \tag{13.11} $$
#
# so a plain SGD step can never be longer than the rate times $c$:
#
# $$ \|\theta_t - \theta_{t-1}\| < \eta_t\, c. \tag{13.12} $$
#
# `course_utils.clipping.clip_grad_norm` is (13.11) from scratch, bitwise equal to
# `torch.nn.utils.clip_grad_norm_` (`tests/test_clipping.py`); `ClipOnStep` attaches it to an
# optimizer as a step pre-hook, so the training loop of chapter 10 clips without a change.
# Three tools guard against too large a rate, and they act differently: warm-up lowers
# $\eta_t$ early, clipping caps $\|g\|$ on every step, the divergence guard only *stops* a
# run whose loss has become non-finite or ten times its first value. On the digits, with
# momentum 0.9 and a rate of 3, far above the stable range:

# %%
from course_utils.clipping import ClipOnStep
from course_utils.guards import DivergenceError
from course_utils.lr_scheduler import LinearLR

CLIP_LR, MAX_NORM, EPOCHS = 3.0, 0.1, 10


def clip_run(clip, warmup):
    net = make_mlp(seed=0, device=device)
    opt = SGD(net.parameters(), lr=CLIP_LR, momentum=0.9)
    clipper = ClipOnStep(opt, MAX_NORM) if clip else None
    sched = LinearLR(opt, start_factor=0.01, total_iters=2 * 23) if warmup else None   # 2 epochs
    try:
        history = train(net, opt, digits, epochs=EPOCHS, batch_size=64, scheduler=sched)
        return f"test acc {history.test_acc[-1]:.3f}", history, clipper
    except DivergenceError as err:
        return f"stopped: {str(err)[:64]}...", None, clipper

# %%
clip_results = {(c, w): clip_run(c, w) for c in (False, True) for w in (False, True)}
for (c, w), (text, _, clipper) in clip_results.items():
    extra = f" (clipped {clipper.clipped_fraction:.0%} of steps)" if clipper else ""
    print(f"clip {'on ' if c else 'off'}, warm-up {'on ' if w else 'off'}: {text}{extra}")

# %% [markdown]
# Four different outcomes. Without help the network *dies* at rate 3: its ReLUs go silent,
# the loss sits near $\ln 10 \approx 2.3$ (chance) and stays finite, so the guard, which
# stops only a non-finite loss or one ten times the first, never fires, and the run ends at
# chance accuracy: a silent failure. Warm-up alone postpones the damage: the loss explodes
# as the rate climbs past about 1.7, and now the guard stops the run with a message naming
# the step and the rate. Clipping at $c = 0.1$ trains, and so does clipping with warm-up,
# but look at how: nearly every step was clipped, so nearly every gradient reached the
# optimizer with norm exactly $c$, and the rate the run really used is the product
# $\eta c$, not $\eta$. A threshold that binds on almost every step is a rate in disguise.

# %%
(_, h_plain, _), (_, h_warm, _), (_, h_clip, c_clip), (_, h_both, c_both) = (
    clip_results[k] for k in ((False, False), (False, True), (True, False), (True, True)))
assert h_plain.test_acc[-1] < 0.15 and math.isfinite(h_plain.epoch_loss[-1])   # dead, unnoticed by the guard
assert h_warm is None                                                           # exploded, stopped by the guard
assert h_clip.test_acc[-1] > 0.9 and h_both.test_acc[-1] > 0.9
assert c_clip.clipped_fraction > 0.9 and c_both.clipped_fraction > 0.9
assert all(n > 0 for n in c_clip.norms) and max(c_clip.norms) > 10 * MAX_NORM

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Schedule-free SGD and AdamW
#
# Every schedule so far needs the length of the run in advance: `T_max`, the decay start of
# WSD, `total_steps`. Defazio et al. (2024) remove the schedule. The method keeps two
# sequences: $z_t$, a plain SGD (or Adam) iterate at a constant rate $\gamma$, and $x_t$,
# a running average of the $z$'s; the gradient is taken at an interpolation $y_t$ of the two:
#
# $$ y_t = (1-\beta)\, z_t + \beta\, x_t, \tag{13.13} $$
#
# $$ z_{t+1} = z_t - \gamma\, \nabla f(y_t), \tag{13.14} $$
#
# $$ x_{t+1} = (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1}, \tag{13.15} $$
#
# $$ c_{t+1} = \frac{w_{t+1}}{\sum_{i \le t+1} w_i}, \qquad w_i = i^{\,r}\, \gamma_{\max,i}^{\,p}. \tag{13.16} $$
#
# With a constant $\gamma$ and $r = 0$ the weights are equal, $c_{t+1} = 1/(t+1)$, and $x$ is
# the plain average of $z_1, \dots, z_{t+1}$. $\beta$ (`momentum` for SGD, `betas[0]` for
# AdamW) plays momentum's part: $\beta = 0$ takes the gradient at $z$ and only averages
# afterwards (Polyak–Ruppert averaging), $\beta = 1$ takes it at the average $x$ itself
# (primal averaging). For AdamW, (13.14) divides by
# $\sqrt{\hat v_t} + \epsilon$ as Adam does, and a linear warm-up of $\gamma$ (`warmup_steps`)
# enters (13.16) through $\gamma_{\max}$, the largest rate so far. The weights the network
# holds during training are $y$; the point to *evaluate* is $x$, so the optimizer has modes:
# `optimizer.train()` before training, `optimizer.eval()` before evaluating or saving.
# `course_utils.optim.SGDScheduleFree` and `AdamWScheduleFree` store only $y$ (in the
# parameters) and $z$ (in the state) and swap $x$ in on `eval()`; they are proven equal to
# the reference `schedulefree` package step by step in `tests/test_schedule_free.py`. (Their
# source cites (13.13)–(13.16) and the working forms (11.17)–(11.22) its docstring derives.)

# %%
from course_utils.optim import SGDScheduleFree
from course_utils.optim import schedule_free

show_source(schedule_free._interpolated_step)

# %% [markdown]
# The claim that $x$ is the average of the $z$'s, checked on a one-dimensional quadratic:
# we record $z_t$ (the optimizer's state) after every step, switch to `eval()` and compare
# the weights with the mean of the recorded $z$'s.

# %%
w = torch.nn.Parameter(torch.tensor([4.0], dtype=torch.float64))
opt = SGDScheduleFree([w], lr=0.1, momentum=0.9)
opt.train()
zs = []
for _ in range(25):
    opt.zero_grad()
    (0.5 * 3.0 * w ** 2).sum().backward()                 # f(w) = 1.5 w², gradient at y
    opt.step()
    zs.append(opt.state[w]["z"].clone())
y_final = w.detach().clone()
opt.eval()
print(f"y (training weights) {float(y_final):.6f}; x after eval() {float(w.detach()):.6f}; mean of z_1..z_25 {float(torch.stack(zs).mean()):.6f}")
torch.testing.assert_close(w.detach(), torch.stack(zs).mean(0), rtol=1e-12, atol=1e-14)
opt.train()
torch.testing.assert_close(w.detach(), y_final, rtol=1e-12, atol=1e-14)

# %% [markdown]
# **Against tuned schedules on Fashion-MNIST.** The `schedule_free` experiment trains the
# chapter's MLP for 6 epochs with schedule-free SGD (momentum 0.9) and schedule-free AdamW
# (no weight decay, like the Adam baselines), each with a warm-up over the first 5 % of the
# steps (WSD's) and its rate tuned by the same protocol as the baselines' (the
# `schedule_free_tuning` experiment: best mean validation accuracy after 2 epochs over 2
# seeds, on a grid in thirds of a decade), against SGD with momentum and Adam under WSD and
# cosine schedules at their tuned rates.

# %%
from course_utils.experiments.stats import best_lr

sf_tuning = load_records("schedule_free_tuning")
sf = results("schedule_free")
for opt_name in ("sgd_schedulefree", "adamw_schedulefree"):
    tuned = best_lr(sf_tuning, opt_name)
    used = sf[f"{opt_name}/none"][3][0]["config"]["lr"]
    grid = sorted({r["config"]["lr"] for r in sf_tuning if r["config"]["optimizer"] == opt_name})
    print(f"{opt_name}: grid {grid}, tuned lr {tuned:g}")
    assert used == tuned and grid[0] < tuned < grid[-1]       # interior of the grid
show(sf, "6 epochs, 5 seeds (schedule_free):")

# %%
sf_loss = results("schedule_free", "test_loss")
print("test loss:", {label: f"{v[0]:.3f} ± {v[1]:.3f}" for label, v in sf_loss.items()})

# %% [markdown]
# Both schedule-free optimizers come out ahead on test accuracy: schedule-free SGD clearly
# beats SGD with momentum under both schedules, and schedule-free AdamW clearly beats Adam
# with cosine, while against Adam with WSD the intervals touch. Accuracy is not the whole
# story: schedule-free AdamW's test *loss* is higher than Adam with WSD's, its predictions more
# confident where they are wrong. And the comparison has limits worth stating: one small
# network, one dataset, six epochs; the schedules' peak rate is the constant-rate optimum of
# chapter 12, not tuned per schedule, while each schedule-free rate was tuned on its own grid;
# and the schedule-free runs still warmed up, over the same 5 % as WSD. What they did not
# need is the length of the run.

# %%
acc = {label: v[:2] for label, v in sf.items()}
assert lo(acc["sgd_schedulefree/none"]) > max(hi(acc["momentum/wsd"]), hi(acc["momentum/cosine"]))
assert lo(acc["adamw_schedulefree/none"]) > hi(acc["adam/cosine"])
assert acc["adamw_schedulefree/none"][0] > acc["adam/wsd"][0] and lo(acc["adamw_schedulefree/none"]) - hi(acc["adam/wsd"]) < 0.002
assert lo(sf_loss["adamw_schedulefree/none"]) > hi(sf_loss["adam/wsd"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Pitfalls
#
# * **A new batch size with the old rate.** Scale the rate (13.1)/(13.3) and warm up (13.2);
#   beyond the critical batch size no rule recovers the lost steps.
# * **Dividing accumulated losses by $k$** when the last micro-batch is shorter (use $m_j/n$),
#   and **BatchNorm under accumulation**, which sees micro-batch statistics.
# * **Stepping the scheduler per micro-batch:** the schedule runs $k$ times too fast.
# * **Reading the AMP warning as a bug in the loop order.** It means the first step was
#   skipped for overflow; step the scheduler only after steps taken, or accept one lost value.
# * **Re-tuning the rate without re-tuning AdamW's decay.** torch's $\lambda$ acts through
#   $\alpha\lambda$ (13.9); keep $\lambda' = \alpha\lambda$ fixed when the rate changes.
# * **A clipping threshold that always binds** turns SGD into normalized SGD with rate
#   $\eta c$: the rate and the threshold are then one knob, not two.
# * **Evaluating a schedule-free model in `train()` mode** evaluates $y$, not $x$; call
#   `optimizer.eval()` before evaluating or saving, and `optimizer.train()` after.

# %% [markdown]
# ## Summary
#
# 1. A batch 16 times larger at the same rate lost accuracy; the linear rule with warm-up
#    (13.1)–(13.2) recovered it up to a point, and the square-root rule (13.3) suited Adam.
#    Steps to a target loss follow (13.4) with a critical batch size fitted from the runs.
# 2. Accumulating $k$ micro-batches with weights $m_j / n$ is the big batch (13.6); the
#    scheduler steps once per optimizer step, else the schedule runs $k$ times too fast.
# 3. `GradScaler` skips steps whose float16 gradients overflow (13.7); a scheduler stepped
#    anyway advances and warns. AdamW with fp32 master weights needs 16 bytes per parameter
#    in bf16 as in fp32 (13.8).
# 4. torch's AdamW decays by $\alpha\eta_t\lambda$ (13.9), Loshchilov & Hutter by
#    $\eta_t\lambda'$ (13.10): both follow the schedule, and $\lambda' = \alpha\lambda$.
# 5. Clipping bounds each step by $\eta_t c$ (13.11)–(13.12); warm-up delays trouble, the
#    guard stops it, clipping prevents it.
# 6. Schedule-free methods average a constant-rate iterate (13.13)–(13.16) and need no run
#    length; on Fashion-MNIST they matched or beat WSD and cosine on test accuracy (not
#    AdamW's on test loss).

# %% [markdown]
# ## Exercises
#
# **1.** A batch of 50 is accumulated in $k = 3$ micro-batches (17, 17, 16) with the $1/k$
# shortcut. By what factor is each micro-batch's contribution off? Check against `gradient`.

# %% tags=["solution"]
# The shortcut weights each micro-batch by 1/3 instead of m_j/50: factors 50/(3·17) ≈ 0.980
# for the two of 17 and 50/(3·16) ≈ 1.042 for the one of 16.
factors = [50 / (3 * m) for m in (17, 17, 16)]
print([f"{f:.3f}" for f in factors])
model.zero_grad()
accumulate_gradients(model, xd, yd, torch.arange(50, device=device), 3, divide_by_k=True)
short = torch.cat([p.grad.flatten() for p in model.parameters()])
model.zero_grad()
parts = torch.tensor_split(torch.arange(50, device=device), 3)
for part, f in zip(parts, factors):
    (torch.nn.functional.cross_entropy(model(xd[part]), yd[part]) * len(part) / 50 * f).backward()   # (13.6) × factor
torch.testing.assert_close(torch.cat([p.grad.flatten() for p in model.parameters()]), short, rtol=1e-12, atol=1e-14)

# %% [markdown]
# **2.** A 7-billion-parameter model is trained with AdamW, bf16 weights and gradients, fp32
# master weights and state. How many GB of weights, gradients and optimizer state does one
# process hold, and how many with momentum SGD instead?

# %% tags=["solution"]
P = 7e9
gb = {o: bytes_per_parameter(o, weight_dtype=torch.bfloat16)["total"] * P / 1e9 for o in ("adamw", "momentum")}
print(f"AdamW {gb['adamw']:.0f} GB, momentum SGD {gb['momentum']:.0f} GB")
assert gb["adamw"] == 112 and gb["momentum"] == 84

# %% [markdown]
# **3.** A sweep over AdamW's base rate $\alpha \in \{3\cdot10^{-4}, 10^{-3}, 3\cdot10^{-3}\}$
# should keep Loshchilov & Hutter's $\lambda' = 10^{-4}$ fixed. Which `weight_decay` does
# torch's `AdamW` need at each $\alpha$?

# %% tags=["solution"]
for alpha in (3e-4, 1e-3, 3e-3):
    print(f"alpha {alpha:g}: weight_decay = {1e-4 / alpha:.4g}")
assert abs(1e-4 / 1e-3 - 0.1) < 1e-15

# %% [markdown]
# ## References
#
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017 (linear scaling, gradual warm-up).
# * S. Malladi, K. Lyu, A. Panigrahi, S. Arora, *On the SDEs and scaling rules for adaptive
#   gradient algorithms*, NeurIPS 2022 (the square-root rule).
# * S. McCandlish, J. Kaplan, D. Amodei and the OpenAI Dota team, *An empirical model of
#   large-batch training*, 2018 (the gradient noise scale and the critical batch size).
# * P. Micikevicius et al., *Mixed precision training*, ICLR 2018 (loss scaling, fp32 master weights).
# * I. Loshchilov, F. Hutter, *Decoupled weight decay regularization*, ICLR 2019 (AdamW, Algorithm 2).
# * R. Pascanu, T. Mikolov, Y. Bengio, *On the difficulty of training recurrent neural
#   networks*, ICML 2013 (clipping by the gradient norm).
# * A. Defazio, X. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky, *The road less
#   scheduled*, NeurIPS 2024, and the `schedulefree` package (1.4.1).
# * PyTorch documentation: `torch.amp.GradScaler`, `torch.autocast`, `torch.nn.utils.clip_grad_norm_`,
#   `torch.optim.AdamW`, "How to adjust learning rate" (`torch.optim`).
