"""The options flow against the Plex and TMDb emulators.

The ingest settings of an entry, and its metadata provider's addresses (shown, made anew).
"""

from __future__ import annotations

from pathlib import Path
import socket
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.videodrome.const import (
    CONF_AUTO_THRESHOLD,
    CONF_CLIENT_IDENTIFIER,
    CONF_INCLUDE_IDS,
    CONF_INGEST_FOLDERS,
    CONF_METADATA_PROVIDER,
    CONF_MOVIES_ROOT,
    CONF_PATH_MAP,
    CONF_PROVIDER_ID,
    CONF_TMDB_API_KEY,
    CONF_TRANSFER_MODE,
    CONF_TV_ROOT,
    CONF_VERIFY_CHECKSUM,
    DOMAIN,
)
from custom_components.videodrome.options_flow import CONF_REGENERATE, NO_ID_YET
from custom_components.videodrome.provider_http import PROVIDER_URL
from tests.conftest import PLEX_TOKEN
from tests.integration.conftest import TMDB_KEY
from tests.integration.provider_client import roots

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.emulators.tmdb import TMDbEmulator


@pytest.fixture
def settings(hass: HomeAssistant, tmp_path: Path, media_root: Path) -> dict[str, Any]:
    """Valid ingest settings as the form sends them."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    return {
        CONF_TMDB_API_KEY: TMDB_KEY,
        CONF_INGEST_FOLDERS: [str(incoming)],
        CONF_MOVIES_ROOT: str(media_root / "Movies"),
        CONF_TV_ROOT: str(media_root / "TV Shows"),
        CONF_PATH_MAP: "",
        CONF_TRANSFER_MODE: "reflink",
        CONF_VERIFY_CHECKSUM: False,
        CONF_INCLUDE_IDS: True,
        "file_extras": True,
        CONF_AUTO_THRESHOLD: 0.95,
        "auto_ingest": True,
        "stability_seconds": 90,
        "network_share": False,
        "rescan_minutes": 10,
        "llm_scan": False,
        "match_fix": "review",
        "when_held": "ask",
        "upload_posters": False,
        "metadata_provider": False,
    }


def _stored(settings: dict[str, Any], path_map: list[list[str]] | None = None) -> dict[str, Any]:
    """The options the entry keeps for `settings`."""
    return {**settings, CONF_PATH_MAP: path_map or []}


def _suggested(result: Any) -> dict[str, Any]:
    """The form's suggested values, by field."""
    return {
        key.schema: key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }


async def _open(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    return dict(result)


async def test_form_without_options_starts_from_the_defaults(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, media_root: Path
) -> None:
    result = await _open(hass, loaded_entry)
    assert _suggested(result) == {}
    schema = result["data_schema"].schema
    defaults = {
        str(key): key.default()
        for key in schema
        if isinstance(key, vol.Required) and callable(key.default)
    }
    assert defaults[CONF_TRANSFER_MODE] == "hardlink"
    assert defaults[CONF_AUTO_THRESHOLD] == 0.85
    assert (
        f"- Movies (movie): {media_root / 'Movies'}"
        in (result["description_placeholders"]["sections"])
    )


async def test_turning_ingest_on_stores_the_settings_and_reloads(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, tmdb: TMDbEmulator, settings: dict[str, Any]
) -> None:
    before = loaded_entry.runtime_data
    result = await _open(hass, loaded_entry)
    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], settings))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded_entry.options == _stored(settings)
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is not before  # set up again, with the new options


async def test_form_is_prefilled_and_unchanged_options_do_not_reload(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    tmdb: TMDbEmulator,
    settings: dict[str, Any],
    media_root: Path,
) -> None:
    path_map = [[str(media_root), str(media_root)], ["/srv/unused", "D:\\Media"]]
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options=_stored(settings, path_map))
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    before = config_entry.runtime_data

    result = await _open(hass, config_entry)
    shown = {**settings, CONF_PATH_MAP: f"{media_root} = {media_root}\n/srv/unused = D:\\Media"}
    assert _suggested(result) == shown

    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], shown))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert config_entry.options == _stored(settings, path_map)
    assert config_entry.runtime_data is before


