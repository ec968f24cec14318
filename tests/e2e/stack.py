"""A real Home Assistant with Videodrome on the emulators, for the browser tests.

The same pieces as `scripts/develop`: the Plex emulator and the TMDb emulator as processes on
loopback, `python -m homeassistant` with a config folder that links Videodrome in, and
`scripts/demo_bootstrap.py` creating the user demo/demo and adding the server through the
config flow. Everything lives in a temporary folder; every process is ended on the way out,
whatever happened. Home Assistant can be restarted in place (same port, same config), and a
test may load helper integrations of its own from tests/e2e (`Stack.helpers`). Run it alone to
look around by hand:

    .venv/bin/python -m tests.e2e.stack /tmp/videodrome-e2e
"""

from __future__ import annotations

from contextlib import ExitStack, closing, suppress
import importlib.util
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any, Self
import urllib.request

from homeassistant.components.http.config import HTTP_STORAGE_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType, TracebackType

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PLEX_TOKEN = "demo-token"
STARTUP_TIMEOUT = 600.0  # a first start on a busy machine unpacks and loads a lot
CARD = {"type": "custom:videodrome-review-card", "title": "Videodrome review", "recent": 5}
DASHBOARD_PATH = "review"


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.25) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except OSError as err:  # not up yet
            last = err
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last})")


def bootstrap_module() -> ModuleType:
    """`scripts/demo_bootstrap.py`, imported (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "demo_bootstrap", ROOT / "scripts" / "demo_bootstrap.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _storage(key: str, data: dict[str, Any], version: int = 1, minor: int = 1) -> str:
    """A file of Home Assistant's `.storage` folder."""
    return json.dumps({"version": version, "minor_version": minor, "key": key, "data": data})


