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
# # 11 · The cost of an optimizer step
#
# *An optimizer step does a dozen flops per parameter but must move 20 to 28 bytes of it, so its
# speed is set by memory bandwidth. This chapter counts the bytes, measures the machine, shows
# where eager implementations lose time, and builds a from-scratch step that comes close to
# torch's fused kernel.*
#
# **Prerequisites:** chapter 04 (SGD with momentum), chapter 05 (Adam).
# **Runtime:** about 30 s on a laptop CPU; set `COURSE_FULL_RUN=1` for the compiled steps and a
# 25-million-parameter race (a minute or two, compiling included). Timings depend on your
# machine and its load; the assertions allow for that.
#
# **After this chapter you can**
# 1. count the bytes an SGD-momentum or Adam step must move per parameter, and turn them into a
#    time floor with a measured bandwidth;
# 2. time a step properly (warm-up, interleaved rounds, medians) and report its effective GB/s;
# 3. explain why eager implementations take several times the floor: passes, temporaries, and
#    one small operation per tensor;
# 4. build a flattened, fused step from scratch, prove it computes torch's step, and race it
#    against torch's for-loop, foreach and fused implementations.

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
import os
import statistics

import matplotlib.pyplot as plt
import torch

from course_utils import bench
from course_utils.optim import fast
from course_utils.device import setup
from course_utils.plotting import BLACK, BLUE, GREEN, GREY, ORANGE, PURPLE, VERMILLION
from course_utils.verify import compare_optimizers, show_source

device = setup(seed=0)
FULL_RUN = os.environ.get("COURSE_FULL_RUN") == "1"
N = 25_000_000 if FULL_RUN else 8_000_000   # 8 M floats (32 MB) overflow the caches

# %% [markdown]
# The parameters, on `device`, are those of a small transformer (`bench.model_shapes`): 8
# layers of attention and MLP weights, biases and layer norms, 96 tensors of very different
# sizes, all views into one flat buffer (section 5 says why).

# %%
params = bench.make_params(N, device)
n_params = sum(p.numel() for p in params)
print(f"{n_params:,} parameters in {len(params)} tensors, "
      f"from {min(p.numel() for p in params):,} to {max(p.numel() for p in params):,} "
      "numbers each")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The failing example: a cheap step that is not cheap
#
# Adam's update is a few additions, multiplications, a square root and a division per parameter,
# nothing next to a forward and backward pass. Yet time it against the simplest thing a machine
# can do with the same memory, copying the parameters once:

# %%
# NBVAL_IGNORE_OUTPUT
copy_src = torch.randn(n_params, device=device)
copy_dst = torch.empty(n_params, device=device)
adam_default = torch.optim.Adam(params, lr=1e-3)              # torch's default path
times = bench.time_round_robin({"Adam step": adam_default.step,
                                "copy": lambda: copy_dst.copy_(copy_src)},
                               repeats=7, warmup=2, device=device, max_seconds=1.5)
t_adam, t_copy = (statistics.median(times[k]) for k in ("Adam step", "copy"))
print(f"one Adam step: {1e3 * t_adam:.1f} ms (wall clock); "
      f"one copy of the parameters: {1e3 * t_copy:.2f} ms (wall clock)")
print(f"the step costs as much as {t_adam / t_copy:.1f} copies")
assert t_adam > 3 * t_copy
del adam_default

# %% [markdown]
# The step costs several full copies of the model (the cell asserts at least three). On a CPU
# torch does not even pick its faster paths by default; it runs its readable for-loop, one
# tensor at a time:

# %%
from torch.optim.optimizer import _default_to_fused_or_foreach

if device.type == "cpu":
    default = _default_to_fused_or_foreach(params, differentiable=False,
                                           use_fused=False)
    assert default == (False, False)
    print("CPU default: foreach=False, fused=False: the single-tensor for-loop")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Bytes, not flops
#
# An optimizer step is *elementwise*: parameter $i$'s update reads only the $i$-th element of each
# tensor. Nothing is reused, so every tensor the update needs must come in from memory once, and
# every tensor it changes must go back once. Count tensors, for $N$ float32 parameters:
#
# $$ \text{SGD with momentum:}\quad \text{read } \theta, g, b;\ \text{write } \theta, b \quad\Rightarrow\quad 5 \times 4\ \text{B} = 20\ \text{B per parameter}, \tag{11.1} $$
#
# $$ \text{Adam:}\quad \text{read } \theta, g, m, v;\ \text{write } \theta, m, v \quad\Rightarrow\quad 7 \times 4\ \text{B} = 28\ \text{B per parameter}. \tag{11.2} $$
#
# A machine that moves $B$ bytes per second therefore cannot do the step faster than
#
# $$ T_{\min} = \frac{S \cdot 4\,\text{B} \cdot N}{B}, \qquad \text{effective bandwidth} = \frac{S \cdot 4\,\text{B} \cdot N}{T}, \tag{11.3} $$
#
# with $S = 5$ or $7$ streams; a measured step time $T$ is reported as the bandwidth it would
# need if it moved only what (11.1)–(11.2) require. Weight decay, Nesterov or AdamW's decay read
# nothing new: they add flops, not streams.
#
# For $B$ we measure a **floor** with exactly the step's traffic in one pass: torch's fused
# kernel for the same optimizer on a *single* flat scratch buffer of the same size
# (`bench.floor_step`). It reads each input once and writes each output once, in place, with no
# per-tensor calls, so a step can beat it only by noise. (Where torch has no fused kernel for the
# device, two or three streaming in-place passes with the same reads and writes in total stand
# in, a looser floor.
# A plain copy would not do: on a CPU, writing a fresh destination first *reads* each of its
# cache lines, called write-allocate, so a copy moves more bytes than it is credited with, and an
# in-place step can appear to run at "more than 100%" of it.)
#
# The flops are few: SGD-momentum does about 4 per parameter, Adam about 13 (the `lerp`, the
# squared-gradient average, a square root, a division, an addition, a fused multiply-add), so
# Adam does $13 / 28 \approx 0.5$ flop per byte. A **roofline** (Williams et al. 2009) draws what
# that means: a kernel doing $I$ flops per byte cannot run faster than $\min(\text{peak flops},
# B \cdot I)$. The next cell measures the peak with a matrix product, $B$ with the floor, and
# places torch's fused Adam on the picture:

