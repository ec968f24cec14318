"""Real Plex servers' recorded answers, served on loopback for the paths Videodrome's client asks.

Nothing here is invented by us about what Plex says: the bodies are recordings other projects
made of real servers, read from `../shared/corpora` (see its INDEX.md; nothing is copied into
this repository):

- `rubyplex`: a legacy-agent library captured with curl in 2019 (`com.plexapp.agents.imdb`
  movies, `com.plexapp.agents.thetvdb` shows, two shows' episodes with real paths);
- `spec-anime`: plex-api-spec-captures' anime section of 26 shows, matched by TheTVDB's
  legacy agent and by HAMA (AniDB ids), one unmatched;
- `spec-movies`: plex-api-spec-captures' 341 movies of Plex's current agent (`Guid` arrays);
- `plex-api-rs`: plex-api.rs's stub server (legacy guids, current schema);
- `homeassistant`: Home Assistant's own Plex fixtures, XML converted to the JSON Plex would
  send (`xml_to_json`: elements become lists under their JSON names, attributes the types
  Plex's JSON recordings give the same attributes).

What had to be put together, and only that: a library whose server root or sections list was
not recorded gets a minimal one (`machineIdentifier`, `friendlyName`; a section's key, type and
title as its recorded listing names them); a recorded listing is one page of a bigger library
(`totalSize` 2148 for 5 movies), so the server presents the recorded items as the whole section
and pages through them itself (`size`, `offset`, `totalSize` follow; every other field is as
recorded); the episodes of a section are the recorded episode listings of its shows; an item
without a recorded `/library/metadata` answer is answered with its recorded listing entry; and
`Guid` arrays are left out unless the request says `includeGuids=1`, as Plex does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from xml.etree import ElementTree as ET

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
TOKEN = "replay-token-0123456789"

# Elements Plex's JSON lists under "Metadata": the items of a listing.
_ITEM_TAGS = frozenset({"Video", "Track", "Photo", "Episode", "Movie", "Show"})


@dataclass
class RecordedSection:
    """A library section: its recorded listing, and its shows' recorded episodes."""

    key: int
    type: str
    title: str
    listing: dict[str, Any]  # the recorded MediaContainer of /library/sections/{key}/all
    episodes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def items(self) -> list[dict[str, Any]]:
        """The recorded movies or shows."""
        return list(self.listing.get("Metadata", []))


@dataclass
class RecordedLibrary:
    """What one real server was recorded saying, by path."""

    name: str
    sections: dict[int, RecordedSection]
    sections_body: dict[str, Any] | None = None  # the recorded /library/sections answer
    root: dict[str, Any] | None = None  # the recorded server root
    metadata: dict[int, dict[str, Any]] = field(default_factory=dict)

    def items(self) -> list[dict[str, Any]]:
        """Every recorded movie and show."""
        return [item for section in self.sections.values() for item in section.items]


def available() -> bool:
    """Whether ../shared/corpora is here (the tests skip without it)."""
    return (CORPORA / "INDEX.md").is_file()


