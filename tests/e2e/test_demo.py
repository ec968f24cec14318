"""The demo lands on Videodrome (issue 23, item 7): `scripts/develop` as a newcomer runs it.

`scripts/develop` is started as it is documented, on free ports (`VIDEODROME_HA_PORT` and the
emulators'), in a config folder of its own (`VIDEODROME_CONFIG_DIR`), with the .venv as it is
(`VIDEODROME_SKIP_SETUP=1`). Home Assistant must listen on the port asked for, the first run
must make the "Videodrome" dashboard, with the review card, the server's, libraries' and
queue's sensors and the watcher's controls, and make it everyone's default; a second run
must keep what a person changed since. With Chromium at hand (as for test_review_card.py),
a browser signs in at Home Assistant's address and must land on that dashboard.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
import json
import os
from pathlib import Path
import signal
import subprocess
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.e2e.stack import ROOT, STARTUP_TIMEOUT, bootstrap_module, free_port, wait_for
from tests.e2e.test_review_card import CHROMIUM, _prerequisites

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).parent
DASHBOARD = "videodrome-demo"
WAIT = 300.0

pytestmark = pytest.mark.timeout(1200)


class Develop:
    """`scripts/develop` running in `config`, on free ports."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "VIDEODROME_HA_PORT": str(self.port),
            "VIDEODROME_PLEX_PORT": str(free_port()),
            "VIDEODROME_TMDB_PORT": str(free_port()),
            "VIDEODROME_CONFIG_DIR": str(config),
            "VIDEODROME_SKIP_SETUP": "1",
        }

    @contextmanager
    def running(self) -> Iterator[subprocess.Popen[bytes]]:
        """The script, ended (its whole process group) on the way out."""
        with self.log.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 (our own script)
                [str(ROOT / "scripts" / "develop")],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                yield process
            finally:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)

    def said(self) -> str:
        return self.log.read_text(errors="replace")

    def answers(self) -> bool:
        """Home Assistant answers on the port asked for (the script still running)."""
        try:
            return asyncio.run(self._status()) in {200, 401}
        except aiohttp.ClientError, OSError:
            return False

    async def _status(self) -> int:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/api/") as answer:
            return answer.status

    def websocket(self, *messages: dict[str, Any]) -> list[Any]:
        """Websocket commands as the demo user (signed in as demo_bootstrap signs in)."""
        module = bootstrap_module()

        async def send() -> list[Any]:
            async with aiohttp.ClientSession() as session:
                bootstrap = module.Bootstrap(session, self.url)
                await bootstrap.onboard_or_sign_in()
                results: list[Any] = await bootstrap.websocket(*messages)
                return results

        return asyncio.run(send())


def _browser_lands_on_videodrome(develop: Develop, artifacts: Path) -> None:
    result = subprocess.run(  # noqa: S603 (our own script)
        ["node", str(HERE / "demo_landing.mjs")],  # noqa: S607 (node from PATH, checked)
        cwd=ROOT,
        env={
            **os.environ,
            "HA_URL": develop.url,
            "HA_USERNAME": "demo",
            "HA_PASSWORD": "demo",
            "LANDING": f"/{DASHBOARD}",
            "ARTIFACTS": str(artifacts),
            "CHROMIUM": CHROMIUM,
            "TIMEOUT_MS": str(int(WAIT * 1000)),
        },
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
        check=False,
    )
    (artifacts / "demo-browser.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"landed on /{DASHBOARD}/" in result.stdout


def test_scripts_develop_listens_on_its_port_and_lands_on_videodrome(
    tmp_path: Path, socket_enabled: None
) -> None:
    """The port asked for; the dashboard made once, the default; the browser lands there."""
    browser = os.environ.get("VIDEODROME_SKIP_BROWSER") != "1"
    if browser:
        _prerequisites()  # fails loudly without Chromium and Playwright
    artifacts = Path(os.environ.get("VIDEODROME_ARTIFACTS", HERE / "artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    develop = Develop(tmp_path / "config", artifacts / "develop.log")
    develop.log.write_text("")
    with develop.running() as process:
        wait_for(f"Home Assistant on port {develop.port}", develop.answers, STARTUP_TIMEOUT)
        wait_for("the dashboard", lambda: "Videodrome dashboard" in develop.said(), WAIT)
        assert process.poll() is None, develop.said()
        assert f"demo: the Videodrome dashboard is at /{DASHBOARD}" in develop.said()
        boards, config, system = develop.websocket(
            {"type": "lovelace/dashboards/list"},
            {"type": "lovelace/config", "url_path": DASHBOARD},
            {"type": "frontend/get_system_data", "key": "core"},
        )
        (board,) = [b for b in boards if b["url_path"] == DASHBOARD]
        assert board["title"] == "Videodrome"
        assert board["show_in_sidebar"]
        assert not board["require_admin"]
        assert system["value"]["default_panel"] == DASHBOARD
        (view,) = config["views"]
        review, server, queue, watcher = view["cards"]
        assert review["type"] == "custom:videodrome-review-card"
        assert review["entity"].endswith("_review_queue")
        assert any(e.endswith("_status") for e in server["entities"])
        assert any(e.endswith("_movies") for e in server["entities"])
        assert [e.split("demo_", 1)[-1] for e in queue["entities"]] == [
            "review_queue", "files_waiting", "last_ingest",
        ]  # fmt: skip
        assert [e.partition(".")[0] for e in watcher["entities"]][:2] == ["switch", "button"]
        assert watcher["entities"][0].endswith("_watch_ingest_folders")
        if browser:
            _browser_lands_on_videodrome(develop, artifacts)
        # A person changes the dashboard; the next run leaves it as it is.
        changed = {**config, "title": "Mine"}
        develop.websocket(
            {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": changed}
        )
    develop.log.write_text("")
    with develop.running():
        wait_for("Home Assistant again", develop.answers, STARTUP_TIMEOUT)
        wait_for("the bootstrap again", lambda: "Videodrome dashboard" in develop.said(), WAIT)
        assert "demo: the Videodrome dashboard is already there" in develop.said()
        (config,) = develop.websocket({"type": "lovelace/config", "url_path": DASHBOARD})
        assert config["title"] == "Mine"
    # The port is Home Assistant's own setting now, in its storage (no trial to revert).
    stored = json.loads((tmp_path / "config" / ".storage" / "http").read_text())["data"]
    assert stored["stable"]["server_port"] == develop.port
    assert stored["pending"] is None
