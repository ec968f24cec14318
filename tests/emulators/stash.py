"""An emulated Stash: its GraphQL API and its image routes, a real aiohttp server on loopback.

Run it alone with `python -m tests.emulators.stash --port 9999 [--api-key KEY] [--data FILE]`
(`--scenes N`: N generated scenes instead; `--image-bytes N`: every image N bytes long);
it prints `Stash emulator listening on http://127.0.0.1:9999` (the URL is the last word).
Queries are executed by graphql-core against `stash_schema.graphql`, a part of Stash's schema
(tests/contract checks it against the real one), over a `StashLibrary` (stash_library.py),
which finds files by path as Stash's SQL does. As Stash does: parse and validation errors
answer 422, a query that fails answers 200 with `errors`; with an API key set, a request
without the `ApiKey` header (or `apikey` parameter) gets 401 at /graphql and a redirect to
/login elsewhere, and a wrong key (or any key, when none is set) gets 401. Images are real
JPEGs drawn with Pillow, served as Stash serves them (pkg/utils/http.go `ServeStaticContent`,
Go's `http.ServeContent`): a Content-Length, `Cache-Control: no-cache`, an ETag that is the
quoted MD5 of the image, and 304 (no body) for an If-None-Match that names it; only GET (Stash's
router has no HEAD route for them: 405). `faults` makes it misbehave, images included: sent
in two halves with a wait between, cut off half way, or without a Content-Length.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
import functools
import hashlib
import io
from pathlib import Path
import random
import re
import signal
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web
import graphql
import orjson

from tests.emulators.stash_library import StashLibrary

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["RecordedQuery", "StashEmulator", "StashFaults"]

SCHEMA_FILE = Path(__file__).with_name("stash_schema.graphql")
VERSION = "v0.30.1"
BUILD_HASH = "cf3489efd"
DEFAULT_PER_PAGE = 25
_SORTS = {"path", "title", "id", "date"}


@functools.cache
def schema() -> graphql.GraphQLSchema:
    """The emulator's schema (a part of Stash's)."""
    return graphql.build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))


@dataclass
class StashFaults:
    """Knobs that make the emulator misbehave, for tests of failure handling."""

    latency: float = 0.0  # seconds added before every answer
    fail_next: int = 0  # the next N requests answer `fail_status`
    fail_status: int = 500
    graphql_errors_next: int = 0  # the next N queries answer 200 with GraphQL errors
    drop_next: int = 0  # the next N requests get their connection closed, no answer
    malformed_next: int = 0  # the next N GraphQL answers are cut short
    # Images: the first half sent, then (when set) a wait until this event is set...
    image_pause: asyncio.Event | None = None
    image_drop_next: int = 0  # ...or the next N images cut off after their first half
    image_chunked: bool = False  # no Content-Length (chunked): Stash always sends one
    image_body: bytes | None = None  # every image is these bytes (a big one, say)


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the emulator saw it: whether it carried a key, never the key."""

    method: str
    path: str
    with_key: bool


@dataclass(frozen=True)
class RecordedQuery:
    """A GraphQL request: its document, operation and variables."""

    query: str
    operation: str | None
    variables: dict[str, Any] = field(default_factory=dict)


