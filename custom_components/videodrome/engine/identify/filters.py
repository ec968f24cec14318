"""Cheap name rules that say, without reading a file, whether ingest should ignore it.

These run for every file the watcher sees (thousands on a rescan), so they are plain string
tests, no guessit. Identification applies the same rules again with the parsed name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import PurePath

VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".avi", ".m4v", ".ts", ".m2ts", ".wmv", ".mov", ".mpg", ".mpeg", ".webm"}
)
# Download clients write these while a transfer is running, and rename them when done.
PARTIAL_EXTENSIONS = frozenset(
    {".part", ".partial", ".!qb", ".!ut", ".!bt", ".crdownload", ".download", ".tmp", ".temp",
     ".filepart", ".aria2", ".opdownload", ".dlpart", ".unfinished"}
)  # fmt: skip
# Working folders of downloaders and unpackers (NZBGet/SABnzbd `_UNPACK_x`, `_FAILED_x`), and
# the bookkeeping folders of NAS systems and desktops.
_WORKING_FOLDER = re.compile(
    r"^(?:_UNPACK_|_FAILED_|_INCOMPLETE_|_tmp_|incomplete$|\.incomplete$|@eaDir$|#recycle$"
    r"|\$RECYCLE\.BIN$|\.Trash|\.AppleDouble$|lost\+found$|System Volume Information$)",
    re.IGNORECASE,
)
# Bytes that are not UTF-8, as `os` hands them over (surrogateescape): such a name cannot be
# stored, sent in an event or shown; the file is left alone until it is renamed.
_UNDECODABLE = re.compile("[\ud800-\udfff]")
_SAMPLE = re.compile(r"(?:^|[\W_])sample(?:$|[\W_])", re.IGNORECASE)
_SAMPLE_FOLDER = re.compile(r"^samples?$", re.IGNORECASE)
# Plex's local-extras folders and inline suffixes (support.plex.tv, local files for extras);
# the vaguer folder names Plex also knows (Other, Shorts, Scenes) are left out: in a download
# folder they are more likely a user's category than a movie's extras.
_EXTRAS_FOLDER = re.compile(
    r"^(?:behind the scenes|deleted scenes|featurettes?|interviews?|trailers?|extras)$",
    re.IGNORECASE,
)
_EXTRAS_SUFFIX = re.compile(
    r"-(?:behindthescenes|deleted|featurette|interview|scene|short|trailer|other)$", re.IGNORECASE
)

IGNORE_HIDDEN = "hidden"
IGNORE_APPLE_DOUBLE = "apple_double"
IGNORE_WORKING_FOLDER = "working_folder"
IGNORE_PARTIAL = "partial_download"
IGNORE_NOT_VIDEO = "not_video"
IGNORE_SAMPLE = "sample"
IGNORE_EXTRA = "extra"
IGNORE_NOT_UTF8 = "not_utf8"


def is_ignored_folder(name: str) -> str | None:
    """Why a folder (one path component) is skipped entirely, or None to walk into it."""
    if name.startswith("._"):
        return IGNORE_APPLE_DOUBLE
    if _WORKING_FOLDER.match(name):
        return IGNORE_WORKING_FOLDER
    if name.startswith("."):
        return IGNORE_HIDDEN
    return None


def ignore_reason(path: PurePath, root: PurePath | None = None) -> str | None:
    """Why ingest ignores this file, or None when it is a candidate video.

    Folders above `root` are not judged (the ingest folder itself may be hidden or oddly named).
    """
    folders = path.parent.relative_to(root).parts if root is not None else path.parent.parts
    if _UNDECODABLE.search(path.name) or any(_UNDECODABLE.search(f) for f in folders):
        return IGNORE_NOT_UTF8
    for folder in folders:
        if reason := is_ignored_folder(folder):
            return reason
    name = path.name
    if name.startswith("._"):
        return IGNORE_APPLE_DOUBLE
    if name.startswith("."):
        return IGNORE_HIDDEN
    suffix = path.suffix.lower()
    if suffix in PARTIAL_EXTENSIONS:
        return IGNORE_PARTIAL
    if suffix not in VIDEO_EXTENSIONS:
        return IGNORE_NOT_VIDEO
    if _SAMPLE.search(path.stem) or any(_SAMPLE_FOLDER.match(f) for f in folders):
        return IGNORE_SAMPLE
    if _EXTRAS_SUFFIX.search(path.stem) or any(_EXTRAS_FOLDER.match(f) for f in folders):
        return IGNORE_EXTRA
    return None
