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
# # 09 · ReduceLROnPlateau: decay when the metric stops improving
#
# *Every schedule of chapters 07 and 08 fixes in advance when the learning rate drops.
# `ReduceLROnPlateau` waits for the evidence instead: it watches a validation metric and cuts
# the rate when the metric has stopped improving. This chapter derives its decision rule from
# its eight arguments, watches it decide on a real noisy validation curve, proves a
# from-scratch version equal to torch's (NaN metrics included), and takes apart the two traps
# that bite in practice: negative metrics in `rel` mode, and reductions silently skipped by `eps`.*
#
# **Prerequisites:** chapter 06 (why decay at all), chapter 08 (how a torch scheduler moves).
# **Runtime:** about 20 s on a laptop CPU.
#
# **After this chapter you can**
# 1. write the rule (9.1)–(9.3) from `mode`, `threshold_mode`, `threshold`, `patience`,
#    `cooldown`, `factor`, `min_lr` and `eps`, and predict the epoch of every reduction on a given curve;
# 2. read a timeline of the scheduler's state (best value, bad-epoch counter, cooldown, lr) on
#    a real training run;
# 3. implement the rule from scratch and prove it equal to `torch.optim.lr_scheduler`'s,
#    including NaN and infinite metrics;
# 4. recognise and fix the negative-metric trap of `threshold_mode='rel'`, a mismatched `mode`,
#    and the `eps` floor;
# 5. choose `patience`, `threshold`, `factor` and `cooldown` for a noisy metric.

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

device = setup(seed=0, threads=1)  # a few thousand weights: one CPU thread is fastest

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: reacting to every uptick
#
# We train a small network on real data: the 8×8 handwritten digits that ship with the course
# (chapter 10 uses them at length). A fifth of the training images is held out as a
# **validation split**; every decision in this chapter looks at it, never at the test split.
# The model is a 64-unit MLP, the optimizer SGD with momentum 0.9 at a constant $\eta = 0.1$,
# mini-batches of 64, 40 epochs, and we record the validation loss after each epoch.

# %%
from course_utils.data import load_digits
from course_utils.optim import SGD
from course_utils.train import make_mlp, train, validation_split

digits, validation = validation_split(load_digits(device=device), fraction=0.2, seed=0)
EPOCHS = 40


def run(scheduler_factory=None, epochs=EPOCHS, seed=0):
    """Train the chapter's MLP with SGD(lr=0.1, momentum=0.9) and an optional
    ReduceLROnPlateau built by ``scheduler_factory(optimizer)``; ``seed`` fixes the
    initial weights and the batch order. Return history and each epoch's lr."""
    model = make_mlp(seed=seed, device=device)
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = scheduler_factory(optimizer) if scheduler_factory else None
    history = train(model, optimizer, digits, epochs=epochs, batch_size=64,
                    scheduler=scheduler, validation=validation,
                    generator=torch.Generator().manual_seed(seed))
    return history, history.lr[::history.steps_per_epoch]


constant, constant_lrs = run()
val_curve = constant.val_loss
print(f"{len(digits.y_train)} training and {len(validation[1])} validation images")
print("validation loss, every 4th epoch:", [round(v, 3) for v in val_curve[::4]])

# %% [markdown]
# The loss falls fast for ten epochs, then wanders in a noisy band. The tempting rule, *cut
# the rate whenever the validation loss fails to improve on its best*, is `ReduceLROnPlateau`
# with `patience=0` and `threshold=0`. We give it the same run (closed loop: each reduction
# changes what the network does next) and compare:

# %%
from course_utils.lr_scheduler import ReduceLROnPlateau

naive, naive_lrs = run(lambda opt: ReduceLROnPlateau(opt, patience=0, threshold=0.0))
naive_drops = [e + 1 for e in range(1, EPOCHS) if naive_lrs[e] < naive_lrs[e - 1]]
print("naive rule: lr cut after epochs", [e - 1 for e in naive_drops],
      f"final lr {naive_lrs[-1]:.1e}")
print(f"best validation loss: constant lr {min(constant.val_loss):.4f}, "
      f"naive rule {min(naive.val_loss):.4f}")
assert len(naive_drops) >= 5 and naive_lrs[-1] < 1e-7
assert min(naive.val_loss) > 1.2 * min(constant.val_loss)

# %%
fig, (ax_loss, ax_lr) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.0))
epochs = range(1, EPOCHS + 1)
ax_loss.plot(epochs, constant.val_loss, marker="o", markersize=3,
             label="constant lr 0.1")
ax_loss.plot(epochs, naive.val_loss, marker="o", markersize=3,
             label="cut on every uptick")
ax_loss.set_yscale("log")
ax_loss.set_ylabel("validation loss")
ax_loss.legend()
ax_loss.set_title("Cutting the lr on every noisy uptick freezes training "
                  "at a worse loss")
ax_lr.step(epochs, constant_lrs, where="post")
ax_lr.step(epochs, naive_lrs, where="post")
ax_lr.set_yscale("log")
ax_lr.set_ylabel("lr during the epoch")
ax_lr.set_xlabel("epoch")
plt.show()

