"""Ingest in Home Assistant of the hard cases: anime by absolute number."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from custom_components.videodrome.const import DOMAIN
from tests.emulators.catalogue import CatalogueEpisodeGroup
from tests.entities import settle

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.tmdb import TMDbEmulator

FEATURE = b"feature " * 4000


def _drop(tmp_path: Path, name: str, content: bytes = b"extra") -> Path:
    file = tmp_path / "ingest" / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content)
    return file


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    await settle(hass)
    return response


async def _ingest(hass: HomeAssistant, path: Path) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = (await _call(hass, "ingest", path=str(path)))["results"]
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
    source = _drop(tmp_path, "[Group] Breaking Bad - 30 [1080p].mkv", FEATURE)
    (result,) = await _ingest(hass, source)
    assert result["status"] == "ingested", (result["reasons"], result.get("existing"))
    assert (result["season"], result["episodes"]) == (3, [10])
    assert "absolute_order" in result["reasons"]
    filed = Path(result["destination"])  # in the show's folder Plex already has
    assert filed.is_relative_to(media_root / "TV Shows")
    assert filed.parent.name == "Season 03"
    assert "s03e10" in filed.name
    assert filed.stat().st_ino == source.stat().st_ino
    history = await _call(hass, "history")
    assert history["items"][0]["plex_status"] == "plex_matched"
    assert tmdb.counts["tv/episode_group"] == 1


async def test_a_show_without_absolute_order_still_waits(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """No absolute order on TMDb: review, with the reasons, as before."""
    (result,) = await _ingest(hass, _drop(tmp_path, "[Group] Cowboy Bebop - 05 [1080p].mkv"))
    assert result["status"] == "review"
    assert {"no_absolute_order", "no_season"} <= set(result["reasons"])
