"""Videodrome installs beside Home Assistant and its core integrations (issue 21).

Home Assistant installs the manifest's requirements into its own environment, held to its
`package_constraints.txt`, beside the requirements of the core integrations a user has set up.
The pins compared are Home Assistant's own, as installed (never a copy of ours): the constraint
file and every core integration's `manifest.json` that names one of the same packages (today
`folder_watcher` for watchdog and, for the test requirements' plexapi, `plex`). tests/coexistence.py
does the comparison with `packaging`; `uv pip compile` cannot resolve without a package index
(`--offline` has no metadata for a valid set), so uv is asked here only to confirm a conflict it
can see without one, and scripts/check_coexistence resolves everything with it, online.

A newer Home Assistant is checked when `VIDEODROME_NEWER_HA` names its `package_constraints.txt`
(with its `components/` beside it), its unpacked package folder or its wheel.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
import subprocess
import sys
import zipfile

import pytest

from tests.coexistence import (
    CONSTRAINTS,
    OURS,
    REQUIREMENTS_TEST,
    Conflict,
    HomeAssistantPins,
    conflicts,
    installed_package,
    main,
    manifest_requirements,
    requirement_lines,
    uv_compile,
)

NEWER = os.environ.get("VIDEODROME_NEWER_HA", "")


@pytest.fixture(scope="module")
def pins() -> HomeAssistantPins:
    return HomeAssistantPins.installed()


def test_the_pins_are_home_assistants_own(pins: HomeAssistantPins) -> None:
    """Read from the installed package: its constraints and all its integrations."""
    assert pins.version == "2026.10.4"
    assert len(pins.integrations) > 500
    assert [str(r) for _w, r in pins.naming("plexapi")] == ["PlexAPI==4.18.2"]
    assert [w for w, _r in pins.naming("PlexAPI")] == ["plex"]
    assert [(w, str(r)) for w, r in pins.naming("watchdog")] == [
        ("folder_watcher", "watchdog==6.0.0")
    ]
    pillow = pins.naming("pillow")  # the constraint file first, then the many integrations
    assert pillow[0][0] == CONSTRAINTS
    assert len(pillow) == 9  # 2026.10.4: the constraint and 8 integrations
    assert {str(r.specifier) for _w, r in pillow} == {"==12.3.0"}


def test_the_manifest_installs_beside_home_assistant(pins: HomeAssistantPins) -> None:
    ours = manifest_requirements()
    assert ours == ["guessit==4.4.0", "Pillow>=12", "rapidfuzz==3.14.6", "watchdog==6.0.0"]
    assert conflicts(ours, pins) == []


def test_the_test_requirements_plexapi_is_the_plex_integrations(pins: HomeAssistantPins) -> None:
    """Tests install plexapi beside Home Assistant's plex integration: the same pin."""
    plexapi = [r for r in requirement_lines(REQUIREMENTS_TEST.read_text()) if "plexapi" in r]
    assert plexapi == ["plexapi==4.18.2"]
    assert conflicts(plexapi, pins, dependencies=False) == []


@pytest.mark.parametrize(
    ("requirement", "against"),
    [
        ("plexapi==4.18.3", "plex wants PlexAPI==4.18.2"),  # the original bug
        ("PlexAPI==4.18.3", "plex wants PlexAPI==4.18.2"),
        ("plex_api==4.18.3", None),  # not the same distribution: no conflict
        ("watchdog==7.1.0", "folder_watcher wants watchdog==6.0.0"),
        ("pillow==11.0.0", f"{CONSTRAINTS} wants Pillow==12.3.0"),
        ("requests==2.0.0", f"{CONSTRAINTS} wants requests==2.34.2"),
        ("PlexAPI>=4.18,<5", None),  # a compatible range
        ("watchdog~=6.0", None),
        ("watchdog>=7", "folder_watcher wants watchdog==6.0.0"),
    ],
)
def test_a_conflicting_pin_is_caught(
    pins: HomeAssistantPins, requirement: str, against: str | None
) -> None:
    found = conflicts(["guessit==4.4.0", requirement], pins)
    if against is None:
        assert found == []
        return
    (conflict,) = found
    assert f"{OURS} wants {requirement}" in str(conflict)
    assert against in str(conflict)


def test_a_dependency_that_conflicts_is_caught() -> None:
    """guessit needs rebulk<7,>=6.0.1: a Home Assistant pinning rebulk 5 would break it."""
    manifest = json.dumps({"requirements": ["rebulk==5.0.0"]})
    pins = HomeAssistantPins.from_files("test", "", [("some_integration", manifest)])
    (conflict,) = conflicts(["guessit==4.4.0"], pins)
    assert conflict.package == "rebulk"
    assert "guessit (dependency) wants rebulk<7,>=6.0.1" in str(conflict)
    assert "some_integration wants rebulk==5.0.0" in str(conflict)
    assert conflicts(["guessit==4.4.0"], pins, dependencies=False) == []


