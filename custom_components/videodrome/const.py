"""Constants shared by Videodrome's Home Assistant layer."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "videodrome"
LOGGER = logging.getLogger(__package__)

# Kept equal to manifest.json's "version" by a test; sent to Plex as X-Plex-Version.
VERSION: Final = "0.1.0"

CONF_CLIENT_IDENTIFIER: Final = "client_identifier"

# Plex pushes scans, library changes and playback over its websocket, so polling is only a
# safety net for what a dropped connection may have missed.
UPDATE_INTERVAL: Final = timedelta(minutes=5)
# Bursts of notifications (a scan adding hundreds of items) collapse into one refresh.
REFRESH_COOLDOWN: Final = 2.0

SERVICE_SCAN: Final = "scan"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_LIBRARY: Final = "library"
ATTR_PATH: Final = "path"
