"""Repair issues: problems only the user can fix, each saying what to do.

- `ingest_folder_unusable`: a configured folder is missing, unreadable or not in
  `allowlist_external_dirs` (ingest stays off until it is fixed; Plex features keep working);
- `tmdb_key_rejected`: TMDb refused the API key (files wait until a new key is entered);
- `stash_key_rejected`: Stash refused its API key (the Stash provider answers Plex with 500s
  until a new key is entered in the options' Stash page; raised by runtime/stash.py);
- `path_mapping_wrong`: Plex scanned the folder a file was filed into and did not find it,
  which almost always means the path mapping between Home Assistant and Plex is wrong;
- `inotify_watch_limit` (raised by the watcher): no more inotify watches on the host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

ISSUE_FOLDER = "ingest_folder_unusable"
ISSUE_TMDB_KEY = "tmdb_key_rejected"
ISSUE_STASH_KEY = "stash_key_rejected"
ISSUE_PATH_MAPPING = "path_mapping_wrong"


def _issue_id(kind: str, entry_id: str) -> str:
    return f"{kind}_{entry_id}"


def report(hass: HomeAssistant, kind: str, entry_id: str, **placeholders: str) -> None:
    """Raise (or update) an issue of `kind` for an entry."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(kind, entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR if kind != ISSUE_PATH_MAPPING else ir.IssueSeverity.WARNING,
        translation_key=kind,
        translation_placeholders=placeholders,
    )


def clear(hass: HomeAssistant, kind: str, entry_id: str) -> None:
    """The problem is gone."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(kind, entry_id))


def clear_entry(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is gone: every Videodrome issue about it goes too (their ids end in its id)."""
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.endswith(f"_{entry_id}"):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
