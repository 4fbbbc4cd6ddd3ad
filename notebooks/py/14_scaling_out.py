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
# # 14 · Scaling out: the course's optimizers on several processes
#
# *One process, one batch: every chapter so far. This chapter trains on two processes with
# `torch.distributed`, each holding a full copy of the network and half of every batch, with
# the course's from-scratch optimizers and schedulers unchanged. It proves that k processes
# with batches of b take the same steps as one process with a batch of k·b, measures what
# `ZeroRedundancyOptimizer` saves by keeping each parameter's optimizer state on a single
# process, carries the learning-rate recipe of chapter 13 to the world size, and says on
# paper what fully sharded training changes.*
#
# **Prerequisites:** chapter 05 (Adam's state), chapter 08 (schedulers), chapter 13 (batch
# size and the learning rate). **Runtime:** about 30 s on a laptop CPU, most of it starting
# two Python processes.
#
# **After this chapter you can**
# 1. explain why data parallelism averages *gradients*, not weights, and derive (14.1);
# 2. launch a two-process run with `torchrun` from Python, on 127.0.0.1, bounded in time;
# 3. prove a k-process run equal to a one-process run with the k-fold batch, at a stated
#    float64 tolerance;
# 4. measure the optimizer-state bytes `ZeroRedundancyOptimizer` saves per process, and
#    predict them for ZeRO stages 1–3 and FSDP;
# 5. carry a learning rate and a warm-up tuned on one process to k processes.

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
import matplotlib.pyplot as plt
import torch

from course_utils.device import setup
from course_utils.plotting import BLACK, BLUE, GREEN, GREY, ORANGE, PURPLE, VERMILLION

device = setup(seed=0, threads=1)  # a 4,810-weight network: one CPU thread per process

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: replicas that average their weights
#
# Two workers each own a copy of the network and half of every mini-batch. The obvious way
# to keep the copies together is to let each take its own optimizer step and then average
# the *weights*. We try it in this process on the 8×8 digits, with the course's Adam, a
# global batch of 64 split 32 + 32, for ten steps, and compare with one worker that takes
# the same ten steps on the whole batch of 64.

# %%
import torch.nn.functional as F

from course_utils.data import load_digits
from course_utils.optim import Adam
from course_utils.train import make_mlp

digits = load_digits(device="cpu", dtype=torch.float64)
x, y = digits.x_train, digits.y_train
order = torch.Generator().manual_seed(0)
global_batches = [torch.randperm(len(y), generator=order)[:64] for _ in range(10)]


def adam_model(seed=0):
    model = make_mlp(64, seed=seed).double()
    return model, Adam(model.parameters(), lr=1e-2)


def step_on(model, opt, idx):
    opt.zero_grad()
    F.cross_entropy(model(x[idx]), y[idx]).backward()
    opt.step()

# %%
def max_rel_diff(params_a, params_b):
    pairs = zip((p.detach() for p in params_a), (p.detach() for p in params_b))
    return max(float((a - b).abs().max() / b.abs().max()) for a, b in pairs)


big, big_opt = adam_model()
replicas = [adam_model(), adam_model()]
big_path, weight_avg_gaps = [], []
for idx in global_batches:
    step_on(big, big_opt, idx)
    big_path.append([p.detach().clone() for p in big.parameters()])
    for r, (model, opt) in enumerate(replicas):     # each worker: its half, own step
        step_on(model, opt, idx[32 * r:32 * (r + 1)])
    with torch.no_grad():                           # then average the weights
        for p0, p1 in zip(replicas[0][0].parameters(), replicas[1][0].parameters()):
            mean = (p0 + p1) / 2
            p0.copy_(mean)
            p1.copy_(mean)
    weight_avg_gaps.append(max_rel_diff(replicas[0][0].parameters(), big_path[-1]))

weight_avg_gap = weight_avg_gaps[-1]
print(f"weight averaging vs one big batch after 10 Adam steps: "
      f"max relative difference {weight_avg_gap:.2e}")
assert weight_avg_gap > 1e-3

