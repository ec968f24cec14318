"""The config flow against the Plex and TMDb emulators.

The user step (success, errors and recovery), the ingest step (off, on, every error), reauth
and reconfigure.
"""

from __future__ import annotations

import os
from pathlib import Path
import socket
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.videodrome import const
from custom_components.videodrome.const import (
    CONF_AUTO_THRESHOLD,
    CONF_CLIENT_IDENTIFIER,
    CONF_INCLUDE_IDS,
    CONF_INGEST_FOLDERS,
    CONF_MOVIES_ROOT,
    CONF_PATH_MAP,
    CONF_PROVIDER_ID,
    CONF_TMDB_API_KEY,
    CONF_TRANSFER_MODE,
    CONF_TV_ROOT,
    CONF_VERIFY_CHECKSUM,
    DOMAIN,
)
from custom_components.videodrome.engine.plex.scan import PathMap
from custom_components.videodrome.ingest_options_form import (
    describe_sections,
    form_values,
    parse_path_map,
    plex_view,
)
from tests.conftest import PLEX_TOKEN
from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.emulators.tmdb import TMDbEmulator
from tests.integration.conftest import TMDB_BEARER, TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.videodrome.engine.plex.models import LibrarySection
    from tests.emulators.server import Emulators

INGEST_OFF = {
    CONF_TMDB_API_KEY: "",
    CONF_TRANSFER_MODE: "hardlink",
    CONF_VERIFY_CHECKSUM: False,
    CONF_INCLUDE_IDS: True,
    "file_extras": True,
    CONF_AUTO_THRESHOLD: 0.85,
    "auto_ingest": True,
    "stability_seconds": 60,
    "network_share": False,
    "rescan_minutes": 5,
    "llm_scan": False,
    "match_fix": "review",
    "when_held": "version",
    "upload_posters": False,
    "metadata_provider": False,
}


@pytest.fixture(autouse=True)
def no_setup() -> Iterator[None]:
    """Creating an entry must not set it up here: the flow is what these tests are about."""
    with patch("custom_components.videodrome.async_setup_entry", return_value=True):
        yield


@pytest.fixture
def folders(hass: HomeAssistant, tmp_path: Path, media_root: Path) -> dict[str, Any]:
    """Valid ingest settings: an ingest folder and the emulated Plex libraries' folders."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    return {
        CONF_TMDB_API_KEY: TMDB_KEY,
        CONF_INGEST_FOLDERS: [str(incoming)],
        CONF_MOVIES_ROOT: str(media_root / "Movies"),
        CONF_TV_ROOT: str(media_root / "TV Shows"),
        CONF_PATH_MAP: "",
        CONF_TRANSFER_MODE: "copy",
        CONF_VERIFY_CHECKSUM: True,
        CONF_INCLUDE_IDS: False,
        "file_extras": False,
        CONF_AUTO_THRESHOLD: 0.9,
        "auto_ingest": False,
        "stability_seconds": 30,
        "network_share": True,
        "rescan_minutes": 2,
        "llm_scan": True,
        "match_fix": "auto",
        "when_held": "skip",
        "upload_posters": True,
        "metadata_provider": True,
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _manual_form(hass: HomeAssistant) -> dict[str, Any]:
    """The user step's menu, then its "Enter the address and token" option."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["plex_sign_in", "manual"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    return dict(result)


async def _user_flow(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, Any]:
    result = await _manual_form(hass)
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], user_input))


