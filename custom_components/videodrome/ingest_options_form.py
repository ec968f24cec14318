"""The ingest settings form, shared by the config flow's ingest step and the options flow.

Without a TMDb key ingest is off, and nothing else is checked. With one, the key is tried
against TMDb, the folders are checked on disk (they must exist, be in Home Assistant's
allowlist, and be readable or writable as their role needs), the path mapping is parsed, and
each library root, translated into Plex's view, must lie in a Plex library of its kind.

What is stored (the entry's options): `tmdb_api_key` (str, "" when ingest is off),
`ingest_folders` (list[str]), `movies_root` and `tv_root` (str), `path_map` (a list of
[Home Assistant path, Plex path] lists), `transfer_mode` ("hardlink" | "reflink" | "copy"),
`verify_checksum`, `include_ids` and `file_extras` (bool), and `auto_threshold` (float, 0.5
to 1.0).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol

from . import const
from .const import (
    CONF_AUTO_THRESHOLD,
    CONF_FILE_EXTRAS,
    CONF_INCLUDE_IDS,
    CONF_INGEST_FOLDERS,
    CONF_LLM_SCAN,
    CONF_MATCH_FIX,
    CONF_METADATA_PROVIDER,
    CONF_MOVIES_ROOT,
    CONF_PATH_MAP,
    CONF_TMDB_API_KEY,
    CONF_TRANSFER_MODE,
    CONF_TV_ROOT,
    CONF_UPLOAD_POSTERS,
    CONF_VERIFY_CHECKSUM,
    CONF_WHEN_HELD,
    DEFAULT_AUTO_THRESHOLD,
    DEFAULT_MATCH_FIX,
    DEFAULT_TRANSFER_MODE,
    DEFAULT_WHEN_HELD,
    MATCH_FIX_MODES,
    WHEN_HELD_MODES,
)
from .data import create_plex_client
from .engine.errors import UnsafePathError
from .engine.plex.errors import PlexError
from .engine.plex.paths import plex_path, section_for_path
from .engine.plex.scan import PathMap
from .engine.tmdb.client import TMDbClient
from .engine.tmdb.errors import TMDbAuthError, TMDbError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import PurePath

    from homeassistant.core import HomeAssistant

    from .engine.plex.models import LibrarySection

from .runtime.watcher import (
    CONF_AUTO_INGEST,
    CONF_NETWORK_SHARE,
    CONF_RESCAN_INTERVAL,
    CONF_STABILITY,
    CONF_WATCHING,
    DEFAULT_RESCAN_MINUTES,
    DEFAULT_STABILITY,
)

TRANSFER_MODES = ("hardlink", "reflink", "copy")
MIN_THRESHOLD = 0.5
MAX_THRESHOLD = 1.0
# A v4 read access token is a JWT (base64 of '{"'); anything else is taken for a v3 API key.
BEARER_PREFIX = "eyJ"
# The kind of Plex library each root must lie in.
ROOT_TYPES = {CONF_MOVIES_ROOT: "movie", CONF_TV_ROOT: "show"}
BASE = "base"

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_FOLDERS = TextSelector(TextSelectorConfig(multiple=True))
_FOLDER = TextSelector()
_LINES = TextSelector(TextSelectorConfig(multiline=True))
_TRANSFER_MODE = SelectSelector(
    SelectSelectorConfig(
        options=list(TRANSFER_MODES),
        mode=SelectSelectorMode.DROPDOWN,
        translation_key=CONF_TRANSFER_MODE,
    )
)
_MATCH_FIX = SelectSelector(
    SelectSelectorConfig(
        options=list(MATCH_FIX_MODES),
        mode=SelectSelectorMode.DROPDOWN,
        translation_key=CONF_MATCH_FIX,
    )
)
_WHEN_HELD = SelectSelector(
    SelectSelectorConfig(
        options=list(WHEN_HELD_MODES),
        mode=SelectSelectorMode.DROPDOWN,
        translation_key=CONF_WHEN_HELD,
    )
)
_THRESHOLD = NumberSelector(
    NumberSelectorConfig(
        min=MIN_THRESHOLD, max=MAX_THRESHOLD, step=0.01, mode=NumberSelectorMode.SLIDER
    )
)

_SECONDS = NumberSelector(
    NumberSelectorConfig(min=5, max=3600, step=5, mode=NumberSelectorMode.BOX)
)
_MINUTES = NumberSelector(
    NumberSelectorConfig(min=1, max=1440, step=1, mode=NumberSelectorMode.BOX)
)

INGEST_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_TMDB_API_KEY): _PASSWORD,
        vol.Optional(CONF_INGEST_FOLDERS): _FOLDERS,
        vol.Optional(CONF_MOVIES_ROOT): _FOLDER,
        vol.Optional(CONF_TV_ROOT): _FOLDER,
        vol.Optional(CONF_PATH_MAP): _LINES,
        vol.Required(CONF_TRANSFER_MODE, default=DEFAULT_TRANSFER_MODE): _TRANSFER_MODE,
        vol.Required(CONF_VERIFY_CHECKSUM, default=False): BooleanSelector(),
        vol.Required(CONF_INCLUDE_IDS, default=True): BooleanSelector(),
        vol.Required(CONF_FILE_EXTRAS, default=True): BooleanSelector(),
        vol.Required(CONF_AUTO_THRESHOLD, default=DEFAULT_AUTO_THRESHOLD): _THRESHOLD,
        vol.Required(CONF_AUTO_INGEST, default=True): BooleanSelector(),
        vol.Required(CONF_STABILITY, default=DEFAULT_STABILITY): _SECONDS,
        vol.Required(CONF_NETWORK_SHARE, default=False): BooleanSelector(),
        vol.Required(CONF_RESCAN_INTERVAL, default=DEFAULT_RESCAN_MINUTES): _MINUTES,
        vol.Required(CONF_LLM_SCAN, default=False): BooleanSelector(),
        vol.Required(CONF_MATCH_FIX, default=DEFAULT_MATCH_FIX): _MATCH_FIX,
        vol.Required(CONF_WHEN_HELD, default=DEFAULT_WHEN_HELD): _WHEN_HELD,
        vol.Required(CONF_UPLOAD_POSTERS, default=False): BooleanSelector(),
        vol.Required(CONF_METADATA_PROVIDER, default=False): BooleanSelector(),
    }
)


def with_kept(options: dict[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The options a form made, with those no form shows kept from `stored`.

    That is whether the watcher watches: the switch "Watch ingest folders" keeps it there.
    """
    if CONF_WATCHING in stored:
        return {**options, CONF_WATCHING: stored[CONF_WATCHING]}
    return options