# %%
# NBVAL_IGNORE_OUTPUT
streams = bench.STREAMS
a_mat = torch.randn(1024, 1024, device=device)
b_mat = torch.randn(1024, 1024, device=device)
fused_adam = torch.optim.Adam(params, lr=1e-3, fused=True)
times = bench.time_round_robin({"matmul": lambda: a_mat @ b_mat,
                                "fused Adam": fused_adam.step,
                                "floor": bench.floor_step("adam", n_params, device)},
                               repeats=7, warmup=2, device=device, max_seconds=1.5)
t_mat, t_fused, t_floor = (statistics.median(times[k])
                           for k in ("matmul", "fused Adam", "floor"))
matmul_flops, adam_flops = 2 * 1024 ** 3 / t_mat, 13 * n_params / t_fused
floor_bw = streams["adam"] * 4 * n_params / t_floor               # B of (11.3)
intensity = {"matmul": 2 * 1024 ** 3 / (3 * 4 * 1024 ** 2), "fused Adam": 13 / 28}
print(f"matmul: {matmul_flops / 1e9:.0f} GFLOP/s; fused Adam step: "
      f"{adam_flops / 1e9:.1f} GFLOP/s ({100 * adam_flops / matmul_flops:.0f}% of the "
      f"matmul rate); floor {floor_bw / 1e9:.1f} GB/s")
assert adam_flops < 0.5 * matmul_flops
del fused_adam

fig, ax = plt.subplots(figsize=(6.4, 3.8))
grid = torch.logspace(-2, 3, 200).tolist()
ax.loglog(grid, [min(matmul_flops, floor_bw * i) / 1e9 for i in grid], color=BLACK,
          label="roof: min(matmul rate, floor bandwidth × flop/byte)")
ax.loglog(intensity["matmul"], matmul_flops / 1e9, "s", color=BLUE,
          label="1024×1024 matmul")
ax.loglog(intensity["fused Adam"], adam_flops / 1e9, "o", color=VERMILLION,
          label="torch's fused Adam step")
ax.axvline(13 / 28, color=GREY, linestyle=":")
ax.set(xlabel="arithmetic intensity (flop per byte moved)", ylabel="GFLOP/s",
       title=f"Adam at {13 / 28:.2f} flop/byte sits under the bandwidth slope "
             f"({floor_bw / 1e9:.0f} GB/s, {device.type})")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# Even torch's fused Adam uses a small fraction of the arithmetic the cores can do: it sits on
# the sloped part of the roof, where only bandwidth counts. That is the whole game of this
# chapter: **move each byte once**.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Timing a step honestly
#
# Four rules, all in `bench.time_round_robin`:
#
# * **Warm up.** The first step allocates the optimizer state (torch creates $m$ and $v$
#   lazily), and a compiled step compiles; neither belongs in a per-step time.
# * **Interleave.** Time every implementation once per round, round after round: a burst of load
#   from another process then hits all of them alike instead of ruining one.
# * **Take the median** of the rounds, which ignores the odd slow one.
# * **Synchronize on a GPU.** CUDA calls return before the work is done; without
#   `torch.cuda.synchronize()` you time the launch, not the step.

# %%
show_source(bench.time_round_robin)

# %% [markdown]
# The first rule, seen: a fresh fused Adam has no state; its first step creates $2N$ floats of
# it, and costs visibly more than the steps after it: the zeros alone make its traffic 9/7 of
# a warm step's, and fresh memory costs more. One timing is at the mercy of the machine's
# load, so the cell repeats this with nine fresh optimizers.

# %%
# NBVAL_IGNORE_OUTPUT
first_s, warm_s = [], []
for _ in range(9):                        # nine fresh optimizers
    fresh = torch.optim.Adam(params, lr=1e-3, fused=True)
    assert len(fresh.state) == 0
    times = bench.time_round_robin({"step": fresh.step}, repeats=3, warmup=0,
                                   device=device)["step"]
    first_s.append(times[0])             # step 1, then steps 2 and 3 right after it
    warm_s.append(statistics.median(times[1:]))
    assert len(fresh.state) == len(params)
    assert set(fresh.state[params[0]]) == {"step", "exp_avg", "exp_avg_sq"}
    del fresh
