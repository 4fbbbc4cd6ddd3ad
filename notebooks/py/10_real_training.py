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
# # 10 · Putting it together on real data
#
# *Everything so far ran on quadratics and recorded curves. Here the course's optimizers and
# schedulers train real networks on real images, the 8×8 handwritten digits: proven equal to
# `torch.optim` on whole training runs, tuned with a learning-rate range test built from
# scratch, stopped when they diverge, and checkpointed so that a resumed run is bit for bit
# the run that was never interrupted. Which optimizer and schedule to choose is a question
# for more data and more seeds than fit here: chapter 12 answers it on Fashion-MNIST.*
#
# **Prerequisites:** chapters 02 and 04 (momentum, Nesterov), 05 (Adam), 06–09 (schedules and
# schedulers).
# **Runtime:** about 15 s on a laptop CPU.
#
# **After this chapter you can**
# 1. train a small MLP and CNN with from-scratch optimizers and schedulers and prove the whole
#    run equal to torch's;
# 2. run a learning-rate range test, read its curve, and turn it into a learning rate;
# 3. say why a small test set and three seeds cannot rank optimizers or schedules, by
#    computing the noise of a test accuracy;
# 4. recognise a diverging run, loud (NaN) or quiet (finite but exploding), and stop it with a
#    message that names the step and the learning rate;
# 5. checkpoint model, optimizer, scheduler and every random state so that resuming is exact,
#    in a file that `torch.load(..., weights_only=True)` accepts.

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
import numpy as np
import torch

from course_utils.device import setup
from course_utils.plotting import BLACK, GREY, VERMILLION

device = setup(seed=0, threads=1)  # a few thousand weights: one CPU thread is fastest

# %% [markdown]
# **The data.** The 1,797 handwritten digits of the UCI optical-recognition set ship with the course
# (`data/`, with source, licence and checksum), 8×8 grey levels scaled to $[0, 1]$, split
# once and for all into 1,438 training and 359 test images, stratified by class. We hold out
# a fifth of the training images as a **validation split**: every choice made while training
# (a learning rate, the metric that ReduceLROnPlateau watches) looks at it, and the test split
# only measures the final result. Data and models live on `device`; on a GPU the printed
# numbers can differ from the CPU's in the last digit of a loss.

# %%
from course_utils.data import load_digits
from course_utils.train import make_cnn, make_mlp, train, validation_split

