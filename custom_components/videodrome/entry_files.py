"""The files an entry keeps in Home Assistant's storage folder, and removing them with it.

An entry with ingest (or Stash's poster upload) keeps one SQLite database,
`.storage/videodrome_<entry id>.db`: the ingest history, the review queue, the TMDb cache and
the posters uploaded into Plex; SQLite adds `-wal` and `-shm` (and `-journal`) beside it.
Nothing else is kept per entry. When the entry is removed these go;
the files Videodrome filed into the library, and the ingest folders, stay.
"""

from __future__ import annotations

import logging
from pathlib import Path
import re
from typing import TYPE_CHECKING, Final

from homeassistant.helpers.storage import STORAGE_DIR

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)

# SQLite's companions of a database file (write-ahead log, shared memory, rollback journal).
COMPANIONS: Final = ("-wal", "-shm", "-journal")
# Home Assistant's entry ids are ULIDs; anything else is not turned into a file name.
_ENTRY_ID: Final = re.compile(r"[0-9A-Za-z]+")


def database_path(hass: HomeAssistant, entry_id: str) -> Path:
    """Where the entry's database lives."""
    return Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}_{entry_id}.db"))


def remove_entry_files(hass: HomeAssistant, entry_id: str) -> list[Path]:
    """Delete the entry's database and its companions; the files deleted. Blocking.

    Only regular files named after the entry (a plain id), directly in Home Assistant's
    storage folder, are deleted: a symbolic link or a folder in their place stays (with
    what it points to), and so does everything else.
    """
    if not _ENTRY_ID.fullmatch(entry_id):
        _LOGGER.warning("Not removing files for an entry id that is no plain name: %r", entry_id)
        return []
    database = database_path(hass, entry_id)
    removed: list[Path] = []
    for path in (database, *(database.with_name(database.name + s) for s in COMPANIONS)):
        if path.is_symlink() or (path.exists() and not path.is_file()):
            _LOGGER.warning("Not removing %s: it is not a regular file", path)
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed
