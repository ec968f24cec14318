"""The notification listener tells a reconnection from the first connection."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.notifications import PlexNotificationListener
from tests.conftest import PLEX_TOKEN
from tests.polling import until

if TYPE_CHECKING:
    import aiohttp

    from tests.emulators.plex import PlexEmulator


async def test_a_connection_after_a_drop_is_a_reconnection(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> None:
    client = PlexClient(plex_emulator.url, PLEX_TOKEN, session)
    seen: list[tuple[bool, bool]] = []  # (connected, a reconnection) as the callback saw them
    listener: PlexNotificationListener

    def on_connection(connected: bool) -> None:
        seen.append((connected, listener.reconnected))

    listener = PlexNotificationListener(
        client, lambda _n: None, on_connection, retry_min=0.01, retry_max=0.05
    )
    assert (listener.connections, listener.reconnected) == (0, False)
    task = asyncio.create_task(listener.run())
    try:
        await until(lambda: plex_emulator.websocket_clients == 1)
        await plex_emulator.drop_websockets()
        await until(lambda: len(seen) == 3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert seen[:3] == [(True, False), (False, False), (True, True)]  # then stopped: False
    assert listener.connections == 2
