"""The review card in a real browser: Home Assistant, Videodrome, the emulators, Chromium.

Starts the whole stack (tests/e2e/stack.py), lets the watcher put two ambiguous files in the
review queue and file a sure one, then has headless Chromium (Playwright, review_card.mjs) sign
in, open the dashboard, read the reasons in words (the codes in tooltips), approve one tile
with another candidate picked and reject the other. A user who is not an administrator (created
here through Home Assistant's own auth commands) gets the queue read-only. A page signed in
with access tokens that live seconds (tests/e2e/short_tokens) keeps its live updates once its
token has expired; then Home Assistant is restarted in place, and every page must come back by
itself (that one after refreshing its token) and show a file dropped after the restart. The
files on disk and the queue are checked here afterwards. Screenshots go to
$VIDEODROME_ARTIFACTS (default tests/e2e/artifacts/).

Needs Debian's chromium and the npm packages (`scripts/setup` installs both). Missing, the
test fails and says so; VIDEODROME_SKIP_BROWSER=1 skips it on a machine that cannot have them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from tests.e2e.stack import ROOT, Stack, wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).parent
SCRIPT = HERE / "review_card.mjs"
PLAYWRIGHT = ROOT / "node_modules" / "playwright-core"
CHROMIUM = os.environ.get("VIDEODROME_CHROMIUM", "/usr/bin/chromium")
WAIT = 300.0  # seconds for any one condition: generous, for a loaded CI machine

# Two files the demo TMDb cannot tell apart without a year (review), one it is sure of.
APPROVE = "Dune.mkv"
APPROVE_AS = 841  # Dune (1984), not the best-scored Dune (2021): "pick another"
REJECT = "The.Thing.mkv"
SURE = "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
LIVE = "The.Thing.mkv"  # dropped again elsewhere while the page is open: a new tile, live
RESTART = "Halloween.mkv"  # dropped once Home Assistant is back: three films of that name
REASON = "ambiguous_without_year"  # one of APPROVE's reasons: the card shows it in words
VIEWER = ("viewer", "viewer-e2e-password")  # not an administrator
SHORT_SECONDS = 10  # how long the short-lived page's access tokens live
UNLOADED = 12.0  # seconds Videodrome stays disabled: the card retries after 1, 2 and 4 s
# What Home Assistant logs (at ERROR) for each read of the review while Videodrome is unloaded:
# the time, and the websocket connection (one per page).
NOT_LOADED = re.compile(
    r"^(\S+ \S+) DEBUG .*\[(\d+)\] Review read answered with an error: "
    r"(No Plex server is configured and loaded in Videodrome|The Plex server .* is not loaded)",
    re.MULTILINE,
)

pytestmark = pytest.mark.timeout(1200)


def _phrase(code: str) -> str:
    """The words Videodrome's translations give a reason code (what the card must show)."""
    strings = ROOT / "custom_components" / "videodrome" / "strings.json"
    phrase: str = json.loads(strings.read_text(encoding="utf-8"))["selector"]["review_reason"][
        "options"
    ][code]
    return phrase


