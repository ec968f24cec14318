"""Plex's match corrected, or asked about, after an ingest; posters given to Plex.

Real servers on loopback: the Plex emulator (its scanner told to match the wrong title) and
the TMDb emulator (whose image server draws the posters Plex downloads).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import orjson
from plexapi.media import SearchResult
import pytest

from custom_components.videodrome.engine.identify.identifier import Identification, Identifier
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.score import Decision
from custom_components.videodrome.engine.ingest.errors import ReviewError
from custom_components.videodrome.engine.ingest.events import Event
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import Settings
from custom_components.videodrome.engine.ingest.service import IngestService, Settled
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.errors import PlexMatchError
from custom_components.videodrome.engine.plex.fix_match import MatchFix, MatchFixer, MatchTarget
from custom_components.videodrome.engine.plex.models import MatchResult
from custom_components.videodrome.engine.plex.scan import PLEX_NOT_FOUND, PlexSync, Verification
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from custom_components.videodrome.engine.tmdb import posters
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.catalogue import Catalogue
from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.emulators.plex_agents import plex_guid
from tests.engine.conftest import TMDB_KEY, movies_and_tv

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    import aiohttp

    from custom_components.videodrome.engine.store.items import Item
    from tests.emulators.server import Emulators
    from tests.emulators.tmdb import TMDbEmulator

TOKEN = "match-token"
THE_THING_1982, THE_THING_2011 = 1091, 60935
BREAKING_BAD, THE_WIRE = 1396, 1438
JPEG = b"\xff\xd8\xff"


@dataclass
class World:
    """Folders, both emulators, and a way to build the ingest service."""

    root: Path
    plex: PlexEmulator
    tmdb: TMDbEmulator
    session: aiohttp.ClientSession
    store: Store
    events: list[tuple[str, Item]] = field(default_factory=list)

    @property
    def library(self) -> PlexLibrary:
        return self.plex.library

    @property
    def client(self) -> PlexClient:
        return PlexClient(self.plex.url, TOKEN, self.session)

    def service(
        self, mode: MatchFix, *, upload_posters: bool = False, plex: bool = True
    ) -> IngestService:
        """The service wired as the integration wires it, with a match policy."""
        tmdb = TMDbClient(
            self.session, api_key=TMDB_KEY, base_url=self.tmdb.url, store=self.store, backoff=0.01
        )
        identifier = Identifier(tmdb)
        root = self.root
        settings = Settings((root / "ingest",), root / "movies", root / "tv")
        pipeline = Pipeline(identifier, settings, lookup=LibraryIndex(self.client))

        async def run_blocking(job: Any) -> Any:
            return await asyncio.get_running_loop().run_in_executor(None, job)

        return IngestService(
            self.store,
            pipeline,
            identifier,
            tmdb,
            PlexSync(self.client, poll_interval=0.05, timeout=5) if plex else None,
            run_blocking=run_blocking,
            on_event=lambda kind, item: self.events.append((kind, item)),
            match_fix=mode,
            upload_posters=upload_posters,
        )

    def drop(self, name: str) -> Path:
        file = self.root / "ingest" / name
        file.write_bytes(b"video " * 1000)
        return file

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def plex_item(self, file: str | Path) -> Any:
        """The emulated Plex item (the movie, or the episode's show) holding `file`."""
        for item in self.library.items.values():
            if any(path == str(file) for path, _ in item.files):
                if item.type == "episode":
                    season = self.library.items[item.parent_key or 0]
                    return self.library.items[season.parent_key or 0]
                return item
        raise AssertionError(f"Plex has no item for {file}")

    def requests(self, method: str, suffix: str) -> list[dict[str, str]]:
        return [
            r.query for r in self.plex.requests if r.method == method and r.path.endswith(suffix)
        ]


@pytest.fixture
async def make_world(
    tmp_path: Path,
    tmdb_emulator: TMDbEmulator,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    emulators: Emulators,
) -> AsyncIterator[Callable[..., Any]]:
    """Builds the world; TMDb's poster addresses point at the TMDb emulator's image server."""
    for name in ("ingest", "movies", "tv"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(posters, "TMDB_IMAGE_BASE", tmdb_emulator.image_url)
    made: list[World] = []

    async def make(catalogue: Catalogue | None = None) -> World:
        plex = await emulators.start(PlexEmulator(movies_and_tv(tmp_path, catalogue), token=TOKEN))
        world = World(tmp_path, plex, tmdb_emulator, session, Store(tmp_path / "videodrome.db"))
        made.append(world)
        return world

    yield make
    for world in made:
        world.store.close()


@pytest.fixture
async def world(make_world: Callable[..., Any]) -> World:
    """Plex's scanner takes The Thing (1982) for the 2011 film."""
    made: World = await make_world()
    made.library.misidentify[THE_THING_1982] = THE_THING_2011
    return made


# --- the Plex API --------------------------------------------------------------------------


async def test_fix_match_search_by_id_and_by_title(world: World) -> None:
    """`tmdb-N` finds that one title; a title search ranks the namesakes, the year first."""
    await world.plex.scan(1)  # empty: nothing to match yet
    file = world.root / "movies" / "The Thing (1982)" / "The Thing (1982).mkv"
    file.parent.mkdir()
    file.write_bytes(b"x")
    await world.plex.scan(1)
    item = world.plex_item(file)
    assert item.guids[0] == f"tmdb://{THE_THING_2011}"  # the wrong one, as asked
    client = world.client

    (by_id,) = await client.matches(item.rating_key, title=f"tmdb-{THE_THING_1982}")
    assert (by_id.guid, by_id.name, by_id.year, by_id.matched) == (
        plex_guid("movie", THE_THING_1982), "The Thing", 1982, False,
    )  # fmt: skip
    ranked = await client.matches(item.rating_key, title="The Thing", year=2011, agent="x")
    assert [(r.year, r.matched) for r in ranked][:2] == [(2011, True), (1982, False)]
    assert (await client.matches(item.rating_key, title="tmdb-1")) == []
    query = world.requests("GET", "/matches")[-1]
    assert query == {"manual": "1", "title": "tmdb-1", "year": ""}

    await client.fix_match(item.rating_key, by_id)
    assert world.requests("PUT", "/match")[-1] == {
        "guid": plex_guid("movie", THE_THING_1982), "name": "The Thing", "year": "1982",
    }  # fmt: skip
    assert (item.title, item.year, item.guids[0]) == ("The Thing", 1982, "tmdb://1091")


async def test_the_emulator_refuses_what_plex_refuses(world: World) -> None:
    """Seasons cannot be matched, unknown guids are refused, an address without an image too."""
    world.drop("Breaking.Bad.S01E01.720p.HDTV.x264-CTU.mkv")
    await world.service(MatchFix.OFF).ingest(world.root / "ingest")
    season = next(i for i in world.library.items.values() if i.type == "season")
    show = world.library.items[season.parent_key or 0]
    status = await _status(world, "GET", f"/library/metadata/{season.rating_key}/matches")
    assert status == 400
    status = await _status(world, "PUT", f"/library/metadata/{show.rating_key}/match?guid=x")
    assert status == 400
    bad_url = f"{world.tmdb.image_url}/w342/nothing.jpg"
    assert (
        await _status(world, "POST", f"/library/metadata/{show.rating_key}/posters", bad_url) == 400
    )
    assert await _status(world, "POST", "/library/metadata/1/posters", bad_url) == 404
    assert await _status(world, "GET", "/library/metadata/1/matches") == 404


async def _status(world: World, method: str, path: str, url: str | None = None) -> int:
    params = {"url": url} if url else None
    async with world.session.request(
        method, world.plex.url + path, params=params, headers={"X-Plex-Token": TOKEN}
    ) as response:
        return response.status


async def test_the_timeline_follows_a_new_match(world: World) -> None:
    """Re-matching sends the timeline a metadata refresh sends (matching … processed)."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.OFF).ingest(world.root / "ingest")
    assert outcome.item is not None
    item = world.plex_item(outcome.item.destination or "")
    async with world.session.ws_connect(
        f"{world.plex.url}/:/websockets/notifications", headers={"X-Plex-Token": TOKEN}
    ) as websocket:
        await world.client.fix_match(
            item.rating_key,
            (await world.client.matches(item.rating_key, title="tmdb-1091"))[0],
        )
        message = orjson.loads((await websocket.receive()).data)["NotificationContainer"]
    assert message["type"] == "timeline"
    entries = message["TimelineEntry"]
    assert [e["state"] for e in entries] == [2, 3, 4, 5]
    assert {(e["itemID"], e["type"], e["title"]) for e in entries} == {
        (str(item.rating_key), 1, "The Thing")
    }


# --- after an ingest -----------------------------------------------------------------------


async def test_off_only_records_the_mismatch(world: World) -> None:
    """Mode off: filed, Plex's other title recorded, nothing asked of Plex."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.OFF).ingest(world.root / "ingest")
    item = outcome.item
    assert item is not None
    assert (item.status, item.plex_status, item.tmdb_id) == ("ingested", "plex_mismatch", 1091)
    assert world.kinds() == [Event.INGESTED]
    assert world.requests("PUT", "/match") == []
    assert world.plex_item(item.destination or "").year == 2011


async def test_auto_corrects_plex_and_records_it(world: World) -> None:
    """Mode auto: Plex re-matched to Videodrome's title, checked, recorded with the old guid."""
    video = world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.AUTO).ingest(world.root / "ingest")
    item = outcome.item
    assert item is not None
    assert outcome.status == "ingested"
    assert (item.status, item.plex_status) == ("ingested", "plex_corrected")
    assert item.plex_previous_guid == plex_guid("movie", THE_THING_2011)
    plex_item = world.plex_item(item.destination or "")
    assert (plex_item.title, plex_item.year) == ("The Thing", 1982)
    assert f"tmdb://{THE_THING_1982}" in plex_item.guids
    assert item.plex_rating_key == str(plex_item.rating_key)
    assert world.kinds() == [Event.INGESTED, Event.MATCH_CORRECTED]
    assert world.events[0][1].plex_status == "plex_corrected"
    assert (world.root / "movies").exists()
    assert video.exists()  # a hardlink: the download stays
    # The id search found it: no title search was needed.
    assert [q["title"] for q in world.requests("GET", "/matches")] == ["tmdb-1091"]
    assert world.store.get_item(item.id) == item


async def test_auto_asks_when_plex_cannot_be_corrected(make_world: Callable[..., Any]) -> None:
    """Plex's agent does not know the 1982 film: the file waits for a person instead."""
    demo = Catalogue.load()
    catalogue = Catalogue(
        movies=tuple(m for m in demo.movies if m.tmdb_id != THE_THING_1982), shows=demo.shows
    )
    world: World = await make_world(catalogue)
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.AUTO).ingest(world.root / "ingest")
    item = outcome.item
    assert item is not None
    assert (outcome.status, item.plex_status) == ("review", "plex_mismatch")
    assert "plex_mismatch" in item.reasons
    ours, plex = item.candidates
    assert (ours["source"], ours["tmdb_id"]) == ("videodrome", THE_THING_1982)
    # Plex left it unmatched: its candidate is its own title, without a TMDb id.
    assert (plex["source"], plex["tmdb_id"], plex["guid"][:8]) == ("plex", None, "local://")
    assert world.kinds() == [Event.INGESTED, Event.REVIEW_REQUIRED]
    titles = [q["title"] for q in world.requests("GET", "/matches")]
    assert titles == ["tmdb-1091", "The Thing"]  # by id, then by title and year: no such film
    assert world.requests("PUT", "/match") == []
    with pytest.raises(ReviewError, match="could not be changed"):
        await world.service(MatchFix.AUTO).approve(item.id)
    assert world.store.get_item(item.id).status == ItemStatus.REVIEW  # type: ignore[union-attr]


