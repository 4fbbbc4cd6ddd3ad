"""Execute chapters in place and keep each ``.ipynb`` in step with its jupytext ``.py`` pair.

Chapter: 00_how_to_use_this_course (for authors and instructors).

The ``.py`` twin in ``notebooks/py/`` (jupytext percent format) is what authors edit and reviewers read; the
``.ipynb`` is what learners open, committed *with* its outputs. ``python -m course_utils
execute`` rebuilds the notebook from the ``.py``, runs it top to bottom in a fresh kernel and
writes it back, so the committed outputs are always exactly what the code produces; nbval
then re-executes it in the test suite and compares.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

# The .py twins live in notebooks/py/ (jupytext's prefix format), so JupyterLab's file browser
# lists each chapter once.
TWIN_DIR = "py"
JUPYTEXT_FORMATS = f"ipynb,{TWIN_DIR}//py:percent"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def twin_path(ipynb: Path | str) -> Path:
    """The jupytext ``.py`` twin of a chapter: ``notebooks/py/NN_topic.py``."""
    ipynb = Path(ipynb)
    return ipynb.parent / TWIN_DIR / ipynb.with_suffix(".py").name


def _cell_signature(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def out_of_sync(ipynb: Path) -> list[str]:
    """Differences between a notebook and its ``.py`` pair (empty when in sync)."""
    import jupytext

    py = twin_path(ipynb)
    if not py.is_file():
        return [f"{py} is missing"]
    a, b = _cell_signature(jupytext.read(ipynb)), _cell_signature(jupytext.read(py))
    problems = []
    if len(a) != len(b):
        problems.append(f"{ipynb.name} has {len(a)} cells, {py.name} has {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            problems.append(f"cell {i} differs: {x[0]} {x[1][:60]!r}… vs {y[0]} {y[1][:60]!r}…")
            break
    return problems


def _stable_ids(nb) -> None:
    """Give cells ids derived from their content, so re-executing does not churn the diff."""
    import hashlib

    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:12]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def execute(ipynb: Path, *, timeout: int = 600, device: str = "cpu") -> float:
    """Rebuild ``ipynb`` from its ``.py`` pair, execute it in a fresh kernel, write both files.

    Runs on ``device`` (``COURSE_DEVICE``; the CPU by default) so the committed outputs are
    the canonical CPU ones that CI compares against. Returns the wall time in seconds.
    """
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    ipynb = Path(ipynb).resolve()
    py = twin_path(ipynb)
    source = py.read_text()
    nb = jupytext.reads(source, fmt="py:percent")
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.metadata["jupytext"] = {"formats": JUPYTEXT_FORMATS}
    env_before = os.environ.get("COURSE_DEVICE")
    os.environ["COURSE_DEVICE"] = device
    os.environ.setdefault("PYTHONHASHSEED", "0")
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(ipynb.parent)}})
        start = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - start
    finally:
        if env_before is None:
            os.environ.pop("COURSE_DEVICE", None)
        else:
            os.environ["COURSE_DEVICE"] = env_before
    _stable_ids(nb)
    for cell in nb.cells:  # keep diffs clean: no timings
        cell.metadata.pop("execution", None)
    if py.read_text() != source:   # edited while it ran: keep the edit, and say the outputs are stale
        raise RuntimeError(f"{py} changed while {ipynb.name} was executing; run execute again")
    nbformat.write(nb, ipynb)
    jupytext.write(nb, py, fmt="py:percent")
    return elapsed


# A chapter paced for one sitting: at most about this much prose, and a figure for about every
# FIGURE_EVERY words of it (issue 14). ``python -m course_utils pace`` prints where each chapter stands.
PROSE_WORDS_MAX = 3000
FIGURE_EVERY = 500
# What a first reading costs: technical prose at ~50 words a minute, a minute to read each figure and
# half a minute per numbered equation (running the cells is on top; book.toml's minutes must cover this).
WORDS_PER_MINUTE, MINUTES_PER_FIGURE, MINUTES_PER_EQUATION = 50, 1.0, 0.5


def pace(ipynb: Path | str) -> dict[str, int]:
    """Prose words (each formula one word), figures (image outputs) and numbered equations of a
    committed chapter notebook."""
    import json
    import re

    from .markdown import visible_words

    cells = json.loads(Path(ipynb).read_text())["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return {"words": sum(visible_words(m) for m in markdown), "figures": _figures(cells),
            "equations": sum(len(re.findall(r"\\tag\{", m)) for m in markdown)}


def _figures(cells: list[dict]) -> int:
    """Image outputs (what the book site shows as figures) among a notebook's cells."""
    return sum(any(k.startswith("image/") for k in out.get("data", {}))
               for c in cells if c["cell_type"] == "code" for out in c.get("outputs", []))


def figure_count(notebook: Path | str) -> int:
    """How many image outputs a committed notebook has (what its page shows as figures)."""
    import json

    return _figures(json.loads(Path(notebook).read_text())["cells"])


def reading_minutes(counts: dict[str, int]) -> float:
    """Minutes a first, careful reading of a chapter with these :func:`pace` counts takes."""
    return (counts["words"] / WORDS_PER_MINUTE + counts["figures"] * MINUTES_PER_FIGURE
            + counts["equations"] * MINUTES_PER_EQUATION)
