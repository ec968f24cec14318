"""Plex's notification websocket: messages in, reconnecting with back-off, a bad token refused."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.errors import PlexAuthError
from custom_components.videodrome.engine.plex.notifications import (
    Notification,
    PlexNotificationListener,
)
from tests.conftest import PLEX_TOKEN
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from tests.emulators.plex import PlexEmulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


class Recorder:
    """Collects what the listener reports."""

    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        self.connections: list[bool] = []

    def listener(self, client: PlexClient, **kwargs: float) -> PlexNotificationListener:
        return PlexNotificationListener(
            client, self.notifications.append, self.connections.append, **kwargs
        )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"not json", None),
        (b"[]", None),
        (b'{"other": 1}', None),
        (b'{"NotificationContainer": {"size": 1}}', None),
        (b'{"NotificationContainer": {"type": "reachability", "size": 0}}', ("reachability", 0)),
        (b'{"NotificationContainer": {"type": "status", "StatusNotification": {}}}', ("status", 0)),
        (
            (
                b'{"NotificationContainer": {"type": "status",'
                b' "StatusNotification": [{"title": "x"}, 3]}}'
            ),
            ("status", 1),
        ),
    ],
)
def test_frames_that_are_not_notifications_are_ignored(
    raw: bytes, expected: tuple[str, int] | None
) -> None:
    parsed = Notification.parse(raw)
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed.type, len(parsed.entries)) == expected


async def test_a_scan_arrives_as_activity_timeline_and_status_messages(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession, media_root: Path
) -> None:
    client = PlexClient(url=plex_emulator.url, token=PLEX_TOKEN, session=session)
    recorder = Recorder()
    task = asyncio.create_task(recorder.listener(client).run())
    try:
        await until(lambda: recorder.connections == [True])
        movie = media_root / "Movies" / "Aliens (1986)" / "Aliens (1986).mkv"
        movie.parent.mkdir()
        movie.write_bytes(b"x")
        await plex_emulator.scan(1)
        await until(lambda: any(n.type == "status" for n in recorder.notifications))
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    kinds = [n.type for n in recorder.notifications]
    assert kinds == ["activity", "activity", "timeline", "activity", "status"]
    events = [n.entries[0]["event"] for n in recorder.notifications if n.type == "activity"]
    assert events == ["started", "updated", "ended"]
    timeline = next(n for n in recorder.notifications if n.type == "timeline")
    assert [(e["title"], e["state"]) for e in timeline.entries] == [("Aliens", 0), ("Aliens", 5)]
    status = recorder.notifications[-1].entries[0]
    assert status["title"] == "Library scan complete"
    assert recorder.connections == [True, False]


async def test_a_dropped_connection_comes_back_with_back_off(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> None:
    client = PlexClient(url=plex_emulator.url, token=PLEX_TOKEN, session=session)
    recorder = Recorder()
    listener = recorder.listener(client, retry_min=0.01, retry_max=0.05)
    task = asyncio.create_task(listener.run())
    try:
        await until(lambda: plex_emulator.websocket_clients == 1)
        await plex_emulator.drop_websockets()
        await until(lambda: recorder.connections == [True, False, True])
        assert listener.failures == 0, "a successful connection resets the back-off"
        await plex_emulator.add_session("Heat")
        await until(lambda: any(n.type == "playing" for n in recorder.notifications))
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_an_unreachable_server_is_retried_ever_more_slowly(
    session: aiohttp.ClientSession,
) -> None:
    client = PlexClient(url="http://127.0.0.1:9", token=PLEX_TOKEN, session=session)
    recorder = Recorder()
    listener = recorder.listener(client, retry_min=0.01, retry_max=0.04)
    task = asyncio.create_task(listener.run())
    await until(lambda: listener.failures >= 4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert recorder.connections == []
    listener.failures = 1
    assert 0.008 <= listener.next_delay() <= 0.012
    listener.failures = 10
    assert 0.032 <= listener.next_delay() <= 0.048, "capped at retry_max (with jitter)"


async def test_a_refused_token_stops_the_listener(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> None:
    client = PlexClient(url=plex_emulator.url, token="wrong", session=session)
    with pytest.raises(PlexAuthError):
        await Recorder().listener(client).run()


async def test_other_handshake_failures_are_retried(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> None:
    client = PlexClient(url=plex_emulator.url, token=PLEX_TOKEN, session=session)
    plex_emulator.faults.fail_next = 2
    recorder = Recorder()
    listener = recorder.listener(client, retry_min=0.01)
    task = asyncio.create_task(listener.run())
    try:
        await until(lambda: recorder.connections == [True])
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
