"""Fixtures for engine tests: the TMDb emulator on loopback and a client session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest

from tests.emulators.tmdb import TMDbEmulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TMDB_KEY = "test-tmdb-key-abcdef0123456789"
TMDB_BEARER = "eyJ0ZXN0IjoiYmVhcmVyIn0.test-bearer-token"


@pytest.fixture
async def tmdb_emulator(socket_enabled: None) -> AsyncIterator[TMDbEmulator]:
    """A TMDb emulator with the demo catalogue, accepting TMDB_KEY and TMDB_BEARER."""
    emulator = TMDbEmulator(api_key=TMDB_KEY, bearer_token=TMDB_BEARER)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session
