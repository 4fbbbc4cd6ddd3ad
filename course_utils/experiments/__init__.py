"""Experiments on Fashion-MNIST: named grids, resumable JSON records, intervals, re-checks.

Chapter: 12_evidence_on_fashion_mnist.

==============  ==================================================================
module          what it holds
==============  ==================================================================
``registry``    the named experiments; a config → model, optimizer, scheduler
``runner``      run (resumable, one record per run), load, check against a re-run
``stats``       Student-t 95% intervals, tuned lrs, the results table
==============  ==================================================================

Command line: ``python -m course_utils experiments run NAME``, ``table [NAME] [--json]``,
``check``.
"""

from .registry import EXPERIMENTS, make_fashion_mlp
from .runner import ExperimentError, check, load_records, run_experiment, run_one
from .stats import best_lr, mean_ci, summary, t_quantile

__all__ = ["EXPERIMENTS", "make_fashion_mlp", "ExperimentError", "check", "load_records",
           "run_experiment", "run_one", "best_lr", "mean_ci", "summary", "t_quantile"]
