"""The emulated Plex server's metadata refresh of one item, as Plex Media Server does it.

`PUT /library/metadata/{ratingKey}/refresh` (what python-plexapi's `refresh()` sends) answers
200 with an empty body at once and refreshes in the background, telling its notification
clients as it goes:

- an `activity` notification of type `library.refresh.items` (`started`, then `ended`), whose
  `Context.key` is the item's key and `subtitle` its title;
- `timeline` entries for the item with `state` 3 (downloading the metadata), 4 (processing
  it) and 5 (the item processed), the states python-plexapi's alert.py lists.

The refresh reads the item's metadata again from the catalogue, by the title it is matched
to (its guid): a title or year that went stale (`stale(...)`) comes back as the agent has it.
An unmatched item (`local://`) and a season stay as they are. An unknown item answers 404.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any
import uuid

from aiohttp import web

from tests.emulators.catalogue import CatalogueShow
from tests.emulators.plex_library import timeline_entries
from tests.emulators.plex_match import _by_guid, rematch

if TYPE_CHECKING:
    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item, PlexLibrary

REFRESH_ACTIVITY = "library.refresh.items"
# The running refreshes, cancelled when the emulator stops.
_TASKS = web.AppKey("videodrome_refresh_tasks", set[asyncio.Task[None]])


def add_routes(emulator: PlexEmulator) -> None:
    """Serve the refresh endpoint from `emulator`'s app."""
    tasks: set[asyncio.Task[None]] = set()
    emulator.app[_TASKS] = tasks

    async def refresh(request: web.Request) -> web.StreamResponse:
        item = emulator.library.items.get(int(request.match_info["key"]))
        if item is None:
            raise web.HTTPNotFound
        task = asyncio.get_running_loop().create_task(_refresh(emulator, item))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return web.Response()

    async def cancel(_app: web.Application) -> None:
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    emulator.app.router.add_put("/library/metadata/{key:\\d+}/refresh", refresh)
    emulator.app.on_shutdown.append(cancel)


async def _refresh(emulator: PlexEmulator, item: Item) -> None:
    activity: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "type": REFRESH_ACTIVITY,
        "cancellable": False,
        "userID": 1,
        "title": "Refreshing",
        "subtitle": item.title,
        "progress": 0,
        "Context": {
            "accessible": True,
            "analyzed": False,
            "exists": True,
            "key": f"/library/metadata/{item.rating_key}",
            "refreshed": False,
        },
    }
    await _activity(emulator, "started", activity)
    await asyncio.sleep(emulator.faults.scan_duration / 2)
    await _timeline(emulator, item, 3)
    reload_metadata(emulator.library, item)
    await asyncio.sleep(emulator.faults.scan_duration / 2)
    await _timeline(emulator, item, 4)
    await _timeline(emulator, item, 5)
    activity["progress"] = 100
    activity["Context"]["refreshed"] = True
    await _activity(emulator, "ended", activity)


def reload_metadata(library: PlexLibrary, item: Item) -> None:
    """The item's title, year and ids as the agent has them for the title it is matched to."""
    if item.type in {"movie", "show"}:
        title = _by_guid(library, item, item.guid)
        if title is not None:
            rematch(library, item, title)
            return
    elif item.type == "episode" and item.parent_key is not None:
        season = library.items.get(item.parent_key)
        show = library.items.get(season.parent_key) if season and season.parent_key else None
        found = _by_guid(library, show, show.guid) if show is not None else None
        if isinstance(found, CatalogueShow) and season is not None and season.index is not None:
            catalogue_season = found.season(season.index)
            if catalogue_season is not None and item.index is not None:
                item.title = catalogue_season.episode_title(item.index)
    item.updated_at = int(time.time())


async def _activity(emulator: PlexEmulator, event: str, activity: dict[str, Any]) -> None:
    entry = {"event": event, "uuid": activity["uuid"], "Activity": dict(activity)}
    container = {"type": "activity", "size": 1, "ActivityNotification": [entry]}
    await emulator.broadcast({"NotificationContainer": container})


async def _timeline(emulator: PlexEmulator, item: Item, state: int) -> None:
    entries = timeline_entries(item, (state,))
    container = {"type": "timeline", "size": len(entries), "TimelineEntry": entries}
    await emulator.broadcast({"NotificationContainer": container})