first_vs_warm = statistics.median(f / w for f, w in zip(first_s, warm_s))
print(f"state: {len(params)} entries, {2 * n_params:,} new floats; first step "
      f"{1e3 * statistics.median(first_s):.1f} ms (wall clock), warm step "
      f"{1e3 * statistics.median(warm_s):.1f} ms (medians of 9 fresh optimizers); "
      f"paired ratio {first_vs_warm:.1f}")
assert first_vs_warm > 1.1, "the first step allocates the state"

fig, ax = plt.subplots(figsize=(6.4, 3.2))
trials = range(1, 10)
ax.bar([i - 0.2 for i in trials], [1e3 * t for t in first_s], width=0.4, color=VERMILLION,
       label="step 1 (creates m and v)")
ax.bar([i + 0.2 for i in trials], [1e3 * t for t in warm_s], width=0.4, color=BLUE,
       label="steps 2-3 (median)")
ax.set(xlabel="fresh optimizer", ylabel="ms (wall clock)", xticks=range(1, 10),
       title=f"Step 1 allocates m and v: {first_vs_warm:.1f}× a warm step "
             "(median of 9)")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Where an eager step spends its bytes
#
# torch's for-loop Adam (and the course's `adam_step`, which replays it) is seven tensor
# operations per parameter tensor. Each is a full pass over memory. Counting the floats each one
# reads and writes per element (μ, τ, γ are torch's momentum, dampening and learning rate, as in
# chapter 04's (4.2)–(4.3)):

# %%
adam_passes = {"exp_avg.lerp_(g, 1-β1)": 3, "exp_avg_sq.mul_(β2)": 2,
               ".addcmul_(g, g, 1-β2)": 3, "denom = exp_avg_sq.sqrt()": 2,
               "denom / √(1-β2^t)": 2, ".add_(eps)": 2,
               "param.addcdiv_(exp_avg, denom)": 4}
sgd_passes = {"buf.mul_(μ)": 2, "buf.add_(g, alpha=1-τ)": 3,
              "param.add_(buf, alpha=-γ)": 3}
floor_mix = {"adam": {"θ, g, m, v": (4, 0), "θ, m, v": (0, 3)},
             "sgd": {"θ, g, b": (3, 0), "θ, b": (0, 2)}}
for name, passes in (("adam", adam_passes), ("sgd", sgd_passes)):
    moved = sum(passes.values())
    print(f"{bench.TITLES[name]}: {len(passes)} passes, {moved} floats per parameter; "
          f"the floor (11.1)–(11.2) is {streams[name]}: "
          f"{moved / streams[name]:.2f}× the floor")
assert sum(adam_passes.values()) == 18 and sum(sgd_passes.values()) == 8

fig, ax = plt.subplots(figsize=(7.5, 3.0))
rows = [("Adam, one pass (11.2)", [(4, 3)]), ("Adam, for-loop", [(f - 1, 1) for f in
                                                                 adam_passes.values()]),
        ("SGD, one pass (11.1)", [(3, 2)]), ("SGD, for-loop", [(f - 1, 1) for f in
                                                               sgd_passes.values()])]
for y, (label, segments) in enumerate(rows):
    left = 0
    for reads, writes in segments:                      # one segment per pass
        for width, start, color in ((reads, left, BLUE),
                                    (writes, left + reads, VERMILLION)):
            ax.barh(y, width, left=start, color=color, edgecolor="white", linewidth=2)
        left += reads + writes
    ax.text(left + 0.2, y, f"{left} floats = {4 * left} B", va="center")
ax.set(yticks=range(len(rows)), yticklabels=[r[0] for r in rows], xlim=(0, 22),
       xlabel="floats moved per parameter (white gaps separate passes)",
       title="The for-loop moves 18 floats where Adam needs 7, SGD 8 where it needs 5")
ax.invert_yaxis()
ax.legend([plt.Rectangle((0, 0), 1, 1, color=c) for c in (BLUE, VERMILLION)],
          ["read", "write"], loc="lower right")
plt.show()

# %% [markdown]
# So an eager Adam moves $18/7 \approx 2.6$ times the bytes of (11.2), and an eager SGD-momentum
# $8/5 = 1.6$ times those of (11.1). Three more costs come on top:
#
# * **one small operation per tensor:** 96 tensors × 7 operations = 672 operator calls per step,
#   each with its own dispatch (on a multi-core CPU its own parallel region; on a GPU its own
#   kernel launch);
# * **temporaries:** `sqrt` and the division allocate fresh tensors every step, and fresh pages
#   from the operating system cost time to touch;
# * **caches help by accident:** a per-tensor loop's tensor of a few MB may stay in cache from
#   one pass to the next, so an eager step can beat the 2.6× (or 1.6×) prediction.
#
# The first cost is easy to measure: time one `add_` on tensors of every size and mark where the
# model's 96 tensors fall.

