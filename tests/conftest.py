"""Test configuration: Agg backend, and nbval limited to the chapters listed in book.toml."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent


def _listed_notebooks() -> set[Path]:
    from course_utils.publish.book import load_book

    return {(ROOT / ch.file).resolve() for ch in load_book(ROOT).chapters}


def pytest_ignore_collect(collection_path: Path, config):
    """Collect a notebook only if book.toml lists it (drafts and checkpoints are skipped)."""
    if collection_path.suffix == ".ipynb":
        if ".ipynb_checkpoints" in collection_path.parts:
            return True
        return collection_path.resolve() not in _listed_notebooks()
    if collection_path.name == "_build":
        return True
    return None


def pytest_configure(config):
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if os.environ.get("COURSE_REQUIRE_CHROMIUM"):  # set by .ci/run: the browser test must run there
        from course_utils.publish.browser import find_chromium

        if find_chromium() is None:
            raise pytest.UsageError("COURSE_REQUIRE_CHROMIUM is set but chromium is not installed")
