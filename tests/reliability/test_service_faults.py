"""Service faults (issue 9): Plex and TMDb misbehaving, through Home Assistant, on loopback.

Each test is one row of the matrix below (its name starts with the row). Every fault is made by
the emulators' knobs (`PlexFaults`, `TMDbFaults`, `rate_limit`, `rotate_token`/`rotate_key`),
never by mocking the code under test. After every fault the ledger check (`_ledger`) holds:
every source file is still there, unchanged, and is accounted for: ingested, in review with a
reason, failed with an error, or still waiting in the ingest folder to be handled.

| Row | Fault                                       | Expected                                    |
|-----|---------------------------------------------|---------------------------------------------|
| P1  | Plex timeout, 500, 503, malformed JSON,     | entities unavailable, back on recovery; one |
|     | dropped connection, while polling           | request per endpoint per poll; logged once  |
|     |                                             | (down, then back: engine/availability.py);  |
|     |                                             | no exception escapes                        |
| P2  | Plex timeout, 500, malformed JSON during an | file filed, source kept, plex_status        |
|     | ingest's scan and verify                    | `plex_not_checked` with the error; a later  |
|     |                                             | scan of the folder works; a failure while   |
|     |                                             | checking the match is not "mapping wrong"   |
| P3  | Plex 401 while polling                      | one reauth flow, entities unavailable; the  |
|     |                                             | new token brings everything back            |
| P4  | notification websocket dropped, reconnects  | back-off 1, 2, 4 ... 256, 300, 300 s        |
|     | refused                                     | (+-20 %), capped; live updates resume       |
| P5  | Plex hangs the notification handshake       | times out at the request timeout; back-off  |
|     |                                             | goes on, connects when Plex answers again   |
| T1  | TMDb 401                                    | repair issue; files wait, untouched; a new  |
|     |                                             | key (options flow) clears the repair and    |
|     |                                             | files them all (reconfigure: the same)      |
| T2  | TMDb 429 with Retry-After                   | every pause honoured, then identified       |
| T3  | TMDb 429 storm (limit far below the client) | every file filed or queued; attempts per    |
|     |                                             | request bounded                             |
| T4  | TMDb 500/502/503/504, dropped connection,   | bounded retries (1 + 3; none for bad JSON), |
|     | malformed JSON                              | review with `tmdb_unavailable`; offered     |
|     |                                             | again once TMDb is back: filed, same row    |
| T5  | TMDb slower than the timeout                | as T4, and Home Assistant's loop stays free |
| T6  | TMDb slow, within the timeout               | identified and filed, no retry              |
| T7  | TMDb down for minutes, then back (watcher)  | files wait in review, retried once per      |
|     |                                             | rescan; filed when TMDb is back, same rows  |

`pytest -s tests/reliability/test_service_faults.py -p no:xdist` prints one `FAULT` line per
row with the numbers (requests, retries, items lost) summarised in the README.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL, STATE_UNAVAILABLE
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest

from custom_components.videodrome.const import CONF_TMDB_API_KEY, DOMAIN
from custom_components.videodrome.engine.plex.notifications import NOTIFICATIONS_PATH
from custom_components.videodrome.engine.tmdb import client as tmdb_module
from custom_components.videodrome.guessit import async_guessit_lane
from custom_components.videodrome.ingest_options_form import form_values
from custom_components.videodrome.runtime.watcher import (
    CONF_NETWORK_SHARE,
    CONF_RESCAN_INTERVAL,
    CONF_STABILITY,
)
from tests.emulators.plex import PlexFaults
from tests.emulators.tmdb import TMDbFaults
from tests.entities import settle
from tests.frozen_clock import in_real_time, real_pause
from tests.integration import conftest as integration
from tests.polling import until

# The integration tests' fixtures (a configured entry, ingest on, the TMDb emulator, custom
# integrations enabled, no GDM scan), made this module's, so the suite needs no conftest of its
# own beside the other reliability suites'.
globals().update(
    {
        name: getattr(integration, name)
        for name in (
            "auto_enable_custom_integrations",
            "config_entry",
            "loaded_entry",
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

    from custom_components.videodrome.engine.plex.client import PlexClient
    from custom_components.videodrome.runtime.ingest import IngestRuntime
    from tests.emulators.plex import PlexEmulator
    from tests.emulators.tmdb import TMDbEmulator

STATUS = "sensor.videodrome_demo_status"
SESSIONS = "sensor.videodrome_demo_active_sessions"
MOVIES = "sensor.videodrome_demo_movies"
TV = "sensor.videodrome_demo_tv_shows"
PLEX_ENTITIES = (STATUS, SESSIONS, MOVIES, TV)
REVIEW_QUEUE = "sensor.videodrome_demo_review_queue"
TITANIC = "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
TITANIC_TARGET = ("Titanic (1997) {tmdb-597}", "Titanic (1997) - 1080p Blu-ray.mkv")
# Statuses a source file may rest in after a fault; anything else (or a missing file) is lost.
RESTING = frozenset({"ingested", "review", "pending", "failed"})


# ---- helpers ----------------------------------------------------------------------------------


def _figure(row: str, **numbers: object) -> None:
    """One line of the fault figures (shown with `pytest -s`)."""
    print(f"FAULT {row}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))  # noqa: T201


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


def _drop(tmp_path: Path, name: str, content: bytes | None = None) -> tuple[Path, bytes]:
    """A finished download in the ingest folder, and its bytes (to check it is never touched)."""
    file = tmp_path / "ingest" / name
    file.parent.mkdir(parents=True, exist_ok=True)
    data = content if content is not None else f"video of {name}".encode()
    file.write_bytes(data)
    return file, data


async def _ledger(hass: HomeAssistant, sources: dict[Path, bytes]) -> dict[str, int]:
    """Every source file, unchanged, in a resting state with its reason; the tally by state.

    `waiting` is a file with no history row yet: still in the ingest folder, to be picked up.
    """
    await settle(hass)  # the sensors have caught up with the last event
    history = await _call(hass, "history", limit=1000)
    newest: dict[str, dict[str, Any]] = {}
    for item in history["items"]:  # newest first
        newest.setdefault(item["source"], item)
    tally: Counter[str] = Counter()
    for path, content in sources.items():
        assert path.is_file(), f"{path} was removed"
        assert path.read_bytes() == content, f"{path} was changed"
        item = newest.get(str(path))
        if item is None:
            tally["waiting"] += 1
            continue
        assert item["status"] in RESTING, item
        if item["status"] == "review":
            assert item["reasons"], item
        if item["status"] == "failed":
            assert item["error"], item
        tally[item["status"]] += 1
    queue = hass.states.get(REVIEW_QUEUE)
    assert queue is not None
    assert int(queue.state) == tally["review"], "the review queue sensor agrees with the store"
    return dict(tally)


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One poll, as the coordinator makes every five minutes (without moving the clock)."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def _states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """The state of every enabled entity of the entry."""
    registry = er.async_get(hass)
    states: dict[str, str] = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.disabled_by is None and (state := hass.states.get(entity.entity_id)):
            states[entity.entity_id] = state.state
    return states


def _escaped(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records that carry a traceback or say something unexpected happened."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("custom_components", "homeassistant", "asyncio"))
        and (record.exc_info or "nexpected" in record.getMessage())
    ]


def _break_plex(fault: str, plex: PlexEmulator, client: PlexClient) -> None:
    faults = plex.faults
    match fault:
        case "timeout":
            client.request_timeout = 0.2
            faults.latency = 1.0
        case "http-500" | "http-503":
            faults.fail_next, faults.fail_status = 1000, int(fault[-3:])
        case "malformed-json":
            faults.malformed_next = 1000
        case "connection-dropped":
            faults.drop_next = 1000


def _playing(hass: HomeAssistant) -> bool:
    """The sessions sensor counts one playback."""
    sessions = hass.states.get(SESSIONS)
    return sessions is not None and sessions.state == "1"


def _plex_requests(plex: PlexEmulator) -> int:
    return sum(r.path != NOTIFICATIONS_PATH for r in plex.requests)


async def _real_until(
    hass: HomeAssistant, condition: Callable[[], bool], timeout: float = 30
) -> None:
    """Wait in real time while the loop's clock is frozen (a sleep in an executor thread)."""
    await until(condition, interval=0, between=in_real_time(hass), timeout=timeout)


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int) -> None:
    """Move the frozen clock on a second at a time, letting what falls due run."""
    for _ in range(seconds):
        freezer.tick(timedelta(seconds=1))
        await hass.async_add_executor_job(time.sleep, 0.005)
        await hass.async_block_till_done()