def _prerequisites() -> None:
    missing = []
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium ({CHROMIUM}; Debian package chromium)")
    if shutil.which("node") is None:
        missing.append("Node.js (node)")
    if not (PLAYWRIGHT / "package.json").is_file():
        missing.append("playwright-core (npm ci)")
    if not missing:
        return
    message = f"browser test prerequisites missing: {', '.join(missing)}; run scripts/setup"
    if os.environ.get("VIDEODROME_SKIP_BROWSER") == "1":
        pytest.skip(message)
    pytest.fail(message)


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots and logs are kept after the run."""
    folder = Path(os.environ.get("VIDEODROME_ARTIFACTS", HERE / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class CardStack(Stack):
    """The e2e stack with the integration that issues short-lived access tokens."""

    helpers = ("short_tokens",)


@pytest.fixture
def stack(tmp_path: Path, artifacts: Path, socket_enabled: None) -> Iterator[Stack]:
    """Home Assistant with Videodrome on the emulators; its logs copied to the artifacts."""
    _prerequisites()
    running = CardStack(tmp_path)
    try:
        with running:
            yield running
    finally:
        for log in running.logs.glob("*.log"):
            shutil.copy(log, artifacts / log.name)


def _drop(folder: Path, name: str) -> Path:
    file = folder / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(b"demo video\n")
    return file


def _unload_a_while(stack: Stack) -> None:
    """Disable Videodrome's entry for UNLOADED seconds, then enable it again."""
    entries = stack.api("GET", "/api/config/config_entries/entry?domain=videodrome")
    (entry_id,) = [entry["entry_id"] for entry in entries]
    for disabled_by in ("user", None):
        message = {"type": "config_entries/disable", "entry_id": entry_id}
        stack.websocket({**message, "disabled_by": disabled_by})
        if disabled_by:
            time.sleep(UNLOADED)