# %% [markdown]
# The averaged replicas end far from the big-batch run: not a rounding difference but a
# different algorithm. Adam divides each half-batch gradient by *its own* running scale
# $\sqrt{v}$, and the average of two such steps is not the step the averaged gradient would
# take; each replica's $m$ and $v$ also drift apart. Averaging the gradients *before* the
# optimizer sees them removes the problem: every replica then holds the same gradient, the
# same state and the same weights.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Averaging gradients: the one equation of data parallelism
#
# Let $k$ processes (the *world*) each take $b$ examples of a global batch $\mathcal B$ of
# $kb$; process $r$ computes the mean loss $L_r$ of its shard $\mathcal B_r$. An all-reduce
# sums the $k$ gradients across processes and each divides by $k$:
#
# $$
# \bar g \;=\; \frac1k \sum_{r=0}^{k-1} \nabla L_r
#       \;=\; \frac1k \sum_{r} \frac1b \sum_{i\in\mathcal B_r} \nabla \ell_i
#       \;=\; \frac1{kb} \sum_{i\in\mathcal B} \nabla \ell_i \;=\; \nabla L_{\mathcal B}. \tag{14.1}
# $$
#
# Every replica then runs the *same* optimizer step on the same $\bar g$, with the same
# learning rate from the same scheduler, so the replicas stay identical without ever
# exchanging weights, and the run is the one-process run with batch $kb$. The second equality
# needs equal shards; with shard sizes $b_r$ the weights must be $b_r / \sum_s b_s$, the
# accumulation rule (13.6) of chapter 13, which is the same computation spread over time
# instead of over processes.
#
# | symbol | meaning | code | `torch.distributed` |
# |---|---|---|---|
# | $k$ | processes (world size) | `world_size` | `WORLD_SIZE`, `dist.get_world_size()` |
# | $r$ | this process | `rank` | `RANK`, `dist.get_rank()` |
# | $b$ | examples per process and step | `per_process_batch` | — |
# | $kb$ | global batch | `global_batch` | — |
#
# `DistributedDataParallel` (DDP) implements (14.1): it broadcasts rank 0's weights at
# construction, and during `backward()` it all-reduces gradients in buckets as soon as each
# bucket is ready, overlapping communication with the rest of the backward pass. The
# optimizer never knows: it finds the averaged gradient in `p.grad`, which is why the
# course's classes work under DDP unchanged. Here is (14.1) checked in this process, before
# any second process exists:

# %%
idx = global_batches[0]
model, _ = adam_model()
shard_grads = []
for r in range(2):
    model.zero_grad()
    shard = idx[32 * r:32 * (r + 1)]
    F.cross_entropy(model(x[shard]), y[shard]).backward()
    shard_grads.append([p.grad.clone() for p in model.parameters()])
model.zero_grad()
F.cross_entropy(model(x[idx]), y[idx]).backward()
for g0, g1, p in zip(*shard_grads, model.parameters()):
    torch.testing.assert_close((g0 + g1) / 2, p.grad, rtol=1e-13, atol=1e-15)  # (14.1)
print("(14.1): the mean of the two shard gradients is the global-batch gradient "
      "(float64, 1e-13)")

# %% [markdown]
# Now the ten steps of section 1 again, with two replicas that average their *gradients*
# (14.1) before each takes its own Adam step:

# %%
grad_replicas = [adam_model(), adam_model()]
grad_avg_gaps = []
for idx, big_params in zip(global_batches, big_path):
    for r, (model, opt) in enumerate(grad_replicas):
        opt.zero_grad()
        shard = idx[32 * r:32 * (r + 1)]
        F.cross_entropy(model(x[shard]), y[shard]).backward()
    with torch.no_grad():                           # the all-reduce, by hand
        for p0, p1 in zip(*(m.parameters() for m, _ in grad_replicas)):
            mean = (p0.grad + p1.grad) / 2
            p0.grad.copy_(mean)
            p1.grad.copy_(mean)
    for _, opt in grad_replicas:
        opt.step()
    grad_avg_gaps.append(max_rel_diff(grad_replicas[0][0].parameters(), big_params))
assert max(grad_avg_gaps) < 1e-12 and min(weight_avg_gaps) > 1e-3
print(f"largest difference from the one-batch run over 10 steps: weight averaging "
      f"{max(weight_avg_gaps):.2f}; gradient averaging below 1e-12 at every step "
      "(rounding: the figure shows it)")

