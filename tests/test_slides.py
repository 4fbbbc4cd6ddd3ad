"""Lecture slides: a reveal.js deck per chapter, complete, offline and projectable; the guide's lecture plan."""

from __future__ import annotations

import html.parser
import json
import re
from pathlib import Path

import nbformat
import pytest

from course_utils.publish.book import load_book
from course_utils.publish.browser import _with_script, find_chromium, probe_page, run_chromium
from course_utils.publish.site import external_references
from course_utils.publish.lecture import LECTURE_SKIPPED_TAGS, MAX_WORDS, lecture_notebook, lecture_slides
from course_utils.publish.markdown import _blocks, truncate_words, visible_words
from course_utils.publish.slides import (GUIDE, PLAN_END, PLAN_START, deck_name, lecture_plan, lecture_plan_block,
                                         slide_count, sync_guide)

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
        nb = lecture_notebook(ROOT / ch.file, ch)
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
    assert report["reveal_slides"] == slide_count(lecture_notebook(ROOT / ch.file, ch))
    assert report["typeset"] > 0 and report["math_errors"] == 0
    assert report["loaded_images"] == report["images"]


# --- projectable by construction: one thing per slide, the prose in the speaker notes ---------------

MATH = re.compile(r"\$\$.+?\$\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\}|\\\[.+?\\\]|\\\(.+?\\\)|\$[^$\n]+?\$", re.S)
MATH_WEIGHT = 1           # a typeset formula, inline or displayed, counts as one visible word
MINUTES_PER_SLIDE = (1.5, 3.5)   # the band every chapter's lecture must fall in ("one slide per 2-3 minutes")


class _Slides(html.parser.HTMLParser):
    """The text each slide shows (its innermost <section>, without <aside class="notes">, scripts and
    styles), the notes of each slide, and the images on slides."""

    HIDDEN = {"script", "style", "aside"}

    def __init__(self):
        super().__init__()
        self.sections, self.hidden, self.shown, self.notes, self.images = [], [], [], [], []
        self.outside_notes = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(len(self.shown))
            self.shown.append("")
            self.notes.append("")
            self.images.append(0)
        elif tag in self.HIDDEN:
            self.hidden.append(tag if tag != "aside" or "notes" not in (attrs.get("class") or "") else "notes")
            self.outside_notes += self.hidden[-1] == "notes" and not self.sections
        elif tag == "img" and self.sections and not self.hidden:
            self.images[self.sections[-1]] += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.sections.pop()
        elif tag in self.HIDDEN and self.hidden:
            self.hidden.pop()

    def handle_data(self, data):
        if not self.sections:
            return
        if not self.hidden:
            self.shown[self.sections[-1]] += data + " "
        elif self.hidden == ["notes"]:
            self.notes[self.sections[-1]] += data + " "

    def leaves(self) -> list[int]:
        """Indices of the sections that hold content (reveal.js's slides; nbconvert wraps each in another)."""
        return [k for k in range(len(self.shown)) if self.shown[k].strip() or self.images[k] or self.notes[k].strip()]


def words_on_screen(text: str) -> int:
    text, maths = MATH.subn(" ", text)
    return MATH_WEIGHT * maths + sum(1 for w in text.split() if any(c.isalnum() for c in w))


def deck_slides(deck: Path) -> _Slides:
    parser = _Slides()
    parser.feed(deck.read_text(encoding="utf-8"))
    return parser