async def test_review_asks_with_both_titles(world: World) -> None:
    """Mode review: the filed file waits with Videodrome's title and Plex's, posters included."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    service = world.service(MatchFix.REVIEW)
    (outcome,) = await service.ingest(world.root / "ingest")
    item = outcome.item
    assert item is not None
    assert (outcome.status, item.status, item.plex_status) == ("review", "review", "plex_mismatch")
    assert item.destination is not None
    ours, plex = item.candidates
    assert (ours["source"], ours["tmdb_id"], ours["year"]) == ("videodrome", 1091, 1982)
    assert (plex["source"], plex["tmdb_id"], plex["year"]) == ("plex", 60935, 2011)
    assert plex["guid"] == plex_guid("movie", THE_THING_2011)
    assert posters.poster_url(plex["poster_path"]) is not None  # from TMDb, for the dashboard
    assert ours["poster_path"] != plex["poster_path"]
    assert world.kinds() == [Event.INGESTED, Event.REVIEW_REQUIRED]
    assert world.requests("PUT", "/match") == []
    assert service.store.review_count() == 1
    # A file already filed is not moved again: no season, episode or media type to change.
    with pytest.raises(ReviewError, match="already filed"):
        await service.approve(item.id, season=1)
    with pytest.raises(ReviewError, match=r"Videodrome's title \(1091\) or Plex's \(60935\)"):
        await service.approve(item.id, tmdb_id=603)


async def test_approving_videodrome_s_title_corrects_plex(world: World) -> None:
    """The person agrees with Videodrome: Plex re-matched, the file left where it is."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    service = world.service(MatchFix.REVIEW)
    (queued,) = await service.ingest(world.root / "ingest")
    assert queued.item is not None
    destination = queued.item.destination or ""
    before = {p.name for p in (world.root / "movies").rglob("*")}
    scans = len(world.requests("GET", "/refresh"))
    outcome = await service.approve(queued.item.id)
    item = outcome.item
    assert item is not None
    assert isinstance(outcome, Settled)
    assert (item.status, item.plex_status) == ("ingested", "plex_corrected")
    assert item.destination == destination
    assert item.plex_previous_guid == plex_guid("movie", THE_THING_2011)
    assert {p.name for p in (world.root / "movies").rglob("*")} == before
    assert len(world.requests("GET", "/refresh")) == scans  # no new scan, no move
    assert world.plex_item(destination).year == 1982
    assert world.kinds()[-2:] == [Event.APPROVED, Event.MATCH_CORRECTED]
    record = outcome.as_json()
    assert (record["item_id"], record["status"], record["plex_status"]) == (
        item.id, "ingested", "plex_corrected",
    )  # fmt: skip
    assert service.store.review_count() == 0


