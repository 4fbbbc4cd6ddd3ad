"""``book.toml``: the one table of contents, and what is derived from it (chapter table, badges).

Chapter: 00_how_to_use_this_course.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_BOOK_KEYS = ("title", "authors", "license", "repository", "branch")
REQUIRED_CHAPTER_KEYS = {"file": str, "title": str, "summary": str, "minutes": int, "gpu": bool}


class BookError(ValueError):
    """book.toml is malformed or disagrees with the repository."""


@dataclass(frozen=True)
class Chapter:
    file: str       # path of the .ipynb, relative to the repository root
    title: str
    summary: str
    minutes: int    # lecture time
    gpu: bool       # whether a GPU helps (every chapter also runs on a CPU)

    @property
    def stem(self) -> str:
        return Path(self.file).stem

    @property
    def number(self) -> str:
        return self.stem.split("_", 1)[0]

    @property
    def py_file(self) -> str:
        file = Path(self.file)
        return str(file.parent / "py" / file.with_suffix(".py").name)   # see notebooks.TWIN_DIR


@dataclass(frozen=True)
class Book:
    title: str
    subtitle: str
    authors: tuple[str, ...]
    license: str
    repository: str
    branch: str
    chapters: tuple[Chapter, ...]
    root: Path

    @property
    def github_slug(self) -> str:
        """``owner/name`` from a GitHub repository URL."""
        prefix = "https://github.com/"
        if not self.repository.startswith(prefix):
            raise BookError(f"book.repository must be a GitHub URL, got {self.repository}")
        return self.repository[len(prefix):].strip("/")

    def colab_url(self, chapter: Chapter) -> str:
        return f"https://colab.research.google.com/github/{self.github_slug}/blob/{self.branch}/{chapter.file}"

    def binder_url(self, chapter: Chapter | None = None) -> str:
        url = f"https://mybinder.org/v2/gh/{self.github_slug}/{self.branch}"
        if chapter is not None:
            url += "?urlpath=" + quote(f"lab/tree/{chapter.file}", safe="")
        return url

    def colab_badge(self, chapter: Chapter) -> str:
        return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({self.colab_url(chapter)})"

    def binder_badge(self, chapter: Chapter | None = None) -> str:
        return f"[![Binder](https://mybinder.org/badge_logo.svg)]({self.binder_url(chapter)})"

    def table(self, *columns: tuple[str, Callable[[Chapter], object]]) -> str:
        """A Markdown table with one row per chapter; each column is ``(header, cell(chapter))``.

        Every table generated from book.toml is built here: README's chapter table
        (:meth:`chapter_table`), the instructors' lecture plan and the book site's home page.
        A ``|`` inside a cell is escaped, so a summary cannot break its row.
        """
        rows = ["| " + " | ".join(header for header, _ in columns) + " |", "|" + "---|" * len(columns)]
        for ch in self.chapters:
            rows.append("| " + " | ".join(str(cell(ch)).replace("|", "\\|") for _, cell in columns) + " |")
        return "\n".join(rows)

    def running_total(self, chapter: Chapter) -> str:
        """Lecture time up to and including ``chapter``, as ``1 h 05 min``."""
        total = sum(ch.minutes for ch in self.chapters[: self.chapters.index(chapter) + 1])
        return f"{total // 60} h {total % 60:02d} min"

    def chapter_table(self) -> str:
        """The Markdown chapter table that README.md carries (a test keeps them in step)."""
        return self.table(NUMBER, ("chapter", lambda ch: f"[{ch.title}]({ch.file})"), SUMMARY, MINUTES, GPU,
                          ("launch", self.colab_badge))

    def chapter(self, name: str) -> Chapter:
        """Find a chapter by file, stem or number (``"02"``, ``"02_momentum"``)."""
        for ch in self.chapters:
            if name in (ch.file, ch.stem, ch.number, ch.py_file) or Path(name).stem == ch.stem:
                return ch
        raise BookError(f"no chapter {name!r} in book.toml")


# The columns that the generated tables share.
NUMBER = ("#", lambda ch: ch.number)
SUMMARY = ("what you will see", lambda ch: ch.summary)
MINUTES = ("lecture", lambda ch: f"{ch.minutes} min")
GPU = ("GPU helps", lambda ch: "yes" if ch.gpu else "no")

TABLE_START, TABLE_END = "<!-- chapters:start (generated from book.toml) -->", "<!-- chapters:end -->"


def readme_table_block(book: Book) -> str:
    return f"{TABLE_START}\n{book.chapter_table()}\n{TABLE_END}"


def replace_between_markers(path: Path, start: str, end: str, block: str) -> bool:
    """Replace the text from ``start`` to ``end`` (markers included) with ``block``; return whether it changed.

    Used for every table generated from book.toml (README's chapters, the instructors' plan).
    """
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise BookError(f"{path} lacks the markers {start!r} ... {end!r}")
    head, rest = text.split(start, 1)
    new = head + block + rest.split(end, 1)[1]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def sync_readme(book: Book, readme: Path) -> bool:
    """Rewrite README's chapter table from book.toml; return whether it changed."""
    return replace_between_markers(readme, TABLE_START, TABLE_END, readme_table_block(book))


def load_book(root: Path | str | None = None, *, strict: bool = True) -> Book:
    """Read and validate ``book.toml``.

    With ``strict`` every listed notebook and its ``.py`` pair must exist; without it only the
    ``.py`` (so ``execute`` can create a chapter's first ``.ipynb``).
    """
    root = Path(root) if root is not None else ROOT
    path = root / "book.toml"
    if not path.is_file():
        raise BookError(f"{path} is missing")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    meta = data.get("book", {})
    missing = [k for k in REQUIRED_BOOK_KEYS if k not in meta]
    if missing:
        raise BookError(f"book.toml [book] lacks {', '.join(missing)}")
    chapters = []
    for i, raw in enumerate(data.get("chapters", [])):
        for key, kind in REQUIRED_CHAPTER_KEYS.items():
            if not isinstance(raw.get(key), kind):
                raise BookError(f"book.toml chapter {i} needs {key!r} of type {kind.__name__}, got {raw.get(key)!r}")
        ch = Chapter(**{k: raw[k] for k in REQUIRED_CHAPTER_KEYS})
        for f in (ch.file, ch.py_file) if strict else (ch.py_file,):
            if not (root / f).is_file():
                raise BookError(f"book.toml lists {f}, which does not exist")
        chapters.append(ch)
    if not chapters:
        raise BookError("book.toml lists no chapters")
    stems = [c.stem for c in chapters]
    if stems != sorted(stems) or len(set(stems)) != len(stems):
        raise BookError(f"chapters must be listed once each, in reading order: {stems}")
    return Book(meta["title"], meta.get("subtitle", ""), tuple(meta["authors"]), meta["license"],
                meta["repository"].rstrip("/"), meta["branch"], tuple(chapters), root)