# %% [markdown]
# The naive rule mistakes noise for a plateau: the first uptick comes while the loss is still
# falling, a few more cuts follow in quick succession, and the rate ends at $10^{-8}$ with
# the network frozen more than 20 % above the loss the constant rate reaches. (Why exactly
# $10^{-8}$ and not lower is the `eps` story of section 6.) A useful rule needs three things the naive one
# lacks: a notion of *significant* improvement (`threshold`), a tolerance for a few bad
# epochs (`patience`), and a pause after each cut for the metric to respond (`cooldown`).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The decision rule, derived
#
# Let $m_e$ be the metric passed to `step` at epoch $e = 1, 2, \dots$, $b$ the best value seen
# so far (it starts at $+\infty$ in `min` mode, $-\infty$ in `max` mode), and $\theta$ the
# threshold. An epoch is an **improvement** when
#
# $$
# \text{better}(m_e, b) =
# \begin{cases}
# m_e < b\,(1-\theta) & \text{min, rel} \\
# m_e < b - \theta & \text{min, abs} \\
# m_e > b\,(1+\theta) & \text{max, rel} \\
# m_e > b + \theta & \text{max, abs}
# \end{cases} \tag{9.1}
# $$
#
# An improvement sets $b \leftarrow m_e$ and the bad-epoch counter $k \leftarrow 0$; anything
# else is a bad epoch, $k \leftarrow k + 1$. While the cooldown counter $c$ is positive it
# counts down and bad epochs are forgotten:
#
# $$
# k_e = \begin{cases} 0 & \text{better}(m_e, b) \\ k_{e-1} + 1 & \text{otherwise} \end{cases},
# \qquad \text{then if } c > 0:\; c \leftarrow c - 1,\; k_e \leftarrow 0. \tag{9.2}
# $$
#
# When the counter exceeds the patience $P$, every parameter group $i$ is cut by the factor
# $\gamma$, but never below its floor $\eta_{\min,i}$, and only if the cut is larger than
# $\varepsilon$; then the cooldown starts and the counter resets:
#
# $$
# \text{if } k_e > P:\quad \eta_i' = \max(\gamma\,\eta_i,\; \eta_{\min,i}),\quad
# \eta_i \leftarrow \eta_i' \text{ only if } \eta_i - \eta_i' > \varepsilon;\qquad
# c \leftarrow C,\; k_e \leftarrow 0. \tag{9.3}
# $$
#
# | symbol | meaning | code name here | torch argument / attribute |
# |---|---|---|---|
# | $m_e$ | metric at epoch $e$ | `metric` | `step(metrics)` |
# | $b$ | best metric so far | `best` | `best` |
# | min / max | which direction is better | `mode` | `mode` |
# | rel / abs | relative or absolute margin | `threshold_mode` | `threshold_mode` |
# | $\theta$ | margin of a real improvement | `threshold` | `threshold` |
# | $k$ | consecutive bad epochs | `bad` | `num_bad_epochs` |
# | $P$ | bad epochs tolerated | `patience` | `patience` |
# | $C$, $c$ | cooldown length, epochs left | `cooldown`, `cool` | `cooldown`, `cooldown_counter` |
# | $\gamma$ | reduction factor | `factor` | `factor` |
# | $\eta_{\min,i}$ | floor of group $i$ | `min_lrs` | `min_lr` (a number or one per group) |
# | $\varepsilon$ | smallest reduction applied | `eps` | `eps` |
#
# Three consequences follow by reading (9.2)–(9.3) on a **flat** metric. The first epoch is
# always an improvement (anything beats $\pm\infty$; the one exception is `min`/`rel` with
# $\theta \ge 1$, where $b(1-\theta)$ is NaN or $-\infty$ and nothing ever improves), so
# epochs $2, 3, \dots$ are bad and the counter reaches $P + 1$ at epoch $P + 2$:
#
# $$
# e_1 = P + 2 \quad\text{(the lr drops after } P+1 \text{ bad epochs, not } P\text{)}. \tag{9.4}
# $$
#
# After a cut, $C$ epochs of cooldown pass with the counter held at zero, then $P + 1$ more
# bad epochs are needed, so later cuts come every
#
# $$
# e_{j+1} - e_j = C + P + 1 \text{ epochs}. \tag{9.5}
# $$
#
# And with $\eta_{\min} = 0$ the cut $\eta(1-\gamma)$ is applied only while it exceeds
# $\varepsilon$, so the rate stops falling at the first value with
#
# $$
# \eta \le \frac{\varepsilon}{1-\gamma}. \tag{9.6}
# $$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. From scratch
#
# The rule is a pure function of a small state and the new metric. Written as one, it can be
# replayed on any recorded curve, and compared with any implementation:

# %%
from typing import NamedTuple


class PlateauState(NamedTuple):
    best: float      # b
    bad: int         # k
    cool: int        # c
    lrs: tuple       # η_i, one per param group


def improved(metric, best, mode, threshold, threshold_mode):
    """(9.1), with torch's order of floating-point operations."""
    rel = threshold_mode == "rel"
    if mode == "min":
        return metric < (best * (1.0 - threshold) if rel else best - threshold)
    return metric > (best * (threshold + 1.0) if rel else best + threshold)


def plateau_step(state, metric, *, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lrs=(0.0,), eps=1e-8):
    """One epoch of (9.2)–(9.3); returns the new state."""
    best, bad, cool, lrs = state
    if improved(metric, best, mode, threshold, threshold_mode):
        best, bad = metric, 0                                                   # (9.2)
    else:
        bad += 1                                                                # (9.2)
    if cool > 0:
        cool, bad = cool - 1, 0                                                 # (9.2)
    if bad > patience:
        cut = [max(lr * factor, floor) for lr, floor in zip(lrs, min_lrs)]      # (9.3)
        lrs = tuple(new if lr - new > eps else lr for lr, new in zip(lrs, cut))  # (9.3)
        cool, bad = cooldown, 0                                                 # (9.3)
    return PlateauState(best, bad, cool, lrs)


def replay(metrics, lrs=(0.1,), mode="min", **rule):
    """Run plateau_step over a recorded curve; one state per epoch."""
    state = PlateauState(math.inf if mode == "min" else -math.inf, 0, 0, tuple(lrs))
    states = []
    for metric in metrics:
        state = plateau_step(state, float(metric), mode=mode, **rule)
        states.append(state)
    return states