# %%
# NBVAL_IGNORE_OUTPUT
sizes = [2 ** k for k in range(4, 23)]                      # 16 to 4 M floats
call_s = {}
for n in sizes:
    x = torch.zeros(n, device=device)
    timed = bench.time_round_robin({"add_": lambda: x.add_(1.0)}, repeats=9, warmup=2,
                                   device=device)
    call_s[n] = min(timed["add_"])
overhead = min(call_s.values())
numels = sorted(p.numel() for p in params)
small = [k for k in numels if k <= 4 * 1024]
print(f"one call: {1e6 * call_s[16]:.1f} µs (wall clock) on 16 floats, "
      f"{1e6 * call_s[1024]:.1f} µs (wall clock) on 1,024, "
      f"{1e6 * call_s[4 * 2 ** 20]:.0f} µs (wall clock) on 4 M; {len(small)} of the "
      f"{len(numels)} tensors hold at most 4,096 numbers "
      f"({sum(small) / n_params:.2%} of the parameters)")
assert call_s[1024] < 3 * call_s[16], "a small call costs its overhead, not its bytes"
assert call_s[16] / 16 > 10 * call_s[4 * 2 ** 20] / (4 * 2 ** 20)

fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.loglog(sizes, [1e6 * call_s[n] for n in sizes], "o-", color=BLUE,
          label="x.add_(1.0)")
ax.axhline(1e6 * overhead, color=GREY, linestyle=":", label="fixed cost of one call")
ax.plot(numels, [0.5 * 1e6 * overhead] * len(numels), "|", color=VERMILLION,
        markersize=14, label="the model's 96 tensors")
ax.set(xlabel="numbers in the tensor", ylabel="µs per call (wall clock)",
       title=f"{len(small)} of {len(numels)} calls pay the fixed cost for "
             f"{sum(small) / n_params:.1%} of the work")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# Below a few thousand numbers a call costs its fixed overhead whatever it moves; the model's
# bias and norm vectors all fall there, so most of a for-loop's calls do almost no work.
#
# torch's two faster paths each attack one of these costs. `foreach=True` groups the per-tensor
# calls into one call per operation over a *list* of tensors (on a GPU, a few launches instead of
# hundreds; on a CPU the `_foreach_*` operations fall back to the same per-tensor loop).
# `fused=True` fuses in both directions, in the words of torch's documentation: *vertically*,
# the whole update in one pass that reads each input once and writes each output once (the
# traffic of (11.2)), and *horizontally*, many tensors per call: on CUDA a multi-tensor kernel
# that updates a batch of tensors in each launch.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. From scratch: flatten, then fuse
#
# **Flatten.** If every parameter is a *view* into one contiguous buffer, and every gradient a
# view into another, one tensor operation updates the whole model: 7 calls per step instead of
# 672, and no tensor is small. `fast.flatten_parameters` moves the parameters' memory without
# changing their identity, so a model, its optimizer and its hooks keep working; backward then
# accumulates straight into the flat gradient.

# %%
show_source(fast.flatten_parameters)

# %% [markdown]
# `bench.make_params` already lays the parameters out this way, so all the implementations
# below share them. The flat eager step, `fast.FlatAdam`, performs torch's for-loop operations
# in torch's order on the flat buffers (writing the denominator into a buffer it keeps instead
# of a fresh one), so it is **bitwise** equal to torch; so is its SGD twin. Proven on a small
# least-squares problem in float32:

# %%
gen = torch.Generator().manual_seed(0)
X, y = torch.randn(64, 40, generator=gen), torch.randn(64, generator=gen)
w_init = [0.1 * torch.randn(8, 4, generator=gen), torch.zeros(8),
          0.1 * torch.randn(2, 4, generator=gen)]


def least_squares(ps):
    w = torch.cat([p.flatten() for p in ps])[:40]
    return 0.5 * ((X @ w - y) ** 2).mean()


adam_kw = dict(lr=0.01, weight_decay=0.1)
sgd_kw = dict(lr=0.05, momentum=0.9, nesterov=True)
pairs = {"FlatAdam": (lambda ps: fast.FlatAdam(ps, **adam_kw),
                      lambda ps: torch.optim.Adam(ps, **adam_kw, foreach=False)),
         "FlatSGD": (lambda ps: fast.FlatSGD(ps, **sgd_kw),
                     lambda ps: torch.optim.SGD(ps, **sgd_kw, foreach=False))}
for name, (ours, theirs) in pairs.items():
    result = compare_optimizers(ours, theirs, least_squares, w_init, steps=50,
                                names=(name, "torch (for-loop)"))
    print(result)
    assert result.exact

# %% [markdown]
# **Fuse.** Flattening cuts the calls but not the passes: the flat Adam still moves 18 floats
# per parameter. To move 7, the whole update must happen in *one* loop over memory. Eager
# PyTorch has no such operation, but we can write the update as plain arithmetic and let
# `torch.compile` fuse it into one generated kernel (C++ with OpenMP on a CPU, Triton on a GPU):

# %%
show_source(fast.adam_fused_math)

