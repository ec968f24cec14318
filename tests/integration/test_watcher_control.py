"""Controlling the folder watcher from Home Assistant: the switch "Watch ingest folders", the
button "Look through the ingest folders now", `videodrome.rescan`, and the watcher's sensor.

Real files, inotify or rescans, the Plex and TMDb emulators; time moved forward.
"""

from __future__ import annotations

from datetime import timedelta
import errno
from typing import TYPE_CHECKING, Any

from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.engine.ingest.watcher import FileState
from custom_components.videodrome.runtime.watcher import (
    CONF_NETWORK_SHARE,
    CONF_RESCAN_INTERVAL,
    CONF_STABILITY,
    CONF_WATCHING,
)
from tests.entities import settle
from tests.frozen_clock import advance, real_pause
from tests.permissions import absolute_paths, context_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

    from tests.emulators.tmdb import TMDbEmulator

STABILITY = 10
WATCHING = "switch.videodrome_demo_watch_ingest_folders"
RESCAN = "button.videodrome_demo_look_through_the_ingest_folders_now"
SENSOR = "sensor.videodrome_demo_watcher"


async def _setup(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry], **options: Any
) -> MockConfigEntry:
    entry = make_ingest_entry(**{CONF_STABILITY: STABILITY, **options})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _history(hass: HomeAssistant) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "history", {}, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def _wait_for_items(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, count: int
) -> dict[str, Any]:
    """Poll the history until `count` items rest (the worker runs in the background)."""
    for _ in range(600):
        history = await _history(hass)
        items = history["items"]
        if len(items) >= count and all(i["status"] != "transferring" for i in items):
            return history
        await real_pause(hass, 0.02)
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    return await _history(hass)


async def _switch(hass: HomeAssistant, on: bool, user: Any = None) -> None:
    await hass.services.async_call(
        "switch",
        "turn_on" if on else "turn_off",
        {"entity_id": WATCHING},
        blocking=True,
        context=context_of(user),
    )
    await hass.async_block_till_done()


