"""Ingest in Home Assistant of the hard cases: anime by absolute number, a film's extras."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import issue_registry as ir

from custom_components.videodrome.const import CONF_FILE_EXTRAS, DOMAIN
from tests.emulators.catalogue import CatalogueEpisodeGroup
from tests.services import call_action, drop_file

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.tmdb import TMDbEmulator

FEATURE = b"feature " * 4000
TITANIC = "Titanic.1997.1080p.BluRay.x264-GRP"


async def _ingest(hass: HomeAssistant, path: Path) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = (await call_action(hass, "ingest", path=str(path)))["results"]
    return results


async def test_anime_numbered_absolutely_is_filed_by_season(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    tmdb: TMDbEmulator,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """TMDb's absolute order places episode 30 in season 3 (7 + 13 + 10); Plex matches it."""
    show = tmdb.shows[1396]
    everything = [
        (season.season_number, number)
        for season in show.seasons
        if season.season_number > 0
        for number in range(1, season.episode_count + 1)
    ]
    absolute = CatalogueEpisodeGroup("Absolute", 2, (("All", tuple(everything)),))
    tmdb.add_show(replace(show, episode_groups=(absolute,)))
    source = drop_file(tmp_path, "[Group] Breaking Bad - 30 [1080p].mkv", FEATURE)
    (result,) = await _ingest(hass, source)
    assert result["status"] == "ingested", (result["reasons"], result.get("existing"))
    assert (result["season"], result["episodes"]) == (3, [10])
    assert "absolute_order" in result["reasons"]
    filed = Path(result["destination"])  # in the show's folder Plex already has
    assert filed.is_relative_to(media_root / "TV Shows")
    assert filed.parent.name == "Season 03"
    assert "s03e10" in filed.name
    assert filed.stat().st_ino == source.stat().st_ino
    history = await call_action(hass, "history")
    assert history["items"][0]["plex_status"] == "plex_matched"
    assert tmdb.counts["tv/episode_group"] == 1


async def test_a_show_without_absolute_order_still_waits(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """No absolute order on TMDb: review, with the reasons, as before."""
    (result,) = await _ingest(hass, drop_file(tmp_path, "[Group] Cowboy Bebop - 05 [1080p].mkv"))
    assert result["status"] == "review"
    assert {"no_absolute_order", "no_season"} <= set(result["reasons"])


async def test_a_films_extras_are_filed_with_it(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Featurette and trailer beside the film, the sample skipped, no repair raised."""
    feature = drop_file(tmp_path, f"{TITANIC}/{TITANIC}.mkv", FEATURE)
    making_of = drop_file(tmp_path, f"{TITANIC}/Featurettes/Making of Titanic.mkv")
    trailer = drop_file(tmp_path, f"{TITANIC}/Titanic-trailer.mkv")
    drop_file(tmp_path, f"{TITANIC}/Sample/titanic.sample.mkv")
    results = await _ingest(hass, feature.parent)
    by_name = {r["path"].rsplit("/", 1)[-1]: r for r in results}
    film = media_root / "Movies" / "Titanic (1997) {tmdb-597}"
    assert by_name[feature.name]["status"] == "ingested"
    for source, folder in ((making_of, "Featurettes"), (trailer, "Trailers")):
        result = by_name[source.name]
        assert result["status"] == "ingested", (result["reasons"], result.get("existing"))
        assert result["reasons"] == ["extra_of_film"]
        assert (film / folder / source.name).stat().st_ino == source.stat().st_ino
    assert by_name["titanic.sample.mkv"]["status"] == "skipped"
    assert source.exists()
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"path_mapping_wrong_{ingest_entry.entry_id}") is None
    scans = [r.query.get("path") for r in plex_emulator.requests if r.path.endswith("/refresh")]
    assert scans == [str(film)] * 3


async def test_extras_stay_when_the_option_is_off(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    media_root: Path,
    tmp_path: Path,
) -> None:
    entry = make_ingest_entry(**{CONF_FILE_EXTRAS: False})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    drop_file(tmp_path, f"{TITANIC}/{TITANIC}.mkv", FEATURE)
    trailer = drop_file(tmp_path, f"{TITANIC}/Titanic-trailer.mkv")
    results = await _ingest(hass, trailer.parent)
    assert sorted((r["status"], r["reasons"]) for r in results) == [
        ("ingested", []),
        ("skipped", ["extra"]),
    ]
    assert not (media_root / "Movies" / "Titanic (1997) {tmdb-597}" / "Trailers").exists()
