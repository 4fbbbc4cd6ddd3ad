"""course_utils.bench: a tiny benchmark's table, and every benchmarked step equal to torch.optim.

Timings are not asserted here (they depend on the machine); the structure of the report is,
and so is the arithmetic that turns a time into GB/s and a ratio.
"""

import pytest
import torch

from course_utils import bench
from course_utils.__main__ import main

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")

TINY = 20_000
IMPLS = ["ours: per-tensor loop", "ours: foreach", "ours: flat",
         "torch: for-loop", "torch: foreach", "torch: fused"]


def test_model_shapes_are_a_transformer_of_about_the_asked_size():
    shapes = bench.model_shapes(25_000_000)
    n = sum(torch.Size(s).numel() for s in shapes)
    assert len(shapes) == 12 * 8 and 0.9 * 25e6 <= n <= 1.1 * 25e6
    assert all(dim % 8 == 0 for s in shapes for dim in s)
    assert bench.model_shapes(10)[0] == (24, 8)            # d never drops below 8


def test_make_params_are_views_of_one_flat_buffer_with_grads():
    params = bench.make_params(TINY)
    ptr = params[0].untyped_storage().data_ptr()
    assert all(p.untyped_storage().data_ptr() == ptr and p.grad is not None for p in params)
    assert torch.equal(bench.make_params(TINY)[3], params[3])      # seeded


@pytest.mark.parametrize("text, n", [("25M", 25_000_000), ("250k", 250_000), ("1.5G", 1_500_000_000),
                                     ("25e6", 25_000_000), ("1_000", 1000), (None, None), (7, 7)])
def test_parse_size(text, n):
    assert bench.parse_size(text) == n


def test_tiny_bench_table_structure():
    rows, n_tensors = bench.bench(TINY, "cpu", repeats=2, warmup=1, compile=False, log=lambda s: None)
    assert n_tensors == 96
    assert [(r.optimizer, r.implementation) for r in rows] == [(o, i) for o in ("sgd", "adam") for i in IMPLS]
    for r in rows:
        assert r.params == sum(torch.Size(s).numel() for s in bench.model_shapes(TINY))
        assert r.median_s > 0
        assert r.gbps == pytest.approx(bench.STREAMS[r.optimizer] * 4 * r.params / r.median_s / 1e9)   # (11.3)
        assert r.floor_gbps > 0 and r.pct_floor > 0
    fused = {r.optimizer: r.median_s for r in rows if r.implementation == "torch: fused"}
    for r in rows:
        assert r.vs_fused == pytest.approx(fused[r.optimizer] / r.median_s)
    table = bench.format_table(rows, "cpu", n_tensors)
    assert "SGD with momentum: 5 floats = 20 B per parameter" in table
    assert "Adam: 7 floats = 28 B per parameter" in table
    assert all(table.count(name) == 2 for name in IMPLS)
    header = [line for line in table.splitlines() if line.startswith("implementation")]
    assert len(header) == 2 and header[0].split() == ["implementation", "params", "median", "ms", "GB/s",
                                                     "vs", "fused", "%", "floor"]
    goals = bench.goal_report(rows, "cpu")
    assert len(goals) == 2 and all("torch fused" in g and "floor's bandwidth" in g for g in goals)


def test_command_line_prints_the_tables(capsys):
    assert main(["bench", "--size", "20k", "--repeats", "1", "--warmup", "0", "--no-compile",
                 "--optimizers", "sgd", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "== cpu ==" in out and "floor" in out and "torch: fused" in out and "Adam" not in out
    with pytest.raises(SystemExit):
        main(["bench", "--optimizers", "lion", "--device", "cpu"])


def test_the_floor_is_timed_before_each_step_and_paired_with_it():
    calls = []
    fns = bench.with_floor(lambda: calls.append("floor"), {"a": lambda: calls.append("a"),
                                                           "b": lambda: calls.append("b")})
    assert list(fns) == ["floor before a", "a", "floor before b", "b"]
    for fn in fns.values():
        fn()
    assert calls == ["floor", "a", "floor", "b"]
    times = {"floor before a": [1.0, 2.0, 9.0], "a": [2.0, 2.0, 3.0]}     # a busy third round hits both
    assert bench.pct_of_floor(times, "a") == pytest.approx(100.0)           # median of 50%, 100%, 300%


def test_round_robin_interleaves_and_stops_at_its_time_budget():
    calls = []
    times = bench.time_round_robin({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                                   repeats=4, warmup=1)
    assert calls == ["a", "b"] * 5 and all(len(v) == 4 for v in times.values())
    times = bench.time_round_robin({"slow": lambda: __import__("time").sleep(0.01)}, repeats=50, warmup=1,
                                   max_seconds=0.0)
    assert len(times["slow"]) == 3                     # never fewer than three timed rounds


def test_a_failing_implementation_is_skipped_with_its_reason():
    said = []

    def broken():
        raise RuntimeError("no compiler here")

    impls = {"ok": lambda: None, "ours: flat + compile": broken}
    bench.first_steps(impls, said.append)
    assert list(impls) == ["ok"] and "no compiler here" in said[0]


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_the_floor_reads_and_writes_what_the_step_must(name):
    """The fallback passes sum to the step's mix (11.1)–(11.2); both floors work in place."""
    reads = sum(2 if "add_" in p else 1 for p in bench.FLOOR_PASSES[name])
    writes = len(bench.FLOOR_PASSES[name])
    assert (reads, writes) == bench.FLOOR_MIX[name] and reads + writes == bench.STREAMS[name]
    passes = bench.floor_step(name, 1000, fused=False)
    buffers = [c.cell_contents for c in passes.__closure__]
    before = [b.data_ptr() for b in buffers]
    passes()
    assert [b.data_ptr() for b in buffers] == before and all(b.numel() == 1000 for b in buffers)
    fused = bench.floor_step(name, 1000)                   # torch's fused kernel on one flat tensor
    opt = fused.__self__
    (flat,) = opt.param_groups[0]["params"]
    ptr = flat.data_ptr()
    fused()
    assert flat.numel() == 1000 and flat.data_ptr() == ptr and opt.param_groups[0]["fused"]
    with pytest.raises(ValueError, match="unknown optimizer"):
        bench.floor_step("lion", 10)


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_every_benchmarked_step_computes_torch_optim_step(name):
    """Each implementation on its own copy of the same float64 params, five steps, ≤ 1e-12 relative."""
    ref = bench.make_params(TINY, dtype=torch.float64)
    reference = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[name](ref, foreach=False, **bench.HYPER[name])
    for _ in range(5):
        reference.step()
    expected = torch.cat([p.detach().flatten() for p in ref])
    for impl in IMPLS:
        params = bench.make_params(TINY, dtype=torch.float64)
        step = bench.implementations(name, params, compile=False)[impl]
        for _ in range(5):
            step()
        got = torch.cat([p.detach().flatten() for p in params])
        rel = ((got - expected).abs() / expected.abs().clamp_min(1e-300)).max()
        assert float(rel) <= 1e-12, impl


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_tiny_bench_on_cuda():
    rows, _ = bench.bench(TINY, "cuda", repeats=2, warmup=1, compile=False, log=lambda s: None)
    assert len(rows) == 2 * len(IMPLS) and all(r.floor_gbps > 0 for r in rows)
