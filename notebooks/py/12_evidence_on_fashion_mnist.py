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
# # 12 · Evidence on real data: when momentum and decay matter
#
# *The course has proven how torch's optimizers and schedulers work, bit for bit. This chapter
# asks whether, when and how much they matter, on Fashion-MNIST: every optimizer tuned on its
# own grid, every schedule run with five seeds, every claim stated with a 95 % interval and
# asserted against the recorded runs.*
#
# **Prerequisites:** chapters 01 (the noise floor of a constant rate), 02 (momentum and its
# effective step), 05 (Adam), 06–09 (schedules and ReduceLROnPlateau), 10 (the training loop,
# the range test).
# **Runtime:** about 20 s on a laptop CPU: the chapter reads the recorded runs in
# `data/results/` and re-runs only a slice of them. Recording them all took about 40 minutes
# on one thread of a busy 2-core CPU (`python -m course_utils experiments run`; the training
# time of each experiment is in section 2).
#
# **After this chapter you can**
# 1. compute a 95 % Student-t interval for a mean over seeds, and a paired one for a
#    difference between two configurations, and say what an interval that contains zero means;
# 2. tune optimizers fairly: a log-spaced grid per optimizer whose best value is interior, and
#    compare momentum with plain SGD at the effective step $\eta/(1-\mu)$;
# 3. measure what a schedule changes (final loss, final accuracy, the spread over seeds), and
#    take one-cycle apart into warm-up, annealing and momentum cycling;
# 4. read the staircase of a step decay as the noise floor of chapter 01 falling with the rate;
# 5. run, resume, summarise and re-check a grid of experiments from the command line.

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
import statistics

import matplotlib.pyplot as plt
import torch

from course_utils.device import setup

device = setup(seed=0, threads=1)  # a 50k-parameter MLP: one CPU thread is fastest

# %%
from course_utils.experiments import EXPERIMENTS, load_records, registry, runner, stats
from course_utils.experiments.stats import by_config, finals, mean_ci, paired
from course_utils.plotting import GREY

