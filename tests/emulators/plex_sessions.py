"""Who watches what on the emulated Plex server: sessions, players, the watch history.

- `GET /status/sessions`: one entry per playback, the library item's own fields (rating key,
  key, section, season and episode numbers, `Media` with its file, `Guid`) with `sessionKey`,
  `viewOffset`, `User`, `Player` and `Session`. Only fields the public recordings of this
  endpoint show are sent (Home Assistant's `session_base.xml`, plex.py's `sessions.xml`).
- `GET /clients`: the players on the network (Home Assistant's `plex_server_clients.xml`).
- `GET /status/sessions/history/all`: every viewing, newest first, filtered by
  `librarySectionID`, `accountID`, `metadataItemID` and `viewedAt>`; its fields are those
  python-plexapi's history objects read (no public recording of this endpoint exists).
- `GET|PUT /:/scrobble`, `/:/unscrobble` `?key=N&identifier=com.plexapp.plugins.library`:
  mark an item (and everything below it) watched or unwatched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.emulators.plex_search import as_int, page, params
from tests.emulators.plex_views import item_json

if TYPE_CHECKING:
    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import HistoryEntry, Item, PlexLibrary

# The attributes of a session's item, its media and its part that the recordings show.
_SESSION_FIELDS = frozenset({
    "addedAt", "art", "duration", "grandparentTitle", "guid", "index", "key", "lastViewedAt",
    "librarySectionID", "librarySectionKey", "librarySectionTitle", "originallyAvailableAt",
    "parentIndex", "ratingKey", "summary", "thumb", "title", "type", "updatedAt", "viewCount",
    "year", "Media", "Guid",
})  # fmt: skip
_PART_FIELDS = frozenset({"container", "duration", "file", "id"})
DEFAULT_CLIENT: dict[str, Any] = {
    "name": "Living Room TV",
    "host": "127.0.0.1",
    "address": "127.0.0.1",
    "port": 32500,
    "machineIdentifier": "emulated-player",
    "version": "8.8.2.21525",
    "protocol": "plex",
    "product": "Plex for Android (TV)",
    "deviceClass": "stb",
    "protocolVersion": 1,
    "protocolCapabilities": "timeline,playback,mirror,playqueues,provider-playback",
}


def add_routes(emulator: PlexEmulator) -> None:
    """Serve the clients, history and scrobble endpoints from `emulator`'s app."""
    router = emulator.app.router

    async def clients(request: web.Request) -> web.StreamResponse:
        container = {"size": len(emulator.clients), "Server": emulator.clients}
        return emulator._reply(request, container)

    async def history(request: web.Request) -> web.StreamResponse:
        return _history(emulator, request)

    async def scrobble(request: web.Request) -> web.StreamResponse:
        return _scrobble(emulator, request, watched=True)

    async def unscrobble(request: web.Request) -> web.StreamResponse:
        return _scrobble(emulator, request, watched=False)

    router.add_get("/clients", clients)
    router.add_get("/status/sessions/history/all", history)
    router.add_route("*", "/:/scrobble", scrobble)
    router.add_route("*", "/:/unscrobble", unscrobble)


def find_playable(
    library: PlexLibrary, title: str, grandparent_title: str | None, kind: str
) -> Item | None:
    """The movie or episode a session plays, by its title (an episode: and its show's)."""
    wanted = "episode" if grandparent_title else kind
    for item in library.items.values():
        if item.type != wanted or item.title != title:
            continue
        if grandparent_title is None:
            return item
        season = library.items.get(item.parent_key) if item.parent_key else None
        show = library.items.get(season.parent_key) if season and season.parent_key else None
        if show is not None and show.title == grandparent_title:
            return item
    return None


def _session_media(media: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        entry | {"Part": [{k: v for k, v in p.items() if k in _PART_FIELDS} for p in entry["Part"]]}
        for entry in media
    ]


def session_json(
    library: PlexLibrary,
    key: str,
    item: Item | None,
    who: tuple[str, str, str],
    title: str,
    grandparent_title: str | None,
    kind: str,
) -> dict[str, Any]:
    """One `Metadata` entry of `/status/sessions`; `who` is (user, player, state).

    A session of an item the library holds carries the item's fields; one of an item it
    does not (a title a test makes up) only its title and type.
    """
    user, player, state = who
    data: dict[str, Any] = {"title": title, "type": kind}
    if grandparent_title:
        data["grandparentTitle"] = grandparent_title
    if item is not None:
        full = item_json(library, item, guids=True, detailed=True)
        data = {k: v for k, v in full.items() if k in _SESSION_FIELDS}
        data["Media"] = _session_media(full.get("Media", []))
    return data | {
        "sessionKey": key,
        "viewOffset": 0,
        "User": {"id": "1", "title": user, "thumb": ""},
        "Player": {
            "address": "127.0.0.1",
            "machineIdentifier": f"player-{key}",
            "platform": "Android",
            "product": "Plex for Android (TV)",
            "state": state,
            "title": player,
            "local": True,
        },
        "Session": {"id": f"session-{key}", "bandwidth": 10000, "location": "lan"},
    }


def _history_json(library: PlexLibrary, entry: HistoryEntry, item: Item) -> dict[str, Any]:
    full = item_json(library, item, detailed=True)
    data: dict[str, Any] = {
        "historyKey": f"/status/sessions/history/{entry.id}",
        "key": full["key"],
        "ratingKey": full["ratingKey"],
        "librarySectionID": item.section_key,
        "title": item.title,
        "type": item.type,
        "viewedAt": entry.viewed_at,
        "accountID": entry.account_id,
        "deviceID": entry.device_id,
    }
    for field in ("parentKey", "grandparentKey", "grandparentTitle", "index", "parentIndex"):
        if field in full:
            data[field] = full[field]
    for field in ("thumb", "originallyAvailableAt"):
        if field in full:
            data[field] = full[field]
    return data


def _history(emulator: PlexEmulator, request: web.Request) -> web.Response:
    library = emulator.library
    query = params(request)
    section = as_int(query.get("librarySectionID"))
    account = as_int(query.get("accountID"))
    rating_key = as_int(query.get("metadataItemID"))
    since = as_int(query.get("viewedAt>"))
    found: list[tuple[HistoryEntry, Item]] = []
    for entry in reversed(library.history):  # newest first (sort=viewedAt:desc)
        item = library.items.get(entry.rating_key)
        if item is None or (section is not None and item.section_key != section):
            continue
        if (account is not None and entry.account_id != account) or (
            rating_key is not None and entry.rating_key != rating_key
        ):
            continue
        if since is None or entry.viewed_at > since:
            found.append((entry, item))
    found.sort(key=lambda pair: pair[0].viewed_at, reverse=True)
    shown, start = page([item for _, item in found], query)
    entries = [_history_json(library, *pair) for pair in found[start : start + len(shown)]]
    container: dict[str, Any] = {"size": len(entries), "totalSize": len(found), "offset": start}
    if entries:
        container["Metadata"] = entries
    return emulator._reply(request, container)


def _scrobble(emulator: PlexEmulator, request: web.Request, *, watched: bool) -> web.Response:
    rating_key = as_int(request.query.get("key"))
    if rating_key is None or rating_key not in emulator.library.items:
        raise web.HTTPNotFound
    emulator.library.mark_watched(rating_key, watched)
    return web.Response()
