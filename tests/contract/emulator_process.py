"""`python -m tests.emulators.plex` as a real process, for clients that are not ours.

The suites of python-plexapi calls start the emulator the way a person would, with a library
file, and talk to it over HTTP only: nothing in them reaches into the emulator's objects.
"""

from __future__ import annotations

from contextlib import contextmanager
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

REPOSITORY = Path(__file__).parents[2]
TOKEN = "plexapi-suite-token"


@contextmanager
def emulator_process(media_root: Path, library: dict[str, Any], *arguments: str) -> Iterator[str]:
    """Run the emulator on a free loopback port over `library` (a library file's content).

    Yields the server's URL once it listens; stops it with SIGTERM afterwards.
    """
    library_file = media_root.parent / f"{media_root.name}-library.json"
    library_file.write_text(json.dumps(library), encoding="utf-8")
    command = [
        sys.executable, "-m", "tests.emulators.plex", "--port", "0", "--token", TOKEN,
        "--library", str(library_file), "--media-root", str(media_root), *arguments,
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        command,
        stdout=subprocess.PIPE,
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        assert line.startswith("Plex emulator listening on http://127.0.0.1:"), line
        yield line.split()[4]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        if process.stdout is not None:
            process.stdout.close()


def until[T](probe: Callable[[], T], timeout: float = 15.0) -> T:
    """Call `probe` until it returns something true (a scan runs in the server's own time).

    A local helper: the shared `tests/polling.py` (rd-tests) is not on this branch yet.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        time.sleep(0.05)