# %% [markdown]
# The scalars (`lr`, the bias corrections) are arguments and the function is compiled with
# `dynamic=True`, so a scheduler changing `lr` does not recompile it. Compiling takes seconds to
# tens of seconds the first time (then it is cached on disk), so the compiled step runs here
# only with `COURSE_FULL_RUN=1`; `tests/test_fast.py` proves it equal to `torch.optim` in
# float64 to $10^{-12}$.
#
# For SGD with momentum (no dampening, no weight decay) eager PyTorch *can* get close to the
# floor by hand, on the flat buffers: `torch.add(g, b, alpha=μ, out=b)` forms
# $b \leftarrow g + \mu b$ in one pass of 3 floats, and `θ.add_(b, alpha=-γ)` is another pass
# of 3: six floats against the floor's five. It equals torch's SGD up to rounding, not
# necessarily bitwise: with fused multiply-add, $g + \mu b$ can be rounded once, while torch
# rounds $\mu b$ and then the sum.

# %%
def lean_sgd_step(param, grad, buf, *, lr, momentum):
    """Momentum SGD (4.2)–(4.3), no dampening or weight decay, t ≥ 2: 6 floats."""
    torch.add(grad, buf, alpha=momentum, out=buf)      # b ← g + μ b          (4.2)
    param.add_(buf, alpha=-lr)                         # θ ← θ − γ b          (4.3)


check_p, check_g = torch.randn(1000, generator=gen), torch.randn(1000, generator=gen)
ours_p, ours_b = check_p.clone(), check_g.clone()
torch_p = check_p.clone().requires_grad_()
torch_sgd = torch.optim.SGD([torch_p], lr=0.01, momentum=0.9)
for _ in range(5):
    torch_p.grad = check_g.clone()
    torch_sgd.step()
ours_p.add_(ours_b, alpha=-0.01)                       # step 1: b_1 = g_1
for _ in range(4):
    lean_sgd_step(ours_p, check_g, ours_b, lr=0.01, momentum=0.9)
torch.testing.assert_close(ours_p, torch_p.detach())
print("lean SGD == torch SGD after 5 steps, within float32 tolerance")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. The race
#
# Every implementation, on the same parameters and gradients, interleaved round by round
# (`bench.implementations` builds them; `python -m course_utils bench` prints the same tables):
#
# * **ours: per-tensor loop** — `course_utils.optim` (chapters 04 and 05), the readable path;
# * **ours: foreach** — `fast.foreach_sgd_step` / `foreach_adam_step`, torch's operations on lists;
# * **ours: flat** — `fast.FlatSGD` / `FlatAdam`, eager, one buffer;
# * **ours: flat, lean** (SGD only) — the two-pass step above;
# * **ours: flat + compile** — the fused math compiled (with `COURSE_FULL_RUN=1`);
# * **torch: for-loop / foreach / fused** — `torch.optim`'s three implementations.
#
# Each round also times the floor of section 2 right before each implementation. "% floor" is
# the floor's time over the step's, the median over the rounds of these paired ratios: load
# from other processes then hits both halves of a pair alike, and only noise can push it past
# 100%.

# %%
def race(name, params, repeats=9):
    """Median seconds per step of each implementation, the floor's GB/s (11.3), the
    times of every round, and each implementation's % of the floor."""
    impls = bench.implementations(name, params, compile=FULL_RUN)
    if name == "sgd":
        flat, flat_grad = fast.flatten_parameters(params)
        lean_buf = flat_grad.clone()             # b_1 = g_1, as torch's first step
        impls["ours: flat, lean"] = lambda: lean_sgd_step(flat, flat_grad, lean_buf,
                                                          **bench.HYPER[name])
    bench.first_steps(impls)
    timed = bench.with_floor(bench.floor_step(name, n_params, device), impls)
    times = bench.time_round_robin(timed, repeats=repeats, warmup=1, device=device,
                                   max_seconds=None if FULL_RUN else 3)
    floor_s = statistics.median(t for k, v in times.items()
                                if k.startswith(bench.FLOOR_BEFORE) for t in v)
    medians = {k: statistics.median(times[k]) for k in impls}
    pct = {k: bench.pct_of_floor(times, k) for k in impls}
    return medians, streams[name] * 4 * n_params / floor_s / 1e9, times, pct


def paired(times, a, b):
    """Median over rounds of a's time / b's time in the same round."""
    return statistics.median(ta / tb for ta, tb in zip(times[a], times[b]))


# %%
# NBVAL_IGNORE_OUTPUT
results = {name: race(name, params) for name in ("sgd", "adam")}
for name, (medians, floor_gbps, _, pct_floor) in results.items():
    fused = medians["torch: fused"]
    print(f"\n{bench.TITLES[name]}: {streams[name]} floats per parameter; "
          f"floor {floor_gbps:.1f} GB/s (median)")
    print(f"{'implementation':<24}{'median':>22}{'GB/s':>7}{'vs fused':>10}"
          f"{'% floor':>8}")
    for impl, t in sorted(medians.items(), key=lambda kv: kv[1]):
        gbps = streams[name] * 4 * n_params / t / 1e9                      # (11.3)
        print(f"{impl:<24}{1e3 * t:>9.2f} ms (wall clock){gbps:>7.1f}{fused / t:>9.2f}×"
              f"{pct_floor[impl]:>7.0f}%")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True)
