"""The metadata provider under attack, on Home Assistant's real HTTP server.

What a tester on the same network did to it, and generated junk for every endpoint:
- malformed values (numbers of thousands of digits, wrong JSON types, overlong names) are a
  400 with a one-line message, and nothing reaches the log above debug, never a traceback;
- one request costs TMDb at most `MAX_TMDB_REQUESTS` requests (counted at the emulator);
- languages are TMDb's: each spelling a client sends is one of its tags;
- under a flood the provider keeps to its share of TMDb's rate while ingest's requests go on;
- the provider's guessit child stuck (frozen) holds none of ingest's identifications.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import logging
import os
from pathlib import Path
import signal
import time
from typing import TYPE_CHECKING, Any

from homeassistant.setup import async_setup_component
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.videodrome.const import CONF_METADATA_PROVIDER, CONF_PROVIDER_ID, DOMAIN
from custom_components.videodrome.engine.identify import parse as parse_module
from custom_components.videodrome.engine.provider.budget import (
    MAX_TMDB_REQUESTS,
    TMDB_SHARE,
    ProviderLimits,
)
from custom_components.videodrome.engine.provider.rate_limits import (
    BookingLimiter,
    ClientRateLimiter,
)
from custom_components.videodrome.engine.tmdb.client import DEFAULT_RATE
from custom_components.videodrome.guessit import DATA_GUESSIT
from custom_components.videodrome.provider_http import DATA_PROVIDERS, MAX_BODY, PROVIDER_URL
from tests.integration.provider_client import Plex, roots
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.emulators.tmdb import TMDbEmulator

ANSWERS = {200, 400, 404, 405, 413, 429, 503}
DIGITS = "9" * 5000
# A folder of episode markers over the limit of a name: seconds of guessit before (and a
# restart of its process); now refused before anything reads it.
MARKERS = ".".join(f"{i % 9 + 1}x0{i % 9 + 1}" for i in range(48))  # 239 characters


@pytest.fixture
async def plex(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> Plex:
    """An unauthenticated client of Home Assistant's HTTP server, Videodrome set up first."""
    assert await async_setup_component(hass, DOMAIN, {})
    return Plex(await hass_client_no_auth())


