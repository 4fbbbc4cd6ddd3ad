"""Lecture slides: one reveal.js deck per chapter, built for a projector from the committed notebook, offline.

Chapter: 00_how_to_use_this_course (for instructors: ``python -m course_utils slides``).

A chapter section is a page, not a slide, so the decks are rebuilt by :func:`lecture_notebook`
rather than cut from the notebook's slide metadata. Each slide shows one thing, titled with the
section it belongs to: a figure (an image output), a display equation block (several from one
section are grouped when a chapter has more than its minutes allow), a short printed output
(at most 8 lines), or a Markdown list that the chapter already has, cut to three bullets. No
slide shows more than ``MAX_WORDS`` = 60 visible words: the words of its text once tags and
math are dropped, plus one per formula. The first slide is the title with the summary from
``book.toml``; a section with nothing to show gets a slide with its heading. Everything else --
the prose, the code, long outputs -- goes, in reading order, into the speaker notes of the slide
on screen when the chapter reaches it (``<aside class="notes">``, one per slide); Colab's set-up
cell and the worked solutions are left out. :func:`pace` then brings a lecture to about one
slide per ``MINUTES_PER_SLIDE`` = 2.5 lecture minutes by grouping equations and folding short
outputs and extra lists into the notes; no figure or equation is dropped.

The decks show the committed outputs; nothing is executed. ``jupyter nbconvert --to slides``
would load reveal.js, jQuery, require.js and MathJax from CDNs; :func:`build_slides` instead
renders with a small template of its own and copies what the decks need beside them: reveal.js
from the ``sphinx-revealjs`` package and MathJax from ``sphinx-mathjax-offline``. A deck then
opens from the disk, or a USB stick, in a lecture hall without a network. Press ``S`` for the
speaker view (the notes), ``F`` for full screen, ``Esc`` for the overview.
"""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .book import GPU, MINUTES, NUMBER, Book, load_book, replace_between_markers

REVEAL_FILES = ("dist/reveal.css", "dist/reset.css", "dist/reveal.js", "dist/theme/white.css",
                "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js")
MATHJAX_FILES = ("tex-svg.js", "input/tex/extensions", "ui", "a11y")   # SVG output needs no fonts
SKIPPED_TAGS = ("colab",)   # Colab's set-up cell has no place in a lecture
LECTURE_SKIPPED_TAGS = (*SKIPPED_TAGS, "solution")   # nor the worked solutions of the exercises

TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
        processEscapes: true},
  options: {ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process"},
  svg: {fontCache: "local"},   // each formula self-contained: the speaker view copies the notes' HTML
  startup: {pageReady: function () {
    return MathJax.startup.defaultPageReady().then(function () { courseFitMath(Reveal.getCurrentSlide()); });
  }}
};
// A displayed formula wider than the slide is scaled down to fit (reveal.js only lays out the slide on screen).
function courseFitMath(slide) {
  if (!slide) return;
  slide.querySelectorAll('mjx-container[display="true"]').forEach(function (box) {
    box.style.fontSize = "";
    for (var tries = 0; tries < 6 && box.scrollWidth > box.parentElement.clientWidth; tries++) {  // ex is not quite linear
      var px = parseFloat(getComputedStyle(box).fontSize);
      box.style.fontSize = (0.98 * px * box.parentElement.clientWidth / box.scrollWidth) + "px";
    }
  });
}
</script>
<script defer src="mathjax/tex-svg.js"></script>
<style>
/* sized for a projector: a 1280×800 slide that reveal.js scales to the screen */
.reveal .slides > section, .reveal .slides > section > section { height: 100%; overflow-y: auto; }
.reveal .jp-RenderedHTMLCommon { font-size: 34px; line-height: 1.35; }
.reveal .jp-RenderedHTMLCommon h1 { font-size: 64px; margin: 2.5em 0 0.5em; text-transform: none; }
.reveal .jp-RenderedHTMLCommon h2 { font-size: 44px; margin: 0 0 0.6em; text-transform: none; }
.reveal .jp-RenderedHTMLCommon li { margin: 0.4em 0; }
.reveal .jp-RenderedHTMLCommon mjx-container[display="true"] { margin: 0.8em 0; }
.reveal .jp-RenderedImage img { display: block; margin: 0 auto; height: 600px; width: auto; max-width: 100%;
                                 object-fit: contain; }   /* a figure fills the slide below its title */
.reveal .jp-OutputArea-output pre { font-size: 28px; line-height: 1.3; }
.reveal pre { box-shadow: none; }
</style>
{%- endblock html_head_js_mathjax -%}
{% block footer_js %}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({controls: true, progress: true, hash: true, center: false,
                   slideNumber: "c/t", transition: "none", width: 1280, height: 800,
                   plugins: [RevealNotes]});
