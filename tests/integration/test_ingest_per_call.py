"""What one call may ask of ingest: its own threshold, filing with auto-ingest off, whole folders
for `plan` and `identify`, and `approve` / `reject` by the queued file's path.

Real files, the Plex and TMDb emulators, calls through Home Assistant's service registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import ServiceValidationError, Unauthorized
import probatio as vol
import pytest

from custom_components.videodrome.services import ingest as ingest_services
from tests.permissions import absolute_paths, store_rows, tree
from tests.services import call_action, drop_file

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

    from tests.emulators.tmdb import TMDbEmulator

SURE = "Titanic.1997.1080p.BluRay.x264-GRP.mkv"  # confidence 0.99
NO_YEAR = "Avatar.mkv"  # 0.87: filed at the default 0.85, not at 0.95
AUTO_INGEST = "switch.videodrome_demo_auto_ingest"


def _by_file(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {result["path"].rsplit("/", 1)[-1]: result for result in results}


async def test_a_call_s_threshold_decides_that_call(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, media_root: Path
) -> None:
    """At 0.95 only the file with a year is sure enough; the entry's 0.85 is left as it was."""
    folder = drop_file(tmp_path, f"batch/{SURE}").parent
    drop_file(tmp_path, f"batch/{NO_YEAR}")
    planned = _by_file((await call_action(hass, "plan", path=str(folder)))["results"])
    assert {name: p["action"] for name, p in planned.items()} == {
        SURE: "transfer",
        NO_YEAR: "transfer",
    }
    strict = _by_file(
        (await call_action(hass, "plan", path=str(folder), threshold=0.95))["results"]
    )
    assert strict[SURE]["action"] == "transfer"
    assert strict[NO_YEAR]["action"] == "review"
    assert "below_auto_threshold" in strict[NO_YEAR]["reasons"]
    filed = _by_file(
        (await call_action(hass, "ingest", path=str(folder), threshold=0.95))["results"]
    )
    assert (filed[SURE]["status"], filed[NO_YEAR]["status"]) == ("ingested", "review")
    assert (media_root / "Movies" / "Titanic (1997) {tmdb-597}").is_dir()
    assert not list((media_root / "Movies").glob("Avatar*"))
    queue = hass.states.get("sensor.videodrome_demo_review_queue")
    assert queue is not None
    assert queue.state == "1"


@pytest.mark.parametrize("threshold", [0.49, 1.01, "high"])
async def test_a_threshold_outside_one_half_to_one_is_refused(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, threshold: object
) -> None:
    source = drop_file(tmp_path, SURE)
    for service in ("ingest", "plan"):
        with pytest.raises(vol.Invalid):
            await call_action(hass, service, path=str(source), threshold=threshold)
    assert (await call_action(hass, "history"))["items"] == []


async def test_auto_files_sure_files_while_the_switch_is_off(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, media_root: Path
) -> None:
    """Switch off: a call waits for review like the watcher, unless it says `auto: true`;
    `auto: false` holds back even with the switch on."""
    await hass.services.async_call("switch", "turn_off", {"entity_id": AUTO_INGEST}, blocking=True)
    held = (await call_action(hass, "ingest", path=str(drop_file(tmp_path, SURE))))["results"][0]
    assert held["status"] == "review"
    assert "auto_ingest_off" in held["reasons"]
    planned = (await call_action(hass, "plan", path=str(drop_file(tmp_path, "Heat.1995.mkv"))))[
        "results"
    ]
    assert planned[0]["action"] == "review"
    assert (
        await call_action(hass, "plan", path=str(tmp_path / "ingest" / "Heat.1995.mkv"), auto=True)
    )["results"][0]["action"] == "review", (
        "Heat is in the library already: review whatever `auto` says"
    )
    filed = await call_action(
        hass, "ingest", path=str(drop_file(tmp_path, "Joker.2019.mkv")), auto=True
    )
    assert filed["results"][0]["status"] == "ingested"
    assert (media_root / "Movies" / "Joker (2019) {tmdb-475557}").is_dir()
    await hass.services.async_call("switch", "turn_on", {"entity_id": AUTO_INGEST}, blocking=True)
    kept = await call_action(
        hass, "ingest", path=str(drop_file(tmp_path, "Aliens.1986.mkv")), auto=False
    )
    assert kept["results"][0]["status"] == "review"
    assert "auto_ingest_off" in kept["results"][0]["reasons"]


