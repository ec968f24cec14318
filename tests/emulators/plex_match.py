"""The emulated Plex server's "Fix Match…" and poster upload, as real Plex Media Server does them.

- `GET /library/metadata/{ratingKey}/matches?manual=1&title=…&year=…&agent=…&language=…`
  searches the agent's catalogue: `SearchResult` entries with a `plex://movie/…` (or
  `plex://show/…`) guid, `name`, `year` and a `score`, best first. A title of the form
  `tmdb-603`, `imdb-tt0133093` or `tvdb-81189` finds that one title (python-plexapi's
  `LibrarySection.getGuid` relies on this).
- `PUT /library/metadata/{ratingKey}/match?guid=…&name=…` re-matches the item to that guid
  (`plex://…` from a search, or `tmdb://N`): its guid, external ids, title and year change, and
  the timeline notifications of a metadata refresh follow (states 2, 3, 4, 5).
- `POST /library/metadata/{ratingKey}/posters?url=…` downloads the image at `url` and makes it
  the item's poster (`thumb`); an address that gives no image answers 400. Without `url`, the
  request's body is the image (python-plexapi's `uploadPoster(filepath=…)`): kept as it came.

`PlexLibrary.misidentify` (TMDb id the scanner should find → the id it picks instead) makes
the scanner match the wrong title, as Plex sometimes does with remakes and namesakes;
`PlexLibrary.without_posters` lists the TMDb ids whose metadata comes without a poster.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from tests.emulators.catalogue import CatalogueShow
from tests.emulators.plex_agents import (
    episode_guid,
    episode_guids,
    external_guids,
    movie_ids,
    plex_guid,
    season_guid,
    show_ids,
)
from tests.emulators.plex_library import _norm, timeline_entries

if TYPE_CHECKING:
    from tests.emulators.catalogue import CatalogueMovie
    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item, PlexLibrary

_ID_QUERY = re.compile(r"^\s*(tmdb|imdb|tvdb)-(tt\d+|\d+)\s*$", re.IGNORECASE)
MAX_RESULTS = 10
# Timeline states of a metadata refresh (python-plexapi alert.py): matching, downloading,
# processing, processed.
REFRESH_STATES = (2, 3, 4, 5)


def add_routes(emulator: PlexEmulator) -> None:
    """Serve the match and poster endpoints from `emulator`'s app."""
    router = emulator.app.router

    async def matches(request: web.Request) -> web.StreamResponse:
        return await _matches(emulator, request)

    async def match(request: web.Request) -> web.StreamResponse:
        return await _match(emulator, request)

    async def posters(request: web.Request) -> web.StreamResponse:
        return await _posters(emulator, request)

    # Coroutine functions, not lambdas: aiohttp deprecates handlers that are not async.
    router.add_get("/library/metadata/{key:\\d+}/matches", matches)
    router.add_put("/library/metadata/{key:\\d+}/match", match)
    router.add_post("/library/metadata/{key:\\d+}/posters", posters)


def _item(emulator: PlexEmulator, request: web.Request) -> Item:
    item = emulator.library.items.get(int(request.match_info["key"]))
    if item is None:
        raise web.HTTPNotFound
    return item


def _titles(library: PlexLibrary, kind: str) -> list[CatalogueMovie | CatalogueShow]:
    return list(library.catalogue.movies if kind == "movie" else library.catalogue.shows)


def _name(title: CatalogueMovie | CatalogueShow) -> str:
    return title.title if hasattr(title, "title") else title.name


def _names(title: CatalogueMovie | CatalogueShow) -> set[str]:
    original = getattr(title, "original_title", None) or getattr(title, "original_name", "")
    return {_norm(t) for t in (_name(title), original, *title.alternative_titles) if t}


def _search(
    library: PlexLibrary, kind: str, text: str, year: int | None
) -> list[tuple[int, CatalogueMovie | CatalogueShow]]:
    """Catalogue titles for a search, with a 0-100 score, best first."""
    titles = _titles(library, kind)
    by_id = _ID_QUERY.match(text)
    if by_id is not None:
        scheme, value = by_id[1].lower(), by_id[2]
        found = [
            t
            for t in titles
            if (scheme == "tmdb" and str(t.tmdb_id) == value)
            or (scheme == "imdb" and t.imdb_id == value)
            or (scheme == "tvdb" and str(getattr(t, "tvdb_id", None)) == value)
        ]
        return [(100, t) for t in found]
    wanted = _norm(text)
    scored: list[tuple[int, CatalogueMovie | CatalogueShow]] = []
    for title in titles:
        names = _names(title)
        if wanted in names:
            score = 90
        elif wanted and any(wanted in name for name in names):
            score = 70
        else:
            continue
        if year is not None and title.year is not None:
            score += 10 if title.year == year else -5 * min(abs(title.year - year), 10)
        scored.append((max(score, 0), title))
    scored.sort(key=lambda pair: (-pair[0], _name(pair[1])))
    return scored[:MAX_RESULTS]


