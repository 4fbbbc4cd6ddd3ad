"""Time optimizer steps against the memory floor: ``python -m course_utils bench``.

Chapter: 11_cost_of_a_step

An optimizer step moves ``STREAMS[name]`` floats per parameter (11.1)–(11.2) and does a few
flops on each, so it is bound by memory bandwidth. The benchmark measures the machine's
*floor* for that traffic — one in-place pass with exactly the step's reads and writes: torch's
fused kernel on a single flat scratch buffer of the same size (:func:`floor_step`) — then times every
implementation of the step on the same parameters and reports its effective bandwidth

    GB/s = STREAMS · bytes per float · parameters / median step time          (11.3)

as a percentage of the floor's (100 % = as fast as streaming the same bytes; more is only
noise), and its speed relative to torch's fused kernel. A plain copy is no such floor: on a
CPU its writes to a fresh destination are preceded by reads of those lines (write-allocate),
so a copy moves more bytes than it is credited with, and an in-place update can "beat" it.
Timings interleave the implementations round by round (a burst of load on a shared machine
then hits all of them alike), discard warm-up rounds, and report medians.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from . import optim
from .optim import fast
from .device import synchronize

STREAMS = {"sgd": 5, "adam": 7}      # floats read + written per parameter, (11.1) and (11.2)
# The fallback floor's passes (where torch has no fused kernel for the device), all in place on
# flat scratch buffers: (reads, writes) per element. Their sums are the steps' own mixes: SGD reads θ, g, b and writes θ, b (3 + 2); Adam reads θ, g, m, v
# and writes θ, m, v (4 + 3).
FLOOR_PASSES = {"sgd": ("a.add_(b)", "c.neg_()"), "adam": ("a.add_(b)", "c.neg_()", "d.neg_()")}
FLOOR_MIX = {"sgd": (3, 2), "adam": (4, 3)}
TITLES = {"sgd": "SGD with momentum", "adam": "Adam"}
HYPER = {"sgd": dict(lr=1e-3, momentum=0.9), "adam": dict(lr=1e-3)}
DEFAULT_SIZE = {"cpu": 25_000_000, "cuda": 100_000_000}
GOALS = {"cpu": (1.0, 85.0), "cuda": (None, 90.0)}    # (× torch fused, % of the floor)


@dataclass(frozen=True)
class Row:
    """One implementation's timing: ``vs_fused`` > 1 means faster than torch's fused step."""

    optimizer: str
    implementation: str
    params: int
    median_s: float
    gbps: float
    vs_fused: float | None
    pct_floor: float       # floor time / step time, paired round by round (median), in %
    floor_gbps: float      # the floor (same reads and writes, streamed in place), same rounds


def model_shapes(n_params: int, n_layers: int = 8) -> list[tuple[int, ...]]:
    """Parameter shapes of a small transformer with about ``n_params`` parameters.

    Per layer: attention in/out projections, two layer norms, a 4× MLP, with biases (12
    tensors, 12 d² + 13 d numbers); d is a multiple of 8, at least 8.
    """
    d = max(8, int((n_params / (12 * n_layers)) ** 0.5) // 8 * 8)
    layer = [(3 * d, d), (3 * d,), (d, d), (d,), (d,), (d,),
             (4 * d, d), (4 * d,), (d, 4 * d), (d,), (d,), (d,)]
    return layer * n_layers


def make_params(n_params: int, device="cpu", dtype=torch.float32, seed: int = 0):
    """Parameters of :func:`model_shapes` with random values and random gradients.

    They are views of one flat buffer (and so are the grads), the layout that
    :mod:`course_utils.optim.fast` uses, so every implementation can share them.
    """
    gen = torch.Generator(device=device).manual_seed(seed)
    params = [torch.nn.Parameter(torch.empty(s, device=device, dtype=dtype)) for s in model_shapes(n_params)]
    flat, flat_grad = fast.flatten_parameters(params)
    flat.normal_(generator=gen)
    flat_grad.normal_(generator=gen)
    return params


def floor_step(name: str, n: int, device="cpu", dtype=torch.float32, *, fused: bool = True) -> Callable[[], object]:
    """The floor for ``name``'s step on ``n`` parameters, as a zero-argument function.

    By default: torch's fused kernel for the same optimizer on ONE flat scratch parameter of
    ``n`` numbers, warmed up — a single in-place pass that reads and writes exactly the floats of
    (11.1)–(11.2) once, with no per-tensor calls. Where torch has no fused kernel for the device
    (or with ``fused=False``): :data:`FLOOR_PASSES`, streaming in-place passes whose reads and
    writes add up to the same mix (they can be slower than one pass, so they are a looser floor).
    """
    if name not in FLOOR_PASSES:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(FLOOR_PASSES)}")
    if fused:
        flat = torch.nn.Parameter(torch.zeros(n, device=device, dtype=dtype))
        flat.grad = torch.zeros_like(flat)
        cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[name]
        try:
            opt = cls([flat], **HYPER[name], fused=True)
            opt.step()
            opt.step()
        except (RuntimeError, ValueError):
            pass                                   # no fused kernel here: the streaming passes
        else:
            return opt.step
    a, b, c, d = (torch.zeros(n, device=device, dtype=dtype) for _ in "abcd")
    if name == "sgd":
        def step():
            a.add_(b)
            c.neg_()
    else:
        def step():
            a.add_(b)
            c.neg_()
            d.neg_()
    return step


FLOOR_BEFORE = "floor before "


def with_floor(floor: Callable[[], object], fns: dict[str, Callable[[], object]]) -> dict[str, Callable[[], object]]:
    """``fns`` with the floor timed right before each of them, under ``FLOOR_BEFORE + name``."""
    out: dict[str, Callable[[], object]] = {}
    for k, fn in fns.items():
        out[FLOOR_BEFORE + k] = floor
        out[k] = fn
    return out


def pct_of_floor(times: dict[str, list[float]], name: str) -> float:
    """Median over rounds of floor time / ``name``'s time, each floor timed just before: in %.

    Pairing each round's step with the floor timed next to it cancels most of the load that
    other processes put on a shared machine (it hits both alike), which a ratio of medians or
    of minima over a few rounds does not.
    """
    return 100 * statistics.median(f / t for f, t in zip(times[FLOOR_BEFORE + name], times[name]))


def _foreach_impl(name, params):
    """Our multi-tensor step (``torch._foreach_*`` ops) as a step function with its own state."""
    grads, hyper = [p.grad for p in params], HYPER[name]
    state = {"bufs": None, "t": 0, "m": [torch.zeros_like(p) for p in params] if name == "adam" else None,
             "v": [torch.zeros_like(p) for p in params] if name == "adam" else None}

    @torch.no_grad()
    def step():
        if name == "sgd":
            state["bufs"] = fast.foreach_sgd_step(params, grads, state["bufs"], **hyper)
        else:
            state["t"] += 1
            fast.foreach_adam_step(params, grads, state["m"], state["v"], state["t"], **hyper)
    return step


def implementations(name: str, params, *, compile: bool = True) -> dict[str, Callable[[], object]]:
    """Zero-argument step functions, one per implementation, sharing ``params``."""
    ours, flat, theirs = {"sgd": (optim.SGD, fast.FlatSGD, torch.optim.SGD),
                          "adam": (optim.Adam, fast.FlatAdam, torch.optim.Adam)}[name]
    hyper = HYPER[name]
    impls = {"ours: per-tensor loop": ours(params, **hyper).step,
             "ours: foreach": _foreach_impl(name, params),
             "ours: flat": flat(params, **hyper).step}
    if compile:
        impls["ours: flat + compile"] = flat(params, **hyper, compile=True).step
    impls.update({"torch: for-loop": theirs(params, **hyper, foreach=False).step,
                  "torch: foreach": theirs(params, **hyper, foreach=True).step,
                  "torch: fused": theirs(params, **hyper, fused=True).step})
    return impls


def time_round_robin(fns: dict[str, Callable[[], object]], *, repeats: int = 7, warmup: int = 2,
                     device="cpu", max_seconds: float | None = None) -> dict[str, list[float]]:
    """Seconds per call of each function, interleaved round by round; warm-up rounds dropped.

    With ``max_seconds``, rounds stop once that much time has passed and at least three timed
    rounds are done (a busy machine then costs fewer rounds, not minutes).
    """
    device = torch.device(device)
    times: dict[str, list[float]] = {k: [] for k in fns}
    begin = time.perf_counter()
    for r in range(warmup + repeats):
        for k, fn in fns.items():
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            if r >= warmup:
                times[k].append(time.perf_counter() - start)
        if max_seconds is not None and r >= warmup + 2 and time.perf_counter() - begin > max_seconds:
            break
    return times


def first_steps(impls, log=print):
    """Run each step twice (compiles, creates state); drop those that fail, saying why."""
    for k in list(impls):
        start = time.perf_counter()
        try:
            impls[k]()
            impls[k]()
        except Exception as err:                                  # noqa: BLE001 - report and go on
            log(f"  skipped {k}: {type(err).__name__}: {str(err).splitlines()[0][:120]}")
            del impls[k]
        else:
            if "compile" in k:
                log(f"  {k}: compiled in {time.perf_counter() - start:.1f} s (wall clock)")


def bench(size: int | None = None, device="cpu", *, repeats: int = 7, warmup: int = 2,
          optimizers=("sgd", "adam"), compile: bool = True, max_seconds: float | None = 30.0, log=print):
    """Time every implementation of each optimizer; return (rows, number of tensors).

    The floor (:func:`floor_step`) is timed right before each implementation in every round
    (:func:`with_floor`), and ``pct_floor`` pairs the two (:func:`pct_of_floor`); each
    optimizer's rounds stop after ``max_seconds`` (with at least three timed rounds).
    """
    device = torch.device(device)
    size = DEFAULT_SIZE.get(device.type, DEFAULT_SIZE["cpu"]) if size is None else int(size)
    params = make_params(size, device)
    n = sum(p.numel() for p in params)
    rows = []
    for name in optimizers:
        impls = implementations(name, params, compile=compile)
        first_steps(impls, log)
        times = time_round_robin(with_floor(floor_step(name, n, device), impls), repeats=repeats,
                                 warmup=warmup, device=device, max_seconds=max_seconds)
        floor_times = [t for k, v in times.items() if k.startswith(FLOOR_BEFORE) for t in v]
        floor_gbps = STREAMS[name] * 4 * n / statistics.median(floor_times) / 1e9
        medians = {k: statistics.median(v) for k, v in times.items() if not k.startswith(FLOOR_BEFORE)}
        fused = medians.get("torch: fused")
        for k, t in medians.items():
            gbps = STREAMS[name] * 4 * n / t / 1e9                       # (11.3)
            rows.append(Row(name, k, n, t, gbps, fused / t if fused else None, pct_of_floor(times, k),
                            floor_gbps))
        del impls
    return rows, len(params)


def format_table(rows: list[Row], device, n_tensors: int) -> str:
    """The tables of :func:`bench` as text, one per optimizer."""
    from .device import describe_device

    lines = [f"Device: {describe_device(device)}. Floor: one in-place pass with the step's reads and "
             "writes (torch's fused kernel on one flat buffer; bench.floor_step)."]
    for name in dict.fromkeys(r.optimizer for r in rows):
        sub = [r for r in rows if r.optimizer == name]
        lines += ["", f"{TITLES[name]}: {STREAMS[name]} floats = {4 * STREAMS[name]} B per parameter; "
                      f"{sub[0].params:,} parameters in {n_tensors} tensors; "
                      f"floor {sub[0].floor_gbps:.1f} GB/s",
                  f"{'implementation':<24}{'params':>12}{'median ms':>11}{'GB/s':>8}{'vs fused':>10}{'% floor':>8}"]
        for r in sub:
            vs = f"{r.vs_fused:.2f}×" if r.vs_fused else "—"
            lines.append(f"{r.implementation:<24}{r.params:>12,}{1e3 * r.median_s:>11.2f}"
                         f"{r.gbps:>8.1f}{vs:>10}{r.pct_floor:>7.0f}%")
    return "\n".join(lines)


def goal_report(rows: list[Row], device) -> list[str]:
    """The course's goals for our fastest step: speed vs torch fused, share of the floor's bandwidth."""
    speed_goal, floor_goal = GOALS.get(torch.device(device).type, (None, None))
    out = []
    for name in dict.fromkeys(r.optimizer for r in rows):
        ours = [r for r in rows if r.optimizer == name and r.implementation.startswith("ours")]
        best = min(ours, key=lambda r: r.median_s)
        checks = []
        if speed_goal is not None and best.vs_fused is not None:
            checks.append(f"{best.vs_fused:.2f}× torch fused (goal ≥ {speed_goal:.1f}×: "
                          f"{'met' if best.vs_fused >= speed_goal else 'missed'})")
        if floor_goal is not None:
            checks.append(f"{best.pct_floor:.0f}% of the floor's bandwidth (goal ≥ {floor_goal:.0f}%: "
                          f"{'met' if best.pct_floor >= floor_goal else 'missed'})")
        out.append(f"{TITLES[name]}: fastest of ours is '{best.implementation}': " + "; ".join(checks))
    return out


def parse_size(text: str | int | None) -> int | None:
    """``25M`` → 25_000_000 (also ``250k``, ``1.5G``, ``25e6``); None stays None."""
    if text is None or isinstance(text, int):
        return text
    text = text.strip().upper().replace("_", "")
    scale = {"K": 1e3, "M": 1e6, "G": 1e9}.get(text[-1:], 1)
    return int(float(text[:-1] if scale != 1 else text) * scale)


def run(args) -> int:
    """``python -m course_utils bench``: args has size, device, repeats, warmup, optimizers, compile."""
    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    optimizers = tuple(s.strip() for s in args.optimizers.split(",") if s.strip())
    unknown = set(optimizers) - set(STREAMS)
    if unknown:
        raise SystemExit(f"unknown optimizer(s) {sorted(unknown)}; choose from {sorted(STREAMS)}")
    for i, device in enumerate(devices):
        print(("\n" if i else "") + f"== {device} ==", flush=True)
        rows, n_tensors = bench(parse_size(args.size), device, repeats=args.repeats, warmup=args.warmup,
                                           optimizers=optimizers, compile=args.compile,
                                           log=lambda s: print(s, flush=True))
        print(format_table(rows, device, n_tensors))
        print("\n" + "\n".join(goal_report(rows, device)), flush=True)
    return 0
