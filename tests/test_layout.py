"""The package's layout: no import cycles, one import path per class, publish/ kept apart.

The graph is read from the source with ``ast`` (every ``import`` and ``from ... import``,
including those inside functions), so a cycle that only closes at call time is found too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "course_utils"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = MODULES[importer].name == "__init__.py"
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str) -> set[str]:
    """The course_utils modules that module ``name`` imports (a package counts as its __init__)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, node)
            # ``from pkg import mod`` imports pkg.mod when that is a module
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target
                       for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}          # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _parents(name: str) -> set[str]:
    """A submodule's parent packages are imported first; they are not edges of a cycle."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_the_package_has_no_import_cycle():
    graph = {n: {t for t in targets if t not in _parents(n)} for n, targets in GRAPH.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_learner_facing_module_imports_publish():
    for name, targets in GRAPH.items():
        if not name.startswith("course_utils.publish") and name != "course_utils.__main__":
            assert not any(t.startswith("course_utils.publish") for t in targets), name


def test_no_module_level_getattr_reexports():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        assert not any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body), name


@pytest.mark.parametrize("package", ["optim", "lr_scheduler"])
def test_each_class_has_one_home(package):
    """Every exported class is defined in the package and exported nowhere else in course_utils."""
    import importlib

    pkg = importlib.import_module(f"course_utils.{package}")
    for cls_name in pkg.__all__:
        obj = getattr(pkg, cls_name)
        if not isinstance(obj, type):
            continue
        assert obj.__module__.startswith(f"course_utils.{package}."), (cls_name, obj.__module__)
        for other in ("schedules", "train", "verify", "objectives"):
            mod = importlib.import_module(f"course_utils.{other}")
            assert cls_name not in getattr(mod, "__all__", ()), (cls_name, other)


def test_the_learners_packages_load_without_the_publishing_toolchain():
    code = ("import sys, course_utils.optim, course_utils.lr_scheduler, course_utils.schedules, "
            "course_utils.train; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('sphinx', 'nbconvert', 'nbclient', 'jupytext', 'myst_nb', 'docutils') "
            "or m.startswith('course_utils.publish')]; print(heavy); assert not heavy")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_names_the_chapters_that_teach_it():
    for name, path in MODULES.items():
        if name == "course_utils.__main__":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "Chapter: " in doc or name == "course_utils", f"{name}: docstring lacks 'Chapter: NN_...'"