def form_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Stored options as the form shows them (the path mapping as "A = B" lines)."""
    values = dict(options)
    if CONF_PATH_MAP in values:
        values[CONF_PATH_MAP] = "\n".join(
            f"{ours} = {theirs}" for ours, theirs in values[CONF_PATH_MAP]
        )
    return values


def parse_path_map(text: str) -> list[list[str]] | None:
    r"""The "Home Assistant path = Plex path" lines as pairs; None if a line is not one.

    Home Assistant's side is a POSIX path; Plex's may be a Windows one (`D:\Media`).
    """
    pairs: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        ours, separator, theirs = line.partition("=")
        if not separator:
            return None
        try:
            local, remote = plex_path(ours.strip()), plex_path(theirs.strip())
        except UnsafePathError:
            return None
        if not isinstance(local, PurePosixPath):
            return None
        pairs.append([str(local), str(remote)])
    return pairs


def describe_sections(sections: list[LibrarySection] | None) -> str:
    """One line per Plex library: its title, its kind and its folders as Plex sees them."""
    if sections is None:
        return "(Plex could not be reached)"
    if not sections:
        return "(Plex has no libraries)"
    return "\n".join(
        f"- {section.title} ({section.type}): {', '.join(section.locations) or '-'}"
        for section in sections
    )


async def async_fetch_sections(
    hass: HomeAssistant, plex_data: Mapping[str, Any]
) -> list[LibrarySection] | None:
    """The server's library sections, or None when it cannot be asked."""
    try:
        return await create_plex_client(hass, plex_data).sections()
    except PlexError:
        return None


