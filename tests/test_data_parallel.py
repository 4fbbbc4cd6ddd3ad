"""torchrun with two processes × batch b equals one process × batch 2b (course_utils.data_parallel).

tests/test_distributed.py proves the course's classes bitwise equal to torch's under DDP and
ZeroRedundancyOptimizer; this file proves the chapter's launcher and the equality (14.1) it
teaches: one ``torchrun`` launch (gloo, 127.0.0.1), compared with the same loop in this process.
"""

import pytest
import torch

from course_utils.data_parallel import RunConfig, launch, train

TOL = dict(rtol=1e-12, atol=1e-14)  # float64; the all-reduce sums the two halves in another order


@pytest.fixture(scope="module")
def two_ranks():
    return launch(RunConfig(steps=8, per_process_batch=16, warmup_steps=2, optimizer="adamw", lr=1e-2,
                            zero=True), nproc=2, timeout=90)


def test_two_processes_times_b_equal_one_process_times_2b(two_ranks):
    one = train(RunConfig(steps=8, per_process_batch=32, warmup_steps=2, optimizer="adamw", lr=1e-2))
    assert two_ranks["world_size"] == 2 and two_ranks["backend"] == "gloo"
    assert two_ranks["lr"] == one["lr"]
    torch.testing.assert_close(torch.tensor(two_ranks["loss"]), torch.tensor(one["loss"]), **TOL)
    for a, b in zip(two_ranks["params"], one["params"]):
        torch.testing.assert_close(a, b, **TOL)
    start = train(RunConfig(steps=1, per_process_batch=32, warmup_steps=0))["params"]
    assert not torch.allclose(two_ranks["params"][0], start[0])   # training moved the weights


def test_zero_shards_the_adam_state(two_ranks):
    per_rank = two_ranks["state_bytes"]
    full = train(RunConfig(steps=1, per_process_batch=32, warmup_steps=0, optimizer="adamw"))["state_bytes"]
    assert len(per_rank) == 2 and all(0 < b < full for b in per_rank)
    assert sum(per_rank) == full          # every parameter's state lives on exactly one rank


def test_main_outside_torchrun_says_how_to_start_it(monkeypatch, tmp_path):
    from course_utils.data_parallel import main

    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match="start this module with torchrun"):
        main([f"--out={tmp_path / 'x.pt'}"])


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="warmup_steps must be in"):
        train(RunConfig(steps=3, warmup_steps=3))
    with pytest.raises(ValueError, match="optimizer must be"):
        train(RunConfig(optimizer="lion"))
