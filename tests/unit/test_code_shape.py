"""The package's shape, checked on its source: packages use each other's public modules
only, no two packages import each other (directly or round a longer cycle), and no module
grows past 500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "dlv"
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.py") if "migrations" not in path.parts)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str:
    """The top-level package of a dlv module (``dlv.lineage._graph`` -> ``dlv.lineage``);
    modules directly under dlv (``dlv.app``) are their own package."""
    return ".".join(module.split(".")[:2])


def _imports(path: Path) -> list[str]:
    """Every dlv module ``path`` imports, wherever in the file (a function-level import is
    still a dependency), except under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text())
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
               for node in ast.walk(block)}
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return [name for name in names if name == "dlv" or name.startswith("dlv.")]


def _private_target(imported: str) -> str | None:
    """The private module (``dlv.x._y``) ``imported`` names or lies in, if any."""
    parts = imported.split(".")
    for index, part in enumerate(parts[2:], start=2):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[: index + 1])
    return None


def test_no_package_imports_another_packages_private_module() -> None:
    offences = []
    for path in _modules():
        module = _module_name(path)
        for imported in _imports(path):
            private = _private_target(imported)
            if private is not None and _package(private) != _package(module):
                offences.append(f"{module} imports {private}")
    assert not offences, sorted(set(offences))


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in _modules():
        source = _package(_module_name(path))
        for imported in _imports(path):
            target = _package(imported)
            if target not in (source, "dlv"):
                graph.setdefault(source, set()).add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, as the packages round it, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_packages() -> None:
    assert _cycle(_package_graph()) is None


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(ROOT.parent)))
def test_no_module_is_over_500_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES
