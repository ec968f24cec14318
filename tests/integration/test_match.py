"""Plex's match after an ingest, in Home Assistant: the three modes, the poster entity, uploads.

The Plex emulator's scanner is told to take Halloween (2007) for the 2018 film; the TMDb
emulator's image server draws the posters that Home Assistant and Plex fetch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import STATE_UNKNOWN
from homeassistant.helpers import llm
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.videodrome.const import CONF_MATCH_FIX, CONF_UPLOAD_POSTERS, DOMAIN
from custom_components.videodrome.engine.tmdb import posters
from tests.entities import settle
from tests.integration.conftest import llm_api

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.tmdb import TMDbEmulator

HALLOWEEN_2007, HALLOWEEN_2018 = 2082, 424139
POSTER = "image.videodrome_demo_last_ingest_poster"
LAST_INGEST = "sensor.videodrome_demo_last_ingest"
JPEG = b"\xff\xd8\xff"


@pytest.fixture(autouse=True)
def wrong_match(
    plex_emulator: PlexEmulator, tmdb: TMDbEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plex mistakes the 2007 Halloween for the 2018 one; posters come from the emulator."""
    plex_emulator.library.misidentify[HALLOWEEN_2007] = HALLOWEEN_2018
    monkeypatch.setattr(posters, "TMDB_IMAGE_BASE", tmdb.image_url)


async def _setup(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry], **options: Any
) -> MockConfigEntry:
    entry = make_ingest_entry(**options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _ingest(hass: HomeAssistant, tmp_path: Path, name: str) -> dict[str, Any]:
    source = tmp_path / "ingest" / name
    source.write_bytes(b"video")
    response: Any = await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
    )
    await settle(hass)
    (result,) = response["results"]
    return dict(result)


def _plex_item(plex_emulator: PlexEmulator, destination: str) -> Any:
    return next(
        item
        for item in plex_emulator.library.items.values()
        if any(path == destination for path, _ in item.files)
    )


async def test_auto_corrects_plex_and_tells(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    tmp_path: Path,
) -> None:
    """Correct: Plex re-matched, `videodrome_match_corrected` fired, sensors and event follow."""
    corrected = async_capture_events(hass, "videodrome_match_corrected")
    await _setup(hass, make_ingest_entry, **{CONF_MATCH_FIX: "auto"})
    result = await _ingest(hass, tmp_path, "Halloween.2007.1080p.BluRay.x264.mkv")
    assert result["status"] == "ingested", result
    (event,) = corrected
    item = event.data["item"]
    assert (item["tmdb_id"], item["plex_status"]) == (HALLOWEEN_2007, "plex_corrected")
    assert item["plex_previous_guid"].startswith("plex://movie/")
    assert _plex_item(plex_emulator, result["destination"]).year == 2007
    state = hass.states.get("event.videodrome_demo_ingest")
    assert state is not None
    assert state.attributes["event_type"] == "match_corrected"
    assert "match_corrected" in state.attributes["event_types"]
    last = hass.states.get(LAST_INGEST)
    assert last is not None
    assert last.attributes["plex_status"] == "plex_corrected"
    assert last.attributes["plex_previous_guid"] == item["plex_previous_guid"]
    assert hass.states.get("sensor.videodrome_demo_review_queue").state == "0"  # type: ignore[union-attr]