fig, ax = plt.subplots(figsize=(6.4, 3.6))
steps = range(1, len(global_batches) + 1)
ax.semilogy(steps, weight_avg_gaps, "o-", color=VERMILLION, label="average the weights")
ax.semilogy(steps, grad_avg_gaps, "s-", color=BLUE,
            label="average the gradients (14.1)")
ax.set(xlabel="Adam step", ylabel="max relative difference\nfrom one process, batch 64",
       title=f"Gradient averaging stays within {max(grad_avg_gaps):.0e}; "
             f"weight averaging drifts to {weight_avg_gaps[-1]:.1f}")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Two real processes, launched with `torchrun`
#
# `course_utils.data_parallel` holds the training script. Each process reads its rank and
# the world size from the environment `torchrun` sets, joins a process group (the *gloo*
# backend on CPUs, *NCCL* on CUDA GPUs), wraps the chapter's MLP in DDP, and trains with
# the course's `AdamW` and a warm-up + cosine `SequentialLR`. All ranks draw the same
# permutation of the training set (a generator with the same seed), cut it into global
# batches, and rank $r$ keeps slice $r$ of each. The loop is ordinary:

# %%
from course_utils import data_parallel
from course_utils.verify import show_source

show_source(data_parallel.train)

# %% [markdown]
# `launch` starts `python -m torch.distributed.run --nproc_per_node=2
# --master_addr=127.0.0.1 --master_port=<free port> -m course_utils.data_parallel ...` as a
# subprocess in its own process group, with one CPU thread per process and gloo bound to the
# loopback interface, waits at most `timeout` seconds (then kills the launcher and every
# worker), and reads back what rank 0 saved in a temporary folder that is then deleted.
# Nothing listens beyond 127.0.0.1 and nothing outlives the call. We run 20 steps, 32 digits
# per process, with `ZeroRedundancyOptimizer` around `AdamW` (section 5 explains it; the
# steps are the same).

# %%
from course_utils.data_parallel import RunConfig, launch, train

config = RunConfig(steps=20, per_process_batch=32, optimizer="adamw", lr=1e-2,
                   warmup_steps=4, zero=True)
two = launch(config, nproc=2, timeout=120)
print(f"world size {two['world_size']}, backend {two['backend']}; "
      f"loss {two['loss'][0]:.3f} -> {two['loss'][-1]:.3f}; "
      f"lr {two['lr'][0]:.4f} ... peak {max(two['lr']):.4f}")
assert two["world_size"] == 2 and two["loss"][-1] < two["loss"][0]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Proof: 2 processes × 32 = 1 process × 64
#
# The same function `train` runs in this process with `world_size=1` and a batch of 64: same
# seed, same permutation, same global batches, no process group, no DDP. If (14.1) holds,
# every loss, every learning rate and every final weight agrees. Not necessarily bitwise: DDP
# averages two half-batch gradients with an all-reduce, where one process sums 64 per-example
# terms in one reduction, and the two orders of addition may round differently in the last
# bit. The stated tolerance is $10^{-12}$ relative, some 5,000 units in the last place of
# float64: room for 20 steps to amplify a last-bit difference, while any real mistake (a
# wrong shard, a missing all-reduce, a scheduler stepped twice) moves the weights by more
# than $10^{-3}$.

# %%
ref_device = "cuda" if two["backend"] == "nccl" else "cpu"
one = train(RunConfig(steps=20, per_process_batch=64, optimizer="adamw", lr=1e-2,
                      warmup_steps=4), device=ref_device)
assert two["lr"] == one["lr"]
torch.testing.assert_close(torch.tensor(two["loss"]), torch.tensor(one["loss"]),
                           rtol=1e-12, atol=0.0)
for a, b in zip(two["params"], one["params"]):
    torch.testing.assert_close(a, b.cpu(), rtol=1e-12, atol=1e-14)
dp_gap = max_rel_diff(two["params"], [p.cpu() for p in one["params"]])
print(f"largest relative weight difference after 20 steps: {dp_gap:.1e} "
      "(tolerance 1e-12)")
