"""The experiment runner: intervals from formulas, resumable records, the table, and `check`."""

import json
import math
import statistics
import time

import pytest
import torch

from course_utils.__main__ import main
from course_utils.data import FashionMNIST
from course_utils.experiments import registry, runner, stats
from course_utils.experiments.registry import Experiment, config

# ── Student-t intervals, against closed forms ────────────────────────────────────────────────


def t_cdf_closed(t, nu):
    """Closed-form CDFs of Student's t for ν = 1, 2, 3, 4."""
    if nu == 1:
        return 0.5 + math.atan(t) / math.pi
    if nu == 2:
        return 0.5 + t / (2 * math.sqrt(2 + t * t))
    if nu == 3:
        u = t / math.sqrt(3)
        return 0.5 + (u / (1 + u * u) + math.atan(u)) / math.pi
    x = t * t / (4 + t * t)                                      # ν = 4
    return 0.5 + math.copysign(math.sqrt(x) * (3 - x) / 4, t)


@pytest.mark.parametrize("nu", [1, 2, 3, 4])
@pytest.mark.parametrize("t", [-3.0, -0.4, 0.0, 0.7, 2.5, 12.0])
def test_t_cdf_matches_the_closed_forms(nu, t):
    assert stats.t_cdf(t, nu) == pytest.approx(t_cdf_closed(t, nu), abs=1e-10)


def test_t_quantiles_match_the_closed_forms():
    q = 0.975
    assert stats.t_quantile(q, 1) == pytest.approx(math.tan(math.pi * (q - 0.5)), rel=1e-9)
    assert stats.t_quantile(q, 2) == pytest.approx((2 * q - 1) / math.sqrt(2 * q * (1 - q)), rel=1e-9)
    for nu in (3, 4):
        assert t_cdf_closed(stats.t_quantile(q, nu), nu) == pytest.approx(q, abs=1e-10)
    z, nu = statistics.NormalDist().inv_cdf(q), 10_000                # Cornish–Fisher: z + (z³ + z)/(4ν)
    assert stats.t_quantile(q, nu) == pytest.approx(z + (z ** 3 + z) / (4 * nu), rel=1e-7)
    with pytest.raises(ValueError, match="need 0.5 < q < 1"):
        stats.t_quantile(0.3, 4)


def test_mean_ci_is_the_student_interval():
    values = [1.0, 2.0, 4.0, 4.5, 5.5]
    mean, half = stats.mean_ci(values)
    s = math.sqrt(sum((v - 3.4) ** 2 for v in values) / 4)
    t4 = stats.t_quantile(0.975, 4)
    assert t_cdf_closed(t4, 4) == pytest.approx(0.975, abs=1e-10)
    assert mean == pytest.approx(3.4) and half == pytest.approx(t4 * s / math.sqrt(5), rel=1e-12)
    assert math.isnan(stats.mean_ci([2.0])[1])
    with pytest.raises(ValueError, match="at least one value"):
        stats.mean_ci([])


# ── the runner on a toy data set ─────────────────────────────────────────────────────────────

@pytest.fixture(scope="module")
def toy_data():
    g = torch.Generator().manual_seed(0)

    def split(n):
        return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)
    return FashionMNIST(*split(192), *split(64), *split(64))


def toy_config(label, optimizer="momentum", lr=0.05, **extra):
    return config(label, optimizer, lr, **dict(dict(epochs=2, batch_size=32, train_size=None), **extra))


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(registry.EXPERIMENTS, "toy", Experiment(
        "toy", "a test", (toy_config("momentum/constant"), toy_config("momentum/step", schedule="step")),
        seeds=(0, 1)))
    monkeypatch.setitem(registry.EXPERIMENTS, "toy_again", Experiment(
        "toy_again", "shares a config", (toy_config("momentum/step", schedule="step"),), seeds=(0,)))


def test_runs_are_resumable_and_shared_runs_are_reused(toy, toy_data, tmp_path):
    kw = dict(root=tmp_path, data=toy_data, progress=False, log=None)
    assert runner.run_experiment("toy", **kw) == 4
    files = sorted((tmp_path / "toy").glob("*/seed*.json"))
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "toy/momentum__constant/seed0.json", "toy/momentum__constant/seed1.json",
        "toy/momentum__step/seed0.json", "toy/momentum__step/seed1.json"]
    stamps = {f: f.stat().st_mtime_ns for f in files}
    assert runner.run_experiment("toy", **kw) == 0                    # nothing left to run
    assert all(f.stat().st_mtime_ns == stamps[f] for f in files)
    files[1].unlink()
    assert runner.run_experiment("toy", **kw) == 1 and files[1].exists()
    rec = json.loads(files[1].read_text())
    assert rec["seed"] == 1 and len(rec["epoch_loss"]) == len(rec["test_acc"]) == 2
    assert rec["steps_per_epoch"] == 6 and len(rec["lr"]) == 2 and rec["device"] == "cpu"
    assert rec["torch"] == torch.__version__ and rec["seconds"] > 0 and rec["diverged"] is None
    assert runner.run_experiment("toy_again", **kw) == 1
    shared = json.loads((tmp_path / "toy_again/momentum__step/seed0.json").read_text())
    original = json.loads(files[2].read_text())
    assert shared["reused"] and shared["experiment"] == "toy_again"
    assert shared["test_loss"] == original["test_loss"] and shared["seconds"] == original["seconds"]


def test_unknown_experiment_and_missing_tuning_are_clear_errors(tmp_path):
    with pytest.raises(runner.ExperimentError, match="unknown experiment 'nope'"):
        runner.run_experiment("nope", root=tmp_path)
    with pytest.raises(runner.ExperimentError, match="run `python -m course_utils experiments run tuning` first"):
        runner.resolve(config("momentum/constant", "momentum"), root=tmp_path)


