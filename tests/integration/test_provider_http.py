"""The Plex metadata provider on Home Assistant's HTTP server, against the Plex and TMDb emulators.

Requests are made the way PMS makes them: without authentication, at the entry's secret
address, JSON bodies for matches, paging in headers or query parameters, feature keys under the
URL the user registered. A 503 (an answer that needs more TMDb requests than one request may
make) is asked again, as PMS would on its next refresh.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.videodrome.const import (
    CONF_METADATA_PROVIDER,
    CONF_PROVIDER_ID,
    DOMAIN,
)
from custom_components.videodrome.engine.provider.documents import (
    IDENTIFIER_PATTERN,
    MOVIE_IDENTIFIER,
    TV_IDENTIFIER,
)
from custom_components.videodrome.engine.provider.rate_limits import ClientRateLimiter
from custom_components.videodrome.provider_answers import MAX_BODY
from custom_components.videodrome.provider_http import (
    DATA_PROVIDERS,
    ISSUE_PROVIDER_OPEN,
    PROVIDER_URL,
    provider_urls,
)
from tests.conftest import PLEX_TOKEN
from tests.integration.conftest import TMDB_KEY
from tests.integration.provider_client import Plex

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.emulators.tmdb import TMDbEmulator

PROVIDER_ID = "hnNYb0j9Qm8Zr1fWb3p0cJ8kq2uYt1wXv3aBcDeFgH4"  # as secrets.token_urlsafe(32)
MOVIE = f"{PROVIDER_URL}/{PROVIDER_ID}/movie"
TV = f"{PROVIDER_URL}/{PROVIDER_ID}/tv"
NOWHERE = "/api/videodrome/no/such/path"


@pytest.fixture
async def plex(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> Plex:
    """An unauthenticated client of Home Assistant's HTTP server (set up first if need be)."""
    # The test client freezes the router (Home Assistant's own server never does): Videodrome
    # registers its views first.
    assert await async_setup_component(hass, DOMAIN, {})
    return Plex(await hass_client_no_auth())