def test_a_constraint_file_read_as_home_assistant_writes_it() -> None:
    constraints = (
        "# comment\n\nfoo==1.0  # pinned\n-r other.txt\nbar>=2; python_version < '3'\n"
        "git+https://example.org/x.git\nbaz==1.0\n"
    )
    manifests = [("a", json.dumps({"requirements": ["baz==2.0", "git+https://x/y.git"]}))]
    pins = HomeAssistantPins.from_files("test", constraints, manifests)
    assert [str(r) for r in pins.constraints] == ["foo==1.0", "baz==1.0"]  # bar's marker is false
    (conflict,) = conflicts(["baz==1.0"], pins)
    assert conflict == Conflict(
        "baz", ((OURS, "baz==1.0"), (CONSTRAINTS, "baz==1.0"), ("a", "baz==2.0"))
    )
    assert conflicts(["nothing-installed>=1", "foo"], pins) == []


def test_uv_sees_the_original_conflict_without_an_index(
    pins: HomeAssistantPins, tmp_path: Path
) -> None:
    """uv, offline: the manifest's old plexapi pin against the plex integration's."""
    result = uv_compile(["plexapi==4.18.3"], pins, installed_package() / CONSTRAINTS, offline=True)
    assert result.returncode != 0
    assert "plexapi==4.18.3 and plexapi==4.18.2" in result.stderr
    assert "unsatisfiable" in result.stderr


def test_the_script(tmp_path: Path) -> None:
    """scripts/check_coexistence against the installed Home Assistant: no conflict, exit 0."""
    out = io.StringIO()
    assert main([], out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "Home Assistant 2026.10.4: guessit==4.4.0, Pillow>=12, rapidfuzz==3.14.6, "
        "watchdog==6.0.0, plexapi==4.18.2"
    )
    assert lines[1] == (
        "  compared with: doods, folder_watcher, generic, image_upload, matrix, "
        "package_constraints.txt, plex, proxy, qrcode, seven_segments, sighthound"
    )
    script = Path(__file__).parents[2] / "scripts" / "check_coexistence"
    process = subprocess.run(  # noqa: S603 (our script)
        [str(script), "--help"], capture_output=True, text=True, check=False, timeout=120
    )
    assert process.returncode == 0, process.stderr
    assert "--uv" in process.stdout


def test_a_wheel_and_a_folder_are_read(tmp_path: Path) -> None:
    """The forms a newer Home Assistant comes in: its package folder, its wheel."""
    package = tmp_path / "homeassistant"
    (package / "components" / "plex").mkdir(parents=True)
    (package / CONSTRAINTS).write_text("requests==2.34.2\n")
    (package / "components" / "plex" / "manifest.json").write_text(
        json.dumps({"domain": "plex", "requirements": ["PlexAPI==4.19.0"]})
    )
    (package / "const.py").write_text(
        'MAJOR_VERSION: Final = 2027\nMINOR_VERSION: Final = 1\nPATCH_VERSION: Final = "0b1"\n'
    )
    for path in (package, package / CONSTRAINTS):
        read = HomeAssistantPins.from_path(path)
        assert read.version == "2027.1.0b1"
        assert [str(r) for _w, r in read.naming("plexapi")] == ["PlexAPI==4.19.0"]
    wheel = tmp_path / "homeassistant-2027.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for file in package.rglob("*"):
            if file.is_file():
                archive.write(file, file.relative_to(tmp_path).as_posix())
    from_wheel = HomeAssistantPins.from_path(wheel)
    assert from_wheel.version == "2027.1.0"
    (conflict,) = conflicts(["plexapi==4.18.2"], from_wheel, dependencies=False)
    assert "plex wants PlexAPI==4.19.0" in str(conflict)


@pytest.mark.skipif(not NEWER, reason="VIDEODROME_NEWER_HA names no newer Home Assistant")
def test_a_newer_home_assistant() -> None:
    """The manifest and the test requirements' plexapi against a newer Home Assistant."""
    newer = HomeAssistantPins.from_path(Path(NEWER))
    assert newer.naming("plexapi"), "the newer Home Assistant's plex integration was not read"
    assert conflicts(manifest_requirements(), newer) == []
    plexapi = [r for r in requirement_lines(REQUIREMENTS_TEST.read_text()) if "plexapi" in r]
    assert conflicts(plexapi, newer, dependencies=False) == []


def test_run_as_a_module() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "tests.coexistence"],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert "no conflict" in process.stdout
