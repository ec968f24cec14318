"""Ingest into libraries matched by Plex's legacy agents, end to end.

A real Home Assistant with Videodrome, the TMDb emulator and a Plex emulator whose sections use
the legacy agents (IMDb for movies, TheTVDB for shows): its items carry only the legacy `guid`
attribute (`com.plexapp.agents.thetvdb://81189?lang=en`), no `Guid` list. Videodrome must still
know what the library holds: a new episode goes into the show's existing folder, a second copy
of a film is caught before it is filed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.videodrome.const import DOMAIN
from tests.conftest import PLEX_TOKEN
from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from custom_components.videodrome.engine.library.index import LibraryIndex

# Remove once plex-ids' `external_ids` (engine/library/parsing.py) reads legacy guids.
STAND_IN = b"stand-in video"
# The show's folder as the user named it, not as Videodrome would ("Breaking Bad (2008) {…}").
SHOW_FOLDER = "Breaking Bad"
MATRIX = "The Matrix (1999)/The Matrix (1999).mkv"


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(STAND_IN)


@pytest.fixture
async def plex_emulator(media_root: Path, socket_enabled: None) -> AsyncIterator[PlexEmulator]:
    """A Plex server with legacy-agent sections: The Matrix, and Breaking Bad's first season."""
    movies, shows = media_root / "Movies", media_root / "TV Shows"
    _touch(movies / MATRIX)
    for number in range(1, 8):
        _touch(shows / SHOW_FOLDER / "Season 1" / f"Breaking Bad - S01E{number:02d}.mkv")
    library = PlexLibrary()
    library.add_section("Movies", "movie", [str(movies)], key=1, legacy_agents=True)
    library.add_section("TV Shows", "show", [str(shows)], key=2, legacy_agents=True)
    for section in list(library.sections.values()):
        library.apply_scan(section, library.walk(section))
    emulator = PlexEmulator(library, token=PLEX_TOKEN)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


async def _loaded(entry: MockConfigEntry) -> LibraryIndex:
    index: LibraryIndex = entry.runtime_data.library.index
    await until(lambda: index.loaded)
    return index


async def _ingest(hass: HomeAssistant, source: Path) -> dict[str, Any]:
    response: Any = await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
    )
    (result,) = response["results"]
    await hass.async_block_till_done()
    return dict(result)


async def test_the_emulator_serves_only_legacy_guids(plex_emulator: PlexEmulator) -> None:
    """The setting the two tests below rely on (not a test of Videodrome)."""
    items = plex_emulator.library.items.values()
    show = next(item for item in items if item.type == "show")
    movie = next(item for item in items if item.type == "movie")
    assert (show.title, show.guid, show.guids) == (
        "Breaking Bad",
        "com.plexapp.agents.thetvdb://81189?lang=en",
        [],
    )
    assert (movie.guid, movie.guids) == ("com.plexapp.agents.imdb://tt0133093?lang=en", [])


async def test_an_episode_goes_into_the_show_folder_the_library_has(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Season 2 of a show Plex holds in "Breaking Bad" is filed there, and Plex's match holds."""
    await _loaded(ingest_entry)
    events = async_capture_events(hass, "videodrome_ingested")
    source = tmp_path / "ingest" / "Breaking.Bad.S02E03.720p.HDTV.x264-GRP.mkv"
    _touch(source)
    result = await _ingest(hass, source)
    assert result["status"] == "ingested", result
    shows = media_root / "TV Shows"
    assert [folder.name for folder in shows.iterdir()] == [SHOW_FOLDER]  # no second show folder
    [filed] = (shows / SHOW_FOLDER).glob("Season 02/*.mkv")
    assert str(filed) == result["destination"]
    assert source.exists()  # the download stays where it was
    # Plex put the new file into the same show, and Videodrome confirmed the match.
    [show] = [item for item in plex_emulator.library.items.values() if item.type == "show"]
    assert [season.index for season in plex_emulator.library.children(show.rating_key)] == [1, 2]
    assert [event.data["item"]["plex_status"] for event in events] == ["plex_matched"]


async def test_a_second_copy_of_a_film_the_library_has_is_caught(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Another copy of The Matrix waits for a person ("already in your library"), unfiled.

    With "Always ask"; by default a better copy becomes a version (tests/integration/
    test_versions.py).
    """
    ingest_entry = make_ingest_entry(when_held="ask")
    assert await hass.config_entries.async_setup(ingest_entry.entry_id)
    await hass.async_block_till_done()
    await _loaded(ingest_entry)
    source = tmp_path / "ingest" / "The.Matrix.1999.1080p.BluRay.x264-GRP.mkv"
    _touch(source)
    result = await _ingest(hass, source)
    assert result["status"] == "review", result
    assert "already_in_library" in result["reasons"], result
    assert result["existing"]["file"] == str(media_root / "Movies" / MATRIX)
    films = sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*.mkv"))
    assert [film for film in films if film.startswith("Movies/")] == [f"Movies/{MATRIX}"]