R = {name: load_records(name) for name in registry.CHAPTER_10}
print("recorded experiments:", ", ".join(f"{name} ({len(records)} runs)" for name, records in R.items()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: one run per configuration
#
# Does SGD with momentum beat plain SGD? Train each once, each at its own tuned rate, and
# compare the test accuracies. Here are five runs of each, differing only in the *seed* (the
# initial weights and the order of the mini-batches):

# %%
sgd_acc = finals(R["optimizers"], "sgd/constant", "test_acc")
mom_acc = finals(R["optimizers"], "momentum/constant", "test_acc")
print("plain SGD        :", [f"{a:.2%}" for a in sgd_acc])
print("SGD + momentum   :", [f"{a:.2%}" for a in mom_acc])
print(f"spread of momentum's seeds {max(mom_acc) - min(mom_acc):.2%}; "
      f"gap between the means {statistics.fmean(mom_acc) - statistics.fmean(sgd_acc):.2%}")
assert max(sgd_acc) > min(mom_acc)                     # one pair of runs can rank them either way
assert max(mom_acc) - min(mom_acc) > statistics.fmean(mom_acc) - statistics.fmean(sgd_acc)

# %% [markdown]
# One run of each can answer *yes* or *no*, depending on which seeds you drew: the seeds of
# one configuration spread wider than the gap between the two means. The digits of chapter 10
# made this worse (359 test images, three seeds). This chapter uses a larger data set, five
# seeds per configuration, and states every comparison with an interval.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The data, the model and the experiments
#
# **Fashion-MNIST** (Xiao, Rasul and Vollgraf, 2017; MIT licence): 28×28 grey images of ten
# kinds of clothing, 60,000 for training and 10,000 for testing, shipped in `data/` with their
# sha256 (`data/README.md`). `load_fashion_mnist` verifies the files, scales pixels to
# $[0, 1]$ and returns fixed splits: 55,000 training images, 5,000 validation images held out
# from the official training set (500 per class), and the official 10,000 test images. Every
# choice (each optimizer's rate, ReduceLROnPlateau's metric) looks at the validation split;
# the test split only measures.

# %%
from course_utils.data import FASHION_CLASSES, load_fashion_mnist

data = load_fashion_mnist(device=device)
print(data)
se = math.sqrt(0.85 * 0.15 / len(data.y_test))                  # (10.7) at an accuracy of 85 %
print(f"standard error of a test accuracy near 85 %: {se:.2%}")
assert 0.0035 < se < 0.0037
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for c, ax in enumerate(axes):
    ax.imshow(data.x_test[(data.y_test == c).nonzero()[0, 0], 0].cpu(), cmap="gray_r")
    ax.set_title(FASHION_CLASSES[c], fontsize=7)
    ax.axis("off")
fig.suptitle("One test image per class", fontsize=9)
plt.show()

# %% [markdown]
# **The budget.** The runs were recorded on one thread of a 2-core CPU that several other jobs
# shared, so each is small: an MLP 784–64–10 (50,890 parameters) trained with mini-batches
# of 64 on a fixed, class-stratified 20,000 of the 55,000 training images (313 steps per
# epoch), for 6 epochs; the tuning runs are 2 epochs. Small, but far from a toy: a test set
# of 10,000 images measures an accuracy near 85 % to $\pm 0.36$ points (one standard error,
# (10.7), printed above), and what we compare below are differences over *paired* seeds on
# the same test images, where much of that noise is shared by both sides. The experiments and
# the training time their runs took:

# %%
for name in registry.CHAPTER_10:
    experiment, fresh = EXPERIMENTS[name], [r for r in R[name] if not r.get("reused")]
    print(f"{name:19s} {len({r['config']['label'] for r in R[name]}):3d} configs × {len(experiment.seeds)} seeds, "
          f"{sum(r['seconds'] for r in fresh) / 60:5.1f} min: {experiment.question}")
total = sum(r["seconds"] for name in registry.CHAPTER_10 for r in R[name] if not r.get("reused"))
print(f"total training time {total / 60:.0f} min; runs reused from another experiment are counted once")

# %% [markdown]
# Each record (`data/results/NAME/CONFIG/seedK.json`) holds the config, the seed, the training
# loss per epoch and per tenth of an epoch, validation and test loss and accuracy per epoch,
# the lr, the wall time, torch's version and the device. From the command line:
#
# ```
# python -m course_utils experiments run NAME      # resumable: recorded runs are skipped
# python -m course_utils experiments table [NAME] [--json]
# python -m course_utils experiments check         # re-run a slice of every config (pytest does)
# ```

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Intervals over seeds
#
# For $n$ seeds with values $x_1, \dots, x_n$, mean $\bar x$ and sample standard deviation
# $s$, the 95 % interval of the mean is
#
# $$
# \bar x \pm t_{0.975,\,n-1}\, \frac{s}{\sqrt n}, \tag{12.1}
# $$
#
# where $t_{q,\nu}$ is the $q$-quantile of Student's $t$ with $\nu$ degrees of freedom, whose
# density is
#
# $$
# p_\nu(t) = \frac{\Gamma\!\left(\frac{\nu+1}{2}\right)}{\sqrt{\nu\pi}\,\Gamma\!\left(\frac{\nu}{2}\right)}
# \left(1 + \frac{t^2}{\nu}\right)^{-\frac{\nu+1}{2}}. \tag{12.2}
# $$
#
# With five seeds $t_{0.975,4} = 2.78$: the interval is $\pm 1.24\,s$, not the $\pm 0.88\,s$
# a normal quantile would give. To compare configurations A and B we use **paired** seeds:
# seed $k$ gives both the same initial weights and the same batch order, so we apply (12.1)
# to the differences
#
# $$
# d_k = x_k^{B} - x_k^{A}, \qquad k = 1, \dots, n, \tag{12.3}
# $$
#
# and say "B beats A" only when the interval of $\bar d$ excludes zero. An interval that
# contains zero says the data cannot tell, not that A and B are equal.
#
# | symbol | meaning | code |
# |---|---|---|
# | $\bar x$, $s$, $n$ | mean, sample standard deviation, number of seeds | `mean_ci(values)` |
# | $t_{q,\nu}$ | Student-t quantile, computed from (12.2) | `t_quantile(q, nu)` |
# | $d_k$ | paired difference, seed $k$ | `paired(records, a, b, metric)` |

# %%
from course_utils.verify import show_source

show_source(stats.t_quantile)
show_source(mean_ci)
q = 0.975
assert abs(stats.t_quantile(q, 1) - math.tan(math.pi * (q - 0.5))) < 1e-9          # Cauchy: closed form
assert abs(stats.t_quantile(q, 2) - (2 * q - 1) / math.sqrt(2 * q * (1 - q))) < 1e-9
print(f"t_0.975 with 4 degrees of freedom: {stats.t_quantile(q, 4):.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Tuning, fairly
#
# A comparison of optimizers is a comparison of *tuned* optimizers, each tuned the same way
# (Choi et al., 2019). Each gets a log-spaced grid of constant rates, three per decade, two
# seeds, 2 epochs, scored by the final validation accuracy; a grid whose best value lies at
# an end is extended until it is interior. Plain SGD's grid must reach momentum's
# **effective step** (chapter 02):
#
# $$
# \eta_{\text{eff}} = \frac{\eta}{1 - \mu}, \tag{12.4}
# $$
#
# ten times $\eta$ for $\mu = 0.9$; otherwise "momentum wins" may only mean "momentum was
# allowed a larger step".

# %%
tuned = {row["optimizer"]: row for row in stats.summary("tuning", R["tuning"])}
for name, row in tuned.items():
    grid = row["lr_grid"]
    print(f"{name:9s} best lr {row['best_lr']:<8g} grid {grid[0]:g} … {grid[-1]:g} ({len(grid)} values)")
    assert grid[0] < row["best_lr"] < grid[-1]                                  # interior
mu = 0.9
assert tuned["sgd"]["lr_grid"][-1] >= tuned["momentum"]["best_lr"] / (1 - mu)   # (12.4) within reach

# %%
fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8), sharey=True)
for name, row in tuned.items():
    eff = 1 / (1 - mu) if name in ("momentum", "nesterov") else 1.0
    for ax, scale in zip(axes, (1.0, eff)):
        ax.plot([lr * scale for lr in row["lr_grid"]], row["val_acc"], marker="o", label=name)
for ax, xlabel in zip(axes, ("learning rate η", "effective step η/(1−μ) (SGD family)")):
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
axes[0].set_ylabel("validation accuracy (2 epochs, mean of 2 seeds)")
axes[0].set_ylim(0.6, 0.86)
axes[0].legend(fontsize=8)
fig.suptitle("Plain SGD and momentum peak at about the same effective step")
plt.show()

# %% [markdown]
# Drawn against the effective step (right), plain SGD's curve and momentum's nearly lie on one
# another: their best rates differ by one grid point (a factor 2.15) at most. A tuned plain
# SGD is not "SGD at momentum's rate" but SGD at about ten times it.

# %%
k_sgd = registry.grid_index(tuned["sgd"]["best_lr"])
k_eff = registry.grid_index(tuned["momentum"]["best_lr"] / (1 - mu))
print(f"best effective steps: SGD {tuned['sgd']['best_lr']:g}, momentum {tuned['momentum']['best_lr'] / (1 - mu):.3g}")
assert abs(k_sgd - k_eff) <= 1                                   # one grid point apart at most

# %% [markdown]
# **"The default learning rate is 1e-3 or 1e-4."** The grid answers for each optimizer:

# %%
def val_at(name, lr):
    return tuned[name]["val_acc"][tuned[name]["lr_grid"].index(lr)]


for name in ("adam", "adamw"):
    best = max(tuned[name]["val_acc"])
    print(f"{name:6s} 1e-3: {val_at(name, 0.001):.2%}, 1e-4: {val_at(name, 0.0001):.2%}, "
          f"best ({tuned[name]['best_lr']:g}): {best:.2%}")
    assert best - val_at(name, 0.0001) > 0.05 and best - val_at(name, 0.001) < 0.03
for name in ("sgd", "momentum", "nesterov"):
    assert tuned[name]["best_lr"] > 10 * 1e-3                          # an order of magnitude above 1e-3
print("SGD, momentum and Nesterov: best lr",
      ", ".join(f"{tuned[n]['best_lr']:g}" for n in ("sgd", "momentum", "nesterov")))

# %% [markdown]
# For Adam the folklore holds half-way: 1e-3 lands within three points of the best after 2
# epochs (the best is a few times larger), while 1e-4 is more than five points short. For the
# SGD family the "default" is off by one to two orders of magnitude: their best rates here are
# 0.02 to 0.1. A default is a starting point for a search, never a substitute for one.
#
# **And the range test?** Chapter 10's from-scratch range test takes 200 steps; it suggests
# $\eta^\star = \eta_{\arg\min \hat L}/10$ (10.6). Here it runs live, on the same training
# subset and batch size as the records:

# %%
from course_utils.range_test import lr_range_test

train_subset = runner.subset(data, registry.TRAIN_SIZE)
suggested = {}
for name in ("sgd", "momentum", "adam"):
    test = lr_range_test(lambda: registry.make_fashion_mlp(seed=0, device=device),
                         lambda params, name=name: registry.make_optimizer(name, params, 1.0),
                         train_subset, start_lr=1e-5, end_lr=10.0, num_steps=200, batch_size=registry.BATCH_SIZE)
    suggested[name] = test.suggestion
    ratio = tuned[name]["best_lr"] / test.suggestion
    print(f"{name:9s} range test suggests {test.suggestion:.3g}; tuned {tuned[name]['best_lr']:g} ({ratio:.1f}×)")
    assert 1 / 2.5 < ratio < 2.5
assert suggested["sgd"] > suggested["momentum"] > suggested["adam"]

# %% [markdown]
# In 200 steps (a third of one tuning run) the range test lands within a factor of
# 2.5 of each tuned rate, about one grid step, and orders the optimizers as the grid does.
# It is a good way to *place* a grid; the grid, with its seeds, then picks the value.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Does momentum beat plain SGD once both are tuned?
#
# Five seeds of each optimizer at its tuned constant rate, 6 epochs; plain SGD and momentum
# also with a cosine decay. The table gives the final test accuracy, the final training loss
# (mean of the last epoch's mini-batch losses) and their 95 % intervals:

# %%
rows = stats.summary("optimizers", R["optimizers"], metrics=("test_acc", "train_loss"))
print(stats.format_table(rows))
assert all(row["n_seeds"] >= 5 for row in rows)

# %%
def compare(records, a, b, metric, scale=1.0):
    """Print and return the paired difference b − a (12.3) with its interval (12.1)."""
    mean, half = paired(records, a, b, metric)
    verdict = "excludes 0" if abs(mean) > half else "contains 0"
    print(f"{b} − {a}, {metric}: {scale * mean:+.3f} ± {scale * half:.3f} ({verdict})")
    return mean, half


m_acc = compare(R["optimizers"], "sgd/constant", "momentum/constant", "test_acc", 100)
m_loss = compare(R["optimizers"], "sgd/constant", "momentum/constant", "train_loss")
n_acc = compare(R["optimizers"], "sgd/constant", "nesterov/constant", "test_acc", 100)
c_acc = compare(R["optimizers"], "sgd/cosine", "momentum/cosine", "test_acc", 100)
assert m_loss[0] + m_loss[1] < 0                     # momentum ends at a lower training loss
assert m_acc[0] - m_acc[1] > 0                       # and a higher test accuracy, interval above 0
assert c_acc[0] - c_acc[1] > 0 and c_acc[1] < m_acc[1] / 2   # with cosine too, twice as precisely
assert n_acc[0] - n_acc[1] < 0 < n_acc[0] + n_acc[1]         # Nesterov vs SGD, constant: cannot tell
same_lr = tuned["momentum"]["best_lr"]
print(f"untuned comparison, both at momentum's lr {same_lr:g} (tuning grid, 2 epochs): "
      f"momentum {val_at('momentum', same_lr):.2%}, plain SGD {val_at('sgd', same_lr):.2%}")
assert val_at("momentum", same_lr) - val_at("sgd", same_lr) > 5 * m_acc[0]

# %% [markdown]
# Read the signs and the intervals, not the means alone. At constant rates, momentum ends
# with a lower training loss than tuned plain SGD, and a test accuracy higher by about a
# point, with an interval clear of zero. With a cosine decay the same advantage is measured
# far more precisely (the decay removes most of the seed-to-seed noise, section 6).
# Nesterov against plain SGD at constant rates cannot be told apart by these five seeds: one
# Nesterov seed ended on a poor epoch, and a constant rate's last epoch is a noisy snapshot.
# So: momentum beats tuned plain SGD here, by a point of accuracy, not by the margin of the
# untuned comparison in the last line (both at momentum's rate, where plain SGD takes a step
# ten times too small), which is more than five times larger.
#
# **"Momentum accelerates early and stabilises late."** Early: the training loss of the first
# epoch. Late: how much the test accuracy still jumps from epoch to epoch over the last three
# epochs (a constant rate keeps the iterate moving in its noise ball; chapter 01):

# %%
def first_epoch_loss(records, label):
    return [r["epoch_loss"][0] for r in by_config(records)[label]]


def late_jitter(records, label):
    """Mean |change of test accuracy| between consecutive epochs, over the last three epochs."""
    return [statistics.fmean(abs(r["test_acc"][e] - r["test_acc"][e - 1]) for e in (3, 4, 5))
            for r in by_config(records)[label]]


early = [m - s for m, s in zip(first_epoch_loss(R["optimizers"], "momentum/constant"),
                               first_epoch_loss(R["optimizers"], "sgd/constant"))]
late = [m - s for m, s in zip(late_jitter(R["optimizers"], "momentum/constant"),
                              late_jitter(R["optimizers"], "sgd/constant"))]
(e_mean, e_half), (l_mean, l_half) = mean_ci(early), mean_ci(late)
print(f"epoch-1 training loss, momentum − SGD: {e_mean:+.3f} ± {e_half:.3f}")
print(f"late epoch-to-epoch jitter of test accuracy, momentum − SGD: {100 * l_mean:+.2f} ± {100 * l_half:.2f} points")
assert e_mean + e_half < 0                       # accelerates early: yes, interval below zero
assert l_mean - l_half < 0 < l_mean + l_half     # stabilises late: the data cannot tell

# %% [markdown]
# *Accelerates early*: yes, the first epoch ends at a clearly lower loss. *Stabilises late*:
# not detectable here; the late jitter of the test accuracy differs by an amount whose
# interval contains zero. At tuned rates both methods sit in a noise ball whose size is set by
# the effective step, which tuning made about equal; what steadies the end of a run is a
# decaying rate, which the next section measures.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Schedules at the tuned rate
#
# SGD with momentum at its tuned rate $\eta$ as the peak of eight schedules over the same
# 6 epochs (1,878 steps), five seeds each:
#
# | schedule | built from (`course_utils.lr_scheduler`) |
# |---|---|
# | constant | — |
# | step | `StepLR(step_size=T//3, gamma=0.1)`: the ×0.1-every-30-of-90-epochs recipe, scaled |
# | cosine | `CosineAnnealingLR(T_max=T)` |
# | warm-up + cosine | `SequentialLR(LinearLR(0.01, T//20), CosineAnnealingLR(T − T//20))` |
# | one-cycle | `OneCycleLR(max_lr=η, total_steps=T)`: 30 % up from η/25, down to η/(25·10⁴), momentum 0.95 → 0.85 → 0.95 |
# | plateau | `ReduceLROnPlateau(factor=0.1, patience=1)` on the validation loss, once per epoch |
# | WSD | `LambdaLR`: 5 % warm-up, stable to 80 %, linear decay to 0 (`schedules.warmup_stable_decay_lr`) |
# | linear | `LinearLR(1.0, 0.0, total_iters=T)` |

# %%
SCHEDULES = registry.SCHEDULES


def contains_zero(m, h):
    """True when the interval m ± h holds zero: the data cannot tell the sign."""
    return m - h < 0 < m + h


def errorbars(ax, records, labels, metric, scale=1.0, offset=0.0, **kw):
    """Means with 95 % intervals (12.1) of ``metric`` for each config label, on ``ax``."""
    cis = [mean_ci(finals(records, label, metric)) for label in labels]
    ax.errorbar([i + offset for i in range(len(labels))], [scale * m for m, _ in cis],
                yerr=[scale * h for _, h in cis], fmt="o", capsize=4, **kw)
    ax.set_xticks(range(len(labels)), [label.split("/")[1] for label in labels], rotation=30, fontsize=8)
    return ax


fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
labels = [f"momentum/{s}" for s in SCHEDULES]
errorbars(axes[0], R["schedules_momentum"], labels, "test_acc", 100)
errorbars(axes[1], R["schedules_momentum"], labels, "train_loss")
axes[0].set_ylabel("final test accuracy (%)")
axes[1].set_ylabel("final training loss")
fig.suptitle("Annealed schedules end with a far smaller spread over seeds than the constant rate (95 % intervals)")
plt.show()

# %% [markdown]
# The first thing the figure shows is the *width* of the intervals. A constant rate ends
# wherever the noise of its last steps left the iterate, so its final accuracy varies from
# seed to seed by about a point; a schedule that anneals the rate to (about) zero ends at the
# bottom of its noise ball, and its seeds agree to a tenth of a point. Is the difference in
# spread larger than chance? Two standard deviations from five seeds each are compared by the
# ratio of their variances, which under equal spreads follows Fisher's $F_{4,4}$; for
# $F_{4,4}$ the CDF is $3x^2 - 2x^3$ with $x = f/(1+f)$, so its 0.975 quantile is one
# bisection away:

# %%
def f44_quantile(q):
    lo, hi = 0.0, 1.0                                     # x = f/(1 + f) in (0, 1)
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 3 * mid ** 2 - 2 * mid ** 3 < q else (lo, mid)
    return lo / (1 - lo)


annealed = ("cosine", "warmup_cosine", "onecycle", "wsd", "linear")   # the rate ends at (about) zero
sd = {s: statistics.stdev(finals(R["schedules_momentum"], f"momentum/{s}", "test_acc")) for s in SCHEDULES}
f_crit = f44_quantile(0.975)
print(f"F_4,4 quantile 0.975: {f_crit:.2f}; variance ratio constant / annealed:",
      ", ".join(f"{s} {sd['constant'] ** 2 / sd[s] ** 2:.0f}" for s in annealed))
assert all(sd["constant"] ** 2 / sd[s] ** 2 > f_crit for s in annealed)

# %% [markdown]
# Every annealed schedule ends with a variance of the final accuracy far beyond what chance
# allows (the $F$ test rejects equal spreads). This, not momentum, is what "stabilises late".
# Now the paired differences from the constant rate:

# %%
decayed = [s for s in SCHEDULES if s != "constant"]
gains = {s: (paired(R["schedules_momentum"], "momentum/constant", f"momentum/{s}", "train_loss"),
             paired(R["schedules_momentum"], "momentum/constant", f"momentum/{s}", "test_acc"))
         for s in decayed}
print(f"{'schedule':14s} {'Δ train loss vs constant':>26s} {'Δ test accuracy (points)':>26s}")
for s, ((lm, lh), (am, ah)) in gains.items():
    print(f"{s:14s} {lm:+17.4f} ± {lh:.4f} {100 * am:+17.2f} ± {100 * ah:.2f}")

# %%
for s in ("cosine", "warmup_cosine", "wsd"):
    assert sum(gains[s][0]) < 0                  # lower final training loss, interval below zero
for s in ("onecycle", "step"):
    assert gains[s][0][0] - gains[s][0][1] > 0   # higher final training loss, interval above zero
(am, ah) = gains["wsd"][1]
assert am - ah > 0                               # WSD: higher test accuracy, interval above zero
for s in ("cosine", "warmup_cosine", "onecycle", "linear", "step", "plateau"):
    am, ah = gains[s][1]
    assert am - ah < 0 < am + ah                 # the others: the constant rate's noise hides it
wsd_vs = {s: paired(R["schedules_momentum"], f"momentum/{s}", "momentum/wsd", "test_acc")
          for s in ("cosine", "warmup_cosine", "linear")}
for s, (m, h) in wsd_vs.items():
    print(f"wsd − {s}: {100 * m:+.2f} ± {100 * h:.2f} points")
    assert m - h > 0
cos_lin = paired(R["schedules_momentum"], "momentum/cosine", "momentum/linear", "test_acc")
cos_warm = paired(R["schedules_momentum"], "momentum/cosine", "momentum/warmup_cosine", "test_acc")
assert all(m - h < 0 < m + h for m, h in (cos_lin, cos_warm))

# %% [markdown]
# What the intervals allow us to say, each asserted above:
#
# * Against the constant rate, the **training loss** ends lower with cosine, warm-up + cosine
#   and WSD, and *higher* with one-cycle and the step schedule, which spend part of the run at
#   small rates (one-cycle's climb from η/25; step's last third at η/100).
# * Against the constant rate, the **test accuracy** is higher for WSD by more than a point,
#   interval clear of zero. For the other schedules the mean gain is positive, but the
#   constant rate's own seed noise makes every interval contain zero: five seeds cannot tell.
# * Between annealed schedules the pairs are precise, since neither side is noisy: **WSD beats
#   cosine, warm-up + cosine and linear decay** by about 0.8 points; cosine, warm-up + cosine
#   and linear decay cannot be told apart. WSD keeps the full rate for 80 % of the run, then
#   anneals quickly: in a short run, time at the full rate is progress that a long cosine tail
#   gives away.
# * ReduceLROnPlateau (patience 1) cut the rate in only one seed, at the last epoch: in 6
#   epochs it is, in effect, the constant rate. Section 9 gives it a longer run.

# %% [markdown]
# **The same eight schedules for Adam**, at its tuned rate (0.00464), five seeds each:

# %%
adam_labels = [f"adam/{s}" for s in SCHEDULES]
fig, ax = plt.subplots(figsize=(7.6, 3.6))
errorbars(ax, R["schedules_momentum"], labels, "test_acc", 100, offset=-0.12, label="SGD + momentum")
errorbars(ax, R["schedules_adam"], adam_labels, "test_acc", 100, offset=0.12, label="Adam")
ax.set_ylabel("final test accuracy (%)")
ax.legend(fontsize=8)
ax.set_title("Adam: every annealed schedule beats the constant rate by about a point")
plt.show()

# %%
adam_gain = {s: paired(R["schedules_adam"], "adam/constant", f"adam/{s}", "test_acc") for s in decayed}
adam_sd = {s: statistics.stdev(finals(R["schedules_adam"], f"adam/{s}", "test_acc")) for s in SCHEDULES}
for s, (m, h) in adam_gain.items():
    print(f"adam {s:14s} − constant: {100 * m:+.2f} ± {100 * h:.2f} points; "
          f"variance ratio constant / {s}: {adam_sd['constant'] ** 2 / adam_sd[s] ** 2:.1f}")
for s in (*annealed, "step"):
    assert adam_gain[s][0] - adam_gain[s][1] > 0                   # above zero
assert contains_zero(*adam_gain["plateau"])
assert all(adam_sd["constant"] ** 2 / adam_sd[s] ** 2 < f_crit for s in annealed)
for s in ("cosine", "warmup_cosine", "onecycle", "linear"):
    m, h = paired(R["schedules_adam"], f"adam/{s}", "adam/wsd", "test_acc")
    assert m - h > 0                                               # WSD first again

# %% [markdown]
# For Adam the picture is sharper in the means and quieter in the spreads: its constant rate
# already ends with a small seed-to-seed spread (the $F$ test finds no difference), so the
# gain of annealing shows directly, about a point for every annealed schedule and a little
# less for the step schedule, each interval clear of zero; WSD again comes first, by about
# 0.4 points. Momentum's mean gains are probably of the same size, but its noisy constant
# rate hides them; what annealing does for both optimizers is end the run at the bottom of
# the noise ball instead of somewhere inside it.

# %% [markdown]
# **All five optimizers.** The same eight schedules ran for plain SGD, Nesterov and AdamW too,
# each at its own tuned rate, five seeds each. The paired gain of each schedule over the
# optimizer's constant rate, in points of final test accuracy:

# %%
OPTIMIZERS = registry.OPTIMIZERS
grid_gain = {(o, s): paired(R[f"schedules_{o}"], f"{o}/constant", f"{o}/{s}", "test_acc")
             for o in OPTIMIZERS for s in decayed}
print(f"{'':9s}" + "".join(f"{s:>15s}" for s in decayed))
for o in OPTIMIZERS:
    print(f"{o:9s}" + "".join(f"{100 * grid_gain[o, s][0]:+8.2f} ±{100 * grid_gain[o, s][1]:5.2f}"
                              for s in decayed))
clear = [o for o in OPTIMIZERS if grid_gain[o, "wsd"][0] - grid_gain[o, "wsd"][1] > 0]
print("WSD's gain has an interval above zero for:", ", ".join(clear))

# %%
assert all(grid_gain[o, "wsd"][0] > 0 for o in OPTIMIZERS)          # positive mean everywhere
assert set(clear) == {"sgd", "momentum", "adam", "adamw"}            # Nesterov: its noisy constant
best_plain = max(decayed, key=lambda s: grid_gain["sgd", s][0])
assert best_plain == "onecycle" and grid_gain["sgd", "onecycle"][0] > 2 * grid_gain["sgd", "wsd"][0]
assert grid_gain["sgd", "plateau"] == (0.0, 0.0)                     # never cut: the constant run

# %% [markdown]
# WSD's mean gain is positive for every optimizer, and its interval clears zero for all but
# Nesterov, whose constant-rate runs include one seed that ended on a poor epoch (section 5).
# Plain SGD's largest gain comes from one-cycle, more than twice WSD's, and it is not a
# schedule effect: `OneCycleLR` cycles momentum by default and writes $\mu = 0.95$ into an
# SGD built without momentum (chapter 10's pitfall), so "plain SGD + one-cycle" is SGD with
# momentum 0.85–0.95. Its gain is momentum's, measured once more. ReduceLROnPlateau never cut
# plain SGD's rate in 6 epochs: its runs are the constant runs, bit for bit.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The staircase
#
# Chapter 01 measured the noise floor of SGD at a constant rate: near a minimum the expected
# excess loss settles at a level proportional to the rate,
#
# $$
# \mathbb E[L] - L^\ast \approx c\,\eta \quad\Longrightarrow\quad
# \Delta_{\eta \to \gamma\eta} \approx (1 - \gamma)\, c\, \eta, \tag{12.5}
# $$
#
# so cutting the rate by $\gamma$ should drop the loss by a step proportional to the rate
# before the cut, and the second cut of a ×0.1 staircase, made from $\eta/10$, should drop it
# by a tenth of the first. The `staircase` experiment measures each drop against a run that
# is identical up to the cut and does not make it: the constant run for the first cut, a
# one-cut run (`MultiStepLR` with one milestone) for the second.

# %%
S = by_config(R["staircase"])
chunk = S["momentum/step"][0]["chunk_steps"]
per_epoch = S["momentum/step"][0]["steps_per_epoch"]
cuts = [k * 2 * per_epoch // chunk for k in (1, 2)]   # chunk index of each cut (T//3 and 2T//3)


def mean_curve(label, key="loss_chunks"):
    curves = torch.tensor([r[key] for r in S[label]])
    return curves.mean(0), curves


fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for label in ("momentum/constant", "momentum/constant_lr/10", "momentum/step_once", "momentum/step"):
    mean, _ = mean_curve(label)
    axes[0].plot([(i + 0.5) * chunk / per_epoch for i in range(len(mean))], mean, label=label.split("/", 1)[1])
    acc, _ = mean_curve(label, "test_acc")
    axes[1].plot(range(1, len(acc) + 1), 100 * (1 - acc), marker="o", label=label.split("/", 1)[1])
for ax in axes:
    for c in (2, 4):
        ax.axvline(c, color=GREY, linewidth=0.8, linestyle=":")
    ax.set_xlabel("epoch")
axes[0].set_ylim(0.3, 0.6)
axes[0].set_ylabel("training loss (mean over tenths of an epoch, 5 seeds)")
axes[1].set_ylabel("test error (%)")
axes[0].legend(fontsize=8)
fig.suptitle("A ×0.1 cut drops the loss at once; the second cut drops it by much less")
plt.show()

# %%
def drop(before_label, after_label, cut, width=8):
    """Per-seed drop of the mean training loss over ``width`` chunks after ``cut`` (skipping
    the chunk that holds it): run that did not cut minus run that did."""
    a, b = mean_curve(before_label)[1], mean_curve(after_label)[1]
    window = slice(cut + 1, cut + 1 + width)
    return (a[:, window].mean(1) - b[:, window].mean(1)).tolist()


d1 = drop("momentum/constant", "momentum/step", cuts[0])
d2 = drop("momentum/step_once", "momentum/step", cuts[1])
(m1, h1), (m2, h2) = mean_ci(d1), mean_ci(d2)
print(f"first cut  (η → η/10):    drop {m1:.4f} ± {h1:.4f}")
print(f"second cut (η/10 → η/100): drop {m2:.4f} ± {h2:.4f}")
low, high = (m2 - h2) / (m1 + h1), (m2 + h2) / (m1 - h1)    # the ratio's range, both intervals
print(f"ratio of the drops {m2 / m1:.3f} (between {low:.3f} and {high:.3f}); (12.5) predicts γ = 0.1")
assert m1 - h1 > 0 and m2 - h2 > 0                  # both cuts drop the loss: intervals above 0
assert low < 0.1 < high                             # and the second by a tenth of the first

# %% [markdown]
# The first cut drops the training loss at once, and the test error with it; the second cut,
# made from a rate ten times smaller, drops the loss by a tenth of the first, within the
# intervals, as (12.5) predicts. The loss that a cut removes is the part held up by the noise
# of the rate, and that part is proportional to the rate: chapter 01's noise floor, measured
# on a real network.
#
# The staircase has a price. After each cut the loss sits on its new, lower floor but falls
# more slowly; the constant run keeps its higher floor and its speed, and within 6 epochs it
# overtakes the step schedule (section 6: the step schedule ends at a *higher* training
# loss). And starting at $\eta/10$ is no shortcut to the low floor: that run is still far
# above the others after 6 epochs. A step decay pays when the loss is held up by its floor,
# not while it is still descending.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. One-cycle, taken apart
#
# One-cycle changes three things at once: a warm-up (30 % of the steps, from η/25), an
# annealing to almost zero, and a momentum cycled from 0.95 down to 0.85 and back. Four
# paired comparisons separate them, each between two runs that differ in one ingredient
# (one-cycle's annealing fills the 70 % of the run after its warm-up, so "warm-up, given
# annealing" also moves the start of the annealing; the warm-up-then-constant run uses
# one-cycle's own warm-up curve, `LambdaLR`):
#
# | comparison | ingredient isolated |
# |---|---|
# | warm-up then constant − constant | warm-up, without annealing |
# | cosine − constant | annealing, without warm-up |
# | one-cycle without momentum cycling − cosine | warm-up, given annealing |
# | one-cycle − one-cycle without momentum cycling | momentum cycling |

# %%
A = R["onecycle_ablation"]
ablation = {"warm-up alone": ("momentum/constant", "momentum/warmup_constant"),
            "annealing alone": ("momentum/constant", "momentum/cosine"),
            "warm-up, given annealing": ("momentum/cosine", "momentum/onecycle_no_cycling"),
            "momentum cycling": ("momentum/onecycle_no_cycling", "momentum/onecycle")}
effects = {}
for name, (a, b) in ablation.items():
    effects[name] = {metric: paired(A, a, b, metric) for metric in ("test_acc", "train_loss")}
    (am, ah), (lm, lh) = effects[name]["test_acc"], effects[name]["train_loss"]
    print(f"{name:25s} Δ test accuracy {100 * am:+.2f} ± {100 * ah:.2f} points, "
          f"Δ training loss {lm:+.4f} ± {lh:.4f}")


assert sum(effects["momentum cycling"]["test_acc"]) < 0            # cycling costs accuracy
assert effects["momentum cycling"]["train_loss"][0] - effects["momentum cycling"]["train_loss"][1] > 0
assert sum(effects["annealing alone"]["train_loss"]) < 0           # annealing lowers the loss
assert effects["warm-up alone"]["train_loss"][0] - effects["warm-up alone"]["train_loss"][1] > 0
for name in ("warm-up alone", "annealing alone", "warm-up, given annealing"):
    assert contains_zero(*effects[name]["test_acc"])               # accuracy: cannot tell
assert contains_zero(*effects["warm-up, given annealing"]["train_loss"])

# %% [markdown]
# Taken apart, one-cycle's three ingredients do three different things at this tuned rate:
#
# * **Annealing** lowers the final training loss (interval below zero) and, section 6
#   showed, shrinks the seed-to-seed spread of the accuracy several times; its gain in mean
#   test accuracy over the noisy constant rate cannot be told by five seeds.
# * **Warm-up** changes nothing detectable in the test accuracy, with or without annealing;
#   without annealing it costs training loss (the steps spent climbing are steps of little
#   progress), and with annealing it cannot be told from none. At a rate tuned for a constant
#   schedule there is no instability for it to prevent.
# * **Momentum cycling** (0.95 → 0.85 → 0.95) *costs* accuracy, a quarter of a point with an
#   interval below zero, and training loss: one-cycle without it is the better schedule here.
#
# Comparing one-cycle with a constant rate and calling the difference "what warm-up buys"
# credits warm-up with what is annealing's; taken apart, warm-up is the ingredient that
# bought nothing here.
# (Warm-up earns its keep at rates beyond the stable range and with large batches, Goyal et
# al. 2017; neither is the case at a tuned rate with batches of 64.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Decays on longer runs: StepLR and ReduceLROnPlateau
#
# Six epochs were too short for ReduceLROnPlateau to act and, section 7 showed, short enough
# for the constant rate to overtake the step schedule. Do the cuts pay off on a run long
# enough for the loss to flatten between them? The `long` experiment repeats constant,
# StepLR (cuts after epochs 6 and 12), ReduceLROnPlateau and cosine at 18 epochs:

# %%
L = R["long"]
print(stats.format_table(stats.summary("long", L, metrics=("test_acc", "train_loss"))))
long_gain = {s: paired(L, "momentum/constant", f"momentum/{s}", "test_acc") for s in ("step", "plateau", "cosine")}
for s, (m, h) in long_gain.items():
    print(f"{s:8s} − constant, 18 epochs: {100 * m:+.2f} ± {100 * h:.2f} points")
plateau_lrs = [r["lr"] for r in by_config(L)["momentum/plateau"]]
cuts_per_seed = [sum(b < a for a, b in zip(lrs, lrs[1:])) for lrs in plateau_lrs]
print("ReduceLROnPlateau cuts per seed:", cuts_per_seed)


def paired_at(records, a, b, epoch, key="test_acc"):
    """Paired difference b − a of ``key`` after ``epoch`` (counting from 1), with its interval."""
    runs = by_config(records)
    return mean_ci([rb[key][epoch - 1] - ra[key][epoch - 1] for ra, rb in zip(runs[a], runs[b])])


after_cut = paired_at(L, "momentum/constant", "momentum/step", 7)
print(f"step − constant after epoch 7 (the first cut was after epoch 6): "
      f"{100 * after_cut[0]:+.2f} ± {100 * after_cut[1]:.2f} points")
step_vs_cos = paired(L, "momentum/step", "momentum/cosine", "test_acc")
print(f"cosine − step at the end: {100 * step_vs_cos[0]:+.2f} ± {100 * step_vs_cos[1]:.2f} points")

# %%
assert min(cuts_per_seed) >= 2                                     # the plateau rule acted on every seed
assert long_gain["plateau"][0] - long_gain["plateau"][1] > 0       # and beat the constant rate, just
assert after_cut[0] - after_cut[1] > 0                             # the first cut's jump, interval above 0
assert contains_zero(*long_gain["step"])                           # at the end: cannot tell
assert step_vs_cos[0] - step_vs_cos[1] > 0                         # cosine beats the step schedule
assert paired(L, "momentum/constant", "momentum/step", "train_loss")[0] > 0   # step ends higher

# %% [markdown]
# Over 18 epochs, ReduceLROnPlateau cut every seed's rate two or three times and ends above the
# constant rate, its interval just clear of zero. The step schedule's first cut lifts the test
# accuracy at once, by more than a point (interval above zero), the staircase of section 7 in
# accuracy; but the cut comes early, the next 12 epochs at η/10 and η/100 make slow progress,
# and at the end its gain over the constant rate cannot be told from zero while cosine beats
# it with an interval above zero. The seed's claim that StepLR and ReduceLROnPlateau help on
# a run long enough is half-true here: the cuts help *when they are made*, and a schedule that
# cuts late (cosine, WSD, or a plateau rule that waits for the loss to stall) keeps more of it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Checking the records
#
# A committed record is evidence only if the code still produces it. `experiments check`
# re-runs the first 50 mini-batches of one seed of every configuration and compares the
# losses with the record (pytest runs it). Here is that slice for one configuration, live:

# %%
record = by_config(R["schedules_momentum"])["momentum/onecycle"][0]
again = runner.run_one(record["config"], record["seed"], data, device=device, max_steps=registry.CHECK_STEPS)
worst = max(abs(a / b - 1) for a, b in zip(again["check_losses"], record["check_losses"]))
print(f"{record['config']['label']}, seed {record['seed']}: {len(again['check_losses'])} steps re-run, "
      f"largest relative difference from the record below {runner.CHECK_RTOL:g}: {worst < runner.CHECK_RTOL}")
assert worst < runner.CHECK_RTOL and again["check_lrs"] == record["check_lrs"]

# %% [markdown]
# On the CPU type and thread count that recorded the runs the re-run is bitwise equal. The
# tolerance, a relative $10^{-4}$, admits another summation order in a matrix product (with
# two threads instead of one the 50 losses differ by about $2\times10^{-7}$) and little
# else: a different seed, data order or optimizer, or a rate changed by 0.1 %, moves them by
# more than $10^{-3}$. The slice checks the start of each run, not every step: two schedules
# that agree over the first 50 steps (StepLR and the constant rate) give the same slice.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **One run per configuration** (section 1): seeds spread more than many of the effects we
#   care about. Five paired seeds and an interval are the minimum for a claim.
# * **Unpaired comparisons.** Comparing two means with their own intervals wastes the pairing;
#   the paired difference (12.3) cancels the noise the two runs of a seed share.
# * **Unequal tuning.** Tuning momentum and taking plain SGD at the same rate compares effective
#   steps that differ tenfold (12.4). Each optimizer needs its own grid, with an interior best.
# * **Tuning on the test split.** Every choice here reads the validation split.
# * **A constant rate's last epoch is a noisy snapshot.** Its final accuracy varies more from
#   seed to seed than an annealed run's; compare schedules on the same footing (final values
#   over several seeds), not on a lucky epoch.
# * **Short tuning runs.** The rates were tuned on 2 epochs and used for 6 (and 18); the best
#   constant rate of a longer run can be smaller. The conclusions hold at these rates.
# * **"Cannot tell" is not "equal".** An interval that contains zero bounds the effect; it
#   does not make it zero.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. A 95 % Student-t interval over seeds (12.1)–(12.2), on paired differences (12.3), turns
#    "B looks better" into "B is better by this much, or the data cannot tell".
# 2. Tuned fairly, with grids whose best values are interior and reach momentum's effective
#    step (12.4), plain SGD and momentum peak at about the same effective step; momentum then
#    wins by about a point of test accuracy at constant rates. "1e-3 or 1e-4" fits Adam only
#    roughly and the SGD family not at all; a range test places the grid in seconds.
# 3. Annealing the rate to zero ends a run at the bottom of its noise ball: for momentum the
#    seed-to-seed spread of the final accuracy shrinks several times (this, not momentum, is
#    what "stabilises late"); for Adam the mean gains about a point. WSD came first for both,
#    and gains over the constant rate for all five optimizers (interval above zero for four);
#    cosine, warm-up + cosine and linear decay cannot be told apart. In one-cycle, annealing
#    helps, warm-up does nothing detectable and momentum cycling costs a quarter of a point.
# 4. A ×0.1 cut drops the loss at once by an amount that scales with the rate before the cut
#    (12.5): the staircase is chapter 01's noise floor falling with the rate. Cut early, the
#    lower rate then slows progress: over 18 epochs StepLR's gain over the constant rate
#    cannot be told from zero while cosine beats it; ReduceLROnPlateau acts only on runs long
#    enough for the loss to stall, and there beats the constant rate, just.
# 5. `python -m course_utils experiments run | table | check` records, summarises and
#    re-checks every run.

# %% [markdown]
# ## Exercises
#
# **1.** Is Nesterov better than classical momentum at their tuned rates? Compute the paired
# interval of the final test accuracy and of the final training loss from the records, and
# state what it says.

# %% tags=["solution"]
for metric, scale in (("test_acc", 100), ("train_loss", 1)):
    compare(R["optimizers"], "momentum/constant", "nesterov/constant", metric, scale)
m, h = paired(R["optimizers"], "momentum/constant", "nesterov/constant", "train_loss")
assert m + h < 0        # a lower training loss, interval below zero; the test accuracy cannot tell
# Nesterov's tuned rate is a grid step larger than momentum's, and it ends at a lower training
# loss; whether that shows on the test split is what the accuracy line says.

# %% [markdown]
# **2.** How many seeds would the *unpaired* comparison of momentum and plain SGD need for an
# interval as narrow as the paired one of section 5? Use the two configurations' standard
# deviations and the fact that an unpaired interval has half-width $t\,\sqrt{s_A^2/n + s_B^2/n}$.

# %% tags=["solution"]
s_a = statistics.stdev(finals(R["optimizers"], "sgd/constant", "test_acc"))
s_b = statistics.stdev(finals(R["optimizers"], "momentum/constant", "test_acc"))
paired_half = m_acc[1]
n = next(n for n in range(2, 1000)
         if stats.t_quantile(0.975, 2 * n - 2) * math.sqrt((s_a ** 2 + s_b ** 2) / n) <= paired_half)
print(f"paired half-width with 5 seeds: {100 * paired_half:.2f} points; unpaired needs {n} seeds per configuration")
assert n >= 5
# Pairing removes the part of the seed-to-seed spread that both configurations share (the
# same initial weights and batch order); without it, the same precision costs more runs.

# %% [markdown]
# **3.** Record a new configuration: plain SGD at momentum's effective step with cosine decay.
# Add `config("sgd/cosine_at_eff", "sgd", lr=..., schedule="cosine")` to a new `Experiment`
# in `course_utils/experiments/registry.py`, run it with `python -m course_utils experiments
# run NAME` (a few minutes on one thread), and compare it with `momentum/cosine` using
# `paired`. (No solution cell: it takes minutes, not seconds.)

# %% [markdown]
# ## References
#
# * H. Xiao, K. Rasul and R. Vollgraf, *Fashion-MNIST: a novel image dataset for benchmarking
#   machine learning algorithms*, arXiv:1708.07747, 2017 (the data; MIT licence).
# * D. Choi, C. J. Shallue, Z. Nado, J. Lee, C. J. Maddison and G. E. Dahl, *On empirical
#   comparisons of optimizers for deep learning*, 2019 (rankings follow the tuning protocol).
# * Google Research, *Deep learning tuning playbook*, 2023 (tune each optimizer; several seeds).
# * Student (W. S. Gosset), *The probable error of a mean*, Biometrika 6, 1908 (the $t$ distribution).
# * I. Sutskever, J. Martens, G. Dahl and G. Hinton, *On the importance of initialization and
#   momentum in deep learning*, ICML 2013.
# * L. N. Smith and N. Topin, *Super-convergence*, 2019 (one-cycle); I. Loshchilov and
#   F. Hutter, *SGDR*, ICLR 2017 (cosine); P. Goyal et al., *Accurate, large minibatch SGD*,
#   2017 (warm-up).
# * A. Hägele et al., *Scaling laws and compute-optimal training beyond fixed training
#   durations*, 2024 (warm-up–stable–decay).