def _state(hass: HomeAssistant, entity_id: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


async def test_switched_off_nothing_is_noticed_until_switched_on(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    media_root: Path,
) -> None:
    entry = await _setup(hass, make_ingest_entry)
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    assert _state(hass, WATCHING).state == "on"
    assert _state(hass, SENSOR).state == "inotify"
    await _switch(hass, False)
    assert _state(hass, WATCHING).state == "off"
    assert _state(hass, SENSOR).state == "stopped"
    assert not runtime.watcher.inotify_active, "the inotify thread is stopped"
    assert entry.options[CONF_WATCHING] is False
    video = tmp_path / "ingest" / "Titanic.1997.1080p.mkv"
    video.write_bytes(b"x" * 100)
    await advance(hass, freezer, 6 * 60 + STABILITY + 10)  # past a rescan and the window
    assert (await _history(hass))["items"] == []
    assert runtime.waiting == 0
    assert _state(hass, SENSOR).attributes["files_settling"] == 0
    await _switch(hass, True)
    assert _state(hass, SENSOR).state == "inotify"
    assert entry.options[CONF_WATCHING] is True
    await advance(hass, freezer, STABILITY + 10)  # the first rescan found it; it settles
    history = await _wait_for_items(hass, freezer, 1)
    assert [item["status"] for item in history["items"]] == ["ingested"]
    assert (media_root / "Movies" / "Titanic (1997) {tmdb-597}").is_dir()


async def test_stopped_stays_stopped_across_a_restart(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Kept in the entry's options: the reloaded entry never starts watching."""
    entry = await _setup(hass, make_ingest_entry)
    await _switch(hass, False)
    (tmp_path / "ingest" / "Titanic.1997.mkv").write_bytes(b"x" * 100)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    assert not runtime.running
    assert runtime.watcher.last_rescan is None, "not even the first rescan ran"
    assert _state(hass, WATCHING).state == "off"
    assert _state(hass, SENSOR).state == "stopped"
    await advance(hass, freezer, 6 * 60 + STABILITY + 10)
    assert (await _history(hass))["items"] == []


async def test_saving_the_options_keeps_the_watcher_stopped(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmdb: TMDbEmulator,
) -> None:
    """The options form does not show `watching`; saving it (which reloads) keeps it."""
    entry = await _setup(hass, make_ingest_entry)
    await _switch(hass, False)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    shown = {
        key.schema: key.description["suggested_value"]
        for key in schema.schema
        if key.description and key.schema in entry.options
    }
    changed = {**shown, CONF_STABILITY: STABILITY + 1}
    result = await hass.config_entries.options.async_configure(result["flow_id"], changed)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_STABILITY] == STABILITY + 1
    assert entry.options[CONF_WATCHING] is False
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    assert not runtime.running
    assert _state(hass, WATCHING).state == "off"


async def test_only_administrators_switch_the_watcher(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    hass_read_only_user: MockUser,
) -> None:
    entry = await _setup(hass, make_ingest_entry)
    with pytest.raises(Unauthorized):
        await _switch(hass, False, hass_read_only_user)
    assert _state(hass, WATCHING).state == "on"
    assert CONF_WATCHING not in entry.options
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    assert runtime.running


async def test_the_button_looks_through_the_folders_now(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Rescans every hour only (a network share): the button finds a new file at once."""
    await _setup(hass, make_ingest_entry, **{CONF_NETWORK_SHARE: True, CONF_RESCAN_INTERVAL: 60})
    first_rescan = _state(hass, SENSOR).attributes["last_rescan"]
    assert _state(hass, SENSOR).state == "rescan"
    (tmp_path / "ingest" / "Titanic.1997.mkv").write_bytes(b"x" * 100)
    await advance(hass, freezer, 5 * 60)
    assert _state(hass, SENSOR).attributes["files_settling"] == 0, "no rescan yet"
    await hass.services.async_call("button", "press", {"entity_id": RESCAN}, blocking=True)
    await hass.async_block_till_done()
    await advance(hass, freezer, 1)  # the entities hear of it
    sensor = _state(hass, SENSOR)
    assert sensor.attributes["files_settling"] == 1
    assert sensor.attributes["last_rescan"] != first_rescan
    await advance(hass, freezer, STABILITY + 10)
    history = await _wait_for_items(hass, freezer, 1)
    assert [item["status"] for item in history["items"]] == ["ingested"]


async def test_a_failed_file_gets_another_chance_from_the_button(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    media_root: Path,
) -> None:
    """A transfer that failed (a file where its folder should be) is not looked at again by
    the periodic rescans; after the button, it is."""
    entry = await _setup(
        hass, make_ingest_entry, **{CONF_NETWORK_SHARE: True, CONF_RESCAN_INTERVAL: 1}
    )
    in_the_way = media_root / "Movies" / "Titanic (1997) {tmdb-597}"
    in_the_way.write_bytes(b"not a folder")
    (tmp_path / "ingest" / "Titanic.1997.mkv").write_bytes(b"x" * 100)
    await advance(hass, freezer, 60 + STABILITY + 10)
    history = await _wait_for_items(hass, freezer, 1)
    assert [item["status"] for item in history["items"]] == ["failed"]
    await advance(hass, freezer, 1)  # the sensor hears of it
    last_error = _state(hass, SENSOR).attributes["last_error"]
    assert last_error.startswith("Could not file Titanic.1997.mkv: ")
    assert entry.runtime_data.watcher is not None
    in_the_way.unlink()
    await advance(hass, freezer, 3 * 60)  # three rescans: the file was handed out already
    assert [item["status"] for item in (await _history(hass))["items"]] == ["failed"]
    await hass.services.async_call("button", "press", {"entity_id": RESCAN}, blocking=True)
    await advance(hass, freezer, STABILITY + 10)
    history = await _wait_for_items(hass, freezer, 2)
    assert sorted(item["status"] for item in history["items"]) == ["failed", "ingested"]


async def test_the_button_and_the_action_are_refused_while_stopped(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> None:
    await _setup(hass, make_ingest_entry)
    await _switch(hass, False)
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call("button", "press", {"entity_id": RESCAN}, blocking=True)
    assert refused.value.translation_key == "watcher_stopped"
    with pytest.raises(ServiceValidationError, match='turn on "Watch ingest folders" first'):
        await hass.services.async_call(DOMAIN, "rescan", {}, blocking=True)


async def test_the_rescan_action_answers_what_it_found(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    hass_read_only_user: MockUser,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Every user may ask (it changes nothing by itself); others get no absolute paths."""
    await _setup(hass, make_ingest_entry, **{CONF_NETWORK_SHARE: True, CONF_RESCAN_INTERVAL: 60})
    (tmp_path / "ingest" / "Titanic.1997.mkv").write_bytes(b"x" * 100)
    answer = await hass.services.async_call(
        DOMAIN, "rescan", {}, blocking=True, return_response=True
    )
    assert answer == {
        "folders": [str(tmp_path / "ingest")],
        "files_settling": 1,
        "files_queued": 0,
    }
    theirs = await hass.services.async_call(
        DOMAIN,
        "rescan",
        {},
        blocking=True,
        return_response=True,
        context=context_of(hass_read_only_user),
    )
    assert theirs == {"folders": ["ingest"], "files_settling": 1, "files_queued": 0}
    assert absolute_paths(theirs, [tmp_path]) == []


async def test_without_ingest_there_is_nothing_to_rescan(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(DOMAIN, "rescan", {}, blocking=True)
    assert refused.value.translation_key == "ingest_not_configured"
    assert hass.states.get(RESCAN) is None
    assert hass.states.get(WATCHING) is None


async def test_stopping_mid_file_finishes_that_file_and_forgets_the_queue(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmdb: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """The worker is asking TMDb about one file and another is queued: switched off, the
    first is filed, the second waits until watching starts again."""
    entry = await _setup(hass, make_ingest_entry)
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    tmdb.faults.latency = 1.0
    (tmp_path / "ingest" / "Titanic.1997.mkv").write_bytes(b"x" * 100)
    (tmp_path / "ingest" / "Avatar.2009.mkv").write_bytes(b"x" * 100)
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    for _ in range(200):  # until the worker is waiting for TMDb's answer
        if tmdb.requests:
            break
        await real_pause(hass, 0.02)
        await advance(hass, freezer, 1)
    assert tmdb.requests
    assert runtime.queue.qsize() == 1
    await _switch(hass, False)
    assert runtime.queue.qsize() == 0
    tmdb.faults.latency = 0
    history = await _wait_for_items(hass, freezer, 1)
    assert len(history["items"]) == 1, "the file being ingested was finished"
    await advance(hass, freezer, 6 * 60 + STABILITY)
    assert len((await _history(hass))["items"]) == 1, "the queued one was not"
    await _switch(hass, True)
    await advance(hass, freezer, STABILITY + 10)
    history = await _wait_for_items(hass, freezer, 2)
    assert sorted(item["title"] for item in history["items"]) == ["Avatar", "Titanic"]


async def test_switching_to_the_state_it_has_changes_nothing(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> None:
    """On while on: the same observer, timers and worker; off twice: one options write."""
    entry = await _setup(hass, make_ingest_entry)
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    worker = runtime._worker
    await _switch(hass, True)
    assert runtime._worker is worker
    assert CONF_WATCHING not in entry.options, "nothing to keep: it watches, as by default"
    await _switch(hass, False)
    options = entry.options
    await _switch(hass, False)
    assert entry.options is options
    assert _state(hass, SENSOR).state == "stopped"


async def test_a_folder_that_cannot_be_watched_keeps_it_stopped_and_says_why(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = await _setup(hass, make_ingest_entry)
    await _switch(hass, False)

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("watchdog.observers.api.BaseObserver.schedule", refused)
    with pytest.raises(HomeAssistantError) as failed:
        await _switch(hass, True)
    assert failed.value.translation_key == "watch_failed"
    assert failed.value.translation_placeholders == {"error": "[Errno 13] Permission denied"}
    assert _state(hass, WATCHING).state == "off"
    await settle(hass)  # the watcher's entities hear of it (at most once a second)
    sensor = _state(hass, SENSOR)
    assert sensor.state == "stopped"
    assert sensor.attributes["last_error"] == (
        "Could not watch the ingest folders: [Errno 13] Permission denied"
    )
    assert entry.options[CONF_WATCHING] is False


async def test_a_file_a_check_hands_out_after_the_stop_is_not_queued(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry], tmp_path: Path
) -> None:
    """A check still running when the watcher stops may finish with a ready file: it is not
    queued, and the next start hands it out again."""
    entry = await _setup(hass, make_ingest_entry)
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    video = tmp_path / "ingest" / "Titanic.1997.mkv"
    video.write_bytes(b"x" * 100)
    await _switch(hass, False)
    info = video.stat()
    runtime.on_ready(FileState(video, info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev))
    assert runtime.queue.empty()
    assert runtime.waiting == 0


async def test_a_file_the_worker_cannot_ingest_is_the_last_error(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """A symbolic link dropped into the ingest folder is refused (links are not followed)."""
    entry = await _setup(hass, make_ingest_entry)
    target = tmp_path / "elsewhere.mkv"
    target.write_bytes(b"x" * 100)
    (tmp_path / "ingest" / "Titanic.1997.mkv").symlink_to(target)
    await real_pause(hass, 0.2)
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    for _ in range(100):
        await advance(hass, freezer, STABILITY)
        if runtime.last_error is not None:
            break
    await advance(hass, freezer, 1)
    assert _state(hass, SENSOR).attributes["last_error"] == (
        f"Could not ingest Titanic.1997.mkv: {tmp_path / 'ingest' / 'Titanic.1997.mkv'} is a "
        "symbolic link; links are not followed"
    )
    assert (await _history(hass))["items"] == []