async def test_turning_ingest_off_drops_the_folders(
    hass: HomeAssistant, config_entry: MockConfigEntry, settings: dict[str, Any]
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options=_stored(settings))
    result = await _open(hass, config_entry)
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**settings, CONF_TMDB_API_KEY: " "}
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert config_entry.options == {
        CONF_TMDB_API_KEY: "",
        CONF_TRANSFER_MODE: "reflink",
        CONF_VERIFY_CHECKSUM: False,
        CONF_INCLUDE_IDS: True,
        "file_extras": True,
        CONF_AUTO_THRESHOLD: 0.95,
        "auto_ingest": True,
        "stability_seconds": 90,
        "network_share": False,
        "rescan_minutes": 10,
        "llm_scan": False,
        "match_fix": "review",
        "when_held": "ask",
        "upload_posters": False,
        "metadata_provider": False,
    }


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({CONF_TMDB_API_KEY: "wrong"}, {CONF_TMDB_API_KEY: "tmdb_invalid_auth"}),
        ({CONF_INGEST_FOLDERS: []}, {CONF_INGEST_FOLDERS: "folder_required"}),
        ({CONF_INGEST_FOLDERS: ["/nowhere/at/all"]}, {CONF_INGEST_FOLDERS: "folder_missing"}),
        ({CONF_MOVIES_ROOT: "/"}, {CONF_MOVIES_ROOT: "folder_not_allowed"}),
        ({CONF_TV_ROOT: "TV Shows"}, {CONF_TV_ROOT: "folder_not_absolute"}),
        ({CONF_PATH_MAP: "/media = data"}, {CONF_PATH_MAP: "invalid_path_map"}),
        (
            {CONF_PATH_MAP: "/ = /elsewhere"},
            {CONF_MOVIES_ROOT: "root_not_in_plex", CONF_TV_ROOT: "root_not_in_plex"},
        ),
    ],
)
async def test_errors_are_reported_and_nothing_changes(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    *,
    tmdb: TMDbEmulator,
    settings: dict[str, Any],
    change: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await _open(hass, loaded_entry)
    result = dict(
        await hass.config_entries.options.async_configure(result["flow_id"], {**settings, **change})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _suggested(result) == {**settings, **change, CONF_REGENERATE: False}
    assert loaded_entry.options == {}

    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], settings))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == _stored(settings)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_plex_unreachable(
    hass: HomeAssistant, tmdb: TMDbEmulator, settings: dict[str, Any]
) -> None:
    for root in (settings[CONF_MOVIES_ROOT], settings[CONF_TV_ROOT]):
        Path(root).mkdir()  # no emulator here to create them
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Gone",
        unique_id="gone",
        data={
            CONF_URL: f"http://127.0.0.1:{_closed_port()}",
            CONF_TOKEN: PLEX_TOKEN,
            CONF_VERIFY_SSL: True,
            CONF_CLIENT_IDENTIFIER: "test-client",
        },
    )
    entry.add_to_hass(hass)
    result = await _open(hass, entry)
    assert result["description_placeholders"]["sections"] == "(Plex could not be reached)"
    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], settings))
    assert result["errors"] == {"base": "cannot_connect"}
    hass.config_entries.options.async_abort(result["flow_id"])


async def test_the_form_shows_the_provider_addresses(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Both addresses, with the entry's secret id, on Home Assistant's own address."""
    await hass.config.async_update(internal_url="http://192.168.1.5:8123")
    result = await _open(hass, loaded_entry)
    provider_id = loaded_entry.data[CONF_PROVIDER_ID]
    assert len(provider_id) >= 22  # 128 bits and more, URL-safe
    base = f"http://192.168.1.5:8123{PROVIDER_URL}/{provider_id}"
    placeholders = result["description_placeholders"]
    assert (placeholders["movie_url"], placeholders["tv_url"]) == (f"{base}/movie", f"{base}/tv")
    defaults = {
        str(key): key.default() for key in result["data_schema"].schema if key == CONF_REGENERATE
    }
    assert defaults == {CONF_REGENERATE: False}


async def test_new_addresses_work_at_once_and_the_old_ones_stop(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    tmdb: TMDbEmulator,
    settings: dict[str, Any],
) -> None:
    """Saved with nothing else changed: no reload, yet the old addresses are 404 at once."""
    assert await async_setup_component(hass, DOMAIN, {})  # its views, before the client
    client = await hass_client_no_auth()
    config_entry.add_to_hass(hass)
    served = {**settings, CONF_METADATA_PROVIDER: True}
    hass.config_entries.async_update_entry(config_entry, options=_stored(served))
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    before = config_entry.runtime_data
    old = roots(config_entry)
    assert [(await client.get(root)).status for root in old] == [200, 200]

    result = await _open(hass, config_entry)
    assert result["description_placeholders"]["movie_url"].endswith(old[0])
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**_suggested(result), CONF_REGENERATE: True}
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert config_entry.options == _stored(served)  # the choice is not an option
    assert config_entry.runtime_data is before
    new = roots(config_entry)
    assert new != old
    assert [(await client.get(root)).status for root in old] == [404, 404]
    assert [(await client.get(root)).status for root in new] == [200, 200]
    result = await _open(hass, config_entry)
    assert result["description_placeholders"]["tv_url"].endswith(new[1])


async def test_an_entry_without_an_id_gets_one_when_saved(
    hass: HomeAssistant, config_entry: MockConfigEntry, tmdb: TMDbEmulator, settings: dict[str, Any]
) -> None:
    """Never set up (so never migrated): the form says so, and saving makes the id."""
    config_entry.add_to_hass(hass)
    assert CONF_PROVIDER_ID not in config_entry.data
    result = await _open(hass, config_entry)
    assert f"/{NO_ID_YET}/movie" in result["description_placeholders"]["movie_url"]
    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], settings))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(config_entry.data[CONF_PROVIDER_ID]) >= 22