assert dp_gap < 1e-14                            # a few dozen units in the last place at most

loss_gap = [abs(a - b) / b for a, b in zip(two["loss"], one["loss"])]
zero_drawn_at = 1e-17                                # log axes have no 0
fig, (ax_loss, ax_gap) = plt.subplots(1, 2, figsize=(10, 3.6))
steps = range(1, len(one["loss"]) + 1)
ax_loss.plot(steps, one["loss"], color=GREY, linewidth=5, label="1 process × 64")
ax_loss.plot(steps, two["loss"], "o", color=BLUE, markersize=4,
             label="2 processes × 32 (torchrun)")
ax_loss.set(xlabel="step", ylabel="global-batch loss", title="Warm-up, cosine, AdamW",
            xticks=range(0, len(loss_gap) + 1, 5))
ax_loss.legend()
ax_gap.semilogy(steps, [max(g, zero_drawn_at) for g in loss_gap], "o", color=BLUE)
ax_gap.axhline(1e-12, color=VERMILLION, linestyle="--", label="tolerance $10^{-12}$")
ax_gap.axhline(zero_drawn_at, color=GREY, linestyle=":", label="0: equal in every bit")
ax_gap.set(ylim=(3e-18, 1e-10), xlabel="step", ylabel="|loss difference| / loss",
           xticks=range(0, len(loss_gap) + 1, 5),
           title=f"{sum(g == 0 for g in loss_gap)} of {len(loss_gap)} steps bitwise "
                 f"equal, the rest within {max(loss_gap):.0e}")
ax_gap.legend(loc="upper left")
plt.show()

# %% [markdown]
# The two runs agree far inside the tolerance, below $10^{-14}$ (asserted), a few units in
# the last place of float64, where weight averaging missed by more than $10^{-3}$. That equality is the whole contract of data
# parallelism: *scaling out is a change of batch size*, and everything chapter 13 says about
# batch size and the learning rate applies to the world size.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. ZeroRedundancyOptimizer: one copy of the optimizer state
#
# Under plain DDP every process stores the same weights, gradients and optimizer state: $k$
# copies of everything. Adam's state ($m$ and $v$) is the largest part and the easiest to
# share out: `ZeroRedundancyOptimizer` (the first stage of ZeRO, Rajbhandari et al. 2020)
# assigns each parameter to one rank, builds the wrapped optimizer (here the course's `AdamW`)
# over that rank's parameters only, and after each step broadcasts the updated weights from
# their owner. With $P$ parameters, $c_s$ bytes of state per parameter and perfect balance, a
# process holds
#
# $$
# \text{state bytes per process} = \frac{c_s\,P}{k}. \tag{14.2}
# $$
#
# The worker reported its optimizer's state bytes on each rank; we compare them with one
# process holding the state of every parameter.

# %%
full = one["state_bytes"]   # the one-process run of section 4: AdamW over every weight
shapes = [tuple(p.shape) for p in one["params"]]
print("parameters:", shapes, "=", sum(p.numel() for p in one["params"]), "weights")
print(f"optimizer state, one process: {full:,} bytes; with ZeRO, per rank: "
      f"{two['state_bytes']}")
assert sum(two["state_bytes"]) == full and max(two["state_bytes"]) < full
biggest = max(two["state_bytes"]) / full
print(f"the fuller rank holds {biggest:.0%} of the state, not the {1 / 2:.0%} of "
      "(14.2)")
assert biggest > 0.8

# %% [markdown]
# Every byte of state lives on exactly one rank, but the split is far from even: the
# optimizer partitions by whole parameters, largest first, each to the rank holding least so
# far, and the first layer's 64 × 64 matrix holds most of the network's weights. Five lines
# replay that rule; they reproduce the measured split, and predict it for any world size and
# for chapter 11's transformer of 96 tensors:

# %%
import math

from course_utils.bench import model_shapes


def greedy_split(numels, world):
    """ZeroRedundancyOptimizer's split: largest tensor first, to the emptiest rank."""
    held = [0] * world
    for n in sorted(numels, reverse=True):
        held[held.index(min(held))] += n
    return held


