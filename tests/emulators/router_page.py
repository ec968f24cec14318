"""A web server that is not the service asked for: a router's admin page, HTML for every path.

Tests point a client at it to see "this address answers, but it is not Stash" (or not Plex).
"""

from __future__ import annotations

from aiohttp import web

from tests.emulators.server import EmulatorServer

PAGE = "<html><body>Router admin</body></html>"


class RouterPage(EmulatorServer):
    """HTML for every method and path."""

    def __init__(self) -> None:
        """Not yet listening (`start` it)."""
        super().__init__()
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._page)

    @staticmethod
    async def _page(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")
