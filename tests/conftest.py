"""Fixtures shared by every test: the Plex emulator on loopback, with a demo library on disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.emulators.plex import PlexEmulator, PlexLibrary

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

PLEX_TOKEN = "test-plex-token-0123456789"


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    """Where the demo library's stand-in media files live."""
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
async def plex_emulator(media_root: Path, socket_enabled: None) -> AsyncIterator[PlexEmulator]:
    """A Plex Media Server emulator with the demo library, listening on 127.0.0.1.

    `socket_enabled` lets the test open a listening socket; pytest-socket still refuses
    connections to anything but 127.0.0.1.
    """
    emulator = PlexEmulator(PlexLibrary.demo(media_root), token=PLEX_TOKEN)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()