async def test_approving_when_someone_fixed_plex_meanwhile(world: World) -> None:
    """Plex already shows Videodrome's title: recorded as matched, nothing changed in Plex."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    service = world.service(MatchFix.REVIEW)
    (queued,) = await service.ingest(world.root / "ingest")
    assert queued.item is not None
    plex_item = world.plex_item(queued.item.destination or "")
    await world.client.fix_match(
        plex_item.rating_key,
        (await world.client.matches(plex_item.rating_key, title="tmdb-1091"))[0],
    )
    puts = len(world.requests("PUT", "/match"))
    outcome = await service.approve(queued.item.id, tmdb_id=THE_THING_1982)
    assert outcome.item is not None
    assert outcome.item.plex_status == "plex_matched"
    assert len(world.requests("PUT", "/match")) == puts
    assert world.kinds()[-1] == Event.APPROVED


async def test_approving_plex_s_title_keeps_plex_s_match(world: World) -> None:
    """The person agrees with Plex: recorded as Plex's title; file and Plex left alone."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    service = world.service(MatchFix.REVIEW)
    (queued,) = await service.ingest(world.root / "ingest")
    assert queued.item is not None
    destination = queued.item.destination
    outcome = await service.approve(queued.item.id, tmdb_id=THE_THING_2011)
    item = outcome.item
    assert item is not None
    assert (item.status, item.plex_status) == ("ingested", "plex_accepted")
    assert (item.tmdb_id, item.title, item.year) == (THE_THING_2011, "The Thing", 2011)
    assert (item.tvdb_id, item.imdb_id) == (None, None)  # they were the other film's
    assert "plex_match_accepted" in item.reasons
    assert item.destination == destination  # the file keeps its place and name
    assert world.requests("PUT", "/match") == []
    assert world.plex_item(destination or "").year == 2011
    assert world.kinds()[-1] == Event.APPROVED
    assert posters.item_poster_url(item.tmdb_id, item.candidates) is not None


