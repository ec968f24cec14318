"""Videodrome's Plex client and library index against real servers' recorded answers.

A small server (tests/emulators/recordings.py) serves what real Plex servers were recorded
saying (../shared/corpora: rubyplex, plex-api-spec-captures, plex-api.rs, Home Assistant's XML
fixtures converted to Plex's JSON) for the paths the client and the index ask for. The client
reads them, the index is built from them, and the assertions are about what a user asks: how
many items, which ids, "do I have tmdb 603", "which seasons of tvdb 74205". Libraries matched
by Plex's legacy agents carry no `Guid` array: every one of their items must still be found by
its ids (engine/guids.py). Expected values are read off the recordings themselves.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.videodrome.engine.identify.identifier import Identification
from custom_components.videodrome.engine.identify.parsed_name import Kind, ParsedName
from custom_components.videodrome.engine.identify.score import Decision
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.scan import (
    PLEX_MATCHED,
    PLEX_MISMATCH,
    PlexSync,
)
from custom_components.videodrome.engine.tmdb.models import Candidate
from tests.emulators import recordings
from tests.emulators.recordings import TOKEN, RecordedLibrary, ReplayServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from custom_components.videodrome.engine.library.records import Item, Snapshot

pytestmark = pytest.mark.skipif(
    not recordings.available(), reason=f"{recordings.CORPORA} is absent (../shared)"
)

LEGACY = "com.plexapp.agents."


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def _indexed(
    library: RecordedLibrary, session: aiohttp.ClientSession
) -> tuple[Snapshot, ReplayServer]:
    async with ReplayServer(library) as server:
        client = PlexClient(server.url, TOKEN, session)
        # A small page size: the recorded items are paged through as a real server pages.
        index = LibraryIndex(client, page_size=2)
        snapshot = await index.refresh()
    return snapshot, server


def _only_recorded_paths(server: ReplayServer) -> None:
    """The index asked only for what the recordings answer (sections and their listings)."""
    paths = {path for path, _query in server.requests}
    assert paths <= {"/library/sections"} | {
        f"/library/sections/{key}/all" for key in server.library.sections
    }
    assert all(q.get("includeGuids") == "1" for p, q in server.requests if p.endswith("/all"))


def _the(found: tuple[Item, ...]) -> Item:
    assert len(found) == 1, found
    return found[0]


# ---- a legacy-agent library: every item found by its ids ------------------------------------


async def test_rubyplex_a_legacy_library_found_by_its_ids(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    library = recordings.rubyplex()
    snapshot, server = await _indexed(library, session)
    _only_recorded_paths(server)
    assert dict(snapshot.sections) == {1: "movie", 2: "show", 3: "movie"}
    assert snapshot.counts() == {1: 5, 2: 2, 3: 0}
    assert len(snapshot.episodes) == 85
    recorded = library.items()
    assert len(recorded) == 7
    # every item, by the id its legacy guid names
    for raw in recorded:
        agent, _, rest = raw["guid"].removeprefix(LEGACY).partition("://")
        value = rest.partition("?")[0]
        found = (
            snapshot.by_id(imdb=value)
            if agent == "imdb"
            else snapshot.by_id(tvdb=int(value), kind="show")
        )
        assert _the(found).rating_key == int(raw["ratingKey"]), raw["guid"]
    guns = _the(snapshot.by_id(imdb="tt1272878"))
    assert (guns.title, guns.year, guns.kind) == ("2 Guns", 2013, "movie")
    assert guns.files == (
        "/volume1/Media/Movies/2 Guns (2013)/2 Guns (2013) [1080p] [AAC 2ch].mp4",
    )
    # which seasons of TVDB 74205 (Band of Brothers) and 73545 (Battlestar Galactica)
    brothers = _the(snapshot.by_id(tvdb=74205))
    assert [(s.number, s.numbers) for s in brothers.seasons] == [(1, tuple(range(1, 11)))]
    galactica = _the(snapshot.by_id(tvdb=73545))
    assert [(s.number, s.leaf_count) for s in galactica.seasons] == [
        (0, 3), (1, 13), (2, 20), (3, 20), (4, 19),
    ]  # fmt: skip
    assert snapshot.by_id(tmdb=603) == ()
    assert snapshot.by_title("Band of Brothers")[0].item is brothers


def _identified(kind: str, **fields: Any) -> Identification:
    movie = kind == "movie"
    candidate = Candidate(
        media_type="movie" if movie else "tv",
        tmdb_id=fields.pop("tmdb_id"),
        title=fields.pop("title"),
        original_title="",
        year=fields.pop("year"),
        imdb_id=fields.pop("imdb_id", None),
    )
    parsed = ParsedName(path="x.mkv", kind=Kind.MOVIE if movie else Kind.EPISODE)
    return Identification(
        path="x.mkv",
        parsed=parsed,
        decision=Decision.AUTO,
        confidence=1.0,
        reasons=(),
        match=candidate,
        library="movies" if movie else "tv",
        target=PurePosixPath("x.mkv"),
        **fields,
    )


async def test_rubyplex_already_in_the_library(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """The pipeline's question, "does Plex have it already?", on a legacy library."""
    async with ReplayServer(recordings.rubyplex()) as server:
        index = LibraryIndex(PlexClient(server.url, TOKEN, session))
        guns = await index.find(
            _identified("movie", tmdb_id=136400, title="2 Guns", year=2013, imdb_id="tt1272878")
        )
        assert guns is not None
        assert (guns.rating_key, guns.title) == ("17911", "2 Guns")
        episode = await index.find(
            _identified(
                "episode", tmdb_id=4613, title="Band of Brothers", year=2001,
                tvdb_id=74205, season=1, episodes=(3,),
            )
        )  # fmt: skip
        assert episode is not None
        assert (episode.title, episode.rating_key) == ("Carentan", "10405")
        missing = await index.find(
            _identified(
                "episode", tmdb_id=4613, title="Band of Brothers", year=2001,
                tvdb_id=74205, season=2, episodes=(1,),
            )
        )  # fmt: skip
        assert missing is None


