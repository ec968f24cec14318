"""What a service call or a websocket command names, checked before anything acts on it.

- `loaded_entry`: the loaded entry a call targets (with one server configured, the id may be
  left out); `ingest_runtime`: its ingest, which must be set up.
- `checked_path`: a path a call names must be absolute, without `..`, existing, inside one
  of the entry's ingest folders (or library roots) once symbolic links are resolved (a link
  that escapes is refused), inside Home Assistant's `allowlist_external_dirs`, and readable.

Each refusal is a translated `ServiceValidationError` (services/errors.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState

from .const import DOMAIN
from .services.errors import validation_error

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant

    from .data import VideodromeConfigEntry
    from .runtime.ingest import IngestRuntime


def loaded_entry(hass: HomeAssistant, entry_id: str | None) -> VideodromeConfigEntry:
    """The loaded entry a call targets; with one server configured the id may be left out."""
    if entry_id is None:
        entries: list[VideodromeConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
        if not entries:
            raise validation_error("no_loaded_entries")
        if len(entries) > 1:
            raise validation_error("entry_required")
        return entries[0]
    entry: VideodromeConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise validation_error("entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise validation_error("entry_not_loaded", name=entry.title)
    return entry


def ingest_runtime(hass: HomeAssistant, entry_id: str | None) -> IngestRuntime:
    """The ingest of the loaded entry a call targets; refused when ingest is not set up."""
    entry = loaded_entry(hass, entry_id)
    runtime = entry.runtime_data.ingest
    if runtime is None:
        raise validation_error("ingest_not_configured", name=entry.title)
    return runtime


def checked_path(
    hass: HomeAssistant, raw: str, folders: Iterable[Path], *, library: bool = False
) -> Path:
    """`raw`, resolved; refused outside `folders` (the ingest folders, or the library roots).

    Blocking: it resolves links and checks access on disk.
    """
    if "\x00" in raw or any(ord(ch) < 0x20 for ch in raw):  # noqa: PLR2004 (control chars)
        raise validation_error("invalid_path", path=repr(raw), reason="control characters")
    if any("\ud800" <= ch <= "\udfff" for ch in raw):  # undecodable bytes (surrogateescape)
        raise validation_error("invalid_path", path=ascii(raw), reason="not valid UTF-8")
    path = Path(raw)
    if not path.is_absolute() or ".." in path.parts:
        raise validation_error("invalid_path", path=raw, reason="it must be absolute, without '..'")
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError, NotADirectoryError:
        raise validation_error("path_not_found", path=raw) from None
    except (OSError, RuntimeError) as err:  # a symlink loop, a permission problem
        raise validation_error("invalid_path", path=raw, reason=str(err)) from err
    resolved_folders = [folder.resolve() for folder in folders]
    if not any(resolved == f or resolved.is_relative_to(f) for f in resolved_folders):
        listed = ", ".join(map(str, resolved_folders)) or "-"
        if library:
            raise validation_error("path_outside_library", path=raw, folders=listed)
        raise validation_error("path_outside_ingest", path=raw, folders=listed)
    if not hass.config.is_allowed_path(str(resolved)):
        raise validation_error("path_not_allowed", path=raw)
    if not os.access(resolved, os.R_OK):
        raise validation_error("invalid_path", path=raw, reason="not readable")
    return resolved


async def async_checked_path(
    hass: HomeAssistant, raw: str, folders: Iterable[Path], *, library: bool = False
) -> Path:
    """`checked_path` in an executor job."""
    roots = tuple(folders)
    return await hass.async_add_executor_job(
        lambda: checked_path(hass, raw, roots, library=library)
    )