class StashEmulator:
    """Stash on loopback, serving a `StashLibrary`."""

    def __init__(
        self,
        library: StashLibrary | None = None,
        api_key: str | None = None,
        *,
        status: str = "OK",
    ) -> None:
        """Serve `library` (the demo's by default); require `api_key` when it is given.

        `status` is what `systemStatus` says (`SETUP`, `NEEDS_MIGRATION`, `OK`).
        """
        self.library = library if library is not None else StashLibrary.load()
        self.api_key = api_key
        self.status = status
        self.faults = StashFaults()
        self.requests: list[RecordedRequest] = []
        self.queries: list[RecordedQuery] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("POST", "/graphql", self._graphql)
        app.router.add_route("GET", "/graphql", self._graphql)
        for path, handler in (
            (r"/scene/{id:\d+}/screenshot", self._screenshot),
            (r"/performer/{id:\d+}/image", self._performer_image),
            (r"/studio/{id:\d+}/image", self._studio_image),
            (r"/group/{id:\d+}/frontimage", self._group_front),
        ):
            app.router.add_get(path, handler, allow_head=False)
        app.router.add_get("/login", self._login)
        self.app = app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on `host:port` (0: any free port); return the server's URL."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def stop(self) -> None:
        """Stop serving (an image held back by `faults.image_pause` goes on first)."""
        if self.faults.image_pause is not None:
            self.faults.image_pause.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start on a free port."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop."""
        await self.stop()

    def operations(self) -> list[str | None]:
        """The operation of every GraphQL request so far, in order."""
        return [q.operation for q in self.queries]

    # ---- plumbing -------------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        sent = request.headers.get("ApiKey") or request.query.get("apikey")
        self.requests.append(RecordedRequest(request.method, request.path, bool(sent)))
        if request.path == "/login":
            return await handler(request)
        faults = self.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if faults.drop_next > 0:
            faults.drop_next -= 1
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable
        if faults.fail_next > 0:
            faults.fail_next -= 1
            return web.Response(status=faults.fail_status, text="emulated failure")
        if sent:
            if sent != self.api_key:
                return _unauthorized()
        elif self.api_key is not None:
            if request.path == "/graphql":
                return _unauthorized()
            # Stash sends a browser without a session to its login page.
            raise web.HTTPFound(f"/login?returnURL={request.path}")
        return await handler(request)

    # ---- GraphQL --------------------------------------------------------------------------

    async def _graphql(self, request: web.Request) -> web.Response:
        variables: dict[str, Any] = {}
        if request.method == "GET":
            query, operation = request.query.get("query", ""), None
        else:
            try:
                body = orjson.loads(await request.read())
            except orjson.JSONDecodeError:
                return _errors(400, "json request body could not be decoded", "BAD_REQUEST")
            if not isinstance(body, dict):
                return _errors(400, "json request body could not be decoded", "BAD_REQUEST")
            query = body.get("query") or ""
            operation = body.get("operationName")
            variables = body.get("variables") or variables
        self.queries.append(RecordedQuery(query, operation, variables))
        try:
            document = graphql.parse(query)
        except graphql.GraphQLError as err:
            return _errors(422, err.message, "GRAPHQL_PARSE_FAILED")
        if problems := graphql.validate(schema(), document):
            return _errors(422, problems[0].message, "GRAPHQL_VALIDATION_FAILED")
        if self.faults.graphql_errors_next > 0:
            self.faults.graphql_errors_next -= 1
            return _errors(200, "emulated failure: database is locked", None)
        result = graphql.execute_sync(
            schema(),
            document,
            root_value=_Root(self),
            variable_values=variables,
            operation_name=operation,
        )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        # Variables that do not fit their types: a request error (422), as parsing and
        # validation; a field that failed as it ran: an answer with errors (200).
        unfit = result.data is None and any(e.path is None for e in result.errors or ())
        status = 422 if unfit else 200
        body = orjson.dumps(answer)
        if self.faults.malformed_next > 0:
            self.faults.malformed_next -= 1
            body = body[: len(body) // 2]
        return web.Response(status=status, body=body, content_type="application/json")

    # ---- images ---------------------------------------------------------------------------

    async def _screenshot(self, request: web.Request) -> web.StreamResponse:
        scene = self.library.scenes.get(int(request.match_info["id"]))
        if scene is None or scene.screenshot is None:
            return web.Response(status=404, text="404 page not found")
        return await self._jpeg(request, f"scene {scene.id}", *scene.screenshot)

    async def _performer_image(self, request: web.Request) -> web.StreamResponse:
        performer = self.library.performers.get(int(request.match_info["id"]))
        if performer is None:
            return web.Response(status=404, text="404 page not found")
        if not performer.image:
            return await self._jpeg(request, "placeholder", 200, 300)
        return await self._jpeg(request, f"performer {performer.id}", 400, 600)

    async def _studio_image(self, request: web.Request) -> web.StreamResponse:
        studio = self.library.studios.get(int(request.match_info["id"]))
        if studio is None:
            return web.Response(status=404, text="404 page not found")
        return await self._jpeg(
            request, f"studio {studio.id}" if studio.image else "placeholder", 300, 100
        )

    async def _group_front(self, request: web.Request) -> web.StreamResponse:
        group = self.library.groups.get(int(request.match_info["id"]))
        if group is None:
            return web.Response(status=404, text="404 page not found")
        return await self._jpeg(
            request, f"group {group.id}" if group.front_image else "placeholder", 400, 600
        )

    async def _jpeg(
        self, request: web.Request, label: str, width: int, height: int
    ) -> web.StreamResponse:
        body = self.faults.image_body
        if body is None:
            loop = asyncio.get_running_loop()
            body = await loop.run_in_executor(None, draw_image, label, width, height)
        return await self._send_image(request, body)

    async def _send_image(self, request: web.Request, body: bytes) -> web.StreamResponse:
        etag = f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324 (Stash's ETag is an MD5)
        headers = {"Cache-Control": "no-cache", "ETag": etag, "Accept-Ranges": "bytes"}
        if _none_match(request.headers.get("If-None-Match", ""), etag):
            return web.Response(status=304, headers=headers)
        response = web.StreamResponse(headers=headers)
        response.content_type = "image/jpeg"
        faults = self.faults
        if not faults.image_chunked:
            response.content_length = len(body)
        await response.prepare(request)
        half = len(body) // 2
        await response.write(body[:half])
        if faults.image_drop_next > 0:
            faults.image_drop_next -= 1
            if request.transport is not None:
                request.transport.close()
            return response
        if faults.image_pause is not None:
            await faults.image_pause.wait()
        await response.write(body[half:])
        await response.write_eof()
        return response

    async def _login(self, _request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>Login</title>", content_type="text/html")


class _Root:
    """The query type's fields (graphql-core calls them with the arguments)."""

    def __init__(self, emulator: StashEmulator) -> None:
        self._emulator = emulator
        self._library = emulator.library

    def findScene(self, _info: graphql.GraphQLResolveInfo, id: str | None = None) -> Any:  # noqa: A002, N802
        scene = self._library.scenes.get(int(id)) if id and id.isdigit() else None
        return self._library.scene_json(scene, self._emulator.url) if scene else None

    def findScenes(  # noqa: N802
        self,
        _info: graphql.GraphQLResolveInfo,
        scene_filter: dict[str, Any] | None = None,
        filter: dict[str, Any] | None = None,  # noqa: A002
    ) -> dict[str, Any]:
        library = self._library
        criterion = (scene_filter or {}).get("path")
        ids = (
            library.find_by_path(criterion["value"], criterion["modifier"])
            if criterion
            else sorted(library.scenes)
        )
        paging = filter or {}
        sort = paging.get("sort") or "title"
        if sort not in _SORTS:
            raise graphql.GraphQLError(f"invalid sort: {sort}")
        scenes = sorted((library.scenes[i] for i in ids), key=_sort_key(sort))
        if paging.get("direction") == "DESC":
            scenes.reverse()
        per_page = paging.get("per_page") or DEFAULT_PER_PAGE
        page = max(paging.get("page") or 1, 1)
        shown = scenes if per_page < 0 else scenes[(page - 1) * per_page : page * per_page]
        return {
            "count": len(scenes),
            "scenes": [library.scene_json(s, self._emulator.url) for s in shown],
        }

    def version(self, _info: graphql.GraphQLResolveInfo) -> dict[str, Any]:
        return {"version": VERSION, "hash": BUILD_HASH, "build_time": "2026-01-11 12:00:00"}

    def systemStatus(self, _info: graphql.GraphQLResolveInfo) -> dict[str, Any]:  # noqa: N802
        return {"databaseSchema": 75, "appSchema": 75, "status": self._emulator.status}


def _sort_key(sort: str) -> Callable[[Any], Any]:
    if sort == "path":
        return lambda s: (s.files[0] if s.files else "", s.id)
    if sort == "title":  # Stash sorts a scene without a title by its file's name
        return lambda s: ((s.title or _name(s)).casefold(), s.id)
    if sort == "date":
        return lambda s: (s.date or "", s.id)
    return lambda s: s.id


def _name(scene: Any) -> str:
    return scene.files[0].rsplit("/", 1)[-1] if scene.files else ""


def _errors(status: int, message: str, code: str | None) -> web.Response:
    error: dict[str, Any] = {"message": message, "path": []}
    if code:
        error["extensions"] = {"code": code}
    body = orjson.dumps({"errors": [error], "data": None})
    return web.Response(status=status, body=body, content_type="application/json")


def _unauthorized() -> web.Response:
    return web.Response(status=401, headers={"WWW-Authenticate": "FormBased"})


def _none_match(header: str, etag: str) -> bool:
    """Whether If-None-Match names `etag` (weakly compared, or `*`), as Go's ServeContent."""
    tags = {tag.removeprefix("W/") for tag in re.split(r"\s*,\s*", header.strip()) if tag}
    return "*" in tags or etag in tags


@functools.lru_cache(maxsize=64)
def draw_image(label: str, width: int, height: int) -> bytes:
    """A JPEG in a colour taken from `label`, with a white border and the label written on it."""
    from PIL import Image, ImageDraw  # noqa: PLC0415  (only the image routes need Pillow)

    digest = hashlib.sha256(label.encode()).digest()
    image = Image.new("RGB", (width, height), (64 + digest[0] // 2, 64 + digest[1] // 2, 96))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, height - 1), outline="white", width=max(width // 100, 1))
    draw.text((width // 10, height // 3), label, fill="white", font_size=max(height // 12, 8))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def _serve(args: argparse.Namespace) -> None:
    if args.scenes:
        library = StashLibrary.generated(args.scenes)
    else:
        library = StashLibrary.load(Path(args.data)) if args.data else StashLibrary.load()
    emulator = StashEmulator(library, api_key=args.api_key or None)
    if args.image_bytes:  # a JPEG's first bytes, then noise: what matters is the size
        noise = random.Random(args.image_bytes).randbytes(args.image_bytes - 4)  # noqa: S311
        emulator.faults.image_body = b"\xff\xd8\xff\xe0" + noise
    url = await emulator.start(args.host, args.port)
    print(f"Stash emulator listening on {url}", flush=True)  # noqa: T201
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the emulator until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulators.stash", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999, help="Stash's own by default; 0: any")
    parser.add_argument("--api-key", help="require this key (default: no authentication)")
    parser.add_argument("--data", help="a library JSON file (default: data/stash_demo.json)")
    parser.add_argument(
        "--scenes", type=int, default=0, help="serve this many generated scenes instead"
    )
    parser.add_argument(
        "--image-bytes", type=int, default=0, help="serve every image as this many bytes"
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
