"""`videodrome.refresh_metadata` through Home Assistant: Plex refreshes one item, the action waits
for Plex's notifications and answers what the item now is.

The Plex emulator refreshes an item from its catalogue and says so on its websocket as Plex
does (tests/emulators/plex_refresh.py); the item is named by Plex's key, a history item or a
file in the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import ServiceValidationError, Unauthorized
import probatio as vol
import pytest

from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.services import metadata as metadata_services
from tests.entities import settle
from tests.permissions import context_of
from tests.polling import until

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.auth.models import User
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item

TITANIC = "Titanic.1997.1080p.BluRay.x264-GRP.mkv"


async def _call(hass: HomeAssistant, user: User | None = None, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "refresh_metadata",
        data,
        blocking=True,
        return_response=True,
        context=context_of(user),
    )
    assert response is not None
    return dict(response)


@pytest.fixture
async def listening(hass: HomeAssistant, ingest_entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, once it follows Plex's notifications and its library index is loaded."""
    data = ingest_entry.runtime_data
    await until(
        lambda: data.coordinator.listener is not None and data.coordinator.listener.connected
    )
    await until(lambda: data.library.index.loaded)
    return ingest_entry


async def _ingest(hass: HomeAssistant, path: Path) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(path)}, blocking=True, return_response=True
    )
    assert response is not None
    results: list[dict[str, Any]] = response["results"]  # type: ignore[assignment]
    (result,) = results
    return result


def _item(plex: PlexEmulator, kind: str, title: str) -> Item:
    return next(i for i in plex.library.items.values() if i.type == kind and i.title == title)


def _refreshes(plex: PlexEmulator) -> list[str]:
    return [r.path for r in plex.requests if r.method == "PUT" and r.path.endswith("/refresh")]


async def test_by_rating_key_a_stale_title_comes_back(
    hass: HomeAssistant, listening: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    heat = _item(plex_emulator, "movie", "Heat")
    heat.title, heat.year = "Heat (stale)", 1994
    answer = await _call(hass, rating_key=heat.rating_key)
    assert answer == {
        "rating_key": heat.rating_key,
        "type": "movie",
        "title": "Heat",
        "year": 1995,
        "guid": heat.guid,
        "ids": heat.guids,
        "show": None,
        "finished": True,
    }
    assert _refreshes(plex_emulator) == [f"/library/metadata/{heat.rating_key}/refresh"]


async def test_by_history_item_and_by_the_filed_file(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    plex_emulator: PlexEmulator,
    tmp_path: Path,
) -> None:
    """A file Videodrome filed: by its history item, or by its path in the library."""
    source = tmp_path / "ingest" / TITANIC
    source.write_bytes(b"video")
    filed = await _ingest(hass, source)
    assert filed["status"] == "ingested"
    titanic = _item(plex_emulator, "movie", "Titanic")
    by_item = await _call(hass, item_id=filed["item_id"])
    assert (by_item["rating_key"], by_item["title"], by_item["year"]) == (
        titanic.rating_key,
        "Titanic",
        1997,
    )
    by_path = await _call(hass, path=filed["destination"])
    assert by_path == by_item
    assert len(_refreshes(plex_emulator)) == 2


async def test_a_file_plex_has_that_videodrome_did_not_file(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
) -> None:
    """Not in the history: the library index knows the file (an episode, a movie)."""
    pilot = _item(plex_emulator, "episode", "Pilot")
    pilot.title = "Episode 1"
    ((file, _size),) = pilot.files
    answer = await _call(hass, path=file)
    assert file.startswith(str(media_root / "TV Shows"))
    assert (answer["rating_key"], answer["type"]) == (pilot.rating_key, "episode")
    assert (answer["title"], answer["show"], answer["finished"]) == ("Pilot", "Breaking Bad", True)
    heat = _item(plex_emulator, "movie", "Heat")
    ((file, _size),) = heat.files
    assert (await _call(hass, path=file))["rating_key"] == heat.rating_key


async def test_what_cannot_be_refreshed_is_explained(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    queued = tmp_path / "ingest" / "Dune.mkv"
    queued.write_bytes(b"video")
    review_id = (await _ingest(hass, queued))["item_id"]
    not_in_plex = media_root / "Movies" / "Nobody Scanned This (2020).mkv"
    not_in_plex.write_bytes(b"video")
    outside = tmp_path / "outside.mkv"
    outside.write_bytes(b"video")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"rating_key": 987654}, "plex_item_not_found", "Plex has no item 987654"),
        ({"item_id": 424242}, "item_not_found", "There is no history item 424242"),
        (
            {"item_id": review_id},
            "item_not_in_plex",
            f"History item {review_id} has no Plex item",
        ),
        ({"path": str(not_in_plex)}, "path_not_in_plex", f"Plex has no item for {not_in_plex}"),
        ({"path": str(outside)}, "path_outside_library", f"{outside} is not inside"),
        ({}, "refresh_target_required", "Give the file's path"),
    ]
    for data, key, message in cases:
        with pytest.raises(ServiceValidationError) as refused:
            await _call(hass, **data)
        assert refused.value.translation_key == key, data
        assert str(refused.value).startswith(message), str(refused.value)
    with pytest.raises(vol.Invalid):
        await _call(hass, rating_key=1, item_id=review_id)
    assert _refreshes(plex_emulator) == [], "nothing was asked of Plex"


async def test_plex_failing_is_an_error_of_the_action(
    hass: HomeAssistant, listening: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    heat = _item(plex_emulator, "movie", "Heat")
    plex_emulator.faults.fail_prefix = f"/library/metadata/{heat.rating_key}/refresh"
    plex_emulator.faults.fail_next = 1
    with pytest.raises(Exception, match="Plex could not refresh the item") as failed:
        await _call(hass, rating_key=heat.rating_key)
    assert not isinstance(failed.value, ServiceValidationError)


async def test_without_notifications_the_answer_says_it_is_not_known_to_be_finished(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    plex_emulator: PlexEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Plex's websocket is down: after a short wait, what Plex has, `finished: false`."""
    monkeypatch.setattr(metadata_services, "WAIT_WITHOUT_NOTIFICATIONS", 0.3)
    coordinator = listening.runtime_data.coordinator
    plex_emulator.faults.refuse_websockets = 1000
    await plex_emulator.drop_websockets()
    await until(lambda: coordinator.listener is not None and not coordinator.listener.connected)
    heat = _item(plex_emulator, "movie", "Heat")
    answer = await _call(hass, rating_key=heat.rating_key)
    assert (answer["title"], answer["finished"]) == ("Heat", False)
    plex_emulator.faults.refuse_websockets = 0


async def test_other_users_are_refused_and_plex_is_not_asked(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    hass_read_only_user: MockUser,
    plex_emulator: PlexEmulator,
) -> None:
    heat = _item(plex_emulator, "movie", "Heat")
    with pytest.raises(Unauthorized):
        await _call(hass, hass_read_only_user, rating_key=heat.rating_key)
    await settle(hass)
    assert _refreshes(plex_emulator) == []
