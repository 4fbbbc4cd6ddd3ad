"""Scaling rules, warm-up, the critical-batch fit and the data-parallel recipe."""

import math

import pytest

from course_utils.scaling import (data_parallel_recipe, fit_critical_batch, scaled_lr, steps_to_target,
                                  warmup_lr)


def test_scaling_rules():
    assert scaled_lr(0.1, 512, 128) == pytest.approx(0.4)
    assert scaled_lr(1e-3, 512, 128, "sqrt") == pytest.approx(2e-3)
    assert scaled_lr(0.1, 512, 128, "none") == 0.1
    with pytest.raises(ValueError, match="unknown scaling rule 'cube'"):
        scaled_lr(0.1, 512, 128, "cube")
    with pytest.raises(ValueError, match="batch sizes must be >= 1"):
        scaled_lr(0.1, 0, 128)


def test_warmup_ramps_from_base_to_target_then_holds():
    lrs = [warmup_lr(t, base_lr=0.1, target_lr=0.5, warmup_steps=4) for t in range(7)]
    assert lrs == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5])
    assert warmup_lr(0, base_lr=0.1, target_lr=0.5, warmup_steps=0) == 0.5


def test_steps_to_target():
    assert steps_to_target([3.0, 2.0, 1.0, 0.5], 1.0, steps_per_point=10) == 30
    assert steps_to_target([3.0, 2.0], 1.0) is None


def test_fit_recovers_the_model_it_was_generated_from():
    s_min, e_min = 200.0, 50_000.0
    batches = [64, 128, 256, 512, 1024, 2048]
    fit = fit_critical_batch(batches, [s_min + e_min / b for b in batches])
    assert fit.s_min == pytest.approx(s_min, rel=1e-12) and fit.e_min == pytest.approx(e_min, rel=1e-12)
    assert fit.b_crit == pytest.approx(250.0)
    b = fit.b_crit   # (13.4)-(13.5): at B_crit twice the minimal steps and twice the minimal examples
    assert fit.steps(b) == pytest.approx(2 * s_min) and fit.examples(b) == pytest.approx(2 * e_min)
    with pytest.raises(ValueError, match="do not follow"):
        fit_critical_batch([64, 128], [100, 200])
    with pytest.raises(ValueError, match="two different batch sizes"):
        fit_critical_batch([64, 64], [100, 200])


def test_data_parallel_recipe_follows_the_world_size():
    one = data_parallel_recipe(world_size=1, per_process_batch=32, base_lr=0.05, base_batch_size=32,
                               examples=1000, warmup_epochs=2)
    four = data_parallel_recipe(world_size=4, per_process_batch=32, base_lr=0.05, base_batch_size=32,
                                examples=1000, warmup_epochs=2)
    assert (one.global_batch, one.lr, one.steps_per_epoch, one.warmup_steps) == (32, 0.05, 32, 64)
    assert four.global_batch == 128 and four.lr == pytest.approx(0.2)
    assert four.steps_per_epoch == math.ceil(1000 / 128) and four.warmup_steps == 16
    with pytest.raises(ValueError, match="world_size must be >= 1"):
        data_parallel_recipe(world_size=0, per_process_batch=32, base_lr=0.05, base_batch_size=32, examples=10)
