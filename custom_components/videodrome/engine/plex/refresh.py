"""Refreshing one item's metadata in Plex, and waiting for Plex to say it is done.

`PUT /library/metadata/{ratingKey}/refresh` (python-plexapi's `refresh()`) is answered at once;
Plex then refreshes in the background and says so on its notification websocket:

- an `activity` of type `library.refresh.items` whose `Context.key` is the item's key
  (`/library/metadata/{ratingKey}`), `started`, `updated`, then `ended`;
- `timeline` entries for the item (`itemID`), whose `state` goes through 3 (downloading the
  metadata) and 4 (processing it) to 5 (the item processed; python-plexapi's alert.py lists
  the states).

`refresh_metadata` checks that the item exists, starts listening before it asks (so an end
that comes quickly is not missed), waits for whichever of the two says the refresh ended, at
most `wait` seconds, and reads the item again: its title, year and guid as they now are,
and whether the end was seen (`finished`). Without notifications (the websocket is down) the
wait runs out and the answer says `finished: false`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models import as_int, as_str, child_objects

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .client import PlexClient
    from .notifications import Notification

    type Listener = Callable[[Notification], None]
    # Adds a listener to the server's notifications; returns what removes it again.
    type Subscribe = Callable[[Listener], Callable[[], None]]

REFRESH_ACTIVITY = "library.refresh.items"
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"
STATE_PROCESSED = 5  # the timeline state of an item whose refresh is done
DEFAULT_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class Refreshed:
    """An item after its refresh: what Plex now says it is."""

    rating_key: int
    type: str | None
    title: str | None
    year: int | None
    guid: str | None
    ids: tuple[str, ...]  # tmdb://…, tvdb://…, imdb://…
    show: str | None  # an episode's or season's show
    finished: bool  # Plex said the refresh ended (False: the wait ran out first)

    @classmethod
    def of(cls, item: Mapping[str, Any], rating_key: int, *, finished: bool) -> Refreshed:
        """The fields of `/library/metadata/{ratingKey}`'s item."""
        return cls(
            rating_key=as_int(item.get("ratingKey")) or rating_key,
            type=as_str(item.get("type")),
            title=as_str(item.get("title")),
            year=as_int(item.get("year")),
            guid=as_str(item.get("guid")),
            ids=tuple(str(g.get("id")) for g in child_objects(item, "Guid") if g.get("id")),
            show=as_str(item.get("grandparentTitle")) or as_str(item.get("parentTitle")),
            finished=finished,
        )

    def as_json(self) -> dict[str, Any]:
        """For a service response."""
        return {
            "rating_key": self.rating_key,
            "type": self.type,
            "title": self.title,
            "year": self.year,
            "guid": self.guid,
            "ids": list(self.ids),
            "show": self.show,
            "finished": self.finished,
        }


class RefreshWatch:
    """Listens to a server's notifications for the end of one item's refresh."""

    def __init__(self, rating_key: int) -> None:
        """Watch the item `rating_key`."""
        self._id = str(rating_key)
        self._key = f"/library/metadata/{rating_key}"
        self.done = asyncio.Event()

    def on_notification(self, notification: Notification) -> None:
        """A message from Plex: the end of this item's refresh sets `done`."""
        if notification.type == "activity":
            ended = any(self._activity_ended(entry) for entry in notification.entries)
        elif notification.type == "timeline":
            ended = any(self._processed(entry) for entry in notification.entries)
        else:
            return
        if ended:
            self.done.set()

    def _activity_ended(self, entry: Mapping[str, Any]) -> bool:
        activity = entry.get("Activity")
        if entry.get("event") != "ended" or not isinstance(activity, dict):
            return False
        context = activity.get("Context")
        return (
            activity.get("type") == REFRESH_ACTIVITY
            and isinstance(context, dict)
            and context.get("key") == self._key
        )

    def _processed(self, entry: Mapping[str, Any]) -> bool:
        return (
            str(entry.get("itemID")) == self._id
            and entry.get("identifier", LIBRARY_IDENTIFIER) == LIBRARY_IDENTIFIER
            and as_int(entry.get("state")) == STATE_PROCESSED
        )

    async def wait(self, seconds: float) -> bool:
        """Whether the end came within `seconds`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.done.wait()
        return self.done.is_set()


async def refresh_metadata(
    client: PlexClient,
    rating_key: int,
    subscribe: Subscribe,
    *,
    wait: float = DEFAULT_WAIT,
) -> Refreshed:
    """Refresh the item `rating_key` and wait (at most `wait` seconds) for Plex to finish.

    Raises `PlexNotFoundError` for an item Plex does not have (nothing is asked of it then),
    and the client's errors when Plex fails.
    """
    await client.metadata(rating_key)  # an unknown item: 404 before anything starts
    watch = RefreshWatch(rating_key)
    unsubscribe = subscribe(watch.on_notification)
    try:
        await client.refresh_item(rating_key)
        finished = await watch.wait(wait)
    finally:
        unsubscribe()
    return Refreshed.of(await client.metadata(rating_key), rating_key, finished=finished)
