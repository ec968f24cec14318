"""What a safe library path looks like: the checks the property tests share."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
import re

MAX_COMPONENT_BYTES = 255
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"|?*/\\]')
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{digit}" for device in ("COM", "LPT") for digit in "0123456789¹²³"}
)


def assert_safe_component(component: str) -> None:
    """One path component that every filesystem a Plex library lives on accepts as is."""
    assert component not in {"", ".", ".."}, repr(component)
    assert not _FORBIDDEN.search(component), repr(component)
    assert not any("\ud800" <= ch <= "\udfff" for ch in component), repr(component)
    assert len(component.encode("utf-8")) <= MAX_COMPONENT_BYTES, repr(component)
    assert not component.startswith((" ", ".")), repr(component)
    assert not component.endswith((" ", ".")), repr(component)
    assert component.split(".", 1)[0].rstrip(" ").upper() not in _DEVICES, repr(component)


def assert_safe_relative(path: PurePosixPath) -> None:
    """A relative path made only of safe components."""
    assert not path.is_absolute(), path
    assert path.parts, path
    for component in path.parts:
        assert_safe_component(component)


def real_location(path: Path) -> Path:
    """Where the kernel would put `path`: its deepest existing ancestor resolved, plus the rest.

    Links on the way are followed, as `mkdir` and `link` would follow them.
    """
    missing: list[str] = []
    current = Path(os.path.normpath(path))
    while not current.exists() and current.parent != current:
        missing.append(current.name)
        current = current.parent
    return current.resolve().joinpath(*reversed(missing))


def within(path: Path, root: Path) -> bool:
    """`path` is `root` or below it."""
    return path == root or path.is_relative_to(root)


def snapshot(root: Path, *, skip: tuple[Path, ...] = ()) -> dict[str, tuple[int, int, int]]:
    """Every entry below `root` (links not followed) with its type, size and inode."""
    found: dict[str, tuple[int, int, int]] = {}
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        folders[:] = [f for f in folders if here / f not in skip]
        for name in (*folders, *files):
            info = (here / name).lstat()
            found[os.fspath((here / name).relative_to(root))] = (
                info.st_mode,
                0 if (here / name).is_dir() else info.st_size,
                info.st_ino,
            )
    return found
