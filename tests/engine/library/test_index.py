"""The in-memory library index against the Plex emulator: build, lookups, availability, updates."""

from __future__ import annotations

import asyncio
from pathlib import Path
import threading
from typing import TYPE_CHECKING, Any, Self

import orjson
import pytest

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.library.building import SnapshotBuilder, build
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.library.parsing import parse_episode, parse_item
from custom_components.videodrome.engine.library.records import (
    Episode,
    Existing,
    Item,
    Season,
    Snapshot,
)
from custom_components.videodrome.engine.library.seasons import (
    SeasonState,
    ShowSeasons,
    show_seasons,
)
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.notifications import (
    Notification,
    PlexNotificationListener,
)
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.engine.tmdb.models import SeasonSummary
from tests.conftest import PLEX_TOKEN
from tests.emulators.plex import PlexEmulator
from tests.engine.conftest import TMDB_KEY, movies_and_tv
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import Callable

    import aiohttp

    from tests.emulators.plex_library import Item as PlexItem
    from tests.emulators.server import Emulators
    from tests.emulators.tmdb import TMDbEmulator

TOKEN = "library-index-token"


@pytest.fixture
async def client(plex_emulator: PlexEmulator, session: aiohttp.ClientSession) -> PlexClient:
    return PlexClient(plex_emulator.url, PLEX_TOKEN, session)


@pytest.fixture
async def index(client: PlexClient) -> LibraryIndex:
    built = LibraryIndex(client, page_size=7)  # small pages: several per section
    await built.refresh()
    return built


@pytest.fixture
async def empty_plex(tmp_path: Path, emulators: Emulators) -> PlexEmulator:
    """An empty Plex with a Movies and a TV section over folders in tmp_path."""
    for name in ("movies", "tv"):
        (tmp_path / name).mkdir()
    emulator = PlexEmulator(movies_and_tv(tmp_path), token=TOKEN)
    emulator.faults.scan_duration = 0.0
    return await emulators.start(emulator)


def _place(root: Path, relative: str) -> Path:
    file = root / relative
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(b"video")
    return file


def _emulated(plex: PlexEmulator, kind: str) -> list[PlexItem]:
    return [item for item in plex.library.items.values() if item.type == kind]


def _guid(item: PlexItem, scheme: str) -> str | None:
    prefix = f"{scheme}://"
    return next((g.removeprefix(prefix) for g in item.guids if g.startswith(prefix)), None)


# ---- build ----------------------------------------------------------------------------------


async def test_the_index_holds_what_plex_holds(
    plex_emulator: PlexEmulator, index: LibraryIndex
) -> None:
    snapshot = index.snapshot
    assert index.loaded
    movies, shows = _emulated(plex_emulator, "movie"), _emulated(plex_emulator, "show")
    episodes = _emulated(plex_emulator, "episode")
    assert snapshot.counts() == {1: len(movies), 2: len(shows)}
    assert dict(snapshot.sections) == {1: "movie", 2: "show"}
    assert len(snapshot.episodes) == len(episodes)
    for movie in movies:
        record = snapshot.items[movie.rating_key]
        assert (record.kind, record.title, record.year) == ("movie", movie.title, movie.year)
        assert record.tmdb == (int(t) if (t := _guid(movie, "tmdb")) else None)
        assert record.imdb == _guid(movie, "imdb")
        assert record.files == tuple(file for file, _ in movie.files)
        assert record.resolution == "sd"
        assert record.watched == bool(movie.view_count)
        assert record.leaf_count == 1
        assert record.viewed_leaf_count == int(bool(movie.view_count))
    for show in shows:
        record = snapshot.items[show.rating_key]
        assert record.tvdb == (int(t) if (t := _guid(show, "tvdb")) else None)
        leaves = plex_emulator.library.leaves(show)
        assert record.leaf_count == len(leaves)
        assert record.viewed_leaf_count == sum(1 for leaf in leaves if leaf.view_count)
        seasons = plex_emulator.library.children(show.rating_key)
        assert [s.number for s in record.seasons] == [s.index for s in seasons]
        for season, emulated in zip(record.seasons, seasons, strict=True):
            numbers = [e.index for e in plex_emulator.library.children(emulated.rating_key)]
            assert list(season.numbers) == numbers
            assert season.leaf_count == len(numbers)


