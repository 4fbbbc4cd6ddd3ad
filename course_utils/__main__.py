"""Command line: ``python -m course_utils <command>``.

- ``execute [NOTEBOOK ...]``: re-run chapters in place (all of book.toml by default).
- ``readme``: rewrite README.md's chapter table from book.toml.
"""

from __future__ import annotations

import argparse
import sys


def _execute(args) -> int:
    from .book import load_book
    from .notebooks import execute

    book = load_book(strict=False)
    chapters = [book.chapter(n) for n in args.notebooks] if args.notebooks else list(book.chapters)
    for ch in chapters:
        seconds = execute(book.root / ch.file, device=args.device, timeout=args.timeout)
        print(f"{ch.file}: executed in {seconds:.1f} s")
    return 0


def _readme(args) -> int:
    from .book import load_book, sync_readme

    book = load_book()
    changed = sync_readme(book, book.root / "README.md")
    print("README.md chapter table " + ("updated" if changed else "already up to date"))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("execute", help="re-run chapters in place so committed outputs match the code")
    p.add_argument("notebooks", nargs="*", help="chapter files, stems or numbers (default: all in book.toml)")
    p.add_argument("--device", default="cpu", help="COURSE_DEVICE for the run (default: cpu, the canonical outputs)")
    p.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    p.set_defaults(func=_execute)
    p = sub.add_parser("readme", help="rewrite README.md's chapter table from book.toml")
    p.set_defaults(func=_readme)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
