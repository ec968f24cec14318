"""An emulated Plex Media Server: a real aiohttp server on loopback (tests, benchmarks, demo).

Run it alone with `python -m tests.emulators.plex --port 32400 --token demo-token --library demo`
(`--legacy-agents`: its sections use Plex's legacy agents, see plex_agents.py).
Responses follow the shapes of real recordings (tests/contract checks them), and python-plexapi
uses it as it uses a real server (tests/contract/test_plexapi_suite.py); scans really walk
the disk; the notification websocket sends what Plex sends. `faults` makes it misbehave.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import itertools
from pathlib import Path
import tempfile
import time
from typing import TYPE_CHECKING, Any
import uuid

from aiohttp import WSMsgType, web
import orjson

from tests.emulators.plex_agents import add_routes as add_agent_routes
from tests.emulators.plex_library import Item, PlexLibrary, ScanChanges, Section, timeline_entries
from tests.emulators.plex_listings import add_routes as add_listing_routes
from tests.emulators.plex_match import add_routes as add_match_routes
from tests.emulators.plex_refresh import add_routes as add_refresh_routes
from tests.emulators.plex_render import render, wants_json
from tests.emulators.plex_search import listing, page, params, section_meta, type_code
from tests.emulators.plex_sessions import (
    DEFAULT_CLIENT,
    add_routes as add_session_routes,
    find_playable,
    session_json,
)
from tests.emulators.plex_versions import add_routes as add_version_routes
from tests.emulators.plex_views import item_json, section_json
from tests.emulators.server import (
    EmulatorServer,
    Faults,
    RecordedRequest,
    arguments,
    serve_until_interrupted,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Awaitable, Callable

__all__ = ["PlexEmulator", "PlexFaults", "PlexLibrary", "RecordedRequest"]

DEFAULT_MACHINE_IDENTIFIER = "5d2a0c7e9b6f4f1e8a3b2c1d0e9f8a7b6c5d4e3f"
UNAUTHORIZED = (
    b"<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
)
MEDIA_TAG = {"mediaTagPrefix": "/system/bundle/media/flags/", "mediaTagVersion": 1700000000}


@dataclass
class PlexFaults(Faults):
    """The shared knobs (server.py), and a scan's length, refused websockets, failing paths."""

    scan_duration: float = 0.05  # how long a library scan takes
    refuse_websockets: int = 0  # the next N notification handshakes answer 503
    fail_prefix: str = ""  # fail_next counts (and fails) only requests whose path starts so
    # Listings of these sections (`/library/sections/N/all`) answer 500 until taken out.
    failing_sections: set[int] = field(default_factory=set)
    # Section listings ignore X-Plex-Container-Start (as some proxies and old servers do):
    # every page starts at the first item.
    ignore_container_start: bool = False

    def fails(self, request: web.Request) -> bool:
        """Whether `request` is one of the next `fail_next` under `fail_prefix`."""
        return request.path.startswith(self.fail_prefix) and super().fails(request)


