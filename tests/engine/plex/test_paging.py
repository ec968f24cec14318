"""Paging through a section: a server that ignores X-Plex-Container-Start ends the paging."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.plex.client import PlexClient, new_items
from tests.conftest import PLEX_TOKEN

if TYPE_CHECKING:
    import aiohttp

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item as PlexItem


@pytest.fixture
def client(plex_emulator: PlexEmulator, session: aiohttp.ClientSession) -> PlexClient:
    return PlexClient(plex_emulator.url, PLEX_TOKEN, session)


def _listings(plex: PlexEmulator, section: int) -> int:
    return sum(r.path == f"/library/sections/{section}/all" for r in plex.requests)


def test_new_items_drops_what_an_earlier_page_listed() -> None:
    seen: set[object] = set()
    first: list[dict[str, object]] = [{"ratingKey": "1"}, {"ratingKey": 2}, {"title": "no key"}]
    assert new_items(first, seen) == first
    again: list[dict[str, object]] = [{"ratingKey": 1}, {"ratingKey": "3"}, {"title": "no key"}]
    assert new_items(again, seen) == [{"ratingKey": "3"}, {"title": "no key"}]
    assert seen == {"1", "2", "3"}


async def test_a_server_that_ignores_the_offset_ends_the_paging(
    plex_emulator: PlexEmulator, client: PlexClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the first page over and over until totalSize. Now: two requests, no repeat."""
    movies = plex_emulator.library.section_items(1, None)
    assert len(movies) > 6  # several pages of 2
    plex_emulator.faults.ignore_container_start = True
    caplog.set_level(logging.DEBUG, "custom_components.videodrome.engine.plex.client")

    items = [item async for item in client.iter_section_items(1, page_size=2)]

    assert [item["ratingKey"] for item in items] == [str(m.rating_key) for m in movies[:2]]
    assert _listings(plex_emulator, 1) == 2  # the first page, then the same again: stop
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "ignore X-Plex-Container-Start" in message
    assert f"(2 of {len(movies)} read)" in message

    # The next listing says it at debug level only: once per server is enough.
    caplog.clear()
    again = [item async for item in client.iter_section_items(1, page_size=3)]
    assert len(again) == 3
    assert [r.levelno for r in caplog.records if "paging stopped" in r.getMessage()] == [
        logging.DEBUG
    ]


async def test_a_page_with_some_items_seen_before_goes_on(
    plex_emulator: PlexEmulator, client: PlexClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library that changes while it is listed shifts an item onto the next page: it is
    listed once, and the paging goes on to the end."""
    movies = plex_emulator.library.section_items(1, None)
    real = plex_emulator.library.section_items

    def shifted(section_key: int, type_code: int | None) -> list[PlexItem]:
        listed = real(section_key, type_code)
        calls.append(1)
        return listed if len(calls) == 1 else listed[:1] + listed  # one added at the top

    calls: list[int] = []
    monkeypatch.setattr(plex_emulator.library, "section_items", shifted)
    items = [item async for item in client.iter_section_items(1, page_size=3)]
    keys = [item["ratingKey"] for item in items]
    assert len(keys) == len(set(keys))
    assert set(keys) == {str(movie.rating_key) for movie in movies}