for ax, (name, (_, floor_gbps, _, pct)) in zip(axes, results.items()):
    names = sorted(pct, key=pct.get)
    ax.barh(names, [pct[k] for k in names],
            color=[BLUE if k.startswith("ours") else VERMILLION for k in names])
    ax.axvline(100, color=BLACK, linestyle=":")
    ax.set(title=f"{bench.TITLES[name]}: floor {floor_gbps:.1f} GB/s",
           xlabel="% of the floor (paired rounds, median)")
fig.legend([plt.Rectangle((0, 0), 1, 1, color=c) for c in (BLUE, VERMILLION)] +
           [plt.Line2D([], [], color=BLACK, linestyle=":")],
           ["ours (from scratch)", "torch.optim",
            "100%: the step's bytes, streamed once"],
           loc="outside lower center", ncols=3)
fig.suptitle(f"Fewer passes, fewer calls, closer to the floor "
             f"({n_params / 1e6:.0f} M parameters, {device.type})")
plt.show()

# %% [markdown]
# Compare the bars with the pass counts of section 4: the flat lean and fused steps make the
# fewest passes with the fewest calls. The "vs fused" column is speed relative to torch's fused
# kernel (above 1 is faster).
#
# Why can the lean SGD, with 6 floats per parameter, come so close to torch's fused step,
# which moves 5? Bytes are not the only cost. The lean step makes 2 calls on one flat buffer; torch's
# fused step has 96 tensors of very different sizes to work through, one call's worth of set-up
# each. The floor is the same fused kernel on one flat buffer, so the "% floor" of "torch:
# fused" measures, up to noise, what the 96 tensors cost on this machine: the margin the lean
# step spends on its sixth float.
#
# The claims are asserted on paired ratios, the median over rounds of one step's time over
# another's *in the same round*, so that a burst of load hits both (the lean and fused SGD
# steps race again head to head, back to back). The bounds follow from the pass counts, with
# room for a busy machine: lean SGD 6 floats to fused's 5 (1.2× at the floor; bound 2×),
# for-loop Adam 18 to 7 (2.6×, less what the caches save; bound 1.5×). The percentages are
# printed, not asserted.

# %%
# NBVAL_IGNORE_OUTPUT
flat, flat_grad = fast.flatten_parameters(params)
lean_buf = flat_grad.clone()                     # b_1 = g_1, as torch's first step
fused_sgd = torch.optim.SGD(params, **bench.HYPER["sgd"], fused=True)
head_to_head = {"lean": lambda: lean_sgd_step(flat, flat_grad, lean_buf,
                                              **bench.HYPER["sgd"]),
                "fused": fused_sgd.step}
bench.first_steps(head_to_head)
lean_vs_fused = paired(bench.time_round_robin(head_to_head, repeats=21, warmup=1,
                                              device=device, max_seconds=2),
                       "lean", "fused")
fused_vs_loop = paired(results["adam"][2], "torch: for-loop", "torch: fused")
print(f"lean flat SGD takes {lean_vs_fused:.2f}× the time of torch's fused SGD "
      "(head to head; bound: 2×)")
print(f"torch's for-loop Adam takes {fused_vs_loop:.1f}× the time of its fused Adam "
      f"(bound: > 1.5×)")
for name in ("sgd", "adam"):
    print(f"{bench.TITLES[name]}: torch's fused step at "
          f"{results[name][3]['torch: fused']:.0f}% of the floor")
assert lean_vs_fused < 2, "our two-pass SGD comes close to torch's fused kernel"
assert fused_vs_loop > 1.5, "moving each byte once pays"

# %%
# NBVAL_IGNORE_OUTPUT
if FULL_RUN:
    for name in ("sgd", "adam"):
        ratio = paired(results[name][2], "ours: flat + compile", "torch: fused")
        print(f"{bench.TITLES[name]}: compiled flat step takes {ratio:.2f}× torch "
              "fused's time (bound: 1.1×)")
        assert ratio < 1.1, "one fused loop from scratch matches torch's kernel"
else:
    print("compiled steps skipped: set COURSE_FULL_RUN=1 (compiling takes seconds to "
          "tens of seconds)")

# %% [markdown]
# How does the cost scale with $N$? Section 4's fixed cost per call does not shrink with the
# model, so it should weigh most on small models. The next cell races four Adam steps and the
# floor at three smaller sizes, from 32 thousand parameters, adds the race above, and plots
# each one's fastest round (load only ever adds time); the for-loop's gap to the floor is a
# paired ratio:

# %%
# NBVAL_IGNORE_OUTPUT
sweep, loop_gap = {}, {}
for size in (32_000, 250_000, 2_000_000):
    sized = bench.make_params(size, device)
    n = sum(p.numel() for p in sized)
    steps = {"torch: for-loop": torch.optim.Adam(sized, lr=1e-3, foreach=False).step,
             "torch: foreach": torch.optim.Adam(sized, lr=1e-3, foreach=True).step,
             "ours: flat": fast.FlatAdam(sized, lr=1e-3).step,
             "torch: fused": torch.optim.Adam(sized, lr=1e-3, fused=True).step,
             "floor": bench.floor_step("adam", n, device)}
    bench.first_steps(steps)
    timed = bench.time_round_robin(steps, repeats=5, warmup=1, device=device,
                                   max_seconds=1)
    loop_gap[n] = paired(timed, "torch: for-loop", "floor")
    sweep[n] = {k: min(v) for k, v in timed.items()}