async def test_identify_and_plan_answer_for_every_video_of_a_folder(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Each video inside, subfolders included; nothing is filed or recorded."""
    folder = drop_file(tmp_path, f"downloads/{SURE}").parent
    drop_file(tmp_path, f"downloads/{NO_YEAR}")
    drop_file(tmp_path, "downloads/Breaking.Bad.S04/Breaking.Bad.S04E01.720p.mkv")
    drop_file(tmp_path, "downloads/readme.txt")
    identified = await call_action(hass, "identify", path=str(folder))
    found = _by_file(identified["results"])
    assert set(found) == {SURE, NO_YEAR, "Breaking.Bad.S04E01.720p.mkv"}
    assert found[SURE]["tmdb_id"] == 597
    assert found["Breaking.Bad.S04E01.720p.mkv"]["tvdb_id"] == 81189
    assert "action" not in found[SURE], "identify says what a video is, not what ingest does"
    planned = _by_file((await call_action(hass, "plan", path=str(folder)))["results"])
    assert set(planned) == set(found)
    assert {p["action"] for p in planned.values()} == {"transfer"}
    assert (await call_action(hass, "history"))["items"] == []


async def test_a_folder_of_more_than_500_videos_is_refused_before_any_is_read(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmdb: TMDbEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "ingest" / "huge"
    folder.mkdir(parents=True)
    for n in range(ingest_services.MAX_VIDEOS + 1):
        (folder / f"Clip.{n:03d}.mkv").write_bytes(b"x")
    asked = len(tmdb.requests)
    for service in ("identify", "plan"):
        with pytest.raises(ServiceValidationError) as refused:
            await call_action(hass, service, path=str(folder))
        assert refused.value.translation_key == "too_many_videos"
        assert str(refused.value) == (
            f"{folder} holds 501 videos; at most 500 are answered at once. Name a folder inside it"
        )
    assert len(tmdb.requests) == asked, "TMDb was not asked about any of them"


async def test_a_folder_of_exactly_the_bound_is_answered(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bound itself is allowed (with a bound of 2 here, so that the test stays short)."""
    monkeypatch.setattr(ingest_services, "MAX_VIDEOS", 2)
    folder = drop_file(tmp_path, f"two/{SURE}").parent
    drop_file(tmp_path, f"two/{NO_YEAR}")
    assert len((await call_action(hass, "identify", path=str(folder)))["results"]) == 2
    assert len((await call_action(hass, "plan", path=str(folder)))["results"]) == 2
    drop_file(tmp_path, "two/Heat.1995.mkv")
    with pytest.raises(ServiceValidationError, match="holds 3 videos; at most 2"):
        await call_action(hass, "plan", path=str(folder))


async def test_a_folder_s_answers_reach_other_users_without_paths(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    hass_read_only_user: MockUser,
    tmp_path: Path,
    media_root: Path,
) -> None:
    folder = drop_file(tmp_path, f"downloads/{SURE}").parent
    user = hass_read_only_user
    for service in ("identify", "plan"):
        answer = await call_action(hass, service, user, path=str(folder))
        assert answer["results"]
        assert absolute_paths(answer, [tmp_path, media_root]) == [], service
    (identified,) = (await call_action(hass, "identify", user, path=str(folder)))["results"]
    assert identified["path"] == f"downloads/{SURE}"


async def test_approve_and_reject_by_the_queued_file_s_path(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, media_root: Path
) -> None:
    dune = drop_file(tmp_path, "Dune.mkv")
    thing = drop_file(tmp_path, "other/The.Thing.mkv")
    for source in (dune, thing):
        (queued,) = (await call_action(hass, "ingest", path=str(source)))["results"]
        assert queued["status"] == "review"
    approved = await call_action(hass, "approve", path=str(dune), tmdb_id=841)
    assert approved["status"] == "ingested"
    assert (media_root / "Movies" / "Dune (1984) {tmdb-841}" / "Dune (1984).mkv").exists()
    rejected = await call_action(hass, "reject", path=str(thing))
    assert (rejected["status"], rejected["source"]) == ("rejected", str(thing))
    assert thing.exists()
    # Neither waits for review any more.
    for service, source in (("approve", dune), ("reject", thing)):
        with pytest.raises(ServiceValidationError) as refused:
            await call_action(hass, service, path=str(source))
        assert refused.value.translation_key == "path_not_queued"
        assert str(refused.value) == f"Nothing from {source} waits in the review queue"


async def test_a_path_through_a_linked_ingest_folder_finds_the_item(
    hass: HomeAssistant,
    make_ingest_entry: Any,
    tmp_path: Path,
) -> None:
    """The store has the path as the call that queued it named it; the resolved one finds it."""
    real = tmp_path / "downloads"
    real.mkdir()
    (tmp_path / "linked").symlink_to(real)
    entry = make_ingest_entry(ingest_folders=[str(tmp_path / "linked")])
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    (real / "Dune.mkv").write_bytes(b"video")
    await call_action(hass, "ingest", path=str(tmp_path / "linked" / "Dune.mkv"))
    rejected = await call_action(hass, "reject", path=str(tmp_path / "linked" / "Dune.mkv"))
    assert rejected["status"] == "rejected"


async def test_approve_and_reject_name_one_item_one_way(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    dune = drop_file(tmp_path, "Dune.mkv")
    (queued,) = (await call_action(hass, "ingest", path=str(dune)))["results"]
    for service in ("approve", "reject"):
        with pytest.raises(vol.Invalid):
            await call_action(hass, service, item_id=queued["item_id"], path=str(dune))
        with pytest.raises(ServiceValidationError) as refused:
            await call_action(hass, service)
        assert refused.value.translation_key == "item_or_path_required"
        with pytest.raises(ServiceValidationError) as refused:
            await call_action(hass, service, path=str(tmp_path / "elsewhere.mkv"))
        assert refused.value.translation_key == "path_not_found"
    history = await call_action(hass, "history")
    assert [item["status"] for item in history["items"]] == ["review"]


async def test_other_users_cannot_approve_or_reject_by_path(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    hass_read_only_user: MockUser,
    tmp_path: Path,
    media_root: Path,
) -> None:
    dune = drop_file(tmp_path, "Dune.mkv")
    await call_action(hass, "ingest", path=str(dune))
    runtime = ingest_entry.runtime_data.ingest
    assert runtime is not None
    user = hass_read_only_user
    files = await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root)
    rows = await hass.async_add_executor_job(store_rows, runtime.store)
    for service in ("approve", "reject"):
        with pytest.raises(Unauthorized):
            await call_action(hass, service, user, path=str(dune))
    assert await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root) == files
    assert await hass.async_add_executor_job(store_rows, runtime.store) == rows