async def test_rubyplex_the_match_check_reads_legacy_ids(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """After an ingest, Plex's match is checked: on a legacy library too."""
    library = recordings.rubyplex()
    async with ReplayServer(library) as server:
        sync = PlexSync(PlexClient(server.url, TOKEN, session))
        sections = {s.key: s for s in await sync.client.sections()}
        guns = "/volume1/Media/Movies/2 Guns (2013)/2 Guns (2013) [1080p] [AAC 2ch].mp4"
        matched = await sync.verify_ids(sections[1], guns, {"imdb://tt1272878"})
        assert (matched.status, matched.rating_key) == (PLEX_MATCHED, "17911")
        assert matched.plex_ids == ("imdb://tt1272878",)
        assert matched.plex_guid == f"{LEGACY}imdb://tt1272878?lang=en"
        other = await sync.verify_ids(sections[1], guns, {"tmdb://603", "imdb://tt0133093"})
        assert other.status == PLEX_MISMATCH
        for show in library.sections[2].episodes[::20]:
            file = show["Media"][0]["Part"][0]["file"]
            tvdb = int(show["guid"].removeprefix(f"{LEGACY}thetvdb://").split("/")[0])
            verdict = await sync.verify_ids(sections[2], file, {f"tvdb://{tvdb}"})
            assert verdict.status == PLEX_MATCHED, file
            assert verdict.rating_key == show["ratingKey"]
            assert verdict.match_key == show["grandparentRatingKey"]
            assert verdict.plex_ids == (f"tvdb://{tvdb}",)


# ---- anime: TheTVDB's legacy agent and HAMA ------------------------------------------------


async def test_spec_anime_every_matched_show_found(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    library = recordings.spec_anime()
    snapshot, server = await _indexed(library, session)
    _only_recorded_paths(server)
    assert snapshot.counts() == {3: 26}
    by_key = {item.rating_key: item for item in snapshot.items.values()}
    with_ids = [i for i in by_key.values() if (i.tmdb, i.tvdb, i.imdb, i.anidb) != (None,) * 4]
    assert len(with_ids) == 25  # Naruto Kai is matched by no agent (com.plexapp.agents.none)
    assert by_key[40081].title == "Naruto Kai"
    for raw in library.items():
        guid = raw["guid"].removeprefix(LEGACY).partition("?")[0]
        item = by_key[int(raw["ratingKey"])]
        if guid.startswith(("thetvdb://", "hama://tvdb-")):
            tvdb = int(guid.rpartition("/")[2].removeprefix("tvdb-"))
            assert _the(snapshot.by_id(tvdb=tvdb, kind="show")) is item, guid
        elif guid.startswith("hama://anidb-"):
            assert (item.anidb, item.tvdb) == (int(guid.removeprefix("hama://anidb-")), None)
            assert snapshot.by_id(tvdb=item.anidb) == ()  # never mistaken for TVDB
        else:
            assert guid.startswith("none://")
    assert _the(snapshot.by_id(tvdb=347734)).title == "Super Dragon Ball Heroes"  # HAMA, TVDB
    assert {i.anidb for i in by_key.values() if i.anidb} == {2127, 4880, 17061, 673}


# ---- Plex's current agent ------------------------------------------------------------------


async def test_spec_movies_the_current_agent(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    library = recordings.spec_movies()
    snapshot, _server = await _indexed(library, session)
    assert snapshot.counts() == {1: 341}
    recorded = library.items()

    def named(scheme: str) -> list[dict[str, Any]]:
        return [r for r in recorded if any(g["id"].startswith(scheme) for g in r.get("Guid", []))]

    for scheme in ("tmdb://", "imdb://"):
        having = named(scheme)
        assert len(having) == len(recorded) == 341
        for raw in having:
            value = next(g["id"] for g in raw["Guid"] if g["id"].startswith(scheme))
            value = value.removeprefix(scheme)
            found = (
                snapshot.by_id(tmdb=int(value))
                if scheme == "tmdb://"
                else snapshot.by_id(imdb=value)
            )
            assert int(raw["ratingKey"]) in {i.rating_key for i in found}
    assert all(item.anidb is None for item in snapshot.items.values())


# ---- plex-api.rs and Home Assistant's fixtures ----------------------------------------------


async def test_plex_api_rs(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    snapshot, server = await _indexed(recordings.plex_api_rs(), session)
    _only_recorded_paths(server)
    assert snapshot.counts() == {1: 4, 2: 2}
    sintel = _the(snapshot.by_id(imdb="tt1727587"))
    assert sintel.files == ("/data/Movies/Sintel (2010).mkv",)
    the_100 = _the(snapshot.by_id(tvdb=268592))
    assert [(s.number, s.numbers) for s in the_100.seasons] == [(1, (1, 2, 3))]
    assert _the(snapshot.by_id(tvdb=121361)).title == "Game of Thrones"
    assert _the(snapshot.by_id(tvdb=121361)).seasons == ()


async def test_homeassistant_fixtures_converted_from_xml(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """Anonymised: five movies share one IMDb id; the episodes' guids name the show 12345."""
    library = recordings.homeassistant()
    async with ReplayServer(library) as server:
        client = PlexClient(server.url, TOKEN, session)
        identity = await client.identity()
        assert (identity.friendly_name, identity.machine_identifier) == (
            "Plex Server 1", "unique_id_123",
        )  # fmt: skip
        sections = await client.sections()
        assert [(s.key, s.type, s.locations) for s in sections] == [
            (1, "movie", ("/storage/movies",)),
            (2, "show", ("/storage/tvshows",)),
            (3, "artist", ("/storage/music",)),
        ]
        snapshot = await LibraryIndex(client).refresh()
    assert dict(snapshot.sections) == {1: "movie", 2: "show"}
    assert len(snapshot.by_id(imdb="tt0123456", kind="movie")) == 5
    show = _the(snapshot.by_id(tvdb=12345))
    assert show.title == "TV Show"
    assert [(s.number, s.leaf_count) for s in show.seasons] == [(1, 10)]
    assert snapshot.by_id(tvdb=54321) == ()  # its grandparentGuid: not read, the show has an id


@pytest.mark.parametrize("name", sorted(recordings.LIBRARIES))
async def test_a_recording_needs_the_token(
    name: str, session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    make: Callable[[], RecordedLibrary] = recordings.LIBRARIES[name]
    async with ReplayServer(make()) as server:
        answer = await session.get(f"{server.url}/library/sections")
        assert answer.status == 401
        client = PlexClient(server.url, TOKEN, session)
        assert await client.sections()