async def _ingest(hass: HomeAssistant, tmp_path: Path, name: str) -> dict[str, Any]:
    source = tmp_path / "ingest" / name
    source.write_bytes(b"video")
    response = await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
    )
    assert response is not None
    results: Any = response["results"]
    (item,) = results
    assert item["status"] == "ingested", item
    return dict(item)


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up `entry`, whose provider id is PROVIDER_ID."""
    data = {**entry.data, CONF_PROVIDER_ID: PROVIDER_ID}
    hass.config_entries.async_update_entry(entry, data=data)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    registry = ir.async_get(hass)
    return registry.async_get_issue(DOMAIN, f"{ISSUE_PROVIDER_OPEN}_{entry.entry_id}")


async def test_off_by_default_everything_is_404(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry], plex: Plex
) -> None:
    entry = make_ingest_entry()
    await _setup(hass, entry)
    for path in (MOVIE, TV, f"{MOVIE}/library/metadata/tmdb-movie-603"):
        assert await plex.shape("GET", path) == await plex.shape("GET", NOWHERE)
    status, _, _ = await plex.raw("POST", f"{MOVIE}/library/metadata/matches", json={"type": 1})
    assert status == 404
    assert _issue(hass, entry) is None


async def test_turning_it_on_and_off(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry], plex: Plex
) -> None:
    """On: served, with a warning repair issue. Off again: 404, issue gone."""
    entry = make_ingest_entry(**{CONF_METADATA_PROVIDER: True})
    await _setup(hass, entry)
    status, root, _ = await plex.get(MOVIE)
    assert status == 200
    assert root["MediaProvider"]["identifier"] == MOVIE_IDENTIFIER
    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == ISSUE_PROVIDER_OPEN
    assert not issue.translation_placeholders  # the secret addresses are in the options only
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_METADATA_PROVIDER: False}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    status, _, _ = await plex.raw("GET", MOVIE)
    assert status == 404
    assert _issue(hass, entry) is None


async def test_unloading_stops_serving(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry], plex: Plex
) -> None:
    entry = make_ingest_entry(**{CONF_METADATA_PROVIDER: True})
    await _setup(hass, entry)
    assert (await plex.get(TV))[0] == 200
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert (await plex.raw("GET", TV))[0] == 404
    assert _issue(hass, entry) is None


@pytest.fixture
async def served(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> MockConfigEntry:
    """A loaded entry with ingest and the provider on."""
    entry = make_ingest_entry(**{CONF_METADATA_PROVIDER: True})
    await _setup(hass, entry)
    return entry


async def test_root_documents(served: MockConfigEntry, plex: Plex) -> None:
    roots = (
        (MOVIE, MOVIE_IDENTIFIER, [1], "tmdb-movie-603", 1),
        (TV, TV_IDENTIFIER, [2, 3, 4], "tmdb-show-1396", 2),
    )
    for root, identifier, types, rating_key, kind in roots:
        status, data, _ = await plex.get(root)
        assert status == 200
        provider = data["MediaProvider"]
        assert provider["identifier"] == identifier
        assert IDENTIFIER_PATTERN.fullmatch(provider["identifier"])
        assert [t["type"] for t in provider["Types"]] == types
        assert all(t["Scheme"][0]["scheme"] == identifier for t in provider["Types"])
        features = {f["type"]: f["key"] for f in provider["Feature"]}
        # Relative: PMS puts them after the URL it was given.
        assert features == {"metadata": "/library/metadata", "match": "/library/metadata/matches"}
        status, data, _ = await plex.get(f"{root}{features['metadata']}/{rating_key}")
        assert status == 200
        assert data["MediaContainer"]["Metadata"][0]["ratingKey"] == rating_key
        status, data, _ = await plex.post(f"{root}{features['match']}", json={"type": kind})
        assert (status, data["MediaContainer"]["Metadata"]) == (200, [])


async def test_an_ingested_file_is_matched_from_the_history(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex, tmp_path: Path, media_root: Path
) -> None:
    """Plex scans what Videodrome filed and asks about it: the history answers, score 100."""
    filename = "Movies/Titanic (1997) {tmdb-597}/Titanic (1997).mkv"
    before = await plex.match(MOVIE, {"type": 1, "title": "Titanic", "filename": filename})
    item = await _ingest(hass, tmp_path, "Titanic.1997.mkv")
    destination = Path(item["destination"])
    assert destination.relative_to(media_root).as_posix() == filename
    (found,) = await plex.match(MOVIE, {"type": 1, "title": "Titanic", "filename": filename})
    assert found["ratingKey"] == "tmdb-movie-597"
    assert found["guid"] == f"{MOVIE_IDENTIFIER}://movie/tmdb-movie-597"
    assert found["score"] == 100
    # Before the ingest the answer came from identification: a new item is not hidden by it.
    assert [m["ratingKey"] for m in before] == ["tmdb-movie-597"]
    assert before[0]["score"] < 100


async def test_episode_matches_and_children(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex, tmp_path: Path, media_root: Path
) -> None:
    item = await _ingest(hass, tmp_path, "The.Mandalorian.S01E02.1080p.mkv")
    filename = Path(item["destination"]).relative_to(media_root).as_posix()
    (episode,) = await plex.match(
        TV, {"type": 4, "grandparentTitle": "Mandalorian", "filename": filename}
    )
    assert episode["ratingKey"] == "tmdb-episode-82856-1-2"
    assert episode["score"] == 100
    (season,) = await plex.match(
        TV,
        {"type": 3, "parentTitle": "x", "index": 1, "includeChildren": 1, "filename": filename},
    )
    assert season["ratingKey"] == "tmdb-season-82856-1"
    assert season["Children"]["size"] == 8
    (show,) = await plex.match(TV, {"type": 2, "title": "The Mandalorian", "year": 2019})
    assert show["ratingKey"] == "tmdb-show-82856"


async def test_empty_match_is_200_with_an_empty_list(served: MockConfigEntry, plex: Plex) -> None:
    status, data, _ = await plex.post(
        f"{MOVIE}/library/metadata/matches", json={"type": 1, "title": "Qwxzzy Unknown Film"}
    )
    assert status == 200
    assert data["MediaContainer"]["Metadata"] == []
    assert data["MediaContainer"]["size"] == 0
    assert data["MediaContainer"]["identifier"] == MOVIE_IDENTIFIER


async def test_match_as_query_parameters(served: MockConfigEntry, plex: Plex) -> None:
    status, data, _ = await plex.get(
        f"{MOVIE}/library/metadata/matches",
        params={"type": "1", "title": "Inception", "year": "2010", "X-Plex-Language": "en-US"},
    )
    assert status == 200
    assert data["MediaContainer"]["Metadata"][0]["ratingKey"] == "tmdb-movie-27205"


async def test_metadata_unknown_keys_and_relations(served: MockConfigEntry, plex: Plex) -> None:
    status, data, _ = await plex.get(f"{MOVIE}/library/metadata/tmdb-movie-603")
    assert status == 200
    container = data["MediaContainer"]
    assert (container["offset"], container["totalSize"], container["size"]) == (0, 1, 1)
    assert container["Metadata"][0]["ratingKey"] == "tmdb-movie-603"
    for path in (
        f"{MOVIE}/library/metadata/tmdb-movie-999999",
        f"{MOVIE}/library/metadata/tmdb-show-1396",
        f"{MOVIE}/library/metadata/603",
        f"{TV}/library/metadata/tmdb-season-1396-42",
        f"{TV}/library/metadata/tmdb-show-1396/siblings",
        f"{TV}/library/metadata/matches/children",
    ):
        status, body, _ = await plex.get(path)
        assert status == 404, path
        assert body == {"error": "not found"}
    status, data, _ = await plex.get(
        f"{TV}/library/metadata/tmdb-show-1396", params={"includeChildren": "1"}
    )
    assert data["MediaContainer"]["Metadata"][0]["Children"]["size"] == 5
    status, data, _ = await plex.get(
        f"{TV}/library/metadata/tmdb-show-1396", params={"includeChildren": "yes"}
    )
    assert (status, data) == (400, {"error": "includeChildren must be 0 or 1"})
    status, data, _ = await plex.get(f"{MOVIE}/library/metadata/tmdb-movie-603/images")
    assert [i["type"] for i in data["MediaContainer"]["Image"]] == ["coverPoster", "background"]
    status, data, _ = await plex.get(f"{TV}/library/metadata/tmdb-show-1396/extras")
    assert (status, data["MediaContainer"]["Metadata"]) == (200, [])


async def test_children_paging_headers_and_query(served: MockConfigEntry, plex: Plex) -> None:
    path = f"{TV}/library/metadata/tmdb-season-121-1/children"
    status, data, response = await plex.get(path)
    assert status == 200
    container = data["MediaContainer"]
    assert (container["offset"], container["size"], container["totalSize"]) == (0, 20, 42)
    assert response.headers["X-Plex-Container-Start"] == "0"
    assert response.headers["X-Plex-Container-Total-Size"] == "42"
    _, data, response = await plex.get(
        path, headers={"X-Plex-Container-Start": "40", "X-Plex-Container-Size": "20"}
    )
    assert [m["index"] for m in data["MediaContainer"]["Metadata"]] == [41, 42]
    assert response.headers["X-Plex-Container-Start"] == "40"
    _, data, _ = await plex.get(
        path, params={"X-Plex-Container-Start": "5", "X-Plex-Container-Size": "2"}
    )
    assert [m["index"] for m in data["MediaContainer"]["Metadata"]] == [6, 7]
    # Every season of the show: more TMDb requests than one request may make, so PMS is told
    # to ask again (503), and each time gets further.
    _, data, _ = await plex.answered(
        "GET",
        f"{TV}/library/metadata/tmdb-show-1396/grandchildren",
        headers={"X-Plex-Container-Size": "100"},
    )
    assert data["MediaContainer"]["totalSize"] == data["MediaContainer"]["size"] == 62
    status, data, _ = await plex.get(path, headers={"X-Plex-Container-Start": "minus one"})
    assert status == 400


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": b"{not json"}, "not JSON"),
        ({"data": b""}, "not JSON"),
        ({"json": [1, 2]}, "not a JSON object"),
        ({"json": {"title": "Alien"}}, "type must be"),
        ({"json": {"type": 1, "year": "last year"}}, "whole number"),
        ({"json": {"type": 1, "title": {"$ne": ""}}}, "must be a string"),
        ({"data": b'{"type": 1, "title": "' + b"x" * MAX_BODY + b'"}'}, "too large"),
    ],
)
async def test_bad_match_requests_are_400_without_a_trace(
    served: MockConfigEntry, plex: Plex, kwargs: dict[str, Any], message: str
) -> None:
    status, data, _ = await plex.post(f"{MOVIE}/library/metadata/matches", **kwargs)
    assert status == 400
    assert message in data["error"]
    assert "Traceback" not in plex.bodies[-1]
    assert "File " not in plex.bodies[-1]


async def test_a_huge_chunked_body_is_refused(served: MockConfigEntry, plex: Plex) -> None:
    """No Content-Length to go by: reading stops past the limit."""

    async def chunks() -> Any:
        yield b'{"type": 1, "title": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    status, data, _ = await plex.post(f"{MOVIE}/library/metadata/matches", data=chunks())
    assert status == 400
    assert data["error"] == "the request body is too large"


async def test_read_only(served: MockConfigEntry, plex: Plex) -> None:
    status, _, response = await plex.post(f"{MOVIE}/library/metadata/tmdb-movie-603", json={})
    assert status == 405
    assert response.headers["Allow"] == "GET"
    assert (await plex.post(MOVIE, json={}))[0] == 405
    for method in ("PUT", "DELETE", "PATCH"):
        response = await plex.client.request(method, f"{MOVIE}/library/metadata/tmdb-movie-603")
        assert response.status == 405


async def test_rate_limit_is_429_with_retry_after(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex
) -> None:
    now = [0.0]
    hass.data[DATA_PROVIDERS].limiter = ClientRateLimiter(rate=0.5, burst=3, clock=lambda: now[0])
    for _ in range(3):
        assert (await plex.get(MOVIE))[0] == 200
    status, data, response = await plex.get(MOVIE)
    assert status == 429
    assert data == {"error": "too many requests"}
    assert response.headers["Retry-After"] == "2"
    now[0] += 2
    assert (await plex.get(MOVIE))[0] == 200


async def test_language_header_reaches_tmdb(
    served: MockConfigEntry, plex: Plex, tmdb: TMDbEmulator
) -> None:
    status, _, _ = await plex.get(
        f"{TV}/library/metadata/tmdb-season-1396-2/children",
        headers={"X-Plex-Language": "fr-FR", "X-Plex-Country": "FR"},
    )
    assert status == 200
    assert ("/3/tv/1396/season/2", "fr-FR") in {
        (r.path, r.query.get("language")) for r in tmdb.requests
    }


async def test_tmdb_failure_is_a_plain_500(
    served: MockConfigEntry, plex: Plex, tmdb: TMDbEmulator
) -> None:
    tmdb.faults.fail_next = 5
    tmdb.faults.fail_status = 401
    status, data, _ = await plex.get(f"{MOVIE}/library/metadata/tmdb-movie-680")
    assert status == 500
    assert data == {"error": "TMDb is not available"}


async def test_an_unexpected_error_is_a_plain_500(
    hass: HomeAssistant,
    served: MockConfigEntry,
    plex: Plex,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = hass.data[DATA_PROVIDERS].provider(PROVIDER_ID, "movie")
    assert provider is not None

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug with /secret/path in its message")

    caplog.set_level(logging.DEBUG)
    caplog.clear()
    monkeypatch.setattr(provider, "metadata", broken)
    for _ in range(3):
        status, data, _ = await plex.get(f"{MOVIE}/library/metadata/tmdb-movie-603")
        assert status == 500
        assert data == {"error": "internal error"}
        assert "/secret/path" not in plex.bodies[-1]
    # The details go to the debug log, once a minute at most: any client can cause this.
    ours = [r for r in caplog.records if r.filename == "provider_http.py"]
    assert [(r.levelno, r.exc_info is not None) for r in ours] == [(logging.DEBUG, True)]
    assert all(r.levelno < logging.WARNING for r in caplog.records)
    assert "a bug with /secret/path" in caplog.text
    assert PROVIDER_ID not in caplog.text


async def test_nothing_private_in_any_answer(
    hass: HomeAssistant,
    served: MockConfigEntry,
    plex: Plex,
    tmp_path: Path,
    media_root: Path,
) -> None:
    """Paths, the Plex token and the TMDb key never reach a client, whatever it asks."""
    item = await _ingest(hass, tmp_path, "Joker.2019.mkv")
    relative = Path(item["destination"]).relative_to(media_root).as_posix()
    await plex.match(MOVIE, {"type": 1, "filename": relative, "manual": 1})
    await plex.match(MOVIE, {"type": 1, "filename": item["destination"]})
    await plex.match(
        MOVIE,
        {"type": 1, "filename": str(tmp_path / "ingest" / "Joker.2019.mkv"), "title": "Joker"},
    )
    await plex.get(MOVIE)
    await plex.get(TV)
    await plex.get(f"{MOVIE}/library/metadata/tmdb-movie-475557")
    await plex.get(f"{MOVIE}/library/metadata/tmdb-movie-475557/images")
    await plex.get(f"{TV}/library/metadata/tmdb-show-1396", params={"includeChildren": "1"})
    await plex.get(f"{TV}/library/metadata/tmdb-show-1396/grandchildren")
    await plex.post(f"{MOVIE}/library/metadata/matches", data=b"{")
    await plex.get(f"{MOVIE}/library/metadata/tmdb-movie-0")
    assert len(plex.bodies) == 11
    for body in plex.bodies:
        for private in (str(tmp_path), str(media_root), "ingest", PLEX_TOKEN, TMDB_KEY, "api_key"):
            assert private not in body


async def test_urls_without_a_known_address(hass: HomeAssistant) -> None:
    """Home Assistant does not know its own address yet: the issue says where to put it."""
    hass.config.api = None
    assert provider_urls(hass, PROVIDER_ID) == {
        "movie_url": f"http://<Home Assistant address>:8123{MOVIE}",
        "tv_url": f"http://<Home Assistant address>:8123{TV}",
    }