async def test_rejecting_leaves_things_as_they_are(world: World) -> None:
    """Rejected: out of the queue, still filed, Plex's match untouched, not offered again."""
    video = world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    service = world.service(MatchFix.REVIEW)
    (queued,) = await service.ingest(world.root / "ingest")
    assert queued.item is not None
    kept = await service.reject(queued.item.id)
    assert (kept.status, kept.plex_status) == ("ingested", "plex_mismatch")
    assert kept.destination == queued.item.destination
    assert world.requests("PUT", "/match") == []
    assert world.kinds()[-1] == Event.REJECTED
    assert service.store.review_count() == 0
    (again,) = await service.ingest(video)
    assert again.status == "already_handled"


async def test_a_show_matched_to_another_show_is_corrected(world: World) -> None:
    """An episode's show is what Plex matched: the show is re-matched, episodes follow."""
    world.library.misidentify[BREAKING_BAD] = THE_WIRE
    world.drop("Breaking.Bad.S01E01.720p.HDTV.x264-CTU.mkv")
    (outcome,) = await world.service(MatchFix.AUTO).ingest(world.root / "ingest")
    item = outcome.item
    assert item is not None
    assert item.plex_status == "plex_corrected"
    assert item.plex_previous_guid == plex_guid("show", THE_WIRE)
    show = world.plex_item(item.destination or "")
    assert (show.title, f"tmdb://{BREAKING_BAD}" in show.guids) == ("Breaking Bad", True)
    episodes = [i for i in world.library.items.values() if i.type == "episode"]
    assert [e.guid.startswith(show.guid) for e in episodes] == [True]
    assert item.plex_rating_key == str(episodes[0].rating_key)  # the episode, as before