# %% [markdown]
# The consequences (9.4)–(9.6) are now one-line checks. On a flat metric, for several
# patiences and cooldowns, the cuts come at epoch $P + 2$ and then every $C + P + 1$ epochs;
# and the rate stops at the first value below $\varepsilon/(1-\gamma)$:

# %%
def cut_epochs(states, start_lr=0.1):
    lrs = [start_lr] + [s.lrs[0] for s in states]
    return [e for e in range(1, len(lrs)) if lrs[e] < lrs[e - 1]]


for P in (0, 1, 3):
    for C in (0, 2):
        cuts = cut_epochs(replay([1.0] * 30, factor=0.5, patience=P, cooldown=C))
        assert cuts[0] == P + 2                                                 # (9.4)
        assert all(b - a == C + P + 1 for a, b in zip(cuts, cuts[1:]))          # (9.5)
print("flat metric, patience 3, cooldown 2: cuts at epochs",
      cut_epochs(replay([1.0] * 30, factor=0.5, patience=3, cooldown=2)))

# θ ≥ 1: not even epoch 1 improves
assert cut_epochs(replay([1.0] * 3, patience=0, threshold=1.0)) == [1, 2, 3]
stuck = replay([1.0] * 40, patience=0, eps=1e-8)[-1].lrs[0]
assert stuck <= 1e-8 / (1 - 0.1) < stuck / 0.1                                  # (9.6)
print(f"patience 0, factor 0.1, eps 1e-8: the lr stops at {stuck:.3g} "
      f"<= eps/(1-factor) = {1e-8 / 0.9:.3g}")

# %% [markdown]
# To *see* the rule decide, `decide` labels every epoch **better** (an improvement by (9.1)),
# **bad** (counted), **cooldown** (not counted) or **reduce** (9.3), and `draw_plateau` draws
# the labelled metric, the bar it had to beat (the right side of (9.1)) and the lr it leaves.
# The pitfalls and the explorer of section 7 use both.

# %%
from course_utils.plotting import BLACK, BLUE, GREY, SKY, VERMILLION

COLOURS = {"better": BLUE, "bad": GREY, "cooldown": SKY, "reduce": VERMILLION}


def decide(metrics, *, lr=0.1, mode="min", threshold=1e-4, threshold_mode="rel",
           patience=10, **rest):
    """Per epoch: (label, the bar to beat, the PlateauState after the step)."""
    state = PlateauState(math.inf if mode == "min" else -math.inf, 0, 0, (lr,))
    rule = dict(mode=mode, threshold=threshold, threshold_mode=threshold_mode,
                patience=patience, **rest)
    rows = []
    for metric in map(float, metrics):
        better = improved(metric, state.best, mode, threshold, threshold_mode)  # (9.1)
        scale = 1.0 - threshold if mode == "min" else threshold + 1.0
        margin = -threshold if mode == "min" else threshold
        to_beat = state.best * scale if threshold_mode == "rel" else state.best + margin
        label = ("better" if better else "cooldown" if state.cool > 0
                 else "reduce" if state.bad + 1 > patience else "bad")  # (9.2)-(9.3)
        state = plateau_step(state, metric, **rule)
        rows.append((label, to_beat, state))
    return rows


def draw_plateau(metrics, *, axes=None, legend=True, **rule):
    """The metric coloured by decision over the lr it leaves; returns the cut epochs."""
    if axes is None:
        axes = plt.subplots(2, 1, sharex=True, figsize=(7, 4.2),
                            gridspec_kw={"height_ratios": [2, 1]})[1]
    ax_m, ax_lr = axes
    rows = decide(metrics, **rule)
    epochs = range(1, len(rows) + 1)
    ax_m.plot(epochs, metrics, color=GREY, linewidth=0.8)
    bars = [b if math.isfinite(b) else math.nan for _, b, _ in rows]
    ax_m.plot(epochs, bars, drawstyle="steps-mid", color=BLACK, linestyle=":",
              linewidth=1, label="to beat (9.1)")
    for label, colour in COLOURS.items():
        at = [e for e, row in zip(epochs, rows) if row[0] == label]
        ax_m.scatter(at, [metrics[e - 1] for e in at], s=16, color=colour, zorder=3,
                     label=label)
    if min(metrics) > 0 and max(metrics) > 5 * min(metrics):
        ax_m.set_yscale("log")
    ax_lr.step(epochs, [s.lrs[0] for _, _, s in rows], where="post", color=BLACK)
    ax_lr.set_yscale("log")
    ax_lr.set(xlabel="epoch", ylabel="lr after")
    ax_m.set_ylabel("metric")
    if legend:
        ax_m.legend(fontsize=8, ncol=3)
    return cut_epochs([s for _, _, s in rows], start_lr=rule.get("lr", 0.1))

# %% [markdown]
# The course's class, `course_utils.lr_scheduler.ReduceLROnPlateau`, is the same rule with
# torch's bookkeeping (param groups, `state_dict`, a tensor lr filled in place). Its `step`,
# improvement test and reduction:

# %%
from course_utils.verify import show_source

show_source(ReduceLROnPlateau.step)
show_source(ReduceLROnPlateau._is_better)
show_source(ReduceLROnPlateau._reduce_lr)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Proof: the same decisions as torch, epoch by epoch
#
# `course_utils.plateau.trace_plateau` steps any ReduceLROnPlateau through a recorded curve and
# records, per epoch, the lr of every group, `best`, `num_bad_epochs` and `cooldown_counter`.
# We compare three implementations (the function above, the course's class and torch's) on
# five curves: the recorded validation loss, the same with NaN and $+\infty$ injected (a
# diverged evaluation), the negative accuracy $-a_e$ (a metric below zero), the accuracy itself,
# and a flat line, over a grid of every argument. Equality is exact: every `best`, every
# counter and every lr, in every epoch.