models = {"the chapter's MLP (4 tensors)": [p.numel() for p in one["params"]],
          "chapter 11's transformer (96 tensors)":
              [math.prod(s) for s in model_shapes(8_000_000)]}
worlds = range(1, 17)
fullest = {name: [max(greedy_split(sizes, k)) / sum(sizes) for k in worlds]
           for name, sizes in models.items()}
mlp, transformer = fullest.values()
print(f"greedy rule at k = 2: fullest rank {mlp[1]:.2%} of the weights (measured: "
      f"{biggest:.2%} of the state bytes); at k = 16: MLP {mlp[-1]:.1%}, "
      f"transformer {transformer[-1]:.1%}, (14.2) {1 / 16:.1%}")
assert abs(mlp[1] - biggest) < 1e-3 and mlp[-1] == mlp[1] and transformer[-1] < 1.5 / 16

fig, ax = plt.subplots(figsize=(6.4, 3.8))
ax.loglog(worlds, [1 / k for k in worlds], "--", color=BLACK, label="(14.2): 1/k",
          base=2)
for (name, share), color in zip(fullest.items(), (VERMILLION, BLUE)):
    ax.loglog(worlds, share, "o-", color=color, label=name, base=2)
ax.loglog([2], [biggest], "*", color=GREEN, markersize=14,
          label="measured (torchrun, k = 2)")
ax.set(xlabel="world size k", ylabel="fullest rank's share of the state",
       title=f"One big tensor keeps {mlp[-1]:.0%} on one rank; 96 tensors follow 1/k")
ax.legend()
plt.show()

# %% [markdown]
# On networks of many similar layers the greedy split follows (14.2); on one dominated by a
# single tensor (an embedding table, say) it cannot. Note what ZeRO stage 1 does *not* save:
# weights and gradients are still replicated.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Sharding further: ZeRO stages 2 and 3, and FSDP, on paper
#
# With $c_\theta$ bytes per weight, $c_g$ per gradient, $c_{32}$ for an fp32 master copy (0
# when the weights are fp32) and $c_s$ of optimizer state, the bytes per parameter per
# process are
#
# $$
# \underbrace{c_\theta + c_g + \tfrac{c_{32} + c_s}{k}}_{\text{ZeRO-1}} \;\ge\;
# \underbrace{c_\theta + \tfrac{c_g + c_{32} + c_s}{k}}_{\text{ZeRO-2}} \;\ge\;
# \underbrace{\tfrac{c_\theta + c_g + c_{32} + c_s}{k}}_{\text{ZeRO-3, FSDP}} \tag{14.3}
# $$
#
# Stage 2 reduce-scatters the gradients, so each rank receives only the averaged gradient of
# its own shard; stage 3, which PyTorch implements as *fully sharded data parallel* (FSDP,
# Zhao et al. 2023), shards the weights too and all-gathers each layer's weights just before
# its forward and backward pass, then frees them. The cell evaluates (14.3) with
# `course_utils.precision.bytes_per_parameter` (chapter 13's (13.8)) for AdamW in bf16 with
# fp32 master weights, 16 bytes per parameter on one process:

# %%
from course_utils.precision import bytes_per_parameter


def sharded_bytes(world, stage, parts):
    """(14.3): bytes per parameter per process for ZeRO ``stage`` 0 (plain DDP) to 3."""
    w, g, rest = parts["weights"], parts["grads"], parts["master"] + parts["state"]
    return {0: w + g + rest, 1: w + g + rest / world, 2: w + (g + rest) / world,
            3: (w + g + rest) / world}[stage]


parts = bytes_per_parameter("adamw", weight_dtype=torch.bfloat16)
assert sharded_bytes(1, 3, parts) == parts["total"] == 16
assert sharded_bytes(64, 1, parts) == 4 + 12 / 64
assert sharded_bytes(64, 3, parts) == 16 / 64

stages = {"DDP": BLACK, "ZeRO-1": VERMILLION, "ZeRO-2": ORANGE, "ZeRO-3 / FSDP": BLUE}
worlds = [2 ** i for i in range(11)]
fig, ax = plt.subplots(figsize=(6.4, 3.8))
for stage, (label, color) in enumerate(stages.items()):
    ax.loglog(worlds, [sharded_bytes(k, stage, parts) for k in worlds], "o-",
              color=color, label=label, base=2, markersize=4)