async def _until_resting(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sources: dict[Path, bytes], **tally: int
) -> None:
    """Move time on until the ledger reads `tally` (the watcher works in the background)."""

    async def items() -> list[dict[str, Any]]:
        return list((await _call(hass, "history"))["items"])

    # The ledger's own reading comes only once this one shows the tally (a rescan may take
    # an item from review to transferring between two readings).
    await until(
        items,
        lambda found: Counter(i["status"] for i in found) == tally and len(found) == len(sources),
        interval=0,
        between=lambda: _tick(hass, freezer, 1),
        timeout=60,
    )
    assert await _ledger(hass, sources) == tally


async def _watched_entry(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> MockConfigEntry:
    """A loaded entry with ingest on, the watcher on rescans only (a minute apart): the clock
    decides everything.

    guessit's process is started first: its start-up takes real time, which a test that holds
    the clock still between ticks does not give it (the TMDb limiter's next slot would wait for
    a tick that never comes).
    """
    await asyncio.to_thread(async_guessit_lane(hass, "ingest").guess, "Warm.Up.2000.mkv", 60)
    entry = make_ingest_entry(
        **{CONF_STABILITY: 10, CONF_NETWORK_SHARE: True, CONF_RESCAN_INTERVAL: 1}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def ingest_entry(hass: HomeAssistant, ingest_entry: MockConfigEntry) -> MockConfigEntry:
    """The conftest's loaded entry with ingest on, its library index loaded (plans skip Plex)."""
    entry = ingest_entry
    await until(lambda: entry.runtime_data.library.index.loaded)
    await _settled(hass, entry)
    return entry


async def _settled(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Notifications connected and the fetch that follows done: no request of its own later."""
    coordinator = entry.runtime_data.coordinator
    await until(lambda: coordinator.listener is not None and coordinator.listener.connected)
    await hass.async_block_till_done()


def _ingest(entry: MockConfigEntry) -> IngestRuntime:
    runtime: IngestRuntime | None = entry.runtime_data.ingest
    assert runtime is not None
    return runtime


def _quick_tmdb(entry: MockConfigEntry, *, timeout: float = 10.0) -> None:
    """Shorter back-off (and timeout) than production, so retries take milliseconds."""
    tmdb = _ingest(entry).tmdb
    tmdb._backoff = 0.01
    tmdb._timeout = aiohttp.ClientTimeout(total=timeout)


# ---- Plex -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", ["timeout", "http-500", "http-503", "malformed-json", "connection-dropped"]
)
async def test_p1_plex_failing_while_polling(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    caplog.set_level(logging.INFO)
    await _settled(hass, loaded_entry)
    start = _plex_requests(plex_emulator)
    await _poll(hass, loaded_entry)
    healthy = _plex_requests(plex_emulator) - start
    _break_plex(fault, plex_emulator, loaded_entry.runtime_data.client)

    failing: list[int] = []
    for _ in range(3):  # Plex stays down for three polls
        start = _plex_requests(plex_emulator)
        await _poll(hass, loaded_entry)
        failing.append(_plex_requests(plex_emulator) - start)
        for entity_id in PLEX_ENTITIES:
            assert hass.states.get(entity_id).state == STATE_UNAVAILABLE, entity_id  # type: ignore[union-attr]
    # No retry storm: each poll asks each endpoint at most once (aiohttp may resend a request
    # once on a reused connection that was closed under it).
    assert all(0 < count <= 2 * healthy for count in failing), (healthy, failing)

    plex_emulator.faults = PlexFaults()
    await _poll(hass, loaded_entry)
    states = _states(hass, loaded_entry)
    assert STATE_UNAVAILABLE not in states.values(), states
    assert hass.states.get(STATUS).state == "idle"  # type: ignore[union-attr]
    # Once each, by the client's Availability (and not again by the coordinator).
    assert caplog.text.count("Plex (Videodrome Demo) is unavailable: ") == 1, "down: once"
    assert caplog.text.count("Plex (Videodrome Demo) is available again after ") == 1, "back"
    assert "Error fetching" not in caplog.text
    assert "recovered" not in caplog.text
    assert _escaped(caplog) == []
    _figure(f"P1 plex {fault} while polling", healthy_poll=healthy, failing_polls=failing)


@pytest.mark.parametrize("fault", ["timeout", "http-500", "malformed-json"])
async def test_p2_plex_failing_during_an_ingest_scan(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    source, content = _drop(tmp_path, TITANIC)
    _break_plex(fault, plex_emulator, ingest_entry.runtime_data.client)
    start = _plex_requests(plex_emulator)
    (result,) = (await _call(hass, "ingest", path=str(source)))["results"]
    asked = _plex_requests(plex_emulator) - start
    plex_emulator.faults = PlexFaults()

    assert result["status"] == "ingested", result
    target = media_root / "Movies" / TITANIC_TARGET[0] / TITANIC_TARGET[1]
    assert target.is_file()
    (item,) = (await _call(hass, "history"))["items"]
    assert item["plex_status"] == "plex_not_checked"
    assert item["error"].startswith("plex_scan_failed: "), item["error"]
    assert await _ledger(hass, {source: content}) == {"ingested": 1}
    assert asked == 1, "one attempt (the section lookup), no retry loop"
    assert "Plex scan after ingesting" in caplog.text  # at debug level
    assert caplog.text.count("Plex (Videodrome Demo) is unavailable: ") == 1
    assert _escaped(caplog) == []

    # Plex is back: a scan of the file's folder (the scan service) finds it.
    await _call(hass, "scan", path=str(target.parent))
    await plex_emulator.wait_for_scans()
    files = {file for it in plex_emulator.library.items.values() for file, _ in it.files}
    assert str(target) in files
    _figure(f"P2 plex {fault} during ingest", plex_requests=asked, items_lost=0)


async def test_p2_plex_failing_while_checking_its_match_is_not_a_mapping_problem(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """The scan works, listing the section fails: Plex was not checked (with the reason);
    no "path mapping wrong" repair, which would send the user hunting for a wrong setting."""
    source, content = _drop(tmp_path, TITANIC)
    plex_emulator.faults = PlexFaults(fail_next=1000, fail_prefix="/library/sections/1/all")
    start = len(plex_emulator.requests)
    (result,) = (await _call(hass, "ingest", path=str(source)))["results"]
    plex_emulator.faults = PlexFaults()
    # Listings of the section's items: the match check's, and the library index's rebuild
    # after the scan (the sensors' counts ask for none of them). Each once: no retry loop.
    failed = [
        r
        for r in plex_emulator.requests[start:]
        if r.path == "/library/sections/1/all" and r.query.get("X-Plex-Container-Size") != "0"
    ]
    assert result["status"] == "ingested", result
    assert (media_root / "Movies" / TITANIC_TARGET[0] / TITANIC_TARGET[1]).is_file()
    (item,) = (await _call(hass, "history"))["items"]
    assert item["plex_status"] == "plex_not_checked"
    assert item["error"] == "plex_scan_failed: Plex answered 500 to /library/sections/1/all"
    issue_id = f"path_mapping_wrong_{ingest_entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert 1 <= len(failed) <= 2, failed
    assert await _ledger(hass, {source: content}) == {"ingested": 1}
    _figure("P2 plex 500 while checking the match", plex_requests_failed=len(failed), items_lost=0)


async def test_p3_plex_refusing_the_token_asks_for_a_new_one(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    await _settled(hass, loaded_entry)
    start = len(plex_emulator.requests)
    plex_emulator.rotate_token("token-after-a-password-change")
    for _ in range(2):  # a second refused poll does not start a second flow
        await _poll(hass, loaded_entry)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    for entity_id in PLEX_ENTITIES:
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE, entity_id  # type: ignore[union-attr]
    refused = sum(r.path == "/" for r in plex_emulator.requests[start:])

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_TOKEN: "token-after-a-password-change"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.data[CONF_TOKEN] == "token-after-a-password-change"
    states = _states(hass, loaded_entry)
    assert STATE_UNAVAILABLE not in states.values(), states
    # Live updates with the new token: the listener reconnects and playback shows.
    await until(lambda: plex_emulator.websocket_clients == 1)
    await plex_emulator.add_session("Heat")
    await until(lambda: _playing(hass))
    _figure("P3 plex 401", reauth_flows=len(flows), refused_identity_requests=refused)


async def test_p4_dropped_notifications_reconnect_with_bounded_back_off(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The loop's clock is frozen: each back-off ends only when the test moves time on.

    Before 0.75 of the nominal delay (jitter is +-20 %) no attempt may happen; by 1.25 of it
    exactly one must. Nominal delays double from 1 s and stop at 300 s.
    """
    coordinator = loaded_entry.runtime_data.coordinator
    await _real_until(
        hass, lambda: coordinator.listener is not None and coordinator.listener.connected
    )
    listener = coordinator.listener
    assert listener is not None

    def attempts() -> int:
        return sum(r.path == NOTIFICATIONS_PATH for r in plex_emulator.requests)

    plex_emulator.faults.refuse_websockets = 10  # the next ten handshakes are refused
    await plex_emulator.drop_websockets()
    await _real_until(hass, lambda: listener.failures == 1)
    observed: list[float] = []
    for failures in range(1, 12):
        nominal = min(2.0 ** (failures - 1), 300.0)
        made = attempts()
        freezer.tick(timedelta(seconds=0.75 * nominal))
        await real_pause(hass, 0.05)  # let the loop run what is due (nothing)
        await hass.async_block_till_done()
        assert attempts() == made, f"retried before 0.75 x {nominal} s (failure {failures})"
        freezer.tick(timedelta(seconds=0.5 * nominal))
        if failures < 11:
            await _real_until(hass, lambda f=failures: listener.failures == f + 1)  # type: ignore[misc]
        else:
            await _real_until(hass, lambda: listener.connected)
        assert attempts() == made + 1
        observed.append(nominal)
    assert observed == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert listener.failures == 0, "a connection resets the back-off"

    # Live updates resume: playback pushed by Plex reaches the sensor.
    await plex_emulator.add_session("Dune")
    await until(  # the clock moves on past the refresh cooldown
        lambda: _playing(hass),
        interval=0,
        between=lambda: _tick(hass, freezer, 1),
        timeout=30,
    )
    _figure("P4 websocket dropped", attempts=len(observed), nominal_delays_s=observed)


async def test_p5_a_notification_handshake_plex_never_answers_times_out(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    """Plex accepts the connection and hangs: the handshake ends at the request timeout
    (not aiohttp's five minutes) and counts as a failure, so the back-off goes on."""
    await _settled(hass, loaded_entry)
    listener = loaded_entry.runtime_data.coordinator.listener
    loaded_entry.runtime_data.client.request_timeout = 0.3
    plex_emulator.faults.latency = 3.0  # unbounded, the handshake would connect after 3 s
    await plex_emulator.drop_websockets()
    # After the first back-off (about a second) the handshake hangs, then times out.
    await until(lambda: listener.failures >= 2)
    assert not listener.connected
    plex_emulator.faults.latency = 0.0
    await until(lambda: listener.connected)  # the next attempt (about 2 s later) connects
    assert listener.failures == 0
    _figure("P5 plex hangs the websocket handshake", handshake_timeout_s=0.3)


# ---- TMDb -------------------------------------------------------------------------------------


async def test_t1_tmdb_refusing_the_key_keeps_files_until_a_new_key(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmdb: TMDbEmulator,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Through the watcher (rescans only, so the clock decides): nothing is lost or retried
    more than once per rescan; the options flow with a new key clears the repair."""
    sources = dict(
        _drop(tmp_path, name) for name in ("Titanic.1997.mkv", "Avatar.2009.mkv", "Joker.2019.mkv")
    )
    tmdb.rotate_key("the-new-key")  # the entry's key is now refused
    entry = await _watched_entry(hass, make_ingest_entry)
    issue_id = f"tmdb_key_rejected_{entry.entry_id}"
    issues = ir.async_get(hass)

    refused_per_rescan: list[int] = []
    for _ in range(3):  # three rescans while the key is wrong
        before = len(tmdb.requests)
        await _tick(hass, freezer, 60)
        await _real_until(hass, lambda: entry.runtime_data.watcher.queue.qsize() == 0)
        await hass.async_block_till_done()
        refused_per_rescan.append(len(tmdb.requests) - before)
        assert issues.async_get_issue(DOMAIN, issue_id) is not None
        assert await _ledger(hass, sources) == {"waiting": 3}
    # One refused request per file per rescan, and only while it is waiting to be handled.
    assert all(count <= len(sources) for count in refused_per_rescan), refused_per_rescan

    result = await hass.config_entries.options.async_init(entry.entry_id)
    values = {**form_values(entry.options), CONF_TMDB_API_KEY: "the-new-key"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], values)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None, "the new key was accepted"
    assert entry.state is ConfigEntryState.LOADED
    await _until_resting(hass, freezer, sources, ingested=3)
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    _figure(
        "T1 tmdb 401",
        files=len(sources),
        refused_requests_per_rescan=refused_per_rescan,
        items_lost=0,
    )


async def test_t1_actions_refused_by_tmdb_raise_the_repair_and_reconfigure_clears_it(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    tmdb: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Through the actions: ingest refused (the file untouched, no row), approve refused (the
    item stays queued), both raise the repair; reconfigured with the new key, both work."""
    source, content = _drop(tmp_path, TITANIC)
    queued, queued_content = _drop(tmp_path, "Dune.mkv")  # ambiguous: waits for review
    (review,) = (await _call(hass, "ingest", path=str(queued)))["results"]
    tmdb.rotate_key("the-new-key")
    issue_id = f"tmdb_key_rejected_{ingest_entry.entry_id}"
    with pytest.raises(HomeAssistantError, match="rejected the API key"):
        await _call(hass, "approve", item_id=review["item_id"], tmdb_id=841)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    ir.async_delete_issue(hass, DOMAIN, issue_id)
    with pytest.raises(HomeAssistantError, match="rejected the API key"):
        await _call(hass, "ingest", path=str(source))
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    sources = {source: content, queued: queued_content}
    assert await _ledger(hass, sources) == {"waiting": 1, "review": 1}

    result = await ingest_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: plex_emulator.url, CONF_VERIFY_SSL: True}
    )
    assert result["step_id"] == "reconfigure_folders"
    values = {**form_values(ingest_entry.options), CONF_TMDB_API_KEY: "the-new-key"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], values)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    (item,) = (await _call(hass, "ingest", path=str(source)))["results"]
    assert item["status"] == "ingested"
    approved = await _call(hass, "approve", item_id=review["item_id"], tmdb_id=841)
    assert approved["status"] == "ingested"
    assert await _ledger(hass, sources) == {"ingested": 2}


async def test_t2_tmdb_429_retry_after_is_honoured(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmdb: TMDbEmulator, tmp_path: Path
) -> None:
    tmdb.faults = TMDbFaults(fail_next=3, fail_status=429, retry_after="0.3")
    source, content = _drop(tmp_path, TITANIC)
    started = time.monotonic()
    (result,) = (await _call(hass, "ingest", path=str(source)))["results"]
    elapsed = time.monotonic() - started
    assert result["status"] == "ingested", result
    stats = _ingest(ingest_entry).tmdb.stats
    assert stats.rate_limited == 3
    assert stats.retries == 0
    assert stats.requests == len(tmdb.requests)
    assert elapsed >= 3 * 0.3, "each 429 paused the client for Retry-After"
    assert await _ledger(hass, {source: content}) == {"ingested": 1}
    _figure("T2 tmdb 429 x3", requests=stats.requests, rate_limited=stats.rate_limited)


@pytest.mark.timeout(120)
async def test_t3_tmdb_429_storm_loses_nothing(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmdb: TMDbEmulator, tmp_path: Path
) -> None:
    """TMDb allows 1 request/s, the client sends up to 40/s: a storm of 429s."""
    tmdb.rate_limit = 1
    tmdb.faults.retry_after = "0.3"
    names = (
        "Titanic.1997.mkv",
        "Avatar.2009.mkv",
        "Joker.2019.mkv",
        "Psycho.1960.mkv",
        "Shutter.Island.2010.mkv",
        "Aliens.1986.mkv",
    )
    sources = dict(_drop(tmp_path, f"storm/{name}") for name in names)
    results = (await _call(hass, "ingest", path=str(tmp_path / "ingest" / "storm")))["results"]
    assert len(results) == len(names)
    stats = _ingest(ingest_entry).tmdb.stats
    assert stats.rate_limited > 0, "the storm happened"
    attempts = Counter((r.path, tuple(sorted(r.query.items()))) for r in tmdb.requests)
    bound = 1 + tmdb_module.MAX_RATE_LIMITED + tmdb_module.MAX_RETRIES
    assert max(attempts.values()) <= bound
    tally = await _ledger(hass, sources)
    history = (await _call(hass, "history"))["items"]
    assert sum(tally.values()) == len(names)
    assert set(tally) <= {"ingested", "review"}
    _figure(
        "T3 tmdb 429 storm",
        files=len(names),
        requests=stats.requests,
        rate_limited=stats.rate_limited,
        max_attempts_per_request=max(attempts.values()),
        tally=tally,
        review_reasons=sorted(
            {r for i in history if i["status"] == "review" for r in i["reasons"]}
        ),
        items_lost=0,
    )


@pytest.mark.parametrize(
    ("fault", "requests"),
    [
        ("http-500", 1 + tmdb_module.MAX_RETRIES),
        ("http-502", 1 + tmdb_module.MAX_RETRIES),
        ("http-503", 1 + tmdb_module.MAX_RETRIES),
        ("http-504", 1 + tmdb_module.MAX_RETRIES),
        ("connection-dropped", None),  # aiohttp may resend once on a reused connection
        ("malformed-json", 1),  # not TMDb's API: not retried
    ],
)
async def test_t4_tmdb_failing_sends_the_file_to_review(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    tmdb: TMDbEmulator,
    media_root: Path,
    tmp_path: Path,
    fault: str,
    requests: int | None,
) -> None:
    _quick_tmdb(ingest_entry)
    match fault:
        case "connection-dropped":
            tmdb.faults.drop_next = 1000
        case "malformed-json":
            tmdb.faults.malformed_next = 1000
        case _:
            tmdb.faults.fail_next, tmdb.faults.fail_status = 1000, int(fault[-3:])
    source, content = _drop(tmp_path, TITANIC)
    (result,) = (await _call(hass, "ingest", path=str(source)))["results"]
    sent = len(tmdb.requests)
    tmdb.faults = TMDbFaults()
    assert result["status"] == "review", result
    assert "tmdb_unavailable" in result["reasons"]
    if requests is not None:
        assert sent == requests
    else:
        assert 1 + tmdb_module.MAX_RETRIES <= sent <= 2 * (1 + tmdb_module.MAX_RETRIES)
    assert await _ledger(hass, {source: content}) == {"review": 1}

    # TMDb is back: the same file, offered again, is identified and filed in the same row.
    (again,) = (await _call(hass, "ingest", path=str(source)))["results"]
    assert again["status"] == "ingested", again
    assert again["item_id"] == result["item_id"]
    assert (media_root / "Movies" / TITANIC_TARGET[0] / TITANIC_TARGET[1]).is_file()
    assert await _ledger(hass, {source: content}) == {"ingested": 1}
    assert len((await _call(hass, "history"))["items"]) == 1
    _figure(f"T4 tmdb {fault}", requests=sent, retries=sent - 1, items_lost=0)


async def test_t5_tmdb_slower_than_the_timeout(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmdb: TMDbEmulator, tmp_path: Path
) -> None:
    _quick_tmdb(ingest_entry, timeout=1.0)
    tmdb.faults.latency = 3.0
    source, content = _drop(tmp_path, TITANIC)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = hass.async_create_background_task(ticker(), "loop ticker")
    ingest = hass.async_create_task(_call(hass, "ingest", path=str(source)))
    await until(lambda: len(tmdb.requests) >= 1)
    # While the ingest waits for TMDb, Home Assistant answers other calls.
    history = await _call(hass, "history")
    assert not ingest.done(), "the history call came back while TMDb was still answering"
    assert history["items"] == []
    (result,) = (await ingest)["results"]
    beat.cancel()
    tmdb.faults = TMDbFaults()
    assert result["status"] == "review", result
    assert "tmdb_unavailable" in result["reasons"]
    assert len(tmdb.requests) == 1 + tmdb_module.MAX_RETRIES
    assert ticks >= 20, "the loop kept running during four 1 s timeouts"
    assert await _ledger(hass, {source: content}) == {"review": 1}
    _figure("T5 tmdb slower than timeout", requests=len(tmdb.requests), loop_ticks=ticks)


async def test_t6_tmdb_slow_within_the_timeout(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmdb: TMDbEmulator, tmp_path: Path
) -> None:
    _quick_tmdb(ingest_entry, timeout=2.0)
    tmdb.faults.latency = 0.3
    source, content = _drop(tmp_path, TITANIC)
    (result,) = (await _call(hass, "ingest", path=str(source)))["results"]
    assert result["status"] == "ingested", result
    stats = _ingest(ingest_entry).tmdb.stats
    assert stats.retries == 0
    assert await _ledger(hass, {source: content}) == {"ingested": 1}
    _figure("T6 tmdb slow within timeout", requests=stats.requests, retries=stats.retries)


async def test_t7_tmdb_down_then_back_the_watcher_files_what_waited(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmdb: TMDbEmulator,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """TMDb answers 503 for minutes: files wait in review (one row each, retried once per
    rescan, bounded); when TMDb is back the next rescan files them, nothing asked of anyone."""
    sources = dict(_drop(tmp_path, name) for name in ("Titanic.1997.mkv", "Avatar.2009.mkv"))
    tmdb.faults.fail_next, tmdb.faults.fail_status = 1_000_000, 503
    entry = await _watched_entry(hass, make_ingest_entry)
    _quick_tmdb(entry)
    await _until_resting(hass, freezer, sources, review=2)
    items = (await _call(hass, "history"))["items"]
    assert all(item["reasons"] == ["tmdb_unavailable"] for item in items), items
    waiting = sorted(item["id"] for item in items)
    before = len(tmdb.requests)
    await _tick(hass, freezer, 180)  # three rescans while TMDb is still down
    await _until_resting(hass, freezer, sources, review=2)
    during_outage = len(tmdb.requests) - before
    per_lookup = 1 + tmdb_module.MAX_RETRIES
    assert 0 < during_outage <= 4 * len(sources) * per_lookup, "retried, once per rescan"
    assert len((await _call(hass, "history"))["items"]) == len(sources), "no new rows"

    tmdb.faults = TMDbFaults()
    await _until_resting(hass, freezer, sources, ingested=2)
    history = (await _call(hass, "history"))["items"]
    assert sorted(item["id"] for item in history) == waiting, "the same rows, now ingested"
    _figure(
        "T7 tmdb down then back (watcher)",
        files=len(sources),
        requests_during_3_rescans=during_outage,
        rows=len(history),
        items_lost=0,
    )
