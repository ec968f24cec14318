"""Fixtures for identification's hard cases: the TMDb emulator holding one class's titles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators import hard_cases
from tests.emulators.tmdb import TMDbEmulator
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    import aiohttp

type Start = Callable[[str], Awaitable[tuple[TMDbEmulator, Identifier]]]


@pytest.fixture
async def hard_tmdb(socket_enabled: None, session: aiohttp.ClientSession) -> AsyncIterator[Start]:
    """Start an emulator with one class's catalogue (hard_cases.py) and an identifier over it."""
    started: list[TMDbEmulator] = []

    async def start(name: str) -> tuple[TMDbEmulator, Identifier]:
        emulator = TMDbEmulator(hard_cases.catalogue(name), api_key=TMDB_KEY)
        await emulator.start()
        started.append(emulator)
        client = TMDbClient(session, api_key=TMDB_KEY, base_url=emulator.url, backoff=0.01)
        return emulator, Identifier(client)

    yield start
    for emulator in started:
        await emulator.stop()
