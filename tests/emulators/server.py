"""What every emulator shares: an aiohttp server on loopback, its fault knobs, `python -m`.

`EmulatorServer` serves a subclass's `app` on 127.0.0.1 (port 0: any free port), has its
`url` once started, and stops on `stop()` or at the end of `async with`. `Faults` are the knobs
the Plex and TMDb emulators share (latency, failures, dropped connections, cut answers);
`serve_until_interrupted` runs one from the command line until SIGINT or SIGTERM. Tests start
theirs with the `emulators` fixture (tests/conftest.py), which stops them after the test.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
import signal
from typing import TYPE_CHECKING, Self

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AsyncExitStack

__all__ = [
    "EmulatorServer",
    "Emulators",
    "Faults",
    "RecordedRequest",
    "arguments",
    "serve_until_interrupted",
]

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class RecordedRequest:
    """A request as an emulator saw it (the token or key left out)."""

    method: str
    path: str
    query: dict[str, str]
    at: float = 0.0  # when it arrived, on the emulator's clock (the TMDb emulator keeps it)


@dataclass
class Faults:
    """Knobs that make an emulator misbehave, for tests of failure handling."""

    latency: float = 0.0  # seconds added before every answer
    fail_next: int = 0  # the next N requests answer `fail_status`
    fail_status: int = 500
    drop_next: int = 0  # the next N requests get their connection closed, no answer
    malformed_next: int = 0  # the next N JSON answers are cut short

    def fails(self, request: web.Request) -> bool:  # noqa: ARG002 (subclasses look at it)
        """Whether `request` is one of the next `fail_next` (counted down)."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return False

    async def misbehave(
        self, request: web.Request, failure: Callable[[int], web.Response]
    ) -> web.Response | None:
        """Wait `latency`, drop the connection or answer `failure(fail_status)`, as asked.

        None: answer `request` as usual.
        """
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.drop_next > 0:
            self.drop_next -= 1
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable
        if self.fails(request):
            return failure(self.fail_status)
        return None

    def cut(self, body: bytes) -> bytes:
        """The body, cut in half while `malformed_next` lasts (counted down)."""
        if self.malformed_next > 0:
            self.malformed_next -= 1
            return body[: len(body) // 2]
        return body


class EmulatorServer:
    """An aiohttp application served on loopback; subclasses build `app` and may add `path`."""

    app: web.Application
    path = ""  # added to the bound address in `url` (TMDb's "/3")

    def __init__(self) -> None:
        """Not yet listening: `url` is empty until `start`."""
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = LOOPBACK, port: int = 0) -> str:
        """Listen on `host:port` (0: any free port); return the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}{self.path}"
        return self.url

    async def stop(self) -> None:
        """Stop serving (nothing to do when not started, or stopped already)."""
        await self.before_stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def before_stop(self) -> None:
        """What a subclass ends before the server stops (the Plex emulator: its scans)."""

    async def __aenter__(self) -> Self:
        """Start on a free port."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop."""
        await self.stop()


def arguments(prog: str, description: str | None, port: int) -> argparse.ArgumentParser:
    """The command line every emulator takes (`--host`, `--port`); callers add their own."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=port, help="0: any free port (printed)")
    return parser


async def serve_until_interrupted(
    emulator: EmulatorServer, host: str, port: int, banner: Callable[[str], str]
) -> None:
    """Serve on `host:port`, print `banner(url)` once listening, stop at SIGINT or SIGTERM."""
    url = await emulator.start(host, port)
    print(banner(url), flush=True)  # noqa: T201 (callers read the URL from it)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await emulator.stop()


class Emulators:
    """The emulators one test started, stopped together after it (the last started first)."""

    def __init__(self, stack: AsyncExitStack) -> None:
        """Stop what starts here when `stack` closes."""
        self._stack = stack

    async def start[E: EmulatorServer](self, emulator: E) -> E:
        """Start `emulator` on a free loopback port; it stops after the test."""
        await emulator.start()
        self._stack.push_async_callback(emulator.stop)
        return emulator
