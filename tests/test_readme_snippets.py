"""Every snippet of the README's "Use the course's classes in your own code" runs as printed.

Each fenced ``python`` block of that section follows a ``<!-- snippet: NAME -->`` marker; this
file reads them from README.md and executes each one in a fresh namespace, with the working
directory in ``tmp_path`` (the Hugging Face and distributed snippets write files there) and
nothing downloaded. After a snippet has run, a check reads its namespace to confirm it did what
its sentence says (for instance that the scheduler is the course's and that it stepped).
"""

from __future__ import annotations

import functools
import re
import socket
import warnings
from pathlib import Path

import pytest
import torch

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Use the course's classes in your own code"
NAMES = ["lightning", "huggingface", "compile", "amp", "distributed"]


def snippets() -> dict[str, str]:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end != -1 else None]
    found = re.findall(r"<!-- snippet: (\S+) -->\n```python\n(.*?)```", section, flags=re.S)
    return dict(found)


def test_the_section_holds_one_marked_snippet_per_topic():
    text = README.read_text()
    section = text[text.index(SECTION):]
    section = section[:section.find("\n## ", 1)]
    assert list(snippets()) == NAMES
    assert section.count("```python") == len(NAMES)  # no unmarked (untested) python block


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(name: str, tmp_path, monkeypatch) -> dict:
    monkeypatch.chdir(tmp_path)
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.setenv(key, "1")
    namespace = {"__name__": f"readme_{name}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # frameworks' advice (num_workers, logging) is not the point
        exec(compile(snippets()[name], f"README.md:{name}", "exec"), namespace)
    return namespace


def test_lightning(tmp_path, monkeypatch):
    pytest.importorskip("pytorch_lightning")
    import course_utils.lr_scheduler as ours

    ns = _run("lightning", tmp_path, monkeypatch)
    config = ns["trainer"].lr_scheduler_configs[0]  # the last loop's: the plateau rule
    assert isinstance(config.scheduler, ours.ReduceLROnPlateau) and config.monitor == "train_loss"
    assert config.scheduler.last_epoch == 2  # given the metric after each of the two epochs


def test_huggingface(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    from course_utils.optim import AdamW

    ns = _run("huggingface", tmp_path, monkeypatch)
    assert isinstance(ns["opt"], AdamW) and ns["sched"].last_epoch == 8
    assert ns["opt"].param_groups[0]["lr"] == 0.0  # the cosine schedule reached its end


def test_compile(tmp_path, monkeypatch):
    # aot_eager traces the step with dynamo and AOTAutograd exactly as the default backend does,
    # without the minutes of C++ code generation that inductor needs on this CPU.
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="aot_eager"))
    try:
        ns = _run("compile", tmp_path, monkeypatch)
    finally:
        torch._dynamo.reset()
    assert len(ns["losses"]) == 3 and ns["losses"][2] < ns["losses"][0]


def test_amp(tmp_path, monkeypatch):
    ns = _run("amp", tmp_path, monkeypatch)
    opt = ns["opt"]
    # the fused protocol: GradScaler hands the scale to step() instead of unscaling itself
    assert getattr(opt, "_step_supports_amp_scaling", False)
    assert int(opt.state[ns["model"].weight]["step"]) == 3


def test_distributed(tmp_path, monkeypatch):
    import torch.distributed as dist

    # what torchrun would set, for one process (the snippet only sets defaults), on a free port
    for key, value in {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()),
                       "RANK": "0", "WORLD_SIZE": "1"}.items():
        monkeypatch.setenv(key, value)
    try:
        ns = _run("distributed", tmp_path, monkeypatch)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    state = torch.load(tmp_path / "optimizer.pt", weights_only=False)
    assert type(ns["opt"].optim).__module__ == "course_utils.optim.adam"
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    torch.optim.Adam(torch.nn.Linear(4, 1).parameters()).load_state_dict(state)
