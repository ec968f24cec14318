"""The emulated Plex server's library-wide listings.

- `GET /library`: the library's root (`Library Sections`, `Recently Added Content`, `On Deck`),
  what python-plexapi's `server.library` reads first.
- `GET /library/all?type=…&title=…`: every section's items, filtered and sorted like a
  section's listing (plex_search.py); without a type, movies and shows.
- `GET /library/recentlyAdded`: movies and seasons, the most recently added first (a season
  counts from its newest episode).
- `GET /library/onDeck`, `/library/sections/N/onDeck`: the next episode of every show someone
  has started and not finished (the one after the last watched one).
- `GET /library/sections/N/collections`: the section's collections (the emulator has none)
  with the `Meta` block of the collection type.
- `GET /hubs/search?query=…&sectionId=…&limit=…`: one hub per type (movies, shows, episodes),
  the items whose title holds the query, accents and case ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.emulators.plex_library import _norm
from tests.emulators.plex_search import (
    as_int,
    collections_meta,
    default_order,
    listing,
    page,
    params,
    type_code,
)
from tests.emulators.plex_views import item_json

if TYPE_CHECKING:
    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item, PlexLibrary

LIBRARY = "com.plexapp.plugins.library"
_TOP_LEVEL = frozenset({"movie", "show"})
_HUBS = (("movie", "Movies"), ("show", "Shows"), ("episode", "Episodes"))


def add_routes(emulator: PlexEmulator) -> None:
    """Serve the library-wide listings from `emulator`'s app."""
    router = emulator.app.router

    async def root(request: web.Request) -> web.StreamResponse:
        directories = [
            {"key": "sections", "title": "Library Sections"},
            {"key": "recentlyAdded", "title": "Recently Added Content"},
            {"key": "onDeck", "title": "On Deck"},
        ]
        container = {
            "size": len(directories),
            "allowSync": False,
            "identifier": LIBRARY,
            "mediaTagPrefix": "/system/bundle/media/flags/",
            "mediaTagVersion": 1700000000,
            "title1": "Plex Library",
            "title2": "",
            "Directory": directories,
        }
        return emulator._reply(request, container)

    async def every_item(request: web.Request) -> web.StreamResponse:
        library, query = emulator.library, params(request)
        code = type_code(query)
        items = [
            item
            for item in library.items.values()
            if (item.type in _TOP_LEVEL if code is None else _code(item) == code)
        ]
        return _items(emulator, request, listing(library, default_order(library, items), query))

    async def recently_added(request: web.Request) -> web.StreamResponse:
        return _items(emulator, request, _recently_added(emulator.library))

    async def on_deck(request: web.Request) -> web.StreamResponse:
        section = as_int(request.match_info.get("key"))
        if section is not None and section not in emulator.library.sections:
            raise web.HTTPNotFound
        return _items(emulator, request, _on_deck(emulator.library, section))

    async def collections(request: web.Request) -> web.StreamResponse:
        section = emulator._section_or_404(request)
        container = {
            "size": 0,
            "allowSync": True,
            "identifier": LIBRARY,
            "librarySectionID": section.key,
            "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid,
            "title1": section.title,
            "title2": f"All {section.title}",
            "viewGroup": section.type,
        }
        if request.query.get("includeMeta") == "1":
            container["Meta"] = collections_meta(section)
        return emulator._reply(request, container)

    async def hub_search(request: web.Request) -> web.StreamResponse:
        return _hub_search(emulator, request)

    router.add_get("/library", root)
    router.add_get("/library/all", every_item)
    router.add_get("/library/recentlyAdded", recently_added)
    router.add_get("/library/onDeck", on_deck)
    router.add_get("/library/sections/{key:\\d+}/onDeck", on_deck)
    router.add_get("/library/sections/{key:\\d+}/collections", collections)
    router.add_get("/hubs/search", hub_search)


def _code(item: Item) -> int:
    return {"movie": 1, "show": 2, "season": 3, "episode": 4}[item.type]


def _items(emulator: PlexEmulator, request: web.Request, items: list[Item]) -> web.Response:
    query = params(request)
    shown, start = page(items, query)
    with_guids = query.get("includeGuids") == "1"
    metadata = [item_json(emulator.library, i, guids=with_guids, detailed=True) for i in shown]
    container: dict[str, Any] = {
        "size": len(metadata),
        "totalSize": len(items),
        "offset": start,
        "allowSync": True,
        "identifier": LIBRARY,
        "mediaTagPrefix": "/system/bundle/media/flags/",
        "mediaTagVersion": 1700000000,
    }
    if metadata:
        container["Metadata"] = metadata
    return emulator._reply(request, container)


def _recently_added(library: PlexLibrary) -> list[Item]:
    def newest(item: Item) -> tuple[int, int]:
        leaves = library.leaves(item) or [item]
        return max((leaf.added_at, leaf.rating_key) for leaf in leaves)

    items = [i for i in library.items.values() if i.type in {"movie", "season"}]
    return sorted(items, key=newest, reverse=True)


def _on_deck(library: PlexLibrary, section: int | None) -> list[Item]:
    deck: list[tuple[int, Item]] = []
    for show in library.items.values():
        if show.type != "show" or section not in {None, show.section_key}:
            continue
        leaves = library.leaves(show)
        watched = [n for n, leaf in enumerate(leaves) if leaf.view_count]
        if not watched:
            continue
        later = leaves[watched[-1] + 1 :]
        next_up = next((leaf for leaf in later if not leaf.view_count), None)
        if next_up is not None:
            deck.append((max(leaf.last_viewed_at or 0 for leaf in leaves), next_up))
    return [item for _, item in sorted(deck, key=lambda pair: pair[0], reverse=True)]


def _hub_search(emulator: PlexEmulator, request: web.Request) -> web.Response:
    library = emulator.library
    wanted = _norm(request.query.get("query", ""))
    section = as_int(request.query.get("sectionId"))
    limit = as_int(request.query.get("limit"))
    hubs = []
    for kind, title in _HUBS:
        found = default_order(
            library,
            [
                item
                for item in library.items.values()
                if item.type == kind
                and section in {None, item.section_key}
                and wanted
                and wanted in _norm(item.title)
            ],
        )
        found = found[:limit] if limit is not None and limit >= 0 else found
        hub: dict[str, Any] = {
            "title": title,
            "type": kind,
            "hubIdentifier": kind,
            "context": f"hub.{kind}",
            "size": len(found),
            "more": False,
            "style": "shelf",
        }
        if found:
            hub["Metadata"] = [item_json(library, i, detailed=True) for i in found]
        hubs.append(hub)
    return emulator._reply(request, {"size": len(hubs), "Hub": hubs})
