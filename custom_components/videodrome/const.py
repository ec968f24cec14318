"""Constants shared by Videodrome's Home Assistant layer."""

from datetime import timedelta
import logging
import os
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

# The service actions (services.yaml describes their fields).
SERVICE_SCAN: Final = "scan"
SERVICE_CHECK_LIBRARY: Final = "check_library"
SERVICE_INGEST: Final = "ingest"
SERVICE_PLAN: Final = "plan"
SERVICE_IDENTIFY: Final = "identify"
SERVICE_APPROVE: Final = "approve"
SERVICE_REJECT: Final = "reject"
SERVICE_HISTORY: Final = "history"
SERVICE_ORGANISE: Final = "organise"
SERVICE_UNDO: Final = "undo"
SERVICE_REFRESH_METADATA: Final = "refresh_metadata"
SERVICE_RESCAN: Final = "rescan"

# Fields of the service calls and of the review card's websocket command.
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_LIBRARY: Final = "library"
ATTR_PATH: Final = "path"
ATTR_DRY_RUN: Final = "dry_run"
ATTR_NAME: Final = "name"
ATTR_ITEM_ID: Final = "item_id"
ATTR_BATCH: Final = "batch"
ATTR_TITLE: Final = "title"
ATTR_YEAR: Final = "year"
ATTR_TYPE: Final = "type"
ATTR_TMDB_ID: Final = "tmdb_id"
ATTR_TVDB_ID: Final = "tvdb_id"
ATTR_IMDB_ID: Final = "imdb_id"
ATTR_MEDIA_TYPE: Final = "media_type"
ATTR_SEASON: Final = "season"
ATTR_EPISODES: Final = "episodes"
ATTR_STATUS: Final = "status"
ATTR_QUERY: Final = "query"
ATTR_LIMIT: Final = "limit"
ATTR_RECENT: Final = "recent"
ATTR_THRESHOLD: Final = "threshold"
ATTR_AUTO: Final = "auto"
ATTR_RATING_KEY: Final = "rating_key"
# What a discovery flow's data holds (with CONF_URL and ATTR_NAME): the server GDM found.
ATTR_MACHINE_IDENTIFIER: Final = "machine_identifier"

# Ingest settings (entry.options; set in the config flow's ingest step and the options flow).
CONF_TMDB_API_KEY: Final = "tmdb_api_key"
CONF_INGEST_FOLDERS: Final = "ingest_folders"
CONF_MOVIES_ROOT: Final = "movies_root"
CONF_TV_ROOT: Final = "tv_root"
# A list of "how Home Assistant sees it = how Plex sees it" lines, e.g. "/media/plex = /data".
CONF_PATH_MAP: Final = "path_map"
CONF_TRANSFER_MODE: Final = "transfer_mode"
CONF_VERIFY_CHECKSUM: Final = "verify_checksum"
CONF_INCLUDE_IDS: Final = "include_ids"
# Trailers, featurettes... of a film filed with it, in Plex's extras folders (default on).
CONF_FILE_EXTRAS: Final = "file_extras"
CONF_AUTO_THRESHOLD: Final = "auto_threshold"
DEFAULT_TRANSFER_MODE: Final = "hardlink"
DEFAULT_AUTO_THRESHOLD: Final = 0.85
# TMDb's v3 base. TMDB_API_URL in Home Assistant's environment points it elsewhere (a proxy,
# or the emulator `scripts/develop` runs), the same variable the engine's command line reads.
TMDB_BASE_URL: Final = os.environ.get("TMDB_API_URL", "").strip() or "https://api.themoviedb.org/3"
# Whether conversation agents may ask Plex to scan (their other tools only read).
CONF_LLM_SCAN: Final = "llm_scan"
# What to do when Plex matched an ingested file to another title than Videodrome filed it as:
# "review" puts it in the review queue, "auto" corrects Plex's match, "off" only reports it.
CONF_MATCH_FIX: Final = "match_fix"
MATCH_FIX_MODES: Final = ("review", "auto", "off")
DEFAULT_MATCH_FIX: Final = "review"
# A copy of a film or episode Plex already has (engine/ingest/versions.py's WhenHeld).
CONF_WHEN_HELD: Final = "when_held"
WHEN_HELD_MODES: Final = ("version", "ask", "skip")
DEFAULT_WHEN_HELD: Final = "version"
# Upload TMDb's poster to a Plex item that has none after an ingest.
CONF_UPLOAD_POSTERS: Final = "upload_posters"
# Serve a Plex custom metadata provider from Home Assistant's HTTP server (off: Plex calls
# providers without authentication).
CONF_METADATA_PROVIDER: Final = "metadata_provider"
# The secret in the provider's addresses (entry.data; a secret: never logged, redacted).
CONF_PROVIDER_ID: Final = "provider_id"
# The Stash metadata provider (entry.options, the options flow's Stash page): Stash's address
# ("" or absent: no Stash provider), its API key (a secret: never logged, redacted), the
# poster Plex gets (the screenshot letterboxed onto 2:3, or as it is), whether that poster is
# also uploaded into Plex, and how long Stash's answers are kept (seconds; 0: not at all).
CONF_STASH_URL: Final = "stash_url"
CONF_STASH_API_KEY: Final = "stash_api_key"
CONF_STASH_POSTER_MODE: Final = "stash_poster_mode"
STASH_POSTER_MODES: Final = ("letterbox", "screenshot")
DEFAULT_STASH_POSTER_MODE: Final = "letterbox"
CONF_STASH_UPLOAD_POSTERS: Final = "stash_upload_posters"
CONF_STASH_CACHE_SECONDS: Final = "stash_cache_seconds"
DEFAULT_STASH_CACHE_SECONDS: Final = 300
MAX_STASH_CACHE_SECONDS: Final = 86_400
# An option until config entry version 1.3 (deferring Python's full garbage collections during
# a burst of files); the migration to 1.3 drops it from the stored options.
REMOVED_DEFER_FULL_GC: Final = "defer_full_gc"
