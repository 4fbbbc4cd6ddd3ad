"""The book site: built from book.toml and the committed outputs, complete, and readable offline.

One session-scoped build serves every test. The browser tests open the pages from the disk in
headless Chromium with name resolution and the network off; they are skipped only when no
Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from course_utils.publish.book import load_book
from course_utils.publish.browser import find_chromium, probe_page, screenshot
from course_utils.publish.notebooks import figure_count
from course_utils.publish.site import external_references, site_sources

ROOT = Path(__file__).resolve().parent.parent
BOOK = load_book(ROOT)
needs_chromium = pytest.mark.skipif(find_chromium() is None,
                                    reason="chromium is not installed (Debian: apt-get install chromium)")


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The built site's folder (the equivalent of _build/html), built once per test session."""
    from course_utils.publish.site import build_site

    build = tmp_path_factory.mktemp("book")
    return build_site(ROOT, out=build / "html", staging=build / "site_src").parent


def page_of(site: Path, chapter) -> Path:
    return site / Path(chapter.file).with_suffix(".html")


def showcase() -> object:
    """The chapter with the most figures (the first one on a tie)."""
    return max(BOOK.chapters, key=lambda ch: figure_count(ROOT / ch.file))


def test_the_sphinx_project_is_derived_from_book_toml():
    files = site_sources(BOOK)
    assert f"repository_url\": {BOOK.repository!r}" in files["conf.py"]
    assert '"sphinx_book_theme"' in files["conf.py"] and 'nb_execution_mode = "off"' in files["conf.py"]
    toctree = files["index.md"].split("```{toctree}")[1]
    assert [line for line in toctree.splitlines() if line.startswith("notebooks/")] == \
        [str(Path(ch.file).with_suffix("")) for ch in BOOK.chapters]
    for ch in BOOK.chapters:
        nb = json.loads(files[ch.file])
        tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
        assert all("remove-cell" in t for t in tags if "colab" in t)     # the Colab cell is not shown
        assert all("hide-input" in t for t in tags if "solution" in t)   # solutions are folded


def test_every_chapter_has_a_page_with_launch_buttons_and_a_download(site):
    index = (site / "index.html").read_text()
    for ch in BOOK.chapters:
        text = html.unescape(page_of(site, ch).read_text())
        assert f'href="{BOOK.colab_url(ch)}"' in text
        assert f'href="{unquote(BOOK.binder_url(ch))}"' in text     # the theme leaves urlpath unquoted
        assert (site / "_sources" / ch.file).is_file()              # the theme's download button
        assert re.search(rf'href="_downloads/\w+/{ch.stem}\.ipynb"', index)
        assert html.escape(BOOK.colab_url(ch)) in index


def test_navigation_follows_book_toml(site):
    index = (site / "index.html").read_text()
    order = [str(Path(ch.file).with_suffix(".html")) for ch in BOOK.chapters]
    linked = re.findall(r'<a class="reference internal" href="(notebooks/[^"#]+)"', index)
    assert list(dict.fromkeys(linked))[:len(order)] == order
    pages = [site / "index.html"] + [page_of(site, ch) for ch in BOOK.chapters]
    for before, after in zip(pages, pages[1:]):
        nxt = re.search(r'class="right-next"\s+href="([^"]+)"', before.read_text()).group(1)
        prev = re.search(r'class="left-prev"\s+href="([^"]+)"', after.read_text()).group(1)
        assert (before.parent / nxt).resolve() == after.resolve()
        assert (after.parent / prev).resolve() == before.resolve()


def test_search_index_covers_the_chapters(site):
    assert (site / "search.html").is_file()
    index = (site / "searchindex.js").read_text()
    for ch in BOOK.chapters:
        assert str(Path(ch.file).with_suffix("")) in index


def test_no_page_loads_anything_from_the_network(site):
    assert external_references(site) == []
    assert (site / "_static" / "mathjax" / "tex-svg.js").is_file()


def test_external_references_finds_what_a_page_would_fetch(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example.org/x.js"></script><link rel="stylesheet" href="//cdn.example.org/s.css">'
        '<img src="http://example.org/i.png"><style>@import "https://fonts.example.org/f.css";</style>'
        '<a href="https://example.org/page">a link is fine</a><img src="data:image/png;base64,AAAA">'
        '<script src="_static/local.js"></script>')
    (tmp_path / "b.css").write_text('body { background: url("https://example.org/bg.png"); }'
                                    ' .x { background: url(data:image/svg+xml;utf8,http://ns) }')
    found = external_references(tmp_path)
    assert sorted(u for _, u in found) == sorted([
        "https://cdn.example.org/x.js", "//cdn.example.org/s.css", "http://example.org/i.png",
        "https://fonts.example.org/f.css", "https://example.org/bg.png"])


@needs_chromium
def test_the_home_page_loads_offline(site):
    report = probe_page(site / "index.html")
    assert BOOK.title in report["title"]
    assert report["network"] == []
    assert report["loaded_images"] == report["images"]


@needs_chromium
@pytest.mark.parametrize("chapter", sorted({BOOK.chapters[0], showcase()}, key=lambda c: c.file),
                         ids=lambda c: c.number)
def test_a_chapter_page_loads_offline_with_math_and_figures(site, chapter):
    report = probe_page(page_of(site, chapter))
    assert chapter.title.split(" ")[0] in report["title"]
    assert report["network"] == [], "the page tried to reach the network"
    assert report["math"] == 0 or report["typeset"] >= report["math"], "MathJax did not typeset the math"
    assert report["math_errors"] == 0
    assert report["images"] >= 1 and report["loaded_images"] == report["images"], "an image did not load"
    assert report["figures"] == figure_count(ROOT / chapter.file)
    if chapter == BOOK.chapters[0]:
        assert report["typeset"] > 0     # chapter 00 has the notation, so MathJax must have run


@needs_chromium
@pytest.mark.parametrize("chapter", BOOK.chapters, ids=lambda c: c.number)
def test_code_fits_the_column_without_a_horizontal_scrollbar(site, chapter):
    page = page_of(site, chapter)
    assert 'href="../_static/course.css' in page.read_text(encoding="utf-8")
    assert probe_page(page, size=(1280, 800))["overflowing_code"] == 0


@needs_chromium
def test_the_overflow_probe_sees_a_line_too_long_for_the_column(site, tmp_path):
    page = page_of(site, BOOK.chapters[0])
    without_css = page.with_name("_no_course_css.html")
    without_css.write_text(page.read_text(encoding="utf-8").replace("_static/course.css", "_static/none.css")
                           .replace("</article>", "<pre>" + "x" * 400 + "</pre></article>", 1), encoding="utf-8")
    try:
        assert probe_page(without_css)["overflowing_code"] >= 1
    finally:
        without_css.unlink()


@needs_chromium
def test_a_screenshot_of_a_chapter_is_not_blank(site, tmp_path):
    from PIL import Image

    png = screenshot(page_of(site, showcase()), tmp_path / "chapter.png", focus_figure=True, colors=None)
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 64, f"only {len(colours)} colours: the page rendered blank"


@needs_chromium
def test_search_works_offline(site):
    from course_utils.publish.browser import run_chromium

    dom = run_chromium((site / "search.html").as_uri() + "?q=momentum", "--dump-dom")
    found = re.search(r"found (\d+) page", dom)
    assert found and int(found.group(1)) >= 1, "the search page found nothing"
