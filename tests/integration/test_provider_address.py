"""The metadata provider's secret address: where the id lives, the migration, wrong ids.

Requests go to Home Assistant's real HTTP server without authentication, as PMS sends them.
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.videodrome.const import CONF_METADATA_PROVIDER, CONF_PROVIDER_ID, DOMAIN
from custom_components.videodrome.engine.provider.rate_limits import ClientRateLimiter
from custom_components.videodrome.engine.provider.service import MetadataProvider
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.provider_http import (
    PROVIDER_URL,
    MaskProviderIds,
    ProviderHub,
    ServedEntry,
    new_provider_id,
)
from tests.integration.provider_client import Plex, roots

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

NOWHERE = "/api/videodrome/no/such/path"


@pytest.fixture
async def plex(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> Plex:
    """An unauthenticated client of Home Assistant's HTTP server, Videodrome set up first."""
    assert await async_setup_component(hass, DOMAIN, {})
    return Plex(await hass_client_no_auth())


@pytest.fixture
async def served(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> MockConfigEntry:
    """A loaded entry with ingest and the provider on (its id made by the migration)."""
    entry = make_ingest_entry(**{CONF_METADATA_PROVIDER: True})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def test_ids_are_random_url_safe_and_long() -> None:
    ids = {new_provider_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 43 and i.isascii() and "/" not in i and "+" not in i for i in ids)
    assert all(set(i) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
               for i in ids)  # fmt: skip


async def test_migration_gives_an_older_entry_an_id(
    hass: HomeAssistant, served: MockConfigEntry, plex: Plex
) -> None:
    """Version 1.1 entries had none: 1.2 has one, it stays across restarts, and it serves."""
    assert (served.version, served.minor_version) == (1, 3)
    provider_id = served.data[CONF_PROVIDER_ID]
    assert len(provider_id) == 43
    assert await hass.config_entries.async_reload(served.entry_id)
    await hass.async_block_till_done()
    assert served.data[CONF_PROVIDER_ID] == provider_id
    for root in roots(served):
        status, data, _ = await plex.get(root)
        assert status == 200
        assert "MediaProvider" in data


async def test_migration_keeps_an_id_the_entry_has(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> None:
    entry = make_ingest_entry()
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_PROVIDER_ID: "kept"})
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert (entry.minor_version, entry.data[CONF_PROVIDER_ID]) == (3, "kept")


async def test_an_entry_of_a_newer_videodrome_is_not_loaded(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=2, minor_version=1, data={})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_the_old_fixed_addresses_are_gone(served: MockConfigEntry, plex: Plex) -> None:
    """`/api/videodrome/provider/movie|tv…` answer like an address that never existed."""
    missing = await plex.shape("GET", NOWHERE)
    assert missing[0] == 404
    for path in (
        f"{PROVIDER_URL}/movie",
        f"{PROVIDER_URL}/tv",
        f"{PROVIDER_URL}/movie/library/metadata/tmdb-movie-603",
        f"{PROVIDER_URL}/tv/library/metadata/tmdb-show-1396/children",
        f"{PROVIDER_URL}/movie/library/metadata/matches",
    ):
        assert await plex.shape("GET", path) == missing, path
    assert await plex.shape("POST", f"{PROVIDER_URL}/movie/library/metadata/matches") == (
        await plex.shape("POST", NOWHERE)
    )


async def test_a_wrong_id_is_a_missing_address(
    served: MockConfigEntry, plex: Plex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Near misses, other lengths, junk: all get the 404 of an address that does not exist."""
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    right = served.data[CONF_PROVIDER_ID]
    missing = await plex.shape("GET", NOWHERE)
    posted = await plex.shape("POST", NOWHERE, json={"type": 1})
    wrong = [
        right[:-1] + ("A" if right[-1] != "A" else "B"),
        right[:-1],
        right + "x",
        right.upper() if right.upper() != right else right.lower(),
        "x",
        "%00",
        "é" * 43,
        "\U0001f3ac",
        right.replace(right[0], "%2F", 1),
    ]
    for provider_id in wrong:
        for kind in ("movie", "tv"):
            base = f"{PROVIDER_URL}/{provider_id}/{kind}"
            assert await plex.shape("GET", base) == missing, provider_id
            assert await plex.shape("GET", f"{base}/library/metadata/tmdb-show-1396") == missing
            matches = f"{base}/library/metadata/matches"
            assert await plex.shape("POST", matches, json={"type": 1}) == posted
    # Compared in constant time, as bytes, with the entry's id.
    assert compared
    assert {a for a, _ in compared} == {right.encode()}
    assert (await plex.get(roots(served)[0]))[0] == 200


async def test_each_entry_has_its_own_address(hass: HomeAssistant) -> None:
    """The hub compares an id with every entry's, and finds the one whose it is."""
    tmdb = TMDbClient(async_get_clientsession(hass), api_key="key")
    hub = ProviderHub(ClientRateLimiter(1, 1))
    served: dict[str, dict[str, Any]] = {}
    for name in ("first", "second"):
        entry = MockConfigEntry(domain=DOMAIN, data={CONF_PROVIDER_ID: f"{name}-id"})
        providers = {kind: MetadataProvider(kind, tmdb) for kind in ("movie", "tv")}
        hub.served[entry.entry_id] = ServedEntry(entry, providers)  # type: ignore[arg-type]
        served[name] = providers
    assert hub.provider("first-id", "movie") is served["first"]["movie"]
    assert hub.provider("second-id", "tv") is served["second"]["tv"]
    assert hub.provider("third-id", "tv") is None
    assert hub.provider("", "tv") is None
    without = MockConfigEntry(domain=DOMAIN, data={})  # never migrated: never matches
    hub.served[without.entry_id] = ServedEntry(without, served["first"])  # type: ignore[arg-type]
    assert hub.provider("", "movie") is None
    assert hub.provider("None", "movie") is None


def test_home_assistants_request_logs_get_the_id_masked() -> None:
    """Its views' debug line (arguments) and the access log (a formatted message)."""
    mask = MaskProviderIds()
    path = f"{PROVIDER_URL}/s3cr3t-Id_x/movie/library/metadata/matches"
    masked = f"{PROVIDER_URL}/**REDACTED**/movie/library/metadata/matches"
    debug = logging.LogRecord("h", logging.DEBUG, "f", 1, "Serving %s to %s", (path, "::1"), None)
    access = logging.LogRecord("a", logging.INFO, "f", 1, f'"GET {path}?x=1 HTTP/1.1"', None, None)
    assert mask.filter(debug)
    assert mask.filter(access)
    assert debug.getMessage() == f"Serving {masked} to ::1"
    assert access.getMessage() == f'"GET {masked}?x=1 HTTP/1.1"'
    other = logging.LogRecord("o", logging.INFO, "f", 1, ValueError(path), ({"a": path},), None)
    assert mask.filter(other)  # neither text nor a tuple of arguments: left as it is
    assert other.args == {"a": path}
