"""Launching a chapter: the Colab cell, the Colab and Binder links, all following book.toml."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

from course_utils.publish.book import load_book

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
BOOK = load_book(ROOT)
RAW = tomllib.loads((ROOT / "book.toml").read_text(encoding="utf-8"))   # read again, independently of load_book
SLUG = RAW["book"]["repository"].removeprefix("https://github.com/").strip("/")
BRANCH = RAW["book"]["branch"]


def colab_cell(chapter) -> str:
    nb = nbformat.read(ROOT / chapter.file, as_version=4)
    cells = [c for c in nb.cells if "colab" in c.metadata.get("tags", [])]
    assert cells, f"{chapter.file} has no cell tagged colab"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert cells[0] is first_code, f"{chapter.file}: the Colab cell must be the first code cell"
    return cells[0].source


def run_cell(source: str, monkeypatch, *, on_colab: bool) -> list[list[str]]:
    """Execute the cell as a kernel would, recording instead of running any subprocess."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, *a, **k: calls.append(list(cmd)))
    monkeypatch.setattr(sys, "path", list(sys.path))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<colab cell>", "exec"), {"__name__": "__main__"})
    return calls


def test_the_colab_cell_is_the_same_in_every_chapter():
    sources = {ch.file: colab_cell(ch) for ch in BOOK.chapters}
    assert len(set(sources.values())) == 1, "copy the Colab cell of chapter 00 verbatim"


@pytest.mark.parametrize("chapter", BOOK.chapters, ids=lambda c: c.number)
def test_the_colab_cell_does_nothing_outside_colab(chapter, monkeypatch):
    before = list(sys.path)
    assert run_cell(colab_cell(chapter), monkeypatch, on_colab=False) == []
    assert sys.path == before


def test_on_colab_the_cell_clones_book_toml_repository_and_installs_the_package(monkeypatch):
    calls = run_cell(colab_cell(BOOK.chapters[0]), monkeypatch, on_colab=True)
    clone, install = calls
    assert clone[:2] == ["git", "clone"] and f"https://github.com/{SLUG}" in clone
    target = clone[-1]
    # --depth 1 clones the default branch; any other branch must be named in the cell.
    assert BRANCH == "main" or ("--branch" in clone and clone[clone.index("--branch") + 1] == BRANCH)
    assert install[:3] == [sys.executable, "-m", "pip"] and install[-1] == target and "-e" in install
    assert sys.path[0] == target


@pytest.mark.parametrize("chapter", BOOK.chapters, ids=lambda c: c.number)
def test_colab_links_open_the_chapter_of_book_toml(chapter):
    url = BOOK.colab_url(chapter)
    assert url == f"https://colab.research.google.com/github/{SLUG}/blob/{BRANCH}/{chapter.file}"
    assert (ROOT / chapter.file).is_file()
    assert f"]({url})" in BOOK.colab_badge(chapter)


@pytest.mark.parametrize("chapter", BOOK.chapters, ids=lambda c: c.number)
def test_binder_links_open_the_chapter_in_jupyterlab(chapter):
    assert BOOK.binder_url() == f"https://mybinder.org/v2/gh/{SLUG}/{BRANCH}"
    parts = urlsplit(BOOK.binder_url(chapter))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BOOK.binder_url()
    assert parse_qs(parts.query) == {"urlpath": [f"lab/tree/{chapter.file}"]}


def test_binder_finds_an_environment_that_installs_the_course():
    env = ROOT / "environment.yml"
    assert env.is_file(), "Binder builds from environment.yml"
    assert "-e ." in env.read_text(encoding="utf-8")
