"""Headless Chromium with the network off: what a reader of the book and the slides would see.

Chapter: 00_how_to_use_this_course (for instructors and for the tests of the book and slides).

Debian's ``chromium`` opens a page from the disk in a fresh profile, with every host name
unresolvable and a proxy to nowhere, so a page that needs the network visibly fails.
:func:`probe_page` reports what the page got (typeset math, loaded images, attempted network
requests); :func:`screenshot` saves a PNG. Both work on a copy of the page with a small script
added, written beside it and removed afterwards.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                  "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",   # no name resolves
                  "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")  # nor any address

PROBE_JS = """<script>window.addEventListener("load", function () {
  function report() {
    var imgs = Array.prototype.slice.call(document.images), pre = document.createElement("pre");
    pre.id = "course-probe";
    pre.textContent = JSON.stringify({
      title: document.title, images: imgs.length,
      loaded_images: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
      figures: document.querySelectorAll(".cell_output img").length,
      math: document.querySelectorAll(".math").length,
      typeset: document.querySelectorAll("mjx-container").length,
      math_errors: document.querySelectorAll("mjx-merror, [data-mml-node=merror]").length,
      // code blocks wider than the column (they would need a horizontal scrollbar)
      overflowing_code: Array.prototype.slice.call(document.querySelectorAll("article pre"))
        .filter(function (p) { return p.scrollWidth > p.clientWidth + 1; }).length,
      reveal_slides: window.Reveal && Reveal.isReady && Reveal.isReady() ? Reveal.getTotalSlides() : null,
      // resource timing lists no file: loads, but does list every attempt to reach the network
      network: performance.getEntriesByType("resource").map(function (e) { return e.name; })});
    document.body.appendChild(pre);
  }
  var mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  (mj || Promise.resolve()).then(report, report);
});</script>"""

# Headless screenshots ignore scrolling, so instead of scrolling to the first figure (or else the
# first displayed equation) we hide what precedes it, keeping the page title and section headings.
FOCUS_JS = """<script>window.addEventListener("load", function () {
  var target = document.querySelector(".cell_output img") || document.querySelector("div.math");
  if (!target) return;
  var el = target.closest(".cell") || target.previousElementSibling || target;
  for (; el && el.parentElement && el.tagName !== "ARTICLE"; el = el.parentElement) {
    for (var s = el.previousElementSibling; s; s = s.previousElementSibling) {
      var ownHeading = s === el.parentElement.querySelector(":scope > :is(h1, h2, h3, h4, h5, h6)");
      if (!ownHeading) s.style.display = "none";
    }
  }
});</script>"""


def find_chromium() -> str | None:
    """Debian's ``chromium`` (or another Chromium-based browser on the PATH), or None."""
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def run_chromium(url: str, *args: str, budget_ms: int = 15000, timeout: float = 120) -> str:
    """Open ``url`` in a fresh headless profile with networking off; return what Chromium printed."""
    import tempfile

    exe = find_chromium()
    if exe is None:
        raise RuntimeError("chromium is not installed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="course-chromium-") as profile:
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", *args, url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True).stdout


def _with_script(page: Path, script: str) -> Path:
    """A sibling copy of ``page`` with ``script`` before ``</body>`` (same folder, so links still work)."""
    copy = page.with_name(f"_course_probe_{page.name}")
    text = page.read_text(encoding="utf-8")
    copy.write_text(text.replace("</body>", script + "</body>", 1), encoding="utf-8")
    return copy


def probe_page(page: Path | str, *, size: tuple[int, int] = (1280, 800)) -> dict:
    """Open a built page offline in a ``size`` window and report what a reader would get (see ``PROBE_JS``)."""
    import json

    copy = _with_script(Path(page).resolve(), PROBE_JS)
    try:
        dom = run_chromium(copy.as_uri(), f"--window-size={size[0]},{size[1]}", "--dump-dom")
    finally:
        copy.unlink()
    found = re.search(r'<pre id="course-probe"[^>]*>(.*?)</pre>', dom, re.S)
    if not found:
        raise RuntimeError(f"the page never finished loading: {page}")
    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path | str, png: Path | str, *, size: tuple[int, int] = (1280, 800),
               focus_figure: bool = False, colors: int | None = 128) -> Path:
    """Save a PNG of ``page`` as a reader sees it offline; with ``colors``, quantized to stay small."""
    page, png = Path(page).resolve(), Path(png).resolve()
    copy = _with_script(page, FOCUS_JS) if focus_figure else page
    try:
        run_chromium(copy.as_uri(), f"--window-size={size[0]},{size[1]}", f"--screenshot={png}")
    finally:
        if copy != page:
            copy.unlink()
    if colors:
        from PIL import Image

        with Image.open(png) as im:
            small = im.convert("RGB").quantize(colors=colors)
        small.save(png, optimize=True)
    return png

