"""Means with Student-t 95% intervals over seeds, the tuned lrs, and the results table.

Chapter: 12_evidence_on_fashion_mnist.

For n seeds with values x_1..x_n (mean x̄, sample standard deviation s), the 95% interval
of the mean is

    x̄ ± t_{0.975, n−1} · s / √n                                                   (12.1)

where t_{q, ν} is the q-quantile of Student's t with ν degrees of freedom. It is computed
here without scipy: the CDF integrates the density

    p_ν(t) = Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + t²/ν)^(−(ν+1)/2)                 (12.2)

by Simpson's rule, and the quantile is found by bisection. (ν = 1: t_{0.975} = tan(0.475π)
= 12.706; ν = 2: (2q − 1)/√(2q(1 − q)) = 4.303; ν → ∞: the normal's 1.960.)

The tuned lr of an optimizer is the grid value with the best mean final validation
accuracy over the tuning seeds (a diverged run counts as accuracy 0).
"""

from __future__ import annotations

import functools
import math
import statistics

from .registry import GRIDS, OPTIMIZERS, TUNE_SEEDS, config, grid_index, grid_lr

METRICS = ("test_acc", "test_loss", "val_acc", "train_loss")


def t_density(t: float, nu: float) -> float:
    log_c = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
    return math.exp(log_c - (nu + 1) / 2 * math.log1p(t * t / nu))                  # (12.2)


def t_cdf(t: float, nu: float, intervals: int = 2000) -> float:
    """P(T ≤ t) for Student's t with ``nu`` degrees of freedom, by Simpson's rule on (12.2)."""
    if t < 0:
        return 1.0 - t_cdf(-t, nu, intervals)
    h = t / intervals
    total = t_density(0.0, nu) + t_density(t, nu)
    total += sum((4 if i % 2 else 2) * t_density(i * h, nu) for i in range(1, intervals))
    return 0.5 + total * h / 3


@functools.lru_cache(maxsize=None)
def t_quantile(q: float, nu: float) -> float:
    """The ``q``-quantile (q in (0.5, 1)) of Student's t with ``nu`` > 0 degrees of freedom."""
    if not 0.5 < q < 1.0 or nu <= 0:
        raise ValueError(f"need 0.5 < q < 1 and nu > 0, got q={q}, nu={nu}")
    lo, hi = 0.0, 1.0
    while t_cdf(hi, nu) < q:
        lo, hi = hi, 2 * hi
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, nu) < q else (lo, mid)
    return (lo + hi) / 2


def mean_ci(values, level: float = 0.95) -> tuple[float, float]:
    """Mean and the half-width of its ``level`` interval (12.1); half-width nan for one value."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("mean_ci needs at least one value")
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, math.nan
    q = 1 - (1 - level) / 2
    return mean, t_quantile(q, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))  # (12.1)


def final(record, metric):
    """A record's value of ``metric`` after its last epoch (None if it diverged)."""
    if record.get("diverged"):
        return None
    key = "epoch_loss" if metric == "train_loss" else metric
    return record[key][-1]


def _score(records):
    """Mean final validation accuracy over a tuning lr's seeds; diverged runs count as 0."""
    return statistics.fmean(0.0 if r.get("diverged") else r["val_acc"][-1] for r in records)


def tuning_scores(records, optimizer, seeds=TUNE_SEEDS):
    """{lr: mean final validation accuracy} over the lrs whose every tuning seed is recorded."""
    by_lr = {}
    for r in records:
        if r["config"]["optimizer"] == optimizer and r["seed"] in seeds:
            by_lr.setdefault(r["config"]["lr"], []).append(r)
    return {lr: _score(rs) for lr, rs in sorted(by_lr.items()) if len(rs) == len(seeds)}


def best_lr(records, optimizer):
    """The tuned lr of ``optimizer`` (None when no tuning record exists)."""
    scores = tuning_scores(records, optimizer)
    return max(scores, key=scores.get) if scores else None


