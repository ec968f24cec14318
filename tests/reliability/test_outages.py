"""Outages and the log (issue 19, item 5): TMDb or Plex down for ten minutes while 50 files
wait, through Home Assistant, the watcher rescanning every minute, the clock moved forward.

However many files wait and however many rescans pass, the log says once that the service is
gone (a warning, with the reason) and once that it is back (an info, with how long it was
away); what happened to each file is at debug level. Every file is then handled: none lost.
The outages are the emulators' fault knobs, nothing of Videodrome's is replaced.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
import logging
import math
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.videodrome.engine.tmdb.pacing import RateLimiter
from custom_components.videodrome.guessit import async_guessit_lane
from custom_components.videodrome.runtime.watcher import (
    CONF_AUTO_INGEST,
    CONF_NETWORK_SHARE,
    CONF_RESCAN_INTERVAL,
    CONF_STABILITY,
)
from tests.emulators.plex import PlexFaults
from tests.emulators.tmdb import TMDbFaults
from tests.frozen_clock import second_by_second
from tests.integration import conftest as integration
from tests.polling import until
from tests.reliability.test_service_faults import (
    _call,
    _drop,
    _figure,
    _ingest,
    _ledger,
    _real_until,
)

globals().update(
    {
        name: getattr(integration, name)
        for name in (
            "auto_enable_custom_integrations",
            "make_ingest_entry",
            "no_gdm_scan",
            "tmdb",
        )
    }
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.tmdb import TMDbEmulator

FILES = 50
OUTAGE = 600  # seconds: ten minutes, ten rescans
PACKAGE = "custom_components.videodrome"
# Fifty names the emulators' catalogue knows, each a title of its own.
TITLES = (
    "The.Matrix.1999", "The.Matrix.Reloaded.2003", "Fight.Club.1999", "Inception.2010",
    "Interstellar.2014", "The.Dark.Knight.2008", "Blade.Runner.1982", "Blade.Runner.2049.2017",
    "Wonder.Woman.2017", "Wonder.Woman.1984.2020", "Dune.2021", "Dune.1984",
    "Dune.Part.Two.2024", "The.Thing.1982", "The.Thing.2011", "Halloween.1978",
    "Halloween.2007", "Halloween.2018", "Pulp.Fiction.1994", "The.Shawshank.Redemption.1994",
    "The.Godfather.1972", "Parasite.2019", "Spirited.Away.2001", "Amelie.2001", "Alien.1979",
    "Aliens.1986", "Star.Wars.1977", "Avatar.2009", "Titanic.1997", "Gladiator.2000",
    "Joker.2019", "Mad.Max.Fury.Road.2015", "Se7en.1995", "Leon.The.Professional.1994",
    "Riddick.2013", "Dr.No.1962", "Star.Trek.2009", "Oceans.Eleven.2001", "Oceans.Eleven.1960",
    "Total.Recall.1990", "Total.Recall.2012", "RoboCop.1987", "RoboCop.2014",
    "The.Lion.King.1994", "The.Lion.King.2019", "Mirrors.2008", "Heat.1995", "Psycho.1960",
    "Shutter.Island.2010", "The.Avengers.2012",
)  # fmt: skip


def _lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """Videodrome's log lines at exactly `level`."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(PACKAGE) and record.levelno == level
    ]


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Videodrome's log lines at WARNING or above."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(PACKAGE) and record.levelno >= logging.WARNING
    ]


