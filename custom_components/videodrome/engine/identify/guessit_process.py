"""The guessit processes: `guess_worker.py` run as a child, asked one name at a time. Blocking.

`parse()` asks a shared process (`shared(lane)`) from an executor thread; see `guess_worker.py`
for why guessit runs apart. There is one child per lane: ingest's, and the metadata provider's
for the names remote clients send, so that a flood of pathological names (each holds a child
for up to the time limit, then costs a restart) never makes ingest wait; the provider's child
also runs at a lower CPU priority (`NICENESS`), so that it does not slow ingest's either.

A child is started on the first name, answers in order, is killed when a name takes longer
than the time limit (a pathological name cannot hang it, and nothing needs interrupting inside
this process), and is started again on the next name. When
it cannot start or dies mid-answer, `GuessProcessError` tells `parse()` to read the name in
this process instead, and starting is not tried again for `RETRY_AFTER` seconds.

The child gets this process's `sys.path` (Home Assistant installs an integration's
requirements in folders it adds there), reads requests until its input closes, and is in a
session of its own, so a Ctrl-C meant for Home Assistant does not reach it; when Home Assistant
ends, however it ends, the child's input closes and it ends too.
"""

from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path
import select
import subprocess
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any, Final, Literal, cast

import orjson

from ..deadline import DeadlineExceeded
from .errors import GuessitError, GuessProcessError

if TYPE_CHECKING:
    from collections.abc import Sequence

_LOGGER = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("guessit_worker.py")
START_TIMEOUT = 60.0  # importing guessit and building its rules: about a second, more on a Pi
RETRY_AFTER = 60.0
STOP_TIMEOUT = 5.0  # for a child to end once its input is closed

type Lane = Literal["ingest", "provider"]
# Added to this process's niceness for a lane's child (the most is 19, the lowest priority).
NICENESS: Final[dict[Lane, int]] = {"ingest": 0, "provider": 10}


def worker_command() -> list[str]:
    """The command that runs the worker with this interpreter."""
    # -P: not the worker's own folder first on sys.path (it holds modules named like others').
    return [sys.executable, "-P", os.fspath(WORKER)]


def _environment() -> dict[str, str]:
    paths = [p for p in sys.path if p and Path(p).exists()]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


class GuessProcess:
    """One child running `command` (the worker), asked by one thread at a time."""

    def __init__(self, command: Sequence[str] | None = None, *, niceness: int = 0) -> None:
        """Run `command` (the worker by default) when the first name comes, `niceness` nicer."""
        self._command = list(command) if command is not None else worker_command()
        self._niceness = niceness
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._failed_at: float | None = None
        self.started = 0  # children started so far

    @property
    def pid(self) -> int | None:
        """The running child's process id."""
        return self._process.pid if self._process is not None else None

    def guess(self, name: str, timeout: float) -> dict[str, Any]:
        """Guessit's reading of `name` (as `plain_guess` gives it).

        Raises DeadlineExceeded after `timeout` seconds (the child is killed), GuessitError when
        guessit failed on the name, GuessProcessError when there is no child to ask.
        """
        with self._lock:
            process = self._running()
            try:
                _pipe(process.stdin).write(orjson.dumps({"name": name}) + b"\n")
            except OSError as err:
                self._discard()
                raise GuessProcessError(f"the guessit process is gone ({err})") from None
            line = self._read_line(process, timeout)
            if line is None:
                self._discard()
                raise DeadlineExceeded
            if not line:
                self._discard()
                raise GuessProcessError("the guessit process ended without an answer")
        answer: dict[str, Any] = orjson.loads(line)
        if "error" in answer:
            raise GuessitError(str(answer["error"]))
        guess: dict[str, Any] = answer["guess"]
        return guess

    def close(self) -> None:
        """End the child (its input closes; killed if it has not ended `STOP_TIMEOUT` later)."""
        with self._lock:
            self._discard(gently=True)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._discard()
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER:
            raise GuessProcessError("the guessit process failed to start a moment ago")
        try:
            self._process = self._start()
        except (OSError, GuessProcessError) as err:
            self._discard()
            self._failed_at = time.monotonic()
            _LOGGER.warning("Could not start the guessit process: %s", err)
            raise GuessProcessError(str(err)) from None
        self._failed_at = None
        return self._process

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and file, no shell)
            self._command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            env=_environment(),
            start_new_session=True,
        )
        self._process = process
        self.started += 1
        if self._niceness:
            _lower_priority(process.pid, self._niceness)
        ready = self._read_line(process, START_TIMEOUT)
        if ready is None:
            raise GuessProcessError(f"no answer within {START_TIMEOUT:.0f} s of starting")
        if not ready:
            code = process.wait()
            raise GuessProcessError(f"it ended as it started (exit code {code})")
        _LOGGER.debug("guessit process %s started", process.pid)
        return process

    @staticmethod
    def _read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes | None:
        """One line from the child: None after `timeout` seconds, b"" if it ended."""
        fd = _pipe(process.stdout).fileno()
        deadline = time.monotonic() + timeout
        line = bytearray()
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b""
            line += chunk
        return bytes(line)

    def _discard(self, *, gently: bool = False) -> None:
        """Forget the child: killed (or, `gently`, asked to end by closing its input)."""
        process, self._process = self._process, None
        if process is None:
            return
        _pipe(process.stdin).close()
        _pipe(process.stdout).close()
        if not gently:
            process.kill()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _lower_priority(pid: int, niceness: int) -> None:
    """Make the child `niceness` nicer than this process (where the system allows it)."""
    try:
        own = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, pid, min(own + niceness, 19))
    except (AttributeError, OSError) as err:  # not POSIX, or not allowed: same priority
        _LOGGER.debug("The guessit process keeps its priority: %s", err)


def _pipe(pipe: IO[bytes] | None) -> IO[bytes]:
    """A pipe the child was started with (stdin and stdout always are)."""
    return cast("IO[bytes]", pipe)


_shared: dict[Lane, GuessProcess] = {}
_shared_lock = threading.Lock()


def shared(lane: Lane = "ingest") -> GuessProcess:
    """The process every `parse()` of `lane` in this interpreter asks (created on first use)."""
    with _shared_lock:
        process = _shared.get(lane)
        if process is None:
            process = _shared[lane] = GuessProcess(niceness=NICENESS[lane])
            atexit.register(process.close)
        return process


def close_shared() -> None:
    """End the shared processes that run (a later `shared()` starts another). Blocking."""
    with _shared_lock:
        processes = list(_shared.values())
    for process in processes:
        process.close()