# --- posters -------------------------------------------------------------------------------


async def test_a_poster_for_an_item_plex_has_none_for(world: World) -> None:
    """Upload on: Plex downloads TMDb's poster (a JPEG) for an item without one."""
    world.library.without_posters.add(603)
    world.drop("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv")
    (outcome,) = await world.service(MatchFix.OFF, upload_posters=True).ingest(
        world.root / "ingest"
    )
    assert outcome.item is not None
    assert outcome.item.plex_status == "plex_matched"
    plex_item = world.plex_item(outcome.item.destination or "")
    (upload,) = world.requests("POST", "/posters")
    assert upload["url"] == posters.item_poster_url(603, outcome.item.candidates)
    assert upload["url"].startswith(world.tmdb.image_url)
    assert plex_item.poster == upload["url"]
    assert world.library.poster_images[plex_item.rating_key].startswith(JPEG)
    metadata = await world.client.metadata(plex_item.rating_key)
    assert metadata["thumb"].startswith(f"/library/metadata/{plex_item.rating_key}/thumb/")


async def test_no_poster_upload_when_plex_has_one_or_when_off(world: World) -> None:
    """Plex's own poster is kept; with upload off nothing is uploaded at all."""
    world.drop("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv")
    await world.service(MatchFix.OFF, upload_posters=True).ingest(world.root / "ingest")
    world.library.without_posters.add(949)
    world.drop("Heat.1995.mkv")
    await world.service(MatchFix.OFF).ingest(world.root / "ingest")
    assert world.requests("POST", "/posters") == []