# %%
import itertools

import torch.optim.lr_scheduler as torch_sched

from course_utils.plateau import trace_plateau

broken = list(val_curve)
broken[12], broken[13], broken[30] = math.nan, math.nan, math.inf
curves = {"validation loss": val_curve, "with NaN and inf": broken,
          "negative accuracy": [-a for a in constant.val_acc],
          "accuracy": constant.val_acc, "flat": [0.5] * EPOCHS}
grid = dict(mode=["min", "max"], threshold_mode=["rel", "abs"], threshold=[1e-4, 0.05],
            patience=[0, 3], cooldown=[0, 2], factor=[0.1, 0.5], eps=[1e-8, 1e-3])


def two_groups():
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    return torch.optim.SGD([{"params": params[:1], "lr": 0.1},
                            {"params": params[1:], "lr": 0.03}])


def one_group(lr=0.1):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def torch_trace(metrics, optimizer=None, **rule):
    """torch's ReduceLROnPlateau(**rule) replayed on ``metrics`` (two groups)."""
    scheduler = torch_sched.ReduceLROnPlateau(optimizer or two_groups(), **rule)
    return trace_plateau(scheduler, metrics)


checked = 0
for name, curve in curves.items():
    for values in itertools.product(*grid.values()):
        rule = dict(zip(grid, values))
        floors = [1e-3, 0.0]
        ours = trace_plateau(ReduceLROnPlateau(two_groups(), min_lr=floors, **rule),
                             curve)
        theirs = trace_plateau(
            torch_sched.ReduceLROnPlateau(two_groups(), min_lr=floors, **rule), curve)
        mode = rule.pop("mode")
        mine = replay(curve, lrs=(0.1, 0.03), mode=mode, min_lrs=(1e-3, 0.0), **rule)
        assert ours.state() == theirs.state(), (name, rule)
        assert [s.lrs for s in mine] == list(theirs.lrs)
        assert [s.best for s in mine] == list(theirs.best)
        assert [(s.bad, s.cool) for s in mine] == list(zip(theirs.num_bad_epochs,
                                                           theirs.cooldown_counter))
        checked += 1
print(f"{checked} (curve, arguments) pairs x {EPOCHS} epochs: "
      "from scratch == course == torch, exactly")

# %% [markdown]
# NaN deserves a sentence of its own, because the grid passed it silently: every comparison
# with NaN is false, so a NaN epoch is never an improvement and never becomes `best`; it is
# an ordinary bad epoch. An infinite loss is the same in `min` mode. A run whose evaluation
# diverges is therefore cut after $P+1$ such epochs, which is what you want, but the
# scheduler never *tells* you that it saw NaN: stop a diverged run yourself (chapter 10).

# %%
nan_trace = torch_trace([1.0, math.nan, math.inf, 0.5], patience=1)
print("metric:", nan_trace.metric, " best:", nan_trace.best,
      " bad epochs:", nan_trace.num_bad_epochs)
assert nan_trace.best == (1.0, 1.0, 1.0, 0.5)
assert nan_trace.num_bad_epochs == (0, 1, 0, 0)
assert nan_trace.reductions == (3,)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Watching it decide on a real run
#
# Now a sensible configuration in the closed loop: `patience=3` (four bad epochs in a row
# before a cut), `factor=0.5` (halve, rather than the default divide-by-ten), `cooldown=2`.
# The scheduler's decisions depend only on the sequence of metrics it is given, so replaying
# the run's recorded validation losses through a *fresh* scheduler must reproduce, epoch by
# epoch, the lr the training run actually used. That is the check below, and the replay is
# what the timeline draws.

# %%
from course_utils.plateau import plot_plateau_timeline

rule = dict(patience=3, factor=0.5, cooldown=2)
tuned, tuned_lrs = run(lambda opt: ReduceLROnPlateau(opt, **rule))
timeline = trace_plateau(ReduceLROnPlateau(one_group(), **rule), tuned.val_loss)
assert list(timeline.lr[:-1]) == tuned_lrs[1:]    # the lr set after epoch e runs e + 1
print("cuts after epochs", timeline.reductions,
      "; lr", [f"{lr:.3g}" for lr in sorted(set(timeline.lr), reverse=True)])
for first, second in zip(timeline.reductions, timeline.reductions[1:]):
    assert second - first >= rule["cooldown"] + rule["patience"] + 1   # (9.5): at least

# %%
axes = plot_plateau_timeline(timeline, metric_label="validation loss",
                             title="Each cut follows 4 bad epochs in a row; "
                                   "cooldown epochs (shaded) do not count")
axes[0].set_yscale("log")
plt.show()

# %% [markdown]
# Read the timeline from top to bottom. An epoch is *bad* whenever the validation loss (dots)
# fails to beat the best so far (dashed line) by the threshold; the bars count bad epochs in
# a row, and a cut (vertical line, orange bar) comes when a bar passes the patience line.
# The blue bands are the cooldown: bad epochs there are not counted, so the network gets two
# epochs to settle at its new rate before the scheduler judges it again. A few cuts, each
# after a genuine stall.
#
# **Did the cuts help?** Comparing the best validation losses of the two runs would prove
# nothing: the runs are identical until the first cut, and here the first cut comes *after*
# the minimum, so the best is the same number in both (checked below). What can differ is what
# happens after the first cut. Five seeds (initial weights and batch order), each trained at the constant rate
# and with the rule, compared over the epochs after that seed's first cut, with the 95 %
# Student-t interval of the mean paired difference (chapter 12 builds `mean_ci`):