digits, validation = validation_split(load_digits(device=device), fraction=0.2, seed=0)
print(f"{len(digits.y_train) + len(validation[1]) + len(digits.y_test):,} images: "
      f"train {tuple(digits.x_train.shape)}, validation {tuple(validation[0].shape)}, "
      f"test {tuple(digits.x_test.shape)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: a learning rate far too large
#
# SGD with momentum 0.9 trains the MLP of this chapter well at $\eta \approx 0.4$ (section 4
# finds that number). At $\eta = 10$ it fails, but look *how* it fails: the loss never
# becomes NaN. It climbs to hundreds of times its start, the ReLUs die, and the network
# settles at chance accuracy, every number perfectly finite. A loop that only checks for NaN would report a
# finished run.

# %%
from course_utils.optim import SGD


def mlp_run(lr, epochs=5, model=None, **loop):
    model = make_mlp(seed=0, device=device) if model is None else model
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    return train(model, optimizer, digits, epochs=epochs, batch_size=128, **loop)


@torch.no_grad()
def dead_share(model):
    """Share of the hidden ReLUs that output 0 on every test image."""
    return float((model[:3](digits.x_test) == 0).all(dim=0).float().mean())


quiet_model = make_mlp(seed=0, device=device)
quiet = mlp_run(10.0, model=quiet_model, max_loss_ratio=None)   # only the NaN check
print(f"lr 10: largest step loss {max(quiet.loss):.3g} (first {quiet.loss[0]:.3g}), "
      f"test accuracy {quiet.test_acc[-1]:.2f}, "
      f"dead ReLUs {dead_share(quiet_model):.0%}")
assert all(torch.isfinite(torch.tensor(quiet.loss)))
assert max(quiet.loss) > 100 * quiet.loss[0]
assert quiet.test_acc[-1] < 0.15                         # chance: one digit in ten
assert dead_share(quiet_model) > 0.9
assert abs(quiet.loss[0] - np.log(10)) < 0.1    # untrained: L_1 ≈ ln 10, used below

# %% [markdown]
# The course's loop therefore stops a run on either sign of divergence, and says where:
#
# $$
# L_t \notin \mathbb R \quad\text{or}\quad L_t > c\,L_1 \;\Rightarrow\; \text{stop at step } t, \tag{10.1}
# $$
#
# with $L_t$ the loss of the $t$-th mini-batch and $c$ = `max_loss_ratio` = 10. (For ten
# classes $L_1 \approx \ln 10 = 2.3$, so $c L_1 \approx 23$: the network then gives the right
# class a probability of $e^{-23}$ (geometric mean). No healthy run goes there.) The quiet
# failure is now loud, and so is the NaN one, at an absurd rate:

# %%
from course_utils.guards import DivergenceError
from course_utils.train import History

guarded = History(steps_per_epoch=-(-len(digits.y_train) // 128))  # keeps the steps run
for lr, loop in [(10.0, {"history": guarded}), (1e8, {"max_loss_ratio": None})]:
    try:
        mlp_run(lr, **loop)
    except DivergenceError as err:
        print(f"lr {lr:g}: {err}")
    else:
        raise AssertionError("this run was meant to diverge")
stop = guarded.steps + 1                      # the step whose loss tripped (10.1)
assert stop == next(t for t, L in enumerate(quiet.loss, 1) if L > 10 * quiet.loss[0])

# %% [markdown]
# (10.1) is a net for explosions, not a substitute for looking at the validation accuracy. At
# a milder $\eta = 3$ the network still dies, but its loss only reaches a few times its start,
# and the run finishes near chance accuracy (below 30 %) without a word:

# %%
milder_model = make_mlp(seed=0, device=device)
milder = mlp_run(3.0, model=milder_model)
print(f"lr 3: largest step loss {max(milder.loss):.3g}, "
      f"test accuracy {milder.test_acc[-1]:.2f}, "
      f"dead ReLUs {dead_share(milder_model):.0%}, no DivergenceError")
assert max(milder.loss) < 10 * milder.loss[0] and milder.test_acc[-1] < 0.3
assert dead_share(milder_model) > 0.9

healthy = mlp_run(0.4)
fig, ax = plt.subplots(figsize=(7, 3.4))
for h, name in ((quiet, "η = 10, NaN check only"), (milder, "η = 3"),
                (healthy, "η = 0.4")):
    ax.plot(range(1, h.steps + 1), h.loss, linewidth=1,
            label=f"{name}: test accuracy {h.test_acc[-1]:.2f}")
ax.axhline(10 * quiet.loss[0], color=GREY, linestyle=":",
           label="c·L₁ with c = 10 (10.1)")
ax.axvline(stop, color=VERMILLION, linewidth=1)
ax.text(stop + 1, 0.05, f"(10.1) stops η = 10 at step {stop}", color=VERMILLION)
ax.set(yscale="log", xlabel="step", ylabel="mini-batch loss",
       title="Divergence without a NaN: η = 10 climbs past c·L₁, η = 3 dies below it")
ax.legend(fontsize=8, loc="upper right")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Models and the training loop
#
# Two small models, each initialised from its own seed on the CPU (so the initial weights
# are the same on every device) without touching the global generator:

# %%
from course_utils.verify import show_source

show_source(make_mlp)
show_source(make_cnn)
for name, model in [("MLP", make_mlp()), ("CNN", make_cnn())]:
    print(f"{name}: {sum(p.numel() for p in model.parameters()):,} parameters")

# %% [markdown]
# One step of the loop is (10.1), then
#
# $$
# \theta_t = \text{optimizer step on } \nabla L_t \text{ with } \eta_t, \qquad
# \eta_{t+1} = \text{scheduler}(t + 1), \tag{10.2}
# $$
#
# with the scheduler stepped after the optimizer, every step; ReduceLROnPlateau is stepped
# once per epoch on the validation loss instead. The mini-batch order is drawn from a
# `torch.Generator` the caller owns, which is what makes a run repeatable and, in section 6,
# resumable:

# %%
show_source(train)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Whole runs, proven equal to torch
#
# Chapters 04–09 proved each optimizer and scheduler equal to torch's on small problems.
# The same must hold for a full training run, where thousands of tiny differences could
# compound. Two runs per model, the course's classes against torch's, same initial weights,
# same batches:
#
# * the MLP with `SGD(momentum=0.9, nesterov=True)` and `OneCycleLR` (which also cycles the momentum);
# * the CNN with `Adam` and a linear warm-up joined to a cosine decay by `SequentialLR`.
#
# On the CPU the comparison is **bitwise**: the course's code performs torch's tensor
# operations in torch's order, and torch's CPU default is its single-tensor for-loop. On a GPU
# torch defaults to its `foreach` kernels, which may round differently, so there the check is
# `torch.testing.assert_close`'s float32 tolerance.

# %%
import torch.optim.lr_scheduler as torch_sched

import course_utils.optim as our_optim
import course_utils.lr_scheduler as our_sched
from course_utils.train import parameters_equal

EPOCHS_CHECK = 3


def one_run(model_fn, optim_lib, sched_lib, make_opt, make_sched):
    model = model_fn(seed=0, device=device)
    optimizer = make_opt(optim_lib, model.parameters())
    total = EPOCHS_CHECK * -(-len(digits.y_train) // 64)
    history = train(model, optimizer, digits, epochs=EPOCHS_CHECK, batch_size=64,
                    scheduler=make_sched(sched_lib, optimizer, total),
                    validation=validation)
    return model, history


# %%
runs = {
    "MLP · SGD Nesterov + OneCycleLR": (make_mlp,
        lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        lambda s, opt, T: s.OneCycleLR(opt, max_lr=0.3, total_steps=T)),
    "CNN · Adam + warm-up, cosine": (make_cnn,
        lambda o, p: o.Adam(p, lr=0.01),
        lambda s, opt, T: s.SequentialLR(
            opt, [s.LinearLR(opt, 0.01, total_iters=T // 10),
                  s.CosineAnnealingLR(opt, T - T // 10)], [T // 10])),
}

# %%
exact = device.type == "cpu"   # bitwise on the CPU; float32 tolerance on a GPU
whole_runs = {}
for name, (model_fn, make_opt, make_sched) in runs.items():
    ours, h_ours = one_run(model_fn, our_optim, our_sched, make_opt, make_sched)
    theirs, h_theirs = one_run(model_fn, torch.optim, torch_sched, make_opt, make_sched)
    assert parameters_equal(ours, theirs, exact=exact)
    assert h_ours.lr == h_theirs.lr and (h_ours.loss == h_theirs.loss or not exact)
    whole_runs[name] = h_ours, h_theirs
    print(f"{name}: {h_ours.steps} steps, same lr at every step, same parameters "
          f"at the end (test accuracy {h_ours.test_acc[-1]:.3f})")

# %%
fig, (ax_loss, ax_lr) = plt.subplots(1, 2, figsize=(10, 3.4))
for (name, (h_ours, h_theirs)), colour in zip(whole_runs.items(), ("C0", "C1")):
    ax_loss.plot(h_ours.loss, color=colour, linewidth=3, alpha=0.5,
                 label=f"{name}, ours")
    ax_loss.plot(h_theirs.loss, color="k", linewidth=0.7, linestyle="--")
    ax_lr.plot(h_ours.lr, color=colour, linewidth=3, alpha=0.5)
    ax_lr.plot(h_theirs.lr, color="k", linewidth=0.7, linestyle="--")
ax_loss.plot([], color="k", linewidth=0.7, linestyle="--", label="torch.optim (both)")
ax_loss.set(yscale="log", xlabel="step", ylabel="mini-batch loss")
ax_loss.legend(fontsize=8)
ax_lr.set(yscale="log", xlabel="step", ylabel="learning rate (group 0)")
fig.suptitle("Whole runs: the course's classes (wide), torch's (dashed), step for step")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Choosing the learning rate: the range test, from scratch
#
# Before comparing optimizers we need a learning rate for each, chosen the same way for all.
# The **range test** trains a fresh model for a couple of hundred steps while the rate grows,
# and watches the loss. Smith (2017) introduced it with a *linear* ramp (the "LR range test" of
# cyclical learning rates); the version used here — a geometric ramp, a smoothed loss and a stop
# at divergence — is fastai's `lr_find`:
#
# $$
# \eta_i = \eta_{\text{start}} \left(\eta_{\text{end}}/\eta_{\text{start}}\right)^{i/(n-1)}, \quad i = 0, \dots, n-1. \tag{10.3}
# $$
#
# The mini-batch loss is noisy, so it is smoothed by an exponential average, bias-corrected
# exactly like Adam's moments (chapter 05):
#
# $$
# a_i = \beta a_{i-1} + (1-\beta) L_i,\quad a_{-1} = 0, \qquad \hat L_i = \frac{a_i}{1-\beta^{i+1}}. \tag{10.4}
# $$
#
# The test stops when the run diverges, by a rule like (10.1) measured against the lowest
# smoothed loss so far:
#
# $$
# L_i \notin \mathbb R \quad\text{or}\quad \hat L_i > k \min_{j<i} \hat L_j, \tag{10.5}
# $$
#
# with its own factor $k$ (4 here), smaller than (10.1)'s $c$ because it is measured against
# the best loss so far, not the first.
#
# And it suggests a rate a safe distance below the minimum of the smoothed curve, because the
# minimum sits at the edge of stability (a little further on, the loss explodes):
#
# $$
# \eta^\star = \eta_{\arg\min \hat L} / d, \qquad d = 10 \text{ (fastai's rule of thumb)}. \tag{10.6}
# $$
#
# | symbol | meaning | code name |
# |---|---|---|
# | $\eta_{\text{start}}, \eta_{\text{end}}, n$ | range and number of steps | `start_lr`, `end_lr`, `num_steps` |
# | $\beta$ | smoothing | `beta` |
# | $k$ | divergence factor | `diverge_factor` |
# | $d$ | back-off from the minimum | `divide_by` |

# %%
from course_utils.range_test import lr_range_test

show_source(lr_range_test)

# %% [markdown]
# One test per optimizer, 200 steps from $10^{-4}$ to $10^2$, mini-batches of 128, $\beta = 0.9$:

# %%
OPTIMIZERS = {
    "SGD": lambda params, lr=1.0: our_optim.SGD(params, lr=lr),
    "momentum": lambda params, lr=1.0: our_optim.SGD(params, lr=lr, momentum=0.9),
    "Nesterov": lambda params, lr=1.0: our_optim.SGD(params, lr=lr, momentum=0.9,
                                                     nesterov=True),
    "Adam": lambda params, lr=1.0: our_optim.Adam(params, lr=lr),
}
BATCH = 128


def range_test(make, beta=0.9):
    return lr_range_test(lambda: make_mlp(seed=0, device=device), make, digits,
                         start_lr=1e-4, end_lr=100.0, num_steps=200, batch_size=BATCH,
                         beta=beta)


range_tests = {name: range_test(make) for name, make in OPTIMIZERS.items()}
print(f"{'optimizer':10s} {'min of L̂ at':>12s} {'η* = min/10':>12s} "
      f"{'stopped at':>11s}")
for name, r in range_tests.items():
    print(f"{name:10s} {r.lr_at_min:12.3g} {r.suggestion:12.3g} {r.stop_lr:11.3g}")
    assert r.diverged and r.suggestion < r.lr_at_min < r.stop_lr
stop_at = {name: r.stop_lr for name, r in range_tests.items()}
assert stop_at["SGD"] > 10 * max(stop_at["momentum"], stop_at["Nesterov"])
assert stop_at["Adam"] < min(stop_at["momentum"], stop_at["Nesterov"])

# %%
fig, ax = plt.subplots(figsize=(6.4, 4.2))
colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
for (name, r), colour in zip(range_tests.items(), colours):
    lrs = r.lrs[:len(r.smoothed)]
    ax.plot(lrs, r.smoothed, color=colour, label=name)
    ax.plot(r.lrs, r.losses, color=colour, alpha=0.2, linewidth=1)
    at_suggestion = np.interp(np.log(r.suggestion), np.log(lrs), r.smoothed)
    ax.plot(r.suggestion, at_suggestion, marker="v", color=colour, markersize=8)
ax.set_xscale("log")
ax.set_ylim(0, 4)
ax.set_xlabel("learning rate (grows every step)")
ax.set_ylabel("training loss (smoothed; raw faint)")
ax.set_title("Momentum explodes at a rate >10× smaller than plain SGD; ▼ = suggestion")
ax.legend()
plt.show()

# %% [markdown]
# **Reading the curves.** Each has three parts: on the left the rate is too small to move the
# loss in a few steps; in the middle the loss falls, fastest where the curve is steepest; on
# the right it turns up and explodes. Momentum and Nesterov explode at a rate more than ten
# times smaller than plain SGD's: their effective step is $\eta/(1-\mu) = 10\,\eta$ (chapter 02's
# $\alpha/(1-\beta)$, with torch's $\mu$ for the momentum: $\beta$ is the smoothing here), and
# a range test measures the rate that the *effective* step can stand. Adam's explosion comes
# earlier still, since its step is about $\eta$ per coordinate whatever the gradient's size.
#
# **Is $d = 10$ right?** It is a rule of thumb; a minimum measured while the rate keeps
# growing is a noisy, lagging estimate (the average (10.4) trails the raw loss by about
# $1/(1-\beta) = 10$ steps). So we let the validation split decide between the suggestion
# and a bolder $d = 3$, training each for 25 epochs at a constant rate (one seed: this picks a
# rate for the rest of the chapter; it is a choice, not evidence about the optimizers):

# %%
EPOCHS = 25
STEPS = EPOCHS * -(-len(digits.y_train) // BATCH)


def constant_run(name, lr, seed=0):
    model = make_mlp(seed=seed, device=device)
    return train(model, OPTIMIZERS[name](model.parameters(), lr), digits, epochs=EPOCHS,
                 batch_size=BATCH, validation=validation,
                 generator=torch.Generator().manual_seed(seed))


PEAK, candidate_runs = {}, {}
for name, r in range_tests.items():
    candidates = {d: r.lr_at_min / d for d in (10, 3)}
    candidate_runs[name] = {d: constant_run(name, lr) for d, lr in candidates.items()}
    losses = {d: h.val_loss[-1] for d, h in candidate_runs[name].items()}
    best_d = min(losses, key=losses.get)
    PEAK[name] = candidates[best_d]
    print(f"{name:9s} validation loss with d=10: {losses[10]:.4f}, "
          f"d=3: {losses[3]:.4f} -> lr {PEAK[name]:.3g}")
assert round(PEAK["momentum"], 1) == 0.4                  # the η ≈ 0.4 of section 1

# %%
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), sharey=True)
for ax, (name, by_d) in zip(axes, candidate_runs.items()):
    for d, h in by_d.items():
        lr = range_tests[name].lr_at_min / d
        ax.plot(range(1, EPOCHS + 1), h.val_loss, label=f"d = {d}: η = {lr:.2g}",
                linewidth=2.5 if lr == PEAK[name] else 1)
    ax.set(title=name, xlabel="epoch", yscale="log")
    ax.legend(fontsize=8)
axes[0].set_ylabel("validation loss")
fig.suptitle("The back-off d chosen on the validation split (thick: the rate kept)")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. What this data set cannot tell us
#
# The natural next step would be a grid: every optimizer with every schedule, over a few
# seeds, ranked by final accuracy. On the digits it would rank noise. The test split holds
# $n = 359$ images; a model whose true accuracy is $p$ scores a binomial fraction of them,
# with standard error
#
# $$
# \operatorname{se}(\hat p) = \sqrt{p (1-p) / n}. \tag{10.7}
# $$
#
# At $p = 0.96$ that is about one point, and two points is one image in fifty. A mean over
# three seeds carries a 95 % interval $\pm t_{0.975,2}\, s/\sqrt 3 \approx \pm 2.5\, s$
# (chapter 12's (12.1)) with $s$ the seed-to-seed spread; three seeds of momentum at its
# chosen rate, below, put that interval at more than a point either side, so configurations
# closer than a couple of points cannot be told apart. Fair tuning is a second problem: a
# plain-SGD rate and a momentum rate found by one range test each are not tuned the same way
# (momentum's effective step is $\eta/(1-\mu)$, chapter 02). Chapter 12 does the comparison on
# Fashion-MNIST with a tuning grid per optimizer, five seeds per configuration and 95 %
# intervals.

# %%
import statistics

n_test = len(digits.y_test)
se = math.sqrt(0.96 * 0.04 / n_test)                                         # (10.7)
q = 0.975
t_2 = (2 * q - 1) / math.sqrt(2 * q * (1 - q))    # Student's t quantile, 2 d.o.f.
print(f"{n_test} test images: standard error of an accuracy near 96 % is {se:.2%}; "
      f"3 seeds: 95% interval ± {t_2 / math.sqrt(3):.2f} × (seed spread)")
assert 0.009 < se < 0.011
seed_acc = [constant_run("momentum", PEAK["momentum"], seed=seed).test_acc[-1]
            for seed in range(3)]
spread = statistics.stdev(seed_acc)
print(f"momentum, η = {PEAK['momentum']:.2g}, seeds 0-2: test accuracy "
      f"{[round(a, 3) for a in seed_acc]}, s = {spread:.2%}, "
      f"95% interval of the mean ± {t_2 * spread / math.sqrt(3):.2%}")
assert t_2 * spread / math.sqrt(3) > 0.01

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Checkpoint and resume, exactly
#
# A run that is interrupted and resumed should be the run that never stopped: same
# parameters, bit for bit. That holds only if the checkpoint carries *everything* the next
# step reads:
#
# | piece | without it | saved as |
# |---|---|---|
# | model | everything is lost | `model.state_dict()` |
# | optimizer | momentum buffers, Adam's $m$, $v$, $t$; the lr and momentum a scheduler wrote | `optimizer.state_dict()` |
# | scheduler | its position (`last_epoch`), ReduceLROnPlateau's best and counters | `scheduler.state_dict()` |
# | torch RNG | dropout masks drawn after the resume | `torch.get_rng_state()` (and the GPU's) |
# | data order | which mini-batches come next | `generator.get_state()` |
#
# (Python's `random` and NumPy's generators are not used by this loop; if yours draws from
# them, save them too.) The recipe: build the model, optimizer and scheduler **exactly as at
# the start of training**, then load the states into them. The order matters: the
# optimizer's state restores the lr, `initial_lr` and momentum that the scheduler's
# constructor just overwrote, then the scheduler's restores its position.

# %%
from course_utils.checkpoint import load_checkpoint, save_checkpoint

show_source(save_checkpoint)
show_source(load_checkpoint)

# %% [markdown]
# The proof: an MLP *with dropout* (so the torch RNG matters), Adam with `OneCycleLR`
# (which also writes $\beta_1$ into the param groups), six epochs straight, against three
# epochs, a checkpoint, fresh objects built from other seeds and another global RNG state,
# the checkpoint loaded, and three more epochs. Then the same with each piece left out.

# %%
import tempfile
from pathlib import Path

RESUME_EPOCHS, SPLIT = 6, 3


def fresh(seed=0):
    model = make_mlp(dropout=0.1, seed=seed, device=device)
    optimizer = our_optim.Adam(model.parameters(), lr=0.01)
    total = RESUME_EPOCHS * -(-len(digits.y_train) // 64)
    scheduler = our_sched.OneCycleLR(optimizer, max_lr=0.02, total_steps=total)
    return model, optimizer, scheduler, torch.Generator().manual_seed(seed)


def straight():
    torch.manual_seed(1)
    model, optimizer, scheduler, gen = fresh()
    history = train(model, optimizer, digits, epochs=RESUME_EPOCHS, batch_size=64,
                    scheduler=scheduler, generator=gen, progress=True,
                    desc="straight run")
    return model, history

# %%
def resumed(path, **restore):
    """k epochs, a checkpoint, fresh objects (other seeds, other RNG state), load,
    N − k more. ``restore`` may switch off a piece: scheduler=False, rng=False or
    data=False."""
    torch.manual_seed(1)
    model, optimizer, scheduler, gen = fresh()
    history = train(model, optimizer, digits, epochs=SPLIT, batch_size=64,
                    scheduler=scheduler, generator=gen)
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler,
                    generator=gen)
    torch.manual_seed(99)                             # a new process: another RNG state
    model, optimizer, scheduler, gen = fresh(seed=7)  # and other initial weights
    load_checkpoint(path, model=model, optimizer=optimizer,
                    scheduler=scheduler if restore.get("scheduler", True) else None,
                    generator=gen if restore.get("data", True) else None,
                    rng=restore.get("rng", True))
    train(model, optimizer, digits, epochs=RESUME_EPOCHS - SPLIT, batch_size=64,
          scheduler=scheduler, generator=gen, history=history)    # the steps continue
    return model, history

# %%
reference, reference_history = straight()
with tempfile.TemporaryDirectory() as tmp:
    checks = {"nothing (full checkpoint)": {}, "the scheduler": {"scheduler": False},
              "the torch RNG": {"rng": False},
              "the data-order generator": {"data": False}}
    resumes = {left_out: resumed(Path(tmp) / "ckpt.pt", **restore)
               for left_out, restore in checks.items()}
same = {left_out: parameters_equal(reference, model, exact=exact)
        for left_out, (model, _) in resumes.items()}
for left_out, equal in same.items():
    print(f"left out: {left_out:26s} resumed == straight: {equal}")
assert [left_out for left_out, equal in same.items() if equal] == [next(iter(checks))]

# %%
fig, (ax_lr, ax_gap) = plt.subplots(1, 2, figsize=(10, 3.4))
steps = range(1, reference_history.steps + 1)
ax_lr.plot(steps, reference_history.lr, color=GREY, linewidth=5, label="straight run")
for left_out, (_, h) in resumes.items():
    gap = [abs(a - b) for a, b in zip(h.loss, reference_history.loss)]
    ax_lr.plot(steps, h.lr, linewidth=1)
    ax_gap.plot(steps, gap, label=f"left out: {left_out}",
                linewidth=1 if max(gap) else 2)
    assert (max(gap) == 0) == same[left_out] or not exact  # a gap iff the models differ
    assert (h.lr == reference_history.lr) == (left_out != "the scheduler")
split_step = SPLIT * reference_history.steps_per_epoch
for ax in (ax_lr, ax_gap):
    ax.axvline(split_step + 0.5, color=BLACK, linestyle=":", linewidth=1)
ax_lr.set(xlabel="step", ylabel="learning rate",
          title="lr: only the scheduler's state matters")
ax_gap.set_yscale("symlog", linthresh=1e-6)
ax_gap.set(ylim=(-3e-7, 1), xlabel="step", ylabel="|loss − straight run's loss|",
           title="loss: 0 with every piece, apart without any one")
ax_gap.legend(fontsize=8, loc="center left")
plt.show()

# %% [markdown]
# Bitwise equal with the full checkpoint (on a GPU: within float32 tolerance), and different
# as soon as any one piece is missing. Published recipes miss pieces: PyTorch's checkpoint
# recipe and *PyTorch Step-by-Step* save no scheduler (the second line above), and CS231n's
# `Solver` checkpoints leave out the per-parameter optimizer state, the table's second row.
#
# **What `weights_only=True` accepts.** With `weights_only=True` (the default since torch
# 2.6), `torch.load` unpickles only tensors, numbers, strings, plain containers and a short
# allow-list, so that loading a checkpoint from elsewhere cannot run code. Scheduler states are not all plain: `MultiStepLR` keeps a
# `collections.Counter` (refused until torch 2.4, pytorch#98921), `OneCycleLR` a list of
# dicts, `SequentialLR` the states of its children. All of those load today, as this cell
# checks for the course's classes:

# %%
import io
from collections import Counter


def roundtrip(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


probe = our_optim.SGD(make_mlp().parameters(), lr=0.1, momentum=0.9)
scalars = {"int", "float", "bool", "str", "NoneType"}
for sched in [our_sched.MultiStepLR(probe, [10, 20]),
              our_sched.OneCycleLR(probe, 0.3, total_steps=50),
              our_sched.SequentialLR(probe,
                                     [our_sched.LinearLR(probe, 0.1, total_iters=5),
                                      our_sched.CosineAnnealingLR(probe, 45)], [5]),
              our_sched.ReduceLROnPlateau(probe)]:
    state = sched.state_dict()
    kinds = sorted({type(v).__name__ for v in state.values()} - scalars)
    assert roundtrip(state) == state
    print(f"{type(sched).__name__:18s} non-scalar entries: {', '.join(kinds):18s} "
          "loads with weights_only=True")
milestones = roundtrip(our_sched.MultiStepLR(probe, [3]).state_dict())["milestones"]
assert isinstance(milestones, Counter)

# %% [markdown]
# What does *not* load is anything from outside that list, and a common intruder is a
# NumPy scalar: an lr taken from `np.logspace(...)` (a sweep, a range test) is an
# `np.float64`, which is a subclass of `float`, works everywhere, and poisons the checkpoint:

# %%
sweep = np.logspace(-3, 0, 4)
poisoned = our_optim.SGD(make_mlp().parameters(), lr=sweep[1], momentum=0.9)
try:
    roundtrip(poisoned.state_dict())
except Exception as err:                                    # pickle.UnpicklingError
    refused = {g.split(".")[0] for g in str(err).split() if g.startswith("numpy.")}
    print("torch.load(weights_only=True) refused the optimizer state: "
          f"{type(err).__name__}, it holds {sorted(refused)} objects")
else:
    raise AssertionError("expected the numpy lr to be refused")

with tempfile.TemporaryDirectory() as tmp:
    save_checkpoint(Path(tmp) / "ok.pt", model=make_mlp(), optimizer=poisoned)
    restored = our_optim.SGD(make_mlp().parameters(), lr=1.0, momentum=0.9)
    load_checkpoint(Path(tmp) / "ok.pt", model=make_mlp(), optimizer=restored)
lr = restored.param_groups[0]["lr"]
print(f"save_checkpoint converted it: lr {lr} of type {type(lr).__name__}")
assert type(lr) is float and lr == float(sweep[1])

# %% [markdown]
# `save_checkpoint` turns NumPy scalars into Python numbers (and arrays into tensors) before
# saving, then asks `torch.serialization.get_unsafe_globals_in_checkpoint` whether anything
# else would be refused, and raises at *save* time, naming the types, rather than leaving the
# surprise for the day you need to resume.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **OneCycleLR switches momentum on.** With `cycle_momentum=True` (the default) it writes
#   0.95 into `momentum` at construction, even for an SGD created without momentum; pass
#   `cycle_momentum=False` for plain SGD. Checked below.
# * **OneCycleLR counts steps, not epochs.** Give it `total_steps` (or `epochs` *and*
#   `steps_per_epoch`) and step it every batch; given the number of epochs as `total_steps`,
#   it runs out after that many batches and the next step raises. Checked below.
# * **Tuning on the test split.** The lrs of section 4 and ReduceLROnPlateau's metric use the
#   validation split; picking them on the test split would make the test accuracy optimistic.
# * **Timing a GPU without synchronising.** CUDA and MPS kernels run asynchronously; the loop
#   calls `course_utils.device.synchronize` (`torch.cuda.synchronize()` or
#   `torch.mps.synchronize()`) before reading the clock, otherwise it would time the launches.
# * **Threads on small models.** A 64×64 matrix product is too small to be worth splitting
#   across CPU threads, and on a busy machine the extra threads can cost more than they save;
#   the chapter runs on one.
# * **A finite loss is not a healthy run** (section 1): watch the accuracy too.

# %%
for optim_lib, sched_lib in ((our_optim, our_sched), (torch.optim, torch_sched)):
    plain_sgd = optim_lib.SGD(make_mlp().parameters(), lr=0.1)
    sched_lib.OneCycleLR(plain_sgd, max_lr=0.1, total_steps=100)
    print(f"{optim_lib.__name__}: momentum after OneCycleLR(plain SGD):",
          plain_sgd.param_groups[0]["momentum"])
    assert plain_sgd.param_groups[0]["momentum"] == 0.95

per_epoch = our_sched.OneCycleLR(
    our_optim.SGD(make_mlp().parameters(), lr=0.1, momentum=0.9), max_lr=0.1,
    total_steps=EPOCHS)
try:
    for _ in range(EPOCHS + 1):
        per_epoch.optimizer.step()
        per_epoch.step()
except ValueError as err:
    print("stepped per batch with total_steps = epochs:", err)
    assert str(err) == (f"Tried to step {EPOCHS + 1} times. "
                        f"The specified number of total steps is {EPOCHS}")
else:
    raise AssertionError("expected OneCycleLR to refuse a step past total_steps")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# 1. The course's optimizers and schedulers train an MLP and a CNN on real images exactly as
#    torch's do: the same lr at every step and bitwise equal parameters on the CPU.
# 2. A range test (10.3)–(10.6) brackets the rate in 200 steps; its minimum sits at the edge of
#    stability, so back off (÷3 to ÷10) and let the validation split choose.
# 3. 359 test images measure an accuracy to about a point (10.7), and a mean over three seeds
#    carries an interval of ±2.5 seed spreads: too coarse to rank tuned optimizers or
#    schedules, which chapter 12 does on Fashion-MNIST.
# 4. Divergence can be loud (NaN) or quiet (finite, exploding, dead ReLUs); (10.1) stops both
#    with the step and the rate, and a milder failure still needs an eye on the accuracy.
# 5. An exact resume needs model, optimizer, scheduler, torch RNG and data-order states;
#    plain types keep the file loadable with `weights_only=True`.

# %% [markdown]
# ## Exercises
#
# **1.** The smoothing of the range test lags. Rerun the Nesterov range test with
# $\beta = 0.98$ and compare where the smoothed minimum falls.

# %% tags=["solution"]
lagged = range_test(OPTIMIZERS["Nesterov"], beta=0.98)
print(f"beta 0.9: min at {range_tests['Nesterov'].lr_at_min:.3g}; "
      f"beta 0.98: min at {lagged.lr_at_min:.3g}")
assert lagged.lr_at_min >= range_tests["Nesterov"].lr_at_min
# A longer memory averages in losses from smaller rates, so the minimum moves to larger
# rates (or stays): the bias correction fixes the start of the average, not its lag.

# %% [markdown]
# **2.** Resume in the middle of an epoch. `train` draws each epoch's order at the start of the
# epoch. What would a checkpoint taken after, say, 5 of the 18 batches of an epoch (batch
# size 64) need in addition, and how would you check it?

# %% tags=["solution"]
# The epoch's order is drawn from the generator at the start of the epoch, so a
# checkpoint taken after batch 5 holds a generator that has already moved past it:
# resuming from it would draw the *next* epoch's order. Save the permutation (a tensor:
# fine for weights_only) and the position in it instead. Checked with the loop's own
# batching:
from course_utils.train import shuffled_batches

n, position = len(digits.y_train), 5
gen = torch.Generator().manual_seed(0)
order = shuffled_batches(n, 64, gen)                  # drawn at the start of the epoch
naive = torch.Generator()
naive.set_state(gen.get_state())                # what a checkpoint after batch 5 holds
naive_rest = shuffled_batches(n, 64, naive)[position:]
saved = {"order": torch.cat(order), "position": position}
resumed_rest = saved["order"].split(64)[saved["position"]:]
assert all(torch.equal(a, b) for a, b in zip(resumed_rest, order[position:]))
assert not all(torch.equal(a, b) for a, b in zip(naive_rest, order[position:]))
print(f"{len(resumed_rest)} remaining batches: identical from the saved permutation, "
      "different from the generator")

# %% [markdown]
# **3.** How far below its divergence point does each optimizer's range-test minimum sit?
# Compute the ratio `stop_lr / lr_at_min` for the four tests of section 4. Which optimizer
# leaves the least margin between the rate the test suggests and the rate that explodes?

# %% tags=["solution"]
margin = {name: r.stop_lr / r.lr_at_min for name, r in range_tests.items()}
print("divergence point / minimum of the range test:",
      {name: f"{m:.2f}" for name, m in margin.items()})
assert min(margin, key=margin.get) == "Nesterov" and margin["Nesterov"] < 1.3
# Nesterov's minimum lies within a factor 1.3 of the rate where the test stopped, so
# the back-off d of (10.6) is the only margin it has; a warm-up that climbs to
# lr_at_min would start from the edge of stability.

# %% [markdown]
# ## References
#
# * L. N. Smith, *Cyclical learning rates for training neural networks*, WACV 2017 (the range
#   test, with a linear ramp); L. N. Smith and N. Topin, *Super-convergence*, 2019 (one-cycle).
# * I. Loshchilov and F. Hutter, *SGDR: stochastic gradient descent with warm restarts*, ICLR
#   2017 (cosine annealing).
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017 (warm-up).
# * fastai, `Learner.lr_find` (the geometric ramp with a smoothed loss used here), and D. V. Godoy, *Deep Learning with PyTorch Step-by-Step*,
#   ch. 6 (range tests with a smoothed loss).
# * Google Research, *Deep learning tuning playbook* (2023): compare optimizers at their own
#   tuned rates, over several seeds.
# * PyTorch documentation: *Saving and loading a general checkpoint*, and `torch.load`'s
#   `weights_only`; pytorch issue #98921 (MultiStepLR's Counter and `weights_only`).
# * E. Alpaydin and C. Kaynak, *Optical recognition of handwritten digits*, UCI Machine
#   Learning Repository, 1998 (the data; see `data/README.md`).
