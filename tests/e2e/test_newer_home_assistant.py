"""Videodrome on a newer Home Assistant than the test harness pins, installed as a user has it.

The test harness (pytest-homeassistant-custom-component) pins one Home Assistant; users update
to the newest as it comes out. `scripts/check_newer_ha VERSION` makes a virtual environment with
that Home Assistant alone and runs this test with it: Home Assistant starts without
`--skip-pip`, so its own installer puts Videodrome's requirements in, under its own constraints,
as it does for a HACS user; then the demo stack (the Plex and TMDb emulators, the config flow
through demo_bootstrap) runs on it: a dropped file must be identified and filed, and Assist's
built-in agent must answer Videodrome's sentences.
Home Assistant's log must hold no warning or error of Videodrome's, and none of Home Assistant's
reports of a custom integration using something deprecated or unsafe.

The end-to-end test is skipped unless VIDEODROME_NEWER_HA_PYTHON names that environment's
Python.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import TYPE_CHECKING, Any

from homeassistant import const as pinned
from packaging.requirements import Requirement
import pytest

from tests.e2e.stack import ROOT, Stack, wait_for

if TYPE_CHECKING:
    from pathlib import Path

NEWER_PYTHON = os.environ.get("VIDEODROME_NEWER_HA_PYTHON", "")
MANIFEST = ROOT / "custom_components" / "videodrome" / "manifest.json"
SURE = "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
WAIT = 300.0
# Home Assistant logs this for every custom integration it loads: nothing to fix.
NOT_TESTED = "We found a custom integration videodrome which has not been tested"
# A log record's first line: "2026-12-06 13:40:01.123 WARNING (MainThread) [logger] message".
RECORD = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) \(([^)]*)\) \[([^\]]+)\] (.*)$")


class NewerStack(Stack):
    """The demo stack with Home Assistant from the other environment, installing for itself."""

    ha_python = NEWER_PYTHON
    installs_requirements = True
    integrations = ("conversation",)  # Assist's built-in agent, for Videodrome's sentences


def _run(python: str, code: str) -> Any:
    """What `code`, run by `python`, prints as JSON."""
    done = subprocess.run(  # noqa: S603 (a Python the caller chose; our own code)
        [python, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout)


def _version(python: str) -> str:
    version: str = _run(
        python, "import json, homeassistant.const as c; print(json.dumps(c.__version__))"
    )
    return version


def _installed(python: str, names: list[str]) -> dict[str, str | None]:
    """The version of each distribution installed for `python` (None: not installed)."""
    code = (
        "import json, sys, importlib.metadata as m\n"
        "def v(n):\n"
        "    try:\n"
        "        return m.version(n)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        f"print(json.dumps({{n: v(n) for n in {names!r}}}))"
    )
    installed: dict[str, str | None] = _run(python, code)
    return installed


def _say(stack: Stack, text: str) -> str:
    """What Assist answers the demo user (an administrator) to `text`."""
    answer = stack.api("POST", "/api/conversation/process", {"text": text, "language": "en"})
    speech: str = answer["response"]["speech"]["plain"]["speech"]
    return speech


def _findings(log: str) -> list[str]:
    """Warnings and errors of Videodrome's, and Home Assistant's reports about it."""
    found = []
    for line in log.splitlines():
        record = RECORD.match(line)
        if record is None:
            continue
        logger, message = record.group(3), record.group(4)
        if NOT_TESTED in message:
            continue
        if "videodrome" in logger or "videodrome" in message.lower():
            found.append(line)
    return found


def test_the_log_check_finds_videodrome_s_records_and_reports_about_it() -> None:
    """What the end-to-end test below rejects in Home Assistant's log, and what it lets by."""
    log = "\n".join(
        [
            (
                "2026-12-06 13:20:55.648+00:00 WARNING (SyncWorker_0) [homeassistant.loader] "
                f"{NOT_TESTED} by Home Assistant. This component might cause stability problems"
            ),
            "2026-12-06 13:21:06.218+00:00 ERROR (MainThread) [haffmpeg.core] FFmpeg fails",
            (
                "2026-12-06 13:21:07.000+00:00 DEBUG (MainThread) "
                "[custom_components.videodrome.engine.plex.client] Plex GET /"
            ),
            (
                "2026-12-06 13:21:08.000+00:00 WARNING (MainThread) "
                "[custom_components.videodrome.runtime.library] The library index is incomplete"
            ),
            (
                "2026-12-06 13:21:09.000+00:00 WARNING (MainThread) [homeassistant.helpers.frame] "
                "Detected that custom integration 'videodrome' calls async_forward_entry_setup, "
                "which is deprecated"
            ),
            '  File "/x/custom_components/videodrome/__init__.py", line 1, in <module>',
        ]
    )
    found = _findings(log)
    assert [line.split("] ", 1)[0].rsplit("[", 1)[1] for line in found] == [
        "custom_components.videodrome.runtime.library",
        "homeassistant.helpers.frame",
    ]


@pytest.mark.timeout(1800)
@pytest.mark.skipif(
    not NEWER_PYTHON, reason="needs VIDEODROME_NEWER_HA_PYTHON (scripts/check_newer_ha sets it)"
)
@pytest.mark.usefixtures("socket_enabled")
def test_videodrome_installs_loads_and_files_on_the_newer_home_assistant(tmp_path: Path) -> None:
    version = _version(NEWER_PYTHON)
    if version == pinned.__version__:
        pytest.skip(f"the newer Home Assistant is the pinned one ({version})")
    requirements = [Requirement(r) for r in json.loads(MANIFEST.read_text())["requirements"]]
    names = [requirement.name for requirement in requirements]
    before = _installed(NEWER_PYTHON, names)

    stack = NewerStack(tmp_path)
    with stack:
        config = stack.api("GET", "/api/config")
        assert config["version"] == version
        entries = stack.api("GET", "/api/config/config_entries/entry?domain=videodrome")
        assert [entry["state"] for entry in entries] == ["loaded"]
        source = stack.ingest / "Titanic.1997.1080p.BluRay.x264-GRP" / SURE
        source.parent.mkdir(parents=True)
        source.write_bytes(b"demo video\n")
        last = stack.entity("_last_ingest")
        wait_for("Titanic filed", lambda: stack.states()[last]["attributes"].get("title"), WAIT)
        assert stack.states()[last]["attributes"]["title"] == "Titanic"
        (filed,) = (stack.media / "Movies").glob("Titanic (1997)*/*.mkv")
        assert filed.read_bytes() == b"demo video\n"
        assert source.read_bytes() == b"demo video\n", "the source is never moved or changed"
        movies = stack.entity("_movies")
        assert int(stack.states()[movies]["state"]) > 0, "the library index is loaded"
        # Assist's built-in agent knows Videodrome's sentences with nothing written for it.
        assert _say(stack, "Do I have Titanic?") == "Yes, Titanic (1997) is in the Plex library."
        assert _say(stack, "Is Solaris in the library?") == (
            "No, Solaris is not in the Plex library."
        )
    log = (stack.logs / "homeassistant.log").read_text(errors="replace")

    # Home Assistant's own installer put in what the manifest asks, at versions it allows.
    after = _installed(NEWER_PYTHON, names)
    for requirement in requirements:
        installed = after[requirement.name]
        assert installed is not None, f"{requirement} was not installed: {before}"
        assert requirement.specifier.contains(installed, prereleases=True), (requirement, after)
    assert _findings(log) == []