async def test_build_pages_concurrently_and_checks_its_page_size(
    plex_emulator: PlexEmulator, client: PlexClient
) -> None:
    plex_emulator.requests.clear()
    snapshot = await build(client, page_size=5, concurrency=2)
    pages = [r for r in plex_emulator.requests if r.path.endswith("/all")]
    assert all(r.query["includeGuids"] == "1" for r in pages)
    assert {r.query["type"] for r in pages} == {"1", "2", "4"}
    movies = len(_emulated(plex_emulator, "movie"))
    assert sum(1 for r in pages if r.query["type"] == "1") == -(-movies // 5)
    assert len(snapshot.items) == movies + len(_emulated(plex_emulator, "show"))
    with pytest.raises(ValueError, match="page_size"):
        await build(client, page_size=0)


# ---- lookups --------------------------------------------------------------------------------


async def test_lookups_say_loading_before_the_first_build(client: PlexClient) -> None:
    index = LibraryIndex(client)
    assert not index.loaded
    for answer in (index.by_id(tmdb=603), index.by_title("The Matrix")):
        assert answer.loading
        assert not answer.found
        assert answer.first is None
    await index.refresh()
    answer = index.by_id(tmdb=603)
    assert not answer.loading
    assert answer.first is not None
    assert answer.first.title == "The Matrix"


async def test_lookups_by_each_id(index: LibraryIndex) -> None:
    matrix = index.by_id(tmdb=603).first
    assert matrix is not None
    assert matrix.kind == "movie"
    assert index.by_id(imdb="tt0133093").matches == (matrix,)
    assert index.by_id(tmdb=603, imdb="tt0133093").matches == (matrix,)
    assert not index.by_id(tmdb=603, kind="show").found
    office = index.by_id(tvdb=73244).first
    assert office is not None
    assert (office.title, office.year, office.kind, office.tmdb) == (
        "The Office",
        2005,
        "show",
        2316,
    )
    assert index.by_id(tmdb=2316, kind="show").matches == (office,)
    assert index.by_id(imdb="tt0386676").matches == (office,)
    assert not index.by_id(tmdb=999_999_999).found
    assert not index.by_id().found


async def test_lookups_by_title(index: LibraryIndex) -> None:
    found = index.by_title("the matrix")
    assert [m.item.tmdb for m in found.matches] == [603]
    assert found.matches[0].similarity == 1.0
    assert index.by_title("Matrix", year=1999, kind="movie").first is not None
    assert index.by_title("The Matrix", year=2000).found  # within one year
    assert not index.by_title("The Matrix", year=2005).found
    assert not index.by_title("The Matrix", kind="show").found
    assert not index.by_title("").found
    assert not index.by_title("!!!").found
    # Fuzzy: a typo still finds it; a sequel number does not.
    typo = index.by_title("Interstelar")
    assert typo.first is not None
    assert typo.first.item.title == "Interstellar"
    assert typo.first.similarity < 1.0
    assert not index.by_title("Interstellar 2").found
    # Two shows share a name: both, the year picks one.
    offices = index.by_title("The Office", kind="show").matches
    assert {m.item.tmdb for m in offices} >= {2316}
    dated = index.by_title("The Office", year=2005, kind="show").first
    assert dated is not None
    assert dated.item.tmdb == 2316


async def test_a_reader_keeps_its_snapshot_while_a_rebuild_runs(
    plex_emulator: PlexEmulator, index: LibraryIndex
) -> None:
    held = index.snapshot
    before = held.counts()
    plex_emulator.faults.latency = 0.05
    rebuild = asyncio.create_task(index.refresh())
    await asyncio.sleep(0.01)
    # While the rebuild runs the index still serves the old, complete snapshot.
    assert index.snapshot is held
    assert index.by_id(tmdb=603).found
    plex_emulator.library.remove_section(1)
    new = await rebuild
    assert index.snapshot is new
    assert held.counts() == before  # the reader's view never changed
    assert held.by_id(tmdb=603)
    assert not new.by_id(tmdb=603)
    assert 1 not in new.sections


# ---- availability ---------------------------------------------------------------------------


async def test_availability_against_tmdb_seasons(index: LibraryIndex) -> None:
    show = index.by_id(tmdb=1396).first  # Breaking Bad: 1 (watched), 2, 3 (episodes 1-5)
    assert show is not None
    tmdb = [SeasonSummary(n, c) for n, c in ((0, 3), (1, 7), (2, 13), (3, 13), (4, 13), (5, 16))]
    result = index.show_seasons(show, tmdb)
    assert result.present_seasons == (1, 2, 3)
    assert result.missing_seasons == (4, 5)
    assert result.missing_episodes == {3: ((6, 13),)}
    assert result.watched == {1: (7, 7), 2: (0, 13), 3: (0, 5)}
    assert result.summary() == (
        "seasons 1\u20133 present, seasons 4\u20135 missing; "
        "season 3 is missing episodes 6\u201313; season 1 watched"
    )
    office = index.by_id(tmdb=2316).first  # The Office: season 2 lacks episode 4
    assert office is not None
    gaps = show_seasons(office, [SeasonSummary(1, 6), SeasonSummary(2, 22), SeasonSummary(3, 0)])
    assert gaps.missing_episodes == {2: ((4, 4), (6, 22))}
    assert gaps.missing_seasons == ()
    assert "season 2 is missing episodes 4, 6\u201322" in gaps.summary()
    alone = show_seasons(office, None)
    assert alone.missing_seasons == ()
    assert alone.missing_episodes == {}
    assert alone.summary() == "seasons 1\u20132 present"


def _episode(season: int, number: int, watched: bool) -> Episode:
    key = season * 100 + number
    return Episode(key, 1, season, number, f"E{number}", None, None, watched)


def test_availability_summary_in_words() -> None:
    seasons = (
        Season.of(0, [_episode(0, 1, False)]),
        Season.of(4, [_episode(4, n, n <= 2) for n in range(1, 5)]),
        Season.of(5, [_episode(5, n, n == 1) for n in (1, 2, 3)]),
        Season.of(6, [_episode(6, 2, False)]),
    )
    show = Item(1, "show", "Show", 2001, 2, seasons=seasons)
    tmdb = [SeasonSummary(n, 3) for n in (1, 4, 5, 6)]
    result = show_seasons(show, tmdb)
    assert result.summary() == (
        "seasons 4\u20136 present, season 1 missing; season 6 is missing episodes 1, 3; "
        "season 4 half watched; season 5 1 of 3 episodes watched"
    )
    assert result.seasons[1] == SeasonState(4, 4, 3, (), 2)
    assert seasons[1].episode(2) is not None
    assert seasons[1].episode(9) is None
    assert show.season(7) is None
    nothing = ShowSeasons(seasons=(), missing_seasons=(1,))
    assert nothing.summary() == "no seasons present, season 1 missing"


# ---- the pipeline's lookup ------------------------------------------------------------------


async def test_find_a_movie_and_an_episode(
    plex_emulator: PlexEmulator,
    client: PlexClient,
    session: aiohttp.ClientSession,
    tmdb_emulator: TMDbEmulator,
) -> None:
    identifier = Identifier(TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url))
    index = LibraryIndex(client)
    movie = await identifier.identify("The.Matrix.1999.1080p.BluRay.x264.mkv")
    existing = await index.find(movie)  # the first question builds the index
    assert index.loaded
    matrix = next(i for i in _emulated(plex_emulator, "movie") if i.title == "The Matrix")
    assert existing == Existing(str(matrix.rating_key), "The Matrix", matrix.files[0][0], "sd")
    episode = await identifier.identify("Breaking.Bad.S02E03.720p.mkv")
    found = await index.find(episode)
    assert found is not None
    bad = next(i for i in _emulated(plex_emulator, "show") if i.title == "Breaking Bad")
    season = plex_emulator.library.children(bad.rating_key)[1]
    third = plex_emulator.library.children(season.rating_key)[2]
    assert found == Existing(str(third.rating_key), third.title, third.files[0][0], "sd")
    assert await index.find(await identifier.identify("Breaking.Bad.S03E09.720p.mkv")) is None
    assert await index.find(await identifier.identify("Breaking.Bad.S07E01.720p.mkv")) is None
    assert await index.find(await identifier.identify("Blade.Runner.2049.2017.mkv")) is not None
    assert await index.find(await identifier.identify("Oppenheimer.2023.mkv")) is None
    assert await index.find(await identifier.identify("zzqx qqqq.mkv")) is None
    # invalidate(): the next find reads Plex again (and survives Plex being away).
    requests = len(plex_emulator.requests)
    index.invalidate()
    assert index.stale
    plex_emulator.faults.fail_next = 1
    assert await index.find(movie) is not None  # the old snapshot answers
    assert len(plex_emulator.requests) > requests
    assert await index.find(movie) is not None
    assert not index.stale