async def test_a_corrected_item_gets_its_poster(world: World) -> None:
    """Corrected to a title Plex has no poster for: the poster follows the correction."""
    world.library.without_posters.add(THE_THING_1982)
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.AUTO, upload_posters=True).ingest(
        world.root / "ingest"
    )
    assert outcome.item is not None
    assert outcome.item.plex_status == "plex_corrected"
    plex_item = world.plex_item(outcome.item.destination or "")
    assert world.library.poster_images[plex_item.rating_key].startswith(JPEG)


async def test_a_failed_poster_upload_is_only_logged(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plex cannot download the poster: the ingest still succeeds, a warning says why."""
    world.library.without_posters.add(603)
    monkeypatch.setattr(posters, "TMDB_IMAGE_BASE", world.tmdb.image_url + "/gone")
    world.drop("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv")
    (outcome,) = await world.service(MatchFix.OFF, upload_posters=True).ingest(
        world.root / "ingest"
    )
    assert outcome.item is not None
    assert (outcome.item.status, outcome.item.plex_status) == ("ingested", "plex_matched")
    assert len(world.requests("POST", "/posters")) == 1
    assert "Could not give Plex the poster of The Matrix" in caplog.text


# --- the fixer on its own ------------------------------------------------------------------


async def test_the_fixer_without_an_item_or_an_address(world: World) -> None:
    """Nothing to re-match or to give a poster to: refused, or nothing done."""
    fixer = MatchFixer(PlexSync(world.client))
    target = MatchTarget(THE_THING_1982, "The Thing", 1982)
    with pytest.raises(PlexMatchError, match="no item"):
        await fixer.correct(Verification(PLEX_NOT_FOUND), target)
    assert not await fixer.give_poster(None, "http://127.0.0.1/x.jpg")
    assert not await fixer.give_poster("1000", None)
    sync = PlexSync(world.client)
    unverified = Verification(PLEX_NOT_FOUND)
    assert await sync.reverify(unverified, target.wanted()) is unverified
    gone = Verification("plex_mismatch", section_key=99, file="/nowhere.mkv")
    assert (await sync.reverify(gone, target.wanted())).status == PLEX_NOT_FOUND
    assert (await sync.check(world.root / "elsewhere" / "x.mkv", set())).status == PLEX_NOT_FOUND


async def test_without_an_id_search_the_title_and_year_decide(world: World) -> None:
    """An id Plex's agent cannot find: the title search is used, and a match that does not
    give Plex the wanted id is refused rather than recorded as corrected."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.OFF).ingest(world.root / "ingest")
    assert outcome.item is not None
    sync = PlexSync(world.client)
    unknown_id = MatchTarget(999_999, "The Thing", 1982)
    before = await sync.check(Path(outcome.item.destination or ""), unknown_id.wanted())
    assert before.status == "plex_mismatch"
    with pytest.raises(PlexMatchError, match="did not take"):
        await MatchFixer(sync).correct(before, unknown_id)
    # The title search found the 1982 film and Plex took it.
    assert world.plex_item(outcome.item.destination or "").year == 1982
    assert [q["title"] for q in world.requests("GET", "/matches")] == ["tmdb-999999", "The Thing"]
    # Without a section, no agent is named, and nothing can be checked afterwards.
    orphan = replace(before, section_key=None)
    with pytest.raises(PlexMatchError, match="did not take"):
        await MatchFixer(sync).correct(orphan, MatchTarget(THE_THING_2011, "The Thing", 2011))
    assert "agent" not in world.requests("GET", "/matches")[-1]


async def test_a_match_without_a_year_is_sent_without_one(world: World) -> None:
    """python-plexapi sends guid and name; the year only when the search result has one."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.OFF).ingest(world.root / "ingest")
    assert outcome.item is not None
    item = world.plex_item(outcome.item.destination or "")
    result = MatchResult(plex_guid("movie", THE_THING_1982), "The Thing", None, None, False)
    await world.client.fix_match(item.rating_key, result)
    assert world.requests("PUT", "/match")[-1] == {"guid": result.guid, "name": "The Thing"}


def test_plex_s_tmdb_id_is_read_from_its_guids() -> None:
    """Only a `tmdb://<number>` guid gives Plex's TMDb id."""
    ids = ("imdb://tt0084787", "tmdb://not-a-number", "tvdb://1", "tmdb://1091")
    assert Verification("plex_mismatch", plex_ids=ids).plex_tmdb_id() == 1091
    assert Verification("plex_mismatch", plex_ids=ids[:3]).plex_tmdb_id() is None


def test_no_target_without_a_match() -> None:
    """A file Videodrome could not identify has nothing to match Plex to."""
    found = Identification("x.mkv", parse("x.mkv"), Decision.MANUAL, 0.0, ("no_candidates",))
    assert MatchTarget.of(found) is None


async def test_plex_s_title_unknown_to_tmdb_is_still_offered(
    world: World, tmdb_emulator: TMDbEmulator
) -> None:
    """TMDb has no details for Plex's title: it is offered without a poster."""
    del tmdb_emulator.movies[THE_THING_2011]
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.REVIEW).ingest(world.root / "ingest")
    assert outcome.item is not None
    _ours, plex = outcome.item.candidates
    assert (plex["tmdb_id"], plex["title"], plex["poster_path"]) == (60935, "The Thing", None)