for floor, text in ((parts["weights"] + parts["grads"], "$c_\\theta + c_g$"),
                    (parts["weights"], "$c_\\theta$")):
    ax.axhline(floor, color=GREY, linestyle=":")
    ax.text(1, floor * 1.1, text, color=GREY)
ax.set(xlabel="world size k", ylabel="bytes per parameter per process",
       title=f"AdamW, bf16 + fp32 master: {parts['total']} B on one process, "
             f"{sharded_bytes(1024, 3, parts):.3f} B with FSDP on 1024")
ax.legend()
plt.show()

# %% [markdown]
# ZeRO-1 and ZeRO-2 level off at what they keep whole; only FSDP keeps falling as $1/k$. For a
# model of $10^9$ parameters at $k = 64$, 16 GB of training state per process under DDP
# becomes $4 + 12/64 \approx 4.2$ GB with ZeRO-1 and $16/64 = 0.25$ GB with FSDP (both
# asserted above). The price is communication: FSDP all-gathers each layer's weights twice per step (for
# the forward and again for the backward pass) and reduce-scatters the gradients, about 1.5
# times the traffic of DDP's all-reduce (Rajbhandari et al. 2020).
#
# What changes for the optimizer under FSDP is what it *sees*: each rank's optimizer steps
# only its shard of each weight (a flat slice in FSDP1, a `DTensor` shard in FSDP2). An
# optimizer whose update is **elementwise**, such as SGD, momentum, Adam, AdamW (every
# equation of chapters 04 and 05 acts entry by entry), takes exactly the same step on a shard
# as on the whole tensor. Anything that needs the whole tensor does not: the global gradient
# norm of clipping (13.11) needs an all-reduce of the squared shard norms, and LAMB's
# per-layer trust ratio or a matrix optimizer (Shampoo, Muon) needs the full matrix. Both
# halves of that claim, checked:

# %%
from course_utils.clipping import clip_grad_norm
from course_utils.optim import AdamW

torch.manual_seed(0)
whole = torch.nn.Parameter(torch.randn(10, dtype=torch.float64))
halves = [torch.nn.Parameter(whole.detach()[:5].clone()),
          torch.nn.Parameter(whole.detach()[5:].clone())]
opt_whole, opt_halves = AdamW([whole], lr=0.1), [AdamW([h], lr=0.1) for h in halves]
for _ in range(3):
    grad = torch.randn(10, dtype=torch.float64)
    whole.grad = grad.clone()
    halves[0].grad, halves[1].grad = grad[:5].clone(), grad[5:].clone()
    opt_whole.step()
    for o in opt_halves:
        o.step()
# elementwise: bitwise equal
assert torch.equal(whole.detach(), torch.cat([h.detach() for h in halves]))
shard_norms = [float(clip_grad_norm([h], 1e9)) for h in halves]
global_norm = float(clip_grad_norm([whole], 1e9))
assert abs(global_norm - sum(n * n for n in shard_norms) ** 0.5) < 1e-12
assert max(shard_norms) < global_norm
print(f"AdamW on two shards = AdamW on the whole tensor, bitwise; gradient norm: "
      f"shards "
      f"{shard_norms[0]:.3f}, {shard_norms[1]:.3f}, global {global_norm:.3f} "
      "= root of the summed squares")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The learning rate and the warm-up follow the world size
#
# Section 4 showed that $k$ processes of batch $b$ *are* one process of batch $kb$. So a
# recipe tuned on one process at batch $b$ carries to $k$ processes as chapter 13 carries it
# to batch $kb$: the learning rate by the linear rule (13.1) for SGD (the square-root rule
# (13.3) for Adam), with a gradual warm-up (13.2). A warm-up specified in **epochs** becomes
# fewer optimizer steps as the world grows, because an epoch has $k$ times fewer global
# batches; one specified in steps must be divided by $k$ to cover the same data. For the
# digits, 32 per process, a base rate of 0.05 at batch 32 and a warm-up of 2 epochs:

# %%
from course_utils.scaling import data_parallel_recipe, warmup_lr