# %%
from course_utils.experiments.stats import mean_ci


def after_first_cut(seed):
    """Relative gain in mean validation loss after the first cut (constant → plateau,
    > 0: the cuts helped), the ratio of final training losses (plateau / constant)."""
    const, _ = run(seed=seed)
    plateau, lrs = run(lambda opt: ReduceLROnPlateau(opt, **rule), seed=seed)
    cut = next(e for e, lr in enumerate(lrs) if lr < lrs[0])   # first epoch, lower rate
    v_c, v_p = (sum(h.val_loss[cut:]) / (EPOCHS - cut) for h in (const, plateau))
    gain, ratio = (v_c - v_p) / v_c, plateau.epoch_loss[-1] / const.epoch_loss[-1]
    return cut, gain, ratio, (const, plateau)


best_at = val_curve.index(min(val_curve)) + 1
print(f"seed 0: best validation loss after epoch {best_at}, "
      f"first cut after epoch {timeline.reductions[0]}")
assert best_at < timeline.reductions[0] and min(tuned.val_loss) == min(val_curve)

cuts, gains, ratios, pairs = zip(*(after_first_cut(seed) for seed in range(5)))
gain, half = mean_ci(gains)
print("first cut after epoch:", cuts)
print("validation-loss gain after it:", [f"{g:+.1%}" for g in gains],
      f"mean {gain:+.1%} ± {half:.1%}")
print("final training loss, plateau / constant:", [f"{r:.2f}" for r in ratios])
assert gain - half < 0 < gain + half   # the interval holds 0: no detectable gain
assert min(ratios) > 1.3               # every seed: the cuts slowed the training fit
still_fitting = [const.epoch_loss[-1] / const.epoch_loss[cut - 1]
                 for cut, (const, _) in zip(cuts, pairs)]
print("constant rate, training loss at the end / at the first cut:",
      [f"{r:.2f}" for r in still_fitting])
assert max(still_fitting) < 0.5        # still fitting: it more than halves after the cut

# %%
fig, (ax_train, ax_val) = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
for const, plateau in pairs:
    for ax, key in ((ax_train, "epoch_loss"), (ax_val, "val_loss")):
        ax.plot(epochs, getattr(const, key), color=BLUE, linewidth=1)
        ax.plot(epochs, getattr(plateau, key), color=VERMILLION, linewidth=1)
ax_train.set(yscale="log", xlabel="epoch", ylabel="loss")
ax_train.set_title(f"training: cuts leave it {min(ratios):.1f}-"
                   f"{max(ratios):.1f}x higher")
ax_val.set(xlabel="epoch", title=f"validation: mean gain {gain:+.1%} ± {half:.1%}")
ax_val.legend(ax_val.get_lines()[:2], ["constant lr 0.1", "ReduceLROnPlateau"])
fig.suptitle("Five seeds: the cuts slow the fit and do not lower the validation loss")
plt.show()

# %% [markdown]
# The validation loss after the cut moves both ways from seed to seed and the interval of the
# mean gain contains zero; the training loss ends at least 30 % *higher* on every seed. At
# $\eta = 0.1$ this small network is still fitting its 1,151 images when the validation loss
# stalls: at the constant rate its training loss more than halves after the first cut's epoch
# on every seed. The stall is the gap between training and validation, not a noise floor, so
# lowering the rate mostly slows the fit. A decay lowers the loss when the loss is held up by the noise of a large constant
# rate; chapter 12 shows that case on Fashion-MNIST, where the training loss drops at each cut.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Pitfalls
#
# **Negative metrics in `rel` mode.** For $b > 0$, $b(1-\theta)$ lies *below* $b$ and (9.1)
# asks for a real decrease. For $b < 0$ it lies *above* $b$: $b(1-\theta) = b + \theta|b|$, so
# a metric slightly *worse* than the best still counts as an improvement, and then becomes
# the new best. A common way to meet this is to minimise the negative accuracy,
# `scheduler.step(-val_acc)` with the default `mode='min'`. On a flat $-a_e$ the counter never
# rises and the lr is never cut; on a slowly worsening one, `best` follows it down:

# %%
flat_neg = torch_trace([-0.96] * 20, patience=2)
worsening = [-0.96 + 0.0001 * e for e in range(20)]    # accuracy falls 0.01 % an epoch
drift = torch_trace(worsening, patience=2, threshold=0.01)
flat_pos = torch_trace([0.96] * 20, patience=2)
print("flat -0.96, rel: cuts", flat_neg.reductions,
      "| flat +0.96, rel: cuts", flat_pos.reductions)
print(f"worsening negative metric, threshold 0.01: cuts {drift.reductions}, "
      f"best ends at {drift.best[-1]:.4f} (the true best was {worsening[0]})")
assert flat_neg.reductions == () and flat_pos.reductions == (4, 7, 10, 13, 16, 19)
assert drift.reductions == () and drift.best[-1] == worsening[-1] > worsening[0]

# %% [markdown]
# The fixes: give the scheduler the metric with its natural sign and mode (`mode='max'` on
# the accuracy), or use `threshold_mode='abs'`, whose margin $b \mp \theta$ does not depend on
# the sign of $b$. Both cut the lr on the flat curve, as they should:

# %%
fixed_max = torch_trace([0.96] * 20, mode="max", patience=2)
fixed_abs = torch_trace([-0.96] * 20, threshold_mode="abs", patience=2)
print("mode='max' on +accuracy: cuts", fixed_max.reductions,
      "| abs mode on -accuracy: cuts", fixed_abs.reductions)
