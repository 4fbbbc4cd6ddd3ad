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
import shutil
from pathlib import Path

from .book import GPU, MINUTES, NUMBER, Book, load_book, replace_between_markers
from .lecture import lecture_notebook

REVEAL_FILES = ("dist/reveal.css", "dist/reset.css", "dist/reveal.js", "dist/theme/white.css",
                "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js")
MATHJAX_FILES = ("tex-svg.js", "input/tex/extensions", "ui", "a11y")   # SVG output needs no fonts

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
