"""The coordinator of one Plex server: status, sessions and library sections, pushed and polled.

Plex going away and coming back is logged by the client's `Availability` (one warning, one
info, whoever noticed first: a poll, an ingest, the library index), so a poll that fails
because Plex does not answer does not log it a second time (see `_async_update_data`).

Plex not answering when the entry is set up does not stop the setup (`async_first_refresh`):
the entry loads with a stand-in status (`PlexStatus.unknown`, `known` False) and its Plex
entities unavailable, so that the watcher and ingest run; the first poll that reaches Plex
(every five minutes, or at once when the notification websocket connects) brings the real
status. A refused token or another server at the address still fail the setup.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import DOMAIN, LOGGER, REFRESH_COOLDOWN, UPDATE_INTERVAL
from .engine.availability import is_outage
from .engine.plex.errors import PlexAuthError, PlexError
from .engine.plex.models import (
    TYPE_EPISODE,
    Activity,
    LibrarySection,
    PlaybackSession,
    ServerIdentity,
)
from .engine.plex.notifications import Notification, PlexNotificationListener

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.core import HomeAssistant

    from .data import VideodromeConfigEntry
    from .engine.plex.client import PlexClient

# Notification types that change what the sensors show. `playing` is handled apart: Plex
# repeats it every few seconds during playback, and only a change of state matters.
_REFRESHING_NOTIFICATIONS = frozenset({"activity", "timeline", "status"})


@dataclass(frozen=True, slots=True)
class SectionStatus:
    """A library section and what its sensor shows."""

    section: LibrarySection
    item_count: int | None  # None: Plex could not count them (`error` says why)
    episode_count: int | None
    scan: Activity | None
    error: str | None = None

    @property
    def scanning(self) -> bool:
        """Whether Plex is scanning this section now."""
        return self.scan is not None or self.section.refreshing


@dataclass(frozen=True, slots=True)
class PlexStatus:
    """Everything the entities of one server show."""

    identity: ServerIdentity
    sessions: tuple[PlaybackSession, ...]
    sections: Mapping[int, SectionStatus]
    known: bool = True  # False: a stand-in until Plex first answers (see `unknown`)

    @classmethod
    def unknown(cls, entry: VideodromeConfigEntry) -> PlexStatus:
        """What an entry set up while Plex does not answer shows: its name, nothing else."""
        machine = str(entry.unique_id)
        identity = ServerIdentity(machine, entry.title or machine, None, None, None)
        return cls(identity, (), {}, known=False)

    @property
    def scanning(self) -> bool:
        """Whether any library section is being scanned."""
        return any(status.scanning for status in self.sections.values())


class PlexCoordinator(DataUpdateCoordinator[PlexStatus]):
    """Fetches a server's status; Plex's notifications trigger refreshes between polls."""

    config_entry: VideodromeConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: VideodromeConfigEntry, client: PlexClient
    ) -> None:
        """Set up the coordinator for one server."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=UPDATE_INTERVAL,
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=REFRESH_COOLDOWN, immediate=True
            ),
        )
        self.client = client
        self._playing_states: dict[str, str] = {}
        # Others who want Plex's notifications (the library index), called on the loop.
        self.notification_listeners: list[Callable[[Notification], None]] = []
        # Told when the notification websocket connects (True) or drops (False).
        self.connection_listeners: list[Callable[[bool], None]] = []
        # The websocket listener while `async_listen` runs (its state: connected, failures).
        self.listener: PlexNotificationListener | None = None
        self._outage_told = False  # the last poll failed for an outage the client logged

    async def async_first_refresh(self) -> bool:
        """The setup's first refresh; False when Plex did not answer (the entry loads anyway).

        Raises what `async_config_entry_first_refresh` raises for anything but an outage: a
        refused token (reauthentication) and another server at the address (setup retried).
        """
        try:
            await self.async_config_entry_first_refresh()
        except ConfigEntryNotReady as err:
            failed = err.__cause__.__cause__ if err.__cause__ is not None else None
            if failed is None or not is_outage(failed):
                raise
            self.data = PlexStatus.unknown(self.config_entry)
            return False
        return True

    async def _async_update_data(self) -> PlexStatus:
        """Fetch the status; an outage the client's `Availability` logged is not logged again.

        DataUpdateCoordinator logs a failure (and later the recovery) only when its
        `last_update_success` flips during the refresh (helpers/update_coordinator.py,
        `_async_refresh`). Flipping it here first, for an outage the client has announced,
        leaves the log to the client; the entities still go unavailable and come back, since
        they read the flag after the refresh.
        """
        try:
            status = await self._fetch()
        except UpdateFailed as err:
            cause = err.__cause__
            if (
                cause is not None
                and is_outage(cause)
                and self.client.availability is not None  # it logged the outage
                and self.last_update_success  # what Home Assistant would log now
            ):
                self.last_update_success = False
                self._outage_told = True
            raise
        if self._outage_told:
            self._outage_told = False
            self.last_update_success = True
        if self.data is not None and not self.data.known:
            self._update_device(status.identity)  # set up while Plex was away
        return status

    def _update_device(self, identity: ServerIdentity) -> None:
        """Give the server's device the name and version Plex has now told."""
        registry = dr.async_get(self.hass)
        unique_id = str(self.config_entry.unique_id)
        device = registry.async_get_device(identifiers={(DOMAIN, unique_id)})
        if device is not None:
            registry.async_update_device(
                device.id, name=identity.friendly_name, sw_version=identity.version
            )

    async def _fetch(self) -> PlexStatus:
        try:
            identity, sections, sessions, activities = await asyncio.gather(
                self.client.identity(),
                self.client.sections(),
                self.client.sessions(),
                self.client.activities(),
            )
            if identity.machine_identifier != self.config_entry.unique_id:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="wrong_server",
                    translation_placeholders={"name": identity.friendly_name},
                )
            scans = {a.section_key: a for a in activities if a.is_scan}
            statuses = await asyncio.gather(
                *(self._section_status(section, scans.get(section.key)) for section in sections)
            )
        except PlexAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except PlexError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        return PlexStatus(
            identity=identity,
            sessions=tuple(sessions),
            sections={status.section.key: status for status in statuses},
        )

    async def _section_status(
        self, section: LibrarySection, scan: Activity | None
    ) -> SectionStatus:
        """A section's counts; one Plex cannot count leaves the others (and the server) shown."""
        try:
            return await self._count(section, scan)
        except PlexAuthError:
            raise
        except PlexError as err:
            return SectionStatus(section, None, None, scan, error=str(err))

    async def _count(self, section: LibrarySection, scan: Activity | None) -> SectionStatus:
        if section.type == "show":
            items, episodes = await asyncio.gather(
                self.client.section_size(section.key),
                self.client.section_size(section.key, TYPE_EPISODE),
            )
            return SectionStatus(section, items, episodes, scan)
        return SectionStatus(section, await self.client.section_size(section.key), None, scan)

    async def async_listen(self) -> None:
        """Follow Plex's notifications until the entry unloads (run as a background task)."""
        listener = PlexNotificationListener(self.client, self._on_notification, self._on_connection)
        self.listener = listener
        try:
            await listener.run()
        except PlexAuthError:
            LOGGER.warning("Plex refused the token for notifications; sign in again")
            self.config_entry.async_start_reauth(self.hass)

    def _on_connection(self, connected: bool) -> None:
        # Whatever happened while the socket was down is fetched once it is back (and after a
        # setup while Plex was away, the status itself).
        if connected and self.data is not None:
            self._schedule_refresh_now()
        for listener in self.connection_listeners:
            listener(connected)

    def _on_notification(self, notification: Notification) -> None:
        for listener in self.notification_listeners:
            listener(notification)
        if notification.type in _REFRESHING_NOTIFICATIONS or (
            notification.type == "playing" and self._playback_changed(notification)
        ):
            self._schedule_refresh_now()

    def _playback_changed(self, notification: Notification) -> bool:
        changed = False
        for entry in notification.entries:
            key, state = str(entry.get("sessionKey", "")), str(entry.get("state", ""))
            if state == "stopped":
                self._playing_states.pop(key, None)
                changed = True
            elif self._playing_states.get(key) != state:
                self._playing_states[key] = state
                changed = True
        return changed

    def _schedule_refresh_now(self) -> None:
        # A tracked (not background) task: short, awaited on unload, and seen by
        # async_block_till_done. The debouncer folds bursts into one fetch.
        self.config_entry.async_create_task(
            self.hass, self.async_request_refresh(), f"{DOMAIN} refresh after notification"
        )