race_times = results["adam"][2]                      # the race's rounds: the largest size
sweep[n_params] = {k: min(race_times[k]) for k in steps if k != "floor"}
sweep[n_params]["floor"] = min(t for k, v in race_times.items()
                               if k.startswith(bench.FLOOR_BEFORE) for t in v)
loop_gap[n_params] = 100 / results["adam"][3]["torch: for-loop"]
ns = sorted(sweep)
for n in ns:
    print(f"{n:>10,} parameters: " + ", ".join(f"{k} {1e3 * t:.2f} ms (wall clock)"
                                              for k, t in sweep[n].items()))
print(f"for-loop Adam / floor: {loop_gap[ns[0]]:.1f}× at {ns[0]:,}, "
      f"{loop_gap[ns[-1]]:.1f}× at {ns[-1]:,} parameters")
assert loop_gap[ns[0]] > loop_gap[ns[-1]], "fixed costs weigh most on small models"

fig, ax = plt.subplots(figsize=(6.4, 4.0))
for k, color in zip(sweep[ns[0]], (VERMILLION, ORANGE, BLUE, GREEN, BLACK)):
    ax.loglog(ns, [1e3 * sweep[n][k] for n in ns], "o-" if k != "floor" else "s--",
              color=color, label=k)
ax.set(xlabel="parameters N", ylabel="ms per step (fastest round, wall clock)",
       title=f"For-loop Adam: {loop_gap[ns[0]]:.0f}× the floor at {ns[0] // 1000} k, "
             f"{loop_gap[ns[-1]]:.1f}× at {ns[-1] / 1e6:.0f} M parameters")
ax.legend()
plt.show()

# %% [markdown]
# At the largest size the lines run parallel to the floor, a cost proportional to $N$: bytes.
# At the smallest they flatten out: each step pays a cost per call and per tensor that does not
# shrink with $N$, which the flat steps pay once per operation instead of once per tensor.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. On a GPU
#
# Everything above runs unchanged on CUDA; only the numbers move. A data-centre GPU moves memory
# tens of times faster than a laptop CPU (an H100's memory is rated at about 3 TB/s), while
# every kernel launch still costs microseconds, so there the per-tensor launches of the for-loop
# dominate and `foreach` (a few launches for all tensors) and `fused` matter far more than on a
# CPU. The command-line benchmark races on every device it finds, with 100 M parameters on
# CUDA so that launch overheads do not hide the bandwidth:
#
# ```bash
# python -m course_utils bench                 # CPU, and CUDA when present
# python -m course_utils bench --device cuda --size 200M --repeats 20
# ```
#
# The cell below runs a short CUDA race when a GPU is present, and says so when not.

# %%
# NBVAL_IGNORE_OUTPUT
if torch.cuda.is_available():
    rows, n_tensors = bench.bench(100_000_000 if FULL_RUN else 20_000_000, "cuda",
                                  repeats=9, compile=FULL_RUN)
    print(bench.format_table(rows, "cuda", n_tensors))
    print("\n".join(bench.goal_report(rows, "cuda")))
else:
    print("no CUDA device here: on a GPU machine, run "
          "`python -m course_utils bench --device cuda`")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pitfalls
#
# * **Timing the first step**, which allocates the optimizer state (and compiles, for a
#   compiled step). Warm up first.
# * **Timing a GPU without synchronizing**: you measure how fast Python can queue kernels.
# * **Comparing against a copy as if it were a ceiling.** Write-allocate (section 2) makes an
#   in-place step beat "100% of copy bandwidth"; measure the floor with the step's own traffic.
# * **Replacing a flat gradient.** `opt.zero_grad(set_to_none=True)` in torch's optimizers, or
#   `p.grad = None`, cuts a parameter's gradient loose from the flat buffer. The flat optimizers
#   zero the buffer in place instead, and refuse to step if a gradient was replaced:

# %%
demo = [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(2))]
demo_opt = fast.FlatSGD(demo, lr=0.1, momentum=0.9)
demo_opt.zero_grad()                         # zeroes the flat gradient in place
assert demo[0].grad is not None and float(demo_opt.flat_grad.abs().sum()) == 0.0
demo[0].grad = torch.ones(3, 2)              # what set_to_none + backward would do
try:
    demo_opt.step()
except RuntimeError as err:
    print("refused:", str(err)[:78])

# %% [markdown]
# * **Expecting a fused kernel to be bitwise equal** to the for-loop: one loop with fused
#   multiply-adds rounds differently (the lean SGD above, torch's own fused kernels). Compare
#   with a tolerance, or in float64.
#
# ## Summary
#
# 1. SGD with momentum moves 5 floats per parameter, Adam 7 (11.1)–(11.2); divided by a
#    measured bandwidth, that is the floor on a step's time (11.3).
# 2. Time with warm-up, interleaved rounds and medians (and synchronization on a GPU); report
#    the effective bandwidth.
# 3. Eager steps pay for extra passes (Adam: 18 floats instead of 7), temporaries and a fixed
#    cost per call on every one of their many small tensors; caches sometimes hide part of it.
# 4. Flattening removes the per-tensor calls, fusing removes the extra passes: the from-scratch
#    flat SGD in two passes comes close to torch's fused kernel (asserted within 2×). The
#    compiled flat step is proven to compute torch's step by the test suite; its *speed* is
#    raced only with `COURSE_FULL_RUN=1` (the outputs shown here skip it), where the chapter
#    asserts it within 10% of torch's fused kernel.