@dataclass
class _Scan:
    uuid: str
    section: Section
    scope: str | None
    progress: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class PlexEmulator(EmulatorServer):
    """A Plex Media Server on loopback."""

    def __init__(
        self,
        library: PlexLibrary,
        *,
        token: str = "demo-token",  # noqa: S107 (the demo's token)
        friendly_name: str = "Videodrome Demo",
        machine_identifier: str = DEFAULT_MACHINE_IDENTIFIER,
        version: str = "1.43.0.10231-a1b2c3d4e",
    ) -> None:
        """Serve `library` to clients that present `token`."""
        super().__init__()
        self.library = library
        self.token = token
        self.friendly_name = friendly_name
        self.machine_identifier = machine_identifier
        self.version = version
        self.faults = PlexFaults()
        self.requests: list[RecordedRequest] = []
        self.scans: dict[str, _Scan] = {}
        self.sessions: list[dict[str, Any]] = []
        self.clients: list[dict[str, Any]] = [dict(DEFAULT_CLIENT)]  # players on the network
        self._session_keys = itertools.count(1)
        self._websockets: set[web.WebSocketResponse] = set()
        app = web.Application(middlewares=[self._middleware])
        app.on_shutdown.append(lambda _app: self.drop_websockets())
        app.router.add_get("/", self._root)
        app.router.add_get("/identity", self._identity)
        app.router.add_get("/library/sections", self._sections)
        app.router.add_get("/library/sections/{key:\\d+}", self._section)
        app.router.add_get("/library/sections/{key:\\d+}/all", self._section_all)
        app.router.add_route("*", "/library/sections/{key}/refresh", self._refresh)
        app.router.add_get("/library/metadata/{key:\\d+}", self._metadata)
        app.router.add_get("/library/metadata/{key:\\d+}/children", self._children)
        app.router.add_get("/library/metadata/{key:\\d+}/allLeaves", self._all_leaves)
        app.router.add_get("/status/sessions", self._sessions)
        app.router.add_get("/activities", self._activities)
        app.router.add_get("/:/websockets/notifications", self._notifications)
        self.app = app
        add_match_routes(self)  # Fix Match and poster upload (plex_match.py)
        add_listing_routes(self)  # /library, recently added, on deck, hub search (plex_listings.py)
        add_session_routes(self)  # clients, watch history, scrobbles (plex_sessions.py)
        add_agent_routes(self)  # the metadata agents (plex_agents.py)
        add_refresh_routes(self)  # an item's metadata refresh (plex_refresh.py)
        add_version_routes(self)  # merging items into one with several versions (plex_versions.py)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on `host:port` (0: any free port), start what the library says is playing."""
        url = await super().start(host, port)
        for spec in self.library.playing:  # what a library file says is playing
            await self.add_session(**spec)
        self.library.playing = []
        return url

    async def before_stop(self) -> None:
        """End running scans (then the server stops, and closes every websocket).

        The runner stops listening first and then runs on_shutdown, which closes the
        websockets: clients that reconnect at once find the port closed, not half-open.
        """
        for scan in list(self.scans.values()):
            if scan.task is not None:
                scan.task.cancel()
        await asyncio.gather(
            *(s.task for s in list(self.scans.values()) if s.task), return_exceptions=True
        )

    def rotate_token(self, new: str) -> None:
        """Accept only `new` from now on (the old token gets 401)."""
        self.token = new

    # ---- plumbing -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        query = {k: v for k, v in request.query.items() if k != "X-Plex-Token"}
        self.requests.append(RecordedRequest(request.method, request.path, query))
        if failed := await self.faults.misbehave(request, _failure):
            return failed
        token = request.headers.get("X-Plex-Token") or request.query.get("X-Plex-Token")
        if request.path != "/identity" and token != self.token:
            return web.Response(status=401, body=UNAUTHORIZED, content_type="text/html")
        return await handler(request)

    def _reply(
        self, request: web.Request, container: dict[str, Any], **headers: str
    ) -> web.Response:
        as_json = wants_json(request.headers.get("Accept"))
        body, content_type = render(container, as_json=as_json)
        if as_json:
            body = self.faults.cut(body)
        response = web.Response(body=body, headers=headers)
        response.headers["Content-Type"] = content_type
        return response

    def _section_or_404(self, request: web.Request) -> Section:
        section = self.library.sections.get(int(request.match_info["key"]))
        if section is None:
            raise web.HTTPNotFound
        return section

    def _item_or_404(self, request: web.Request) -> Item:
        item = self.library.items.get(int(request.match_info["key"]))
        if item is None:
            raise web.HTTPNotFound
        return item

    # ---- endpoints ----------------------------------------------------------------------------

    async def _root(self, request: web.Request) -> web.Response:
        keys = (
            "activities",
            "butler",
            "channels",
            "clients",
            "devices",
            "diagnostics",
            "hubs",
            "library",
            "media",
            "metadata",
            "playQueues",
            "player",
            "playlists",
            "search",
            "server",
            "servers",
            "statistics",
            "system",
            "transcode",
            "updater",
            "user",
        )
        return self._reply(
            request,
            {
                "size": len(keys),
                "allowCameraUpload": False,
                "allowSync": True,
                "friendlyName": self.friendly_name,
                "machineIdentifier": self.machine_identifier,
                "myPlex": True,
                "myPlexSigninState": "ok",
                "platform": "Linux",
                "platformVersion": "6.1.0",
                "transcoderVideo": True,
                "updatedAt": int(time.time()),
                "version": self.version,
                "Directory": [{"count": 1, "key": key, "title": key} for key in keys],
            },
        )

    async def _identity(self, request: web.Request) -> web.Response:
        return self._reply(
            request,
            {
                "size": 0,
                "apiVersion": "1.1.1",
                "claimed": True,
                "machineIdentifier": self.machine_identifier,
                "version": self.version,
            },
        )

    async def _sections(self, request: web.Request) -> web.Response:
        directories = [section_json(s) for s in self.library.sections.values()]
        return self._reply(
            request,
            {
                "size": len(directories),
                "allowSync": False,
                "identifier": "com.plexapp.plugins.library",
                **MEDIA_TAG,
                "title1": "Plex Library",
                "Directory": directories,
            },
        )

    async def _section(self, request: web.Request) -> web.Response:
        section = self._section_or_404(request)
        return self._reply(
            request,
            {
                "size": 1,
                "allowSync": False,
                "content": "secondary",
                "identifier": "com.plexapp.plugins.library",
                "librarySectionID": section.key,
                "title1": section.title,
                "viewGroup": "secondary",
                "Directory": [{"key": "all", "title": f"All {section.title}"}],
            },
        )

    async def _section_all(self, request: web.Request) -> web.Response:
        section = self._section_or_404(request)
        if section.key in self.faults.failing_sections:
            return web.Response(status=500, text="Internal Server Error")
        query = params(request)
        if self.faults.ignore_container_start:  # every page starts at the first item
            query = {k: v for k, v in query.items() if k != "X-Plex-Container-Start"}
        code = type_code(query)
        items = listing(self.library, self.library.section_items(section.key, code), query)
        shown, start = page(items, query)
        with_guids = request.query.get("includeGuids") == "1"
        metadata = [item_json(self.library, item, guids=with_guids) for item in shown]
        container: dict[str, Any] = {
            "size": len(metadata),
            "totalSize": len(items),
            "offset": start,
            "allowSync": True,
            "identifier": "com.plexapp.plugins.library",
            "librarySectionID": section.key,
            "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid,
            **MEDIA_TAG,
            "title1": section.title,
            "title2": f"All {section.title}",
            "viewGroup": section.type,
            "viewMode": 65592,
        }
        if request.query.get("includeMeta") == "1":
            container["Meta"] = section_meta(section, code)
        if metadata:
            container["Metadata"] = metadata
        return self._reply(
            request,
            container,
            **{
                "X-Plex-Container-Start": str(start),
                "X-Plex-Container-Total-Size": str(len(items)),
            },
        )

    async def _metadata(self, request: web.Request) -> web.Response:
        item = self._item_or_404(request)
        section = self.library.sections[item.section_key]
        data = item_json(self.library, item, guids=True, detailed=True)
        return self._reply(
            request,
            {
                "size": 1,
                "allowSync": True,
                "identifier": "com.plexapp.plugins.library",
                "librarySectionID": section.key,
                "librarySectionTitle": section.title,
                "librarySectionUUID": section.uuid,
                **MEDIA_TAG,
                "Metadata": [data],
            },
        )

    async def _list(self, request: web.Request, parent: Item, items: list[Item]) -> web.Response:
        query = params(request)
        found = listing(self.library, items, query)  # filters (`index=2`: one season), sorts
        shown, start = page(found, query)
        with_guids = query.get("includeGuids") == "1"
        metadata = [item_json(self.library, item, guids=with_guids) for item in shown]
        container: dict[str, Any] = {
            "size": len(metadata),
            "allowSync": True,
            "identifier": "com.plexapp.plugins.library",
            "key": str(parent.rating_key),
            "librarySectionID": parent.section_key,
            **MEDIA_TAG,
            "title1": self.library.sections[parent.section_key].title,
            "title2": parent.title,
            "viewGroup": items[0].type if items else "secondary",
        }
        if any(key.startswith("X-Plex-Container") for key in query):  # a paged request
            container |= {"totalSize": len(found), "offset": start}
        if metadata:
            container["Metadata"] = metadata
        return self._reply(request, container)

    async def _children(self, request: web.Request) -> web.Response:
        item = self._item_or_404(request)
        return await self._list(request, item, self.library.children(item.rating_key))

    async def _all_leaves(self, request: web.Request) -> web.Response:
        item = self._item_or_404(request)
        return await self._list(request, item, self.library.leaves(item))

    async def _sessions(self, request: web.Request) -> web.Response:
        container: dict[str, Any] = {"size": len(self.sessions)}
        if self.sessions:
            container["Metadata"] = self.sessions
        return self._reply(request, container)

    async def _activities(self, request: web.Request) -> web.Response:
        activities = [self._activity_json(scan) for scan in self.scans.values()]
        container: dict[str, Any] = {"size": len(activities)}
        if activities:
            container["Activity"] = activities
        return self._reply(request, container)

    # ---- scans --------------------------------------------------------------------------------

    async def _refresh(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if key == "all":
            sections = list(self.library.sections.values())
        elif key.isdigit():
            sections = [self._section_or_404(request)]
        else:
            raise web.HTTPNotFound
        if request.method == "DELETE":
            for scan in list(self.scans.values()):
                if scan.section in sections and scan.task is not None:
                    scan.task.cancel()
            return web.Response()
        for section in sections:
            self._start_scan(section, request.query.get("path"))
        return web.Response()

    def _start_scan(self, section: Section, scope: str | None) -> _Scan:
        scan = _Scan(str(uuid.uuid4()), section, scope)
        self.scans[scan.uuid] = scan
        scan.task = asyncio.get_running_loop().create_task(self._run_scan(scan))
        return scan

    async def scan(self, section_key: int | None = None, path: str | None = None) -> None:
        """Scan one section (or all), or only `path` within it, and wait for the end."""
        sections = (
            [self.library.sections[section_key]]
            if section_key is not None
            else list(self.library.sections.values())
        )
        scans = [self._start_scan(section, path) for section in sections]
        await asyncio.gather(*(s.task for s in scans if s.task))

    async def wait_for_scans(self) -> None:
        """Wait until no scan runs (scans started meanwhile included)."""
        while tasks := [s.task for s in self.scans.values() if s.task is not None]:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _activity_json(self, scan: _Scan) -> dict[str, Any]:
        return {
            "uuid": scan.uuid,
            "type": "library.update.section",
            "cancellable": True,
            "userID": 1,
            "title": f"Scanning {scan.section.title}",
            "subtitle": "",
            "progress": scan.progress,
            "Context": {"librarySectionID": str(scan.section.key)},
        }

    async def _run_scan(self, scan: _Scan) -> None:
        section = scan.section
        section.refreshing = True
        await self._activity("started", scan)
        try:
            await asyncio.sleep(self.faults.scan_duration / 2)
            scan.progress = 50
            await self._activity("updated", scan)
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(None, self.library.walk, section, scan.scope)
            await asyncio.sleep(self.faults.scan_duration / 2)
            if section.key in self.library.sections:
                changes = self.library.apply_scan(section, found, scan.scope)
                await self._timeline(changes)
            scan.progress = 100
        finally:
            section.refreshing = False
            del self.scans[scan.uuid]
            await self._activity("ended", scan)
            await self.broadcast(
                _notification(
                    "status",
                    "StatusNotification",
                    [
                        {
                            "title": "Library scan complete",
                            "description": "",
                            "notificationName": "LIBRARY_UPDATE",
                        }
                    ],
                )
            )

    async def _activity(self, event: str, scan: _Scan) -> None:
        entry = {"event": event, "uuid": scan.uuid, "Activity": self._activity_json(scan)}
        await self.broadcast(_notification("activity", "ActivityNotification", [entry]))

    async def _timeline(self, changes: ScanChanges) -> None:
        entries: list[dict[str, Any]] = []
        for item, states in [(i, (0, 5)) for i in changes.added] + [
            (i, (9,)) for i in changes.removed
        ]:
            entries.extend(timeline_entries(item, states))
        if entries:
            await self.broadcast(_notification("timeline", "TimelineEntry", entries))

    # ---- sessions and notifications -----------------------------------------------------------

    async def add_session(
        self,
        title: str,
        *,
        user: str = "demo",
        player: str = "Living Room TV",
        state: str = "playing",
        grandparent_title: str | None = None,
        type: str = "movie",  # noqa: A002
    ) -> str:
        """Someone starts watching; Plex pushes a `playing` notification.

        The session is of the library's movie `title`, or its episode `title` of the show
        `grandparent_title`; a title the library lacks makes a session of only that title.
        """
        key = str(next(self._session_keys))
        item = find_playable(self.library, title, grandparent_title, type)
        who = (user, player, state)
        self.sessions.append(
            session_json(self.library, key, item, who, title, grandparent_title, type)
        )
        await self._playing(key, state)
        return key

    async def clear_sessions(self) -> None:
        """Everyone stops watching."""
        keys = [s["sessionKey"] for s in self.sessions]
        self.sessions.clear()
        for key in keys:
            await self._playing(key, "stopped")

    async def _playing(self, key: str, state: str) -> None:
        session = next((s for s in self.sessions if s["sessionKey"] == key), {})
        entry = {
            "sessionKey": key,
            "clientIdentifier": "emulated-player",
            "guid": session.get("guid", ""),
            "ratingKey": session.get("ratingKey", ""),
            "url": "",
            "key": session.get("key", ""),
            "viewOffset": 0,
            "playQueueItemID": 1,
            "state": state,
        }
        await self.broadcast(_notification("playing", "PlaySessionStateNotification", [entry]))

    async def _notifications(self, request: web.Request) -> web.StreamResponse:
        if self.faults.refuse_websockets > 0:
            self.faults.refuse_websockets -= 1
            return web.Response(status=503, text="Service Unavailable")
        websocket = web.WebSocketResponse(heartbeat=None)
        await websocket.prepare(request)
        self._websockets.add(websocket)
        try:
            async for message in websocket:
                if message.type is WSMsgType.ERROR:  # pragma: no cover - client side failure
                    break
        finally:
            self._websockets.discard(websocket)
        return websocket

    @property
    def websocket_clients(self) -> int:
        """How many clients listen to notifications."""
        return len(self._websockets)

    async def broadcast(self, notification: dict[str, Any]) -> None:
        """Send a `{"NotificationContainer": …}` message to every listening client."""
        text = orjson.dumps(notification).decode()
        for websocket in list(self._websockets):
            if not websocket.closed:
                await websocket.send_str(text)

    async def drop_websockets(self) -> None:
        """Close every notification connection (clients should reconnect)."""
        for websocket in list(self._websockets):
            await websocket.close()


def _failure(status: int) -> web.Response:
    return web.Response(status=status, text="Internal Server Error")


def _notification(kind: str, key: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"NotificationContainer": {"type": kind, "size": len(entries), key: entries}}


async def _serve(args: argparse.Namespace) -> None:
    media_root = Path(args.media_root or tempfile.mkdtemp(prefix="videodrome-plex-"))
    legacy = args.legacy_agents
    if args.library == "demo":
        library = PlexLibrary.demo(media_root, legacy_agents=legacy)
    else:
        root = media_root if args.media_root else None
        library = PlexLibrary.from_file(Path(args.library), root, legacy_agents=legacy)
    emulator = PlexEmulator(library, token=args.token)
    emulator.faults.scan_duration = args.scan_duration
    await serve_until_interrupted(
        emulator,
        args.host,
        args.port,
        lambda url: f"Plex emulator listening on {url} (media in {media_root})",
    )


def main(argv: list[str] | None = None) -> None:
    """Run the emulator until interrupted."""
    parser = arguments("python -m tests.emulators.plex", __doc__, port=32400)
    parser.add_argument("--token", default="demo-token")
    parser.add_argument("--library", default="demo", help='"demo" or a library JSON file')
    parser.add_argument("--media-root", help="folder for the demo's files (default: a temp dir)")
    parser.add_argument(
        "--legacy-agents",
        action="store_true",
        help="sections use Plex's legacy agents (IMDb, TheTVDB): items carry only a legacy guid",
    )
    parser.add_argument(
        "--scan-duration", type=float, default=0.05, help="seconds a library scan takes"
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
