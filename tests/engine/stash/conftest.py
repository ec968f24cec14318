"""Fixtures for the Stash tests: the Stash emulator on loopback, with and without a key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.emulators.stash import StashEmulator
from tests.emulators.stash_library import StashLibrary

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

STASH_KEY = "eyJhbGciOiJIUzI1NiJ9.stash-test-api-key.c2VjcmV0"


@pytest.fixture
async def stash_emulator(socket_enabled: None) -> AsyncIterator[StashEmulator]:
    """A Stash emulator with the demo library, requiring STASH_KEY."""
    async with StashEmulator(api_key=STASH_KEY) as emulator:
        yield emulator


@pytest.fixture
async def open_stash(socket_enabled: None) -> AsyncIterator[StashEmulator]:
    """A Stash emulator with the demo library and no authentication."""
    async with StashEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def big_library() -> StashLibrary:
    """50,000 generated scenes (built once per module: it takes a second or two)."""
    return StashLibrary.generated(50_000)