# %% [markdown]
# ## Exercises
#
# **1.** Count the floats per parameter for AdamW with `amsgrad=True`. Check your count against
# the state torch keeps (which tensors does it read and write?).

# %% tags=["solution"]
amsgrad_opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(4))], amsgrad=True)
amsgrad_opt.param_groups[0]["params"][0].grad = torch.ones(4)
amsgrad_opt.step()
state = next(iter(amsgrad_opt.state.values()))
state_tensors = [k for k, v in state.items() if v.numel() > 1]
reads, writes = 2 + len(state_tensors), 1 + len(state_tensors)   # θ, g, state; θ, state
print(f"state tensors {state_tensors}: {reads} reads + {writes} writes = "
      f"{reads + writes} floats per parameter")
assert reads + writes == 9

# %% [markdown]
# **2.** Write a lean Adam in eager PyTorch with as few floats per parameter as you can, using
# `out=` and the "efficient" form of Kingma & Ba: $\sqrt{v} + \epsilon\sqrt{1-\beta_2^t}$ in the
# denominator and $\gamma\sqrt{1-\beta_2^t}/(1-\beta_1^t)$ as the step size (the same maths as
# (5.6)). Count its floats, and check it against `torch.optim.Adam` for a few steps.

# %% tags=["solution"]
def lean_adam_step(param, grad, m, v, denom, t, *, lr=1e-3, beta1=0.9, beta2=0.999,
                   eps=1e-8):
    bc2_sqrt = (1 - beta2 ** t) ** 0.5
    m.lerp_(grad, 1 - beta1)                                         # 3 floats
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)              # 2 + 3
    torch.sqrt(v, out=denom).add_(eps * bc2_sqrt)                    # 2 + 2
    param.addcdiv_(m, denom, value=-lr * bc2_sqrt / (1 - beta1 ** t))  # 4: 16 in all


p0, g0 = torch.randn(1000, generator=gen), torch.randn(1000, generator=gen)
mine, ref = p0.clone(), p0.clone().requires_grad_()
m0, v0, d0 = torch.zeros(1000), torch.zeros(1000), torch.empty(1000)
ref_opt = torch.optim.Adam([ref], lr=1e-3)
for t in range(1, 6):
    lean_adam_step(mine, g0, m0, v0, d0, t)
    ref.grad = g0.clone()
    ref_opt.step()
torch.testing.assert_close(mine, ref.detach())
print("lean Adam (16 floats per parameter) == torch Adam within float32 tolerance")

# %% [markdown]
# **3.** From the sweep of section 6, compute torch's fused Adam's effective bandwidth (11.3)
# and the floor's at each size. Is a step's cost proportional to $N$?

# %% tags=["solution"]
# NBVAL_IGNORE_OUTPUT
for n in ns:
    fused_gbps = 28 * n / sweep[n]["torch: fused"] / 1e9
    floor_gbps = 28 * n / sweep[n]["floor"] / 1e9
    print(f"{n:>10,} parameters: fused {fused_gbps:.1f} GB/s, "
          f"floor {floor_gbps:.1f} GB/s "
          f"({100 * sweep[n]['floor'] / sweep[n]['torch: fused']:.0f}% of the floor)")
fused_bw = {n: 28 * n / sweep[n]["torch: fused"] / 1e9 for n in ns}
assert fused_bw[ns[0]] < fused_bw[ns[-2]] / 3, "fixed costs dominate small steps"
# Not proportional at small N: each step also pays a cost per call and per tensor that does
# not shrink with N, so the effective bandwidth rises with N (asserted: the smallest step
# reaches under a third of the bandwidth at 2 M). Both the step and the floor can drop
# again at the largest N, once the buffers no longer fit in the caches and every byte
# comes from main memory: proportional to N from there on.

# %% [markdown]
# ## References
#
# * S. Williams, A. Waterman and D. Patterson, *Roofline: an insightful visual performance model
#   for multicore architectures*, Communications of the ACM 52(4), 2009 — arithmetic intensity
#   and the bandwidth roof.
# * J. D. McCalpin, *Memory bandwidth and machine balance in current high performance
#   computers*, IEEE TCCA Newsletter, 1995 (the STREAM benchmark) — measuring copy bandwidth,
#   and why a copy counts fewer bytes than it moves.
# * PyTorch documentation, [`torch.optim`](https://pytorch.org/docs/stable/optim.html)
#   ("Algorithms": for-loop, foreach and fused implementations) and the tutorial *Compiling the
#   optimizer with torch.compile*.
# * D. P. Kingma and J. Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015 — the
#   "efficient" form of the update used in exercise 2.
# * NVIDIA, *H100 Tensor Core GPU* datasheet — the rated memory bandwidth quoted in section 7.
