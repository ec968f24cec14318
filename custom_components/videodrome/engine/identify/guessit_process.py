"""The guessit processes: `guessit_worker.py` run as a child, asked one name at a time. Blocking.

A program that reads names (Home Assistant, the command line, a benchmark) makes one
`GuessitProcesses` and closes it when it is done; there is nothing module-global and no
interpreter exit hook. `parse()` gets one of its lanes (`GuessitProcesses.lane()`) and asks it
from an executor thread; see `guessit_worker.py` for why guessit runs apart. There is one child
per lane: ingest's, and the metadata provider's for the names remote clients send, so that a
flood of pathological names (each holds a child for up to the time limit, then costs a restart)
never makes ingest wait; the provider's child also runs at a lower CPU priority (`NICENESS`), so
that it does not slow ingest's either.

A child is started on the first name, answers in order, is killed when a name takes longer
than the time limit (`GuessTimeoutError`: a pathological name cannot hang it, and nothing needs
interrupting inside this process), and is started again on the next name. When it cannot start
or dies mid-answer, `GuessProcessError` tells `parse()` to read the name in this process
instead, and starting is not tried again for `RETRY_AFTER` seconds. Once closed, a lane starts
no child again (its names are read in this process too), and `VIDEODROME_GUESSIT_PROCESS=0` in
the environment starts none at all.

The child gets this process's `sys.path` (Home Assistant installs an integration's
requirements in folders it adds there), reads requests until its input closes, and is in a
session of its own, so a Ctrl-C meant for Home Assistant does not reach it; `close()` ends it
(its input closes; killed if it has not ended `STOP_TIMEOUT` seconds later), and if this
process ends without closing it, its input closes all the same and it ends too.
"""

from __future__ import annotations

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

from .errors import GuessitError, GuessProcessError, GuessTimeoutError

if TYPE_CHECKING:
    from collections.abc import Sequence

_LOGGER = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("guessit_worker.py")
START_TIMEOUT = 60.0  # importing guessit and building its rules: about a second, more on a Pi
RETRY_AFTER = 60.0
STOP_TIMEOUT = 5.0  # for a child to end once its input is closed
# Off ("0"): every name is read in the calling thread, no child is ever started.
ENABLED = os.environ.get("VIDEODROME_GUESSIT_PROCESS", "1") != "0"

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

    def __init__(
        self, command: Sequence[str] | None = None, *, niceness: int = 0, enabled: bool = True
    ) -> None:
        """Run `command` (the worker by default) when the first name comes, `niceness` nicer.

        Not `enabled`: no child ever starts (every `guess()` raises GuessProcessError).
        """
        self._command = list(command) if command is not None else worker_command()
        self._niceness = niceness
        self._enabled = enabled
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._failed_at: float | None = None
        self._closed = False
        self.started = 0  # children started so far

    @property
    def pid(self) -> int | None:
        """The running child's process id."""
        return self._process.pid if self._process is not None else None

    @property
    def closed(self) -> bool:
        """Whether `close()` was called (no child starts any more)."""
        return self._closed

    def guess(self, name: str, timeout: float) -> dict[str, Any]:
        """Guessit's reading of `name` (as `plain_guess` gives it).

        Raises GuessTimeoutError after `timeout` seconds (the child is killed), GuessitError
        when guessit failed on the name, GuessProcessError when there is no child to ask.
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
                raise GuessTimeoutError(f"no answer within {timeout:.1f} s")
            if not line:
                self._discard()
                raise GuessProcessError("the guessit process ended without an answer")
        answer: dict[str, Any] = orjson.loads(line)
        if "error" in answer:
            raise GuessitError(str(answer["error"]))
        guess: dict[str, Any] = answer["guess"]
        return guess

    def close(self) -> None:
        """End the child for good (its input closes; killed `STOP_TIMEOUT` s later). Blocking.

        Waits for a name being read to be answered first (at most its time limit; a child
        still starting, `START_TIMEOUT`).
        """
        with self._lock:
            self._closed = True
            self._discard(gently=True)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._closed:
            raise GuessProcessError("the guessit processes are closed")
        if not self._enabled:
            raise GuessProcessError("turned off (VIDEODROME_GUESSIT_PROCESS=0)")
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
        if gently:
            _LOGGER.debug("guessit process %s ended", process.pid)


class GuessitProcesses:
    """The guessit children of one program: one per lane, started on their first name."""

    def __init__(self, *, enabled: bool | None = None) -> None:
        """Children of the worker (none at all when not `enabled`; default: `ENABLED`)."""
        self._enabled = ENABLED if enabled is None else enabled
        self._lock = threading.Lock()
        self._lanes: dict[Lane, GuessProcess] = {}
        self._closed = False

    def lane(self, lane: Lane = "ingest") -> GuessProcess:
        """The process `lane`'s names are read in (no child runs until its first name)."""
        with self._lock:
            process = self._lanes.get(lane)
            if process is None:
                process = GuessProcess(niceness=NICENESS[lane], enabled=self._enabled)
                if self._closed:
                    process.close()  # it never had a child: it only starts none
                self._lanes[lane] = process
            return process

    def pids(self) -> dict[Lane, int]:
        """The children running now, by lane."""
        with self._lock:
            lanes = dict(self._lanes)
        return {lane: pid for lane, process in lanes.items() if (pid := process.pid) is not None}

    def close(self) -> None:
        """End every child for good. Blocking, bounded.

        Each lane waits for the name it is reading (its time limit; a child still starting,
        `START_TIMEOUT`), then its child has `STOP_TIMEOUT` seconds to end before it is killed.
        An idle child ends at once.
        """
        with self._lock:
            self._closed = True
            lanes = list(self._lanes.values())
        for process in lanes:
            process.close()


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
