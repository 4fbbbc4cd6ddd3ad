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
# *Chapters 02–11 showed how torch's optimizers and schedulers work, bit for bit. This
# chapter measures whether they matter, on Fashion-MNIST: every optimizer tuned on its own
# grid, every configuration run with five seeds, every claim a 95 % interval asserted
# against the recorded runs.*
#
# **Prerequisites:** chapters 01 (the noise floor of a constant rate), 02 (momentum and its
# effective step), 05 (Adam), 06–09 (schedules and ReduceLROnPlateau), 10 (the training loop,
# the range test).
# **Runtime:** about 20 s on a laptop CPU: the chapter reads the recorded runs in
# `data/results/` and re-runs only slices of them (section 2 prints what recording them took).
#
# **After this chapter you can**
# 1. state a mean over seeds with a 95 % Student-t interval, and a difference between two
#    configurations with a paired one;
# 2. tune optimizers fairly: an interior best on each one's grid, momentum against plain SGD
#    at the effective step;
# 3. measure what a schedule changes, and take one-cycle apart into its ingredients;
# 4. read a step decay's staircase as chapter 01's noise floor falling with the rate;
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
from course_utils.plotting import BLUE, GREY, VERMILLION

R = {name: load_records(name) for name in registry.CHAPTER_12}
print("recorded experiments:",
      ", ".join(f"{name} ({len(records)} runs)" for name, records in R.items()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: one run per configuration
#
# Does SGD with momentum beat plain SGD? Here are five runs of each at its tuned rate,
# differing only in the *seed* (the initial weights and the order of the mini-batches); a
# grey line joins the two runs of one seed.

# %%
sgd_acc = finals(R["optimizers"], "sgd/constant", "test_acc")
mom_acc = finals(R["optimizers"], "momentum/constant", "test_acc")
spread = max(mom_acc) - min(mom_acc)
gap = statistics.fmean(mom_acc) - statistics.fmean(sgd_acc)
print("plain SGD      :", [f"{a:.2%}" for a in sgd_acc])
print("SGD + momentum :", [f"{a:.2%}" for a in mom_acc])
print(f"spread of momentum's seeds {spread:.2%}; gap between the means {gap:.2%}")
assert max(sgd_acc) > min(mom_acc)         # one pair of runs can rank them either way
assert spread > gap
assert all(m > s for s, m in zip(sgd_acc, mom_acc))     # yet every seed's line climbs

fig, ax = plt.subplots(figsize=(5.2, 3.6))
for s, m in zip(sgd_acc, mom_acc):
    ax.plot([0, 1], [100 * s, 100 * m], color=GREY, linewidth=0.8)
ax.plot([0] * 5, [100 * a for a in sgd_acc], "o", label="plain SGD")
ax.plot([1] * 5, [100 * a for a in mom_acc], "o", label="SGD + momentum")
ax.set_xticks([0, 1], ["plain SGD", "SGD + momentum"])
ax.set_xlim(-0.5, 1.5)
ax.set_ylabel("final test accuracy (%)")
ax.set_title(f"Seeds spread {spread:.1%}, the means differ by {gap:.1%};\n"
             "but every seed's line climbs", fontsize=10)
plt.show()

# %% [markdown]
# One pair of runs can answer *yes* or *no*: the seeds of one optimizer spread wider than
# the gap between the means. Yet every grey line climbs: seed $k$ moves both of its runs
# alike. This chapter uses that pairing, five seeds per configuration and an interval for
# every comparison.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The data, the model and the experiments
#
# **Fashion-MNIST** (Xiao, Rasul and Vollgraf, 2017; MIT licence): 28×28 grey images of ten
# kinds of clothing, shipped in `data/` with their sha256 (`data/README.md`).
# `load_fashion_mnist` verifies the files and returns fixed splits. Every choice (each
# optimizer's rate, ReduceLROnPlateau's metric) reads the validation split; the test split
# only measures. The runs were recorded on one thread of a shared 2-core CPU, so they are
# small; the cell prints the set-up.

# %%
from course_utils.data import FASHION_CLASSES, load_fashion_mnist

data = load_fashion_mnist(device=device)
record = R["optimizers"][0]
n_params = sum(p.numel() for p in registry.make_fashion_mlp(seed=0).parameters())
per_class = torch.bincount(data.y_val, minlength=10).tolist()
se = math.sqrt(0.85 * 0.15 / len(data.y_test))          # (10.7) at an accuracy of 85 %
print(f"model       {registry.MODEL}, {n_params:,} parameters")
print(f"training    {registry.TRAIN_SIZE:,} of the {len(data.y_train):,} training "
      f"images (class-stratified), batch {registry.BATCH_SIZE}, "
      f"{record['steps_per_epoch']} steps per epoch")
print(f"validation  {len(data.y_val):,} images held out from the official training set "
      f"({per_class[0]} per class)")
print(f"test        the official {len(data.y_test):,}: standard error of an accuracy "
      f"near 85 % {se:.2%} (10.7)")
print(f"runs        {registry.EPOCHS} epochs, seeds {registry.SEEDS}; tuning "
      f"{registry.TUNE_EPOCHS} epochs, seeds {registry.TUNE_SEEDS}")
assert n_params == 50_890 and set(per_class) == {500} and 0.0035 < se < 0.0037
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for c, ax in enumerate(axes):
    ax.imshow(data.x_test[(data.y_test == c).nonzero()[0, 0], 0].cpu(), cmap="gray_r")
    ax.set_title(FASHION_CLASSES[c], fontsize=7)
    ax.axis("off")
fig.suptitle("One test image per class", fontsize=9)
plt.show()

# %% [markdown]
# The differences compared below are over *paired* seeds on the same test images, where much
# of the test set's sampling noise is shared by both sides. The experiments, and the
# training time their runs took:

# %%
for name in registry.CHAPTER_12:
    experiment, fresh = EXPERIMENTS[name], [r for r in R[name] if not r.get("reused")]
    n_configs = len({r["config"]["label"] for r in R[name]})
    print(f"{name:19s} {n_configs:3d} configs × {len(experiment.seeds)} seeds, "
          f"{sum(r['seconds'] for r in fresh) / 60:5.1f} min: {experiment.question}")
total = sum(r["seconds"] for name in registry.CHAPTER_12 for r in R[name]
            if not r.get("reused"))
print(f"total training time {total / 60:.0f} min (runs reused by another experiment "
      "counted once)")

# %% [markdown]
# Each record (`data/results/NAME/CONFIG/seedK.json`) holds the config, the seed, the
# training loss per epoch and per tenth of an epoch, validation and test loss and accuracy
# per epoch, the lr, the wall time, torch's version and the device. From the command line:
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
# With five seeds the interval is wider than a normal quantile's (printed below). To compare
# configurations A and B, seed $k$ gives both the same initial weights and batch order, so
# (12.1) is applied to the **paired** differences
#
# $$
# d_k = x_k^{B} - x_k^{A}, \qquad k = 1, \dots, n. \tag{12.3}
# $$
#
# "B beats A" only when the interval of $\bar d$ excludes zero. An interval that contains
# zero says the data cannot tell, not that A and B are equal. `t_quantile`, `mean_ci` and
# `paired` (in `course_utils.experiments.stats`) compute them.

# %%
from course_utils.verify import show_source

show_source(stats.t_quantile)
show_source(mean_ci)
q = 0.975
assert abs(stats.t_quantile(q, 1) - math.tan(math.pi * (q - 0.5))) < 1e-9   # Cauchy
assert abs(stats.t_quantile(q, 2) - (2 * q - 1) / math.sqrt(2 * q * (1 - q))) < 1e-9
t4 = stats.t_quantile(q, 4)
print(f"t_0.975 with 4 degrees of freedom: {t4:.3f}; five seeds give "
      f"± {t4 / 5 ** 0.5:.2f} s (a normal quantile would give "
      f"± {1.959964 / 5 ** 0.5:.2f} s)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Tuning, fairly
#
# Optimizers are compared *tuned*, each the same way (as Choi et al., 2019, and Godbole et
# al., 2023, urge): a log-spaced grid
# of constant rates, three per decade, two seeds, 2 epochs, scored by the final validation
# accuracy, and extended at an end until the best value is interior. Plain SGD's grid must
# reach momentum's **effective step** (2.3),
#
# $$
# \eta_{\text{eff}} = \frac{\eta}{1 - \beta}, \tag{12.4}
# $$
#
# ten times $\eta$ at $\beta = 0.9$; otherwise "momentum wins" may only mean "momentum took
# a larger step".

# %%
tuned = {row["optimizer"]: row for row in stats.summary("tuning", R["tuning"])}
for name, row in tuned.items():
    grid = row["lr_grid"]
    print(f"{name:9s} best lr {row['best_lr']:<8g} grid {grid[0]:g} … {grid[-1]:g} "
          f"({len(grid)} values)")
    assert grid[0] < row["best_lr"] < grid[-1]                                # interior
beta = 0.9
eff_momentum = tuned["momentum"]["best_lr"] / (1 - beta)                     # (12.4)
assert tuned["sgd"]["lr_grid"][-1] >= eff_momentum                 # within SGD's grid
k_sgd = registry.grid_index(tuned["sgd"]["best_lr"])
k_eff = registry.grid_index(eff_momentum)
print(f"best effective steps: SGD {tuned['sgd']['best_lr']:g}, "
      f"momentum {eff_momentum:.3g}; SGD's tuned rate is "
      f"{tuned['sgd']['best_lr'] / tuned['momentum']['best_lr']:.2g} × momentum's")
assert abs(k_sgd - k_eff) <= 1                        # one grid point apart at most

# %%
fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8), sharey=True)
for name, row in tuned.items():
    eff = 1 / (1 - beta) if name in ("momentum", "nesterov") else 1.0
    best = row["lr_grid"].index(row["best_lr"])
    for ax, scale in zip(axes, (1.0, eff)):
        line, = ax.plot([lr * scale for lr in row["lr_grid"]], row["val_acc"],
                        marker="o", markersize=4, label=name)
        ax.plot(row["best_lr"] * scale, row["val_acc"][best], "*", markersize=13,
                color=line.get_color())
for ax, xlabel in zip(axes, ("learning rate η", "effective step η/(1−β) (SGD family)")):
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
axes[0].set_ylabel("validation accuracy\n(2 epochs, mean of 2 seeds)")
axes[0].set_ylim(0.6, 0.86)
axes[0].legend(fontsize=8)
fig.suptitle("Every best rate (★) is inside its grid; against the effective step, "
             "plain SGD and momentum peak together", fontsize=10)
plt.show()

# %% [markdown]
# Against the effective step (right), plain SGD's curve and momentum's nearly coincide and
# their best values are at most one grid point (a factor 2.15) apart: tuned plain SGD runs
# at several times momentum's rate (printed), near the tenfold that (12.4) suggests.
#
# **"The default learning rate is 1e-3 or 1e-4"?** The grid answers:

# %%
def val_at(name, lr):
    return tuned[name]["val_acc"][tuned[name]["lr_grid"].index(lr)]


for name in ("adam", "adamw"):
    best = max(tuned[name]["val_acc"])
    print(f"{name:6s} 1e-3: {val_at(name, 0.001):.2%}, "
          f"1e-4: {val_at(name, 0.0001):.2%}, "
          f"best ({tuned[name]['best_lr']:g}): {best:.2%}")
    assert best - val_at(name, 0.0001) > 0.05 and best - val_at(name, 0.001) < 0.03
for name in ("sgd", "momentum", "nesterov"):
    assert tuned[name]["best_lr"] > 10 * 1e-3               # over ten times 1e-3
print("SGD, momentum and Nesterov: best lr",
      ", ".join(f"{tuned[n]['best_lr']:g}" for n in ("sgd", "momentum", "nesterov")))

# %% [markdown]
# For Adam the folklore holds half-way: 1e-3 lands within three points of the best after 2
# epochs, 1e-4 more than five points short. For the SGD family the best rates are more than
# ten times 1e-3. A default starts a search; it does not replace one.
#
# **And the range test?** Chapter 10's range test suggests $\eta^\star =
# \eta_{\arg\min \hat L}/10$ (10.6) after 200 steps. Here it runs live, on the same training
# subset and batch size as the records:

# %%
from course_utils.range_test import lr_range_test

train_subset = runner.subset(data, registry.TRAIN_SIZE)
ranges = {}
for name in ("sgd", "momentum", "adam"):
    ranges[name] = lr_range_test(
        lambda: registry.make_fashion_mlp(seed=0, device=device),
        lambda params, name=name: registry.make_optimizer(name, params, 1.0),
        train_subset, start_lr=1e-5, end_lr=10.0, num_steps=200,
        batch_size=registry.BATCH_SIZE)
    ratio = tuned[name]["best_lr"] / ranges[name].suggestion
    print(f"{name:9s} range test suggests {ranges[name].suggestion:.3g}; "
          f"tuned {tuned[name]['best_lr']:g} ({ratio:.1f}×)")
    assert 1 / 2.5 < ratio < 2.5
suggested = [ranges[name].suggestion for name in ("sgd", "momentum", "adam")]
assert suggested == sorted(suggested, reverse=True)   # the grid's order
tune_steps = registry.TUNE_EPOCHS * record["steps_per_epoch"]
print(f"range test: 200 steps; one tuning run: {tune_steps} steps")

fig, ax = plt.subplots(figsize=(6.4, 3.6))
for name, test in ranges.items():
    line, = ax.plot(test.lrs, test.smoothed, label=name)
    for lr, marker in ((test.suggestion, "o"), (tuned[name]["best_lr"], "*")):
        k = min(range(len(test.lrs)), key=lambda i: abs(math.log(test.lrs[i] / lr)))
        ax.plot(test.lrs[k], test.smoothed[k], marker, color=line.get_color(),
                markersize=9)
ax.set_xscale("log")
ax.set_ylim(0, 3)
ax.set_xlabel("learning rate (rising over 200 steps)")
ax.set_ylabel("smoothed training loss")
ax.set_title("Range test: suggestion (●) within a factor 2.5 of the tuned rate (★)",
             fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# In a third of one tuning run's steps the range test lands within a factor 2.5 of each
# tuned rate, about one grid point, and orders the optimizers as the grid does. It *places*
# a grid; the grid, with its seeds, then picks the value.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Does momentum beat plain SGD once both are tuned?
#
# Five seeds of each optimizer at its tuned constant rate, 6 epochs; plain SGD and momentum
# also with a cosine decay. Each seed is a dot, the bar the 95 % interval (12.1) of the mean;
# the training loss is the mean of the last epoch's mini-batch losses.

# %%
rows = stats.summary("optimizers", R["optimizers"], metrics=("test_acc", "train_loss"))
print(stats.format_table(rows))
assert all(row["n_seeds"] >= 5 for row in rows)


def seeds_and_intervals(ax, records, labels, metric, scale=1.0, offset=0.0, ticks=None,
                        **kw):
    """Per config label: each seed's final ``metric`` a dot, the mean with its 95 %
    interval (12.1) a bar beside them."""
    for i, label in enumerate(labels):
        values = [scale * v for v in finals(records, label, metric)]
        mean, half = mean_ci(values)
        dots, = ax.plot([i + offset - 0.1] * len(values), values, ".", alpha=0.6,
                        color=kw.get("color"))
        ax.errorbar(i + offset + 0.05, mean, yerr=half, fmt="o", capsize=4,
                    color=dots.get_color(), label=kw.get("label") if i == 0 else None)
    ticks = ticks or [lab.replace("/", "\n") for lab in labels]
    ax.set_xticks(range(len(labels)), ticks, fontsize=8)
    return ax


opt_labels = [f"{o}/constant" for o in registry.OPTIMIZERS]
opt_labels += ["sgd/cosine", "momentum/cosine"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
seeds_and_intervals(axes[0], R["optimizers"], opt_labels, "test_acc", 100)
seeds_and_intervals(axes[1], R["optimizers"], opt_labels, "train_loss")
axes[0].set_ylabel("final test accuracy (%)")
axes[1].set_ylabel("final training loss")
fig.suptitle("Tuned optimizers, five seeds each: constant rates scatter, "
             "cosine decays agree", fontsize=10)
plt.show()

# %%
def compare(records, a, b, metric, scale=1.0):
    """Print and return the paired difference b − a (12.3) with its interval (12.1)."""
    mean, half = paired(records, a, b, metric)
    verdict = "excludes 0" if abs(mean) > half else "contains 0"
    print(f"{b} − {a}, {metric}: {scale * mean:+.3f} ± {scale * half:.3f} ({verdict})")
    return mean, half


O = R["optimizers"]
m_acc = compare(O, "sgd/constant", "momentum/constant", "test_acc", 100)
m_loss = compare(O, "sgd/constant", "momentum/constant", "train_loss")
n_acc = compare(O, "sgd/constant", "nesterov/constant", "test_acc", 100)
c_acc = compare(O, "sgd/cosine", "momentum/cosine", "test_acc", 100)
assert m_loss[0] + m_loss[1] < 0            # momentum ends at a lower training loss
assert m_acc[0] - m_acc[1] > 0              # and a higher test accuracy, above 0
assert c_acc[0] - c_acc[1] > 0              # with cosine too,
assert c_acc[1] < m_acc[1] / 2              # twice as precisely
assert n_acc[0] - n_acc[1] < 0 < n_acc[0] + n_acc[1]    # Nesterov vs SGD: cannot tell
nesterov = sorted(finals(O, "nesterov/constant", "test_acc"))
assert nesterov[0] < nesterov[1] - 0.02           # one seed ended on a poor epoch
same_lr = tuned["momentum"]["best_lr"]
untuned_gap = val_at("momentum", same_lr) - val_at("sgd", same_lr)
tuned_gap = val_at("momentum", same_lr) - val_at("sgd", tuned["sgd"]["best_lr"])
print(f"tuning grid, 2 epochs, momentum − SGD: both at momentum's lr {same_lr:g} "
      f"{100 * untuned_gap:+.2f} points; each at its tuned lr "
      f"{100 * tuned_gap:+.2f} points")
assert untuned_gap > 3 * tuned_gap > 0

# %% [markdown]
# Momentum ends with a lower training loss than tuned plain SGD and a test accuracy higher
# by about a point, interval clear of zero; with a cosine decay the same gain is measured
# far more precisely, since the decay removes most of the seed noise (section 6). Nesterov
# against plain SGD cannot be told apart: one Nesterov seed ended on a poor epoch (the low
# dot). On the 2-epoch tuning runs, the untuned comparison, both at momentum's rate (plain
# SGD's effective step ten times smaller), overstates the tuned gap more than three times.
#
# **"Momentum accelerates early and stabilises late"?** Early: the training loss of the
# first epoch. Late: the mean epoch-to-epoch jump of the test accuracy over the last three
# epochs.

# %%
def first_epoch_loss(records, label):
    return [r["epoch_loss"][0] for r in by_config(records)[label]]


def late_jitter(records, label):
    """Mean |change of test accuracy| between consecutive epochs, last three epochs."""
    return [statistics.fmean(abs(r["test_acc"][e] - r["test_acc"][e - 1])
                             for e in (3, 4, 5))
            for r in by_config(records)[label]]


early = [m - s for m, s in zip(first_epoch_loss(O, "momentum/constant"),
                               first_epoch_loss(O, "sgd/constant"))]
late = [m - s for m, s in zip(late_jitter(O, "momentum/constant"),
                              late_jitter(O, "sgd/constant"))]
(e_mean, e_half), (l_mean, l_half) = mean_ci(early), mean_ci(late)
print(f"epoch-1 training loss, momentum − SGD: {e_mean:+.3f} ± {e_half:.3f}")
print(f"late epoch-to-epoch jump of test accuracy, momentum − SGD: "
      f"{100 * l_mean:+.2f} ± {100 * l_half:.2f} points")
assert e_mean + e_half < 0                  # accelerates early: interval below zero
assert l_mean - l_half < 0 < l_mean + l_half     # stabilises late: the data cannot tell

# %% [markdown]
# Early, yes. Late, the data cannot tell: at tuned rates both sit in a noise ball set by
# the effective step, which tuning made about equal. What steadies the end of a run is a
# decaying rate.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Schedules at the tuned rate
#
# SGD with momentum at its tuned rate $\eta$ as the peak of eight schedules over the same
# 6 epochs, five seeds each; the cell prints how each is built from
# `course_utils.lr_scheduler`. Every schedule shares that peak, tuned for the constant rate;
# a schedule tuned on its own grid might prefer another, so the comparisons below hold at
# this peak.

# %%
SCHEDULES = registry.SCHEDULES
T = registry.EPOCHS * record["steps_per_epoch"]
built_from = {
    "constant": "—",
    "step": "StepLR(step_size=T//3, gamma=0.1): ×0.1 every 30 of 90 epochs, scaled",
    "cosine": "CosineAnnealingLR(T_max=T)",
    "warmup_cosine": "SequentialLR(LinearLR(0.01, T//20), "
                     "CosineAnnealingLR(T − T//20))",
    "onecycle": "OneCycleLR(max_lr=η, total_steps=T): 30 % up from η/25, then down to "
                "η/(25·10⁴); momentum 0.95 → 0.85 → 0.95",
    "plateau": "ReduceLROnPlateau(factor=0.1, patience=1), validation loss, per epoch",
    "wsd": "LambdaLR: 5 % warm-up, stable to 80 %, linear decay to 0",
    "linear": "LinearLR(1.0, 0.0, total_iters=T)"}
assert tuple(built_from) == SCHEDULES
print(f"T = {T} steps")
for s, how in built_from.items():
    print(f"{s:14s} {how}")


def contains_zero(m, h):
    """True when the interval m ± h holds zero: the data cannot tell the sign."""
    return m - h < 0 < m + h


M = R["schedules_momentum"]
labels = [f"momentum/{s}" for s in SCHEDULES]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
seeds_and_intervals(axes[0], M, labels, "test_acc", 100, ticks=SCHEDULES)
seeds_and_intervals(axes[1], M, labels, "train_loss", ticks=SCHEDULES)
for ax in axes:
    ax.tick_params(axis="x", labelrotation=30)
axes[0].set_ylabel("final test accuracy (%)")
axes[1].set_ylabel("final training loss")
fig.suptitle("Momentum under eight schedules: annealed ones end with far tighter seeds",
             fontsize=10)
plt.show()

# %% [markdown]
# First, the *widths*. A constant rate ends wherever its last noisy steps left the iterate;
# a schedule that anneals the rate to (about) zero ends at the bottom of its noise ball, and
# its seeds agree far more closely. Under equal spreads, the ratio of two variances from
# five seeds each follows Fisher's $F_{4,4}$, whose CDF is $3u^2 - 2u^3$ with
# $u = f/(1+f)$; its 0.975 quantile is one bisection away:

# %%
def f44_quantile(q):
    lo, hi = 0.0, 1.0                                     # u = f/(1 + f) in (0, 1)
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 3 * mid ** 2 - 2 * mid ** 3 < q else (lo, mid)
    return lo / (1 - lo)


annealed = ("cosine", "warmup_cosine", "onecycle", "wsd", "linear")  # rate ends near 0
sd = {s: statistics.stdev(finals(M, f"momentum/{s}", "test_acc")) for s in SCHEDULES}
f_crit = f44_quantile(0.975)
print(f"F_4,4 quantile 0.975: {f_crit:.2f}; variance ratio constant / annealed:",
      ", ".join(f"{s} {sd['constant'] ** 2 / sd[s] ** 2:.0f}" for s in annealed))
assert all(sd["constant"] ** 2 / sd[s] ** 2 > f_crit for s in annealed)

# %% [markdown]
# Every annealed schedule shrinks the spread more than chance allows. This, not momentum,
# is what "stabilises late". Now the paired differences from the constant rate:

# %%
decayed = [s for s in SCHEDULES if s != "constant"]
gains = {s: (paired(M, "momentum/constant", f"momentum/{s}", "train_loss"),
             paired(M, "momentum/constant", f"momentum/{s}", "test_acc"))
         for s in decayed}
print(f"{'schedule':14s} {'Δ train loss vs constant':>26s} "
      f"{'Δ test accuracy (points)':>26s}")
for s, ((lm, lh), (am, ah)) in gains.items():
    print(f"{s:14s} {lm:+17.4f} ± {lh:.4f} {100 * am:+17.2f} ± {100 * ah:.2f}")
for s in ("cosine", "warmup_cosine", "wsd"):
    assert sum(gains[s][0]) < 0                  # lower final training loss, below zero
for s in ("onecycle", "step"):
    assert gains[s][0][0] - gains[s][0][1] > 0   # higher final training loss
assert gains["wsd"][1][0] - gains["wsd"][1][1] > 0          # WSD: higher test accuracy
for s in ("cosine", "warmup_cosine", "onecycle", "linear", "step", "plateau"):
    assert contains_zero(*gains[s][1])           # the constant rate's noise hides it
wsd_vs = {s: paired(M, f"momentum/{s}", "momentum/wsd", "test_acc")
          for s in ("cosine", "warmup_cosine", "linear")}
for s, (m, h) in wsd_vs.items():
    print(f"wsd − {s}: {100 * m:+.2f} ± {100 * h:.2f} points")
    assert m - h > 0
for s in ("linear", "warmup_cosine"):
    assert contains_zero(*paired(M, "momentum/cosine", f"momentum/{s}", "test_acc"))
plateau_lrs = [r["lr"] for r in by_config(M)["momentum/plateau"]]
print("ReduceLROnPlateau's lr per epoch, by seed:", plateau_lrs)
assert [lrs[-1] < lrs[0] for lrs in plateau_lrs].count(True) == 1   # one seed cut,
assert all(len(set(lrs[:-1])) == 1 for lrs in plateau_lrs)         # for the last epoch

# %% [markdown]
# What the intervals allow us to say, each asserted above:
#
# * **Training loss** against the constant rate: lower with cosine, warm-up + cosine and
#   WSD; *higher* with one-cycle and step, which spend part of the run at small rates.
# * **Test accuracy** against the constant rate: higher for WSD; for the others the
#   constant rate's own seed noise puts zero inside every interval.
# * Between annealed schedules, where neither side is noisy: **WSD beats cosine, warm-up +
#   cosine and linear decay** by about 0.8 points, and those three cannot be told apart.
#   WSD (Hägele et al., 2024) holds the full rate for 80 % of the run: in a short run, time
#   at the full rate is progress that a long cosine tail gives away.
# * ReduceLROnPlateau (patience 1) cut the rate in one seed only, for the last epoch: in 6
#   epochs it is the constant rate. Section 9 gives it a longer run.

# %% [markdown]
# **Adam** at its tuned rate, under the same eight schedules:

# %%
adam_labels = [f"adam/{s}" for s in SCHEDULES]
fig, ax = plt.subplots(figsize=(7.6, 3.6))
seeds_and_intervals(ax, M, labels, "test_acc", 100, offset=-0.17, ticks=SCHEDULES,
                    color=BLUE, label="SGD + momentum")
seeds_and_intervals(ax, R["schedules_adam"], adam_labels, "test_acc", 100, offset=0.17,
                    ticks=SCHEDULES, color=VERMILLION, label="Adam")
ax.tick_params(axis="x", labelrotation=30)
ax.set_ylabel("final test accuracy (%)")
ax.legend(fontsize=8)
ax.set_title("Adam: every annealed schedule beats the constant rate by about a point")
plt.show()

# %%
A = R["schedules_adam"]
adam_gain = {s: paired(A, "adam/constant", f"adam/{s}", "test_acc") for s in decayed}
adam_sd = {s: statistics.stdev(finals(A, f"adam/{s}", "test_acc")) for s in SCHEDULES}
for s, (m, h) in adam_gain.items():
    ratio = adam_sd["constant"] ** 2 / adam_sd[s] ** 2
    print(f"adam {s:14s} − constant: {100 * m:+.2f} ± {100 * h:.2f} points; "
          f"variance ratio constant / {s}: {ratio:.1f}")
for s in (*annealed, "step"):
    assert adam_gain[s][0] - adam_gain[s][1] > 0                   # above zero
assert contains_zero(*adam_gain["plateau"])
assert all(adam_sd["constant"] ** 2 / adam_sd[s] ** 2 < f_crit for s in annealed)
for s in ("cosine", "warmup_cosine", "onecycle", "linear"):
    m, h = paired(A, f"adam/{s}", "adam/wsd", "test_acc")
    print(f"adam wsd − {s}: {100 * m:+.2f} ± {100 * h:.2f} points")
    assert m - h > 0                                               # WSD first again

# %% [markdown]
# Adam's constant rate already ends with a small spread (no variance ratio passes the $F$
# test), so annealing's gain shows in the mean: about a point for every annealed schedule,
# less for step, each interval clear of zero; WSD again comes first, by about 0.4 points.
# Momentum's mean gains may well be as large, hidden by its noisy constant rate.
#
# **All five optimizers.** The same eight schedules ran for plain SGD, Nesterov and AdamW
# too, each at its own tuned rate, five seeds each:

# %%
OPTIMIZERS = registry.OPTIMIZERS
grid_gain = {(o, s): paired(R[f"schedules_{o}"], f"{o}/constant", f"{o}/{s}",
                            "test_acc")
             for o in OPTIMIZERS for s in decayed}
print(f"{'':9s}" + "".join(f"{s:>15s}" for s in decayed))
for o in OPTIMIZERS:
    print(f"{o:9s}" + "".join(f"{100 * m:+8.2f} ±{100 * h:5.2f}"
                              for m, h in (grid_gain[o, s] for s in decayed)))
clear = [o for o in OPTIMIZERS if grid_gain[o, "wsd"][0] - grid_gain[o, "wsd"][1] > 0]
print("WSD's gain has an interval above zero for:", ", ".join(clear))
assert all(grid_gain[o, "wsd"][0] > 0 for o in OPTIMIZERS)   # positive mean everywhere
assert set(clear) == {"sgd", "momentum", "adam", "adamw"}     # not Nesterov
best_plain = max(decayed, key=lambda s: grid_gain["sgd", s][0])
assert best_plain == "onecycle"
assert grid_gain["sgd", "onecycle"][0] > 2 * grid_gain["sgd", "wsd"][0]
assert grid_gain["sgd", "plateau"] == (0.0, 0.0)              # never cut: constant run

fig, ax = plt.subplots(figsize=(10, 3.8))
for n, o in enumerate(OPTIMIZERS):
    x = [i + (n - 2) * 0.14 for i in range(len(decayed))]
    ax.errorbar(x, [100 * grid_gain[o, s][0] for s in decayed],
                yerr=[100 * grid_gain[o, s][1] for s in decayed], fmt="o", capsize=3,
                markersize=4, label=o)
ax.axhline(0, color=GREY, linewidth=0.8)
ax.set_xticks(range(len(decayed)), decayed, fontsize=8)
ax.set_ylabel("Δ final test accuracy\nvs constant (points)")
ax.legend(fontsize=8, ncol=5)
ax.set_title(f"Paired gain over each optimizer's constant rate: WSD's interval clears "
             f"zero for {len(clear)} of {len(OPTIMIZERS)}", fontsize=10)
plt.show()

# %% [markdown]
# WSD's mean gain is positive for every optimizer, its interval clear of zero for all but
# Nesterov, whose noisy constant run (section 5) widens every interval. Plain SGD's largest
# gain, from one-cycle, is not a schedule effect: `OneCycleLR` cycles momentum by default
# and writes $\beta = 0.95$ into an SGD built without momentum (chapter 10's pitfall), so
# "plain SGD + one-cycle" is SGD with momentum. ReduceLROnPlateau never cut plain SGD's
# rate: its runs are the constant runs, bit for bit.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The staircase
#
# Near a minimum, SGD at a constant rate settles at an excess loss roughly proportional to
# the rate (chapter 01's noise floor), so a cut by $\gamma$ should drop the loss by a step
# proportional to the rate before the cut:
#
# $$
# \mathbb E[L] - L^\ast \approx c\,\eta \quad\Longrightarrow\quad
# \Delta_{\eta \to \gamma\eta} \approx (1 - \gamma)\, c\, \eta. \tag{12.5}
# $$
#
# The second cut of a ×0.1 staircase, made from $\eta/10$, should then drop the loss by a
# tenth of the first. The `staircase` experiment measures each drop against a run identical
# up to the cut that does not make it: the constant run for the first cut, a one-cut run
# (`MultiStepLR`, one milestone) for the second.

# %%
S = by_config(R["staircase"])
chunk = S["momentum/step"][0]["chunk_steps"]
per_epoch = S["momentum/step"][0]["steps_per_epoch"]
cuts = [k * 2 * per_epoch // chunk for k in (1, 2)]   # chunks of the cuts (T//3, 2T//3)


def mean_curve(label, key="loss_chunks"):
    curves = torch.tensor([r[key] for r in S[label]])
    return curves.mean(0), curves


fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for label in ("momentum/constant", "momentum/constant_lr/10", "momentum/step_once",
              "momentum/step"):
    mean, _ = mean_curve(label)
    axes[0].plot([(i + 0.5) * chunk / per_epoch for i in range(len(mean))], mean,
                 label=label.split("/", 1)[1])
    acc, _ = mean_curve(label, "test_acc")
    axes[1].plot(range(1, len(acc) + 1), 100 * (1 - acc), marker="o",
                 label=label.split("/", 1)[1])
for ax in axes:
    for c in (2, 4):
        ax.axvline(c, color=GREY, linewidth=0.8, linestyle=":")
    ax.set_xlabel("epoch")
axes[0].set_ylim(0.3, 0.6)
axes[0].set_ylabel("training loss\n(mean over tenths of an epoch, 5 seeds)")
axes[1].set_ylabel("test error (%)")
axes[0].legend(fontsize=8)
fig.suptitle("A ×0.1 cut drops the loss at once; the second cut drops it by much less")
plt.show()

# %%
def drop(before_label, after_label, cut, width=8):
    """Per-seed drop of the mean training loss over ``width`` chunks after ``cut``
    (skipping the chunk that holds it): run that did not cut minus run that did."""
    a, b = mean_curve(before_label)[1], mean_curve(after_label)[1]
    window = slice(cut + 1, cut + 1 + width)
    return (a[:, window].mean(1) - b[:, window].mean(1)).tolist()


d1 = drop("momentum/constant", "momentum/step", cuts[0])
d2 = drop("momentum/step_once", "momentum/step", cuts[1])
(m1, h1), (m2, h2) = mean_ci(d1), mean_ci(d2)
print(f"first cut  (η → η/10):     drop {m1:.4f} ± {h1:.4f}")
print(f"second cut (η/10 → η/100): drop {m2:.4f} ± {h2:.4f}")
low, high = (m2 - h2) / (m1 + h1), (m2 + h2) / (m1 - h1)    # the ratio's range
print(f"ratio of the drops {m2 / m1:.3f} (between {low:.3f} and {high:.3f}); "
      "(12.5) predicts γ = 0.1")
assert m1 - h1 > 0 and m2 - h2 > 0                  # both cuts drop the loss
assert low < 0.1 < high                             # the second by a tenth of the first
slow = min(r["epoch_loss"][-1] for r in S["momentum/constant_lr/10"])
assert all(r["epoch_loss"][-1] < slow for label, runs in S.items()   # η/10 ends above
           if label != "momentum/constant_lr/10" for r in runs)      # every other run

# %% [markdown]
# Both cuts drop the loss at once, the second by a tenth of the first within the
# intervals, as (12.5) predicts: a cut removes the part of the loss held up by the noise of
# the rate. The staircase has a price. After a cut the loss falls more slowly, so the
# constant run, keeping its speed, ends at a *lower* training loss than the step schedule
# (section 6); and starting at $\eta/10$ is no shortcut: that run ends above every other.
# A cut pays when the loss is held up by its floor, not while it is still descending.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. One-cycle, taken apart
#
# One-cycle (Smith and Topin, 2019) changes three things at once: a warm-up (30 % of the steps, from η/25), an
# annealing to almost zero, and a momentum cycled 0.95 → 0.85 → 0.95. Four paired
# comparisons, each between two runs that differ in one ingredient, separate them (printed
# as B − A). The warm-up-then-constant run uses one-cycle's own warm-up curve (`LambdaLR`);
# one-cycle anneals over the 70 % after its warm-up, so the third comparison also moves the
# start of the annealing.

# %%
AB = R["onecycle_ablation"]
ablation = {"warm-up alone": ("momentum/constant", "momentum/warmup_constant"),
            "annealing alone": ("momentum/constant", "momentum/cosine"),
            "warm-up, given annealing": ("momentum/cosine",
                                         "momentum/onecycle_no_cycling"),
            "momentum cycling": ("momentum/onecycle_no_cycling", "momentum/onecycle")}
effects = {}
for name, (a, b) in ablation.items():
    effects[name] = {metric: paired(AB, a, b, metric)
                     for metric in ("test_acc", "train_loss")}
    (am, ah), (lm, lh) = effects[name]["test_acc"], effects[name]["train_loss"]
    print(f"{name:25s} ({b.split('/')[1]} − {a.split('/')[1]}): "
          f"Δ test accuracy {100 * am:+.2f} ± {100 * ah:.2f} points, "
          f"Δ training loss {lm:+.4f} ± {lh:.4f}")
cycling = effects["momentum cycling"]
warm_up = effects["warm-up alone"]
assert sum(cycling["test_acc"]) < 0                             # cycling costs accuracy
assert cycling["train_loss"][0] - cycling["train_loss"][1] > 0  # and training loss
assert sum(effects["annealing alone"]["train_loss"]) < 0        # annealing lowers it
assert warm_up["train_loss"][0] - warm_up["train_loss"][1] > 0  # warm-up raises it
for name in ("warm-up alone", "annealing alone", "warm-up, given annealing"):
    assert contains_zero(*effects[name]["test_acc"])            # accuracy: cannot tell
assert contains_zero(*effects["warm-up, given annealing"]["train_loss"])

fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), sharey=True)
panels = ((axes[0], "test_acc", 100, "Δ test accuracy (points)"),
          (axes[1], "train_loss", 1, "Δ final training loss"))
for ax, metric, scale, xlabel in panels:
    for y, name in enumerate(effects):
        m, h = effects[name][metric]
        ax.errorbar(scale * m, y, xerr=scale * h, fmt="o", capsize=4)
    ax.axvline(0, color=GREY, linewidth=0.8)
    ax.set_xlabel(xlabel)
axes[0].set_yticks(range(len(effects)), list(effects), fontsize=8)
axes[0].invert_yaxis()
fig.suptitle("One-cycle taken apart (paired, 95 % intervals): annealing lowers the "
             "loss, warm-up buys nothing, cycling costs", fontsize=10)
plt.show()

# %% [markdown]
# * **Annealing** lowers the final training loss and (section 6) shrinks the seed spread;
#   its gain in mean test accuracy is hidden by the constant rate's noise.
# * **Warm-up** changes the test accuracy by nothing detectable; alone it costs training
#   loss (the steps spent climbing), after annealing it cannot be told from none. At a rate
#   tuned for a constant schedule there is no instability for it to prevent; it earns its
#   keep at larger rates and batches (Goyal et al., 2017; chapter 13).
# * **Momentum cycling** *costs* a quarter of a point of accuracy (interval below zero) and
#   training loss: one-cycle without it is the better schedule here.
#
# Comparing one-cycle with a constant rate and calling the difference "what warm-up buys"
# credits warm-up with annealing's work.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Decays on longer runs: StepLR and ReduceLROnPlateau
#
# Six epochs were too short for ReduceLROnPlateau to act, and short enough for the constant
# rate to overtake the step schedule. The `long` experiment repeats constant, StepLR (cuts
# after epochs 6 and 12), ReduceLROnPlateau and cosine over 18 epochs:

# %%
L = R["long"]
print(stats.format_table(stats.summary("long", L, metrics=("test_acc", "train_loss"))))
long_gain = {s: paired(L, "momentum/constant", f"momentum/{s}", "test_acc")
             for s in ("step", "plateau", "cosine")}
for s, (m, h) in long_gain.items():
    print(f"{s:8s} − constant, 18 epochs: {100 * m:+.2f} ± {100 * h:.2f} points")
runs = by_config(L)
cuts_per_seed = [sum(b < a for a, b in zip(r["lr"], r["lr"][1:]))
                 for r in runs["momentum/plateau"]]
print("ReduceLROnPlateau cuts per seed:", cuts_per_seed)


def paired_at(a, b, epoch, key="test_acc"):
    """Paired difference b − a of ``key`` after ``epoch`` (from 1), and its interval."""
    return mean_ci([rb[key][epoch - 1] - ra[key][epoch - 1]
                    for ra, rb in zip(runs[a], runs[b])])


after_cut = paired_at("momentum/constant", "momentum/step", 7)
print(f"step − constant after epoch 7 (the first cut was after epoch 6): "
      f"{100 * after_cut[0]:+.2f} ± {100 * after_cut[1]:.2f} points")
step_vs_cos = paired(L, "momentum/step", "momentum/cosine", "test_acc")
print(f"cosine − step at the end: {100 * step_vs_cos[0]:+.2f} "
      f"± {100 * step_vs_cos[1]:.2f} points")
assert 2 <= min(cuts_per_seed) and max(cuts_per_seed) <= 3    # the plateau rule acted
assert long_gain["plateau"][0] - long_gain["plateau"][1] > 0  # and beat the constant
assert after_cut[0] - after_cut[1] > 0 and after_cut[0] > 0.01   # the first cut's jump
assert contains_zero(*long_gain["step"])                      # at the end: cannot tell
assert step_vs_cos[0] - step_vs_cos[1] > 0                    # cosine beats step
assert paired(L, "momentum/constant", "momentum/step", "train_loss")[0] > 0  # higher

fig, (ax_acc, ax_lr) = plt.subplots(1, 2, figsize=(10, 3.6))
for s in ("constant", "step", "plateau", "cosine"):
    curves = torch.tensor([r["test_acc"] for r in runs[f"momentum/{s}"]])
    line, = ax_acc.plot(range(1, 19), 100 * curves.mean(0), marker="o", markersize=3,
                        label=s)
    for r in runs[f"momentum/{s}"][: 5 if s == "plateau" else 1]:
        ax_lr.plot(range(1, 19), r["lr"], color=line.get_color(), alpha=0.7)
for ax in (ax_acc, ax_lr):
    for c in (6.5, 12.5):
        ax.axvline(c, color=GREY, linewidth=0.8, linestyle=":")
    ax.set_xlabel("epoch")
ax_acc.set_ylim(82, 87.5)
ax_acc.set_xticks(range(0, 19, 3))
ax_lr.set_xticks(range(0, 19, 3))
ax_acc.set_ylabel("test accuracy (%), mean of 5 seeds")
ax_acc.legend(fontsize=8)
ax_lr.set_yscale("log")
ax_lr.set_ylabel("learning rate (plateau: every seed)")
fig.suptitle(f"StepLR's first cut lifts accuracy by {100 * after_cut[0]:.1f} points at "
             f"once; cosine ends {100 * step_vs_cos[0]:.1f} points above it",
             fontsize=10)
plt.show()

# %% [markdown]
# ReduceLROnPlateau cut every seed's rate two or three times and ends above the constant
# rate, its interval just clear of zero. StepLR's first cut lifts the test accuracy at once
# by more than a point (section 7's staircase), but the 12 epochs at η/10 and η/100 that
# follow make slow progress: at the end its gain over the constant rate cannot be told from
# zero, and cosine beats it (cosine's own gain over the constant rate is hidden by the
# constant rate's noise). The usual claim that StepLR and ReduceLROnPlateau help on long
# runs is half-true: cuts help *when they are made*, and here the schedules that lower the
# rate late (cosine, a plateau rule that waits for a stall) kept more of it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Checking the records
#
# A committed record is evidence only if the code still produces it. `experiments check`
# re-runs the first 50 mini-batches of one seed of every configuration and compares the
# losses with the record (pytest runs it). One configuration, live:

# %%
check = by_config(R["schedules_momentum"])["momentum/onecycle"][0]
again = runner.run_one(check["config"], check["seed"], data, device=device,
                       max_steps=registry.CHECK_STEPS)
worst = max(abs(a / b - 1)
            for a, b in zip(again["check_losses"], check["check_losses"]))
print(f"{check['config']['label']}, seed {check['seed']}: "
      f"{len(again['check_losses'])} steps re-run; largest relative difference "
      f"from the record below {runner.CHECK_RTOL:g}: {worst < runner.CHECK_RTOL}")
assert worst < runner.CHECK_RTOL and again["check_lrs"] == check["check_lrs"]

# %% [markdown]
# The tolerance admits another summation order in a matrix product (another thread count
# or CPU) and little else. The slice checks the start of each run only: StepLR and the
# constant rate agree over the first 50 steps and give the same slice.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **One run per configuration:** seeds spread more than many effects (section 1). Use
#   five paired seeds and an interval.
# * **Unpaired comparisons** waste the pairing (12.3); exercise 2 counts the cost.
# * **Unequal tuning:** plain SGD at momentum's rate compares effective steps (12.4) that
#   differ tenfold. Tune each optimizer on its own grid, best value interior, on the
#   validation split, never the test split.
# * **A constant rate's last epoch is a noisy snapshot:** compare schedules on final values
#   over seeds, not on a lucky epoch.
# * **Short tuning runs, one peak:** rates tuned on 2 epochs with a constant schedule were
#   used for 6 and 18 epochs and as every schedule's peak; a longer run or another schedule
#   can prefer another rate. The conclusions hold at these rates.
# * **"Cannot tell" is not "equal":** an interval that contains zero bounds the effect; it
#   does not make it zero.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. A 95 % Student-t interval (12.1)–(12.2) on paired differences (12.3) turns "B looks
#    better" into "B is better by this much, or the data cannot tell".
# 2. Tuned fairly (interior bests, SGD's grid reaching (12.4)), plain SGD and momentum peak
#    at about the same effective step, and momentum wins by about a point. "1e-3" fits Adam
#    roughly and the SGD family not at all; a range test places the grid in seconds.
# 3. Annealing to zero ends a run at the bottom of its noise ball: for momentum a far
#    smaller seed spread, for Adam about a point of mean accuracy. WSD came first for both;
#    its mean gain is positive for all five optimizers, clear of zero for four. In
#    one-cycle, annealing helps, warm-up does nothing detectable and momentum cycling costs
#    accuracy.
# 4. A ×0.1 cut drops the loss by an amount proportional to the rate before it (12.5):
#    chapter 01's noise floor. Cut early, the lower rate slows progress; late cuts (cosine,
#    a plateau rule on a long run) keep more.
# 5. `python -m course_utils experiments run | table | check` records, summarises and
#    re-checks every run.

# %% [markdown]
# ## Exercises
#
# **1.** Is Nesterov (chapter 04; Sutskever et al., 2013) better than classical momentum
# at their tuned rates? Compute the paired interval of the final test accuracy and of the
# final training loss, and say what each shows.

# %% tags=["solution"]
for metric, scale in (("test_acc", 100), ("train_loss", 1)):
    compare(O, "momentum/constant", "nesterov/constant", metric, scale)
m, h = paired(O, "momentum/constant", "nesterov/constant", "train_loss")
assert m + h < 0        # a lower training loss, interval below zero
assert contains_zero(*paired(O, "momentum/constant", "nesterov/constant", "test_acc"))
# Nesterov's tuned rate is a grid step larger than momentum's, and it ends at a lower
# training loss; on the test split the five seeds cannot tell the two apart.

# %% [markdown]
# **2.** How many seeds would the *unpaired* comparison of momentum and plain SGD need for
# an interval as narrow as the paired one of section 5? An unpaired interval has
# half-width $t\,\sqrt{s_A^2/n + s_B^2/n}$.

# %% tags=["solution"]
s_a = statistics.stdev(finals(O, "sgd/constant", "test_acc"))
s_b = statistics.stdev(finals(O, "momentum/constant", "test_acc"))
paired_half = m_acc[1]
n = next(n for n in range(2, 1000)
         if stats.t_quantile(0.975, 2 * n - 2) * math.sqrt((s_a ** 2 + s_b ** 2) / n)
         <= paired_half)
print(f"paired half-width with 5 seeds: {100 * paired_half:.2f} points; "
      f"unpaired needs {n} seeds per configuration")
assert n > 5
# Pairing removes the part of the seed-to-seed spread that both configurations share
# (the same initial weights and batch order); without it, precision costs more runs.

# %% [markdown]
# **3.** Record plain SGD at momentum's effective step with cosine decay: add
# `config("sgd/cosine_at_eff", "sgd", lr=..., schedule="cosine")` to a new `Experiment` in
# `course_utils/experiments/registry.py`, run it (`python -m course_utils experiments run
# NAME`), and compare it with `momentum/cosine` using `paired`. (The solution sets it up
# and runs its first 50 steps; the five recorded runs are yours to make.)

# %% tags=["solution"]
lr_eff = registry.grid_lr(registry.grid_index(eff_momentum))      # (12.4), on SGD's grid
assert math.isclose(lr_eff, eff_momentum, rel_tol=1e-9)
assert lr_eff in tuned["sgd"]["lr_grid"]
experiment = registry.Experiment(
    "sgd_at_eff", "plain SGD at momentum's effective step, cosine",
    (registry.config("sgd/cosine_at_eff", "sgd", lr=lr_eff, schedule="cosine"),))
probe = runner.run_one(experiment.configs[0], 0, data, device=device,
                       max_steps=registry.CHECK_STEPS)             # a slice of seed 0
assert all(math.isfinite(v) for v in probe["check_losses"])
minutes = sum(r["seconds"] for r in by_config(O)["sgd/cosine"]) / 60
print(f"lr {lr_eff:g}; loss after {len(probe['check_losses'])} steps "
      f"{probe['check_losses'][-1]:.2f}; sgd/cosine's five seeds took {minutes:.1f} min")
# After registering it in registry.EXPERIMENTS and running it:
# paired(O, "momentum/cosine", "sgd/cosine_at_eff", "test_acc",
#        other=load_records("sgd_at_eff"))        # SGD − momentum, with its interval

# %% [markdown]
# ## References
#
# * H. Xiao, K. Rasul and R. Vollgraf, *Fashion-MNIST: a novel image dataset for
#   benchmarking machine learning algorithms*, arXiv:1708.07747, 2017.
# * D. Choi, C. J. Shallue, Z. Nado, J. Lee, C. J. Maddison and G. E. Dahl, *On empirical
#   comparisons of optimizers for deep learning*, 2019.
# * V. Godbole, G. E. Dahl, J. Gilmer, C. J. Shallue and Z. Nado, *Deep learning tuning
#   playbook*, Google Research, 2023.
# * Student (W. S. Gosset), *The probable error of a mean*, Biometrika 6, 1908.
# * I. Sutskever, J. Martens, G. Dahl and G. Hinton, *On the importance of initialization
#   and momentum in deep learning*, ICML 2013.
# * L. N. Smith and N. Topin, *Super-convergence*, 2019 (one-cycle); I. Loshchilov and
#   F. Hutter, *SGDR*, ICLR 2017 (cosine); P. Goyal et al., *Accurate, large minibatch
#   SGD*, 2017 (warm-up).
# * A. Hägele et al., *Scaling laws and compute-optimal training beyond fixed training
#   durations*, 2024 (warm-up–stable–decay).