async def test_user_flow_creates_an_entry_named_after_the_server(
    hass: HomeAssistant, plex_emulator: PlexEmulator, media_root: Path
) -> None:
    result = await _user_flow(
        hass, {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "ingest"
    assert result["errors"] == {}
    sections = result["description_placeholders"]["sections"].splitlines()
    assert sections == [
        f"- Movies (movie): {media_root / 'Movies'}",
        f"- TV Shows (show): {media_root / 'TV Shows'}",
    ]

    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Videodrome Demo"
    assert result["result"].unique_id == plex_emulator.machine_identifier
    data = result["data"]
    assert data[CONF_URL] == plex_emulator.url
    assert data[CONF_TOKEN] == PLEX_TOKEN
    assert len(data[CONF_CLIENT_IDENTIFIER]) == 32
    assert len(data[CONF_PROVIDER_ID]) == 43  # the metadata provider's secret: 256 bits
    assert (result["result"].version, result["result"].minor_version) == (1, 3)
    assert result["options"] == INGEST_OFF
    assert result["result"].options == INGEST_OFF


async def test_user_form_suggests_the_default_plex_port(hass: HomeAssistant) -> None:
    result = await _manual_form(hass)
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    url_key = next(key for key in schema if key == CONF_URL)
    assert url_key.description == {"suggested_value": "http://127.0.0.1:32400"}
    assert result["description_placeholders"] is not None
    assert "support.plex.tv" in result["description_placeholders"]["token_url"]


@pytest.mark.parametrize(
    ("make_input", "field", "error"),
    [
        (lambda emu: {CONF_URL: emu.url, CONF_TOKEN: "wrong"}, CONF_TOKEN, "invalid_auth"),
        (lambda emu: {CONF_URL: "ftp://nas", CONF_TOKEN: PLEX_TOKEN}, CONF_URL, "invalid_url"),
        (lambda emu: {CONF_URL: "not a url", CONF_TOKEN: PLEX_TOKEN}, CONF_URL, "invalid_url"),
        (
            lambda emu: {CONF_URL: f"http://127.0.0.1:{_closed_port()}", CONF_TOKEN: PLEX_TOKEN},
            "base",
            "cannot_connect",
        ),
        (
            # Something answers, but not Plex's API (a wrong path prefix gives 404s).
            lambda emu: {CONF_URL: f"{emu.url}/not-plex", CONF_TOKEN: PLEX_TOKEN},
            "base",
            "cannot_connect",
        ),
    ],
)
async def test_user_flow_reports_errors_and_recovers(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    make_input: Any,
    field: str,
    error: str,
) -> None:
    result = await _user_flow(hass, {**make_input(plex_emulator), CONF_VERIFY_SSL: True})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    fixed = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True},
    )
    assert fixed["type"] is FlowResultType.FORM
    assert fixed["step_id"] == "ingest"


async def test_user_flow_reports_unexpected_errors_as_unknown(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    with patch(
        "custom_components.videodrome.engine.plex.client.PlexClient.identity",
        side_effect=RuntimeError("boom"),
    ):
        result = await _user_flow(
            hass, {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True}
        )
    assert result["errors"] == {"base": "unknown"}


async def test_same_server_twice_is_refused(
    hass: HomeAssistant, plex_emulator: PlexEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await _user_flow(
        hass, {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_takes_the_new_token(
    hass: HomeAssistant, plex_emulator: PlexEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    plex_emulator.rotate_token("rotated-token")
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["url"] == plex_emulator.url

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: PLEX_TOKEN}
    )
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "rotated-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_TOKEN] == "rotated-token"
    assert config_entry.data[CONF_CLIENT_IDENTIFIER] == "test-client"


async def test_reauth_refuses_a_different_server(
    hass: HomeAssistant, plex_emulator: PlexEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, unique_id="another-server")
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: PLEX_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"
    assert config_entry.data[CONF_TOKEN] == PLEX_TOKEN


@pytest.fixture
async def moved_server(plex_emulator: PlexEmulator, emulators: Emulators) -> PlexEmulator:
    """The same server (same machine identifier) reachable at a new address."""
    moved = PlexEmulator(
        PlexLibrary.empty(),
        token="token-after-move",
        machine_identifier=plex_emulator.machine_identifier,
    )
    return await emulators.start(moved)


async def test_reconfigure_changes_url_and_token(
    hass: HomeAssistant, config_entry: MockConfigEntry, moved_server: PlexEmulator
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: moved_server.url, CONF_TOKEN: "wrong", CONF_VERIFY_SSL: True},
    )
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: moved_server.url, CONF_TOKEN: "token-after-move", CONF_VERIFY_SSL: False},
    )
    assert result["step_id"] == "reconfigure_folders"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], INGEST_OFF)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_URL] == moved_server.url
    assert config_entry.data[CONF_TOKEN] == "token-after-move"
    assert config_entry.data[CONF_VERIFY_SSL] is False


