"""The TMDb cache's hourly purge in Home Assistant: a real store file, the clock moved on."""

from __future__ import annotations

from datetime import timedelta
import logging
from pathlib import Path
import time
from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.tmdb_cache import CACHE_TTL
from custom_components.videodrome.runtime.ingest import CACHE_PURGE_INTERVAL
from tests.frozen_clock import real_pause
from tests.polling import until

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    import pytest
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.videodrome.runtime.ingest import IngestRuntime


def _write(store: Store, key: str, age: float) -> None:
    """An entry written `age` seconds ago (by the store's own clock). Blocking."""
    with store._lock:
        store._db.execute(
            "INSERT INTO tmdb_cache (key, body, fetched_at) VALUES (?, ?, ?)",
            (key, b'{"id": 1}', time.time() - age),
        )


def _keys(path: Path) -> set[str]:
    """The cache's keys, read from the file. Blocking."""
    with Store(path) as store:
        return {key for (key,) in store._db.execute("SELECT key FROM tmdb_cache")}


async def _settled(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Plex's notifications connected and the refresh that follows done: no request is in
    flight when the clock jumps an hour (it would time out)."""
    coordinator = entry.runtime_data.coordinator
    await until(
        lambda: coordinator.listener is not None and coordinator.listener.connected,
        between=lambda: real_pause(hass, 0.01),  # the clock is frozen
        interval=0,
        timeout=30,
    )
    await hass.async_block_till_done()


async def _an_hour_later(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, runtime: IngestRuntime
) -> None:
    """Move the clock past the purge interval; wait for the purge it starts, if any."""
    freezer.tick(CACHE_PURGE_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    if runtime._purging is not None:
        await runtime._purging


async def test_the_cache_is_purged_hourly_until_the_entry_unloads(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ingest_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.videodrome")
    await _settled(hass, ingest_entry)
    runtime = ingest_entry.runtime_data.ingest
    assert runtime is not None
    store = runtime.store
    path = Path(hass.config.path(".storage", f"{DOMAIN}_{ingest_entry.entry_id}.db"))
    await hass.async_add_executor_job(_write, store, "movie/1?language=en-US", CACHE_TTL + 60)
    await hass.async_add_executor_job(_write, store, "movie/2?language=en-US", 60)

    await _an_hour_later(hass, freezer, runtime)
    keys = await hass.async_add_executor_job(
        lambda: {key for (key,) in store._db.execute("SELECT key FROM tmdb_cache")}
    )
    assert keys == {"movie/2?language=en-US"}, "the expired entry went, the fresh one stayed"
    assert "TMDb cache purged: Purged(expired=1, evicted=0" in caplog.text

    assert await hass.config_entries.async_unload(ingest_entry.entry_id)
    await hass.async_block_till_done()
    assert runtime._cancel_purge is None
    runtime._purging = None

    def expire_more() -> None:
        with Store(path) as again:
            _write(again, "movie/3?language=en-US", CACHE_TTL + 60)

    await hass.async_add_executor_job(expire_more)
    purges = caplog.text.count("TMDb cache purged")
    for _ in range(3):
        await _an_hour_later(hass, freezer, runtime)
    assert runtime._purging is None, "the timer started no purge after the unload"
    assert caplog.text.count("TMDb cache purged") == purges
    assert "movie/3?language=en-US" in await hass.async_add_executor_job(_keys, path)
    assert "Could not purge" not in caplog.text


async def test_a_purge_sqlite_refuses_is_a_warning_and_the_next_one_runs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ingest_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _settled(hass, ingest_entry)
    runtime = ingest_entry.runtime_data.ingest
    assert runtime is not None
    store = runtime.store
    await hass.async_add_executor_job(_write, store, "movie/1?language=en-US", CACHE_TTL + 60)
    await hass.async_add_executor_job(store._db.execute, "PRAGMA query_only = ON")
    await _an_hour_later(hass, freezer, runtime)
    assert "Could not purge the TMDb cache: attempt to write a readonly database" in caplog.text
    await hass.async_add_executor_job(store._db.execute, "PRAGMA query_only = OFF")
    await _an_hour_later(hass, freezer, runtime)
    assert await hass.async_add_executor_job(store.tmdb_cache.size) == 0
