"""Sets the port the demo's Home Assistant listens on, before `scripts/develop` starts it.

Home Assistant 2026.10 keeps its HTTP settings in its storage (`.storage/http`): an `http:`
section in configuration.yaml is read once, moved there, and ignored from then on (a change
to it is only staged as a trial that reverts unless a person confirms it). So the demo's port
(`VIDEODROME_HA_PORT`) is written where Home Assistant reads it, while it is not running:
the stored settings' `server_port`, any staged trial dropped, the migration marked done. The
other settings a person may have made are kept. A fresh config gets Home Assistant's defaults
(`HTTP_STORAGE_SCHEMA`) with that port, listening on loopback only, like the emulators: the
demo's user and password are no secret (a person may open it up in the network settings).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import tempfile
from typing import Any

from homeassistant.components.http.config import HTTP_STORAGE_SCHEMA

KEY = "http"
VERSION, MINOR_VERSION = 2, 2  # the store's version in Home Assistant 2026.10
CREATED_AT = "2026-01-01T00:00:00+00:00"


def with_port(stored: dict[str, Any] | None, port: int) -> dict[str, Any]:
    """The HTTP store's file with `port` as the stable config's port."""
    if stored is None:
        fresh = HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"]})
        stable = {**fresh, "created_at": CREATED_AT, "error": None}
        stored = {"version": VERSION, "minor_version": MINOR_VERSION, "key": KEY, "data": {}}
        stored["data"]["stable"] = {**stable, "error_message": None}
    data = stored["data"]
    data["stable"] = {**data["stable"], "server_port": port}
    data["pending"] = None
    data["yaml_migration_done"] = True
    return stored


def write_port(config: Path, port: int) -> Path:
    """Write `port` into `config`'s HTTP store (atomically); the store's path."""
    store = config / ".storage" / KEY
    stored = json.loads(store.read_text(encoding="utf-8")) if store.exists() else None
    store.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(with_port(stored, port), indent=2)
    with tempfile.NamedTemporaryFile("w", dir=store.parent, delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    Path(tmp.name).replace(store)
    return store


def main() -> None:
    """Set the port given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="Home Assistant's config")
    parser.add_argument("--port", required=True, type=int, help="the port to listen on")
    args = parser.parse_args()
    write_port(args.config, args.port)


if __name__ == "__main__":
    main()