async def test_an_index_without_a_client(client: PlexClient) -> None:
    index = LibraryIndex()
    assert not await index.apply(Notification("timeline", ()))
    with pytest.raises(RuntimeError, match="no Plex client"):
        await index.refresh()
    index.swap(await build(client))
    assert index.by_id(tmdb=603).found
    assert not await index.apply(Notification("timeline", ()))


# ---- notifications --------------------------------------------------------------------------


class _Collector:
    """A real notification listener on the emulator's websocket, keeping what arrives."""

    def __init__(self, client: PlexClient) -> None:
        self.received: list[Notification] = []
        self.listener = PlexNotificationListener(client, self.received.append)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self.task = asyncio.create_task(self.listener.run())
        await until(lambda: self.listener.connected)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    def take(self) -> list[Notification]:
        taken, self.received[:] = list(self.received), []
        return taken


async def _settle(collector: _Collector, scans: int = 2) -> list[Notification]:
    """The notifications of `scans` scans, up to the last "Library scan complete"."""
    await until(lambda: sum(n.type == "status" for n in collector.received) >= scans)
    return collector.take()


async def test_timeline_notifications_add_update_and_delete(
    empty_plex: PlexEmulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    client = PlexClient(empty_plex.url, TOKEN, session)
    index = LibraryIndex(client)
    _place(tmp_path / "movies", "The Matrix (1999)/The Matrix (1999).mkv")
    await empty_plex.scan()
    await index.refresh()
    assert index.by_id(tmdb=603).found
    async with _Collector(client) as collector:
        # A new movie and a new show with two episodes, through the real websocket.
        _place(tmp_path / "movies", "Inception (2010)/Inception (2010) 2160p.mkv")
        for number in (1, 2):
            _place(
                tmp_path / "tv",
                f"Breaking Bad (2008)/Season 01/Breaking Bad (2008) - s01e0{number}.mkv",
            )
        await empty_plex.scan()
        arrived = await _settle(collector)
        held = index.snapshot
        changed = [await index.apply(n) for n in arrived]
        assert any(changed)
        assert index.snapshot is not held
        inception = index.by_id(tmdb=27205).first
        assert inception is not None
        assert inception.resolution == "4k"
        assert inception.section == 1
        show = index.by_id(tmdb=1396, kind="show").first
        assert show is not None
        assert show.season(1) is not None
        assert show.seasons[0].numbers == (1, 2)
        assert index.by_title("Inception").found
        assert not held.by_id(tmdb=27205)  # the old snapshot is untouched
        # Deleting a file: its episode goes; the last episode takes the show with it.
        (tmp_path / "tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - s01e02.mkv").unlink()
        await empty_plex.scan()
        for notification in await _settle(collector):
            await index.apply(notification)
        show = index.by_id(tmdb=1396).first
        assert show is not None
        assert show.seasons[0].numbers == (1,)
        assert len(index.snapshot.episodes) == 1
        (tmp_path / "tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - s01e01.mkv").unlink()
        (tmp_path / "movies/Inception (2010)/Inception (2010) 2160p.mkv").unlink()
        await empty_plex.scan()
        for notification in await _settle(collector):
            await index.apply(notification)
    assert not index.by_id(tmdb=1396).found
    assert not index.by_id(tmdb=27205).found
    assert not index.by_title("Inception").found
    assert index.snapshot.episodes == {}
    assert index.snapshot.counts() == {1: 1, 2: 0}


def _timeline(*entries: dict[str, Any]) -> Notification:
    raw = {"NotificationContainer": {"type": "timeline", "TimelineEntry": list(entries)}}
    parsed = Notification.parse(orjson.dumps(raw))
    assert parsed is not None
    return parsed


def _entry(item: PlexItem, state: int, **extra: Any) -> dict[str, Any]:
    codes = {"movie": 1, "show": 2, "season": 3, "episode": 4}
    return {
        "identifier": "com.plexapp.plugins.library",
        "sectionID": str(item.section_key),
        "itemID": str(item.rating_key),
        "type": codes[item.type],
        "title": item.title,
        "state": state,
        **extra,
    }


async def test_updates_from_hand_made_notifications(
    plex_emulator: PlexEmulator, index: LibraryIndex
) -> None:
    emulated = plex_emulator.library
    matrix = next(i for i in _emulated(plex_emulator, "movie") if i.title == "The Matrix")
    # Plex renames an item (a fixed match): state 5 fetches it again.
    matrix.title = "The Matrix (Director's Cut)"
    before = index.snapshot
    assert await index.apply(_timeline(_entry(matrix, 5)))
    # Copy on write: the maps a movie does not touch are shared with the old snapshot.
    assert index.snapshot.episodes is before.episodes
    assert index.snapshot.tvdb_index is before.tvdb_index
    assert index.snapshot.items is not before.items
    assert before.items[matrix.rating_key].title == "The Matrix"
    assert index.by_title("The Matrix Directors Cut").found
    assert not index.by_title("The Matrix", year=1999).found
    # Watching an episode, then Plex reports the episode again.
    show = next(i for i in _emulated(plex_emulator, "show") if i.title == "Breaking Bad")
    season = emulated.children(show.rating_key)[1]
    episode = emulated.children(season.rating_key)[0]
    episode.view_count = 1
    assert await index.apply(_timeline(_entry(episode, 5)))
    record = index.by_id(tmdb=1396).first
    assert record is not None
    assert record.season(2) is not None
    assert record.season(2).viewed_leaf_count == 1  # type: ignore[union-attr]
    # A show renamed keeps its episodes.
    episodes = record.leaf_count
    show.title = "Breaking Bad (US)"
    assert await index.apply(_timeline(_entry(show, 5)))
    renamed = index.by_id(tmdb=1396).first
    assert renamed is not None
    assert renamed.title == "Breaking Bad (US)"
    assert renamed.leaf_count == episodes
    # Entries that change nothing: other states, seasons, other identifiers, no item.
    ignored = _timeline(
        _entry(matrix, 0),
        _entry(season, 5),
        _entry(matrix, 5, identifier="com.plexapp.plugins.other"),
        {"type": 1, "state": 5},
    )
    held = index.snapshot
    assert not await index.apply(ignored)
    assert not await index.apply(Notification("playing", ({"state": "playing"},)))
    assert index.snapshot is held
    # An item Plex no longer has is dropped even if the entry says "processed".
    del emulated.items[matrix.rating_key]
    assert await index.apply(_timeline(_entry(matrix, 5)))
    assert not index.by_id(tmdb=603).found
    # Deleting a whole show drops its episodes; deleting an unknown key is harmless.
    assert await index.apply(_timeline(_entry(show, 9), {"itemID": "1", "type": 4, "state": 9}))
    assert not index.by_id(tmdb=1396).found
    assert all(e.show_key != show.rating_key for e in index.snapshot.episodes.values())


async def test_an_episode_of_an_unknown_show_brings_the_show(
    plex_emulator: PlexEmulator, client: PlexClient
) -> None:
    index = LibraryIndex(client)
    await index.refresh()
    show = next(i for i in _emulated(plex_emulator, "show") if i.title == "Breaking Bad")
    episodes = plex_emulator.library.leaves(show)
    # The index forgets the show, then hears of one episode only.
    await index.apply(_timeline(_entry(show, 9)))
    assert not index.by_id(tmdb=1396).found
    assert await index.apply(_timeline(_entry(episodes[0], 5)))
    record = index.by_id(tmdb=1396).first
    assert record is not None
    assert record.leaf_count == 1
    # A scan of the section ends: the section is read again and the show is whole.
    ended = {
        "event": "ended",
        "uuid": "u",
        "Activity": {
            "uuid": "u",
            "type": "library.update.section",
            "Context": {"librarySectionID": "2"},
        },
    }
    started = {**ended, "event": "started"}
    assert not await index.apply(Notification("activity", (started,)))
    assert await index.apply(Notification("activity", (ended,)))
    record = index.by_id(tmdb=1396).first
    assert record is not None
    assert record.leaf_count == len(episodes)


async def test_a_section_scan_rebuilds_that_section(
    plex_emulator: PlexEmulator, index: LibraryIndex, media_root: Path
) -> None:
    async with _Collector(index._need_client()) as collector:
        _place(media_root / "Movies", "Dune (2021)/Dune (2021).mkv")
        await plex_emulator.scan(1)
        arrived = await _settle(collector, scans=1)
    activities = [n for n in arrived if n.type == "activity"]
    assert activities
    held = index.snapshot
    shows = {k: v for k, v in held.items.items() if v.kind == "show"}
    for notification in activities:
        await index.apply(notification)
    assert index.by_id(tmdb=438631).found
    assert index.snapshot.items.keys() >= shows.keys()
    assert index.snapshot.items[next(iter(shows))] is shows[next(iter(shows))]
    # A section that went away, or that Plex never had, leaves nothing behind.
    plex_emulator.library.remove_section(1)
    assert await index.rebuild_sections([1, 77])
    assert 1 not in index.snapshot.sections
    assert index.snapshot.counts() == {2: len(shows)}


def _content(snapshot: Snapshot) -> dict[str, Any]:
    """What a snapshot holds, whatever the order its lookups list items in."""
    indexes = ("tmdb_index", "tvdb_index", "imdb_index", "title_index")
    return {
        "sections": dict(snapshot.sections),
        "items": dict(snapshot.items),
        "episodes": dict(snapshot.episodes),
        **{
            name: {k: sorted(i.rating_key for i in v) for k, v in getattr(snapshot, name).items()}
            for name in indexes
        },
        "title_keys": sorted(snapshot.title_keys),
    }


async def test_a_section_read_again_keeps_what_did_not_change(
    plex_emulator: PlexEmulator, index: LibraryIndex, client: PlexClient, media_root: Path
) -> None:
    """Unchanged shows, seasons and episodes stay the same objects (nothing new for the garbage
    collector to count toward a full collection); what changed is new, and the snapshot holds
    what one built from scratch holds."""
    before = index.snapshot
    shows = sorted(_emulated(plex_emulator, "show"), key=lambda i: i.rating_key)
    assert len(shows) >= 3
    renamed, rewatched, shrunk = shows[:3]
    renamed.title = "Renamed Show"

    def leaves(show: PlexItem) -> list[PlexItem]:
        return plex_emulator.library.leaves(show)

    for leaf in leaves(rewatched)[:1]:
        plex_emulator.library.mark_watched(leaf.rating_key, not leaf.view_count)
    gone = leaves(shrunk)[0]
    for path, _size in gone.files:
        Path(path).unlink()
    await plex_emulator.scan(2)
    assert gone.rating_key not in plex_emulator.library.items

    assert await index.rebuild_sections([2])
    after = index.snapshot
    assert _content(after) == _content(await build(client, page_size=7))
    assert after.items[renamed.rating_key].title == "Renamed Show"
    assert gone.rating_key not in after.episodes
    changed = {renamed.rating_key, rewatched.rating_key, shrunk.rating_key}
    kept = [k for k, v in before.items.items() if v.kind == "show" and k not in changed]
    assert kept
    for key in kept:
        assert after.items[key] is before.items[key]
    for key in changed:
        assert after.items[key] is not before.items[key]
    # Episodes: only the one watched or unwatched is new.
    toggled = leaves(rewatched)[0].rating_key
    for key, episode in after.episodes.items():
        assert (episode is before.episodes[key]) is (key != toggled)
    # The movie section, not read again, is untouched.
    movies = [k for k, v in before.items.items() if v.kind == "movie"]
    assert movies
    assert all(after.items[k] is before.items[k] for k in movies)


async def test_snapshots_are_put_together_off_the_event_loop(
    plex_emulator: PlexEmulator, client: PlexClient
) -> None:
    """Building, a section read again and a notification: each new snapshot is made in the
    runner it was given (Home Assistant's executor), never on the event loop's thread."""
    threads: list[int] = []

    async def runner(job: Callable[[], Any]) -> Any:
        def recorded() -> Any:
            threads.append(threading.get_ident())
            return job()

        return await asyncio.get_running_loop().run_in_executor(None, recorded)

    index = LibraryIndex(client, run_blocking=runner)
    await index.refresh()
    assert len(threads) == 1
    assert index.by_id(tmdb=603).found
    assert await index.rebuild_sections([1])
    assert len(threads) == 2
    matrix = next(i for i in _emulated(plex_emulator, "movie") if i.title == "The Matrix")
    matrix.title = "The Matrix Reloaded Again"
    assert await index.apply(_timeline(_entry(matrix, 5)))
    assert len(threads) == 3
    assert index.by_title("The Matrix Reloaded Again").found
    assert threading.get_ident() not in threads


# ---- parsing --------------------------------------------------------------------------------


def test_parsing_tolerates_what_plex_leaves_out() -> None:
    assert parse_item({}, 1, "movie") is None
    bare = parse_item({"ratingKey": "5", "Media": [3, {"Part": [{"file": 7}, 2]}]}, 1, "movie")
    assert bare == Item(5, "movie", "", None, 1)
    guids: list[Any] = [{"id": "tmdb://x"}, {"id": 4}, 5, {"id": "imdb://"}, {"id": "plex://a"}]
    odd = parse_item({"ratingKey": 6, "Guid": guids, "title": "T"}, 1, "show")
    assert odd is not None
    assert (odd.tmdb, odd.tvdb, odd.imdb) == (None, None, None)
    assert parse_episode({"ratingKey": "1", "grandparentRatingKey": "2", "parentIndex": 1}) is None
    placed = parse_episode(
        {"ratingKey": "1", "grandparentRatingKey": "2", "parentIndex": "1", "index": 3}
    )
    assert placed == Episode(1, 2, 1, 3, "", None, None, False)


def test_the_builder_drops_orphans_and_keeps_indexes_consistent() -> None:
    builder = SnapshotBuilder(None)
    assert not builder.put_episode(Episode(9, 1, 1, 1, "E", None, None, False))
    builder.put(Item(1, "show", "Show", 2000, 2, tmdb=5))
    assert builder.put_episode(Episode(9, 1, 1, 1, "E", None, None, False))
    first = builder.freeze()
    assert first.items[1].leaf_count == 1
    # A show that turns into a movie (Plex re-typed it) loses its episodes.
    builder = SnapshotBuilder(first)
    builder.put(Item(1, "movie", "Show", 2000, 2, tmdb=5))
    second = builder.freeze()
    assert second.episodes == {}
    assert second.by_id(tmdb=5, kind="movie")
    assert first.episodes  # copy on write: the first snapshot still has its episode
    assert second.title_keys == first.title_keys
    builder = SnapshotBuilder(second)
    builder.put(Item(1, "movie", "Other", 2000, 2, tmdb=5))
    assert builder.freeze().title_keys == ("other",)
    # Episodes touched for a show that then goes away are dropped with it.
    builder = SnapshotBuilder(first)
    assert builder.put_episode(Episode(10, 1, 1, 2, "E", None, None, False))
    builder.remove(1)
    assert builder.freeze().episodes == {}


def test_the_first_resolution_and_every_file() -> None:
    media = {"Media": [{"videoResolution": "1080", "Part": [{"file": "/a.mkv"}]}, {"Part": []}]}
    movie = parse_item({"ratingKey": 1, **media}, 1, "movie")
    assert movie is not None
    assert movie.files == ("/a.mkv",)
    assert movie.resolution == "1080"
    assert Path(movie.files[0]).name == "a.mkv"