def _json(relative: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((CORPORA / relative).read_text(encoding="utf-8"))
    return body


def _container(relative: str) -> dict[str, Any]:
    media: dict[str, Any] = _json(relative)["MediaContainer"]
    return media


# ---- Home Assistant's XML fixtures as Plex's JSON ---------------------------------------------


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str" if isinstance(value, str) else None


def _learn(node: Any, into: dict[str, set[str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if (kind := _kind(value)) is not None:
                into.setdefault(key, set()).add(kind)
            _learn(value, into)
    elif isinstance(node, list):
        for child in node:
            _learn(child, into)


@functools.cache
def attribute_types() -> dict[str, str]:
    """How Plex's JSON types each attribute, learnt from every recorded JSON answer.

    An attribute always written as a number (or a boolean) in the JSON recordings becomes one;
    anything else, or an attribute the recordings never show, stays a string.
    """
    seen: dict[str, set[str]] = {}
    for folder in ("rubyplex", "plex-api-spec-captures", "plex-api-rs/server"):
        for path in sorted((CORPORA / folder).rglob("*.json")):
            _learn(json.loads(path.read_text(encoding="utf-8")), seen)
    types: dict[str, str] = {}
    for name, kinds in seen.items():
        if kinds == {"bool"}:
            types[name] = "bool"
        elif kinds and kinds <= {"int", "float"}:
            types[name] = "float" if "float" in kinds else "int"
    return types


def _typed(name: str, text: str) -> Any:
    kind = attribute_types().get(name)
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
    except ValueError:
        return text
    if kind == "bool":
        return text in {"1", "true"}
    return text


def _element(element: ET.Element) -> dict[str, Any]:
    node: dict[str, Any] = {name: _typed(name, text) for name, text in element.attrib.items()}
    for child in element:
        is_item = child.tag in _ITEM_TAGS or (
            child.tag == "Directory" and "ratingKey" in child.attrib
        )
        node.setdefault("Metadata" if is_item else child.tag, []).append(_element(child))
    return node


def xml_to_json(text: str, **template: str) -> dict[str, Any]:
    """An XML answer as Plex's JSON answer to the same request (`{name}` fields filled)."""
    for key, value in template.items():
        text = text.replace("{" + key + "}", value)
    return {"MediaContainer": _element(ET.fromstring(text))}


def _ha(fixture: str, **template: str) -> dict[str, Any]:
    path = CORPORA / "homeassistant-plex" / "fixtures" / fixture
    media: dict[str, Any] = xml_to_json(path.read_text(encoding="utf-8"), **template)[
        "MediaContainer"
    ]
    return media


# ---- the recorded libraries -------------------------------------------------------------------


def _sections_from(recorded: dict[str, Any]) -> dict[int, tuple[str, str]]:
    return {int(d["key"]): (str(d["type"]), str(d["title"])) for d in recorded.get("Directory", [])}


def rubyplex() -> RecordedLibrary:
    """A legacy-agent library (2019): 5 movies, 2 shows, 85 episodes; one section unrecorded."""
    body = _container("rubyplex/libraries.json")
    listings = {1: _container("rubyplex/library_1.json"), 2: _container("rubyplex/library_2.json")}
    episodes = [
        *_container("rubyplex/show_1.json")["Metadata"],
        *_container("rubyplex/show_2.json")["Metadata"],
    ]
    sections = {
        key: RecordedSection(
            key,
            kind,
            title,
            listings.get(key, {"size": 0}),  # 4K Movies: no listing recorded
            episodes if key == 2 else [],
        )
        for key, (kind, title) in _sections_from(body).items()
    }
    metadata = {
        int(item["ratingKey"]): item
        for name in ("movie_1.json", "show_details.json")
        for item in _container(f"rubyplex/{name}")["Metadata"]
    }
    return RecordedLibrary("rubyplex", sections, sections_body=body, metadata=metadata)


def _one_section(name: str, relative: str) -> RecordedLibrary:
    listing = _container(relative)
    key = int(listing["librarySectionID"])
    kind = str(listing["viewGroup"])
    title = str(listing.get("librarySectionTitle") or listing.get("title1") or name)
    return RecordedLibrary(name, {key: RecordedSection(key, kind, title, listing)})


def spec_anime() -> RecordedLibrary:
    """26 anime shows: TheTVDB's legacy agent, HAMA (AniDB and TVDB ids), one unmatched."""
    return _one_section(
        "spec-anime", "plex-api-spec-captures/library__[sectionKey]__get-library-items__04.json"
    )


def spec_movies() -> RecordedLibrary:
    """341 movies of Plex's current agent, with `Guid` arrays."""
    return _one_section(
        "spec-movies", "plex-api-spec-captures/library__[sectionKey]__get-library-all__06.json"
    )


def plex_api_rs() -> RecordedLibrary:
    """plex-api.rs's stub server: 4 movies, 2 shows, 3 episodes of one season."""
    base = "plex-api-rs/server/media"
    movies = _container(f"{base}/movie_library.json")
    shows = _container(f"{base}/tv_library.json")
    sections = {
        1: RecordedSection(1, "movie", "Movies", movies),
        2: RecordedSection(
            2, "show", "TV Shows", shows, _container(f"{base}/tv_episodes.json")["Metadata"]
        ),
    }
    metadata = {108: _container(f"{base}/metadata_108.json")["Metadata"][0]}
    return RecordedLibrary("plex-api-rs", sections, metadata=metadata)


def homeassistant() -> RecordedLibrary:
    """Home Assistant's anonymised fixtures: 5 movies, 1 show and a season of it, music."""
    body = _ha("library_sections.xml")
    listings = {
        1: _ha("library_movies_all.xml"),
        2: _ha("library_tvshows_all.xml"),
        3: _ha("library_music_metadata.xml"),
    }
    sections = {
        key: RecordedSection(
            key,
            kind,
            title,
            listings[key],
            _ha("children_20.xml")["Metadata"] if key == 2 else [],
        )
        for key, (kind, title) in _sections_from(body).items()
    }
    root = _ha("plex_server_base.xml", name="Plex Server 1", machine_identifier="unique_id_123")
    metadata = {1: _ha("media_1.xml")["Metadata"][0]}
    return RecordedLibrary(
        "homeassistant", sections, sections_body=body, root=root, metadata=metadata
    )


LIBRARIES: dict[str, Callable[[], RecordedLibrary]] = {
    "rubyplex": rubyplex,
    "spec-anime": spec_anime,
    "spec-movies": spec_movies,
    "plex-api-rs": plex_api_rs,
    "homeassistant": homeassistant,
}


# ---- the server -------------------------------------------------------------------------------


def _reply(media: dict[str, Any]) -> web.Response:
    return web.json_response({"MediaContainer": media})


def _number(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name) or request.headers.get(name)
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


class ReplayServer:
    """Serves one recorded library on 127.0.0.1 to clients that present `TOKEN`."""

    def __init__(self, library: RecordedLibrary, *, token: str = TOKEN) -> None:
        """Serve `library`."""
        self.library = library
        self.token = token
        self.failing_sections: set[int] = set()  # their listings answer 500
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, query), token left out
        self.url = ""
        self._runner: web.AppRunner | None = None
        app = web.Application(middlewares=[self._check])
        app.router.add_get("/", self._root)
        app.router.add_get("/library/sections", self._sections)
        app.router.add_get("/library/sections/{key:\\d+}/all", self._listing)
        app.router.add_get("/library/metadata/{key:\\d+}", self._metadata)
        app.router.add_get("/library/metadata/{key:\\d+}/allLeaves", self._all_leaves)
        self.app = app

    async def __aenter__(self) -> Self:
        """Listen on a free port of 127.0.0.1."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _check(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.query)))
        given = request.headers.get("X-Plex-Token") or request.query.get("X-Plex-Token")
        if given != self.token:
            return web.Response(status=401, text="Unauthorized")
        return await handler(request)

    async def _root(self, _request: web.Request) -> web.Response:
        root = self.library.root or {
            "machineIdentifier": f"replay-{self.library.name}",
            "friendlyName": f"Recorded: {self.library.name}",
        }
        return _reply(root)

    async def _sections(self, _request: web.Request) -> web.Response:
        body = self.library.sections_body or {
            "size": len(self.library.sections),
            "Directory": [
                {"key": str(s.key), "type": s.type, "title": s.title}
                for s in self.library.sections.values()
            ],
        }
        return _reply(body)

    async def _listing(self, request: web.Request) -> web.Response:
        key = int(request.match_info["key"])
        section = self.library.sections.get(key)
        if section is None:
            raise web.HTTPNotFound
        if key in self.failing_sections:
            return web.Response(status=500, text="Internal Server Error")
        wanted = request.query.get("type")
        entries = section.episodes if wanted == "4" else section.items
        if request.query.get("sort") == "addedAt:desc":
            entries = sorted(entries, key=lambda e: -int(e.get("addedAt") or 0))
        start = max(0, _number(request, "X-Plex-Container-Start", 0))
        size = max(0, _number(request, "X-Plex-Container-Size", len(entries)))
        page = entries[start : start + size]
        if request.query.get("includeGuids") != "1":
            page = [{k: v for k, v in e.items() if k != "Guid"} for e in page]
        media = {k: v for k, v in section.listing.items() if k != "Metadata"}
        media.update(size=len(page), offset=start, totalSize=len(entries))
        if page:
            media["Metadata"] = page
        return _reply(media)

    def _item(self, key: int) -> dict[str, Any]:
        recorded = self.library.metadata.get(key)
        if recorded is not None:
            return recorded
        for item in self.library.items():
            if int(item["ratingKey"]) == key:
                return item
        raise web.HTTPNotFound

    async def _metadata(self, request: web.Request) -> web.Response:
        return _reply({"size": 1, "Metadata": [self._item(int(request.match_info["key"]))]})

    async def _all_leaves(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        show = self._item(int(key))
        leaves = [
            episode
            for section in self.library.sections.values()
            for episode in section.episodes
            if str(episode.get("grandparentRatingKey")) == key
        ]
        return _reply(
            {
                "size": len(leaves),
                "key": key,
                "title2": show.get("title"),
                **({"Metadata": leaves} if leaves else {}),
            }
        )
