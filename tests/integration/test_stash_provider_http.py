"""The Stash provider on Home Assistant's HTTP server: Plex's provider contract, and its guards.

Asked the way PMS asks (no authentication, the entry's secret address, JSON bodies, paging in
headers, feature keys under the registered URL), against the Plex and Stash emulators. The
contract (shared/research/provider_perf.md §A): the identifier's form, the types, relative
feature keys, an empty match is 200 with an empty list, an unknown key is 404; the images
the documents name are served under the provider's address.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest

from custom_components.videodrome.const import (
    CONF_PROVIDER_ID,
    CONF_STASH_API_KEY,
    CONF_STASH_URL,
    DOMAIN,
)
from custom_components.videodrome.engine.provider.budget import StashLimits
from custom_components.videodrome.engine.provider.documents import (
    IDENTIFIER_PATTERN,
    MOVIE_IDENTIFIER,
    TV_IDENTIFIER,
)
from custom_components.videodrome.engine.provider.rate_limits import (
    BookingLimiter,
    ClientRateLimiter,
)
from custom_components.videodrome.engine.provider.stash_documents import STASH_IDENTIFIER
from custom_components.videodrome.provider_answers import MAX_BODY
from custom_components.videodrome.provider_http import DATA_PROVIDERS, PROVIDER_URL
from custom_components.videodrome.stash_provider_http import (
    DATA_STASH_PROVIDERS,
    ISSUE_STASH_PROVIDER_OPEN,
)
from tests.emulators.stash import StashEmulator, draw_image
from tests.integration.provider_client import Plex
from tests.integration.stash_helpers import STASH_KEY
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

HARBOUR = "Coastal.Journeys.E01.Harbour.at.Dawn.1080p.mp4"
NOWHERE = "/api/videodrome/no/such/path"


@pytest.fixture
async def stash(socket_enabled: None) -> AsyncIterator[StashEmulator]:
    """The Stash emulator, requiring STASH_KEY; scene 2's screenshot is an SVG."""

    @web.middleware
    async def svg(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path == "/scene/2/screenshot":
            body = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
            return web.Response(body=body, content_type="image/svg+xml")
        return await handler(request)

    emulator = StashEmulator(api_key=STASH_KEY)
    emulator.app.middlewares.append(svg)
    async with emulator:
        yield emulator


@pytest.fixture
async def plex(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> Plex:
    """An unauthenticated client of Home Assistant's HTTP server, Videodrome set up first."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(hass, "image", {})  # the entries' image platform
    return Plex(await hass_client_no_auth())


async def _load(hass: HomeAssistant, entry: MockConfigEntry, **options: Any) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def served(
    hass: HomeAssistant, config_entry: MockConfigEntry, stash: StashEmulator, plex: Plex
) -> MockConfigEntry:
    """A loaded entry with a Stash and no ingest."""
    await _load(hass, config_entry, **{CONF_STASH_URL: stash.url, CONF_STASH_API_KEY: STASH_KEY})
    return config_entry


def _root(entry: MockConfigEntry, provider_id: str | None = None) -> str:
    return f"{PROVIDER_URL}/{provider_id or entry.data[CONF_PROVIDER_ID]}/stash"


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    issue_id = f"{ISSUE_STASH_PROVIDER_OPEN}_{entry.entry_id}"
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


async def test_without_a_stash_everything_is_404(
    hass: HomeAssistant, config_entry: MockConfigEntry, plex: Plex
) -> None:
    await _load(hass, config_entry)
    root = _root(config_entry)
    for path in (root, f"{root}/library/metadata/stash-1", f"{root}/stash/scene/1/poster"):
        assert await plex.shape("GET", path) == await plex.shape("GET", NOWHERE)
    assert (await plex.raw("POST", f"{root}/library/metadata/matches", json={"type": 1}))[0] == 404
    assert _issue(hass, config_entry) is None


async def test_the_root_follows_the_contract(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex
) -> None:
    root = _root(served)
    status, data, _ = await plex.get(root)
    assert status == 200
    provider = data["MediaProvider"]
    assert provider["identifier"] == STASH_IDENTIFIER
    assert IDENTIFIER_PATTERN.fullmatch(provider["identifier"])
    assert len({STASH_IDENTIFIER, MOVIE_IDENTIFIER, TV_IDENTIFIER}) == 3
    assert provider["Types"] == [{"type": 1, "Scheme": [{"scheme": STASH_IDENTIFIER}]}]
    features = {f["type"]: f["key"] for f in provider["Feature"]}
    assert features == {"metadata": "/library/metadata", "match": "/library/metadata/matches"}
    status, data, _ = await plex.post(f"{root}{features['match']}", json={"type": 1})
    assert (status, data["MediaContainer"]["Metadata"]) == (200, [])
    status, data, _ = await plex.get(f"{root}{features['metadata']}/stash-1")
    assert status == 200
    assert data["MediaContainer"]["Metadata"][0]["ratingKey"] == "stash-1"
    for key in ("stash-999", "stash-01", "tmdb-movie-603"):
        status, data, _ = await plex.get(f"{root}{features['metadata']}/{key}")
        assert (status, data) == (404, {"error": "not found"})
    issue = _issue(hass, served)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.translation_placeholders  # the address is in the options only


async def test_a_scene_is_matched_by_its_file_name_and_described(
    served: MockConfigEntry, plex: Plex
) -> None:
    root = _root(served)
    body = {"type": 1, "title": "x", "filename": f"/Stash/{HARBOUR}", "includeFields": "guid"}
    (found,) = await plex.match(root, body)
    assert (found["ratingKey"], found["score"]) == ("stash-1", 100)
    assert found["guid"] == f"{STASH_IDENTIFIER}://movie/stash-1"
    assert (found["title"], found["year"], found["rating"]) == ("Harbour at Dawn", 2024, 8.4)
    # Image URLs: the address the request came to, the provider's routes below it.
    base = str(plex.client.make_url(root))
    assert found["thumb"] == f"{base}/stash/scene/1/poster"
    assert found["art"] == f"{base}/stash/scene/1/screenshot"
    status, query_form, _ = await plex.get(
        f"{root}/library/metadata/matches",
        params={"type": "1", "filename": HARBOUR, "X-Plex-Language": "fr-FR"},
    )
    assert (status, query_form["MediaContainer"]["Metadata"]) == (200, [found])
    status, data, _ = await plex.get(
        f"{root}/library/metadata/stash-1", headers={"X-Plex-Language": "de-DE"}
    )
    assert data["MediaContainer"]["Metadata"] == [{k: v for k, v in found.items() if k != "score"}]
    (unknown,) = [await plex.match(root, {"type": 1, "filename": "/Stash/home video.mp4"})]
    assert unknown == []


async def test_children_images_and_extras(served: MockConfigEntry, plex: Plex) -> None:
    root = f"{_root(served)}/library/metadata"
    status, data, response = await plex.get(
        f"{root}/stash-1/children", headers={"X-Plex-Container-Start": "20"}
    )
    assert (status, data["MediaContainer"]["offset"], data["MediaContainer"]["Metadata"]) == (
        200,
        20,
        [],
    )
    assert response.headers["X-Plex-Container-Total-Size"] == "0"
    status, data, _ = await plex.get(f"{root}/stash-1/grandchildren")
    assert (status, data["MediaContainer"]["totalSize"]) == (200, 0)
    status, data, _ = await plex.get(f"{root}/stash-1/images")
    assert [image["type"] for image in data["MediaContainer"]["Image"]] == [
        "coverPoster",
        "background",
    ]
    status, data, _ = await plex.get(f"{root}/stash-1/extras")
    assert (status, data["MediaContainer"]["size"]) == (200, 0)
    for path, expected in (
        (f"{root}/stash-999/children", 404),
        (f"{root}/stash-1/siblings", 404),
        (f"{root}/stash-1?includeChildren=2", 400),
        (f"{root}/stash-1/children?X-Plex-Container-Size=x", 400),
    ):
        assert (await plex.get(path))[0] == expected, path


async def test_the_images_come_from_stash_through_the_provider(
    served: MockConfigEntry, plex: Plex, stash: StashEmulator
) -> None:
    root = _root(served)
    expected = {
        "scene/1/screenshot": draw_image("scene 1", 1920, 1080),
        "performer/1/image": draw_image("performer 1", 400, 600),
        "group/1/front": draw_image("group 1", 400, 600),
    }
    for route, image in expected.items():
        response = await plex.client.get(f"{root}/stash/{route}")
        assert (response.status, response.content_type) == (200, "image/jpeg"), route
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert (await response.read()) == image
    response = await plex.client.get(f"{root}/stash/scene/1/poster")
    assert (response.status, response.content_type) == (200, "image/jpeg")
    with Image.open(io.BytesIO(await response.read())) as poster:
        assert poster.size == (1000, 1500)
    assert all(r.with_key for r in stash.requests)
    for route in ("scene/4/poster", "scene/01/poster", "studio/1/image", "scene/1", "x"):
        status, text, _ = await plex.raw("GET", f"{root}/stash/{route}")
        assert (status, text) == (404, '{"error":"not found"}'), route
    # An SVG would run in Home Assistant's origin if a browser opened it: not passed on.
    assert (await plex.raw("GET", f"{root}/stash/scene/2/screenshot"))[0] == 404


async def test_hostile_requests(
    hass: HomeAssistant,
    served: MockConfigEntry,
    plex: Plex,
    stash: StashEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    root = _root(served)
    matches = f"{root}/library/metadata/matches"
    assert (await plex.shape("GET", _root(served, "wrong-id"))) == await plex.shape("GET", NOWHERE)
    status, data, response = await plex.post(f"{root}/library/metadata/stash-1", json={})
    assert (status, response.headers["Allow"]) == (405, "GET")
    assert (await plex.post(f"{root}/stash/scene/1/poster"))[0] == 405
    for kwargs, message in (
        ({"data": b"{"}, "not JSON"),
        ({"data": b"x" * (MAX_BODY + 1)}, "too large"),
        ({"json": {"type": "9" * 5000}}, "out of range"),
        ({"json": {"type": 1, "filename": "a/" + "x" * 300}}, "255"),
    ):
        status, data, _ = await plex.post(matches, **kwargs)
        assert status == 400
        assert message in data["error"]
    status, data, _ = await plex.get(f"{root}/library/metadata/stash-1", headers={"Host": "a:b:c"})
    assert (status, data) == (400, {"error": "the Host header is not an address"})
    # Stash away: a plain 500, and Home Assistant's log gets nothing above debug.
    stash.faults.fail_next = 10
    status, data, _ = await plex.get(f"{root}/library/metadata/stash-3")
    assert (status, data) == (500, {"error": "Stash is not available"})
    stash.faults.fail_next = 0
    # More than Stash's share: 503 with Retry-After.
    provider = hass.data[DATA_STASH_PROVIDERS][served.entry_id].provider
    provider._limits = StashLimits(BookingLimiter(1.0, 1, max_wait=0))
    await plex.get(f"{root}/library/metadata/stash-2")
    status, data, response = await plex.get(f"{root}/library/metadata/stash-4")
    assert (status, int(response.headers["Retry-After"])) == (503, 1)
    assert "share of Stash" in data["error"]
    # A client over its rate (one bucket for all of Videodrome's providers): 429.
    hass.data[DATA_PROVIDERS].limiter = ClientRateLimiter(0.5, 1)
    assert (await plex.raw("GET", root))[0] == 200
    status, _, response = await plex.raw("GET", f"{root}/stash/scene/3/screenshot")
    assert (status, response.headers["Retry-After"]) == (429, "2")
    shown = "\n".join(plex.bodies)
    assert STASH_KEY not in shown
    assert stash.url not in shown
    assert "/data/" not in shown  # Stash's paths
    # Only Stash's outage, once it went and once it was back (engine/availability.py).
    logged = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert [m.split(":")[0] for m in logged if "Stash" in m] == [
        "Stash (Videodrome Demo) is unavailable",
        "Stash (Videodrome Demo) is available again after 0 s",
    ]
    assert not any(r.exc_info for r in caplog.records)
    assert served.data[CONF_PROVIDER_ID] not in caplog.text
    assert STASH_KEY not in caplog.text


async def test_unloading_stops_serving(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex
) -> None:
    root = _root(served)
    assert (await plex.get(root))[0] == 200
    assert await hass.config_entries.async_unload(served.entry_id)
    assert (await plex.raw("GET", root))[0] == 404
    assert _issue(hass, served) is None


def _acquired(hass: HomeAssistant, stash: StashEmulator) -> int:
    """How many connections of Home Assistant's client session to Stash are in use."""
    connector = async_get_clientsession(hass).connector
    assert isinstance(connector, aiohttp.TCPConnector)
    port = int(stash.url.rsplit(":", 1)[1])
    return sum(
        1
        for protocol in connector._acquired
        if protocol.transport is None or protocol.transport.get_extra_info("peername")[1] == port
    )


async def test_images_are_streamed_to_plex(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex, stash: StashEmulator
) -> None:
    shot = draw_image("scene 1", 1920, 1080)
    stash.faults.image_pause = pause = asyncio.Event()
    async with asyncio.timeout(5):
        response = await plex.client.get(f"{_root(served)}/stash/scene/1/screenshot")
        assert (response.status, response.content_type) == (200, "image/jpeg")
        assert response.content_length == len(shot)
        assert response.headers["ETag"] == f'"{hashlib.md5(shot).hexdigest()}"'  # noqa: S324
        first = await response.content.readany()
        assert not pause.is_set()  # Plex has the first bytes before Stash sent the rest
        assert shot.startswith(first)
        pause.set()
        assert first + await response.read() == shot
    await until(lambda: _acquired(hass, stash) == 0)


async def test_plex_going_away_mid_image_gives_stashs_connection_back(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex, stash: StashEmulator
) -> None:
    stash.faults.image_pause = pause = asyncio.Event()
    response = await plex.client.get(f"{_root(served)}/stash/scene/1/screenshot")
    await response.content.readany()
    response.close()  # Plex goes away with the image half read
    pause.set()
    await until(lambda: _acquired(hass, stash) == 0)
    assert (await plex.client.get(f"{_root(served)}/stash/scene/1/screenshot")).status == 200


async def test_stashs_304_comes_back_and_the_poster_has_its_own(
    served: MockConfigEntry, plex: Plex
) -> None:
    for route in ("scene/1/screenshot", "performer/1/image", "scene/1/poster"):
        url = f"{_root(served)}/stash/{route}"
        etag = (await plex.client.get(url)).headers["ETag"]
        again = await plex.client.get(url, headers={"If-None-Match": etag})
        assert (again.status, again.headers["ETag"], await again.read()) == (304, etag, b"")
        other = await plex.client.get(url, headers={"If-None-Match": '"other"'})
        assert other.status == 200, route


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_image_over_the_bound_never_reaches_plex_whole(
    hass: HomeAssistant,
    served: MockConfigEntry,
    plex: Plex,
    stash: StashEmulator,
    *,
    chunked: bool,
) -> None:
    shot = draw_image("scene 1", 1920, 1080)
    stash.faults.image_chunked = chunked
    stash.faults.image_pause = pause = asyncio.Event()  # the first half, then the rest
    provider = hass.data[DATA_STASH_PROVIDERS][served.entry_id].provider
    provider.client.max_image_bytes = len(shot) * 3 // 4
    async with asyncio.timeout(5):
        response = await plex.client.get(f"{_root(served)}/stash/scene/1/screenshot")
        pause.set()
        if chunked:  # found out while streaming: the head is sent, the body is cut
            assert response.status == 200
            with pytest.raises(aiohttp.ClientPayloadError):
                await response.read()
        else:  # Stash's Content-Length says so: a plain answer
            assert (response.status, await response.json()) == (
                502,
                {"error": "Stash is not available"},
            )
    await until(lambda: _acquired(hass, stash) == 0)


async def test_stash_breaking_off_an_image_cuts_plexs_answer(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex, stash: StashEmulator
) -> None:
    stash.faults.image_drop_next = 1
    async with asyncio.timeout(5):
        response = await plex.client.get(f"{_root(served)}/stash/performer/2/image")
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    await until(lambda: _acquired(hass, stash) == 0)
    # Stash failing before the first byte is a plain 502; no HEAD (Stash has none either).
    stash.faults.fail_next = 1
    status, data, _ = await plex.get(f"{_root(served)}/stash/group/1/front")
    assert (status, data) == (502, {"error": "Stash is not available"})
    assert (await plex.raw("HEAD", f"{_root(served)}/stash/group/1/front"))[0] == 405
    stash.faults.image_body = b""  # an empty answer is no image
    assert (await plex.get(f"{_root(served)}/stash/group/1/front"))[0] == 404
    stash.faults.image_body = None
    assert (await plex.client.get(f"{_root(served)}/stash/group/1/front")).status == 200
