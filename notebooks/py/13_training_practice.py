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
# *The settings a practitioner changes every day, measured: how the learning rate must
# follow the batch size and where a bigger batch stops paying; gradient accumulation as a
# bigger batch; what mixed precision does to a step and to the scheduler; AdamW's decay
# under a schedule; clipping beside warm-up and the divergence guard; schedule-free SGD and
# AdamW against tuned schedules.*
#
# **Prerequisites:** chapters 04 and 05 (SGD with momentum, Adam, AdamW), 06–09 (schedules
# and schedulers), 10 (the training loop and its guard), 12 (experiments on Fashion-MNIST,
# intervals over seeds). **Runtime:** about 20 s on a laptop CPU; the Fashion-MNIST results
# are read from recorded runs, which `python -m course_utils experiments run NAME`
# reproduces for NAME = `batch_size`, `batch_size_adam`, `schedule_free_tuning`,
# `schedule_free` (in that order, after chapter 12's `tuning`).
#
# **After this chapter you can**
# 1. carry a learning rate to another batch size by the linear (13.1) or square-root (13.3)
#    rule with a warm-up (13.2), and estimate the critical batch size (13.4)–(13.5);
# 2. accumulate gradients exactly (13.6) and step the scheduler once per optimizer step;
# 3. explain why `GradScaler` skips steps (13.7) and what that does to a scheduler, and
#    count the bytes per parameter of a mixed-precision run (13.8);
# 4. convert between torch's and Loshchilov & Hutter's AdamW weight decay (13.9)–(13.10);
# 5. bound a step by gradient clipping (13.11)–(13.12), and tell clipping, warm-up and the
#    divergence guard apart;
# 6. write schedule-free SGD from its equations (13.13)–(13.16) and judge it against tuned
#    schedules.

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
# The Fashion-MNIST results come from chapter 12's runner and set-up (the 784-64-10 MLP on
# 20,000 training images, 6 epochs, five seeds, every rate tuned by chapter 12's protocol).
# A configuration gets a mean over five seeds with its 95 % interval (12.1). Seed $k$ gives
# every configuration the same initial weights and example order, so two are compared by
# the paired difference (12.3), in accuracy points.

# %%
from course_utils.experiments import load_records, mean_ci
from course_utils.experiments.stats import by_config, final, paired


def results(name, metric="test_acc"):
    """{label: (mean, 95% half-width, seeds that diverged, records)} of ``name``."""
    by_label = {}
    for r in load_records(name):
        by_label.setdefault(r["config"]["label"], []).append(r)
    out = {}
    for label, rs in by_label.items():
        values = [v for v in (final(r, metric) for r in rs) if v is not None]
        mean, ci = mean_ci(values) if values else (math.nan, math.nan)
        out[label] = (mean, ci, sum(bool(r.get("diverged")) for r in rs), rs)
    return out


def diff(records, a, b, metric="test_acc", scale=100, digits=2):
    """Print and return the paired difference b − a (12.3) and its 95 % half-width."""
    mean, half = paired(records, a, b, metric)
    mean, half = scale * mean, scale * half
    print(f"  {b} − {a}: {mean:+.{digits}f} ± {half:.{digits}f}")
    return mean, half


def show(res, title):
    print(title)
    for label, (mean, ci, diverged, rs) in res.items():
        lr = rs[0]["config"]["lr"]
        print(f"  {label:30s} lr {lr:<8.4g} test acc {mean:.4f} ± {ci:.4f}  "
              f"diverged {diverged}/{len(rs)}")


batch = results("batch_size")
B, A, S = (load_records(n) for n in ("batch_size", "batch_size_adam", "schedule_free"))
for R in (B, A, S):                         # pairable: same seeds, same training set
    seeds = {tuple(r["seed"] for r in rs) for rs in by_config(R).values()}
    assert seeds == {(0, 1, 2, 3, 4)}
    assert len({r["config"].get("train_size") for r in R}) == 1
names = ("batch_size", "batch_size_adam", "schedule_free_tuning", "schedule_free")
minutes = sum(r["seconds"] for n in names for r in load_records(n)) / 60
print(f"recording {', '.join(names)} took {minutes:.0f} min of training "
      "on one CPU thread")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: a bigger batch with the same recipe
#
# SGD with momentum 0.9 was tuned at batch 64. The same rate and the same six epochs at
# batch 1024 take 16 times fewer steps, each averaging 16 times more examples:

# %%
same_lr = {b: batch[label] for b, label in ((64, "momentum/constant"),
                                            (256, "momentum/B=256/none"),
                                            (1024, "momentum/B=1024/none"))}
for b, (mean, ci, _, rs) in same_lr.items():
    print(f"batch {b:5d}: {rs[0]['steps_per_epoch'] * 6:5d} steps at lr "
          f"{rs[0]['config']['lr']:.4g}: test accuracy {mean:.4f} ± {ci:.4f}")
print("paired difference of test accuracy (points):")
worse = diff(B, "momentum/constant", "momentum/B=1024/none")
assert worse[0] + worse[1] < 0

# %% [markdown]
# Worse by 5.4 ± 1.0 points. At the same rate a big-batch step moves the
# weights about as far as a small-batch step, and there are a sixteenth as many. The rate
# must change with the batch size; the question is by how much.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Batch size and the learning rate
#
# **The linear rule.** $k$ SGD steps with batches $\mathcal B_1, \dots, \mathcal B_k$ of $b$
# examples at rate $\eta$ add up, if the gradient barely changes over them, to
# $\eta \sum_j \nabla L_{\mathcal B_j} = k\eta \, \nabla L_{\mathcal B_1\cup\dots\cup\mathcal B_k}$:
# one step with their union (batch size $kb$) at rate $k\eta$. Goyal et al. (2017) carry
# a rate $\eta_0$ tuned at batch size $B_0$ to batch size $B$ by
#
# $$ \eta(B) = \eta_0 \, \frac{B}{B_0}. \tag{13.1} $$
#
# The assumption fails early in training, where the gradient changes fastest, so they warm
# up from $\eta_0$ over the first $T_w$ steps:
#
# $$ \eta_t = \eta_0 + \big(\eta(B) - \eta_0\big) \min(t / T_w,\, 1). \tag{13.2} $$
#
# **The square-root rule.** Adam divides by $\sqrt{v}$, so its step does not grow with the
# gradient's size, and the argument does not carry over. Malladi et al. (2022), from a
# stochastic differential equation approximating Adam, scale the rate with the square root
# of the batch (their full rule also moves $\beta_1$, $\beta_2$ and $\epsilon$; we scale the
# rate only):
#
# $$ \eta(B) = \eta_0 \sqrt{B / B_0}. \tag{13.3} $$
#
# `course_utils.scaling` implements (13.1)–(13.3). The `batch_size` experiment keeps
# momentum SGD's rate, or scales it by (13.1) with the warm-up (13.2) over the first epoch,
# or without it; `batch_size_adam` scales Adam's rate by (13.3) or (13.1), with the warm-up.

