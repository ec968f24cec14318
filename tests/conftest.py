"""Fixtures shared by every test: the Plex emulator on loopback, with a demo library on disk."""

from __future__ import annotations

from contextlib import AsyncExitStack
import gc
from typing import TYPE_CHECKING

import pytest

from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.emulators.server import Emulators

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

PLEX_TOKEN = "test-plex-token-0123456789"


@pytest.fixture(autouse=True)
def garbage_collector_left_alone() -> Iterator[None]:
    """Every test ends with Python's garbage collector as it began: Videodrome never changes
    process-wide settings (Home Assistant and every other integration live under them)."""
    before = (gc.get_threshold(), gc.isenabled())
    yield
    assert (gc.get_threshold(), gc.isenabled()) == before


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    """Where the demo library's stand-in media files live."""
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
async def emulators(socket_enabled: None) -> AsyncIterator[Emulators]:
    """Starts emulators on 127.0.0.1 (`await emulators.start(PlexEmulator(...))`) and stops
    them after the test, the last started first.

    `socket_enabled` lets the test open listening sockets; pytest-socket still refuses
    connections to anything but 127.0.0.1.
    """
    async with AsyncExitStack() as stack:
        yield Emulators(stack)


@pytest.fixture
async def plex_emulator(media_root: Path, emulators: Emulators) -> PlexEmulator:
    """A Plex Media Server emulator with the demo library, listening on 127.0.0.1."""
    return await emulators.start(PlexEmulator(PlexLibrary.demo(media_root), token=PLEX_TOKEN))


# The reliability suite's count of generated inputs (tests/reliability/conftest.py records
# them per test as user properties, which pytest-xdist carries back from its workers).
_generated_inputs: list[int] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the generated-input counts of finished tests."""
    if report.when == "teardown":
        _generated_inputs.extend(
            value
            for name, value in report.user_properties
            if name == "generated_inputs" and isinstance(value, int)
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many generated inputs the property tests tried in this run."""
    if _generated_inputs:
        terminalreporter.write_line(
            f"reliability: {sum(_generated_inputs):,} generated inputs tried "
            f"in {len(_generated_inputs)} property tests"
        )