def _drive_browser(stack: Stack, artifacts: Path, extra: dict[str, str]) -> tuple[Path, Path]:
    """Run review_card.mjs, dropping files and restarting Home Assistant when it says.

    Returns the file dropped while the page was open and the one dropped after the restart.
    """
    browser = subprocess.Popen(  # noqa: S603 (our own script)
        ["node", str(SCRIPT)],  # noqa: S607 (node from PATH, checked above)
        cwd=ROOT,
        env={
            **os.environ,
            **extra,
            "HA_URL": stack.ha_url,
            "HA_USERNAME": "demo",
            "HA_PASSWORD": "demo",
            "DASHBOARD": "/lovelace/review",
            "APPROVE_FILE": APPROVE,
            "APPROVE_TMDB_ID": str(APPROVE_AS),
            "REJECT_FILE": REJECT,
            "REASON": REASON,
            "REASON_WORDS": _phrase(REASON),
            "RECENT_TITLE": "Dune (1984)",
            "LIVE_FILE": LIVE,
            "RESTART_FILE": RESTART,
            "ARTIFACTS": str(artifacts),
            "CHROMIUM": CHROMIUM,
            "TIMEOUT_MS": str(int(WAIT * 1000)),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    live = restarted = None
    try:
        assert browser.stdout is not None
        # The script ends by itself: every wait in it is bounded (TIMEOUT_MS).
        for line in browser.stdout:
            output.append(line)
            if line.startswith(f"e2e: ready for {LIVE}"):
                live = _drop(stack.ingest, f"later/{LIVE}")
            elif line.startswith("e2e: ready for unload"):
                _unload_a_while(stack)
            elif line.startswith("e2e: ready for restart"):
                started = time.monotonic()
                stack.restart_homeassistant("homeassistant-restarted")
                output.append(f"test: Home Assistant back in {time.monotonic() - started:.1f} s\n")
                restarted = _drop(stack.ingest, f"after-restart/{RESTART}")
        browser.wait(timeout=WAIT)
    finally:
        if browser.poll() is None:
            browser.kill()
            browser.wait()
        (artifacts / "browser.log").write_text("".join(output))
    assert browser.returncode == 0, "".join(output)
    assert live is not None
    assert restarted is not None
    return live, restarted


def test_review_card_in_a_browser(stack: Stack, artifacts: Path) -> None:
    """Approve one file and reject another by clicking; the files and the queue follow."""
    queue = stack.entity("_review_queue")
    dune = _drop(stack.ingest, APPROVE)
    thing = _drop(stack.ingest, f"other/{REJECT}")
    titanic = _drop(stack.ingest, f"Titanic.1997.1080p.BluRay.x264-GRP/{SURE}")
    # The watcher picks them up once they are stable (10 s in the demo's settings).
    wait_for("two files in the review queue", lambda: stack.states()[queue]["state"] == "2", WAIT)
    last = stack.entity("_last_ingest")
    wait_for("Titanic filed", lambda: stack.states()[last]["attributes"].get("title"), WAIT)
    movies = stack.media / "Movies"
    filed_titanic = next(movies.glob("Titanic (1997)*/*.mkv"))
    library_before = {p for p in movies.rglob("*") if p.is_file()}
    stack.create_user("Viewer", *VIEWER)
    (short,) = stack.websocket(
        {"type": "short_tokens/create", "client_id": f"{stack.ha_url}/", "seconds": SHORT_SECONDS}
    )

    env = {
        "VIEWER_USERNAME": VIEWER[0],
        "VIEWER_PASSWORD": VIEWER[1],
        "SHORT_REFRESH_TOKEN": short["refresh_token"],
        "SHORT_SECONDS": str(SHORT_SECONDS),
    }
    live, restarted = _drive_browser(stack, artifacts, env)
    shots = (
        *("desktop-queue.png", "viewer-queue.png", "phone-queue.png", "desktop-after.png"),
        *("desktop-live.png", "desktop-offline.png", "desktop-restarted.png"),
    )
    for name in (*shots, "review-card.png"):
        assert (artifacts / name).stat().st_size > 0, name

    # Approved as Dune (1984): filed (hard-linked) into the library, the download kept.
    filed = movies / "Dune (1984) {tmdb-841}" / "Dune (1984).mkv"
    assert dune.is_file()
    assert filed.stat().st_ino == dune.stat().st_ino
    # Rejected: left exactly where it was, never deleted; nothing else came into the library.
    assert thing.read_bytes() == b"demo video\n"
    assert {p for p in movies.rglob("*") if p.is_file()} - library_before == {filed}
    assert titanic.is_file()
    assert filed_titanic.is_file()
    # The queue holds the files dropped while the page was open; the history says the rest.
    assert stack.states()[queue]["state"] == "2"
    history = stack.api("POST", "/api/services/videodrome/history?return_response", {})
    statuses = {item["source"]: item["status"] for item in history["service_response"]["items"]}
    assert statuses == {
        str(dune): "ingested",
        str(thing): "rejected",
        str(titanic): "ingested",
        str(live): "review",
        str(restarted): "review",
    }
    # While Videodrome was unloaded, each page's card read again by itself, less and less often:
    # between the reads its sensors' changes caused (when it went and when it came back), a few
    # retries (after 1, 2, 4 s ...), neither none nor a loop. (The first Home Assistant's log:
    # the restarted one's start adds reads of its own.)
    reads: dict[str, list[datetime]] = defaultdict(list)
    ha_log = (stack.logs / "homeassistant.log").read_text()
    # Those reads are answered, not logged as errors (one ERROR per read flooded the log).
    assert not re.search(r" ERROR .*Error handling message: .*(Videodrome|Plex server)", ha_log)
    for match in NOT_LOADED.finditer(ha_log):
        reads[match[2]].append(datetime.fromisoformat(match[1]))
    assert len(reads) == 2, reads  # the administrator's two pages
    half = timedelta(seconds=0.5)
    retries = {
        page: [t for t in times if times[0] + half < t < times[-1] - half]
        for page, times in reads.items()
    }
    assert all(2 <= len(times) <= 8 for times in retries.values()), reads
    # The short-lived refresh token never reached a log (the browser's output is kept too).
    logs = [*stack.logs.glob("*.log"), artifacts / "browser.log"]
    assert all(short["refresh_token"] not in log.read_text(errors="replace") for log in logs)


def test_a_missing_browser_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Chromium the browser test fails and says what to do; skips only when asked."""
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("VIDEODROME_SKIP_BROWSER", raising=False)
    clear = r"Chromium \(/nonexistent/chromium.*scripts/setup"
    with pytest.raises(pytest.fail.Exception, match=clear):
        _prerequisites()
    monkeypatch.setenv("VIDEODROME_SKIP_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception, match="Chromium"):
        _prerequisites()