assert fixed_max.reductions == fixed_abs.reductions == flat_pos.reductions

# %% [markdown]
# On the worsening curve the difference is plain to see: the dotted bar of (9.1) sits *above*
# the best in `rel` mode, so every worse epoch clears it, and *below* it in `abs` mode.

# %%
fig, grid = plt.subplots(2, 2, sharex=True, sharey="row", figsize=(10, 4.4),
                         gridspec_kw={"height_ratios": [2, 1]})
for col, threshold_mode in enumerate(("rel", "abs")):
    rule_ = dict(threshold=0.01, threshold_mode=threshold_mode, patience=2)
    cuts_ = draw_plateau(worsening, axes=grid[:, col], legend=col == 1, **rule_)
    assert tuple(cuts_) == torch_trace(worsening, one_group(), **rule_).reductions
    grid[0, col].set_title(f"threshold_mode='{threshold_mode}': cuts after {cuts_}")
grid[0, 0].set_ylabel("−accuracy")
grid[0, 1].set_ylabel("")
grid[1, 1].set_ylabel("")
fig.suptitle("Accuracy falling 0.01 % an epoch, fed as −accuracy; "
             "threshold 0.01, patience 2")
plt.show()

# %% [markdown]
# **The wrong mode.** `mode` defaults to `'min'`. Hand it an accuracy and every *improvement*
# is a bad epoch: on our run, the default `mode` with `patience=3` cuts the rate while the
# accuracy is still climbing:

# %%
acc = constant.val_acc
wrong_mode = torch_trace(acc, patience=3)
right_mode = torch_trace(acc, mode="max", patience=3)
first_cut = wrong_mode.reductions[0]
print(f"mode='min' on accuracy: first cut after epoch {first_cut}, "
      f"at accuracy {acc[first_cut - 1]:.3f} (final {acc[-1]:.3f}); "
      f"mode='max': first cut after epoch {right_mode.reductions[0]}")
assert first_cut <= 6 and max(acc[first_cut:]) > acc[first_cut - 1] + 0.01
assert right_mode.reductions[0] > 2 * first_cut

# %% [markdown]
# **The `eps` floor.** A cut smaller than `eps` is skipped, silently, by (9.3). With the
# default `eps=1e-8` and `factor=0.1`, (9.6) stops the rate at $10^{-8}$; that is where the naive
# run of section 1 got stuck. It also means that a model trained at a tiny rate from the start
# is never cut at all: with `lr=1e-8` every step of the scheduler leaves it alone.

# %%
def flat_run(lr, **rule_):
    """torch's ReduceLROnPlateau(patience=0) on 14 epochs of a flat metric."""
    return torch_trace([1.0] * 14, one_group(lr), patience=0, **rule_)


floor_runs = {"lr 0.1, eps 1e-8 (default)": flat_run(0.1),
              "lr 0.1, eps 0": flat_run(0.1, eps=0.0),
              "lr 1e-8, eps 1e-8": flat_run(1e-8),
              "lr 1e-8, eps 0": flat_run(1e-8, eps=0.0)}
for name, trace in floor_runs.items():
    print(f"{name:<27} cuts after {trace.reductions}, final lr {trace.lr[-1]:.1e}")
stops = floor_runs["lr 0.1, eps 1e-8 (default)"].lr[-1]
assert stops <= 1e-8 / (1 - 0.1) < stops / 0.1                                 # (9.6)
assert floor_runs["lr 1e-8, eps 1e-8"].reductions == ()
assert floor_runs["lr 1e-8, eps 0"].reductions == tuple(range(2, 15))
assert math.isclose(naive_lrs[-1], 1e-8, rel_tol=1e-9)

fig, ax = plt.subplots(figsize=(7, 3))
for (name, trace), marker in zip(floor_runs.items(), " ^sv"):
    wide = marker == " "                   # the default, drawn wide beneath the others
    ax.plot(range(1, 15), trace.lr, marker=marker, markersize=4, label=name,
            linewidth=7 if wide else 1.5, alpha=0.35 if wide else 1)
ax.axhline(1e-8 / 0.9, color=GREY, linestyle=":", label="ε/(1−γ) (9.6)")
ax.set(yscale="log", xlabel="epoch (flat metric, patience 0, factor 0.1)",
       ylabel="lr after",
       title=f"eps = 1e-8 stops the cuts at {stops:.2g}, never cuts a run begun there")
ax.legend(fontsize=8, loc="lower left")
plt.show()

# %% [markdown]
# **Per-group floors.** `min_lr` may be one number per parameter group; each group stops at
# its own floor while the others go on. Here a backbone at 0.01 with floor $10^{-3}$ and a
# head at 0.1 with floor $10^{-4}$:

# %%
groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr}
          for lr in (0.01, 0.1)]
floors = torch_trace([1.0] * 6, torch.optim.SGD(groups), patience=0,
                     min_lr=[1e-3, 1e-4])
print("lrs per epoch:", [tuple(f"{lr:.0e}" for lr in lrs) for lrs in floors.lrs])
assert floors.lrs[1][0] == floors.lrs[-1][0] == 1e-3
assert math.isclose(floors.lrs[-1][1], 1e-4, rel_tol=1e-12)

# %% [markdown]
# **It does not compose, and it no longer talks.** `SequentialLR` and `ChainedScheduler`
# refuse it (its `step` needs a metric), and its `verbose=True` of old tutorials is gone since
# torch 2.7 (chapter 08, pitfall (e)); log `get_last_lr()` yourself:

