"""The files to file: the videos found under a path, and the subtitles that go with each.

Blocking (directory walks and stat): the pipeline runs these through `run_blocking`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
import logging
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..errors import UnsafePathError
from ..identify.companions import companion_path
from ..identify.filters import (
    IGNORE_EXTRA,
    IGNORE_NOT_UTF8,
    IGNORE_NOT_VIDEO,
    IGNORE_SAMPLE,
    ignore_reason,
    is_ignored_folder,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

_LOGGER = logging.getLogger(__name__)

SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".smi", ".vtt", ".sub", ".idx", ".sup"})
# A folder with more files than this is not a download: walking it is refused, not attempted.
MAX_FILES = 100_000


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found under an ingest folder, with what identifies it on disk."""

    path: Path
    size: int
    mtime_ns: int
    device: int
    inode: int


def source_file(path: Path) -> SourceFile:
    """Stat a file (not following a final symlink). Blocking."""
    info = path.lstat()
    return SourceFile(path, info.st_size, info.st_mtime_ns, info.st_dev, info.st_ino)


def find_sources(path: Path) -> Iterable[SourceFile]:
    """Candidate videos: the file itself, or the videos below a folder (no links followed)."""
    if path.is_symlink():
        raise UnsafePathError(f"{path} is a symbolic link; links are not followed")
    if path.is_file():
        return [source_file(path)]
    if not path.is_dir():
        raise UnsafePathError(f"{path} does not exist")
    found: list[SourceFile] = []
    seen = 0
    for folder, folders, files in os.walk(path, followlinks=False):
        folders[:] = sorted(f for f in folders if is_ignored_folder(f) is None)
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                raise UnsafePathError(f"{path} holds more than {MAX_FILES} files")
            file = Path(folder, name)
            reason = ignore_reason(file, path)
            if file.is_symlink() or reason == IGNORE_NOT_VIDEO:
                continue
            if reason == IGNORE_NOT_UTF8:
                _LOGGER.warning("Skipped %r: its name is not valid UTF-8; rename it", file)
                continue
            if reason is None or reason in {IGNORE_SAMPLE, IGNORE_EXTRA}:
                found.append(source_file(file))
    return found


@dataclass(frozen=True, slots=True)
class _Folder:
    """What `find_companions()` needs of a folder: its subtitles and how many videos."""

    subtitles: tuple[Path, ...]
    videos: int


@lru_cache(maxsize=256)
def _folder(folder: Path, _stamp: int) -> _Folder:
    """A folder's subtitles (its own and a Subs/ folder's) and video count.

    Cached by the folder's mtime: planning a thousand files in one folder lists it once.
    """
    try:
        entries = sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink())
        subs = [
            p for p in folder.iterdir() if p.is_dir() and p.name.lower() in {"subs", "subtitles"}
        ]
        entries += [s for d in subs for s in sorted(d.iterdir()) if s.is_file()]
    except OSError:
        return _Folder((), 0)
    subtitles = tuple(p for p in entries if p.suffix.lower() in SUBTITLE_EXTENSIONS)
    videos = sum(1 for p in entries if p.parent == folder and ignore_reason(p) is None)
    return _Folder(subtitles, videos)


def find_companions(video: Path, destination: Path) -> list[tuple[Path, Path]]:
    """Subtitles next to the video (named after it, or the folder's only video's)."""
    folder = video.parent
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        return []
    listing = _folder(folder, stamp)
    only_video = listing.videos == 1
    candidates = listing.subtitles
    relative = PurePosixPath(destination.name)
    result: list[tuple[Path, Path]] = []
    for file in candidates:
        if not (file.name.startswith(video.stem) or only_video):
            continue
        stem = video.stem if file.name.startswith(video.stem) else None
        name = companion_path(relative, file.name, source_stem=stem)
        result.append((file, destination.parent / name.name))
    # Two sources with one target name: keep the first, never write twice.
    unique: dict[Path, Path] = {}
    for source, target in result:
        unique.setdefault(target, source)
    return [(source, target) for target, source in unique.items()]
