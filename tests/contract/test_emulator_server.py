"""The emulators' shared base (tests/emulators/server.py): serving, stopping, fault knobs."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
import pytest

from tests.emulators.plex import PlexEmulator, PlexFaults, PlexLibrary
from tests.emulators.plextv import PlexTvEmulator
from tests.emulators.server import Emulators, EmulatorServer, Faults, arguments
from tests.emulators.tmdb import TMDbEmulator, TMDbFaults

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp.typedefs import Handler


class Echo(EmulatorServer):
    """The smallest emulator: GET /echo answers "echo", unless a fault knob says otherwise."""

    def __init__(self, path: str = "", name: str = "echo", log: list[str] | None = None) -> None:
        super().__init__()
        self.path = path
        self.name = name
        self.faults = Faults()
        self.stopped = 0
        self.log = log if log is not None else []
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/echo", self._echo)
        self.app = app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if failed := await self.faults.misbehave(request, lambda s: web.Response(status=s)):
            return failed
        return await handler(request)

    async def _echo(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.faults.cut(b"echo"))

    async def before_stop(self) -> None:
        self.stopped += 1
        self.log.append(self.name)


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with http.get(url) as response:
        return response.status, await response.read()


async def test_it_serves_on_a_free_loopback_port_until_stopped(
    http: aiohttp.ClientSession,
) -> None:
    echo = Echo()
    assert echo.url == ""
    url = await echo.start()
    assert url == echo.url
    assert url.startswith("http://127.0.0.1:")
    assert not url.endswith(":0")
    assert await _get(http, f"{url}/echo") == (200, b"echo")
    await echo.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(http, f"{url}/echo")
    await echo.stop()  # stopping twice is harmless
    assert echo.stopped == 2


async def test_as_a_context_manager_and_with_a_path_in_its_url(
    http: aiohttp.ClientSession,
) -> None:
    async with Echo(path="/3") as echo:
        assert echo.url.endswith("/3")
        base = echo.url.removesuffix("/3")
        assert await _get(http, f"{base}/echo") == (200, b"echo")
    assert echo.stopped == 1


async def test_a_server_never_started_stops_without_complaint() -> None:
    echo = Echo()
    await echo.stop()
    assert echo.url == ""


async def test_the_fault_knobs_fail_cut_and_drop_then_recover(
    http: aiohttp.ClientSession,
) -> None:
    async with Echo() as echo:
        url = f"{echo.url}/echo"
        # aiohttp tries a dropped GET once more: two drops make one failed call.
        echo.faults = Faults(fail_next=2, fail_status=503, malformed_next=1, drop_next=2)
        with pytest.raises(aiohttp.ClientConnectionError):
            await _get(http, url)
        assert [(await _get(http, url))[0] for _ in range(2)] == [503, 503]
        assert await _get(http, url) == (200, b"ec")
        assert await _get(http, url) == (200, b"echo")
        assert echo.faults == Faults(fail_status=503)  # every countdown ran out


async def test_latency_delays_every_answer(http: aiohttp.ClientSession) -> None:
    loop = asyncio.get_running_loop()
    async with Echo() as echo:
        echo.faults.latency = 0.2
        started = loop.time()
        assert await _get(http, f"{echo.url}/echo") == (200, b"echo")
        assert loop.time() - started >= 0.2


async def test_emulators_started_for_a_test_stop_together_the_last_first(
    http: aiohttp.ClientSession,
) -> None:
    stopped: list[str] = []
    async with AsyncExitStack() as stack:
        emulators = Emulators(stack)
        first = Echo(name="first", log=stopped)
        assert await emulators.start(first) is first
        second = await emulators.start(Echo(name="second", log=stopped))
        assert await _get(http, f"{first.url}/echo") == (200, b"echo")
        assert await _get(http, f"{second.url}/echo") == (200, b"echo")
        assert stopped == []
    assert stopped == ["second", "first"]


def test_the_three_emulators_share_the_base_and_their_faults_the_knobs() -> None:
    assert issubclass(PlexEmulator, EmulatorServer)
    assert issubclass(TMDbEmulator, EmulatorServer)
    assert issubclass(PlexTvEmulator, EmulatorServer)
    assert issubclass(PlexFaults, Faults)
    assert issubclass(TMDbFaults, Faults)
    assert PlexEmulator(PlexLibrary.empty()).url == ""


def test_the_shared_command_line() -> None:
    parser = arguments("python -m tests.emulators.x", "An emulator.", port=32400)
    args = parser.parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 32400)
    assert parser.parse_args(["--port", "0", "--host", "127.0.0.2"]).port == 0