async def test_an_item_without_a_title_cannot_be_settled(world: World) -> None:
    """A queued mismatch that lost its title (an old or edited history) is refused clearly."""
    item = world.store.add_item(
        source=str(world.root / "ingest" / "x.mkv"),
        status=ItemStatus.REVIEW,
        plex_status="plex_mismatch",
        reasons=["plex_mismatch"],
        destination=str(world.root / "movies" / "x.mkv"),
    )
    with pytest.raises(ReviewError, match="no title to match Plex to"):
        await world.service(MatchFix.REVIEW).approve(item.id)


async def test_python_plexapi_reads_the_emulator_s_search_results(world: World) -> None:
    """The XML form of `/matches` is what python-plexapi's `SearchResult` parses."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    (outcome,) = await world.service(MatchFix.OFF).ingest(world.root / "ingest")
    assert outcome.item is not None
    item = world.plex_item(outcome.item.destination or "")
    async with world.session.get(
        f"{world.plex.url}/library/metadata/{item.rating_key}/matches",
        params={"manual": "1", "title": "The Thing"},
        headers={"X-Plex-Token": TOKEN},
    ) as response:
        root = ET.fromstring(await response.read())
    # python-plexapi is untyped.
    parsed = [SearchResult(None, e) for e in root.iter(SearchResult.TAG)]  # type: ignore[no-untyped-call]
    assert [(r.name, r.year, r.score) for r in parsed] == [
        ("The Thing", "1982", 90),
        ("The Thing", "2011", 90),
    ]
    assert parsed[1].guid == item.guid  # Plex's current match is among them


async def test_without_plex_nothing_is_checked_or_corrected(world: World) -> None:
    """No Plex server to ask: the file is filed and announced, its match not checked."""
    world.drop("The.Thing.1982.1080p.BluRay.x264.mkv")
    service = world.service(MatchFix.AUTO, plex=False)
    assert service.follow_up is None
    (outcome,) = await service.ingest(world.root / "ingest")
    assert outcome.item is not None
    assert (outcome.status, outcome.item.plex_status) == ("ingested", "plex_not_checked")
    assert world.kinds() == [Event.INGESTED]