async def test_reconfigure_keeps_the_token_when_left_empty(
    hass: HomeAssistant, plex_emulator: PlexEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: plex_emulator.url, CONF_VERIFY_SSL: True}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], INGEST_OFF)
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_TOKEN] == PLEX_TOKEN


async def test_reconfigure_changes_the_folders(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    config_entry: MockConfigEntry,
    tmdb: TMDbEmulator,
    folders: dict[str, Any],
    tmp_path: Path,
) -> None:
    """Reconfigure's second page: the folders, checked like in the setup, then stored."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: plex_emulator.url, CONF_VERIFY_SSL: True}
    )
    assert result["step_id"] == "reconfigure_folders"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert "Movies (movie)" in placeholders["sections"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**folders, CONF_MOVIES_ROOT: str(tmp_path / "nowhere")}
    )
    assert result["errors"] == {CONF_MOVIES_ROOT: "folder_missing"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], folders)
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.options[CONF_MOVIES_ROOT] == folders[CONF_MOVIES_ROOT]
    assert config_entry.options[CONF_INGEST_FOLDERS] == folders[CONF_INGEST_FOLDERS]


async def test_reconfigure_refuses_a_different_server(
    hass: HomeAssistant, config_entry: MockConfigEntry, tmp_path: Path
) -> None:
    config_entry.add_to_hass(hass)
    other = PlexEmulator(PlexLibrary.empty(), token="other", machine_identifier="f" * 40)
    async with other:
        result = await config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: other.url, CONF_TOKEN: "other", CONF_VERIFY_SSL: True}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"


# --- the ingest step -------------------------------------------------------------------------


async def _ingest_step(hass: HomeAssistant, plex_emulator: PlexEmulator) -> str:
    """A flow past the user step, showing the ingest form; its id."""
    result = await _user_flow(
        hass, {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True}
    )
    assert result["step_id"] == "ingest"
    return str(result["flow_id"])


async def test_ingest_on_stores_the_settings_in_the_options(
    hass: HomeAssistant, plex_emulator: PlexEmulator, tmdb: TMDbEmulator, folders: dict[str, Any]
) -> None:
    flow_id = await _ingest_step(hass, plex_emulator)
    incoming = folders[CONF_INGEST_FOLDERS][0]
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            **folders,
            # Blank entries go, duplicates go, trailing slashes and dots are normalised.
            CONF_INGEST_FOLDERS: [f"{incoming}/", " ", f"{incoming}/."],
            CONF_MOVIES_ROOT: folders[CONF_MOVIES_ROOT] + "/",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TOKEN] == PLEX_TOKEN
    assert CONF_TMDB_API_KEY not in result["data"]
    assert result["options"] == {**folders, CONF_PATH_MAP: []}
    assert tmdb.counts["authentication"] == 1


async def test_ingest_with_a_bearer_token_and_a_path_map(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    *,
    tmdb: TMDbEmulator,
    folders: dict[str, Any],
    tmp_path: Path,
    media_root: Path,
) -> None:
    # Home Assistant sees the libraries under tmp/ha; Plex under media_root.
    ours = tmp_path / "ha"
    (ours / "Movies").mkdir(parents=True)
    (ours / "TV Shows").mkdir()
    flow_id = await _ingest_step(hass, plex_emulator)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            **folders,
            CONF_TMDB_API_KEY: f" {TMDB_BEARER} ",
            CONF_MOVIES_ROOT: str(ours / "Movies"),
            CONF_TV_ROOT: str(ours / "TV Shows"),
            CONF_PATH_MAP: f"{ours}/ = {media_root}\n\n  /srv/other = D:\\Media  \n",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = result["options"]
    assert options[CONF_TMDB_API_KEY] == TMDB_BEARER
    assert options[CONF_PATH_MAP] == [[str(ours), str(media_root)], ["/srv/other", "D:\\Media"]]
    assert options[CONF_MOVIES_ROOT] == str(ours / "Movies")


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path, mode: int) -> None:
    """os.access refuses `mode` on `denied` (the tests run as root, who may do anything)."""
    real = os.access

    def access(path: Any, wanted: int, **kwargs: Any) -> bool:
        if Path(path) == denied and wanted & mode:
            return False
        return real(path, wanted, **kwargs)

    monkeypatch.setattr(os, "access", access)


type Breaker = Callable[[dict[str, Any], Path, TMDbEmulator, pytest.MonkeyPatch], object]


def _mkdir(path: Path) -> str:
    path.mkdir(parents=True)
    return str(path)


def _set_fail(tmdb: TMDbEmulator) -> None:
    tmdb.faults.fail_next = 2  # the first try and the one retry
    tmdb.faults.fail_status = 503


INGEST_ERRORS: list[tuple[str, Breaker, dict[str, str]]] = [
    (
        "wrong key",
        lambda s, tmp, tmdb, mp: s.update({CONF_TMDB_API_KEY: "wrong"}),
        {CONF_TMDB_API_KEY: "tmdb_invalid_auth"},
    ),
    (
        "wrong bearer token",
        lambda s, tmp, tmdb, mp: s.update({CONF_TMDB_API_KEY: "eyJwrong"}),
        {CONF_TMDB_API_KEY: "tmdb_invalid_auth"},
    ),
    (
        "TMDb down",
        lambda s, tmp, tmdb, mp: _set_fail(tmdb),
        {"base": "tmdb_cannot_connect"},
    ),
    (
        "no ingest folder",
        lambda s, tmp, tmdb, mp: s.update({CONF_INGEST_FOLDERS: ["", "  "]}),
        {CONF_INGEST_FOLDERS: "folder_required"},
    ),
    (
        "no ingest folder field",
        lambda s, tmp, tmdb, mp: s.pop(CONF_INGEST_FOLDERS),
        {CONF_INGEST_FOLDERS: "folder_required"},
    ),
    (
        "no roots",
        lambda s, tmp, tmdb, mp: (s.pop(CONF_MOVIES_ROOT), s.update({CONF_TV_ROOT: " "})),
        {CONF_MOVIES_ROOT: "folder_required", CONF_TV_ROOT: "folder_required"},
    ),
    (
        "relative folders",
        lambda s, tmp, tmdb, mp: s.update(
            {CONF_INGEST_FOLDERS: ["incoming"], CONF_TV_ROOT: "media/TV Shows"}
        ),
        {CONF_INGEST_FOLDERS: "folder_not_absolute", CONF_TV_ROOT: "folder_not_absolute"},
    ),
    (
        "missing folders",
        lambda s, tmp, tmdb, mp: (
            (tmp / "a-file").write_text("not a folder"),
            s.update(
                {
                    CONF_INGEST_FOLDERS: [*s[CONF_INGEST_FOLDERS], str(tmp / "nowhere")],
                    CONF_MOVIES_ROOT: str(tmp / "a-file"),
                }
            ),
        ),
        {CONF_INGEST_FOLDERS: "folder_missing", CONF_MOVIES_ROOT: "folder_missing"},
    ),
    (
        "folders outside the allowlist",
        lambda s, tmp, tmdb, mp: s.update({CONF_INGEST_FOLDERS: ["/"], CONF_TV_ROOT: "/usr"}),
        {CONF_INGEST_FOLDERS: "folder_not_allowed", CONF_TV_ROOT: "folder_not_allowed"},
    ),
    (
        "unreadable ingest folder",
        lambda s, tmp, tmdb, mp: _deny(mp, Path(s[CONF_INGEST_FOLDERS][0]), os.R_OK),
        {CONF_INGEST_FOLDERS: "folder_not_readable"},
    ),
    (
        "read-only library",
        lambda s, tmp, tmdb, mp: _deny(mp, Path(s[CONF_MOVIES_ROOT]), os.W_OK),
        {CONF_MOVIES_ROOT: "folder_not_writable"},
    ),
    (
        "ingest folder inside a library",
        lambda s, tmp, tmdb, mp: s.update(
            {CONF_INGEST_FOLDERS: [_mkdir(tmp / "media" / "TV Shows" / "incoming")]}
        ),
        {CONF_INGEST_FOLDERS: "ingest_inside_library"},
    ),
    (
        "library inside the ingest folder",
        lambda s, tmp, tmdb, mp: s.update(
            {CONF_INGEST_FOLDERS: [*s[CONF_INGEST_FOLDERS], str(tmp / "media")]}
        ),
        {CONF_INGEST_FOLDERS: "ingest_inside_library"},
    ),
    (
        "path map without '='",
        lambda s, tmp, tmdb, mp: s.update({CONF_PATH_MAP: "/media/plex /data"}),
        {CONF_PATH_MAP: "invalid_path_map"},
    ),
    (
        "path map with a relative path",
        lambda s, tmp, tmdb, mp: s.update({CONF_PATH_MAP: "/media/plex = /data\nmedia = /data"}),
        {CONF_PATH_MAP: "invalid_path_map"},
    ),
    (
        "path map with a Windows path on Home Assistant's side",
        lambda s, tmp, tmdb, mp: s.update({CONF_PATH_MAP: "C:\\media = /data"}),
        {CONF_PATH_MAP: "invalid_path_map"},
    ),
    (
        "roots in libraries of the wrong kind or none",
        lambda s, tmp, tmdb, mp: s.update(
            {CONF_MOVIES_ROOT: s[CONF_TV_ROOT], CONF_TV_ROOT: _mkdir(tmp / "elsewhere")}
        ),
        {CONF_MOVIES_ROOT: "root_not_in_plex", CONF_TV_ROOT: "root_not_in_plex"},
    ),
    (
        "a path map that sends the roots elsewhere",
        lambda s, tmp, tmdb, mp: s.update({CONF_PATH_MAP: f"{tmp} = /data"}),
        {CONF_MOVIES_ROOT: "root_not_in_plex", CONF_TV_ROOT: "root_not_in_plex"},
    ),
    (
        "everything at once",
        lambda s, tmp, tmdb, mp: s.update(
            {CONF_TMDB_API_KEY: "wrong", CONF_INGEST_FOLDERS: [], CONF_PATH_MAP: "x"}
        ),
        {
            CONF_TMDB_API_KEY: "tmdb_invalid_auth",
            CONF_INGEST_FOLDERS: "folder_required",
            CONF_PATH_MAP: "invalid_path_map",
        },
    ),
]


@pytest.mark.parametrize(
    ("breaker", "errors"),
    [pytest.param(breaker, errors, id=name) for name, breaker, errors in INGEST_ERRORS],
)
async def test_ingest_step_reports_errors_and_recovers(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    *,
    tmdb: TMDbEmulator,
    folders: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    breaker: Breaker,
    errors: dict[str, str],
) -> None:
    flow_id = await _ingest_step(hass, plex_emulator)
    broken = {**folders, CONF_INGEST_FOLDERS: list(folders[CONF_INGEST_FOLDERS])}
    breaker(broken, tmp_path, tmdb, monkeypatch)
    result = await hass.config_entries.flow.async_configure(flow_id, broken)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "ingest"
    assert result["errors"] == errors
    monkeypatch.undo()  # os.access as it was (and TMDb's URL, set again just below)
    monkeypatch.setattr(const, "TMDB_BASE_URL", tmdb.url)

    # What the user entered is shown again, so a fix is one change away.
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    suggested = {key.schema: key.description for key in schema if key.description}
    assert suggested[CONF_TRANSFER_MODE] == {"suggested_value": "copy"}

    result = await hass.config_entries.flow.async_configure(flow_id, folders)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_ingest_step_reports_plex_gone(
    hass: HomeAssistant, plex_emulator: PlexEmulator, tmdb: TMDbEmulator, folders: dict[str, Any]
) -> None:
    flow_id = await _ingest_step(hass, plex_emulator)
    await plex_emulator.stop()
    result = await hass.config_entries.flow.async_configure(flow_id, folders)
    assert result["errors"] == {"base": "cannot_connect"}
    assert result["description_placeholders"] == {"sections": "(Plex could not be reached)"}

    # Without a TMDb key nothing is checked, Plex included.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**folders, CONF_TMDB_API_KEY: ""}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"] == {
        **INGEST_OFF,
        CONF_TRANSFER_MODE: "copy",
        CONF_VERIFY_CHECKSUM: True,
        CONF_INCLUDE_IDS: False,
        "file_extras": False,
        CONF_AUTO_THRESHOLD: 0.9,
        "auto_ingest": False,
        "stability_seconds": 30,
        "network_share": True,
        "rescan_minutes": 2,
        "llm_scan": True,
        "match_fix": "auto",
        "when_held": "skip",
        "upload_posters": True,
        "metadata_provider": True,
    }


# --- the helpers on their own ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("", []),
        ("\n  \n", []),
        ("/media/plex = /data", [["/media/plex", "/data"]]),
        ("/media/plex/=/data/", [["/media/plex", "/data"]]),
        ("/media/plex = D:\\Media\\", [["/media/plex", "D:\\Media"]]),
        ("/a = /b\n/c = \\\\nas\\share", [["/a", "/b"], ["/c", "\\\\nas\\share\\"]]),
        ("/media/plex", None),
        ("/media/plex = ", None),
        (" = /data", None),
        ("/media/../plex = /data", None),
        ("D:\\Media = /data", None),
        # Split at the first "=": Plex's side may hold one.
        ("/a = /b = /c", [["/a", "/b = /c"]]),
    ],
)
def test_parse_path_map(text: str, pairs: list[list[str]] | None) -> None:
    assert parse_path_map(text) == pairs


def test_form_values_show_the_path_map_as_lines() -> None:
    options = {CONF_TMDB_API_KEY: "k", CONF_PATH_MAP: [["/a", "/b"], ["/c", "D:\\Media"]]}
    assert form_values(options) == {
        CONF_TMDB_API_KEY: "k",
        CONF_PATH_MAP: "/a = /b\n/c = D:\\Media",
    }
    assert form_values({}) == {}
    assert parse_path_map(form_values(options)[CONF_PATH_MAP]) == options[CONF_PATH_MAP]


def _section(title: str, kind: str, locations: tuple[str, ...]) -> LibrarySection:
    from custom_components.videodrome.engine.plex.models import LibrarySection  # noqa: PLC0415

    return LibrarySection(
        key=1,
        uuid="uuid",
        title=title,
        type=kind,
        agent=None,
        scanner=None,
        locations=locations,
        refreshing=False,
        scanned_at=None,
        updated_at=None,
    )


def test_describe_sections() -> None:
    assert describe_sections(None) == "(Plex could not be reached)"
    assert describe_sections([]) == "(Plex has no libraries)"
    assert describe_sections(
        [_section("Music", "artist", ()), _section("Films", "movie", ("/a", "D:\\Films"))]
    ) == ("- Music (artist): -\n- Films (movie): /a, D:\\Films")


def test_plex_view_refuses_what_plex_paths_cannot_hold() -> None:
    assert str(plex_view(PathMap((("/media", "D:\\Media"),)), "/media/Films")) == "D:\\Media\\Films"
    assert plex_view(PathMap(), "/media/bad\x01name") is None
