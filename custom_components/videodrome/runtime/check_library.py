"""Whether Plex has a title: the answer the service, Assist and the LLM tools share.

`async_check_library()` answers from the index: found or not, the items with their library
and ids, and for a show which seasons and episodes are present, missing and watched (TMDb's
seasons when ingest is set up). Before the index has been read the answer is `loading`, never
a "no"; while a library that could hold the title is missing from the index (Plex could not
list it, or only part of it) the answer is `incomplete`, with the libraries missing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..engine.library.seasons import show_seasons
from ..engine.tmdb.errors import TMDbError

if TYPE_CHECKING:
    from ..engine.library.index import LibraryIndex
    from ..engine.library.records import Item, Kind
    from ..engine.tmdb.client import TMDbClient

_LOGGER = logging.getLogger(__name__)

MAX_ITEMS = 10


async def async_check_library(
    index: LibraryIndex,
    tmdb: TMDbClient | None,
    *,
    title: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    tmdb_id: int | None = None,
    tvdb_id: int | None = None,
    imdb_id: str | None = None,
) -> dict[str, Any]:
    """Found or not, the items, their library, and for shows what is present and missing."""
    wanted: Kind | None = "movie" if kind == "movie" else "show" if kind in {"show", "tv"} else None
    if tmdb_id is not None or tvdb_id is not None or imdb_id:
        by_id = index.by_id(tmdb=tmdb_id, tvdb=tvdb_id, imdb=imdb_id, kind=wanted)
        loading, items = by_id.loading, list(by_id.matches)
    else:
        by_title = index.by_title(title or "", year, wanted)
        loading, items = by_title.loading, [match.item for match in by_title.matches]
    if loading:
        return {"loading": True, "found": False, "incomplete": False, "items": []}
    sections = index.snapshot.sections
    missing = index.missing(wanted)
    return {
        "loading": False,
        "found": bool(items),
        # Not found, with a library missing from the index: it may be there all the same.
        "incomplete": bool(missing),
        "missing_libraries": [
            {
                "library_id": load.key,
                "library": load.title,
                "type": load.kind,
                "state": str(load.state),
                "error": load.error,
            }
            for load in missing
        ],
        "items": [await _describe(item, sections, tmdb) for item in items[:MAX_ITEMS]],
    }


async def _describe(item: Item, sections: Any, tmdb: TMDbClient | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "title": item.title,
        "year": item.year,
        "type": item.kind,
        "library_id": item.section,
        "library_type": sections.get(item.section),
        "rating_key": item.rating_key,
        "tmdb_id": item.tmdb,
        "tvdb_id": item.tvdb,
        "imdb_id": item.imdb,
    }
    if item.kind == "movie":
        record.update(files=list(item.files), resolution=item.resolution, watched=item.watched)
        return record
    seasons = None
    if tmdb is not None and item.tmdb is not None:
        try:
            seasons = (await tmdb.tv(item.tmdb)).seasons
        except TMDbError as err:
            _LOGGER.debug("No TMDb seasons for %s: %s", item.title, err)
    found = show_seasons(item, seasons)
    record["availability"] = {
        "summary": found.summary(),
        "present_seasons": list(found.present_seasons),
        "missing_seasons": list(found.missing_seasons),
        "missing_episodes": {
            str(season): [list(run) for run in runs]
            for season, runs in found.missing_episodes.items()
        },
        "watched": {str(season): list(counts) for season, counts in found.watched.items()},
        "episodes": item.leaf_count,
        "episodes_watched": item.viewed_leaf_count,
    }
    return record
