"""The package installs: a built wheel and an editable install both find the data in data/.

``pyproject.toml`` ships ``data/`` inside the package as ``course_utils._data`` (setuptools'
``package-dir``), so a non-editable install carries the data with it; an editable install reads
the repository's ``data/``. Each check runs in a fresh interpreter whose working directory is
outside the repository, so nothing can be found by accident.

The wheel is built from a copy of the files a build needs (pyproject.toml, README.md,
course_utils/, data/): building in the working tree would write build/ and *.egg-info there,
which other processes in the same tree may be using.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 60  # the whole file: two builds, two installs, two fresh interpreters
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints")

# Run in a fresh interpreter, outside the repository; prints what it found as JSON.
PROBE = """
import json, course_utils, course_utils.optim, course_utils.lr_scheduler
from course_utils.data import data_dir, load_digits
d = load_digits(device="cpu")
print(json.dumps({"package": course_utils.__file__, "data_dir": str(data_dir()),
                  "train": list(d.x_train.shape), "sgd": course_utils.optim.SGD.__module__}))
"""


def _installed() -> list[str]:
    """This venv's own installation of the course (its dist-info, .pth and finder files)."""
    return sorted(p.name for d in site.getsitepackages() for p in Path(d).glob("*course_utils*"))


@pytest.fixture
def workdir(tmp_path):
    before = _installed()
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)  # the copies hold every data file
    assert _installed() == before, "the install checks changed this venv's own course-utils"


def _source_copy(dest: Path) -> Path:
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("course_utils", "data"):
        shutil.copytree(ROOT / name, dest / name, ignore=SKIP)
    return dest


def _run(args, deadline, **kwargs) -> subprocess.CompletedProcess:
    left = deadline - time.monotonic()
    assert left > 0, f"the install checks ran past their {BUDGET_S} s budget"
    result = subprocess.run(args, capture_output=True, text=True, timeout=left, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _probe(sys_path: list[Path], cwd: Path, deadline, *, site_dir: Path | None = None) -> dict:
    """Run PROBE with only ``sys_path`` (``python -S``: no site-packages, no .pth files)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COURSE_"))}
    env.update(PYTHONPATH=os.pathsep.join(map(str, sys_path)), OMP_NUM_THREADS="1",
               COURSE_DEVICE="cpu", PYTHONDONTWRITEBYTECODE="1")
    code = PROBE if site_dir is None else f"import site; site.addsitedir({str(site_dir)!r})\n{PROBE}"
    out = _run([sys.executable, "-S", "-c", code], deadline, cwd=cwd, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def _dependencies() -> list[Path]:
    """Where torch and numpy live (the venv's site-packages), for the fresh interpreters."""
    return sorted({Path(m.__file__).resolve().parent.parent for m in (torch, numpy)})


def _pip(*args) -> list[str]:
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q", *args]


def test_a_built_wheel_carries_every_module_and_every_data_file(workdir):
    deadline = time.monotonic() + BUDGET_S
    src = _source_copy(workdir / "src")
    _run(_pip("wheel", "--no-deps", "--no-build-isolation", "-w", workdir / "wheel", src), deadline)
    (wheel,) = (workdir / "wheel").glob("course_utils-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(src).as_posix() for p in (src / "course_utils").rglob("*.py")}
    data = {"course_utils/_data/" + p.relative_to(src / "data").as_posix()
            for p in (src / "data").rglob("*") if p.is_file()}
    assert "course_utils/_data/digits.npz" in data
    assert modules - names == set(), "modules left out of the wheel: list their packages in pyproject.toml"
    assert data - names == set(), "data files left out of the wheel"

    site = workdir / "site"
    _run(_pip("install", "--no-deps", "--ignore-installed", "--target", site, wheel), deadline)
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    found = _probe([site, *_dependencies()], elsewhere, deadline)
    assert Path(found["package"]).is_relative_to(site)
    assert Path(found["data_dir"]) == site / "course_utils" / "_data"
    assert found["train"] == [1438, 1, 8, 8] and found["sgd"] == "course_utils.optim.sgd"


def test_an_editable_install_reads_the_repository_data(workdir):
    deadline = time.monotonic() + BUDGET_S
    src = _source_copy(workdir / "src")
    prefix = workdir / "prefix"
    # --ignore-installed: without it pip would first uninstall the course from this very venv
    _run(_pip("install", "--no-deps", "--no-build-isolation", "--ignore-installed", "--prefix", prefix,
              "-e", src), deadline)
    (site_dir,) = prefix.glob("lib/python*/site-packages")  # holds the editable finder's .pth
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    # site_dir first: the venv holds a finder module of the same name for its own install
    found = _probe([site_dir, *_dependencies()], elsewhere, deadline, site_dir=site_dir)
    assert Path(found["package"]) == src / "course_utils" / "__init__.py"
    assert Path(found["data_dir"]) == src / "data"
    assert found["train"] == [1438, 1, 8, 8]


def test_course_data_dir_overrides_the_lookup(tmp_path, monkeypatch):
    from course_utils import data

    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv(data.ENV_VAR)
    assert (data.data_dir() / data.DIGITS_FILE).is_file()
