"""Student editions: no worked solution survives, everything else does, and an edition runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils.publish.book import load_book
from course_utils.publish.student import PLACEHOLDER_SOURCE, PLACEHOLDER_TAG, is_solution, student_edition

ROOT = Path(__file__).resolve().parent.parent
BOOK = load_book(ROOT)


@pytest.fixture(scope="session")
def editions(tmp_path_factory) -> Path:
    from course_utils.publish.student import build_student

    out = tmp_path_factory.mktemp("student")
    build_student(ROOT, out=out)
    return out


def solution_runs(nb) -> int:
    """How many runs of consecutive solution cells a notebook has."""
    flags = [is_solution(c) for c in nb.cells]
    return sum(f and not (i and flags[i - 1]) for i, f in enumerate(flags))


@pytest.mark.parametrize("chapter", BOOK.chapters, ids=lambda c: c.number)
def test_no_solution_survives_and_everything_else_does(editions, chapter):
    original = nbformat.read(ROOT / chapter.file, as_version=4)
    edition = nbformat.read(editions / chapter.file, as_version=4)
    nbformat.validate(edition)
    solutions = {c.source.strip() for c in original.cells if is_solution(c)}
    assert not any(is_solution(c) for c in edition.cells)
    assert not solutions & {c.source.strip() for c in edition.cells}
    kept = [c for c in original.cells if not is_solution(c)]
    rest = [c for c in edition.cells if PLACEHOLDER_TAG not in c.metadata.get("tags", [])]
    assert [(c.cell_type, c.source, c.get("outputs")) for c in rest] == \
        [(c.cell_type, c.source, c.get("outputs")) for c in kept]       # outputs of kept cells kept
    placeholders = [i for i, c in enumerate(edition.cells) if PLACEHOLDER_TAG in c.metadata.get("tags", [])]
    assert len(placeholders) == solution_runs(original)
    for i in placeholders:
        assert edition.cells[i].source == PLACEHOLDER_SOURCE and edition.cells[i].outputs == []
        assert edition.cells[i - 1].cell_type == "markdown"             # the exercise text stays before it
    assert "jupytext" not in edition.metadata


def test_student_edition_replaces_each_run_of_solutions_with_one_placeholder():
    new = nbformat.v4
    nb = new.new_notebook(cells=[
        new.new_markdown_cell("**1.** Do it."),
        new.new_code_cell("answer = 1", metadata={"tags": ["solution"]}),
        new.new_markdown_cell("Why it works.", metadata={"tags": ["solution"]}),
        new.new_markdown_cell("**2.** Again."),
        new.new_code_cell("print(2)", metadata={"tags": ["solution"]},
                          outputs=[new.new_output("stream", name="stdout", text="2\n")])])
    edition = student_edition(nb)
    assert [c.source for c in edition.cells] == ["**1.** Do it.", PLACEHOLDER_SOURCE, "**2.** Again.",
                                                 PLACEHOLDER_SOURCE]
    assert len(nb.cells) == 5                                           # the original is untouched


def test_the_student_edition_of_chapter_00_runs_outside_the_repository(editions, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    chapter = BOOK.chapters[0]
    workdir = tmp_path / "course"
    shutil.copytree(editions, workdir)
    nb = nbformat.read(workdir / chapter.file, as_version=4)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))   # as an installed course_utils would be found; data via it
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str((workdir / chapter.file).parent)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert any(PLACEHOLDER_TAG in c.metadata.get("tags", []) for c in code)
