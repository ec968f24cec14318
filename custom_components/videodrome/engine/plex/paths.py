r"""Paths as Plex sees them: normalising, and finding which library section holds a folder.

Plex runs on Linux, Windows, macOS or a NAS, so its paths may be POSIX (`/data/movies`) or
Windows (`D:\\Movies`, `\\\\nas\\media`). Paths are compared lexically (Plex's folders are not
ours to `stat`), which is why `..` and relative paths are refused outright instead of resolved.
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath, PureWindowsPath
import re
from typing import TYPE_CHECKING

from ..errors import UnsafePathError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import LibrarySection

_WINDOWS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_PATH_LENGTH = 4096


def plex_path(path: str) -> PurePath:
    """Parse an absolute path in Plex's view, refusing anything ambiguous or unsafe."""
    if not path or not path.strip():
        raise UnsafePathError("the path is empty")
    if len(path) > MAX_PATH_LENGTH:
        raise UnsafePathError("the path is too long")
    if _CONTROL.search(path):
        raise UnsafePathError("the path contains control characters")
    parsed: PurePath = PureWindowsPath(path) if _WINDOWS.match(path) else PurePosixPath(path)
    if not parsed.is_absolute():
        raise UnsafePathError("the path must be absolute")
    if ".." in parsed.parts:
        raise UnsafePathError("the path must not contain '..'")
    return parsed


def is_within(path: PurePath, root: PurePath) -> bool:
    """Whether `path` is `root` or lies below it (same path flavour; Windows case-insensitive)."""
    if type(path) is not type(root):
        return False
    return path == root or path.is_relative_to(root)


def section_for_path(
    sections: Iterable[LibrarySection], path: PurePath
) -> tuple[LibrarySection, PurePath] | None:
    """The section whose location holds `path` (the deepest location wins), and that location."""
    best: tuple[LibrarySection, PurePath] | None = None
    for section in sections:
        for location in section.locations:
            try:
                root = plex_path(location)
            except UnsafePathError:
                continue
            if is_within(path, root) and (best is None or len(root.parts) > len(best[1].parts)):
                best = (section, root)
    return best
