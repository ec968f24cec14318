"""The engine's layers: every import points down (docs/architecture.md draws them).

A subpackage may import a subpackage of a lower layer, never one of its own layer (peers) or
one above; the engine never imports Home Assistant or the integration around it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).parents[2] / "custom_components" / "videodrome" / "engine"
PACKAGE = "custom_components.videodrome.engine"
# Lower numbers sit lower. Peers share a number and may not import each other.
LAYERS: dict[str, int] = {
    "errors": 0,
    "blocking": 0,
    "guids": 0,
    "availability": 1,
    "store": 2,
    "tmdb": 3,
    "stash": 3,
    "identify": 4,
    "plex": 5,
    "provider": 5,
    "library": 6,
    "ingest": 7,
    "redact": 8,
    "__main__": 8,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, type-only ones included."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if node.module is None:  # `from .. import x` imports the submodules it names
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def _layer(module: str) -> str | None:
    """The layer of an engine module (its subpackage, or itself at the top level)."""
    if module == PACKAGE:
        return "__main__"  # the package itself: on top (it imports nothing today)
    if not module.startswith(f"{PACKAGE}."):
        return None
    return module.removeprefix(f"{PACKAGE}.").split(".")[0]


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """What `source` (the text of `module`) imports that the layers forbid."""
    own = _layer(module)
    assert own in LAYERS, f"{module} belongs to no layer: add it to LAYERS"
    wrong: list[str] = []
    for line, target in imported_modules(source, module, is_package):
        if target == "homeassistant" or target.startswith("homeassistant."):
            wrong.append(f"line {line}: {target} (the engine never imports Home Assistant)")
            continue
        if target.startswith("custom_components.") and not target.startswith(PACKAGE):
            wrong.append(f"line {line}: {target} (the engine never imports the integration)")
            continue
        if (theirs := _layer(target)) is None or theirs == own:
            continue
        if theirs not in LAYERS:
            wrong.append(f"line {line}: {target} belongs to no layer")
        elif LAYERS[theirs] >= LAYERS[own]:
            side = "a peer" if LAYERS[theirs] == LAYERS[own] else "a layer above"
            wrong.append(f"line {line}: {own} imports {theirs}, {side}")
    return wrong


MODULES = sorted(ENGINE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ENGINE)))
def test_imports_point_down(path: Path) -> None:
    module = _module_name(path)
    assert violations(path.read_text(), module, path.name == "__init__.py") == []


def test_the_top_level_stays_small() -> None:
    """At most 10 modules beside the subpackages; every subpackage is a layer."""
    top = {p.stem for p in ENGINE.glob("*.py")}
    assert len(top) <= 10, top
    assert top - {"__init__"} <= set(LAYERS)
    subpackages = {p.parent.name for p in ENGINE.glob("*/__init__.py")}
    assert subpackages <= set(LAYERS)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (f"{PACKAGE}.tmdb.client", "from ..ingest.plan import Settings", "a layer above"),
        (f"{PACKAGE}.plex.client", "from ..provider import service", "a peer"),
        (f"{PACKAGE}.provider.service", "from ..plex.client import PlexClient", "a peer"),
        (f"{PACKAGE}.store.database", "from ..tmdb.models import Candidate", "a layer above"),
        (f"{PACKAGE}.errors", "from .store.database import Store", "a layer above"),
        (f"{PACKAGE}.library.index", "from homeassistant.core import HomeAssistant", "Home"),
        (f"{PACKAGE}.ingest.plan", "from ...const import DOMAIN", "the integration"),
        (f"{PACKAGE}.identify.score", f"import {PACKAGE}.library", "a layer above"),
    ],
)
def test_an_upward_import_is_caught(module: str, source: str, expected: str) -> None:
    """The check itself: each of these imports is reported."""
    found = violations(source, module)
    assert len(found) == 1
    assert expected in found[0]


def test_downward_and_sibling_imports_are_allowed() -> None:
    source = (
        "from .models import Item\n"
        "from ..identify.score import score\n"
        "from ..errors import PlexError\n"
        "from .. import blocking\n"
    )
    assert violations(source, f"{PACKAGE}.plex.client") == []