# %%
opt = two_groups()
try:
    torch_sched.SequentialLR(opt, [torch_sched.LinearLR(opt),
                                   torch_sched.ReduceLROnPlateau(opt)], milestones=[5])
except ValueError as err:
    print("SequentialLR:", str(err)[:72], "…")
print("get_last_lr():", torch_sched.ReduceLROnPlateau(two_groups()).get_last_lr())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Choosing the arguments: explore them
#
# With a live kernel, move the arguments over the curves recorded in section 1 (open loop, as
# in section 4) and watch each epoch's decision. Try `threshold` from $10^{-4}$ to 0.1 on the
# loss; `patience` from 0 to 5; the accuracy with `mode='min'` (the wrong mode); the negative
# accuracy in `rel` mode, then in `abs`.

# %%
# NBVAL_IGNORE_OUTPUT
# (widget views carry random ids; the small multiples below are this cell, tested)
import ipywidgets as w

from course_utils.widgets import explorer, log_slider, slider

CURVES = {"validation loss": val_curve, "validation accuracy": constant.val_acc,
          "−accuracy": [-a for a in constant.val_acc]}


def explore(curve, min_lr, **rule_):
    draw_plateau(CURVES[curve], min_lrs=(min_lr,), **rule_)


explorer(explore, curve=w.Dropdown(options=list(CURVES), description="metric"),
         mode=w.Dropdown(options=["min", "max"], description="mode"),
         threshold_mode=w.Dropdown(options=["rel", "abs"], description="thr. mode"),
         threshold=log_slider("threshold", 1e-4, 1e-5, 0.3),
         patience=w.IntSlider(3, 0, 10, description="patience"),
         cooldown=w.IntSlider(0, 0, 5, description="cooldown"),
         factor=slider("factor", 0.5, 0.05, 0.95, 0.05),
         min_lr=log_slider("min_lr", 1e-8, 1e-8, 0.1))

# %% [markdown]
# Without a kernel, the same lesson as small multiples on the validation loss, `factor=0.5`:
# `patience` 0 and 3 (rows) against `threshold` $10^{-4}$ or 0.1 and `cooldown` 0 or 2
# (columns). Each panel's cuts are checked against torch's scheduler on the same metrics.

# %%
fig, axes = plt.subplots(4, 4, figsize=(12, 7), sharex=True, sharey="row",
                         layout="constrained",
                         gridspec_kw={"height_ratios": [2, 1, 2, 1]})
panels = {}
for i, patience in enumerate((0, 3)):
    for j, (threshold, cooldown) in enumerate(itertools.product((1e-4, 0.1), (0, 2))):
        ax_m, ax_lr = axes[2 * i, j], axes[2 * i + 1, j]
        rule_ = dict(patience=patience, threshold=threshold, cooldown=cooldown,
                     factor=0.5)
        cuts_ = draw_plateau(val_curve, axes=(ax_m, ax_lr), legend=False, **rule_)
        assert tuple(cuts_) == torch_trace(val_curve, one_group(), **rule_).reductions
        panels[patience, threshold, cooldown] = cuts_
        ax_m.set_title(f"P={patience}, θ={threshold:g}, C={cooldown}: "
                       f"{len(cuts_)} cuts, first after {cuts_[0]}", fontsize=9)
        ax_m.set(yscale="linear", ylim=(0.06, 0.16), ylabel="" if j else "val. loss")
        ax_lr.set(ylim=(1e-9, 0.3), ylabel="" if j else "lr",
                  xlabel="epoch" if i else "")
fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=5)
fig.suptitle("Patience and cooldown thin the cuts; a threshold at the noise's size "
             "brings the first one forward")
plt.show()
for key, value in panels.items():
    print("patience {}, threshold {:g}, cooldown {}: cuts after {}".format(*key, value))
assert len(panels[3, 1e-4, 0]) < len(panels[0, 1e-4, 2]) < len(panels[0, 1e-4, 0]) / 2
for P in (0, 3):
    assert panels[P, 0.1, 0][0] < panels[P, 1e-4, 0][0]    # θ = 0.1: an earlier cut

# %% [markdown]
# * **Which metric.** A validation metric, once per epoch: never the training loss (it keeps
#   falling, so the rule rarely fires) nor the test split. A loss is smoother than an accuracy,
#   which moves in steps of one image ($1/287$ here).
# * **`threshold` and `patience` against the noise.** The default $\theta = 10^{-4}$ is far
#   below the epoch-to-epoch noise, so it acts like $\theta = 0$ (checked below); a $\theta$
#   near the noise lets only real progress count. `patience=0` cuts while the loss still has
#   far to go; `patience=3` waits for a flat curve.
# * **`factor` and `cooldown`.** 0.5 is gentler than the default 0.1 and can afford a wrong
#   cut; a cooldown of one or two epochs lets the metric react before the next judgement.
#
# And checkpoint it: `best`, `num_bad_epochs` and `cooldown_counter` are state, which a resumed
# run without them loses (chapter 10 saves it in a full checkpoint).

# %%
default_theta = torch_trace(val_curve, patience=0)
zero_theta = torch_trace(val_curve, patience=0, threshold=0.0)
patient = torch_trace(val_curve, patience=3)
early = default_theta.reductions[0]
remaining = 1 - min(val_curve) / val_curve[early - 1]
print("threshold 1e-4 and 0 give the same cuts:",
      default_theta.reductions == zero_theta.reductions)
print(f"patience 0: first cut after epoch {early}, with {remaining:.0%} of the loss "
      f"still to go; patience 3: first cut after epoch {patient.reductions[0]}")