@pytest.fixture
async def served(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> MockConfigEntry:
    """A loaded entry with ingest and the provider on."""
    entry = make_ingest_entry(**{CONF_METADATA_PROVIDER: True})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _limits(hass: HomeAssistant, entry: MockConfigEntry) -> ProviderLimits:
    provider = hass.data[DATA_PROVIDERS].served[entry.entry_id].providers["movie"]
    limits: ProviderLimits = provider._limits
    return limits


def _unbounded_rates(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """For tests of one request's cost: neither the clients' nor TMDb's rate gets in the way."""
    hass.data[DATA_PROVIDERS].limiter = ClientRateLimiter(10_000, 10_000)
    _limits(hass, entry).share = BookingLimiter(10_000, 10_000, max_wait=0)


def _noise(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records a client must not be able to cause: tracebacks, errors, our warnings."""
    return [
        f"{r.name} {r.levelname} {r.getMessage()[:200]}"
        for r in caplog.records
        if r.exc_info
        or r.levelno >= logging.ERROR
        or (r.levelno >= logging.WARNING and r.name.startswith("custom_components"))
    ]


BAD_MATCHES = [
    ("POST", {"json": {"type": 4, "title": "o", "year": DIGITS}}, "year is out of range"),
    ("POST", {"json": {"type": DIGITS}}, "type is out of range"),
    ("POST", {"json": {"type": 4, "parentIndex": DIGITS}}, "parentIndex is out of range"),
    ("GET", {"params": {"type": DIGITS}}, "type is out of range"),
    ("GET", {"params": {"type": "4", "parentIndex": DIGITS}}, "parentIndex is out of range"),
    ("POST", {"json": {"type": 1, "title": ["a", "b"]}}, "title must be a string"),
    ("POST", {"json": {"type": 1, "title": {"$gt": ""}}}, "title must be a string"),
    ("POST", {"json": {"type": [1]}}, "whole number"),
    ("POST", {"data": b'{"type": 1, "year": NaN}'}, "not JSON"),
    ("POST", {"data": b'{"type": 1, "year": Infinity}'}, "not JSON"),
    ("POST", {"data": b'{"type": 1, "year": 1e999}'}, "not JSON"),
    ("POST", {"data": b"[" * 5000 + b"]" * 5000}, "not JSON"),
    ("POST", {"json": {"type": 1, "title": "\U0001f3ac" * 300}}, "too long"),
    ("POST", {"json": {"type": 4, "filename": f"TV/{MARKERS}.{MARKERS}/{MARKERS}.mkv"}}, "255"),
    ("POST", {"json": {"type": 1, "title": "x" * (MAX_BODY // 2)}}, "too long"),
    ("POST", {"data": b"x" * (MAX_BODY + 1)}, "too large"),
]


@pytest.mark.parametrize(("method", "kwargs", "message"), BAD_MATCHES)
async def test_malformed_matches_are_a_one_line_400(
    served: MockConfigEntry,
    plex: Plex,
    caplog: pytest.LogCaptureFixture,
    method: str,
    kwargs: dict[str, Any],
    message: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    for root in roots(served):
        status, data, _ = await plex.answered(method, f"{root}/library/metadata/matches", **kwargs)
        assert status == 400
        assert message in data["error"]
        assert "\n" not in plex.bodies[-1]
    assert _noise(caplog) == []


@pytest.mark.parametrize("name", ["X-Plex-Container-Start", "X-Plex-Container-Size"])
async def test_paging_numbers_of_thousands_of_digits_are_a_400(
    served: MockConfigEntry, plex: Plex, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.DEBUG)
    path = f"{roots(served)[1]}/library/metadata/tmdb-show-1396/grandchildren"
    for where in ({"headers": {name: DIGITS}}, {"params": {name: DIGITS}}):
        status, data, _ = await plex.get(path, **where)
        assert (status, data) == (400, {"error": f"{name} is out of range"})
    assert _noise(caplog) == []


async def test_each_request_costs_tmdb_at_most_three_requests(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex, tmdb: TMDbEmulator
) -> None:
    """The worst cases found in testing, and each endpoint, counted at the emulator."""
    _unbounded_rates(hass, served)
    movie, tv = roots(served)
    costs: list[int] = []

    async def cost(method: str, path: str, **kwargs: Any) -> int:
        for _ in range(12):  # asking again after each 503, as PMS would
            before = len(tmdb.requests)
            status, _, _ = (
                await plex.get(path, **kwargs)
                if method == "GET"
                else await plex.post(path, **kwargs)
            )
            costs.append(len(tmdb.requests) - before)
            if status != 503:
                assert status == 200, path
                return costs[-1]
        raise AssertionError(path)

    matches = f"{tv}/library/metadata/matches"
    await cost("POST", matches, json={"type": 4, "title": "o", "date": "1900-01-01"})
    await cost("POST", matches, json={"type": 4, "title": "o", "date": "1900-01-01", "manual": 1})
    halloween = {"type": 1, "title": "Halloween", "manual": 1}
    await cost("POST", f"{movie}/library/metadata/matches", json=halloween)
    await cost("GET", f"{tv}/library/metadata/tmdb-episode-1396-1-3")
    await cost("GET", f"{tv}/library/metadata/tmdb-season-1396-1", params={"includeChildren": "1"})
    await cost("GET", f"{tv}/library/metadata/tmdb-show-121/children")
    await cost("GET", f"{tv}/library/metadata/tmdb-season-121-1/children")
    await cost("GET", f"{tv}/library/metadata/tmdb-episode-121-1-1/images")
    await cost("GET", f"{movie}/library/metadata/tmdb-movie-603/extras")
    await cost(
        "GET",
        f"{tv}/library/metadata/tmdb-show-1396/grandchildren",
        headers={"X-Plex-Container-Size": "1000"},
    )
    assert max(costs) <= MAX_TMDB_REQUESTS == 3
    # Twenty grandchildren requests in twenty spellings of languages: TMDb's few tags only.
    spellings = ["fr", "FR", "fr-fr", "fr_FR", "fr-BE", "de", "de-AT", "xx", "en", "EN-us"]
    before = len(tmdb.requests)
    for spelling in spellings * 2:
        path = f"{tv}/library/metadata/tmdb-show-1438/grandchildren"
        assert await cost("GET", path, headers={"X-Plex-Language": spelling}) <= 3
    asked = {r.query.get("language") for r in tmdb.requests[before:]}
    assert asked == {"fr-FR", "de-DE", "de-AT", "en-US"}
    assert len(tmdb.requests) - before <= 3 * len(asked)
    # Two hundred unknown titles (900 TMDb requests before).
    before = len(tmdb.requests)
    for number in range(200):
        body = {"type": 1, "title": f"Qwxzzy {number}", "year": 2001}
        assert await cost("POST", f"{movie}/library/metadata/matches", json=body) <= 3
    assert len(tmdb.requests) - before <= 200 * 2


async def test_the_provider_keeps_to_its_share_while_ingest_goes_on(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex, tmdb: TMDbEmulator
) -> None:
    """Forty clients flood the provider for three seconds; ingest identifies files meanwhile."""
    rate = TMDB_SHARE * DEFAULT_RATE
    assert rate == 10
    hass.data[DATA_PROVIDERS].limiter = ClientRateLimiter(10_000, 10_000)  # many clients
    movie, _ = roots(served)
    statuses: dict[int, int] = {}

    async def flood(worker: int) -> None:
        number = 0
        while time.monotonic() < deadline:
            number += 1
            body = {"type": 1, "title": f"Flood {worker} {number}"}
            status, _, _ = await plex.post(f"{movie}/library/metadata/matches", json=body)
            statuses[status] = statuses.get(status, 0) + 1

    async def ingest() -> list[float]:
        seconds: list[float] = []
        for name in ("Heat.1995.mkv", "Alien.1979.mkv", "Se7en.1995.mkv", "Inception.2010.mkv"):
            await asyncio.sleep(0.4)
            begun = time.monotonic()
            response: Any = await hass.services.async_call(
                DOMAIN, "identify", {"name": name}, blocking=True, return_response=True
            )
            seconds.append(time.monotonic() - begun)
            assert response["decision"] == "auto", response
        return seconds

    await hass.services.async_call(  # ingest's guessit process is started
        DOMAIN, "identify", {"name": "Warm.Up.2001.mkv"}, blocking=True, return_response=True
    )
    # The three seconds start once the child is up (each Home Assistant starts its own).
    started = time.monotonic()
    deadline = started + 3.0
    flooding = [asyncio.create_task(flood(n)) for n in range(40)]
    identified = await ingest()
    await asyncio.gather(*flooding)
    ended = time.monotonic()
    provider = sorted(r.at for r in tmdb.requests if r.query.get("query", "").startswith("Flood"))
    ingested = [r for r in tmdb.requests if r.query.get("query") in {"Heat", "Alien", "Se7en"}]
    assert statuses.get(503, 0) > 0  # the flood was refused past the share...
    assert statuses.get(200, 0) >= 10  # ...and served within it
    assert set(statuses) <= {200, 503}
    # Never more than the burst plus the rate, in any second of the flood, or in all of it.
    for i, first in enumerate(provider):
        assert sum(1 for t in provider[i:] if t < first + 1.0) <= MAX_TMDB_REQUESTS + rate + 1
    assert len(provider) <= MAX_TMDB_REQUESTS + rate * (ended - started) + 1
    assert len(ingested) >= 3
    assert max(identified) < 1.0, identified  # ingest never waits for the provider's share


async def test_a_stopped_provider_lane_does_not_hold_ingest(
    hass: HomeAssistant,
    served: MockConfigEntry,
    plex: Plex,
    tmp_path: Path,
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The provider's guessit child frozen (SIGSTOP) with names waiting for it: a file dropped
    for ingest is still read, identified and filed, through ingest's own child; the provider's
    queue stays bounded, and its names are answered once the child runs again.

    (How long ingest waits under a flood of slow names is measured by bench/provider_hostile.)
    """
    _unbounded_rates(hass, served)
    monkeypatch.setattr(parse_module, "PARSE_TIME_LIMIT", 120.0)  # no kill while it is frozen
    for provider in hass.data[DATA_PROVIDERS].served[served.entry_id].providers.values():
        monkeypatch.setattr(provider._matcher, "_identify_timeout", 120.0)
    queue = _limits(hass, served).parses
    _, tv = roots(served)
    status, _, _ = await plex.post(  # the provider's child is started
        f"{tv}/library/metadata/matches",
        json={"type": 4, "filename": "TV/Breaking.Bad.S01E01.720p.mkv"},
    )
    assert status == 200
    processes = hass.data[DATA_GUESSIT].processes
    frozen = processes.pids()["provider"]
    os.kill(frozen, signal.SIGSTOP)
    try:
        waiting = [
            asyncio.create_task(
                plex.post(
                    f"{tv}/library/metadata/matches",
                    json={"type": 4, "filename": f"TV/Breaking.Bad.S01E0{n + 2}.720p.mkv"},
                )
            )
            for n in range(queue.size)
        ]
        await until(
            lambda: queue.queued == queue.size, timeout=60
        )  # every place taken, none answered
        status, _, _ = await plex.post(  # past the queue: refused at once
            f"{tv}/library/metadata/matches",
            json={"type": 4, "filename": "TV/Breaking.Bad.S02E01.720p.mkv"},
        )
        assert status == 503
        source = tmp_path / "ingest" / "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
        source.write_bytes(b"video")
        response: Any = await hass.services.async_call(
            DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
        )
        (result,) = response["results"]
        assert result["status"] == "ingested", result
        assert (media_root / "Movies" / "Titanic (1997) {tmdb-597}").is_dir()
        # Ingest's name went through a child of its own; the provider's is still frozen, its
        # names still waiting.
        ingest = processes.pids()["ingest"]
        assert ingest != frozen
        assert _state(frozen) == "T"
        assert not any(task.done() for task in waiting)
    finally:
        os.kill(frozen, signal.SIGCONT)
    answers = await asyncio.gather(*waiting)
    assert [status for status, _, _ in answers] == [200] * queue.size
    assert queue.queued == 0
    assert processes.pids() == {"ingest": ingest, "provider": frozen}  # neither was restarted
    assert _noise(caplog) == []


def _state(pid: int) -> str:
    """A process's state letter (R running, S sleeping, T stopped, ...)."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    return stat.rsplit(")", 1)[1].split()[0]


# ---- generated junk for every endpoint ---------------------------------------------------

_text = st.text(max_size=40)
_json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
    | st.just(DIGITS),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=12,
)
_fields = st.sampled_from(
    ["type", "title", "parentTitle", "grandparentTitle", "year", "guid", "index", "parentIndex",
     "filename", "date", "manual", "includeChildren", "includeAdult", "episodeOrder"]
)  # fmt: skip
_body = st.one_of(
    st.dictionaries(_fields, _json_value, max_size=6).map(lambda d: {"json": d}),
    st.fixed_dictionaries({"type": st.sampled_from([1, 2, 3, 4])}, optional={"title": _text}).map(
        lambda d: {"json": d}
    ),
    st.binary(max_size=200).map(lambda b: {"data": b}),
    _json_value.map(lambda v: {"json": v}),
)
_header_text = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    st.sampled_from(["0", "20", "-1", DIGITS, "1e3", "en-us", "fr_FR", "EN", "zh-Hant"]),
)
_headers = st.dictionaries(
    st.sampled_from(["X-Plex-Language", "X-Plex-Container-Start", "X-Plex-Container-Size"]),
    _header_text,
    max_size=3,
)
_query = st.dictionaries(st.one_of(_fields, _text), st.one_of(_text, st.just(DIGITS)), max_size=4)
_rating_keys = st.one_of(
    st.sampled_from(["tmdb-movie-603", "tmdb-show-1396", "tmdb-season-1396-1", "matches",
                     "tmdb-episode-1396-1-1", "tmdb-movie-" + DIGITS, "tmdb-movie-0"]),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/?#"), min_size=1,
            max_size=30),
)  # fmt: skip
_relations = st.sampled_from(["", "children", "grandchildren", "images", "extras", "x", "🎬"])


@pytest.mark.timeout(240)
async def test_generated_junk_gets_a_plain_answer_and_no_log_noise(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _unbounded_rates(hass, served)
    right = served.data[CONF_PROVIDER_ID]
    loop = hass.loop
    seen: dict[int, int] = {}

    async def send(method: str, path: str, kwargs: dict[str, Any]) -> None:
        status, text, _ = await plex.raw(method, path, **kwargs)
        assert status in ANSWERS, (status, path, text[:300])
        seen[status] = seen.get(status, 0) + 1
        if status != 200:
            assert "\n" not in text.strip(), text[:300]
            assert "Traceback" not in text

    @settings(max_examples=400, derandomize=True, database=None, deadline=None)
    @given(
        provider_id=st.sampled_from([right] * 8 + [right[:-1], "x"]),
        kind=st.sampled_from(["movie", "tv"]),
        target=st.one_of(
            st.tuples(st.just("POST"), st.just("/library/metadata/matches"), _body),
            st.tuples(st.just("GET"), st.just("/library/metadata/matches"), st.just({})),
            st.tuples(
                st.sampled_from(["GET", "GET", "POST"]),
                st.builds(
                    lambda k, r: f"/library/metadata/{k}" + (f"/{r}" if r else ""),
                    _rating_keys,
                    _relations,
                ),
                st.just({}),
            ),
            st.tuples(st.just("GET"), st.just(""), st.just({})),
        ),
        headers=_headers,
        query=_query,
    )
    def run(
        provider_id: str,
        kind: str,
        target: tuple[str, str, dict[str, Any]],
        headers: dict[str, str],
        query: dict[str, str],
    ) -> None:
        method, tail, body = target
        path = f"{PROVIDER_URL}/{provider_id}/{kind}{tail}"
        kwargs = {**body, "headers": headers, "params": query}
        asyncio.run_coroutine_threadsafe(send(method, path, kwargs), loop).result(timeout=60)

    with ThreadPoolExecutor(1, thread_name_prefix="hypothesis") as pool:
        await hass.loop.run_in_executor(pool, run)
    assert {200, 400, 404} <= set(seen), seen
    assert _noise(caplog) == []
    assert right not in caplog.text
