"""Videodrome: Home Assistant as the control room of a Plex Media Server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv

from . import issues
from .card import async_setup_frontend
from .const import CONF_PATH_MAP, CONF_PROVIDER_ID, DOMAIN, REMOVED_DEFER_FULL_GC
from .coordinator import PlexCoordinator
from .data import VideodromeData, create_availability, create_plex_client
from .discovery import async_setup_discovery
from .engine.plex.scan import PathMap
from .entry_files import remove_entry_files
from .guessit import async_close_guessit
from .llm_api import async_register_llm_api
from .provider_http import (
    async_setup_entry_provider,
    async_setup_provider_views,
    new_provider_id,
)
from .runtime.catch_up import async_catch_up_with_plex
from .runtime.ingest import async_create_runtime, ingest_enabled, unusable_folders
from .runtime.library import IndexLookup, create_library
from .runtime.stash import async_create_stash
from .runtime.watcher import async_create_watcher
from .sentences import async_setup_sentences
from .services.setup import async_setup_services
from .stash_provider_http import async_setup_entry_stash_provider, async_setup_stash_provider_view

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

    from .data import VideodromeConfigEntry

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register Videodrome's services (they exist whether or not a server is configured).

    Also look for Plex servers on the network (GDM), now and every 10 minutes, serve the
    review card to the dashboards and teach Assist Videodrome's sentences.
    """
    del config
    async_setup_services(hass)
    async_setup_discovery(hass)
    async_setup_provider_views(hass)
    async_setup_stash_provider_view(hass)
    await async_setup_frontend(hass)
    async_setup_sentences(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Version 1.1 to 1.2: the entry gets the secret id of its metadata provider's addresses.

    1.2 to 1.3: the option "defer_full_gc" is dropped (Videodrome no longer tunes Python's
    garbage collector). Minor versions: an older Videodrome still loads the entry.
    """
    if entry.version > 1:
        return False  # from a newer Videodrome
    if entry.minor_version < 2:  # noqa: PLR2004 (the version numbers are the point)
        data = {CONF_PROVIDER_ID: new_provider_id(), **entry.data}  # one it has stays
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)
    if entry.minor_version < 3:  # noqa: PLR2004
        options = {k: v for k, v in entry.options.items() if k != REMOVED_DEFER_FULL_GC}
        hass.config_entries.async_update_entry(entry, options=options, minor_version=3)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: VideodromeConfigEntry) -> bool:
    """Connect to a Plex server, fetch its status, and follow its notifications.

    Plex not answering does not stop the setup (quality_scale.yaml, test-before-setup): the
    watcher and ingest need no Plex, and what does is done once Plex is back. A refused token
    or another server at the address still do.
    """
    client = create_plex_client(hass, entry.data)
    # Plex going away and coming back is logged once each (engine/availability.py).
    client.availability = create_availability("Plex", entry)
    coordinator = PlexCoordinator(hass, entry, client)
    await coordinator.async_first_refresh()
    library = create_library(hass, client)
    ingest = watcher = None
    if ingest_enabled(entry.options):
        bad = await hass.async_add_executor_job(unusable_folders, hass, entry.options)
        if bad:
            # Plex features keep working; ingest waits until the folders are fixed.
            issues.report(hass, issues.ISSUE_FOLDER, entry.entry_id, folders=", ".join(bad))
        else:
            issues.clear(hass, issues.ISSUE_FOLDER, entry.entry_id)
            pairs = tuple((str(a), str(b)) for a, b in entry.options.get(CONF_PATH_MAP) or ())
            lookup = IndexLookup(library.index, PathMap(pairs))
            ingest = await async_create_runtime(hass, entry, client, lookup)
            watcher = await async_create_watcher(hass, entry, ingest)
    store = ingest.store if ingest is not None else None
    stash = await async_create_stash(hass, entry, client, store)  # without waiting for Stash
    entry.runtime_data = VideodromeData(
        client=client,
        coordinator=coordinator,
        library=library,
        ingest=ingest,
        watcher=watcher,
        stash=stash,
    )
    async_setup_entry_provider(hass, entry, ingest)
    async_setup_entry_stash_provider(hass, entry, stash)
    library.change_listeners.append(coordinator.async_update_listeners)  # the index's state
    if ingest is not None:
        async_catch_up_with_plex(hass, entry, ingest, library, client.availability)
    library.start(hass, entry, coordinator)
    entry.async_on_unload(library.stop)
    async_register_llm_api(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Cancelled by Home Assistant when the entry unloads.
    entry.async_create_background_task(
        hass, coordinator.async_listen(), f"{DOMAIN} notifications {entry.title}"
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: VideodromeConfigEntry) -> bool:
    """Stop following the server, remove its entities, close the ingest's store."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded and (watcher := entry.runtime_data.watcher) is not None:
        await watcher.async_stop()
    if unloaded and (stash := entry.runtime_data.stash) is not None:
        await stash.close()  # its poster uploads use the ingest's store: they end first
    if unloaded and (ingest := entry.runtime_data.ingest) is not None:
        await ingest.close(hass)
    if unloaded and not any(
        other.state is ConfigEntryState.LOADED
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
    ):
        # The last entry: guessit's processes end too (the next entry set up starts others).
        await async_close_guessit(hass)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The entry was removed: delete its database and caches, and its repair issues.

    The files Videodrome filed into the library, and the ingest folders, stay as they are.
    """
    issues.clear_entry(hass, entry.entry_id)
    await hass.async_add_executor_job(remove_entry_files, hass, entry.entry_id)