async def test_review_is_the_default_and_approving_corrects(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    tmdb: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Ask (the default): both titles wait in the queue with posters; approving fixes Plex."""
    review = async_capture_events(hass, "videodrome_review_required")
    await _setup(hass, make_ingest_entry)
    result = await _ingest(hass, tmp_path, "Halloween.2007.1080p.BluRay.x264.mkv")
    assert result["status"] == "review"
    assert len(review) == 1
    queue = hass.states.get("sensor.videodrome_demo_review_queue")
    assert queue is not None
    assert queue.state == "1"
    (waiting,) = queue.attributes["items"]
    assert "plex_mismatch" in waiting["reasons"]
    ours, plex = waiting["candidates"]
    assert (ours["source"], ours["tmdb_id"], ours["year"]) == ("videodrome", HALLOWEEN_2007, 2007)
    assert (plex["source"], plex["tmdb_id"], plex["year"]) == ("plex", HALLOWEEN_2018, 2018)
    assert plex["poster_url"].startswith(tmdb.image_url)
    assert waiting["poster_url"] == ours["poster_url"]
    destination = result["destination"]
    # A conversation agent sees which title is whose.
    entry_id = hass.config_entries.async_entries(DOMAIN)[0].entry_id
    api = await llm_api(hass, entry_id)
    tool: Any = await api.async_call_tool(llm.ToolInput(tool_name="review_queue", tool_args={}))
    assert tool.data["items"][0]["candidates"] == [
        {"title": "Halloween", "year": 2007, "tmdb_id": HALLOWEEN_2007, "source": "videodrome"},
        {"title": "Halloween", "year": 2018, "tmdb_id": HALLOWEEN_2018, "source": "plex"},
    ]

    approved: Any = await hass.services.async_call(
        DOMAIN, "approve", {"item_id": waiting["item_id"]}, blocking=True, return_response=True
    )
    assert (approved["status"], approved["plex_status"]) == ("ingested", "plex_corrected")
    assert approved["destination"] == destination
    assert approved["item_id"] == waiting["item_id"]
    assert _plex_item(plex_emulator, destination).year == 2007
    await settle(hass)
    assert hass.states.get("sensor.videodrome_demo_review_queue").state == "0"  # type: ignore[union-attr]


async def test_rejecting_a_mismatch_keeps_plex_s_match(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    tmp_path: Path,
) -> None:
    """Reject: the file stays filed and Plex keeps its title."""
    await _setup(hass, make_ingest_entry, **{CONF_MATCH_FIX: "review"})
    result = await _ingest(hass, tmp_path, "Halloween.2007.1080p.BluRay.x264.mkv")
    rejected: Any = await hass.services.async_call(
        DOMAIN, "reject", {"item_id": result["item_id"]}, blocking=True, return_response=True
    )
    assert (rejected["status"], rejected["plex_status"]) == ("ingested", "plex_mismatch")
    assert _plex_item(plex_emulator, result["destination"]).year == 2018


async def test_off_only_reports(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    tmp_path: Path,
) -> None:
    """Report only: filed, recorded as matched to another title, nothing asked of Plex."""
    await _setup(hass, make_ingest_entry, **{CONF_MATCH_FIX: "off"})
    result = await _ingest(hass, tmp_path, "Halloween.2007.1080p.BluRay.x264.mkv")
    assert result["status"] == "ingested"
    last = hass.states.get(LAST_INGEST)
    assert last is not None
    assert last.attributes["plex_status"] == "plex_mismatch"
    assert not [r for r in plex_emulator.requests if r.path.endswith("/match")]


async def test_the_poster_entity_shows_the_last_ingest(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
) -> None:
    """The image entity serves the last ingested title's TMDb poster through the image proxy."""
    await _setup(hass, make_ingest_entry, **{CONF_MATCH_FIX: "off"})
    state = hass.states.get(POSTER)
    assert state is not None
    assert state.state == STATE_UNKNOWN  # nothing ingested yet
    client = await hass_client()

    await _ingest(hass, tmp_path, "Titanic.1997.1080p.BluRay.x264-GRP.mkv")
    first = hass.states.get(POSTER)
    assert first is not None
    assert first.state != STATE_UNKNOWN
    response = await client.get(f"/api/image_proxy/{POSTER}")
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    titanic = await response.read()
    assert titanic.startswith(JPEG)

    await _ingest(hass, tmp_path, "Avatar.2009.1080p.BluRay.x264-GRP.mkv")
    second = hass.states.get(POSTER)
    assert second is not None
    assert second.state > first.state  # image_last_updated moved on
    response = await client.get(f"/api/image_proxy/{POSTER}")
    assert response.status == 200
    avatar = await response.read()
    assert avatar.startswith(JPEG)
    assert avatar != titanic  # another title, another poster


async def test_the_poster_follows_files_leaving_and_joining_the_library_s_last(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
) -> None:
    """A file Plex disagrees about goes to review: the poster stays the previous title's
    until the file is settled; a file waiting for review changes nothing."""
    await _setup(hass, make_ingest_entry, **{CONF_MATCH_FIX: "review"})
    client = await hass_client()
    await _ingest(hass, tmp_path, "Titanic.1997.1080p.BluRay.x264-GRP.mkv")
    titanic = hass.states.get(POSTER)
    assert titanic is not None
    titanic_image = await (await client.get(f"/api/image_proxy/{POSTER}")).read()

    assert (await _ingest(hass, tmp_path, "Dune.mkv"))["status"] == "review"  # ambiguous
    halloween = await _ingest(hass, tmp_path, "Halloween.2007.1080p.BluRay.x264.mkv")
    assert halloween["status"] == "review"
    assert hass.states.get(POSTER).state == titanic.state  # type: ignore[union-attr]
    assert await (await client.get(f"/api/image_proxy/{POSTER}")).read() == titanic_image

    await hass.services.async_call(
        DOMAIN, "reject", {"item_id": halloween["item_id"]}, blocking=True, return_response=True
    )
    await settle(hass)
    assert hass.states.get(POSTER).state > titanic.state  # type: ignore[union-attr]
    response = await client.get(f"/api/image_proxy/{POSTER}")
    assert response.status == 200
    assert (await response.read()) not in {titanic_image, b""}


async def test_posters_uploaded_to_plex_when_it_has_none(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    tmdb: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Upload on: Plex gets TMDb's poster for a title it found none for; not for the others."""
    plex_emulator.library.without_posters.add(597)  # Titanic
    await _setup(hass, make_ingest_entry, **{CONF_MATCH_FIX: "off", CONF_UPLOAD_POSTERS: True})
    titanic = await _ingest(hass, tmp_path, "Titanic.1997.1080p.BluRay.x264-GRP.mkv")
    await _ingest(hass, tmp_path, "Avatar.2009.1080p.BluRay.x264-GRP.mkv")
    uploads = [r.query["url"] for r in plex_emulator.requests if r.path.endswith("/posters")]
    assert len(uploads) == 1
    assert uploads[0].startswith(tmdb.image_url)
    item = _plex_item(plex_emulator, titanic["destination"])
    assert item.poster == uploads[0]
    assert plex_emulator.library.poster_images[item.rating_key].startswith(JPEG)
