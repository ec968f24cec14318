"""Fixtures for engine tests: the TMDb emulator on loopback, a client session, Plex sections."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest

from tests.emulators.plex import PlexLibrary
from tests.emulators.tmdb import TMDbEmulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from tests.emulators.catalogue import Catalogue
    from tests.emulators.server import Emulators

TMDB_KEY = "test-tmdb-key-abcdef0123456789"
TMDB_BEARER = "eyJ0ZXN0IjoiYmVhcmVyIn0.test-bearer-token"


@pytest.fixture
async def tmdb_emulator(emulators: Emulators) -> TMDbEmulator:
    """A TMDb emulator with the demo catalogue, accepting TMDB_KEY and TMDB_BEARER."""
    return await emulators.start(TMDbEmulator(api_key=TMDB_KEY, bearer_token=TMDB_BEARER))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def movies_and_tv(root: Path, catalogue: Catalogue | None = None) -> PlexLibrary:
    """An empty Plex library: Movies (section 1) over root/movies, TV Shows (2) over root/tv."""
    library = PlexLibrary.empty(catalogue)
    library.add_section("Movies", "movie", [str(root / "movies")], key=1)
    library.add_section("TV Shows", "show", [str(root / "tv")], key=2)
    return library