def test_table_rows_are_the_intervals_of_the_final_values(toy, toy_data, tmp_path):
    runner.run_experiment("toy", root=tmp_path, data=toy_data, progress=False, log=None)
    records = runner.load_records("toy", root=tmp_path)
    rows = stats.summary("toy", records)
    assert {tuple(sorted(r)) for r in rows} == {("ci95", "config", "experiment", "mean", "metric", "n_seeds")}
    row = next(r for r in rows if r["config"] == "momentum/step" and r["metric"] == "test_acc")
    finals = [r["test_acc"][-1] for r in records if r["config"]["label"] == "momentum/step"]
    assert row["n_seeds"] == 2 and (row["mean"], row["ci95"]) == stats.mean_ci(finals)
    text = stats.format_table(rows)
    assert "momentum/step" in text and "n=2" in text


def tuning_record(optimizer, lr, seed, val_acc, diverged=None):
    return {"experiment": "tuning", "config": config(f"{optimizer}/lr={lr:g}", optimizer, lr),
            "seed": seed, "val_acc": [val_acc], "diverged": diverged}


def test_tuning_grid_grows_past_an_end_where_the_best_lr_sits():
    experiment = registry.EXPERIMENTS["tuning"]
    ks = list(registry.GRIDS["sgd"])
    records = [tuning_record("sgd", registry.grid_lr(k), s, 0.5 + 0.01 * i)   # best at the top end
               for i, k in enumerate(ks) for s in experiment.seeds]
    assert stats.best_lr(records, "sgd") == registry.grid_lr(ks[-1])
    sgd = [c["lr"] for c in stats.tuning_configs(experiment, records) if c["optimizer"] == "sgd"]
    assert sgd == [registry.grid_lr(k) for k in ks + [ks[-1] + 1]]
    records[1] = tuning_record("sgd", registry.grid_lr(ks[0]), 1, 0.99, diverged="diverged at step 3")
    assert stats.tuning_scores(records, "sgd")[registry.grid_lr(ks[0])] == pytest.approx((0.5 + 0) / 2)
    assert registry.grid_lr(ks[1]) not in stats.tuning_scores(records[:3] + records[4:], "sgd")  # a seed missing
    row = next(r for r in stats.summary("tuning", records) if r["optimizer"] == "sgd")
    assert row["best_lr"] == registry.grid_lr(ks[-1]) and row["lr_grid"][0] == registry.grid_lr(ks[0])


def test_check_passes_on_its_records_and_fails_on_a_changed_one(toy, toy_data, tmp_path):
    runner.run_experiment("toy", root=tmp_path, data=toy_data, progress=False, log=None)
    assert runner.check(["toy"], root=tmp_path, data=toy_data, steps=5, log=None) == []
    path = tmp_path / "toy/momentum__step/seed0.json"
    rec = json.loads(path.read_text())
    rec["check_losses"][3] *= 1 + 1e-6                              # inside the tolerance
    path.write_text(json.dumps(rec))
    assert runner.check(["toy"], root=tmp_path, data=toy_data, steps=5, log=None) == []
    rec["check_losses"][3] *= 1 + 1e-3                              # outside it
    path.write_text(json.dumps(rec))
    problems = runner.check(["toy"], root=tmp_path, data=toy_data, steps=5, log=None)
    assert len(problems) == 1 and "toy momentum/step seed 0: step 4 loss" in problems[0]


# ── the committed records ────────────────────────────────────────────────────────────────────

def test_committed_records_agree_with_a_rerun_of_their_first_steps():
    """`python -m course_utils experiments check`, as CI runs it (budget ~90 s)."""
    if not runner.results_dir().is_dir():
        pytest.skip("no committed records")
    start = time.perf_counter()
    assert runner.check(log=None) == []
    assert time.perf_counter() - start < 300  # a generous bound on a busy 2-core machine


def test_table_json_reports_five_seeds_and_interior_best_lrs(capsys):
    if not (runner.results_dir() / "tuning").is_dir():
        pytest.skip("no committed records")
    assert main(["experiments", "table", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    tuned = [r for r in rows if "optimizer" in r]
    assert {r["optimizer"] for r in tuned if r["experiment"] == "tuning"} == set(registry.OPTIMIZERS)
    for r in tuned:
        assert r["lr_grid"][0] < r["best_lr"] < r["lr_grid"][-1], r
    reported = [r for r in rows if "config" in r and r["experiment"] in registry.CHAPTER_12]
    assert {r["experiment"] for r in reported} == set(registry.CHAPTER_12) - {"tuning"}
    assert all(r["n_seeds"] >= 5 for r in reported)  # chapter 12's; other chapters test their own
    sgd = next(r for r in tuned if r["optimizer"] == "sgd" and r["experiment"] == "tuning")
    momentum = next(r for r in tuned if r["optimizer"] == "momentum" and r["experiment"] == "tuning")
    assert sgd["lr_grid"][-1] >= momentum["best_lr"] / (1 - 0.9)      # SGD's grid reaches η/(1 − μ)


def test_cli_check_and_table_text(capsys):
    if not (runner.results_dir() / "staircase").is_dir():
        pytest.skip("no committed records")
    assert main(["experiments", "check", "staircase"]) == 0
    assert "all records agree (rtol 0.0001)" in capsys.readouterr().out
    assert main(["experiments", "table", "staircase"]) == 0
    out = capsys.readouterr().out
    assert "momentum/step " in out and "n=5" in out and "test_acc" in out