def test_every_slide_shows_at_most_sixty_words_and_the_notes_carry_the_rest(slides):
    report = []
    for ch in BOOK.chapters:
        deck = deck_slides(slides / deck_name(ch))
        leaves = deck.leaves()
        counts = [words_on_screen(deck.shown[k]) for k in leaves]
        assert len(leaves) == slide_count(lecture_notebook(ROOT / ch.file, ch)), deck_name(ch)
        too_long = [(n + 1, c, " ".join(deck.shown[k].split())[:120]) for n, (k, c) in enumerate(zip(leaves, counts))
                    if c > MAX_WORDS]
        assert not too_long, f"{deck_name(ch)}: slides over {MAX_WORDS} visible words: {too_long}"
        noted = sum(bool(deck.notes[k].strip()) for k in leaves)
        assert noted >= len(leaves) // 2 and deck.outside_notes == 0, f"{deck_name(ch)}: notes missing or misplaced"
        report.append((ch.number, len(leaves), ch.minutes, max(counts)))
    print("\n".join(f"{n}: {s} slides, {m} min ({m / s:.1f} min per slide), at most {w} words" for n, s, m, w in report))


def test_about_one_slide_per_two_to_three_lecture_minutes(slides):
    low, high = MINUTES_PER_SLIDE
    for ch in BOOK.chapters:
        n = len(deck_slides(slides / deck_name(ch)).leaves())
        assert low <= ch.minutes / n <= high, f"{deck_name(ch)}: {n} slides for {ch.minutes} min"


def _shown_figures(nb) -> int:
    return sum(any(k.startswith("image/") for k in o.get("data", {}))
               for c in nb.cells if c.cell_type == "code" and not set(c.metadata.get("tags", [])) & set(LECTURE_SKIPPED_TAGS)
               for o in c.get("outputs", []))


def test_every_figure_and_numbered_equation_of_a_chapter_is_on_a_slide(slides):
    import nbformat

    for ch in BOOK.chapters:
        nb = nbformat.read(ROOT / ch.file, as_version=4)
        deck = deck_slides(slides / deck_name(ch))
        assert sum(deck.images) == _shown_figures(nb), f"{deck_name(ch)}: a figure is missing from the slides"
        on_screen = " ".join(deck.shown)
        display = [v for c in nb.cells if c.cell_type == "markdown" for k, v in _blocks(c.source) if k == "math"]
        for tex in display:
            for tag in re.findall(r"\\tag\{([^}]*)\}", tex):
                assert f"\\tag{{{tag}}}" in on_screen, f"{deck_name(ch)}: equation ({tag}) is not on a slide"


def test_the_prose_of_each_chapter_is_in_the_speaker_notes():
    import nbformat

    for ch in BOOK.chapters:
        nb = nbformat.read(ROOT / ch.file, as_version=4)
        notes = "\n".join(c.source for c in lecture_notebook(ROOT / ch.file, ch).cells
                          if c.metadata.get("slideshow", {}).get("slide_type") == "notes")
        for cell in nb.cells:
            if cell.cell_type == "markdown" and not set(cell.metadata.get("tags", [])) & set(LECTURE_SKIPPED_TAGS):
                for kind, value in _blocks(cell.source):
                    if kind == "text":
                        assert value in notes, f"{deck_name(ch)}: prose left out of the notes: {value[:80]!r}"


def test_a_lecture_is_built_from_what_the_chapter_shows():
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    long_item = " ".join(f"word{i}" for i in range(40))
    nb = new_notebook(cells=[
        new_markdown_cell("# 99 · A chapter\n\nIntro prose."),
        new_markdown_cell("## 1. First section\n\nSome prose that explains.\n\n$$ a = b \\tag{99.1} $$\n\nAfter it."),
        new_code_cell("plot()", outputs=[new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]),
        new_markdown_cell("## 2. A list\n\n**Lead:**\n\n" + "\n".join(f"* {long_item} $x_{i}$" for i in range(5))),
        new_code_cell("print(...)", outputs=[new_output("stream", name="stdout", text="\n".join(["row"] * 50))]),
        new_markdown_cell("## 3. Only prose\n\nNothing to show here."),
        new_code_cell("secret()", metadata={"tags": ["solution"]}, outputs=[
            new_output("display_data", data={"image/png": "iVBORw0KGgo="})]),
    ])
    slides = lecture_slides(nb, title="99 · A chapter", summary="What it is about.")
    assert [s.kind for s in slides] == ["title", "equation", "figure", "bullets", "section"]
    assert [s.title for s in slides[1:]] == ["1. First section", "1. First section", "2. A list", "3. Only prose"]
    assert slides[0].notes == ["Intro prose."]
    assert slides[1].notes == ["Some prose that explains.", "After it."]   # the prose before the first thing shown too
    assert "plot()" in slides[2].notes[0]                                  # the code beside its figure
    bullets = slides[3].body[-1].splitlines()
    assert slides[3].body[0] == "**Lead:**" and len(bullets) == 3 and all(b.endswith("…") for b in bullets)
    assert slides[3].words() <= MAX_WORDS
    assert any("… (20 more lines in the notebook)" in n for n in slides[3].notes)   # a long output, cut, in the notes
    assert not any("secret" in n for s in slides for n in s.notes)                   # solutions stay out of the lecture
    with pytest.raises(AssertionError):   # the check above can fail: an uncut bullet is over budget
        assert visible_words(f"{long_item} {long_item}") <= MAX_WORDS


