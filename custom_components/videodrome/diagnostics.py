"""Diagnostics of a config entry: what a bug report needs, without secrets or personal paths.

Redacted: the Plex token, the TMDb key, the client identifier, the metadata provider's secret
id, the server's URL (its host may be personal), the machine identifier, every folder
(ingest folders, library roots, the path map, the sections' locations), and Stash's URL and
API key (Stash's state is given without either, nor any error text, which may name its host).
Sessions are only counted (no user names), and nothing of the ingest history (file paths,
titles) is included: only counts.
"""

from __future__ import annotations

from dataclasses import asdict
import time
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_TOKEN, CONF_URL
from yarl import URL

from .const import (
    CONF_CLIENT_IDENTIFIER,
    CONF_INGEST_FOLDERS,
    CONF_MOVIES_ROOT,
    CONF_PATH_MAP,
    CONF_PROVIDER_ID,
    CONF_STASH_API_KEY,
    CONF_STASH_URL,
    CONF_TMDB_API_KEY,
    CONF_TV_ROOT,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import PlexCoordinator
    from .data import VideodromeConfigEntry
    from .engine.store.database import Store
    from .runtime.ingest import IngestRuntime
    from .runtime.library import LibraryRuntime
    from .runtime.stash import StashRuntime
    from .runtime.watcher import WatcherRuntime

TO_REDACT = {
    CONF_TOKEN,
    CONF_TMDB_API_KEY,
    CONF_CLIENT_IDENTIFIER,
    CONF_PROVIDER_ID,
    CONF_URL,
    CONF_INGEST_FOLDERS,
    CONF_MOVIES_ROOT,
    CONF_TV_ROOT,
    CONF_PATH_MAP,
    CONF_STASH_URL,
    CONF_STASH_API_KEY,
    "machine_identifier",
    "locations",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: VideodromeConfigEntry
) -> dict[str, Any]:
    """The entry's settings and the state of its server, index, ingest and watcher."""
    data = entry.runtime_data
    ingest = data.ingest
    diagnostics: dict[str, Any] = {
        "entry": {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
        "server": _server(data.coordinator),
        "index": _index(data.library, entry.data[CONF_URL]),
        "ingest": None if ingest is None else await _ingest(hass, ingest),
        "watcher": None if data.watcher is None else _watcher(data.watcher),
    }
    if data.stash is not None:  # only with a Stash (the options' Stash page)
        diagnostics["stash"] = _stash(data.stash)
    return async_redact_data(diagnostics, TO_REDACT)


def _server(coordinator: PlexCoordinator) -> dict[str, Any]:
    status = coordinator.data
    identity = status.identity
    return {
        "last_update_success": coordinator.last_update_success,
        "identity": {
            "machine_identifier": identity.machine_identifier,
            "version": identity.version,
            "platform": identity.platform,
            "platform_version": identity.platform_version,
        },
        "sessions": len(status.sessions),
        "sections": [
            {
                "key": section.section.key,
                "type": section.section.type,
                "title": section.section.title,
                "item_count": section.item_count,
                "episode_count": section.episode_count,
                "scanning": section.scanning,
                "locations": list(section.section.locations),
            }
            for section in status.sections.values()
        ],
    }


def _index(library: LibraryRuntime, url: str) -> dict[str, Any]:
    index = library.index
    snapshot = index.snapshot
    # Errors may name the server's address ("cannot reach Plex at host:port").
    address = URL(url)
    hidden = [f"{address.host}:{address.port}", str(address.host)]

    def scrub(text: str | None) -> str | None:
        for secret in hidden:
            text = text.replace(secret, REDACTED) if text is not None else None
        return text

    return {
        "loaded": index.loaded,
        "stale": index.stale,
        "status": index.status,
        "failure": scrub(index.failure),  # why the last load read nothing (None: it did)
        "sections": [{**load.as_json(), "error": scrub(load.error)} for load in index.sections],
        "loads": library.loads,
        "retry_in_seconds": library.retry_in,
        "counts": {str(key): count for key, count in snapshot.counts().items()},
        "age_seconds": round(time.monotonic() - snapshot.built_at, 1) if index.loaded else None,
    }


def _store_figures(store: Store) -> dict[str, Any]:
    """In an executor: the store answers from SQLite."""
    return {
        "counts": store.counts(),
        "review_count": store.review_count(),
        "cache_size": store.tmdb_cache.size(),
        "schema_version": store.schema_version,
    }


async def _ingest(hass: HomeAssistant, ingest: IngestRuntime) -> dict[str, Any]:
    return {
        "store": await hass.async_add_executor_job(_store_figures, ingest.store),
        "tmdb": asdict(ingest.tmdb.stats),
        "transfer_mode": ingest.settings.mode.value,
        "verify_checksum": ingest.settings.verify_checksum,
    }


def _watcher(watcher: WatcherRuntime) -> dict[str, Any]:
    error = watcher.watcher.inotify_error
    return {
        "running": watcher.running,
        "waiting": watcher.waiting,
        "inotify_active": watcher.watcher.inotify_active,
        # Without the error's file name (a watched folder).
        "inotify_error": None if error is None else f"{type(error).__name__}: {error.strerror}",
        "rescan_interval_seconds": watcher.rescan_interval.total_seconds(),
        "auto_ingest": watcher.auto_ingest,
    }


def _stash(stash: StashRuntime) -> dict[str, Any]:
    uploads = stash.uploads
    return {
        "reachable": stash.reachable,
        "key_refused": stash.key_refused,
        "version": stash.info.version if stash.info is not None else None,
        "cache": {"ttl": stash.client.cache.ttl, "entries": len(stash.client.cache)},
        "posters_cached": len(stash.provider.posters),
        "letterbox": stash.provider.letterbox,
        "uploads": None
        if uploads is None
        else {"pending": uploads.pending, **asdict(uploads.stats)},
    }
