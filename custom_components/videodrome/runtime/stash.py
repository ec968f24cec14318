"""The Stash side of a loaded entry: its client, its provider, its posters for Plex, its health.

Built from the entry's options when they name a Stash (stash_options_form.py), whether or not
ingest is set up. Setting up never waits for Stash: a first check runs in the background, and
another every `CHECK_INTERVAL`; between them, every request the provider makes says how it
ended. From that:

- `reachable` (the binary sensor): whether Stash answered the last request (a refused key is
  an answer; None until the first one ends);
- the repair issue `stash_key_rejected` while Stash refuses the key, cleared by the next
  request it takes (or by a new key in the options);
- with the poster upload on, every scene whose metadata Plex asks for gets its poster
  uploaded into Plex once Plex has stored the item (engine/plex/poster_upload.py), once per
  poster: what went up is remembered in the entry's database (the ingest's store when ingest
  is set up, else the same file opened here), so a restart uploads nothing again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
import logging
import sqlite3
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval

from .. import issues
from ..const import (
    CONF_STASH_API_KEY,
    CONF_STASH_CACHE_SECONDS,
    CONF_STASH_POSTER_MODE,
    CONF_STASH_UPLOAD_POSTERS,
    CONF_STASH_URL,
    DEFAULT_STASH_CACHE_SECONDS,
    DEFAULT_STASH_POSTER_MODE,
    DOMAIN,
    VERSION,
)
from ..data import create_availability
from ..engine.availability import is_outage
from ..engine.plex.poster_upload import DELAYS, PosterUploads, StoredUploads
from ..engine.provider.stash_documents import ImageRoute, SceneKey
from ..engine.provider.stash_service import StashProvider
from ..engine.stash.client import StashClient
from ..engine.stash.errors import StashAuthError, StashError
from ..engine.store.database import Store
from ..engine.store.errors import StoreVersionError
from ..entry_files import database_path
from ..stash_options_form import stash_enabled

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..engine.plex.client import PlexClient
    from ..engine.stash.models import StashInfo

_LOGGER = logging.getLogger(__name__)

CHECK_INTERVAL = timedelta(minutes=5)
# When to look for the Plex item of a scene Plex asked about (seconds after the last look).
UPLOAD_DELAYS = DELAYS


def signal_stash(entry_id: str) -> str:
    """The dispatcher signal sent when whether Stash answers changes."""
    return f"{DOMAIN}_{entry_id}_stash"


@dataclass(slots=True)
class StashRuntime:
    """One entry's Stash: what the provider serves, and what is known of Stash's health."""

    hass: HomeAssistant
    entry_id: str
    client: StashClient
    provider: StashProvider
    uploads: PosterUploads | None = None
    own_store: Store | None = None  # opened for the uploads, without ingest's
    reachable: bool | None = None
    key_refused: bool = False
    info: StashInfo | None = None
    _cancel_checks: Callable[[], None] | None = field(default=None, repr=False)

    @callback
    def on_result(self, err: StashError | None) -> None:
        """How a request to Stash ended (the client calls this after each)."""
        reachable = err is None or not is_outage(err)
        refused = isinstance(err, StashAuthError)
        if refused and not self.key_refused:
            issues.report(self.hass, issues.ISSUE_STASH_KEY, self.entry_id)
        elif err is None and self.key_refused:
            issues.clear(self.hass, issues.ISSUE_STASH_KEY, self.entry_id)
        before = (self.reachable, self.key_refused)
        if refused or err is None:
            self.key_refused = refused
        self.reachable = reachable
        if (self.reachable, self.key_refused) != before:
            async_dispatcher_send(self.hass, signal_stash(self.entry_id))

    @callback
    def on_scene(self, scene_id: str) -> None:
        """Plex asked for a scene's metadata: its poster goes up once Plex has the item."""
        if self.uploads is None:
            return

        async def poster() -> bytes:
            return (await self.provider.image(ImageRoute.POSTER, scene_id)).body

        self.uploads.want(SceneKey(scene_id).guid(), poster)

    async def async_check(self) -> None:
        """Ask Stash who it is (uncached): the health check, now and every CHECK_INTERVAL."""
        try:
            info = await self.client.validate()
        except StashError as err:
            _LOGGER.debug("Stash's health check failed: %s", err)
            return
        if info != self.info:
            self.info = info
            async_dispatcher_send(self.hass, signal_stash(self.entry_id))

    @callback
    def start_checks(self, entry: ConfigEntry[Any]) -> None:
        """Check now (in the background) and every CHECK_INTERVAL, until `close`."""
        name = f"{DOMAIN} Stash check {entry.title}"

        @callback
        def check(_now: datetime | None = None) -> None:
            entry.async_create_background_task(self.hass, self.async_check(), name)

        check()
        self._cancel_checks = async_track_time_interval(self.hass, check, CHECK_INTERVAL, name=name)

    async def close(self) -> None:
        """Stop the checks and give up the posters waiting for their items."""
        if self._cancel_checks is not None:
            self._cancel_checks()
            self._cancel_checks = None
        if self.uploads is not None:
            await self.uploads.close()
        if self.own_store is not None:
            await self.hass.async_add_executor_job(self.own_store.close)
            self.own_store = None


async def async_create_stash(
    hass: HomeAssistant, entry: ConfigEntry[Any], plex: PlexClient, store: Store | None = None
) -> StashRuntime | None:
    """The entry's Stash runtime, checks started (until it unloads); None without a Stash.

    `store` is the entry's database when ingest has it open; the poster uploads without it
    open the same file themselves.
    """
    options = entry.options
    if not stash_enabled(options):
        return None

    async def run_blocking(job: Any) -> Any:
        return await hass.async_add_executor_job(job)

    client = StashClient(
        async_get_clientsession(hass),
        str(options[CONF_STASH_URL]),
        str(options.get(CONF_STASH_API_KEY) or ""),
        cache_ttl=float(options.get(CONF_STASH_CACHE_SECONDS, DEFAULT_STASH_CACHE_SECONDS)),
        availability=create_availability("Stash", entry),
    )
    letterbox = options.get(CONF_STASH_POSTER_MODE, DEFAULT_STASH_POSTER_MODE) == "letterbox"
    provider = StashProvider(
        client, letterbox=letterbox, run_blocking=run_blocking, version=VERSION
    )
    uploads = own = None
    if options.get(CONF_STASH_UPLOAD_POSTERS):
        if store is None:
            path = database_path(hass, entry.entry_id)
            try:
                store = own = await hass.async_add_executor_job(_open_store, path)
            except (OSError, sqlite3.Error, StoreVersionError) as err:
                _LOGGER.warning(
                    "Posters uploaded to Plex are remembered only until a restart: %s", err
                )
        server = entry.unique_id or entry.entry_id  # Plex's machine identifier
        log = StoredUploads(store.poster_uploads, server, run_blocking) if store else None
        uploads = PosterUploads(plex, delays=UPLOAD_DELAYS, log=log)
    runtime = StashRuntime(hass, entry.entry_id, client, provider, uploads, own)
    client.on_result = runtime.on_result
    provider.on_scene = runtime.on_scene
    runtime.start_checks(entry)
    entry.async_on_unload(runtime.close)  # also when the rest of the setup fails
    return runtime


def _open_store(path: Path) -> Store:
    path.parent.mkdir(parents=True, exist_ok=True)
    return Store(path)