def test_visible_words_counts_math_as_one_word_and_truncation_keeps_markup_whole():
    assert visible_words("The rate $\\alpha_t = \\frac{a}{b}$ and $$x^2 + y^2$$ [the link](http://x.y/z) `a b`") == 9
    cut = truncate_words("A **bold claim about $\\sum_t \\alpha_t$ and more** words follow here", 5)
    assert cut == "A **bold claim about $\\sum_t \\alpha_t$…**" and visible_words(cut) == 5
    assert truncate_words("short enough", 5) == "short enough"


SLIDE_FIT_JS = """<script>window.addEventListener("load", function () {
  function report() {
    var cut = [], slides = Reveal.getSlides();
    slides.forEach(function (slide, k) {
      Reveal.slide(Reveal.getIndices(slide).h, Reveal.getIndices(slide).v);
      if (slide.scrollHeight > slide.clientHeight + 2) cut.push([k + 1, "height", slide.scrollHeight]);
      if (slide.scrollWidth > slide.clientWidth + 2) cut.push([k + 1, "width", slide.scrollWidth]);
      slide.querySelectorAll('mjx-container[display="true"]').forEach(function (box) {
        var px = parseFloat(getComputedStyle(box).fontSize);
        if (box.scrollWidth > box.parentElement.clientWidth + 1) cut.push([k + 1, "formula cut", box.scrollWidth]);
        if (px < 18) cut.push([k + 1, "formula scaled to " + px + "px"]);   // of a 1280-pixel-wide slide (text: 34px)
      });
      slide.querySelectorAll("img").forEach(function (img) {
        if (img.clientHeight < 400) cut.push([k + 1, "figure only " + img.clientHeight + "px high"]);
      });
    });
    var pre = document.createElement("pre");
    pre.id = "course-fit"; pre.textContent = JSON.stringify({slides: slides.length, cut: cut});
    document.body.appendChild(pre);
  }
  var ready = new Promise(function (ok) { Reveal.isReady() ? ok() : Reveal.on("ready", ok); });
  Promise.all([ready, window.MathJax.startup.promise]).then(report, report);
});</script>"""


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (Debian: apt-get install chromium)")
def test_every_slide_fits_the_screen_without_scrolling(slides):
    import html as html_module

    for ch in BOOK.chapters:
        copy = _with_script((slides / deck_name(ch)).resolve(), SLIDE_FIT_JS)
        try:
            dom = run_chromium(copy.as_uri(), "--window-size=1280,800", "--dump-dom")
        finally:
            copy.unlink()
        found = re.search(r'<pre id="course-fit"[^>]*>(.*?)</pre>', dom, re.S)
        assert found, f"{deck_name(ch)} never finished loading"
        report = json.loads(html_module.unescape(found.group(1)))
        assert report["slides"] > 1 and report["cut"] == [], f"{deck_name(ch)}: slides cut off: {report['cut']}"
