"""The integration layer's shape: no import cycles, no module over 400 lines, constants once.

The Home Assistant side of Videodrome (everything in custom_components/videodrome but the
engine, which tests/engine/test_layers.py checks). An import inside a function hides a cycle
(ruff's PLC0415 flags it; none is left), so imports sit at the top of a module, type-only
ones under `if TYPE_CHECKING:`, and the modules' run-time imports form no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "videodrome"
PACKAGE = "custom_components.videodrome"
MAX_LINES = 400
MODULES = sorted(p for p in INTEGRATION.rglob("*.py") if "engine" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(INTEGRATION.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


def _target(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = (module if is_package else module.rpartition(".")[0]).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def run_time_imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """The integration modules `source` imports when it runs (type-only imports left out)."""
    found: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            target = _target(node, module, is_package)
            if node.module is None:  # `from . import issues` imports the submodule
                found |= {f"{target}.{alias.name}" for alias in node.names}
            else:
                found.add(target)
    return {m for m in found if m.startswith(PACKAGE) and not m.startswith(f"{PACKAGE}.engine")}


def local_imports(source: str) -> list[int]:
    """The lines of imports that are not at a module's top (nor under TYPE_CHECKING there)."""
    tree = ast.parse(source)
    top = {id(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)}
    for node in tree.body:
        if _is_type_checking(node):
            top |= {id(child) for child in ast.walk(node)}
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top
    ]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` (module -> the modules it imports), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for child in sorted(graph.get(node, ())):
            if cycle := visit(child, [*path, node]):
                return cycle
        done.add(node)
        return None

    for node in sorted(graph):
        if cycle := visit(node, []):
            return cycle
    return None


def test_the_integration_modules_import_no_cycle() -> None:
    graph = {
        _name(path): run_time_imports(path.read_text(), _name(path), path.name == "__init__.py")
        for path in MODULES
    }
    assert f"{PACKAGE}.call_targets" in graph[f"{PACKAGE}.services.ingest"]
    assert find_cycle(graph) is None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(INTEGRATION)))
def test_imports_sit_at_the_top(path: Path) -> None:
    assert local_imports(path.read_text()) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(INTEGRATION)))
def test_no_module_over_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_each_service_name_and_field_is_defined_once_in_const() -> None:
    """`SERVICE_*` and `ATTR_*` names are const.py's; other modules import them."""
    defined: dict[str, list[str]] = {}
    for path in MODULES:
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.startswith(("ATTR_", "SERVICE_")):
                    defined.setdefault(target.id, []).append(path.name)
    assert defined, "const.py defines the services and their fields"
    assert {name: where for name, where in defined.items() if where != ["const.py"]} == {}


def test_the_checks_catch_what_they_look_for() -> None:
    """A cycle, an import inside a function, and the relative forms are all seen."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import issues\n"
        "from .services.errors import validation_error\n"
        "if TYPE_CHECKING:\n"
        "    from .data import VideodromeConfigEntry\n"
        "def f():\n"
        "    from .services.scan import loaded_entry\n"
    )
    assert run_time_imports(source, f"{PACKAGE}.call_targets") == {
        f"{PACKAGE}.issues",
        f"{PACKAGE}.services.errors",
    }
    assert run_time_imports("from ..permissions import x", f"{PACKAGE}.services.scan") == {
        f"{PACKAGE}.permissions"
    }
    assert local_imports(source) == [7]
