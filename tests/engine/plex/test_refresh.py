"""An item's metadata refreshed in Plex, and the wait for Plex's notifications that it is done.

The Plex emulator on loopback, its notification websocket followed by the engine's own
listener; python-plexapi (the reference client) checks that the request is the one it sends.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import orjson
from plexapi.server import PlexServer
import pytest

from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.errors import PlexNotFoundError
from custom_components.videodrome.engine.plex.notifications import (
    Notification,
    PlexNotificationListener,
)
from custom_components.videodrome.engine.plex.refresh import (
    Refreshed,
    RefreshWatch,
    refresh_metadata,
)
from tests.conftest import PLEX_TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


class Notifications:
    """The server's notifications, as the coordinator hands them to its listeners."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[Notification], None]] = []
        self.seen: list[Notification] = []

    def on_notification(self, notification: Notification) -> None:
        self.seen.append(notification)
        for listener in list(self.listeners):
            listener(notification)

    def subscribe(self, listener: Callable[[Notification], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)


@pytest.fixture
async def listening(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> AsyncIterator[tuple[PlexClient, Notifications]]:
    """A client, and the notifications its listener receives (connected before the test)."""
    client = PlexClient(url=plex_emulator.url, token=PLEX_TOKEN, session=session)
    notifications = Notifications()
    connected = asyncio.Event()
    listener = PlexNotificationListener(
        client, notifications.on_notification, lambda up: connected.set() if up else None
    )
    task = asyncio.create_task(listener.run())
    await asyncio.wait_for(connected.wait(), 5)
    try:
        yield client, notifications
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _item(plex: PlexEmulator, kind: str, title: str) -> Item:
    return next(i for i in plex.library.items.values() if i.type == kind and i.title == title)


async def test_a_stale_title_comes_back_once_plex_says_the_refresh_ended(
    plex_emulator: PlexEmulator, listening: tuple[PlexClient, Notifications]
) -> None:
    client, notifications = listening
    dune = _item(plex_emulator, "movie", "Dune")
    dune.title, dune.year = "Dune (old metadata)", 1984
    refreshed = await refresh_metadata(client, dune.rating_key, notifications.subscribe)
    assert refreshed == Refreshed(
        rating_key=dune.rating_key,
        type="movie",
        title="Dune",
        year=2021,
        guid=dune.guid,
        ids=("tmdb://438631", "imdb://tt1160419"),
        show=None,
        finished=True,
    )
    assert refreshed.as_json()["title"] == "Dune"
    puts = [r for r in plex_emulator.requests if r.method == "PUT"]
    assert [r.path for r in puts] == [f"/library/metadata/{dune.rating_key}/refresh"]
    # Plex's own words: the refresh activity began and ended, the item went through 3, 4, 5.
    events = [
        (e["event"], e["Activity"]["type"])
        for n in notifications.seen
        if n.type == "activity"
        for e in n.entries
    ]
    assert events == [("started", "library.refresh.items"), ("ended", "library.refresh.items")]
    states = [e["state"] for n in notifications.seen if n.type == "timeline" for e in n.entries]
    assert states == [3, 4, 5]
    assert notifications.listeners == [], "the wait stops listening"


async def test_an_episode_gets_its_title_back_and_names_its_show(
    plex_emulator: PlexEmulator, listening: tuple[PlexClient, Notifications]
) -> None:
    client, notifications = listening
    pilot = _item(plex_emulator, "episode", "Pilot")
    pilot.title = "Episode 1"
    refreshed = await refresh_metadata(client, pilot.rating_key, notifications.subscribe)
    assert (refreshed.type, refreshed.title, refreshed.show) == ("episode", "Pilot", "Breaking Bad")
    assert refreshed.finished


async def test_an_unknown_item_is_refused_before_plex_is_asked(
    plex_emulator: PlexEmulator, listening: tuple[PlexClient, Notifications]
) -> None:
    client, notifications = listening
    with pytest.raises(PlexNotFoundError):
        await refresh_metadata(client, 987654, notifications.subscribe)
    assert not [r for r in plex_emulator.requests if r.method == "PUT"]
    assert notifications.listeners == []


async def test_without_notifications_the_wait_runs_out(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> None:
    """Nobody listens to the websocket: the answer comes after the bound, `finished: false`."""
    client = PlexClient(url=plex_emulator.url, token=PLEX_TOKEN, session=session)
    dune = _item(plex_emulator, "movie", "Dune")
    listeners: list[object] = []

    def subscribe(listener: Callable[[Notification], None]) -> Callable[[], None]:
        listeners.append(listener)
        return listeners.clear

    refreshed = await refresh_metadata(client, dune.rating_key, subscribe, wait=0.2)
    assert not refreshed.finished
    assert refreshed.title == "Dune"
    assert listeners == []


def _notification(kind: str, key: str, entries: list[dict[str, object]]) -> Notification:
    raw = orjson.dumps({"NotificationContainer": {"type": kind, "size": 1, key: entries}})
    notification = Notification.parse(raw)
    assert notification is not None
    return notification


def test_only_the_end_of_this_item_s_refresh_counts() -> None:
    """Another item's end, this item's earlier states, a scan's end and other messages do not."""
    watch = RefreshWatch(42)
    not_yet = [
        _notification("timeline", "TimelineEntry", [{"itemID": "43", "state": 5}]),
        _notification("timeline", "TimelineEntry", [{"itemID": "42", "state": 3}]),
        _notification(
            "timeline",
            "TimelineEntry",
            [{"itemID": "42", "state": 5, "identifier": "com.plexapp.system"}],
        ),
        _notification(
            "activity",
            "ActivityNotification",
            [
                {
                    "event": "ended",
                    "Activity": {"type": "library.update.section", "Context": {}},
                },
                {
                    "event": "ended",
                    "Activity": {
                        "type": "library.refresh.items",
                        "Context": {"key": "/library/metadata/43"},
                    },
                },
                {
                    "event": "started",
                    "Activity": {
                        "type": "library.refresh.items",
                        "Context": {"key": "/library/metadata/42"},
                    },
                },
                {"event": "ended", "Activity": "not an object"},
            ],
        ),
        _notification("status", "StatusNotification", [{"title": "Library scan complete"}]),
    ]
    for notification in not_yet:
        watch.on_notification(notification)
    assert not watch.done.is_set()
    watch.on_notification(
        _notification(
            "activity",
            "ActivityNotification",
            [
                {
                    "event": "ended",
                    "Activity": {
                        "type": "library.refresh.items",
                        "Context": {"key": "/library/metadata/42"},
                    },
                }
            ],
        )
    )
    assert watch.done.is_set()
    timeline = RefreshWatch(42)
    timeline.on_notification(
        _notification("timeline", "TimelineEntry", [{"itemID": 42, "state": 5, "type": 1}])
    )
    assert timeline.done.is_set()


async def test_python_plexapi_sends_the_same_refresh(
    plex_emulator: PlexEmulator, listening: tuple[PlexClient, Notifications]
) -> None:
    """The reference client's `refresh()` is the request the engine sends, and the emulator
    answers it with the same notifications."""
    _client, notifications = listening
    dune = _item(plex_emulator, "movie", "Dune")

    def plexapi_refresh() -> None:
        # python-plexapi is untyped.
        server = PlexServer(plex_emulator.url, PLEX_TOKEN)  # type: ignore[no-untyped-call]
        server.fetchItem(dune.rating_key).refresh()  # type: ignore[no-untyped-call]

    watch = RefreshWatch(dune.rating_key)
    unsubscribe = notifications.subscribe(watch.on_notification)
    try:
        await asyncio.get_running_loop().run_in_executor(None, plexapi_refresh)
        assert await watch.wait(5)
    finally:
        unsubscribe()
    puts = [r for r in plex_emulator.requests if r.method == "PUT"]
    assert [r.path for r in puts] == [f"/library/metadata/{dune.rating_key}/refresh"]
