"""What a details request appends: translations when asked, episode groups for shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.engine.tmdb.errors import TMDbNotFoundError
from tests.emulators import hard_cases
from tests.emulators.tmdb import TMDbEmulator
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp


@pytest.fixture
async def languages(socket_enabled: None) -> AsyncIterator[TMDbEmulator]:
    async with TMDbEmulator(hard_cases.catalogue("other_languages"), api_key=TMDB_KEY) as emulator:
        yield emulator


async def test_translations_only_when_asked(
    session: aiohttp.ClientSession, languages: TMDbEmulator
) -> None:
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=languages.url)
    plain = await tmdb.movie(562)
    assert plain.translated_titles is None  # not asked for
    assert languages.requests[-1].query["append_to_response"] == "alternative_titles,external_ids"
    translated = await tmdb.movie(562, translations=True)
    assert set(translated.translated_titles or ()) == {"Stirb langsam", "Piège de cristal"}
    assert "Stirb langsam" in translated.titles
    assert languages.requests[-1].query["append_to_response"] == (
        "alternative_titles,external_ids,translations"
    )
    show = await tmdb.tv(71446, translations=True)
    assert show.candidate.translated_titles == ("Haus des Geldes",)
    assert languages.requests[-1].query["append_to_response"] == (
        "alternative_titles,external_ids,episode_groups,translations"
    )


async def test_the_provider_shares_the_shows_details_request(
    session: aiohttp.ClientSession, languages: TMDbEmulator
) -> None:
    """`details_json()` asks what `tv()` asks: one request, one cache entry."""
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=languages.url)
    await tmdb.tv(1396)
    data = await tmdb.details_json("tv", 1396)
    assert data["episode_groups"] == {"results": []}
    assert languages.counts["tv"] == 1


async def test_an_episode_group_id_is_only_letters_and_digits(
    session: aiohttp.ClientSession, languages: TMDbEmulator
) -> None:
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=languages.url)
    with pytest.raises(TMDbNotFoundError):
        await tmdb.episode_group("../../")
    with pytest.raises(TMDbNotFoundError):
        await tmdb.episode_group("5acf93e60e0a26346d0000ce")  # TMDb's 404
    assert [r.path for r in languages.requests] == ["/3/tv/episode_group/5acf93e60e0a26346d0000ce"]