def tuning_configs(experiment, records):
    """The tuning grid: each optimizer's base grid, plus one point past any end where the best
    recorded lr sits (so that, run again, the grid grows until every best is interior)."""
    out = []
    for opt in OPTIMIZERS:
        scores = tuning_scores(records, opt, experiment.seeds)
        ks = set(GRIDS[opt]) | {grid_index(lr) for lr in scores}
        if scores:
            best = max(scores, key=scores.get)
            k = grid_index(best)
            if k == min(ks) and k > min(GRIDS[opt]) - 3:
                ks.add(k - 1)
            if k == max(ks) and k < max(GRIDS[opt]) + 3:
                ks.add(k + 1)
        out += [config(f"{opt}/lr={grid_lr(k):g}", opt, grid_lr(k), epochs=experiment.configs[0]["epochs"])
                for k in sorted(ks)]
    return out


def summary(name, records, metrics=METRICS):
    """Rows ``{"experiment", "config", "n_seeds", "metric", "mean", "ci95"}`` per config and metric;
    for a tuning experiment, ``{"experiment", "optimizer", "lr_grid", "best_lr", "val_acc"}``."""
    if name == "tuning" or name.endswith("_tuning"):
        rows = []
        for opt in dict.fromkeys([*OPTIMIZERS, *(r["config"]["optimizer"] for r in records)]):
            scores = tuning_scores(records, opt)
            if scores:
                rows.append({"experiment": name, "optimizer": opt, "lr_grid": list(scores),
                             "best_lr": max(scores, key=scores.get), "val_acc": list(scores.values())})
        return rows
    by_config = {}
    for r in records:
        by_config.setdefault(r["config"]["label"], []).append(r)
    rows = []
    for label, rs in by_config.items():
        for metric in metrics:
            values = [v for v in (final(r, metric) for r in rs) if v is not None]
            if values:
                mean, ci = mean_ci(values)
                rows.append({"experiment": name, "config": label, "n_seeds": len(values), "metric": metric,
                             "mean": mean, "ci95": None if math.isnan(ci) else ci})
    return rows


def format_table(rows) -> str:
    """The rows of :func:`summary` as aligned text, one line per config (or tuned optimizer)."""
    lines, configs = [], {}
    for row in rows:
        if "optimizer" in row:
            grid = ", ".join(f"{lr:g}" for lr in row["lr_grid"])
            lines.append(f"{row['experiment']:<20} {row['optimizer']:<10} best lr {row['best_lr']:g}  (grid {grid})")
        else:
            configs.setdefault((row["experiment"], row["config"]), {})[row["metric"]] = row
    for (exp, label), by_metric in configs.items():
        cells = []
        for metric, row in by_metric.items():
            scale = 100 if metric.endswith("acc") else 1
            ci = "  n/a" if row["ci95"] is None else f"{scale * row['ci95']:.3f}"
            cells.append(f"{metric} {scale * row['mean']:.3f} ± {ci}")
        n = next(iter(by_metric.values()))["n_seeds"]
        lines.append(f"{exp:<20} {label:<30} n={n}  " + "  ".join(cells))
    return "\n".join(lines)


def by_config(records):
    """{config label: [records sorted by seed]}."""
    out = {}
    for r in sorted(records, key=lambda r: r["seed"]):
        out.setdefault(r["config"]["label"], []).append(r)
    return out


def finals(records, label, metric):
    """The final values of ``metric`` of config ``label``, one per seed (diverged runs left out)."""
    return [v for v in (final(r, metric) for r in by_config(records)[label]) if v is not None]


def paired(records, a, b, metric, other=None):
    """Mean and 95% half-width (12.1) of the per-seed difference ``b − a`` of ``metric``: the
    same seed gives both configs the same initial weights and batch order, so the pair's
    shared noise cancels. ``other`` holds ``b``'s records when they are in another experiment."""
    left = {r["seed"]: final(r, metric) for r in by_config(records)[a]}
    right = {r["seed"]: final(r, metric) for r in by_config(other or records)[b]}
    diffs = [right[s] - left[s] for s in sorted(left.keys() & right.keys())
             if left[s] is not None and right[s] is not None]
    return mean_ci(diffs)