print("world  global batch     lr  steps/epoch  warm-up steps")
recipes = {}
for world in (1, 2, 4, 8, 16):
    r = recipes[world] = data_parallel_recipe(world_size=world, per_process_batch=32,
                                              base_lr=0.05, base_batch_size=32,
                                              examples=len(y), warmup_epochs=2)
    print(f"{world:5d} {r.global_batch:13d} {r.lr:6.2f} {r.steps_per_epoch:12d} "
          f"{r.warmup_steps:14d}")
assert all(recipes[k].lr == 0.05 * k for k in recipes)
assert recipes[16].steps_per_epoch == -(-len(y) // 512)
assert recipes[16].warmup_steps < recipes[1].warmup_steps / 8
assert recipes[16].global_batch > len(y) / 3

fig, ax = plt.subplots(figsize=(6.4, 3.8))
for (world, r), color in zip(recipes.items(), (BLACK, BLUE, GREEN, ORANGE, VERMILLION)):
    steps = range(3 * r.steps_per_epoch + 1)                         # three epochs
    lrs = [warmup_lr(t, base_lr=0.05, target_lr=r.lr, warmup_steps=r.warmup_steps)
           for t in steps]                                           # (13.2)
    ax.plot([t / r.steps_per_epoch for t in steps], lrs, "o-", color=color,
            markersize=3, label=f"k = {world}: {r.warmup_steps} warm-up steps")
ax.set(xlabel="epochs", ylabel="learning rate",
       title="k× the rate, the same 2 epochs of warm-up, about k× fewer steps")
ax.legend()
plt.show()

# %% [markdown]
# The figure is arithmetic; whether the scaled rate *trains* as well is chapter 13's question,
# and its answer carries over unchanged: the linear rule holds up to the critical batch size
# and fails beyond it, where each added process mostly buys examples rather than fewer steps.
# At 16 processes the global batch is more than a third of this small training set, and the
# whole warm-up is a handful of steps: no warm-up measured in epochs can save that recipe. A
# world is worth growing while its global batch stays below the critical batch size.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Pitfalls
#
# * **Different data on each rank, or the same.** Every rank must cut the *same* permutation
#   and keep a different slice. Seeding the data order per rank gives overlapping shards;
#   forgetting to slice trains every replica on the whole batch. `DistributedSampler` does
#   the slicing (call its `set_epoch` every epoch, or the order never changes).
# * **Unequal shards.** The last batch of an epoch rarely divides by $k$. DDP averages by
#   $k$, not by examples, so unequal shards break (14.1); `DistributedSampler` pads with
#   repeated examples, our worker drops the incomplete batch.
# * **Layers that see the batch.** BatchNorm computes statistics over each *shard*; use
#   `SyncBatchNorm` to recover the global batch's statistics.
# * **One scheduler per rank, stepped identically.** Each rank owns a scheduler; they stay
#   identical only if every rank steps at the same points. A rank-dependent condition
#   (logging, an early `break`) desynchronizes them silently.
# * **Checkpoints.** Save from rank 0 under DDP. Under `ZeroRedundancyOptimizer` the state
#   is spread over the ranks: call `consolidate_state_dict()` on every rank first.
# * **The reported loss is local.** Each rank's loss is its shard's; all-reduce it (as the
#   worker does) before printing or feeding `ReduceLROnPlateau`, or ranks disagree.

# %% [markdown]
# ## Summary
#
# 1. Data parallelism averages gradients, not weights (14.1): averaged gradients track the
#    one-process run to rounding; averaging the weights of replicas that stepped apart is a
#    different algorithm and misses by more than $10^{-3}$ from the first Adam step.
# 2. `course_utils.data_parallel.launch` runs `torchrun` with two processes on 127.0.0.1,
#    gloo on CPU (NCCL on GPUs), bounded in time and cleaned up; the course's optimizers and
#    schedulers run under DDP unchanged.
# 3. Two processes × 32 took the same 20 steps as one process × 64: losses and weights
#    within $10^{-12}$ relative in float64, the rounding of a different summation order.
# 4. `ZeroRedundancyOptimizer` keeps each parameter's AdamW state on one rank; its greedy
#    split by whole tensors follows (14.2) for many similar tensors and stalls at the largest
#    one. Stages 2 and 3 (FSDP) shard gradients and weights too (14.3); elementwise
#    optimizers step shards unchanged, norms need an all-reduce.
# 5. Scaling out is scaling the batch: the learning rate follows (13.1)/(13.3) with the
#    world size, and a warm-up in epochs takes fewer steps.

# %% [markdown]
# ## Exercises
#
# **1.** Shards of unequal size: rank 0 gets 40 examples, rank 1 gets 24 (64 in all). Show
# in this process that the plain mean of the two shard gradients is *not* the global-batch
# gradient, and that weighting by $b_r / 64$ is.

# %% tags=["solution"]
idx = global_batches[1]
model, _ = adam_model()
parts_idx = (idx[:40], idx[40:])
grads = []
for part in parts_idx:
    model.zero_grad()
    F.cross_entropy(model(x[part]), y[part]).backward()
    grads.append([p.grad.clone() for p in model.parameters()])
model.zero_grad()
F.cross_entropy(model(x[idx]), y[idx]).backward()
plain = all(torch.allclose((a + b) / 2, p.grad, rtol=1e-12)
            for a, b, p in zip(*grads, model.parameters()))
weighted = all(torch.allclose(40 / 64 * a + 24 / 64 * b, p.grad, rtol=1e-12, atol=1e-15)
               for a, b, p in zip(*grads, model.parameters()))
print(f"plain mean equals the global gradient: {plain}; weighted mean: {weighted}")
assert not plain and weighted

# %% [markdown]
# **2.** A run tuned on one GPU uses batch 256, SGD at lr 0.1 and 5 warm-up epochs on
# 1.28 million images (ImageNet's size). Give the lr, the steps per epoch and the warm-up
# steps on 32 processes of 256 each, by the linear rule.

# %% tags=["solution"]
r = data_parallel_recipe(world_size=32, per_process_batch=256, base_lr=0.1,
                         base_batch_size=256, examples=1_281_167, warmup_epochs=5)
print(r)
assert r.global_batch == 8192 and abs(r.lr - 3.2) < 1e-12
assert r.warmup_steps == 5 * r.steps_per_epoch

# %% [markdown]
# The result is the setting of Goyal et al. (2017): batch 8192, lr 3.2, 157 steps per
# epoch, warm-up over 785 steps.
#
# **3.** With (14.3), find the smallest world size at which FSDP fits a 20-billion-parameter
# model's AdamW training state (bf16 weights, fp32 master weights and state) into 80 GB per
# process, ignoring activations; and the smallest at which ZeRO-1 does.

# %% tags=["solution"]
P, budget = 20e9, 80e9
fsdp = next(k for k in range(1, 4096) if sharded_bytes(k, 3, parts) * P <= budget)
zero1 = next((k for k in range(1, 4096) if sharded_bytes(k, 1, parts) * P <= budget),
             None)
never = "never (weights and gradients alone fill 80 GB)"
print(f"FSDP: {fsdp} processes; ZeRO-1: {zero1 or never}")
assert fsdp == 4 and zero1 is None   # ZeRO-1 keeps 4 B of bf16 weights + grads: 80 GB

# %% [markdown]
# ## References
#
# * S. Li et al., *PyTorch Distributed: experiences on accelerating data parallel training*,
#   VLDB 2020: DDP's design, gradient buckets and the overlap of all-reduce with backward.
# * S. Rajbhandari, J. Rasley, O. Ruwase, Y. He, *ZeRO: memory optimizations toward training
#   trillion parameter models*, SC 2020: stages 1–3 and the memory accounting behind (14.3).
# * Y. Zhao et al., *PyTorch FSDP: experiences on scaling fully sharded data parallel*, VLDB 2023.
# * P. Goyal et al., *Accurate, large minibatch SGD: training ImageNet in 1 hour*, 2017: the
#   linear scaling rule and gradual warm-up across 256 GPUs.
# * PyTorch documentation: `torch.distributed` (process groups, gloo and NCCL), `torchrun`
#   (`torch.distributed.run`), `DistributedDataParallel`, `ZeroRedundancyOptimizer`,
#   `DistributedSampler`, `SyncBatchNorm`.
