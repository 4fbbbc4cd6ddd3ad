"""Command line: ``python -m course_utils <command>``.

- ``execute [NOTEBOOK ...]``: re-run chapters in place (all of book.toml by default).
- ``pace``: prose words, figures and equations of every chapter, against the one-sitting budget.
- ``readme``: rewrite every table generated from book.toml (README's chapters, the
  instructors' lecture plan).
- ``book``: build the offline HTML book into _build/html (from the committed outputs).
- ``slides``: write an offline reveal.js deck per chapter into _build/slides.
- ``student``: write the student editions (no worked solutions) into _build/student.
- ``bench``: time every optimizer-step implementation against the copy bandwidth (chapter 11).
- ``experiments run NAME | table [NAME] [--json] | check``: the Fashion-MNIST experiments
  (chapter 12): run resumably into data/results/, summarise with 95% intervals, re-check.
"""

from __future__ import annotations

import argparse
import sys
import time


def _execute(args) -> int:
    from .publish.book import load_book
    from .publish.notebooks import execute

    book = load_book(strict=False)
    chapters = [book.chapter(n) for n in args.notebooks] if args.notebooks else list(book.chapters)
    for ch in chapters:
        seconds = execute(book.root / ch.file, device=args.device, timeout=args.timeout)
        print(f"{ch.file}: executed in {seconds:.1f} s")
    return 0


def _pace(args) -> int:
    import tomllib
    from pathlib import Path

    from .publish.notebooks import FIGURE_EVERY, PROSE_WORDS_MAX, pace, reading_minutes

    root = Path(__file__).resolve().parent.parent
    minutes = {Path(ch["file"]).stem: ch["minutes"]
               for ch in tomllib.loads((root / "book.toml").read_text())["chapters"]}
    print(f"{'chapter':<40} {'words':>6} {'figures':>7} {'needed':>6} {'eqs':>4} {'min':>4} {'read':>4}")
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        p = pace(nb)
        needed = -(-p["words"] // FIGURE_EVERY)
        flag = "" if p["words"] <= PROSE_WORDS_MAX and p["figures"] >= needed else "  <- over budget"
        print(f"{nb.stem:<40} {p['words']:>6} {p['figures']:>7} {needed:>6} {p['equations']:>4} "
              f"{minutes.get(nb.stem, '?'):>4} {reading_minutes(p):>4.0f}{flag}")
    return 0


def _readme(args) -> int:
    from .publish.book import load_book, sync_readme
    from .publish.slides import GUIDE, sync_guide

    book = load_book()
    for name, changed in (("README.md chapter table", sync_readme(book, book.root / "README.md")),
                          (f"{GUIDE} lecture plan", sync_guide(book))):
        print(f"{name} " + ("updated" if changed else "already up to date"))
    return 0


def _book(args) -> int:
    from .publish.site import build_site, save_screenshots

    start = time.perf_counter()
    index = build_site(out=args.out)
    print(f"{index} built in {time.perf_counter() - start:.1f} s")
    if args.screenshots:
        for png in save_screenshots(index, args.screenshots):
            print(png)
    return 0


def _slides(args) -> int:
    from .publish.slides import build_slides, sync_guide

    if args.update_guide:
        from .publish.book import load_book

        changed = sync_guide(load_book())
        print("instructors' guide lecture plan " + ("updated" if changed else "already up to date"))
    for deck in build_slides(out=args.out):
        print(deck)
    return 0


def _student(args) -> int:
    from .publish.student import build_student

    for path in build_student(out=args.out):
        print(path)
    return 0


def _bench(args) -> int:
    from .bench import run

    return run(args)


def _experiments(args) -> int:
    import json

    from .experiments import EXPERIMENTS, runner, stats

    if args.action == "run":
        import torch

        torch.set_num_threads(args.threads)
        for name in args.names or list(EXPERIMENTS):
            print(f"{name}: {runner.run_experiment(name, device=args.device)} runs written")
        return 0
    if args.action == "check":
        problems = runner.check(args.names or None)
        print("\n".join(problems) if problems else f"all records agree (rtol {runner.CHECK_RTOL:g})")
        return 1 if problems else 0
    names = args.names or [n for n in EXPERIMENTS if runner.experiment_dir(n, args.device).is_dir()]
    rows = [row for n in names for row in stats.summary(n, runner.load_records(n, args.device))]
    print(json.dumps(rows, indent=1) if args.json else stats.format_table(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("execute", help="re-run chapters in place so committed outputs match the code")
    p.add_argument("notebooks", nargs="*", help="chapter files, stems or numbers (default: all in book.toml)")
    p.add_argument("--device", default="cpu", help="COURSE_DEVICE for the run (default: cpu, the canonical outputs)")
    p.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    p.set_defaults(func=_execute)
    p = sub.add_parser("pace", help="prose words, figures and equations per chapter, against the one-sitting budget")
    p.set_defaults(func=_pace)
    p = sub.add_parser("readme", help="rewrite the tables generated from book.toml (README, instructors' plan)")
    p.set_defaults(func=_readme)
    p = sub.add_parser("book", help="build the offline HTML book into _build/html from the committed outputs")
    p.add_argument("--out", help="output folder (default: _build/html)")
    p.add_argument("--screenshots", metavar="DIR", help="also save site_index.png and site_chapter.png there")
    p.set_defaults(func=_book)
    p = sub.add_parser("slides", help="write an offline reveal.js deck per chapter into _build/slides")
    p.add_argument("--out", help="output folder (default: _build/slides)")
    p.add_argument("--update-guide", action="store_true",
                   help="also rewrite the lecture plan in notebooks/INSTRUCTORS.md from book.toml")
    p.set_defaults(func=_slides)
    p = sub.add_parser("student", help="write student editions (no worked solutions) into _build/student")
    p.add_argument("--out", help="output folder (default: _build/student)")
    p.set_defaults(func=_student)
    p = sub.add_parser("bench", help="time optimizer steps against the machine's copy bandwidth (chapter 11)")
    p.add_argument("--size", default=None, help="parameters, e.g. 25M (default: 25M on CPU, 100M on CUDA)")
    p.add_argument("--device", action="append", default=None,
                   help="cpu, cuda, ... (repeatable; default: cpu, and cuda when present)")
    p.add_argument("--repeats", type=int, default=7, help="timed rounds; medians are reported")
    p.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    p.add_argument("--optimizers", default="sgd,adam", help="comma-separated: sgd, adam")
    p.add_argument("--no-compile", dest="compile", action="store_false",
                   help="leave out the torch.compile'd step (~20 s to compile on a cold cache)")
    p.set_defaults(func=_bench)
    p = sub.add_parser("experiments", help="the Fashion-MNIST experiments (chapter 12): run, table, check")
    p.add_argument("action", choices=["run", "table", "check"])
    p.add_argument("names", nargs="*", help="experiment names (default: all)")
    p.add_argument("--device", default="cpu", help="run on this device; records go to data/results/NAME[-TYPE]")
    p.add_argument("--json", action="store_true", help="table: print JSON rows instead of text")
    p.add_argument("--threads", type=int, default=1, help="run: torch CPU threads (default 1)")
    p.set_defaults(func=_experiments)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
