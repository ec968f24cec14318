"""The folder watcher in Home Assistant: real files, inotify or rescans, time moved forward."""

from __future__ import annotations

from datetime import timedelta
import errno
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.videodrome.const import (
    DOMAIN,
)
from custom_components.videodrome.runtime.watcher import (
    CONF_AUTO_INGEST,
    CONF_NETWORK_SHARE,
    CONF_RESCAN_INTERVAL,
    CONF_STABILITY,
    UPDATE_COOLDOWN,
    signal_watcher,
)
from tests.frozen_clock import advance, real_pause, second_by_second
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from tests.emulators.tmdb import TMDbEmulator


STABILITY = 10
TOTAL = 1000


@pytest.fixture
def make_entry(
    make_ingest_entry: Callable[..., MockConfigEntry],
) -> Callable[..., MockConfigEntry]:
    """An entry with ingest and the watcher (a short stability window; options overridable)."""
    return lambda **options: make_ingest_entry(**{CONF_STABILITY: STABILITY, **options})


@pytest.fixture
async def cleanup(hass: HomeAssistant) -> AsyncIterator[list[MockConfigEntry]]:
    """Entries to unload before the emulators stop."""
    entries: list[MockConfigEntry] = []
    yield entries
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _setup(
    hass: HomeAssistant, entry: MockConfigEntry, cleanup: list[MockConfigEntry]
) -> None:
    cleanup.append(entry)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _history(hass: HomeAssistant) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "history", {}, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _settled(history: dict[str, Any]) -> bool:
    """Every item has reached a resting state."""
    items = history["items"]
    return bool(items) and all(i["status"] not in {"transferring", "pending"} for i in items)


async def _wait_for(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    check: Callable[[dict[str, Any]], bool],
    timeout: float = 45,
) -> dict[str, Any]:
    """Poll the history until `check` holds (the worker runs in the background).

    Time moves one second per round, so the worker's waits (Plex's scan) can end; `timeout`
    is real time.
    """
    return await until(
        lambda: _history(hass),
        check,
        between=second_by_second(hass, freezer, pause=0.02),
        interval=0,
        timeout=timeout,
    )


def _waiting(hass: HomeAssistant) -> str | None:
    """The state of the files-waiting sensor."""
    waiting = hass.states.get("sensor.videodrome_demo_files_waiting")
    return None if waiting is None else waiting.state


async def test_a_file_being_written_waits_until_it_is_stable(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    media_root: Path,
) -> None:
    """Written in chunks: nothing happens until size and time stop changing."""
    await _setup(hass, make_entry(), cleanup)
    running = hass.states.get("sensor.videodrome_demo_watcher")
    assert running is not None
    assert running.state == "inotify"
    video = tmp_path / "ingest" / "Titanic.1997.1080p.mkv"
    with video.open("wb") as file:
        for _ in range(3):
            file.write(b"x" * 1000)
            file.flush()
            await real_pause(hass, 0.2)
            await advance(hass, freezer, STABILITY - 5)
            assert (await _history(hass))["items"] == []

    async def check_soon() -> None:  # a check every 5 s, well inside the 10 s window
        await real_pause(hass, 0.02)
        await advance(hass, freezer, 1)

    # The last inotify event may still be on its way from its thread.
    await until(
        lambda: _waiting(hass), lambda s: s == "1", between=check_soon, interval=0, timeout=20
    )
    await advance(hass, freezer, STABILITY + 10)
    history = await _wait_for(hass, freezer, _settled)
    (item,) = history["items"]
    assert item["status"] == "ingested"
    assert (
        media_root / "Movies" / "Titanic (1997) {tmdb-597}" / "Titanic (1997) - 1080p.mkv"
    ).exists()