assert default_theta.state() == zero_theta.state()
assert remaining > 0.3 and patient.reductions[0] > 2 * early

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. An epoch improves when the metric beats the best by the threshold (9.1); bad epochs are
#    counted, and forgotten during cooldown (9.2); after $P + 1$ of them the lr is cut by
#    `factor`, floored at `min_lr`, unless the cut is below `eps` (9.3). On a flat metric the
#    first cut comes at epoch $P + 2$ (9.4) and later ones every $C + P + 1$ epochs (9.5).
# 2. The timeline (best, bad-epoch counter, cooldown, lr) explains every cut, and the
#    decisions are a pure function of the metric sequence: replaying a run's recorded metrics
#    reproduces its learning rates. On the digits, over five seeds, its cuts gained nothing
#    detectable on the validation loss and slowed the fit of the training set.
# 3. A twenty-line pure function reproduces torch's scheduler exactly, NaN and $\infty$
#    included (they are bad epochs and never become `best`).
# 4. In `rel` mode a negative metric turns the margin around, so flat or worsening values
#    count as improvements: use `abs`, or the metric's natural sign with the right `mode`.
#    `eps` stops the rate at $\varepsilon/(1-\gamma)$ (9.6).
# 5. Feed a validation metric; set `threshold` and `patience` from its noise; prefer a gentle
#    `factor` with a short `cooldown`; checkpoint the scheduler's state.

# %% [markdown]
# ## Exercises
#
# **1.** Predict by hand, then check with `replay`: on the metric sequence
# `5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3` with `patience=2, cooldown=1, threshold=0` (`min`, `rel`), after
# which epochs is the lr cut?

# %% tags=["solution"]
# Epoch 1 and 2 improve (5, then 4). Epochs 3, 4, 5 are bad: k = 1, 2, 3 > 2, cut
# after epoch 5, cooldown 1. Epoch 6 is bad but in cooldown (k held at 0). Epoch 7
# improves (3). Epochs 8, 9, 10 are bad: cut after epoch 10, cooldown 1; epoch 11 in
# cooldown, epoch 12 bad (k = 1).
sequence = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3]
print(cut_epochs(replay(sequence, patience=2, cooldown=1, threshold=0.0)))
assert cut_epochs(replay(sequence, patience=2, cooldown=1, threshold=0.0)) == [5, 10]

# %% [markdown]
# **2.** Smooth the metric before the scheduler sees it: feed the bias-corrected exponential
# average $\hat m_e$ of the validation loss ($\beta = 0.7$) to a `patience=0` rule, on the
# recorded curve. When does it make its first cut, and how many before epoch 20, compared with
# the raw curve?

# %% tags=["solution"]
def smoothed(curve, beta=0.7):
    average, out = 0.0, []
    for e, m in enumerate(curve, start=1):
        average = beta * average + (1 - beta) * m
        out.append(average / (1 - beta ** e))
    return out


raw_cuts = cut_epochs(replay(val_curve, patience=0))
smooth_cuts = cut_epochs(replay(smoothed(val_curve), patience=0))
print("raw:", raw_cuts, "smoothed:", smooth_cuts)
early_cuts = [sum(e < 20 for e in c) for c in (raw_cuts, smooth_cuts)]
print("cuts before epoch 20: raw", early_cuts[0], "smoothed", early_cuts[1])
assert smooth_cuts[0] > raw_cuts[0] and early_cuts[1] < early_cuts[0]
# The average does not turn up on a single noisy epoch, so the first cut waits until the
# smoothed loss itself stops falling; both runs then cut until eps stops them (9.6).

# %% [markdown]
# **3.** Show that `mode='max'` on the accuracy and `mode='min'` on the negative accuracy make
# the same decisions in `abs` mode (`patience=3`), and find the first epoch where their
# bad-epoch counters differ in `rel` mode with `threshold=0.01`. Why do they differ?

# %% tags=["solution"]
acc = constant.val_acc
as_max = replay(acc, mode="max", threshold_mode="abs", patience=3)
as_neg = replay([-a for a in acc], mode="min", threshold_mode="abs", patience=3)
same = [a.lrs == b.lrs for a, b in zip(as_max, as_neg)]
rel_max = replay(acc, mode="max", patience=3, threshold=0.01)
rel_neg = replay([-a for a in acc], mode="min", patience=3, threshold=0.01)
differ = next((e + 1 for e in range(EPOCHS) if rel_max[e].bad != rel_neg[e].bad), None)
print("abs: identical in every epoch:", all(same),
      "| rel: first epoch with different counters:", differ)
assert all(same) and differ is not None
# By (9.1), max/rel asks a > b(1 + θ), while min/rel on −a asks −a < −b(1 − θ), that is
# a > b(1 − θ): the negated metric accepts accuracies up to θ·b below the best.

# %% [markdown]
# ## References
#
# * PyTorch documentation, [`torch.optim.lr_scheduler.ReduceLROnPlateau`](https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html),
#   and its source in `torch/optim/lr_scheduler.py`, whose rule (9.1)–(9.3) this chapter derives.
# * Keras, `keras.callbacks.ReduceLROnPlateau`, the callback the design comes from (`min_delta`,
#   `cooldown`, `min_lr`).
# * PyTorch issues [#38622](https://github.com/pytorch/pytorch/issues/38622) and
#   [#47513](https://github.com/pytorch/pytorch/issues/47513): `rel` mode with negative metrics;
#   optax's `reduce_on_plateau` met the same sign problem (google-deepmind/optax PR #1767).
# * S. Raschka, STAT 453 lecture code (2021), trains MNIST with SGD, momentum and
#   ReduceLROnPlateau, printing its (since removed) `verbose` messages.
# * L. Prechelt, *Early stopping — but when?*, in Neural Networks: Tricks of the Trade (1998):
#   why a noisy validation curve needs patience before a decision.
