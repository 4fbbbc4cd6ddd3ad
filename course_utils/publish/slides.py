"""Lecture slides: one reveal.js deck per chapter, built from the notebooks' slide metadata, offline.

Chapter: 00_how_to_use_this_course (for instructors: ``python -m course_utils slides``).

A cell whose metadata says ``slideshow={"slide_type": "slide"}`` starts a slide; the cells
after it, up to the next such cell, fill it (JupyterLab's *Property Inspector* or jupytext's
``# %% [markdown] slideshow={"slide_type": "slide"}`` set it). The decks show the committed
outputs; nothing is executed. ``jupyter nbconvert --to slides`` would load reveal.js, jQuery,
require.js and MathJax from CDNs; :func:`build_slides` instead renders with a small template
of its own and copies what the decks need beside them: reveal.js from the ``sphinx-revealjs``
package and MathJax from ``sphinx-mathjax-offline``. A deck then opens from the disk, or a USB
stick, in a lecture hall without a network. Press ``S`` for the speaker view, ``F`` for full
screen, ``Esc`` for the overview.
"""

from __future__ import annotations

import html
import importlib.util
import shutil
from pathlib import Path

from .book import GPU, MINUTES, NUMBER, Book, load_book, replace_between_markers

REVEAL_FILES = ("dist/reveal.css", "dist/reset.css", "dist/reveal.js", "dist/theme/white.css",
                "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js")
MATHJAX_FILES = ("tex-svg.js", "input/tex/extensions", "ui", "a11y")   # SVG output needs no fonts
SKIPPED_TAGS = ("colab",)   # Colab's set-up cell has no place in a lecture

TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
        processEscapes: true},
  options: {ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process"},
  svg: {fontCache: "global"}
};
</script>
<script defer src="mathjax/tex-svg.js"></script>
<style>
.reveal .slides > section, .reveal .slides > section > section { height: 100%; overflow-y: auto; }
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


def lecture_notebook(path: Path):
    """The chapter as a lecture shows it: the Colab cell skipped, everything else as committed."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if set(cell.metadata.get("tags", [])) & set(SKIPPED_TAGS):
            cell.metadata["slideshow"] = {"slide_type": "skip"}
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
                          reveal_theme="white", exclude_input_prompt=True, exclude_output_prompt=True)


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
        nb = lecture_notebook(book.root / ch.file)
        nb.metadata["title"] = f"{ch.number} · {ch.title}"
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