Reveal.on("slidechanged", function (event) { courseFitMath(event.currentSlide); });
</script>
{% endblock footer_js %}
"""


def _package_dir(name: str, *inside: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the slides need the Python package {name!r} (pip install '{name.replace('_', '-')}')")
    return Path(spec.origin).parent.joinpath(*inside)


def reveal_dir() -> Path:
    """reveal.js as shipped inside the ``sphinx-revealjs`` package."""
    return _package_dir("sphinx_revealjs", "_static", "revealjs")


def mathjax_dir() -> Path:
    """MathJax 3 as shipped inside the ``sphinx-mathjax-offline`` package (its import name has hyphens)."""
    return _package_dir("sphinx-mathjax-offline", "static", "mathjax")


def _copy(src: Path, names: tuple[str, ...], dest: Path) -> None:
    for name in names:
        source, target = src / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)


# ---------------------------------------------------------------------------------------------
# The lecture notebook: one thing per slide, the rest in the speaker notes
# ---------------------------------------------------------------------------------------------

MAX_WORDS = 60          # visible words on a slide (each math block counts as one word)
MAX_BULLETS = 3
MAX_BULLET_WORDS = 16   # a bullet longer than this is cut at a word boundary, with "…"
MAX_OUTPUT_LINES = 8    # a printed output this short may be a slide of its own
NOTE_OUTPUT_LINES = 30  # longer outputs are cut to this many lines in the notes
MINUTES_PER_SLIDE = 2.5  # the build groups or folds optional slides down to about one per this
MAX_EQUATIONS = 3       # display blocks grouped on one slide when a chapter has too many

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_MATH_OPEN = re.compile(r"^ {0,3}(\$\$|\\begin\{([A-Za-z]+\*?)\})")
_LIST_ITEM = re.compile(r"^( *)([-*+]|\d{1,3}[.)])\s+(.*)$")
_INTERRUPTS = re.compile(r"^ {0,3}([-*+]|1[.)])\s+\S")       # a list that may start right below a paragraph
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_MATH_SPAN = re.compile(r"\$\$.+?\$\$|\\begin\{([A-Za-z]+\*?)\}.*?\\end\{\1\}|\\\[.+?\\\]|\\\(.+?\\\)"
                        r"|(?<![\\$])\$(?=\S)[^$\n]*?(?<![\s\\])\$(?!\$)", re.S)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w")


def visible_words(markdown: str) -> int:
    """Words a slide shows for this Markdown: text after dropping tags, link targets and math, plus
    one per math span (inline or display), so that an equation weighs what a word does."""
    text = _CODE_SPAN.sub(lambda m: f" {m.group(2)} ", markdown)
    text, maths = _MATH_SPAN.subn(" ", text)
    text = _TAG.sub(" ", _LINK.sub(lambda m: f" {m.group(1)} ", text))
    return maths + sum(1 for w in text.split() if _WORD.search(w))


def _atoms(markdown: str) -> list[str]:
    """Markdown cut at spaces, with code spans, math and links kept whole (truncation never splits them)."""
    kept: list[str] = []

    def hold(m: re.Match) -> str:
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    held = re.sub(f"{_CODE_SPAN.pattern}|{_MATH_SPAN.pattern}|{_LINK.pattern}", hold, markdown, flags=re.S)
    return [re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], a) for a in held.split()]


def truncate_words(markdown: str, budget: int) -> str:
    """``markdown`` cut at a word boundary to at most ``budget`` visible words, with "…" when cut."""
    if visible_words(markdown) <= budget:
        return markdown
    kept: list[str] = []
    for atom in _atoms(markdown):
        if visible_words(" ".join(kept + [atom])) > budget:
            break
        kept.append(atom)
    text = " ".join(kept).rstrip(",;:—–-") + "…"
    if text.count("**") % 2:
        text += "**"
    if text.replace("**", "").count("*") % 2:
        text += "*"
    return text


def _blocks(source: str) -> list[tuple[str, object]]:
    """A Markdown cell as blocks: ("heading", (level, text)), ("math", tex), ("list", (items, raw)),
    ("text", markdown). Lists keep their top-level items; nested items stay in ``raw`` only."""
    lines, blocks, i = source.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        heading, fence, math = _HEADING.match(line), _FENCE.match(line), _MATH_OPEN.match(line)
        if heading:
            blocks.append(("heading", (len(heading.group(1)), heading.group(2))))
            i += 1
        elif fence:
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence.group(1)):
                j += 1
            blocks.append(("text", "\n".join(lines[i:j + 1])))
            i = j + 1
        elif math:
            close = "$$" if math.group(1) == "$$" else f"\\end{{{math.group(2)}}}"
            rest, j = line[math.end():], i
            while close not in rest and j + 1 < len(lines):
                j += 1
                rest = lines[j]
            blocks.append(("math", "\n".join(lines[i:j + 1]).strip()))
            i = j + 1
        elif _LIST_ITEM.match(line) and len(_LIST_ITEM.match(line).group(1)) <= 3:
            j = i + 1
            while j < len(lines):
                nxt = lines[j]
                if not nxt.strip():
                    k = j
                    while k < len(lines) and not lines[k].strip():
                        k += 1
                    if k < len(lines) and (lines[k].startswith("  ") or _LIST_ITEM.match(lines[k])):
                        j = k
                        continue
                    break
                if _HEADING.match(nxt) or (_MATH_OPEN.match(nxt) and not nxt.startswith("  ")):
                    break
                j += 1
            raw = "\n".join(lines[i:j])
            indent = len(_LIST_ITEM.match(line).group(1))
            items: list[str] = []
            nested = False
            for item_line in lines[i:j]:
                m = _LIST_ITEM.match(item_line)
                if m and len(m.group(1)) <= indent:
                    items.append(m.group(3).strip())
                    nested = False
                elif m:
                    nested = True
                elif item_line.strip() and not nested and items:
                    items[-1] += " " + item_line.strip()
            blocks.append(("list", (items, raw)))
            i = j
        else:
            j = i + 1
            while j < len(lines) and lines[j].strip() and not (
                    _HEADING.match(lines[j]) or _FENCE.match(lines[j]) or _MATH_OPEN.match(lines[j])
                    or _INTERRUPTS.match(lines[j])):
                j += 1
            blocks.append(("text", "\n".join(lines[i:j])))
            i = j
    return blocks


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


def slide_count(nb) -> int:
    """How many slides (top-level sections) nbconvert makes of a notebook's metadata."""
    kinds = [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
    visible = [k for k in kinds if k not in ("skip", "notes")]
    return kinds.count("slide") + (1 if visible and visible[0] != "slide" else 0)   # the first visible cell opens one


def deck_name(chapter) -> str:
    return f"{chapter.stem}.slides.html"


def exporter():
    """nbconvert's reveal.js exporter with the offline template; reveal.js is looked up beside the deck."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter

    return SlidesExporter(extra_loaders=[DictLoader({"course_reveal.html.j2": TEMPLATE})],
                          template_file="course_reveal.html.j2", reveal_url_prefix="reveal.js",
                          reveal_theme="white", exclude_input=True, exclude_input_prompt=True,
                          exclude_output_prompt=True)


def build_slides(root: Path | str | None = None, out: Path | str | None = None) -> list[Path]:
    """Write one deck per chapter of ``book.toml`` into ``out`` (``_build/slides``), with an index page."""
    book = load_book(root)
    out = Path(out) if out is not None else book.root / "_build" / "slides"
    out.mkdir(parents=True, exist_ok=True)
    _copy(reveal_dir(), REVEAL_FILES, out / "reveal.js")
    _copy(mathjax_dir(), MATHJAX_FILES, out / "mathjax")
    export = exporter()
    decks = []
    for ch in book.chapters:
        nb = lecture_notebook(book.root / ch.file, ch)
        body, _ = export.from_notebook_node(nb, resources={"metadata": {"name": ch.stem}})
        deck = out / deck_name(ch)
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
    (out / "index.html").write_text(deck_index(book), encoding="utf-8")
    return decks


def deck_index(book: Book) -> str:
    """A plain page that lists the decks with their lecture times."""
    rows = "\n".join(f'<tr><td>{ch.number}</td><td><a href="{deck_name(ch)}">{html.escape(ch.title)}</a></td>'
                     f"<td>{ch.minutes} min</td></tr>" for ch in book.chapters)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(book.title)}: slides'
            f'</title></head>\n<body style="font-family: sans-serif; max-width: 50em; margin: 2em auto">\n'
            f"<h1>{html.escape(book.title)}: lecture slides</h1>\n<p>Keys: S speaker view, F full screen, "
            f"Esc overview, arrows to move.</p>\n<table>\n<tr><th>#</th><th>chapter</th><th>lecture</th></tr>\n"
            f"{rows}\n</table>\n</body></html>\n")


GUIDE = "notebooks/INSTRUCTORS.md"
PLAN_START = "<!-- lecture-plan:start (generated from book.toml) -->"
PLAN_END = "<!-- lecture-plan:end -->"


def lecture_plan(book: Book) -> str:
    """The Markdown lecture plan of the instructors' guide: chapters, minutes, running total."""
    return book.table(NUMBER, ("chapter", lambda ch: ch.title), MINUTES, ("running total", book.running_total), GPU)


def lecture_plan_block(book: Book) -> str:
    return f"{PLAN_START}\n{lecture_plan(book)}\n{PLAN_END}"


def sync_guide(book: Book, guide: Path | str | None = None) -> bool:
    """Rewrite the lecture plan between the markers of the instructors' guide; return whether it changed."""
    guide = Path(guide) if guide is not None else book.root / GUIDE
    return replace_between_markers(guide, PLAN_START, PLAN_END, lecture_plan_block(book))