async def _matches(emulator: PlexEmulator, request: web.Request) -> web.Response:
    item = _item(emulator, request)
    if item.type not in {"movie", "show"}:
        raise web.HTTPBadRequest(text="only movies and shows can be matched")
    query = request.query
    year = query.get("year", "")
    results = _search(
        emulator.library,
        item.type,
        query.get("title") or item.title,
        int(year) if year.isdigit() else None,
    )
    search_results = [
        {
            "type": item.type,
            "guid": _ids(emulator.library, item, title)[0],
            "name": _name(title),
            "year": title.year,
            "score": score,
            "summary": "",
            "matched": _ids(emulator.library, item, title)[0] == item.guid,
        }
        for score, title in results
    ]
    container: dict[str, Any] = {
        "size": len(search_results),
        "identifier": "com.plexapp.plugins.library",
        "mediaTagPrefix": "/system/bundle/media/flags/",
    }
    if search_results:
        container["SearchResult"] = search_results
    return emulator._reply(request, container)


def _ids(
    library: PlexLibrary, item: Item, title: CatalogueMovie | CatalogueShow
) -> tuple[str, list[str]]:
    """The guid and `Guid` ids the agent of `item`'s section gives `title` (plex_agents.py)."""
    agent = library.sections[item.section_key].agent
    ids = show_ids(agent, title) if isinstance(title, CatalogueShow) else movie_ids(agent, title)
    return ids or (plex_guid(item.type, title.tmdb_id), external_guids(title))


def _by_guid(library: PlexLibrary, item: Item, guid: str) -> CatalogueMovie | CatalogueShow | None:
    for title in _titles(library, item.type):
        known = {plex_guid(item.type, title.tmdb_id), f"tmdb://{title.tmdb_id}"}
        if guid in known | {_ids(library, item, title)[0]}:
            return title
    return None


async def _match(emulator: PlexEmulator, request: web.Request) -> web.Response:
    item = _item(emulator, request)
    library = emulator.library
    title = _by_guid(library, item, request.query.get("guid", ""))
    if item.type not in {"movie", "show"} or title is None:
        raise web.HTTPBadRequest(text="no such match")
    rematch(library, item, title)
    await emulator.broadcast(_timeline(item, REFRESH_STATES))
    return web.Response()


def rematch(library: PlexLibrary, item: Item, title: CatalogueMovie | CatalogueShow) -> None:
    """Give `item` (a movie or show) the metadata of `title`, its seasons and episodes too."""
    item.guid, item.guids = _ids(library, item, title)
    item.title = _name(title)
    item.year = title.year
    item.originally_available_at = getattr(title, "release_date", None) or getattr(
        title, "first_air_date", None
    )
    item.poster = None if title.tmdb_id in library.without_posters else "agent"
    item.updated_at = int(time.time())
    if item.type == "show":
        for season in library.children(item.rating_key):
            number = season.index or 0
            season.guid = season_guid(item.guid, number)
            for episode in library.children(season.rating_key):
                episode.guid = episode_guid(item.guid, number, episode.index or 0)
                episode.guids = episode_guids(item.guid, item.guids, number, episode.index or 0)
                episode.year = title.year


def _timeline(item: Item, states: tuple[int, ...]) -> dict[str, Any]:
    entries = timeline_entries(item, states)
    container = {"type": "timeline", "size": len(entries), "TimelineEntry": entries}
    return {"NotificationContainer": container}


async def _posters(emulator: PlexEmulator, request: web.Request) -> web.Response:
    item = _item(emulator, request)
    url = request.query.get("url", "")
    if not url and (body := await request.read()):  # an upload: the body is the image
        url = "upload://"
        ok = body[:3] == b"\xff\xd8\xff" or body[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        body, ok = await _download(url)
    if not ok or not body:
        raise web.HTTPBadRequest(text="the poster could not be downloaded")
    item.poster = url
    emulator.library.poster_images[item.rating_key] = body
    item.updated_at = int(time.time())
    await emulator.broadcast(_timeline(item, (5,)))
    return web.Response()


async def _download(url: str) -> tuple[bytes, bool]:
    body = b""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response,
        ):
            body = await response.read()
            ok = response.status == 200 and response.content_type.startswith("image/")
    except aiohttp.ClientError, ValueError, TimeoutError:
        ok = False
    return body, ok
