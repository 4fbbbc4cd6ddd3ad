"""Student editions: the chapters without their worked solutions.

Chapter: 00_how_to_use_this_course (for instructors: ``python -m course_utils student``).

Every cell tagged ``solution`` is dropped, with its outputs; the exercise text (the markdown
cell before it) stays, and one empty code cell, tagged ``exercise``, takes the place of each
run of solution cells so the learner has somewhere to write. Everything else, outputs
included, is as committed, so a student edition reads like the chapter up to each exercise.
Chapters are written in their own folder layout under ``_build/student`` (``notebooks/…``,
with the chapters' images), and are no longer paired with a jupytext ``.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .book import load_book

SOLUTION_TAG = "solution"
PLACEHOLDER_TAG = "exercise"
PLACEHOLDER_SOURCE = "# Your solution here"
ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def is_solution(cell) -> bool:
    return SOLUTION_TAG in cell.metadata.get("tags", [])


def student_edition(nb):
    """A copy of ``nb`` without solution cells; one placeholder code cell per run of them."""
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    cells, previous_was_solution = [], False
    for cell in nb.cells:
        if is_solution(cell):
            if not previous_was_solution:
                cells.append(nbformat.v4.new_code_cell(PLACEHOLDER_SOURCE, metadata={"tags": [PLACEHOLDER_TAG]}))
            previous_was_solution = True
            continue
        previous_was_solution = False
        cells.append(cell)
    for i, cell in enumerate(cells):   # renumbered ids: none of the edition's names a dropped cell
        if nb.nbformat_minor >= 5:
            cell["id"] = f"cell-{i}"
        else:
            cell.pop("id", None)
    nb.cells = cells
    nb.metadata.pop("jupytext", None)   # a student's copy is no longer paired with a .py
    nbformat.validate(nb)
    return nb


def build_student(root: Path | str | None = None, out: Path | str | None = None) -> list[Path]:
    """Write the student edition of every chapter of ``book.toml`` into ``out`` (``_build/student``)."""
    import nbformat

    book = load_book(root)
    out = Path(out) if out is not None else book.root / "_build" / "student"
    written = []
    for ch in book.chapters:
        nb = nbformat.read(book.root / ch.file, as_version=4)
        target = out / ch.file
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_edition(nb), target)
        written.append(target)
    for folder in sorted({(book.root / ch.file).parent for ch in book.chapters}):
        for path in folder.rglob("*"):
            if path.suffix.lower() in ASSET_SUFFIXES and ".ipynb_checkpoints" not in path.parts:
                target = out / path.relative_to(book.root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    return written
