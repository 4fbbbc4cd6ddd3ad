"""A chapter as a lecture: one thing per slide, the prose in the speaker notes.

Chapter: 00_how_to_use_this_course (for instructors: ``python -m course_utils slides``).

:func:`lecture_notebook` turns a chapter into the notebook that :mod:`.slides` exports as a
reveal.js deck. Each slide shows one thing: a figure, a display equation block (a few when a
chapter has many), a short printed output, or at most three bullets taken from a list the
chapter already has (≤ ``MAX_WORDS`` visible words in all); the prose, the code and long
outputs go into the slide's speaker notes. :func:`pace` groups or folds optional slides to
about one per ``MINUTES_PER_SLIDE`` lecture minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .book import load_book
from .markdown import _blocks, truncate_words, visible_words

SKIPPED_TAGS = ("colab",)   # Colab's set-up cell has no place in a lecture
LECTURE_SKIPPED_TAGS = (*SKIPPED_TAGS, "solution")   # nor the worked solutions of the exercises

MAX_WORDS = 60          # visible words on a slide (each math block counts as one word)
MAX_BULLETS = 3
MAX_BULLET_WORDS = 16   # a bullet longer than this is cut at a word boundary, with "…"
MAX_OUTPUT_LINES = 8    # a printed output this short may be a slide of its own
NOTE_OUTPUT_LINES = 30  # longer outputs are cut to this many lines in the notes
MINUTES_PER_SLIDE = 2.5  # the build groups or folds optional slides down to about one per this
MAX_EQUATIONS = 3       # display blocks grouped on one slide when a chapter has too many


@dataclass
class Slide:
    """One slide of a lecture: what it shows and what the speaker view says beside it."""
    kind: str                    # "title", "section", "figure", "equation", "bullets" or "output"
    title: str                   # Markdown of the slide's heading: the section it belongs to
    section: int                 # which section of the chapter (0: before the first ``##``)
    body: list = field(default_factory=list)     # the Markdown shown (or, for figures and outputs, the output)
    notes: list[str] = field(default_factory=list)

    def words(self) -> int:
        shown = [b for b in self.body if isinstance(b, str)]
        outputs = [_output_text(b) for b in self.body if not isinstance(b, str)]
        return visible_words("\n\n".join([self.title, *shown])) + sum(visible_words(o) for o in outputs)


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:
        text = output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def _is_image(output) -> bool:
    return output.get("output_type") in ("display_data", "execute_result") and bool(
        {"image/png", "image/svg+xml", "image/jpeg"} & set(output.get("data", {})))


def _fenced(text: str, language: str = "") -> str:
    lines = text.rstrip("\n").splitlines()
    if len(lines) > NOTE_OUTPUT_LINES:
        lines = lines[:NOTE_OUTPUT_LINES] + [f"… ({len(lines) - NOTE_OUTPUT_LINES} more lines in the notebook)"]
    fence = "````" if any(line.lstrip().startswith("```") for line in lines) else "```"
    return f"{fence}{language}\n" + "\n".join(lines) + f"\n{fence}"


def _output_note(output) -> str | None:
    """An output as the speaker notes carry it (None: nothing worth a note)."""
    kind, data = output.get("output_type"), output.get("data", {})
    if kind == "error":
        return _fenced(f"{output.get('ename')}: {output.get('evalue')}")
    if "text/markdown" in data:
        text = data["text/markdown"]
        return "".join(text) if isinstance(text, list) else text
    text = _output_text(output)
    return _fenced(text) if text.strip() else None


class _Lecture:
    """Collects a chapter's slides in reading order; notes go to the slide on screen."""

    def __init__(self, title: str, summary: str):
        body = [f"*{truncate_words(summary, MAX_WORDS - visible_words(title))}*"] if summary else []
        self.slides = [Slide("title", title, 0, body)]
        self.section, self.heading = 0, title
        self.pending: list[str] = []     # notes of a section that has no slide yet

    def start_section(self, heading: str) -> None:
        self._close_section()
        self.section += 1
        self.heading = truncate_words(heading, MAX_WORDS // 3)

    def _open(self) -> bool:
        return self.slides[-1].section == self.section

    def _close_section(self) -> None:
        if not self._open():      # a section with nothing to show still gets its heading on a slide
            self.slides.append(Slide("section", self.heading, self.section, notes=self.pending))
        self.pending = []

    def note(self, markdown: str | None) -> None:
        if markdown and markdown.strip():
            (self.slides[-1].notes if self._open() else self.pending).append(markdown)

    def show(self, kind: str, *body) -> None:
        self.slides.append(Slide(kind, self.heading, self.section, list(body), notes=self.pending))
        self.pending = []

    def finish(self) -> list[Slide]:
        self._close_section()
        return self.slides


def _bullets(items: list[str], lead: str | None, title: str) -> list[str] | None:
    """At most three of a list's items, cut so that the slide stays within the word budget."""
    items = items[:MAX_BULLETS]
    budget = MAX_WORDS - visible_words(title) - (visible_words(lead) if lead else 0)
    if budget < 3 * len(items):
        return None
    shares, left = {}, budget
    for n, k in enumerate(sorted(range(len(items)), key=lambda k: visible_words(items[k]))):
        shares[k] = min(visible_words(items[k]), left // (len(items) - n), MAX_BULLET_WORDS)
        left -= shares[k]
    lines = [f"- {truncate_words(item, shares[k])}" for k, item in enumerate(items)]
    return ([lead] if lead else []) + ["\n".join(lines)]


def _markdown_cell(lecture: _Lecture, source: str) -> None:
    blocks = _blocks(source)
    for n, (kind, value) in enumerate(blocks):
        if kind == "heading":
            level, text = value
            if level >= 2:
                lecture.start_section(text)
        elif kind == "math":
            lecture.show("equation", value)
        elif kind == "list":
            items, raw = value
            before = blocks[n - 1] if n else None
            lead = before[1] if before and before[0] == "text" and visible_words(before[1]) <= 12 \
                and "\n\n" not in before[1] else None
            shown = _bullets(items, lead, lecture.heading)
            if shown:
                lecture.show("bullets", *shown)
            lecture.note(raw)
        else:
            lecture.note(value)


def _code_cell(lecture: _Lecture, cell) -> None:
    code = _fenced(cell.source, "python") if cell.source.strip() else None
    shown = False
    for output in cell.get("outputs", []):
        if _is_image(output):
            lecture.show("figure", output)
        elif (output.get("output_type") in ("stream", "execute_result") and "text/markdown" not in
              output.get("data", {}) and 0 < len(_output_text(output).strip().splitlines()) <= MAX_OUTPUT_LINES
              and visible_words(lecture.heading) + visible_words(_output_text(output)) <= MAX_WORDS
              and "application/vnd.jupyter.widget-view+json" not in output.get("data", {})):
            lecture.show("output", output)
        else:
            lecture.note(_output_note(output))
            continue
        if not shown:
            lecture.note(code)
            shown = True
    if not shown:
        lecture.note(code)


def _merge(slides: list[Slide], k: int) -> None:
    """Fold slide k + 1 into slide k (its body and notes follow k's)."""
    nxt = slides.pop(k + 1)
    slides[k].body += nxt.body
    slides[k].notes += nxt.notes


def _fold(slides: list[Slide], k: int) -> None:
    """Drop slide k from the screen; what it showed and said goes into the previous slide's notes."""
    gone = slides.pop(k)
    shown = [b if isinstance(b, str) else _output_note(b) or "" for b in gone.body]
    slides[k - 1].notes += [s for s in shown if s] + gone.notes


def pace(slides: list[Slide], minutes: int) -> list[Slide]:
    """Bring a lecture to about one slide per ``MINUTES_PER_SLIDE`` minutes without losing a figure
    or an equation: first group consecutive equations of a section onto one slide (within the
    word budget), then move short printed outputs, then extra bullet lists, into the notes."""
    target = max(3, round(minutes / MINUTES_PER_SLIDE))
    for limit in range(2, MAX_EQUATIONS + 1):
        k = 0
        while len(slides) > target and k + 1 < len(slides):
            a, b = slides[k], slides[k + 1]
            if (a.kind == b.kind == "equation" and a.section == b.section and len(a.body) + len(b.body) <= limit
                    and a.words() + visible_words("\n\n".join(b.body)) <= MAX_WORDS):
                _merge(slides, k)
            else:
                k += 1
    for kind in ("output", "bullets"):      # from the sections with the most slides first
        while len(slides) > target:
            crowd = {s.section: sum(t.section == s.section for t in slides) for s in slides}
            spare = [k for k in range(1, len(slides))
                     if slides[k].kind == kind and slides[k - 1].section == slides[k].section]
            if not spare:
                break
            _fold(slides, max(spare, key=lambda k: (crowd[slides[k].section], k)))
    return slides


def lecture_slides(nb, *, title: str, summary: str = "", minutes: int | None = None) -> list[Slide]:
    """The slides of a chapter notebook: its title and summary, then in reading order each figure,
    display equation, short printed output and Markdown list (at most three items), titled with
    the section it belongs to; a section with none of these shows its heading. Prose, code and
    long outputs become the notes of the slide on screen when the chapter reaches them. Colab's
    set-up cell and the worked solutions are left out."""
    lecture = _Lecture(title, summary)
    for cell in nb.cells:
        if set(cell.metadata.get("tags", [])) & set(LECTURE_SKIPPED_TAGS):
            continue
        if cell.cell_type == "markdown":
            _markdown_cell(lecture, cell.source)
        elif cell.cell_type == "code":
            _code_cell(lecture, cell)
    slides = lecture.finish()
    return pace(slides, minutes) if minutes else slides


def _chapter_of(path: Path):
    for root in path.resolve().parents:
        if (root / "book.toml").is_file():
            for ch in load_book(root, strict=False).chapters:
                if (root / ch.file).resolve() == path.resolve():
                    return ch
            return None
    return None


def lecture_notebook(path: Path | str, chapter=None):
    """The chapter as a lecture shows it (see :func:`lecture_slides`): a notebook whose cells are
    the slides, each followed by one ``notes`` cell that reveal.js shows in the speaker view.
    ``chapter`` (from ``book.toml``; looked up by path when omitted) gives the title slide its
    title and summary and the lecture its minutes."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    path = Path(path)
    source = nbformat.read(path, as_version=4)
    chapter = chapter if chapter is not None else _chapter_of(path)
    if chapter is not None:
        title, summary, minutes = f"{chapter.number} · {chapter.title}", chapter.summary, chapter.minutes
    else:
        first = next((v for c in source.cells if c.cell_type == "markdown"
                      for k, v in _blocks(c.source) if k == "heading"), (1, path.stem))
        title, summary, minutes = first[1], "", None
    cells = []
    for slide in lecture_slides(source, title=title, summary=summary, minutes=minutes):
        shown = [b for b in slide.body if isinstance(b, str)]
        outputs = [b for b in slide.body if not isinstance(b, str)]
        heading = "# " if slide.kind == "title" else "## "
        cells.append(new_markdown_cell("\n\n".join([heading + slide.title, *shown]),
                                       metadata={"slideshow": {"slide_type": "slide"},
                                                 "lecture": {"kind": slide.kind, "words": slide.words()}}))
        if outputs:
            cells.append(new_code_cell("", outputs=outputs, metadata={"slideshow": {"slide_type": "-"}}))
        if slide.notes:
            cells.append(new_markdown_cell("\n\n".join(slide.notes), metadata={"slideshow": {"slide_type": "notes"}}))
    nb = new_notebook(cells=cells, metadata=source.metadata)
    nb.metadata["title"] = title
    return nb