# %%
adam = results("batch_size_adam")
show(batch, "SGD + momentum 0.9, 6 epochs (batch_size):")
show(adam, "Adam, 6 epochs (batch_size_adam):")

RULES_TO_PLOT = {"momentum, lr kept": "momentum/B={b}/none",
                 "momentum, linear + warm-up": "momentum/B={b}/linear/warmup",
                 "Adam, square root + warm-up": "adam/B={b}/sqrt/warmup",
                 "Adam, linear + warm-up": "adam/B={b}/linear/warmup"}
fig, ax = plt.subplots(figsize=(6.4, 4.0))
for name, pattern in RULES_TO_PLOT.items():
    table = batch if name.startswith("momentum") else adam
    base = table["momentum/constant" if table is batch else "adam/constant"]
    points = [(64, base)] + [(b, table[pattern.format(b=b)])
                             for b in (128, 256, 512, 1024, 2048)
                             if pattern.format(b=b) in table]
    ax.errorbar([b for b, _ in points], [v[0] for _, v in points],
                yerr=[v[1] for _, v in points], marker="o", capsize=3, label=name)
ax.set_xscale("log", base=2)
ax.set_xlabel("batch size (examples per step)")
ax.set_ylabel("test accuracy after 6 epochs")
ax.set_title("Scaled rates keep accuracy up to a point; "
             "at 2048 the linear rule breaks", fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %%
print("paired differences of test accuracy (points), b − a:")
kept = ("momentum/constant", "momentum/B=256/none", "momentum/B=1024/none",
        "momentum/B=2048/none")
assert all(sum(diff(B, a, b)) < 0 for a, b in zip(kept, kept[1:]))  # each one worse
d256 = diff(B, "momentum/constant", "momentum/B=256/linear/warmup")
assert abs(d256[0]) < d256[1]                             # 256: cannot tell from 64
gain = diff(B, "momentum/B=1024/none", "momentum/B=1024/linear/warmup")
short = diff(B, "momentum/constant", "momentum/B=1024/linear/warmup")
assert gain[0] - gain[1] > 0 and short[0] + short[1] < 0  # 1024: part of the loss back
broken = diff(B, "momentum/B=2048/none", "momentum/B=2048/linear/warmup")
lin2048 = batch["momentum/B=2048/linear/warmup"]
assert lin2048[1] > 0.1 and broken[0] + broken[1] < 0     # 2048: worse than lr kept
final_loss = {k: [r["epoch_loss"][-1] for r in batch[k][3]]
              for k in ("momentum/B=2048/linear/warmup", "momentum/B=2048/none")}
print("batch 2048, final training loss per seed: linear + warm-up",
      [round(v, 2) for v in final_loss["momentum/B=2048/linear/warmup"]],
      "| lr kept", [round(v, 2) for v in final_loss["momentum/B=2048/none"]])
assert min(final_loss["momentum/B=2048/linear/warmup"]) > max(
    final_loss["momentum/B=2048/none"])                   # it stopped training well
warm = diff(B, "momentum/B=1024/linear", "momentum/B=1024/linear/warmup")
spread = [batch[f"momentum/B=1024/linear{w}"][1] for w in ("/warmup", "")]
assert spread[0] < spread[1] / 2 and abs(warm[0]) < warm[1]   # mean change unclear
rule = {b: diff(A, f"adam/B={b}/linear/warmup", f"adam/B={b}/sqrt/warmup")
        for b in (256, 1024, 2048)}
assert all(m - h > 0 for b, (m, h) in rule.items() if b != 1024)   # sqrt better
assert abs(rule[1024][0]) < rule[1024][1]                          # 1024: cannot tell

# %% [markdown]
# Keeping momentum SGD's rate loses accuracy at every larger batch. With the linear rule
# and warm-up, batch 256 cannot be told from batch 64 with five seeds (−0.28 ± 1.50
# points); at 1024 it wins back 3.0 ± 1.0 points but stays 2.3 ± 0.9 below. At 2048 its
# rate (printed above) is too large: every seed ends at a higher training loss than the
# unscaled run's, and accuracy falls below it (−26 ± 21 points). At 1024 the warm-up
# halves the spread over seeds; its effect on the mean cannot be told (+0.5 ± 3.1). For
# Adam the square-root rule beats the linear one at 256 and 2048; at 1024 they cannot be
# told apart.
#
# **Where scaling stops paying.** McCandlish et al. (2018) model the optimizer steps $S$
# and training examples $E = BS$ needed to reach a given loss as
#
# $$ S(B) = S_{\min}\Big(1 + \frac{B_{\text{noise}}}{B}\Big), \tag{13.4} $$
#
# $$ E(B) = E_{\min}\Big(1 + \frac{B}{B_{\text{noise}}}\Big), \qquad E_{\min} = S_{\min} B_{\text{noise}}. \tag{13.5} $$
#
# Far below $B_{\text{noise}}$, doubling the batch halves the steps at no cost in examples;
# far above, it saves almost no steps and doubles the examples. The *critical batch size*
# $B_{\text{crit}} = E_{\min}/S_{\min}$ is the crossover, where a run needs twice the
# minimal steps and twice the minimal examples. $S$ is a straight line in $1/B$, so a
# least-squares fit over measured batch sizes gives both constants. We take $S$ as the steps
# until the training loss (averaged over tenths of an epoch) first falls below a target, for
# the runs scaled by (13.1) with warm-up: our stand-in for a rate tuned at every batch size.

# %%
from course_utils.scaling import fit_critical_batch, steps_to_target

TARGET = 0.5
scaled = {64: batch["momentum/constant"]}
scaled |= {b: batch[f"momentum/B={b}/linear/warmup"]
           for b in (128, 256, 512, 1024, 2048)}
steps = {}
for b, (_, _, _, rs) in scaled.items():
    reached = [steps_to_target(r["loss_chunks"], TARGET, r["chunk_steps"])
               for r in rs if not r.get("diverged")]
    steps[b] = sum(reached) / len(reached) if reached and None not in reached else None
print("steps to a training loss of", TARGET, ":", steps)
measured = {b: s for b, s in steps.items() if s is not None}
fit = fit_critical_batch(list(measured), list(measured.values()))
print(f"fit (13.4): S_min = {fit.s_min:.0f} steps, E_min = {fit.e_min:,.0f} examples, "
      f"B_crit = {fit.b_crit:.0f}")

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
fig.suptitle("Below the critical batch size (dotted) bigger batches save steps; "
             "above it they cost examples", fontsize=10)
plt.show()

# %%
s64, s128, s512, s1024 = (measured[b] for b in (64, 128, 512, 1024))
assert s128 / s64 < 0.65                         # 64 → 128: over a third fewer steps
assert s1024 / s512 > 0.75                       # 512 → 1024: under a quarter fewer,
assert 1024 * s1024 > 1.5 * 512 * s512           # for over half more examples
assert 256 < fit.b_crit < 512 and 2048 not in measured


def b_crit_for(target):
    at = {b: [steps_to_target(r["loss_chunks"], target, r["chunk_steps"]) for r in rs]
          for b, (_, _, _, rs) in scaled.items()}
    at = {b: sum(v) / len(v) for b, v in at.items() if None not in v}
    return fit_critical_batch(list(at), list(at.values())).b_crit


by_target = {t: b_crit_for(t) for t in (0.7, 0.6, 0.5)}
print("B_crit by target training loss:", {t: round(b) for t, b in by_target.items()})
assert by_target[0.7] < by_target[0.6] < by_target[0.5]

# %% [markdown]
# From batch 64 to 128 the steps to the target fall by more than a third, as (13.4)
# predicts below $B_{\text{crit}}$; from 512 to 1024 they fall by less than a quarter while
# the examples grow by more than half. The fit puts $B_{\text{crit}}$ between 256 and 512
# for this target (the run at 2048 never reaches it). For three targets, $B_{\text{crit}}$
# grows as the target falls, the trend McCandlish et al. report: near a minimum the mean
# gradient shrinks and the noise dominates.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Gradient accumulation: a big batch, one micro-batch at a time
#
# When a batch $\mathcal B$ of $n$ examples does not fit in memory, cut it into micro-batches
# $M_1, \dots, M_k$ of sizes $b_j$ and let `backward()` add their gradients into `p.grad`
# before one optimizer step. The batch's mean loss is a weighted sum of the micro-batch
# means, so
#
# $$ \nabla L_{\mathcal B} = \frac1n \sum_{i \in \mathcal B} \nabla \ell_i = \sum_{j=1}^{k} \frac{b_j}{n} \, \nabla L_{M_j}. \tag{13.6} $$
#
# The weights $b_j/n$ keep (13.6) exact when the last micro-batch is shorter; the common
# shortcut $1/k$ is exact only for equal sizes. The check, on the digits in float64: one
# batch of 100 images, whole and in $k = 3, 4, 7$ micro-batches (3 and 7 do not divide 100).

# %%
from course_utils.accumulation import accumulate_gradients, train_steps
from course_utils.data import load_digits
from course_utils.train import make_mlp
from course_utils.verify import show_source

show_source(accumulate_gradients)
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
    print(f"k = {k}: b_j/n weights: max rel. error {err_exact:.1e};   "
          f"1/k weights: {err_short:.1e}")
    assert err_exact < 1e-13 and (err_short < 1e-13) == (100 % k == 0)

# %% [markdown]
# With $b_j/n$ every $k$ gives the whole batch's gradient up to rounding; the shortcut does
# too when $k$ divides the batch, and is off by a few per cent when it does not.
#
# **The scheduler counts optimizer steps.** `T_max`, `step_size` and `total_steps` count
# *optimizer* steps; call `scheduler.step()` inside the micro-batch loop and the schedule
# runs $k$ times too fast. With $k = 4$ and a cosine over 20 optimizer steps:

# %%
from course_utils.lr_scheduler import CosineAnnealingLR
from course_utils.optim import SGD


def accumulated_run(per_micro_batch, k=4, steps=20):
    net = make_mlp(seed=0, device=device).double()
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = CosineAnnealingLR(opt, T_max=steps)
    order = torch.Generator().manual_seed(0)
    batches = [torch.randperm(len(yd), generator=order)[:64].to(device)
               for _ in range(steps)]
    return train_steps(net, opt, xd, yd, batches, k=k, scheduler=sched,
                       scheduler_per_micro_batch=per_micro_batch)


right, wrong = accumulated_run(False), accumulated_run(True)
print("lr at optimizer steps 0, 5, 10, 15:  right",
      [f"{v:.3f}" for v in right["lr"][::5]],
      " wrong", [f"{v:.3f}" for v in wrong["lr"][::5]])
assert right["lr"][-1] > 0 and wrong["lr"][5] < 1e-12
assert abs(wrong["lr"][10] - 0.1) < 1e-12

fig, ax = plt.subplots(figsize=(6.4, 3.2))
ax.plot(right["lr"], label="scheduler.step() per optimizer step")
ax.plot(wrong["lr"], label="scheduler.step() per micro-batch (k = 4)")
ax.set_xlabel("optimizer step")
ax.set_ylabel("learning rate")
ax.set_title("Stepped per micro-batch, a 20-step cosine ends at step 5 and climbs back",
             fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Stepped per micro-batch, the cosine reaches zero after 5 optimizer steps and, since
# torch's `CosineAnnealingLR` is periodic past `T_max`, climbs back to the full rate by step
# 10. A `StepLR` would decay $k$ times too early. `train_steps` steps the scheduler once per
# optimizer step, and then the accumulated run *is* the big-batch run:
# `tests/test_accumulation.py` finds equal weights after six steps of Nesterov SGD and of
# AdamW, in float64, to $10^{-11}$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Mixed precision: skipped steps and the scheduler
#
# float16 overflows above 65504 and rounds gradients below about $6\times10^{-8}$ to zero
# (printed below). *Loss scaling* (Micikevicius et al., 2018) multiplies the loss by a large $s$ before `backward()`,
# so small gradients survive, and divides by $s$ before the step; if a gradient
# overflowed, the step is skipped and $s$ halved ($s$ doubles again after a run of clean
# steps). With $\hat g$ the unscaled gradient,
#
# $$ \hat g = \nabla (s L) / s, \qquad
#    \theta_t = \begin{cases} \theta_{t-1} - \eta_t \,\hat g & \hat g \text{ finite} \\
#                             \theta_{t-1},\ \ s \leftarrow s/2 & \text{otherwise.} \end{cases} \tag{13.7} $$
#
# `torch.amp.GradScaler` does this; bfloat16 keeps float32's exponent range and needs no
# scaling. A skipped step never calls `optimizer.step()`, but a scheduler stepped in the
# same loop moves on. We start the scaler at $s = 2^{24}$, so that the first float16
# backward passes overflow, and train the digits MLP under `torch.autocast` with a `StepLR`
# that halves the rate every step:

# %%
from course_utils.lr_scheduler import StepLR
from course_utils.precision import amp_step

half = torch.finfo(torch.float16)
growth = torch.amp.GradScaler("cpu").get_growth_interval()
print(f"float16: largest {half.max:g}, smallest subnormal {2.0 ** -24:.2e}; "
      f"GradScaler doubles s after {growth} clean steps")
assert torch.tensor(2.0 ** -25, dtype=torch.float16) == 0 < torch.tensor(
    2.0 ** -24, dtype=torch.float16)
digits = load_digits(device=device)
x32, y32 = digits.x_train, digits.y_train


def amp_run(step_scheduler_on_skip, steps=8):
    net = make_mlp(seed=0, device=device)
    opt = SGD(net.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    scaler = torch.amp.GradScaler(device.type, init_scale=2.0 ** 24)
    taken, lrs = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for t in range(steps):
            batch_t = slice(64 * t, 64 * (t + 1))
            with torch.autocast(device.type, dtype=torch.float16):
                logits = net(x32[batch_t])
                loss = torch.nn.functional.cross_entropy(logits, y32[batch_t])
            lrs.append(opt.param_groups[0]["lr"])      # the rate this iteration uses
            taken.append(amp_step(scaler, opt, loss, sched,
                                  step_scheduler_on_skip=step_scheduler_on_skip))
    order = [str(w.message) for w in caught if "before `optimizer" in str(w.message)]
    return taken, lrs, order


taken, lrs_plain, warned = amp_run(True)
print("steps taken:", taken)
print("warning:", warned[0][:100], "...")
taken_aware, lrs_aware, warned_aware = amp_run(False)
n_skipped = taken.count(False)
first = taken.index(True)
halvings = {name: round(math.log2(0.1 / lrs[first]))
            for name, lrs in (("plain", lrs_plain), ("aware", lrs_aware))}
print(f"rate of the first step taken: plain loop 0.1 / 2^{halvings['plain']}; "
      f"scheduler stepped after taken steps only: 0.1 / 2^{halvings['aware']} "
      f"(warnings: {len(warned_aware)})")
assert n_skipped >= 1 and not any(taken[:n_skipped]) and all(taken[n_skipped:])
assert abs(lrs_plain[first] - 0.1 * 0.5 ** n_skipped) < 1e-15 and warned
assert taken_aware == taken and lrs_aware[first] == 0.1 and not warned_aware

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for t in range(n_skipped):
    ax.axvspan(t - 0.5, t + 0.5, color=GREY, alpha=0.25, linewidth=0)
for lrs, name in ((lrs_plain, "scheduler stepped every iteration"),
                  (lrs_aware, "scheduler stepped after taken steps only")):
    ax.step(range(len(lrs)), lrs, where="mid", marker="o", label=name)
ax.set_yscale("log", base=2)
ax.set_xlabel("loop iteration (grey: step skipped by GradScaler)")
ax.set_ylabel("learning rate")
ax.set_title(f"{n_skipped} skipped steps spent {n_skipped} halvings of the schedule "
             "before the first real step", fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The first float16 backward passes overflowed; `GradScaler` skipped those steps, halving
# $s$ each time, until one went through. The plain loop stepped the scheduler anyway, so
# the first real step ran at a rate already halved once per skip. The scheduler (the
# course's, like torch's) checks at its first `step()` whether `optimizer.step()` has run
# and, since `GradScaler.step` skipped it, warns about the call order although the loop's
# order is right. Two remedies:
# step the scheduler only after taken steps (`amp_step(..., step_scheduler_on_skip=False)`
# tells them apart by the scale, which shrinks only on a skip): no warning and no lost
# value; or accept the loss when skips are rare, as they are once the scale has settled. A
# lower `init_scale` avoids most of the initial skips.
#
# **Bytes per parameter.** Mixed precision also changes memory. Weights and gradients take
# their dtype's bytes, 16-bit weights add a 4-byte fp32 master copy, and the optimizer keeps
# $N_{\text{state}}$ buffers per parameter (SGD 0, momentum 1, Adam and AdamW 2):
#
# $$ \text{bytes per parameter} = \text{bytes}_{\text{weight}} + \text{bytes}_{\text{grad}} + [4]_{\text{master}} + N_{\text{state}} \cdot \text{bytes}_{\text{state}}. \tag{13.8} $$

# %%
from course_utils.optim import AdamW
from course_utils.precision import bytes_per_parameter, state_bytes

setups = {"fp32": dict(), "bf16 + fp32 master": dict(weight_dtype=torch.bfloat16),
          "fp16 + fp32 master": dict(weight_dtype=torch.float16),
          "pure bf16 (no master)": dict(weight_dtype=torch.bfloat16,
                                        state_dtype=torch.bfloat16,
                                        master_weights=False)}
print(f"{'':24s}" + "".join(f"{o:>10s}" for o in ("sgd", "momentum", "adamw")))
table = {name: {o: bytes_per_parameter(o, **kw)["total"]
                for o in ("sgd", "momentum", "adamw")}
         for name, kw in setups.items()}
for name, row in table.items():
    print(f"{name:24s}" + "".join(f"{v:10d}" for v in row.values()))
assert table["fp32"]["adamw"] == table["bf16 + fp32 master"]["adamw"] == 16
assert table["pure bf16 (no master)"]["adamw"] == 8
for dtype, expected in ((torch.float32, 8), (torch.bfloat16, 4)):   # state, measured
    layer = torch.nn.Linear(64, 10).to(device=device, dtype=dtype)
    opt = AdamW(layer.parameters())
    layer(x32[:8].flatten(1).to(dtype)).sum().backward()
    opt.step()
    n = sum(p.numel() for p in layer.parameters())
    steps_bytes = sum(s["step"].numel() * s["step"].element_size()
                      for s in opt.state.values())
    per_param = (state_bytes(opt) - steps_bytes) / n
    print(f"{dtype}: the course's AdamW keeps {per_param:.0f} bytes of state "
          "per parameter")
    assert per_param == expected
    assert per_param == bytes_per_parameter("adamw", state_dtype=dtype)["state"]

# %% [markdown]
# With master weights, mixed precision leaves AdamW at 16 bytes per parameter: the 2 + 2
# bytes saved on weights and gradients are spent again on the master copy. What it saves
# is activation memory and time; `torch.autocast` keeps the parameters in fp32 anyway. Only
# pure 16-bit training halves the bytes, at the price of updates below bf16's relative
# resolution of $2^{-8}$ being rounded away.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. AdamW's weight decay is scheduled too
#
# torch's AdamW (and the course's) shrinks the weights by the *current* rate
# $\eta_t = \eta_0\,\rho_t$ (base rate $\eta_0$, scheduler multiplier $\rho_t$) times
# `weight_decay` $\lambda$:
#
# $$ \text{torch:}\qquad \theta \leftarrow (1 - \eta_t\,\lambda)\,\theta \;-\; \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t}+\epsilon}. \tag{13.9} $$
#
# So every scheduler schedules the decay too. Loshchilov & Hutter (2019, Algorithm 2)
# multiply the decay by the schedule multiplier only (they write $\alpha$ for $\eta_0$ and
# $\eta_t$ for $\rho_t$):
#
# $$ \text{L\&H:}\qquad \theta \leftarrow (1 - \rho_t\,\lambda')\,\theta \;-\; \rho_t\,\eta_0\,\frac{\hat m_t}{\sqrt{\hat v_t}+\epsilon}. \tag{13.10} $$
#
# Both follow the schedule and differ by the constant $\eta_0$: $\lambda' = \eta_0\lambda$.
# What differs is what a search sees: in (13.10) $\eta_0$ and $\lambda'$ are separate knobs
# (the point of the "decoupling"), in (13.9) changing the rate changes the decay. The
# equivalence, with (13.10) built from the course's `adam_step`, in float64 under a cosine:

# %%
from course_utils.optim import adam_step
from course_utils.schedules import cosine_annealing_lr

ETA0, LAM_LH, T = 1e-2, 1e-3, 30
torch.manual_seed(0)
theta_lh = torch.randn(50, dtype=torch.float64)
theta_torch = theta_lh.clone().requires_grad_()
m, v, step = torch.zeros_like(theta_lh), torch.zeros_like(theta_lh), torch.tensor(0.0)
opt = AdamW([theta_torch], lr=ETA0, weight_decay=LAM_LH / ETA0)
sched = CosineAnnealingLR(opt, T_max=T)
for t in range(T):
    rho = cosine_annealing_lr(t, base_lr=1.0, T_max=T)              # the multiplier ρ_t
    grad = torch.sin(3 * theta_lh) + 0.1 * theta_lh                 # any gradient field
    theta_lh.mul_(1 - rho * LAM_LH)                         # (13.10) decay ρ_t λ'
    adam_step(theta_lh, grad, m, v, step, lr=rho * ETA0)    # (13.10) step ρ_t η_0
    theta_torch.grad = torch.sin(3 * theta_torch.detach()) + 0.1 * theta_torch.detach()
    opt.step()
    sched.step()
torch.testing.assert_close(theta_torch.detach(), theta_lh, rtol=1e-13, atol=1e-15)
print(f"(13.10) with λ' = {LAM_LH:g} equals torch's AdamW with λ = λ'/η_0 = "
      f"{LAM_LH / ETA0:g}: 30 cosine steps, float64")

# %% [markdown]
# **What "scheduled" means on a run.** The contrast is a decay that ignores the schedule
# and removes the fraction $\eta_0\lambda$ at every step. We train the digits MLP for 40
# epochs with AdamW ($\eta_0 = 10^{-2}$, a strong $\lambda = 1$ so that the effect is
# plain) under a cosine to zero, with torch's decay (13.9) and with the unscheduled one (a
# step pre-hook sets `weight_decay` to $\eta_0\lambda/\eta_t$), and follow the norm of all
# the weights.

# %%
from course_utils.train import train

ETA0_WD, LAM_WD, EPOCHS_WD = 1e-2, 1.0, 40
STEPS_PER_EPOCH = -(-len(y32) // 64)


def decay_run(scheduled, eta0=ETA0_WD, lam=LAM_WD, epochs=EPOCHS_WD):
    net = make_mlp(seed=0, device=device)
    opt = AdamW(net.parameters(), lr=eta0, weight_decay=lam)
    sched = CosineAnnealingLR(opt, T_max=epochs * STEPS_PER_EPOCH)
    norms = []

    def constant_decay(o, args, kwargs):            # η_t · λ_t = η_0 λ at every step
        for group in o.param_groups:
            group["weight_decay"] = eta0 * lam / group["lr"]

    def weight_norm(o, args, kwargs):
        flat = torch.cat([p.detach().flatten() for p in net.parameters()])
        norms.append(float(flat.norm()))

    if not scheduled:
        opt.register_step_pre_hook(constant_decay)
    opt.register_step_post_hook(weight_norm)
    history = train(net, opt, digits, epochs=epochs, batch_size=64, scheduler=sched)
    return history, norms


T_WD = EPOCHS_WD * STEPS_PER_EPOCH
decay_runs = {"scheduled (torch, L&H)": decay_run(True),
              "unscheduled": decay_run(False)}
for name, (history, norms) in decay_runs.items():
    print(f"{name:24s} weight norm at 50 % {norms[T_WD // 2]:6.2f}, "
          f"90 % {norms[9 * T_WD // 10]:6.2f}, end {norms[-1]:6.2f}; "
          f"test accuracy {history.test_acc[-1]:.3f}")
(h_s, n_s), (h_u, n_u) = decay_runs.values()
assert abs(n_s[-1] / n_s[9 * T_WD // 10] - 1) < 0.05         # scheduled: settles
assert n_u[-1] < 0.5 * n_u[9 * T_WD // 10]                   # unscheduled: halves
assert n_u[-1] < n_s[-1] / 3 and h_s.test_acc[-1] > h_u.test_acc[-1] + 0.05

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for name, (_, norms) in decay_runs.items():
    ax.plot(norms, label=f"decay {name}")
ax.set_xlabel("optimizer step")
ax.set_ylabel("norm of all weights")
ax.set_title("Scheduled decay fades with the rate; "
             "unscheduled decay erases the weights", fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Scheduled, the weights settle as the rate anneals: the decay and the gradient steps fade
# together, and the norm barely moves over the last tenth of the run. Unscheduled, the
# decay keeps removing the same fraction while the gradient steps that balance it vanish:
# the weights shrink by more than half in the last tenth and the accuracy drops. A decay
# strength tuned under one schedule is not the same strength under another.
#
# **A sweep over the rate** (20-epoch runs). Hold torch's $\lambda = 0.1$ and sweep
# $\eta_0$, and the decay per step $\eta_0\lambda$ sweeps with it; hold $\lambda' =
# 10^{-3}$ (torch's `weight_decay` $= \lambda'/\eta_0$) and it stays put. The two
# conventions coincide at $\eta_0 = 10^{-2}$.

# %%
sweep = {}
for eta0 in (3e-3, 1e-2, 3e-2):
    torch_fixed = decay_run(True, eta0, 0.1, epochs=20)[1][-1]
    same = math.isclose(0.1, 1e-3 / eta0)          # η_0 = 1e-2: one run serves both
    lh_fixed = (torch_fixed if same
                else decay_run(True, eta0, 1e-3 / eta0, epochs=20)[1][-1])
    sweep[eta0] = (torch_fixed, lh_fixed)
    print(f"eta_0 {eta0:g}: decay per step {eta0 * 0.1:.0e} (torch's λ fixed) vs 1e-03 "
          f"(λ' fixed); final weight norm {torch_fixed:.2f} vs {lh_fixed:.2f}")
assert sweep[3e-3][0] > 1.05 * sweep[3e-3][1] and sweep[3e-2][0] < 0.95 * sweep[3e-2][1]

# %% [markdown]
# With torch's $\lambda$ fixed, the smaller rate decays less than the $\lambda'$-fixed run
# and ends with larger weights than it; the larger rate decays more and ends with smaller
# ones. When a sweep or a scaling rule (section 2) changes the rate,
# re-derive torch's `weight_decay` from the $\lambda'$ you mean to keep. (In the installed
# torch, `AdamW` is `Adam(decoupled_weight_decay=True)`; the cell checks this release only.)

# %%
import inspect

decoupled = "decoupled_weight_decay" in inspect.signature(torch.optim.Adam).parameters
print(f"torch {torch.__version__.split('+')[0]}: Adam accepts decoupled_weight_decay:",
      decoupled, "| AdamW subclasses Adam:",
      issubclass(torch.optim.AdamW, torch.optim.Adam))
if decoupled:
    probe = torch.nn.Parameter(torch.ones(3))
    probe.grad = torch.full((3,), 0.5)
    twin = torch.nn.Parameter(torch.ones(3))
    twin.grad = probe.grad.clone()
    torch.optim.Adam([probe], lr=0.1, weight_decay=0.5,
                     decoupled_weight_decay=True).step()
    torch.optim.AdamW([twin], lr=0.1, weight_decay=0.5).step()
    assert torch.equal(probe, twin)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Gradient clipping, warm-up and the divergence guard
#
# Clipping by the global norm (Pascanu et al., 2013) rescales the whole gradient when its
# norm exceeds $G$ (`max_norm`):
#
# $$ \|g\| = \Big(\sum_p \|g_p\|^2\Big)^{1/2}, \qquad g \leftarrow g \cdot \min\!\Big(1, \frac{G}{\|g\| + 10^{-6}}\Big), \tag{13.11} $$
#
# so a plain SGD step is never longer than the rate times $G$:
#
# $$ \|\theta_t - \theta_{t-1}\| < \eta_t\, G. \tag{13.12} $$
#
# `course_utils.clipping.clip_grad_norm` is (13.11) from scratch, bitwise equal to
# `torch.nn.utils.clip_grad_norm_` (`tests/test_clipping.py`); `ClipOnStep` attaches it as
# a step pre-hook, so chapter 10's training loop clips unchanged. Warm-up lowers $\eta_t$
# early, clipping caps $\|g\|$ on every step, and the divergence guard (10.1) only *stops* a
# run whose loss is non-finite or ten times its first. On the digits, with momentum 0.9 at
# a rate of 3, far above the stable range:

# %%
from course_utils.clipping import ClipOnStep
from course_utils.guards import DivergenceError
from course_utils.lr_scheduler import LinearLR

CLIP_LR, MAX_NORM, EPOCHS = 3.0, 0.1, 10


def clip_run(clip, warmup):
    net = make_mlp(seed=0, device=device)
    opt = SGD(net.parameters(), lr=CLIP_LR, momentum=0.9)
    clipper = ClipOnStep(opt, MAX_NORM) if clip else None
    sched = (LinearLR(opt, start_factor=0.01, total_iters=2 * STEPS_PER_EPOCH)
             if warmup else None)
    try:
        history = train(net, opt, digits, epochs=EPOCHS, batch_size=64, scheduler=sched)
        return f"test acc {history.test_acc[-1]:.3f}", history, clipper, net
    except DivergenceError as err:
        return f"stopped: {str(err)[:64]}...", None, clipper, net


clip_results = {(c, w): clip_run(c, w) for c in (False, True) for w in (False, True)}
for (c, w), (text, _, clipper, _) in clip_results.items():
    extra = f" (clipped {clipper.clipped_fraction:.0%} of steps)" if clipper else ""
    print(f"clip {'on ' if c else 'off'}, warm-up {'on ' if w else 'off'}: "
          f"{text}{extra}")
(_, h_plain, _, net_plain), (_, h_warm, _, _), (_, h_clip, c_clip, _), (
    _, h_both, c_both, _) = (clip_results[k] for k in (
        (False, False), (False, True), (True, False), (True, True)))
with torch.no_grad():
    alive = (net_plain[:3](digits.x_test) > 0).any(0)    # hidden units ever active
print(f"no help: final epoch loss {h_plain.epoch_loss[-1]:.2f} "
      f"(ln 10 = {math.log(10):.2f}); hidden ReLUs active on any test image: "
      f"{int(alive.sum())} of {alive.numel()}")
assert not alive.any()                           # dead: every ReLU silent
assert h_plain.test_acc[-1] < 0.15 and abs(h_plain.epoch_loss[-1] - math.log(10)) < 0.25
assert h_warm is None                            # exploded, stopped by the guard
assert h_clip.test_acc[-1] > 0.9 and h_both.test_acc[-1] > 0.9
assert c_clip.clipped_fraction > 0.9 and c_both.clipped_fraction > 0.9
assert all(n > 0 for n in c_clip.norms) and max(c_clip.norms) > 10 * MAX_NORM

fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(10, 3.6))
for name, h in (("no help", h_plain), ("clip", h_clip), ("clip + warm-up", h_both)):
    ax_l.plot(range(1, EPOCHS + 1), h.epoch_loss, marker="o", markersize=3, label=name)
ax_l.axhline(math.log(10), color=GREY, linestyle=":", label="ln 10 (chance)")
ax_l.set_xlabel("epoch")
ax_l.set_ylabel("training loss")
ax_l.set_yscale("log")
ax_l.legend(fontsize=8)
ax_g.plot(c_clip.norms, ".", markersize=3, label="‖g‖ before clipping (clip run)")
ax_g.axhline(MAX_NORM, color=GREY, label=f"G = {MAX_NORM}")
ax_g.set_yscale("log")
ax_g.set_xlabel("optimizer step")
ax_g.set_ylabel("global gradient norm")
ax_g.legend(fontsize=8)
fig.suptitle(f"Rate {CLIP_LR:g}: unhelped, the network dies at chance; clipped, "
             f"{c_clip.clipped_fraction:.0%} of the steps are cut to norm G",
             fontsize=10)
plt.show()

# %% [markdown]
# Four outcomes. Without help the network *dies*: every ReLU is silent on every test
# image (printed), the loss sits near chance ($\ln 10$) and stays finite, so the guard
# never fires: a silent failure. Warm-up alone postpones the damage: the loss explodes as
# the rate climbs (printed), and the guard stops the run, naming the step and the rate.
# Clipping trains, with or without warm-up, but nearly every gradient was cut to norm
# exactly $G$ (right), so the step length was set by $\eta G$, not by the gradient. A
# threshold that binds on almost every step is a rate in disguise.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Schedule-free SGD and AdamW
#
# Every schedule so far needs the run's length in advance (`T_max`, WSD's decay start,
# `total_steps`). Defazio et al. (2024) remove the schedule. A plain SGD (or Adam) iterate
# $z_t$ runs at a constant rate $\gamma$ (their symbol for the learning rate), $x_t$
# averages the $z$'s, and the gradient is taken at an interpolation $y_t$ of the two:
#
# $$ y_t = (1-\beta)\, z_t + \beta\, x_t, \tag{13.13} $$
#
# $$ z_{t+1} = z_t - \gamma\, \nabla f(y_t), \tag{13.14} $$
#
# $$ x_{t+1} = (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1}, \tag{13.15} $$
#
# $$ c_{t+1} = \frac{w_{t+1}}{\sum_{i \le t+1} w_i}, \qquad w_i = i^{\,r}\, \gamma_{\max,i}^{\,p}. \tag{13.16} $$
#
# With a constant $\gamma$ and $r = 0$ the weights are equal, $c_{t+1} = 1/(t+1)$, and $x$
# is the plain average of $z_1, \dots, z_{t+1}$. $\beta$ (`momentum` for SGD, `betas[0]`
# for AdamW) plays momentum's part: $\beta = 0$ takes the gradient at $z$
# (Polyak–Ruppert averaging), $\beta = 1$ at $x$ (primal averaging). For AdamW, (13.14)
# divides by $\sqrt{\hat v_t} + \epsilon$, and a warm-up of $\gamma$ enters (13.16) through
# $\gamma_{\max}$, the largest rate so far. The network holds $y$ during training, but the
# point to *evaluate* is $x$: call `optimizer.eval()` before evaluating or saving, and
# `optimizer.train()` after. `course_utils.optim.SGDScheduleFree` and `AdamWScheduleFree`
# store $y$ (in the parameters) and $z$ (in the state), swap $x$ in on `eval()`, and equal
# the `schedulefree` package step by step (`tests/test_schedule_free.py`); the module's
# docstring derives the working forms (13.17)–(13.22) its code cites.

# %%
from course_utils.optim import SGDScheduleFree, schedule_free

show_source(schedule_free._interpolated_step)

# %% [markdown]
# The claim that $x$ is the average of the $z$'s, on $f(w) = 1.5\,w^2$: record $z_t$ after
# every step, switch to `eval()`, and compare the weights with the mean of the $z$'s.

# %%
w = torch.nn.Parameter(torch.tensor([4.0], dtype=torch.float64))
opt = SGDScheduleFree([w], lr=0.1, momentum=0.9)
opt.train()
zs, ys = [], []
for _ in range(25):
    opt.zero_grad()
    (0.5 * 3.0 * w ** 2).sum().backward()                 # f(w) = 1.5 w², gradient at y
    opt.step()
    zs.append(float(opt.state[w]["z"]))
    ys.append(float(w.detach()))
opt.eval()
x_final = float(w.detach())
print(f"y (training weights) {ys[-1]:.6f}; x after eval() {x_final:.6f}; "
      f"mean of z_1..z_25 {sum(zs) / len(zs):.6f}")
assert math.isclose(x_final, sum(zs) / len(zs), rel_tol=1e-12, abs_tol=1e-14)
opt.train()
assert math.isclose(float(w.detach()), ys[-1], rel_tol=1e-12, abs_tol=1e-14)
xs = [sum(zs[:t + 1]) / (t + 1) for t in range(len(zs))]   # running average (13.15)

fig, ax = plt.subplots(figsize=(6.4, 3.4))
steps_1d = range(1, len(zs) + 1)
ax.plot(steps_1d, zs, marker=".", label="z: SGD at constant γ")
ax.plot(steps_1d, ys, marker=".", label="y: where the gradient is taken")
ax.plot(steps_1d, xs, marker=".", label="x: average of the z's (evaluated)")
ax.axhline(0, color=GREY, linewidth=0.8)
ax.set_xlabel("step t")
ax.set_ylabel("w")
ax.set_title("Schedule-free on f(w) = 1.5 w²: z overshoots and swings back, x averages "
             "it, y sits between", fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Against tuned schedules on Fashion-MNIST.** The `schedule_free` experiment trains
# chapter 12's MLP for 6 epochs with schedule-free SGD (momentum 0.9) and AdamW (no weight
# decay, like the Adam baselines), each warming up over WSD's first 5 % of the steps and
# tuned on its own grid by the same protocol (`schedule_free_tuning`), against SGD with
# momentum and Adam under WSD and cosine at their tuned rates.

# %%
from course_utils.experiments.stats import best_lr

sf_tuning = load_records("schedule_free_tuning")
sf = results("schedule_free")
for opt_name in ("sgd_schedulefree", "adamw_schedulefree"):
    tuned = best_lr(sf_tuning, opt_name)
    used = sf[f"{opt_name}/none"][3][0]["config"]["lr"]
    grid = sorted({r["config"]["lr"] for r in sf_tuning
                   if r["config"]["optimizer"] == opt_name})
    print(f"{opt_name}: grid {grid}, tuned lr {tuned:g}")
    assert used == tuned and grid[0] < tuned < grid[-1]       # interior of the grid
show(sf, "6 epochs, 5 seeds (schedule_free):")
sf_loss = results("schedule_free", "test_loss")
print("test loss:", {label: f"{v[0]:.3f} ± {v[1]:.3f}" for label, v in sf_loss.items()})

pairs = (("sgd_schedulefree", "momentum"), ("adamw_schedulefree", "adam"))
print("paired differences, schedule-free − scheduled (test accuracy, points):")
ahead = [diff(S, f"{base}/{s}", f"{sf_name}/none")
         for sf_name, base in pairs for s in ("wsd", "cosine")]
assert all(m - h > 0 for m, h in ahead)
print("test loss:")
loss_gap = diff(S, "adam/wsd", "adamw_schedulefree/none", "test_loss", 1, 3)
assert loss_gap[0] - loss_gap[1] > 0

curves = {label: torch.tensor([r["test_acc"] for r in v[3]]).mean(0)
          for label, v in sf.items()}
assert all((curves[f"{sf_name}/none"] > curves[f"{base}/{s}"]).all()   # every epoch,
           for sf_name, base in pairs for s in ("wsd", "cosine"))   # not only the end
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
families = (("sgd_schedulefree/none", "momentum/wsd", "momentum/cosine"),
            ("adamw_schedulefree/none", "adam/wsd", "adam/cosine"))
for ax, family in zip(axes, families):
    for label in family:
        ax.plot(range(1, 7), 100 * curves[label], marker="o", label=label)
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
axes[0].set_ylabel("test accuracy (%), mean of 5 seeds")
fig.suptitle("Schedule-free runs lead at every epoch: "
             "they need no end date to be usable", fontsize=10)
plt.show()

# %% [markdown]
# Both schedule-free optimizers end ahead of both schedules on test accuracy (every paired
# interval excludes zero; the closest is AdamW against Adam with WSD, +0.58 ± 0.38
# points), and their mean leads at every epoch; AdamW's test *loss* is higher than Adam
# with WSD's. The limits: one small network, one data set,
# six epochs; the schedules' peak rate is chapter 12's constant-rate optimum, not tuned per
# schedule, while each schedule-free rate was tuned on its own grid; and the schedule-free
# runs still warmed up. What they did not need is the length of the run.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Pitfalls
#
# * **A new batch size with the old rate.** Scale it (13.1)/(13.3) and warm up (13.2);
#   beyond the critical batch size no rule recovers the lost steps.
# * **Accumulating with $1/k$** when the last micro-batch is shorter (use $b_j/n$), and
#   **BatchNorm under accumulation**, which sees micro-batch statistics.
# * **Stepping the scheduler per micro-batch or per skipped AMP step:** the schedule runs
#   ahead of the optimizer (and torch's call-order warning is about the skip).
# * **Re-tuning AdamW's rate without its decay:** torch's decay per step, $\eta_t\lambda$
#   (13.9), moves with the rate; keep $\lambda' = \eta_0\lambda$ fixed instead.
# * **A clipping threshold that always binds** turns SGD into normalized SGD with rate
#   $\eta G$.
# * **Evaluating a schedule-free model in `train()` mode** evaluates $y$, not $x$.

# %% [markdown]
# ## Summary
#
# 1. The same rate at a 16 times larger batch lost accuracy; the linear rule with warm-up
#    (13.1)–(13.2) won it back up to a point, the square-root rule (13.3) suited Adam, and
#    the critical batch size of (13.4)–(13.5) marks where bigger batches stop paying.
# 2. Micro-batches weighted by $b_j/n$ are the big batch (13.6); the scheduler steps once
#    per optimizer step.
# 3. `GradScaler` skips steps whose float16 gradients overflow (13.7), and a scheduler
#    stepped anyway runs ahead. AdamW with fp32 master weights needs 16 bytes per parameter
#    in bf16 as in fp32 (13.8).
# 4. torch's AdamW decays by $\eta_t\lambda$ (13.9), Loshchilov & Hutter by
#    $\rho_t\lambda'$ (13.10): both follow the schedule, with $\lambda' = \eta_0\lambda$.
# 5. Clipping bounds a plain SGD step by $\eta_t G$ (13.11)–(13.12); warm-up delays
#    trouble, the guard stops it, clipping prevents it.
# 6. Schedule-free methods average a constant-rate iterate (13.13)–(13.16) and need no run
#    length; here they led WSD and cosine on test accuracy.

# %% [markdown]
# ## Exercises
#
# **1.** A batch of 50 is accumulated in $k = 3$ micro-batches (17, 17, 16) with the $1/k$
# shortcut. By what factor is each micro-batch's contribution off? Check against `gradient`.

# %% tags=["solution"]
# The shortcut weights each micro-batch by 1/3 instead of b_j/50: factors
# 50/(3·17) ≈ 0.980 for the two of 17 and 50/(3·16) ≈ 1.042 for the one of 16.
factors = [50 / (3 * m) for m in (17, 17, 16)]
print([f"{f:.3f}" for f in factors])
model.zero_grad()
first50 = torch.arange(50, device=device)
accumulate_gradients(model, xd, yd, first50, 3, divide_by_k=True)
short = torch.cat([p.grad.flatten() for p in model.parameters()])
model.zero_grad()
parts = torch.tensor_split(first50, 3)
for part, f in zip(parts, factors):
    loss = torch.nn.functional.cross_entropy(model(xd[part]), yd[part])
    (loss * len(part) / 50 * f).backward()                          # (13.6) × factor
by_factor = torch.cat([p.grad.flatten() for p in model.parameters()])
torch.testing.assert_close(by_factor, short, rtol=1e-12, atol=1e-14)

# %% [markdown]
# **2.** A 7-billion-parameter model is trained with AdamW, bf16 weights and gradients,
# fp32 master weights and state. How many GB of weights, gradients and optimizer state
# does one process hold, and how many with momentum SGD instead?

# %% tags=["solution"]
P = 7e9
gb = {o: bytes_per_parameter(o, weight_dtype=torch.bfloat16)["total"] * P / 1e9
      for o in ("adamw", "momentum")}
print(f"AdamW {gb['adamw']:.0f} GB, momentum SGD {gb['momentum']:.0f} GB")
assert gb["adamw"] == 112 and gb["momentum"] == 84

# %% [markdown]
# **3.** A sweep over AdamW's base rate $\eta_0 \in \{3\cdot10^{-4}, 10^{-3},
# 3\cdot10^{-3}\}$ should keep Loshchilov & Hutter's $\lambda' = 10^{-4}$ fixed. Which
# `weight_decay` does torch's `AdamW` need at each $\eta_0$?

# %% tags=["solution"]
for eta0 in (3e-4, 1e-3, 3e-3):
    print(f"eta_0 {eta0:g}: weight_decay = {1e-4 / eta0:.4g}")
assert abs(1e-4 / 1e-3 - 0.1) < 1e-15

# %% [markdown]
# ## References
#
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017.
# * S. Malladi, K. Lyu, A. Panigrahi, S. Arora, *On the SDEs and scaling rules for
#   adaptive gradient algorithms*, NeurIPS 2022.
# * S. McCandlish, J. Kaplan, D. Amodei and the OpenAI Dota team, *An empirical model of
#   large-batch training*, 2018.
# * P. Micikevicius et al., *Mixed precision training*, ICLR 2018.
# * I. Loshchilov, F. Hutter, *Decoupled weight decay regularization*, ICLR 2019.
# * R. Pascanu, T. Mikolov, Y. Bengio, *On the difficulty of training recurrent neural
#   networks*, ICML 2013 (clipping by the gradient norm).
# * A. Defazio, X. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky, *The road less
#   scheduled*, NeurIPS 2024, and the `schedulefree` package (1.4.1).
# * PyTorch documentation: `torch.amp.GradScaler`, `torch.autocast`,
#   `torch.nn.utils.clip_grad_norm_`, `torch.optim.AdamW`, "How to adjust learning rate".