class Stack:
    """The emulators and Home Assistant, started in `base` and stopped on exit."""

    # What the emulators serve (a subclass may serve its own: a library or catalogue file).
    plex_library = "demo"
    tmdb_args: tuple[str, ...] = ("--catalog", "demo")
    # Integrations of tests/e2e (folders there) to load beside Videodrome, for a test's needs.
    helpers: tuple[str, ...] = ()
    # The Python whose Home Assistant runs (another version's, in a virtual environment of its
    # own), and whether that Home Assistant installs what integrations require, as for a user
    # (else `--skip-pip`: everything is in this virtual environment already).
    ha_python: str = PYTHON
    installs_requirements: bool = False
    # Home Assistant's own integrations to set up besides (configuration.yaml), e.g. Assist's.
    integrations: tuple[str, ...] = ()

    def __init__(self, base: Path) -> None:
        """Lay out `base`: config/, demo/ingest, demo/media and the logs."""
        self.base = base
        self.config = base / "config"
        self.demo = base / "demo"
        self.ingest = self.demo / "ingest"
        self.media = self.demo / "media"
        self.logs = base / "logs"
        self.ha_port, self.plex_port, self.tmdb_port = free_port(), free_port(), free_port()
        self.ha_url = f"http://127.0.0.1:{self.ha_port}"
        self.plex_url = f"http://127.0.0.1:{self.plex_port}"
        self.tmdb_url = f"http://127.0.0.1:{self.tmdb_port}/3"
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._exit = ExitStack()
        self.headers: dict[str, str] = {}

    def _write_config(self) -> None:
        for folder in (self.config / "custom_components", self.ingest, self.media, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        (self.config / "custom_components" / "videodrome").symlink_to(
            ROOT / "custom_components" / "videodrome"
        )
        (self.config / "configuration.yaml").write_text(
            "homeassistant:\n"
            "  name: Videodrome e2e\n"
            "  unit_system: metric\n"
            "  time_zone: UTC\n"
            "  country: GB\n"
            "  allowlist_external_dirs:\n"
            f"    - {json.dumps(str(self.demo))}\n"
            "frontend:\n"
            "config:\n"
            "logger:\n"
            "  default: warning\n"
            "  logs:\n"
            "    custom_components.videodrome: debug\n"
            + "".join(f"{name}:\n" for name in (*self.integrations, *self.helpers)),
            encoding="utf-8",
        )
        if self.helpers:
            # A regular package (not a namespace one), or the repository's custom_components
            # folder (Home Assistant's working directory) would hide the config folder's.
            (self.config / "custom_components" / "__init__.py").write_text("", encoding="utf-8")
        for helper in self.helpers:
            (self.config / "custom_components" / helper).symlink_to(Path(__file__).parent / helper)
        storage = self.config / ".storage"
        storage.mkdir()
        # Onboarding done but for the user, whom demo_bootstrap creates: the other steps only
        # set up integrations (weather, radio, ...) this test has nothing to do with.
        done = ["core_config", "analytics", "integration"]
        (storage / "onboarding").write_text(_storage("onboarding", {"done": done}, 4))
        # Where Home Assistant listens, as its HTTP store holds it (YAML would be staged as a
        # trial that reverts to port 8123 unless a person confirms it in the UI).
        http = {
            **HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": self.ha_port}),
            "created_at": "2026-01-01T00:00:00+00:00",
            "error": None,
            "error_message": None,
        }
        stored = {"stable": http, "pending": None, "yaml_migration_done": True}
        (storage / "http").write_text(_storage("http", stored, 2, 2))
        # The default dashboard, in storage mode: one panel view with the card.
        view = {"title": "Review", "path": DASHBOARD_PATH, "type": "panel", "cards": [CARD]}
        (storage / "lovelace").write_text(_storage("lovelace", {"config": {"views": [view]}}))

    def _start(
        self,
        name: str,
        *args: str,
        env: dict[str, str] | None = None,
        log_name: str = "",
        python: str = PYTHON,
    ) -> None:
        log = self._exit.enter_context((self.logs / f"{log_name or name}.log").open("wb"))
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and modules)
            [python, *args],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # its own process group, ended as a whole
        )
        self._processes.append((name, process))

    def _alive(self) -> None:
        for name, process in self._processes:
            if process.poll() is not None:
                log = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")

    def _answers(self, url: str) -> bool:
        self._alive()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                return bool(response.status < 500)
        except urllib.error.HTTPError as err:
            return err.code < 500

    def start(self) -> Self:
        """Start the emulators, then Home Assistant, and wait until Videodrome is set up."""
        self._write_config()
        self._start(
            "plex",
            *("-m", "tests.emulators.plex", "--port", str(self.plex_port)),
            *("--token", PLEX_TOKEN, "--library", self.plex_library),
            *("--media-root", str(self.media)),
        )
        self._start(
            "tmdb",
            *("-m", "tests.emulators.tmdb", "--port", str(self.tmdb_port)),
            *("--api-key", "demo-tmdb-key", *self.tmdb_args),
        )
        wait_for("the Plex emulator", lambda: self._answers(f"{self.plex_url}/identity"), 60)
        wait_for("the TMDb emulator", lambda: self._answers(f"{self.tmdb_url}/configuration"), 60)
        self._start_homeassistant()
        bootstrap = subprocess.run(  # noqa: S603 (our own script)
            [
                PYTHON,
                str(ROOT / "scripts" / "demo_bootstrap.py"),
                *("--ha", self.ha_url, "--plex", self.plex_url, "--plex-token", PLEX_TOKEN),
                *("--demo-dir", str(self.demo)),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT,
            check=False,
        )
        if bootstrap.returncode != 0 or "Videodrome is connected" not in bootstrap.stdout:
            raise RuntimeError(f"demo_bootstrap failed:\n{bootstrap.stdout}\n{bootstrap.stderr}")
        self.headers = self.sign_in()
        return self

    def _start_homeassistant(self, log_name: str = "") -> None:
        """Start Home Assistant on the emulators and wait until it answers."""
        self._start(
            "homeassistant",
            *("-m", "homeassistant", "--config", str(self.config)),
            *(() if self.installs_requirements else ("--skip-pip",)),
            env={
                "TMDB_API_URL": self.tmdb_url,
                "TMDB_IMAGE_URL": self.tmdb_url.removesuffix("/3") + "/t/p",
            },
            log_name=log_name,
            python=self.ha_python,
        )
        wait_for("Home Assistant", lambda: self._answers(f"{self.ha_url}/api/"), STARTUP_TIMEOUT)

    def restart_homeassistant(self, log_name: str) -> None:
        """Stop Home Assistant (gently), start it again on the same port and config.

        Returns once Videodrome's entry is loaded again. The new process logs to `log_name`.
        Sign-ins survive (Home Assistant keeps its tokens in its storage).
        """
        (process,) = [p for name, p in self._processes if name == "homeassistant"]
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        self._processes.remove(("homeassistant", process))
        self._start_homeassistant(log_name)

        def loaded() -> bool:
            entries = self.api("GET", "/api/config/config_entries/entry?domain=videodrome")
            return bool(entries) and all(entry["state"] == "loaded" for entry in entries)

        wait_for("Videodrome loaded again", loaded, STARTUP_TIMEOUT)

    def websocket(self, *messages: dict[str, Any]) -> list[Any]:
        """Send websocket commands as the demo user (an administrator); their results."""
        import asyncio  # noqa: PLC0415 (only here: the rest of this module is synchronous)

        import aiohttp  # noqa: PLC0415

        async def send() -> list[Any]:
            results = []
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{self.ha_url}/api/websocket") as socket,
            ):
                await socket.receive_json()  # auth_required
                token = self.headers["Authorization"].removeprefix("Bearer ")
                await socket.send_json({"type": "auth", "access_token": token})
                if (answer := await socket.receive_json())["type"] != "auth_ok":
                    raise RuntimeError(f"websocket sign-in refused: {answer['type']}")
                for number, message in enumerate(messages, start=1):
                    await socket.send_json({**message, "id": number})
                    answer = await socket.receive_json()
                    if not answer["success"]:
                        raise RuntimeError(f"{message['type']} failed: {answer['error']}")
                    results.append(answer["result"])
            return results

        return asyncio.run(send())

    def create_user(self, name: str, username: str, password: str) -> str:
        """A user who signs in with `username` and `password`, not an administrator; its id."""
        (created,) = self.websocket(
            {"type": "config/auth/create", "name": name, "group_ids": ["system-users"]}
        )
        user_id: str = created["user"]["id"]
        self.websocket(
            {
                "type": "config/auth_provider/homeassistant/create",
                "user_id": user_id,
                "username": username,
                "password": password,
            }
        )
        return user_id

    def sign_in(self) -> dict[str, str]:
        """A bearer token for the REST API, through demo_bootstrap's own sign-in."""
        import asyncio  # noqa: PLC0415 (only here: the rest of this module is synchronous)

        import aiohttp  # noqa: PLC0415

        module = bootstrap_module()

        async def sign_in() -> dict[str, str]:
            async with aiohttp.ClientSession() as session:
                bootstrap = module.Bootstrap(session, self.ha_url)
                await bootstrap.onboard_or_sign_in()
                headers: dict[str, str] = bootstrap.headers
                return headers

        return asyncio.run(sign_in())

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call Home Assistant's REST API as the demo user."""
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.ha_url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={**self.headers, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state, by entity id."""
        return {state["entity_id"]: state for state in self.api("GET", "/api/states")}

    def entity(self, suffix: str) -> str:
        """The entity id of Videodrome's sensor ending in `suffix`."""
        found = [e for e in self.states() if e.startswith("sensor.") and e.endswith(suffix)]
        if len(found) != 1:
            raise LookupError(f"expected one sensor ending in {suffix}, found {found}")
        return found[0]

    def stop(self) -> None:
        """End every process (Home Assistant first, gently, then by force)."""
        for _name, process in reversed(self._processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in reversed(self._processes):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        self._processes.clear()
        self._exit.close()

    def __enter__(self) -> Self:
        """Start everything; stop it again if starting fails half-way."""
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop everything."""
        self.stop()


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    base = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/videodrome-e2e")  # noqa: S108
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # end the processes on `kill` too
    with Stack(base) as stack:
        print(f"Home Assistant: {stack.ha_url}/lovelace/{DASHBOARD_PATH} (demo / demo)")  # noqa: T201
        print(f"drop files into {stack.ingest}; Ctrl-C stops everything", flush=True)  # noqa: T201
        with suppress(KeyboardInterrupt):
            signal.pause()
