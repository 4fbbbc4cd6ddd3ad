"""book.toml, README, environment.yml, jupytext pairs and the committed notebooks agree."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course_utils.publish.book import BookError, load_book, readme_table_block
from course_utils.publish.notebooks import (FIGURE_EVERY, JUPYTEXT_FORMATS, PROSE_WORDS_MAX, out_of_sync, pace,
                                            reading_minutes)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
BOOK = load_book(ROOT)
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_every_notebook_is_in_book_toml_and_every_listed_file_exists():
    listed = {ROOT / ch.file for ch in BOOK.chapters}
    assert set(NOTEBOOKS) == listed
    for ch in BOOK.chapters:
        assert (ROOT / ch.file).is_file() and (ROOT / ch.py_file).is_file()


def _write_book(tmp_path, chapters_toml):
    (tmp_path / "notebooks" / "py").mkdir(parents=True, exist_ok=True)
    for name in ("00_a", "01_b"):
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}")
        (tmp_path / "notebooks" / "py" / f"{name}.py").write_text("")
    meta = '[book]\ntitle="t"\nauthors=["a"]\nlicense="l"\nrepository="https://github.com/o/r"\nbranch="main"\n'
    (tmp_path / "book.toml").write_text(meta + chapters_toml)


def _chapter(file, **over):
    fields = dict(file=f'"{file}"', title='"T"', summary='"S"', minutes="10", gpu="false") | over
    return "[[chapters]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items())


def test_a_missing_listed_file_fails(tmp_path):
    _write_book(tmp_path, _chapter("notebooks/00_a.ipynb") + _chapter("notebooks/02_missing.ipynb"))
    with pytest.raises(BookError, match="02_missing.ipynb, which does not exist"):
        load_book(tmp_path)


def test_chapters_need_every_field_and_reading_order(tmp_path):
    _write_book(tmp_path, _chapter("notebooks/00_a.ipynb", minutes='"ten"'))
    with pytest.raises(BookError, match="'minutes' of type int"):
        load_book(tmp_path)
    _write_book(tmp_path, _chapter("notebooks/01_b.ipynb") + _chapter("notebooks/00_a.ipynb"))
    with pytest.raises(BookError, match="reading order"):
        load_book(tmp_path)


def test_chapter_lookup_and_launch_urls():
    ch = BOOK.chapter("00")
    assert BOOK.chapter(ch.stem) is ch and BOOK.chapter(ch.file) is ch
    assert BOOK.colab_url(ch) == f"https://colab.research.google.com/github/{BOOK.github_slug}/blob/{BOOK.branch}/{ch.file}"
    assert BOOK.binder_url().startswith(f"https://mybinder.org/v2/gh/{BOOK.github_slug}/{BOOK.branch}")
    with pytest.raises(BookError, match="no chapter"):
        BOOK.chapter("99")


def test_readme_chapter_table_is_generated_from_book_toml():
    readme = (ROOT / "README.md").read_text()
    assert readme_table_block(BOOK) in readme, "run `python -m course_utils readme`"
    for ch in BOOK.chapters:
        assert BOOK.colab_url(ch) in readme


def _fenced_command(marker):
    text = (ROOT / "README.md").read_text()
    block = text.split(marker, 1)[1]
    match = re.search(r"```bash\n(.*?)\n```", block, re.S)
    return match.group(1).strip()


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one():
    open_cmd, test_cmd = _fenced_command("<!-- open-command -->"), _fenced_command("<!-- test-command -->")
    assert "jupyter lab" in open_cmd and '".[lab]"' in open_cmd and "\n" not in open_cmd
    assert "pytest" in test_cmd and '".[test]"' in test_cmd and "\n" not in test_cmd
    ci = (ROOT / ".ci" / "run").read_text()
    assert "torch==2.13.0" in ci and "<!-- test-command -->" in ci
    awk = re.search(r"cmd=\$\((awk '.*?' README\.md)\)", ci).group(1)
    extracted = subprocess.run(["bash", "-c", awk], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert extracted.strip() == test_cmd


def _requirement_names(reqs):
    names = set()
    for r in reqs:
        if ";" in r:
            continue  # environment markers (e.g. tomli on Python 3.10) do not apply to conda's 3.11
        names.add(re.split(r"[<>=!~\[ ]", r, maxsplit=1)[0].lower())
    return names


def test_environment_yml_declares_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    expected = _requirement_names(project["dependencies"] + project["optional-dependencies"]["lab"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0].lower() for d in env["dependencies"] if isinstance(d, str)}
    conda = {"torch" if n == "pytorch" else n for n in conda} - {"python", "pip"}
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    from_pip = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0].lower() for d in pip_section if not d.startswith("-e")}
    assert conda | from_pip == expected and not conda & from_pip
    assert "conda-forge" in env["channels"]
    assert any(d.startswith("python=3.11") for d in env["dependencies"] if isinstance(d, str))
    assert "-e ." in pip_section


def test_torch_is_a_lower_bound_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_req = next(r for r in project["dependencies"] if r.startswith("torch"))
    assert ">=" in torch_req and "==" not in torch_req and "<" not in torch_req.replace(">=", "")
    assert project["requires-python"] == ">=3.10"


@pytest.mark.parametrize("ch", BOOK.chapters, ids=lambda c: c.stem)
def test_jupytext_pair_is_in_sync(ch):
    assert out_of_sync(ROOT / ch.file) == [], f"run `python -m course_utils execute {ch.number}`"


def test_out_of_sync_detects_a_changed_cell(tmp_path):
    src = ROOT / BOOK.chapters[0].file
    (tmp_path / src.name).write_bytes(src.read_bytes())
    py = (ROOT / BOOK.chapters[0].py_file).read_text()
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / src.with_suffix(".py").name).write_text(py.replace("device = setup(seed=0)", "device = setup(seed=1)"))
    assert out_of_sync(tmp_path / src.name)


@pytest.mark.parametrize("ch", BOOK.chapters, ids=lambda c: c.stem)
def test_notebook_is_committed_executed_cleanly(ch):
    nb = json.loads((ROOT / ch.file).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), "execute top to bottom"
    assert any(c["outputs"] for c in code)
    for c in code:
        for out in c["outputs"]:
            assert out["output_type"] != "error", "".join(c["source"])[:80]
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), \
                f"stderr output (a warning?) in {ch.file}: {''.join(out['text'])[:200]}"
            assert not re.search(r"/(root|tmp|work|home|Users)/", json.dumps(out)), "local path in an output"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["jupytext"]["formats"] == JUPYTEXT_FORMATS == "ipynb,py//py:percent"


@pytest.mark.parametrize("ch", BOOK.chapters, ids=lambda c: c.stem)
def test_chapter_follows_the_skeleton(ch):
    nb = json.loads((ROOT / ch.file).read_text())
    cells = nb["cells"]
    title = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and title.startswith(f"# {ch.number} · ")
    assert "colab" in cells[1]["metadata"].get("tags", [])
    assert any("setup(" in "".join(c["source"]) for c in cells[2:4] if c["cell_type"] == "code")
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for heading in ("## Summary", "## Exercises", "## References"):
        assert heading in markdown, f"{ch.file} lacks {heading}"
    assert any("solution" in c["metadata"].get("tags", []) for c in cells), "exercises need worked solutions"
    assert re.search(rf"\\tag\{{{int(ch.number)}\.\d+\}}", markdown), "equations numbered (N.k) by chapter"


@pytest.mark.parametrize("ch", BOOK.chapters, ids=lambda c: c.stem)
def test_chapter_is_paced_for_one_sitting(ch):
    counts = pace(ROOT / ch.file)
    assert counts["words"] <= PROSE_WORDS_MAX, f"{ch.stem}: {counts['words']} words of prose"
    assert counts["figures"] >= -(-counts["words"] // FIGURE_EVERY), f"{ch.stem}: {counts} (a figure per {FIGURE_EVERY} words)"
    # book.toml's minutes are a time a reader can meet: at least a careful first reading, at most twice it
    assert reading_minutes(counts) <= ch.minutes <= 2 * reading_minutes(counts) + 10, \
        f"{ch.stem}: {ch.minutes} min in book.toml, {reading_minutes(counts):.0f} min to read"


def test_pace_counts_prose_formulas_figures_and_equations(tmp_path):
    cells = [{"cell_type": "markdown", "source": ["Two words $x^2$ and\n", "$$a \\tag{1.1}$$"], "metadata": {}},
             {"cell_type": "code", "source": [], "metadata": {}, "outputs": [
                 {"output_type": "display_data", "data": {"image/png": "", "text/plain": ""}},
                 {"output_type": "stream", "name": "stdout", "text": "not a figure"}]}]
    nb = tmp_path / "n.ipynb"
    nb.write_text(json.dumps({"cells": cells}))
    assert pace(nb) == {"words": 5, "figures": 1, "equations": 1}


# An equation reference, "(2.4)" or "eq. 2.4", in a chapter's prose, a code comment or a docstring
# of the package or the tests. Equations are defined by \tag{N.k} in the chapters, or, for a
# module's own working forms, by a docstring line that starts with "(N.k)".
_EQ_REF = re.compile(r"\((\d{1,2})\.(\d{1,2})\)|(?:eqs?\.|equations?)\s+\(?(\d{1,2})\.(\d{1,2})")


def _prose_of(path: Path):
    """(line, text) of the comments and triple-quoted strings of a Python file (a chapter's
    Markdown is comments in its jupytext twin)."""
    import io
    import tokenize

    for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.string.lstrip("rbuf").startswith(('"""', "'''"))):
            for k, text in enumerate(tok.string.split("\n")):
                yield tok.start[0] + k, text


def test_every_equation_reference_points_at_an_equation():
    sources = sorted((ROOT / "notebooks" / "py").glob("*.py")) + sorted((ROOT / "course_utils").rglob("*.py")) \
        + sorted((ROOT / "tests").glob("*.py"))
    defined = {tuple(map(int, t)) for f in sources[:len(BOOK.chapters)]
               for t in re.findall(r"\\tag\{(\d+)\.(\d+)\}", f.read_text())}
    defined |= {tuple(map(int, t)) for f in sources for _, text in _prose_of(f)
                for t in re.findall(r"^\s*\((\d+)\.(\d+)\)\s", text)}
    dangling = [f"{f.relative_to(ROOT)}:{line}: ({a or c}.{b or d}) in {text.strip()[:80]!r}"
                for f in sources for line, text in _prose_of(f) for a, b, c, d in _EQ_REF.findall(text)
                if (int(a or c), int(b or d)) not in defined]
    assert not dangling, "\n".join(dangling)