async def async_validate_ingest(
    hass: HomeAssistant, plex_data: Mapping[str, Any], user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The options to store for what the user entered, and the form's errors (if any)."""
    options: dict[str, Any] = {
        CONF_TMDB_API_KEY: str(user_input.get(CONF_TMDB_API_KEY, "")).strip(),
        CONF_TRANSFER_MODE: user_input[CONF_TRANSFER_MODE],
        CONF_VERIFY_CHECKSUM: bool(user_input[CONF_VERIFY_CHECKSUM]),
        CONF_INCLUDE_IDS: bool(user_input[CONF_INCLUDE_IDS]),
        CONF_FILE_EXTRAS: bool(user_input[CONF_FILE_EXTRAS]),
        CONF_AUTO_THRESHOLD: float(user_input[CONF_AUTO_THRESHOLD]),
        CONF_AUTO_INGEST: bool(user_input[CONF_AUTO_INGEST]),
        CONF_STABILITY: int(user_input[CONF_STABILITY]),
        CONF_NETWORK_SHARE: bool(user_input[CONF_NETWORK_SHARE]),
        CONF_RESCAN_INTERVAL: int(user_input[CONF_RESCAN_INTERVAL]),
        CONF_LLM_SCAN: bool(user_input[CONF_LLM_SCAN]),
        CONF_MATCH_FIX: user_input[CONF_MATCH_FIX],
        CONF_WHEN_HELD: user_input.get(CONF_WHEN_HELD, DEFAULT_WHEN_HELD),
        CONF_UPLOAD_POSTERS: bool(user_input[CONF_UPLOAD_POSTERS]),
        CONF_METADATA_PROVIDER: bool(user_input[CONF_METADATA_PROVIDER]),
    }
    key = options[CONF_TMDB_API_KEY]
    if not key:
        return options, {}  # ingest off: the folders are neither needed nor kept

    folders = _folders(user_input.get(CONF_INGEST_FOLDERS, []))
    roots = {field: _folder(user_input.get(field, "")) for field in ROOT_TYPES}
    pairs = parse_path_map(str(user_input.get(CONF_PATH_MAP, "")))
    errors: dict[str, str] = {}
    if error := await _check_tmdb(hass, key):
        field, message = error
        errors[field] = message
    errors.update(await hass.async_add_executor_job(_check_folders, hass, folders, roots))
    if pairs is None:
        errors[CONF_PATH_MAP] = "invalid_path_map"
    else:
        await _check_roots_in_plex(hass, plex_data, roots, PathMap(_pairs(pairs)), errors)
    options.update(
        {CONF_INGEST_FOLDERS: folders, **roots, CONF_PATH_MAP: pairs or []},
    )
    return options, errors


async def _check_tmdb(hass: HomeAssistant, key: str) -> tuple[str, str] | None:
    """The field and error when TMDb refuses the key or cannot be asked."""
    bearer = key.startswith(BEARER_PREFIX)
    client = TMDbClient(
        async_get_clientsession(hass),
        api_key=None if bearer else key,
        bearer_token=key if bearer else None,
        base_url=const.TMDB_BASE_URL,  # read now: tests point it at an emulator
        max_retries=1,
    )
    try:
        await client.validate()
    except TMDbAuthError:
        return CONF_TMDB_API_KEY, "tmdb_invalid_auth"
    except TMDbError:
        return BASE, "tmdb_cannot_connect"
    finally:
        await client.close()
    return None


def _folder(value: Any) -> str:
    """A folder as entered, trimmed, and normalised when absolute."""
    text = str(value).strip()
    return os.path.normpath(text) if PurePosixPath(text).is_absolute() else text


def _folders(values: Iterable[Any]) -> list[str]:
    """The non-empty folders, normalised, each once, in the order given."""
    return list(dict.fromkeys(folder for value in values if (folder := _folder(value))))


def _pairs(pairs: list[list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((ours, theirs) for ours, theirs in pairs)


def _check_folders(
    hass: HomeAssistant, folders: list[str], roots: dict[str, str]
) -> dict[str, str]:
    """Errors of the ingest folders and the library roots (blocking: it looks at the disk)."""
    errors: dict[str, str] = {}
    if not folders:
        errors[CONF_INGEST_FOLDERS] = "folder_required"
    for folder in folders:
        if error := _folder_error(hass, folder, os.R_OK | os.X_OK, "folder_not_readable"):
            errors[CONF_INGEST_FOLDERS] = error
            break
    for field, root in roots.items():
        if not root:
            errors[field] = "folder_required"
        elif error := _folder_error(hass, root, os.W_OK | os.X_OK, "folder_not_writable"):
            errors[field] = error
    if CONF_INGEST_FOLDERS not in errors:
        libraries = [Path(root).resolve() for field, root in roots.items() if field not in errors]
        if any(
            _nested(Path(folder).resolve(), library) for folder in folders for library in libraries
        ):
            errors[CONF_INGEST_FOLDERS] = "ingest_inside_library"
    return errors


def _folder_error(hass: HomeAssistant, folder: str, mode: int, denied: str) -> str | None:
    """Why `folder` cannot be used (blocking), or None."""
    if not PurePosixPath(folder).is_absolute():
        return "folder_not_absolute"
    if not Path(folder).is_dir():
        return "folder_missing"
    if not hass.config.is_allowed_path(folder):
        return "folder_not_allowed"
    if not os.access(folder, mode):
        return denied
    return None


def _nested(first: Path, second: Path) -> bool:
    """Whether either folder is the other or lies inside it."""
    return first.is_relative_to(second) or second.is_relative_to(first)


async def _check_roots_in_plex(
    hass: HomeAssistant,
    plex_data: Mapping[str, Any],
    roots: dict[str, str],
    path_map: PathMap,
    errors: dict[str, str],
) -> None:
    """Each library root, as Plex sees it, must lie in a Plex library of its kind."""
    sections = await async_fetch_sections(hass, plex_data)
    if sections is None:
        errors.setdefault(BASE, "cannot_connect")
        return
    for field, kind in ROOT_TYPES.items():
        if field in errors:
            continue
        seen = plex_view(path_map, roots[field])
        libraries = [section for section in sections if section.type == kind]
        if seen is None or section_for_path(libraries, seen) is None:
            errors[field] = "root_not_in_plex"


def plex_view(path_map: PathMap, folder: str) -> PurePath | None:
    """`folder` as Plex sees it, or None when it cannot be said safely."""
    try:
        return path_map.to_plex(Path(folder))
    except UnsafePathError:
        return None
