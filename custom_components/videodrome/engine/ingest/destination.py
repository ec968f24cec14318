"""Where a file would go: inside its library root, free, taken, or already holding it.

Blocking (stat, resolving links, reading files to compare them): the pipeline runs these
through `run_blocking`.
"""

from __future__ import annotations

import os
from pathlib import Path
import stat

from .fs import same_content
from .plan import ALREADY_INGESTED, DESTINATION_EXISTS
from .sources import find_companions


def within(path: Path, root: Path) -> bool:
    """Lexically inside (after normalising `..`), never following links."""
    normal = Path(os.path.normpath(path))
    return normal == Path(os.path.normpath(root)) or normal.is_relative_to(os.path.normpath(root))


def really_within(path: Path, root: Path) -> bool:
    """Whether `path` stays inside `root` once links are followed, as `mkdir` and `link` would.

    The deepest part of `path` that exists is resolved; what does not exist yet is created
    below it. Blocking.
    """
    missing: list[str] = []
    current = path
    while not current.exists() and current.parent != current:
        missing.append(current.name)
        current = current.parent
    try:
        real = current.resolve().joinpath(*reversed(missing))
        return within(real, root.resolve())
    except OSError, RuntimeError:  # pragma: no cover (an I/O error resolving existing folders)
        return False


def check_destination(
    source: Path, destination: Path, root: Path
) -> tuple[list[tuple[Path, Path]], str | None] | None:
    """None when `destination` really lies outside `root`; else its companions and state."""
    if not really_within(destination, root):
        return None
    return find_companions(source, destination), destination_state(source, destination)


def destination_state(source: Path, destination: Path) -> str | None:
    """`already_ingested`, `destination_exists`, or None when the name is free."""
    if not destination.exists() and not destination.is_symlink():
        return None
    if destination.is_file() and same_content(source, destination):
        return ALREADY_INGESTED
    return DESTINATION_EXISTS


def is_published(source: Path, destination: Path) -> bool:
    """Whether `destination` is the finished transfer of `source`. Blocking.

    A hard link is the source's own inode. A copy or clone is given the source's size and
    modification time before it is flushed and published, and `transfer()` publishes only
    complete files, so a regular file with both under the final name is the finished copy;
    nothing is read, however large the file.
    """
    try:
        original, candidate = source.stat(), destination.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(candidate.st_mode):
        return False
    if (original.st_dev, original.st_ino) == (candidate.st_dev, candidate.st_ino):
        return True
    return (original.st_size, original.st_mtime_ns) == (candidate.st_size, candidate.st_mtime_ns)