async def _watched(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry], **options: Any
) -> MockConfigEntry:
    """A loaded entry, the watcher on rescans a minute apart, its library index loaded."""
    await asyncio.to_thread(async_guessit_lane(hass, "ingest").guess, "Warm.Up.2000.mkv", 60)
    entry = make_ingest_entry(
        **{CONF_STABILITY: 10, CONF_NETWORK_SHARE: True, CONF_RESCAN_INTERVAL: 1, **options}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # The clock jumps ahead of the emulator's answers: no request may time out meanwhile.
    entry.runtime_data.client.request_timeout = 3600
    coordinator = entry.runtime_data.coordinator
    await _real_until(
        hass,
        lambda: (
            entry.runtime_data.library.index.loaded
            and coordinator.listener is not None
            and coordinator.listener.connected
        ),
    )
    await hass.async_block_till_done()
    return entry


async def _until_items(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    check: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    """Move time on a second per round until the history's items pass `check`.

    The worker needs real time too (guessit, the emulators): each round waits 10 ms of it.
    """

    async def items() -> list[dict[str, Any]]:
        return list((await _call(hass, "history", limit=1000))["items"])

    return await until(
        items, check, interval=0, between=second_by_second(hass, freezer), timeout=150
    )


async def _advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry, seconds: int
) -> None:
    """Move the frozen clock on five seconds at a time (the watcher's check), and after each
    minute (a rescan) let the worker work through what it was handed, in real time."""
    watcher = entry.runtime_data.watcher
    for tick in range(1, seconds // 5 + 1):
        freezer.tick(timedelta(seconds=5))
        async_fire_time_changed(hass)
        await hass.async_add_executor_job(time.sleep, 0.01)  # the emulators answer
        await hass.async_block_till_done()
        if tick % 12 == 0:
            # Every file handed to the worker is done with (none queued, none in progress).
            worked_through = asyncio.ensure_future(watcher.queue.join())
            try:
                await _real_until(hass, worked_through.done, timeout=90)
            finally:
                worked_through.cancel()


def _waiting_for_tmdb(items: list[dict[str, Any]]) -> int:
    return sum("tmdb_unavailable" in item["reasons"] for item in items)


@pytest.mark.timeout(300)
async def test_tmdb_down_ten_minutes_fifty_files_one_warning_one_info(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmdb: TMDbEmulator,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """TMDb answers 503 for ten minutes (ten rescans, each handing out all 50 files again):
    one warning, then one info once it is back, and all 50 files identified in their rows."""
    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    sources = dict(_drop(tmp_path, f"{title}.1080p.BluRay.x264-GRP.mkv") for title in TITLES)
    assert len(sources) == FILES
    tmdb.faults.fail_next, tmdb.faults.fail_status = 10**9, 503
    entry = await _watched(hass, make_ingest_entry, **{CONF_AUTO_INGEST: False})
    # Retries and requests at once: on the frozen clock every wait would need a tick, and
    # a request's timeout would run out while the clock jumps ahead of the emulator's answer.
    client = _ingest(entry).tmdb
    client._backoff = 0
    client._limiter = RateLimiter(math.inf)
    client._timeout = aiohttp.ClientTimeout(total=3600)

    items = await _until_items(hass, freezer, lambda i: _waiting_for_tmdb(i) == FILES)
    assert _waiting_for_tmdb(items) == FILES, Counter(tuple(i["reasons"]) for i in items)
    rows = sorted(item["id"] for item in items)
    asked = len(tmdb.requests)
    await _advance(hass, freezer, entry, OUTAGE)
    during = len(tmdb.requests) - asked
    assert during >= FILES * 5, "the files were handed out again at the rescans"
    identification_failures = sum(
        "tmdb_unavailable" in line or "TMDb failed" in line
        for line in _lines(caplog, logging.DEBUG)
    )

    tmdb.faults = TMDbFaults()
    items = await _until_items(hass, freezer, lambda i: _waiting_for_tmdb(i) == 0)
    assert _waiting_for_tmdb(items) == 0, "every file was identified once TMDb was back"
    assert sorted(item["id"] for item in items) == rows, "in the rows they waited in"
    assert all(item["tmdb_id"] is not None for item in items)
    assert await _ledger(hass, sources) == {"review": FILES}  # auto-ingest is off

    warnings = _warnings(caplog)
    back = [line for line in _lines(caplog, logging.INFO) if "available again" in line]
    _figure(
        "O1 tmdb down 10 min, 50 files",
        tmdb_requests_during_outage=during,
        warnings=len(warnings),
        infos_back=len(back),
        per_file_debug_lines=identification_failures,
        items_lost=0,
    )
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"TMDb ({entry.title}) is unavailable"), warnings
    assert "503" in warnings[0], "the reason is given"
    assert len(back) == 1, back
    assert back[0].startswith(f"TMDb ({entry.title}) is available again after 1"), back
    assert identification_failures >= FILES * 5, "each file's failure is at debug level"
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.timeout(300)
async def test_plex_down_ten_minutes_fifty_files_one_warning_one_info(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    tmdb: TMDbEmulator,
    media_root: Path,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Plex answers 503 for ten minutes while 50 files are filed (each one's partial scan and
    match check fail) and the coordinator polls: one warning, one info when Plex is back;
    every file is filed, Plex not checked (with the reason) while it is away, and each one's
    folder scanned once and its match checked once it is back."""
    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    entry = await _watched(hass, make_ingest_entry)
    plex_emulator.faults = PlexFaults(fail_next=10**9, fail_status=503)
    sources = dict(_drop(tmp_path, f"{title}.1080p.BluRay.x264-GRP.mkv") for title in TITLES)

    items = await _until_items(
        hass, freezer, lambda i: len(i) == FILES and all(x["status"] != "transferring" for x in i)
    )
    assert len(items) == FILES
    await _advance(hass, freezer, entry, OUTAGE)  # two coordinator polls fail meanwhile
    items = (await _call(hass, "history", limit=1000))["items"]
    filed = [item for item in items if item["status"] == "ingested"]
    assert filed
    for item in filed:
        assert item["plex_status"] == "plex_not_checked", item
        assert item["error"].startswith("plex_scan_failed: "), item
        assert (media_root / "Movies").joinpath(item["target"]).is_file()
    plex_emulator.requests.clear()
    plex_emulator.faults = PlexFaults()
    await _advance(hass, freezer, entry, 300)  # the next poll finds Plex back

    # Once back, what Plex was not asked is asked: each folder scanned once, each match checked.
    ids = {item["id"] for item in filed}
    items = await _until_items(
        hass,
        freezer,
        lambda i: all(x["plex_status"] == "plex_matched" for x in i if x["id"] in ids),
    )
    assert all(
        x["plex_status"] == "plex_matched" and x["error"] is None for x in items if x["id"] in ids
    )
    scans = Counter(
        r.query.get("path") for r in plex_emulator.requests if r.path.endswith("/refresh")
    )
    assert scans == Counter(
        str((media_root / "Movies").joinpath(item["target"]).parent) for item in filed
    )
    tally = await _ledger(hass, sources)
    assert sum(tally.values()) == FILES, tally
    warnings = _warnings(caplog)
    back = [line for line in _lines(caplog, logging.INFO) if "available again" in line]
    _figure(
        "O2 plex down 10 min, 50 files",
        tally=dict(tally),
        warnings=len(warnings),
        infos_back=len(back),
        items_lost=0,
    )
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"Plex ({entry.title}) is unavailable"), warnings
    assert len(back) == 1, back
    assert back[0].startswith(f"Plex ({entry.title}) is available again after 1"), back
