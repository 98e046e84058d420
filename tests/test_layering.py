"""The import arrows of ARCHITECTURE.md, read from the source with ast.

handlers -> content, storage, scheduler; scheduler -> content, storage;
content and storage import nothing of ours but themselves (storage's own
models); bot -> everything. Imports under `if TYPE_CHECKING:` are for the
type checker only and never run, so they do not count.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scheduler", "content", "storage")
ALLOWED = {
    "bot": set(PACKAGES),
    "handlers": {"handlers", "content", "storage", "scheduler"},
    "scheduler": {"scheduler", "content", "storage"},
    "content": {"content"},
    "storage": {"storage"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
    if "migrations" not in path.parts
}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[tuple[str, int]]:
    """(imported module, line) for every import that runs, at any depth."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append((submodule if submodule in MODULES else node.module, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


GRAPH = {
    module: [
        (name, line)
        for name, line in _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        if _ours(name)
    ]
    for module, path in MODULES.items()
}


def test_the_source_tree_is_found() -> None:
    assert {"handlers.context", "content.names", "storage.models"} <= set(MODULES)
    assert any(GRAPH.values())


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_one_way(module: str) -> None:
    package = module.split(".")[0]
    wrong = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {name}"
        for name, line in GRAPH[module]
        if name.split(".")[0] not in ALLOWED[package]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    """No module imports itself through others (a function-level import included)."""
    edges = {module: {name for name, _ in GRAPH[module] if name in MODULES} for module in MODULES}
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            # A package's __init__ importing its own submodules is not a cycle of code.
            if not all(step.startswith(cycle[0] + ".") for step in cycle[1:-1]):
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            return
        if module in done:
            return
        for target in sorted(edges[module]):
            walk(target, [*path, module])
        done.add(module)

    for module in sorted(MODULES):
        walk(module, [])


def test_the_checker_sees_a_wrong_arrow_and_skips_type_checking_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import bot.settings\n"
        "from handlers import context\n"
        "if TYPE_CHECKING:\n"
        "    from bot.settings import Settings\n"
        "def later():\n"
        "    from scheduler.dispatcher import ReminderDispatcher\n"
    )
    names = [name for name, _ in _runtime_imports(ast.parse(source)) if _ours(name)]
    assert names == ["bot.settings", "handlers.context", "scheduler.dispatcher"]


def test_every_package_imported_directly_is_declared() -> None:
    """A third-party import in our code names a dependency in pyproject.toml."""
    import sys
    import tomllib
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {
        re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        for requirement in project["dependencies"]
    }
    distributions = packages_distributions()
    missing = set()
    for module, path in MODULES.items():
        for name, line in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            top = name.split(".")[0]
            if top in PACKAGES or top in sys.stdlib_module_names or top == "__future__":
                continue
            owners = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
            if not owners & declared:
                missing.add(f"{top} ({module}:{line})")
    assert not missing, f"imported but not in [project] dependencies: {sorted(missing)}"
