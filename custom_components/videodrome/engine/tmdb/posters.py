"""TMDb poster addresses.

TMDb answers with a `poster_path` ("/abc.jpg"); the image itself lives on TMDb's image server
under a size ("w342"). TMDB_IMAGE_URL in the environment points at another image server (the
emulator `scripts/develop` and the browser tests run), as TMDB_API_URL does for the API.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

TMDB_IMAGE_BASE: Final = (
    os.environ.get("TMDB_IMAGE_URL", "").strip().rstrip("/") or "https://image.tmdb.org/t/p"
)
# TMDb's poster widths; w342 is sharp on a phone and on a dashboard tile.
POSTER_SIZES: Final = ("w92", "w154", "w185", "w342", "w500", "w780", "original")
DEFAULT_POSTER_SIZE: Final = "w342"


def poster_url(
    poster_path: object, size: str = DEFAULT_POSTER_SIZE, base: str | None = None
) -> str | None:
    """The address of a TMDb poster, or None when there is none (or the path is not TMDb's).

    `base` defaults to TMDB_IMAGE_BASE as it is when called (tests point it at an emulator).
    """
    if size not in POSTER_SIZES:
        raise ValueError(f"unknown TMDb poster size {size!r}")
    if not isinstance(poster_path, str):
        return None
    path = poster_path.strip()
    # TMDb's paths are "/<name>.<ext>"; anything else (a URL, "..", a query) is not used.
    if not path.startswith("/") or "/" in path[1:] or ".." in path or not path[1:]:
        return None
    if any(c in path for c in "?#\\ ") or not path.isprintable():
        return None
    return f"{TMDB_IMAGE_BASE if base is None else base}/{size}{path}"


def item_poster_url(tmdb_id: object, candidates: Iterable[Mapping[str, Any]]) -> str | None:
    """The poster of the title an item was filed as (else of its best candidate)."""
    listed = list(candidates)
    for candidate in listed:
        if tmdb_id is not None and candidate.get("tmdb_id") == tmdb_id:
            return poster_url(candidate.get("poster_path"))
    return poster_url(listed[0].get("poster_path")) if listed and tmdb_id is None else None
