"""Home Assistant stopping after an ingest: guessit's process ends, and nothing blocks the loop.

The symptom this guards against (issue 20): at every shutdown after an ingest, Home Assistant
logged `Detected blocking call to sleep ... inside the event loop by custom integration
'videodrome'` and `RuntimeError: Caught blocking call to sleep` from an `atexit` callback that
waited for guessit's child in the event loop's thread. Checked twice:

- in a real `python -m homeassistant` (the Plex and TMDb emulators as processes on loopback,
  Videodrome's entry written into its storage, one film dropped into the ingest folder), stopped
  with SIGTERM as a supervisor stops it: no blocking-call record in its output, and guessit's
  child is gone by the time Home Assistant has exited;
- in the test harness: `hass.async_stop()` ends the child, though no entry was unloaded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import signal
import time
from typing import TYPE_CHECKING, Any
import urllib.request

from homeassistant.components.http.config import HTTP_STORAGE_SCHEMA
import pytest

from custom_components.videodrome.config_flow import VideodromeConfigFlow
from custom_components.videodrome.const import DOMAIN
from tests.e2e.stack import PLEX_TOKEN, ROOT, Stack, wait_for

if TYPE_CHECKING:
    import subprocess

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

BLOCKING = ("Detected blocking call", "Caught blocking call")
WORKER = b"guessit_worker.py"
ENTRY_ID = "01SHUTDOWNTEST0000000000000"
FILM = "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
TIMEOUT = 120.0  # each wait; together they take 15-30 s on a quiet 2-core machine


def alive(pid: int) -> bool:
    """Whether `pid` is a running (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return state[0] != "Z"


def guessit_children(parent: int) -> set[int]:
    """The guessit workers among `parent`'s descendants (running ones)."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    stack = [parent]
    while stack:
        for child in tree.get(stack.pop(), []):
            stack.append(child)
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if WORKER in command and alive(child):
                found.add(child)
    return found


def _storage(key: str, data: dict[str, Any], version: int = 1, minor: int = 1) -> str:
    return json.dumps({"version": version, "minor_version": minor, "key": key, "data": data})


class IngestStack(Stack):
    """The emulators and a Home Assistant whose Videodrome entry is in its storage already
    (no frontend, no onboarding, no config flow: only what an ingest needs)."""

    def start(self) -> IngestStack:
        """Start the emulators, write the config with the entry, drop the film, start HA."""
        for folder in (self.config / "custom_components", self.ingest, self.media, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        self._start(
            "plex",
            *("-m", "tests.emulators.plex", "--port", str(self.plex_port)),
            *("--token", PLEX_TOKEN, "--library", "demo", "--media-root", str(self.media)),
        )
        self._start(
            "tmdb",
            *("-m", "tests.emulators.tmdb", "--port", str(self.tmdb_port)),
            *("--api-key", "demo-tmdb-key", "--catalog", "demo"),
        )
        wait_for("the Plex emulator", lambda: self._answers(f"{self.plex_url}/identity"), 60)
        wait_for("the TMDb emulator", lambda: self._answers(f"{self.tmdb_url}/configuration"), 60)
        self._write_entry_config()
        (self.ingest / FILM).write_bytes(b"x" * 1000)  # found by the watcher's first rescan
        self._start_homeassistant()
        return self

    def _write_entry_config(self) -> None:
        (self.config / "custom_components" / DOMAIN).symlink_to(ROOT / "custom_components" / DOMAIN)
        (self.config / "configuration.yaml").write_text(
            "homeassistant:\n"
            "  name: Videodrome shutdown\n"
            "  time_zone: UTC\n"
            "  allowlist_external_dirs:\n"
            f"    - {json.dumps(str(self.demo))}\n"
            "logger:\n"
            "  default: warning\n",
            encoding="utf-8",
        )
        storage = self.config / ".storage"
        storage.mkdir()
        http = {
            **HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": self.ha_port}),
            "created_at": "2026-01-01T00:00:00+00:00",
            "error": None,
            "error_message": None,
        }
        stored = {"stable": http, "pending": None, "yaml_migration_done": True}
        (storage / "http").write_text(_storage("http", stored, 2, 2))
        identity = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.plex_url}/identity", headers={"Accept": "application/json"}
        )
        with urllib.request.urlopen(identity, timeout=10) as answer:  # noqa: S310
            machine = json.loads(answer.read())["MediaContainer"]["machineIdentifier"]
        entry = {
            "entry_id": ENTRY_ID,
            "version": VideodromeConfigFlow.VERSION,
            "minor_version": VideodromeConfigFlow.MINOR_VERSION,
            "domain": DOMAIN,
            "title": "Videodrome shutdown",
            "source": "user",
            "unique_id": machine,
            "data": {
                "url": self.plex_url,
                "token": PLEX_TOKEN,
                "verify_ssl": True,
                "client_identifier": "videodrome-shutdown-test",
                "provider_id": "p" * 43,
            },
            "options": {
                "tmdb_api_key": "demo-tmdb-key",
                "ingest_folders": [str(self.ingest)],
                "movies_root": str(self.media / "Movies"),
                "tv_root": str(self.media / "TV Shows"),
                "path_map": [],
                "transfer_mode": "hardlink",
                "stability_seconds": 0,  # ready at the first check (5 s after the start)
            },
        }
        entries = _storage("core.config_entries", {"entries": [entry]})
        (storage / "core.config_entries").write_text(entries)

    def homeassistant(self) -> subprocess.Popen[bytes]:
        """Home Assistant's process."""
        (process,) = [p for name, p in self._processes if name == "homeassistant"]
        return process


@pytest.mark.timeout(300)  # a whole Home Assistant: 15-30 s, more on a busy machine
def test_a_real_home_assistant_stops_cleanly_after_an_ingest(
    tmp_path: Path, socket_enabled: None
) -> None:
    """SIGTERM after a film was filed: no blocking call logged, guessit's child gone."""
    with IngestStack(tmp_path) as stack:
        process = stack.homeassistant()
        filed = stack.media / "Movies"
        wait_for(
            "the film to be filed",
            lambda: any(filed.glob("Titanic (1997)*/*.mkv")),
            TIMEOUT,
        )
        children = guessit_children(process.pid)
        assert len(children) == 1, f"one guessit child expected, found {children}"
        os.killpg(process.pid, signal.SIGTERM)  # as a supervisor (or Ctrl-C) stops it
        code = process.wait(timeout=TIMEOUT)
        log = (stack.logs / "homeassistant.log").read_text(encoding="utf-8", errors="replace")
    assert code == 0, log[-3000:]
    found = [line for line in log.splitlines() if any(b in line for b in BLOCKING)]
    assert not found, "\n".join(found)
    assert "atexit" not in log, log[-3000:]
    assert not any(alive(pid) for pid in children), "guessit's child outlived Home Assistant"


async def test_stopping_home_assistant_ends_the_guessit_process(
    hass: HomeAssistant, ha_integration: None, ingest_entry: MockConfigEntry
) -> None:
    """No entry unloads when Home Assistant stops: the stop itself ends guessit's child."""
    found = await hass.services.async_call(
        DOMAIN,
        "identify",
        {"name": "The.Last.Shutdown.2001.720p.mkv"},  # no other test reads it: no cache hit
        blocking=True,
        return_response=True,
    )
    assert found is not None
    children = guessit_children(os.getpid())
    assert children, "the name was not read in a guessit child"
    started = time.monotonic()
    await hass.async_stop()
    assert time.monotonic() - started < 30
    assert not any(alive(pid) for pid in children)