async def test_a_partial_download_renamed_is_picked_up(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """`.part` is ignored; the same file renamed to `.mkv` is ingested."""
    await _setup(hass, make_entry(), cleanup)
    partial = tmp_path / "ingest" / "Titanic.1997.mkv.part"
    partial.write_bytes(b"x" * 100)
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    assert (await _history(hass))["items"] == []
    partial.rename(tmp_path / "ingest" / "Titanic.1997.mkv")
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    history = await _wait_for(hass, freezer, _settled)
    assert [i["status"] for i in history["items"]] == ["ingested"]


async def test_network_share_mode_uses_rescans_only(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """No inotify: the next rescan finds the file."""
    await _setup(hass, make_entry(**{CONF_NETWORK_SHARE: True, CONF_RESCAN_INTERVAL: 1}), cleanup)
    running = hass.states.get("sensor.videodrome_demo_watcher")
    assert running is not None
    assert running.state == "rescan"
    assert running.attributes["rescan_interval"] == 60
    (tmp_path / "ingest" / "Titanic.1997.mkv").write_bytes(b"x" * 100)
    await advance(hass, freezer, 30)
    assert (await _history(hass))["items"] == []
    await advance(hass, freezer, 60 + STABILITY + 10)
    history = await _wait_for(hass, freezer, _settled)
    assert [i["status"] for i in history["items"]] == ["ingested"]


async def test_a_restart_does_not_ingest_again(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Files already handled (they stay in the ingest folder) are not handled twice."""
    video = tmp_path / "ingest" / "Titanic.1997.mkv"
    video.write_bytes(b"x" * 100)
    entry = make_entry()
    await _setup(hass, entry, cleanup)  # the first rescan finds it
    await advance(hass, freezer, STABILITY + 10)
    await _wait_for(hass, freezer, _settled)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, STABILITY + 10)
    await real_pause(hass, 0.2)
    history = await _history(hass)
    assert history["counts"]["ingested"] == 1
    assert len(history["items"]) == 1


async def test_the_switch_sends_everything_to_review(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Auto-ingest off: even a sure file waits for review; on again: files are filed."""
    await _setup(hass, make_entry(), cleanup)
    switch = "switch.videodrome_demo_auto_ingest"
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    state = hass.states.get(switch)
    assert state is not None
    assert state.state == "off"
    (tmp_path / "ingest" / "Titanic.1997.mkv").write_bytes(b"x" * 100)
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    history = await _wait_for(hass, freezer, _settled)
    (item,) = history["items"]
    assert item["status"] == "review"
    assert "auto_ingest_off" in item["reasons"]
    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    (tmp_path / "ingest" / "Avatar.2009.mkv").write_bytes(b"y" * 100)
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    history = await _wait_for(hass, freezer, lambda h: h["counts"]["ingested"] == 1)
    assert history["counts"]["ingested"] == 1


async def test_the_switch_state_survives_a_restart(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
) -> None:
    """The option is the default; the switch's last state wins after a reload."""
    entry = make_entry(**{CONF_AUTO_INGEST: False})
    await _setup(hass, entry, cleanup)
    switch = "switch.videodrome_demo_auto_ingest"
    state = hass.states.get(switch)
    assert state is not None
    assert state.state == "off"
    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(switch)
    assert state is not None
    assert state.state == "on"


@pytest.mark.timeout(300)  # ~30 s alone; several times that on a machine busy with other tests
async def test_a_thousand_files_at_once(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """1,000 files dropped at once: every one is accounted for, none lost."""
    await _setup(hass, make_entry(**{CONF_AUTO_INGEST: False}), cleanup)
    titles = ["Titanic.1997", "Avatar.2009", "Joker.2019", "Gladiator.2000", "Aliens.1986"]
    for n in range(TOTAL):
        folder = tmp_path / "ingest" / f"batch{n // 100}"
        folder.mkdir(exist_ok=True)
        (folder / f"{titles[n % len(titles)]}.1080p.BluRay.x264-GRP{n}.mkv").write_bytes(b"x")
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    history = await _wait_for(
        hass, freezer, lambda h: sum(h["counts"].values()) == TOTAL, timeout=240
    )
    counts = history["counts"]
    assert sum(counts.values()) == TOTAL, counts
    assert counts["review"] + counts["skipped"] == TOTAL
    # The worker marks its last file done just after storing it: give the sensor that moment
    # (the entities hear of changes once a second).
    await until(
        lambda: _waiting(hass),
        lambda s: s == "0",
        between=second_by_second(hass, freezer, pause=0.02),
        interval=0,
        timeout=30,
    )


async def test_out_of_inotify_watches_falls_back_and_raises_a_repair(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ENOSPC from inotify: rescans keep working, and a repair issue explains the limit."""

    def out_of_watches(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr("watchdog.observers.api.BaseObserver.schedule", out_of_watches)
    entry = make_entry()
    await _setup(hass, entry, cleanup)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"inotify_watch_limit_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "inotify_watch_limit"
    running = hass.states.get("sensor.videodrome_demo_watcher")
    assert running is not None
    assert running.state == "rescan"
    assert running.attributes["last_error"] == (
        "Change notifications unavailable (inotify watch limit reached): rescans only"
    )


async def test_a_rejected_tmdb_key_raises_a_repair(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmdb: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """The worker meets a rejected key: a repair issue, and the file is not marked handled."""
    entry = make_entry()
    await _setup(hass, entry, cleanup)
    tmdb.rotate_key("rotated")
    (tmp_path / "ingest" / "Titanic.1997.mkv").write_bytes(b"x" * 100)
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    issue_id = f"tmdb_key_rejected_{entry.entry_id}"
    # On a busy machine the inotify event may land after the ticks above: keep time moving
    # (as _wait_for does) so the file can still settle, and give the worker real time.
    await until(
        lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id),
        lambda issue: issue is not None,
        between=second_by_second(hass, freezer, pause=0.02),
        interval=0,
        timeout=30,
    )
    assert (await _history(hass))["items"] == []


async def test_the_watcher_sensor_is_enabled_and_replaces_the_binary_sensor(
    hass: HomeAssistant, make_entry: Callable[..., MockConfigEntry], cleanup: list[MockConfigEntry]
) -> None:
    """A diagnostic, enabled; the former binary sensor (disabled by default, folded into it)
    leaves the entity registry of an installation that had it."""
    entry = make_entry()
    registry = er.async_get(hass)
    old = registry.async_get_or_create(
        "binary_sensor", DOMAIN, f"{entry.unique_id}_watcher_running", config_entry=entry
    )
    await _setup(hass, entry, cleanup)
    assert registry.async_get(old.entity_id) is None
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{entry.unique_id}_watcher")
    assert entity_id is not None
    entity = registry.async_get(entity_id)
    assert entity is not None
    assert entity.disabled_by is None
    assert entity.entity_category is EntityCategory.DIAGNOSTIC
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "inotify"


async def test_a_burst_updates_the_watcher_entities_at_most_once_a_second(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A hundred changes in a row: the entities hear of the first at once and of the rest
    once, a cooldown later (not a hundred state writes for the recorder)."""
    entry = make_entry()
    await _setup(hass, entry, cleanup)
    runtime = entry.runtime_data.watcher
    heard: list[str] = []

    @callback
    def _heard() -> None:
        # A callback runs on the loop at once; a plain function (a lambda) would be run in
        # an executor thread, and on a busy machine might not have run yet when we assert.
        heard.append("changed")

    cleanup_listener = async_dispatcher_connect(hass, signal_watcher(entry.entry_id), _heard)
    freezer.tick(timedelta(seconds=2))  # past the cooldown of the updates setup made
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    heard.clear()
    for _ in range(100):
        runtime._changed()  # as a hundred files becoming ready in one check
    assert heard == ["changed"]
    freezer.tick(timedelta(seconds=UPDATE_COOLDOWN))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert heard == ["changed", "changed"]
    waiting = hass.states.get("sensor.videodrome_demo_files_waiting")
    assert waiting is not None
    assert waiting.state == "0"
    cleanup_listener()


async def test_unloading_in_the_middle_of_a_file_stops_the_worker(
    hass: HomeAssistant,
    make_entry: Callable[..., MockConfigEntry],
    cleanup: list[MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmdb: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """The worker is cancelled while TMDb is slow to answer, another file still queued: the
    entry unloads cleanly, and nothing of the worker runs afterwards."""
    entry = make_entry()
    await _setup(hass, entry, cleanup)
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
    runtime = entry.runtime_data.watcher
    assert runtime is not None
    assert runtime.waiting == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not runtime.running
    assert runtime._worker is None
    tmdb.faults.latency = 0
    await advance(hass, freezer, 2)  # the emulator's delayed answer (on the loop's clock) ends
