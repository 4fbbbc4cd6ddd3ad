"""Lecture slides: a reveal.js deck per chapter, complete and offline; the guide's lecture plan."""

from __future__ import annotations

import html.parser
from pathlib import Path

import nbformat
import pytest

from course_utils.publish.book import load_book
from course_utils.publish.browser import find_chromium, probe_page
from course_utils.publish.site import external_references
from course_utils.publish.slides import (GUIDE, PLAN_END, PLAN_START, deck_name, lecture_notebook, lecture_plan,
                                 lecture_plan_block, slide_count, sync_guide)

ROOT = Path(__file__).resolve().parent.parent
BOOK = load_book(ROOT)


@pytest.fixture(scope="session")
def slides(tmp_path_factory) -> Path:
    from course_utils.publish.slides import build_slides

    out = tmp_path_factory.mktemp("slides")
    build_slides(ROOT, out=out)
    return out


class _Deck(html.parser.HTMLParser):
    """Top-level slides and the local files a deck loads."""

    def __init__(self):
        super().__init__()
        self.depth, self.slides, self.loads = 0, 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.slides += self.depth == 0
            self.depth += 1
        if tag == "script" and attrs.get("src"):
            self.loads.append(attrs["src"])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.loads.append(attrs["href"])

    def handle_endtag(self, tag):
        self.depth -= tag == "section"


def parse(deck: Path) -> _Deck:
    parser = _Deck()
    parser.feed(deck.read_text(encoding="utf-8"))
    return parser


def test_every_chapter_has_a_deck_with_its_slides(slides):
    assert (slides / "index.html").is_file()
    for ch in BOOK.chapters:
        deck = slides / deck_name(ch)
        nb = lecture_notebook(ROOT / ch.file)
        assert parse(deck).slides == slide_count(nb) > 1, f"{deck.name}: slides do not follow the metadata"
        assert f"{ch.number} · {ch.title}" in deck.read_text(encoding="utf-8")
        assert deck_name(ch) in (slides / "index.html").read_text(encoding="utf-8")


def test_decks_load_only_files_that_sit_beside_them(slides):
    assert external_references(slides) == []
    for ch in BOOK.chapters:
        loads = parse(slides / deck_name(ch)).loads
        assert {"reveal.js/dist/reveal.js", "mathjax/tex-svg.js"} <= set(loads)
        for url in loads:
            assert "//" not in url and (slides / url).is_file(), f"{deck_name(ch)} loads a missing {url}"


def test_the_colab_cell_is_left_out_of_the_lecture(slides):
    for ch in BOOK.chapters:
        assert "google.colab" not in (slides / deck_name(ch)).read_text(encoding="utf-8")


def test_slide_count_follows_the_metadata():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# title", metadata={"slideshow": {"slide_type": "slide"}}),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("## two", metadata={"slideshow": {"slide_type": "slide"}})])
    assert slide_count(nb) == 2
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("intro"))   # content before the first slide makes one
    assert slide_count(nb) == 3


def test_the_instructors_guide_carries_the_lecture_plan_of_book_toml():
    guide = (ROOT / GUIDE).read_text(encoding="utf-8")
    assert lecture_plan_block(BOOK) in guide, "run `python -m course_utils readme`"
    total = sum(ch.minutes for ch in BOOK.chapters)
    assert f"{total // 60} h {total % 60:02d} min" in lecture_plan(BOOK).splitlines()[-1]


def test_sync_guide_rewrites_only_the_plan(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text(f"before\n{PLAN_START}\nstale\n{PLAN_END}\nafter\n")
    assert sync_guide(BOOK, guide) is True
    assert guide.read_text() == f"before\n{lecture_plan_block(BOOK)}\nafter\n"
    assert sync_guide(BOOK, guide) is False


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (Debian: apt-get install chromium)")
def test_a_deck_presents_offline_with_typeset_math(slides):
    ch = BOOK.chapters[0]
    report = probe_page(slides / deck_name(ch))
    assert report["network"] == []
    assert report["reveal_slides"] == slide_count(lecture_notebook(ROOT / ch.file))
    assert report["typeset"] > 0 and report["math_errors"] == 0
    assert report["loaded_images"] == report["images"]
