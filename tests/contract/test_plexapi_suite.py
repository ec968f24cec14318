"""python-plexapi, the client most Plex tools use, against `python -m tests.emulators.plex`.

Everyday calls, each checked for the values the library really holds (titles, counts, ids,
paths on disk): a client nobody here wrote must be able to use the emulator as it uses a real
Plex Media Server. The expected values are the demo's real titles and the files this module
lays out, written down here, not read back from the emulator.

The server is a real process started from a library file; the calls are python-plexapi's own
(sync, over requests). Calls that change the library run against a fresh server of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from plexapi.exceptions import NotFound
import plexapi.server
import pytest
import requests

from tests.contract.emulator_process import TOKEN, emulator_process, until
from tests.emulators.catalogue import Catalogue
from tests.emulators.plex_demo import STAND_IN, create_demo_files

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# python-plexapi is untyped: its objects are Any here.
PlexServer: Any = plexapi.server.PlexServer

MACHINE_IDENTIFIER = "5d2a0c7e9b6f4f1e8a3b2c1d0e9f8a7b6c5d4e3f"
DEMO_MOVIES = 24
DEMO_SHOWS = 6
DEMO_SEASONS = 11  # Breaking Bad 3, Game of Thrones 2, The Office 2, Dark 2, two shows with 1
DEMO_EPISODES = 86
BREAKING_BAD_EPISODES = 25  # 7 + 13 + 5 in the demo
WATCHED_MOVIES = {"The Matrix", "Fight Club", "The Dark Knight"}
WATCHED_EPISODES = 12  # Breaking Bad season 1 (7) and Chernobyl season 1 (5)
MATRIX = "Movies/The Matrix (1999)/The Matrix (1999).mkv"
BREAKING_BAD = "TV Shows/Breaking Bad (2008)"
PILOT = f"{BREAKING_BAD}/Season 01/Breaking Bad (2008) - s01e01 - Pilot.mkv"
CATS_IN_THE_BAG = f"{BREAKING_BAD}/Season 01/Breaking Bad (2008) - s01e02 - Cat's in the Bag....mkv"


def demo_library(root: Path, **extra: Any) -> dict[str, Any]:
    """A library file over the demo's files, laid out under `root`, with two people watching."""
    watched = create_demo_files(Catalogue.load(), root / "Movies", root / "TV Shows")
    return {
        "sections": [
            {"key": 1, "title": "Movies", "type": "movie", "locations": ["Movies"]},
            {"key": 2, "title": "TV Shows", "type": "show", "locations": ["TV Shows"]},
        ],
        "watched": sorted(str(path.relative_to(root)) for path in watched),
        "sessions": [
            {
                "title": "Cat's in the Bag...",
                "grandparent_title": "Breaking Bad",
                "type": "episode",
                "user": "alice",
                "player": "Living Room TV",
            },
            {"title": "The Matrix", "user": "bob", "player": "Bedroom", "state": "paused"},
        ],
        **extra,
    }


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plexapi") / "media"


@pytest.fixture(scope="module")
def server_url(demo_root: Path) -> Iterator[str]:
    demo_root.mkdir()
    with emulator_process(demo_root, demo_library(demo_root)) as url:
        yield url


def connect(url: str) -> Iterator[Any]:
    session = requests.Session()
    try:
        yield PlexServer(url, TOKEN, session=session)
    finally:
        session.close()


@pytest.fixture
def plex(server_url: str, socket_enabled: None) -> Iterator[Any]:
    """python-plexapi connected to the module's server (read-only calls only)."""
    yield from connect(server_url)


@pytest.fixture
def movies(plex: Any) -> Any:
    return plex.library.section("Movies")


@pytest.fixture
def shows(plex: Any) -> Any:
    return plex.library.section("TV Shows")


@pytest.fixture
def matrix(movies: Any) -> Any:
    return movies.get("The Matrix")


@pytest.fixture
def breaking_bad(shows: Any) -> Any:
    return shows.get("Breaking Bad")


@pytest.fixture
def pilot(breaking_bad: Any) -> Any:
    return breaking_bad.episode(season=1, episode=1)


def titles(items: Any) -> list[str]:
    return [item.title for item in items]


# ---- the server -------------------------------------------------------------------------------


def test_the_server_describes_itself(plex: Any) -> None:
    assert plex.friendlyName == "Videodrome Demo"
    assert plex.machineIdentifier == MACHINE_IDENTIFIER
    assert plex.platform == "Linux"
    assert plex.version.startswith("1.")


def test_identity(plex: Any) -> None:
    assert plex.identity().machineIdentifier == MACHINE_IDENTIFIER


def test_the_library(plex: Any) -> None:
    library = plex.library
    assert library.identifier == "com.plexapp.plugins.library"
    assert library.title1 == "Plex Library"


def test_sections(plex: Any) -> None:
    sections = plex.library.sections()
    assert [(s.key, s.title, s.type) for s in sections] == [
        (1, "Movies", "movie"),
        (2, "TV Shows", "show"),
    ]


def test_a_section_by_title(movies: Any, demo_root: Path) -> None:
    assert (movies.key, movies.type, movies.agent) == (1, "movie", "tv.plex.agents.movie")
    assert movies.locations == [str(demo_root / "Movies")]


def test_a_section_by_id(plex: Any, demo_root: Path) -> None:
    shows = plex.library.sectionByID(2)
    assert (shows.title, shows.agent, shows.scanner) == (
        "TV Shows",
        "tv.plex.agents.series",
        "Plex TV Series",
    )
    assert shows.locations == [str(demo_root / "TV Shows")]


def test_an_unknown_section_is_not_found(plex: Any) -> None:
    with pytest.raises(NotFound):
        plex.library.section("Music")


def test_section_sizes(movies: Any, shows: Any) -> None:
    assert movies.totalSize == DEMO_MOVIES
    assert shows.totalSize == DEMO_SHOWS


def test_section_sizes_by_type(shows: Any) -> None:
    assert shows.totalViewSize(libtype="season") == DEMO_SEASONS
    assert shows.totalViewSize(libtype="episode") == DEMO_EPISODES


# ---- listing and searching --------------------------------------------------------------------


def test_every_movie(movies: Any) -> None:
    found = titles(movies.all())
    assert len(found) == DEMO_MOVIES
    assert {"The Matrix", "Dune", "Léon: The Professional", "2001: A Space Odyssey"} <= set(found)


def test_every_show(shows: Any) -> None:
    assert set(titles(shows.all())) == {
        "Breaking Bad",
        "Chernobyl",
        "Dark",
        "Game of Thrones",
        "Stranger Things",
        "The Office",
    }


def test_the_whole_library(plex: Any) -> None:
    assert len(plex.library.all()) == DEMO_MOVIES + DEMO_SHOWS


def test_paged_listing_reads_every_page(movies: Any) -> None:
    paged = movies.search(container_size=5)
    assert len(paged) == DEMO_MOVIES
    assert sorted(titles(paged)) == sorted(titles(movies.all()))


def test_get_by_title(matrix: Any) -> None:
    assert (matrix.title, matrix.year, matrix.type) == ("The Matrix", 1999, "movie")


def test_get_an_unknown_title_is_not_found(movies: Any) -> None:
    with pytest.raises(NotFound):
        movies.get("zzznomatch")


def test_a_title_search_that_matches_nothing(movies: Any) -> None:
    assert movies.search(title="zzznomatch") == []


def test_a_title_search_matches_part_of_a_title(movies: Any) -> None:
    assert sorted(titles(movies.search(title="blade runner"))) == [
        "Blade Runner",
        "Blade Runner 2049",
    ]


def test_a_year_filter(movies: Any) -> None:
    assert sorted(titles(movies.search(year=1999))) == ["Fight Club", "The Matrix"]
    assert sorted(titles(movies.search(year=1994))) == [
        "Léon: The Professional",
        "Pulp Fiction",
        "The Shawshank Redemption",
    ]


def test_title_and_year_together(movies: Any) -> None:
    assert titles(movies.search(title="blade", year=2017)) == ["Blade Runner 2049"]


def test_an_unwatched_filter(movies: Any) -> None:
    assert set(titles(movies.search(unwatched=False))) == WATCHED_MOVIES
    assert len(movies.search(unwatched=True)) == DEMO_MOVIES - len(WATCHED_MOVIES)


def test_episodes_searched_by_title(shows: Any) -> None:
    found = shows.search(libtype="episode", title="Pilot")
    assert [(e.grandparentTitle, e.seasonEpisode) for e in found] == [("Breaking Bad", "s01e01")]


def test_a_sorted_search(movies: Any) -> None:
    oldest = movies.search(sort="originallyAvailableAt:asc", maxresults=3)
    assert titles(oldest) == ["2001: A Space Odyssey", "The Godfather", "Star Wars"]


def test_a_search_limited_to_a_few_results(movies: Any) -> None:
    assert len(movies.search(maxresults=5)) == 5


def test_a_section_s_filter_types(movies: Any, shows: Any) -> None:
    assert {t.type for t in movies.filterTypes()} >= {"movie", "collection"}
    assert {t.type for t in shows.filterTypes()} >= {"show", "season", "episode", "collection"}


def test_a_section_s_sorts_and_fields(movies: Any) -> None:
    assert {"titleSort", "addedAt", "originallyAvailableAt"} <= {s.key for s in movies.listSorts()}
    fields = {f.key.rsplit(".", 1)[-1] for f in movies.listFields()}
    assert {"title", "year", "unwatched"} <= fields


def test_a_section_without_collections(movies: Any) -> None:
    assert movies.collections() == []


def test_a_library_wide_search(plex: Any) -> None:
    assert titles(plex.library.search(title="matrix")) == ["The Matrix"]
    assert titles(plex.library.search(title="dark", libtype="show")) == ["Dark"]


def test_hub_search(plex: Any) -> None:
    assert titles(plex.search("matrix")) == ["The Matrix"]


def test_hub_search_of_one_type(plex: Any) -> None:
    assert titles(plex.search("breaking", mediatype="show")) == ["Breaking Bad"]
    assert plex.search("breaking", mediatype="movie") == []


def test_hub_search_in_one_section(movies: Any) -> None:
    assert titles(movies.hubSearch("interstellar")) == ["Interstellar"]


def test_a_plex_guid_finds_its_item(movies: Any, matrix: Any) -> None:
    assert movies.getGuid(matrix.guid).ratingKey == matrix.ratingKey


def test_an_external_id_finds_its_item(movies: Any, shows: Any) -> None:
    assert movies.getGuid("tmdb://603").title == "The Matrix"
    assert movies.getGuid("imdb://tt0137523").title == "Fight Club"
    assert shows.getGuid("tvdb://81189").title == "Breaking Bad"


# ---- movies -----------------------------------------------------------------------------------


def test_fetch_an_item_by_rating_key(plex: Any, matrix: Any) -> None:
    fetched = plex.fetchItem(matrix.ratingKey)
    assert (fetched.title, fetched.year) == ("The Matrix", 1999)
    assert plex.fetchItem(f"/library/metadata/{matrix.ratingKey}").guid == matrix.guid


def test_fetch_an_unknown_item_is_not_found(plex: Any) -> None:
    with pytest.raises(NotFound):
        plex.fetchItem(987654)


def test_a_movie_s_file(matrix: Any, demo_root: Path) -> None:
    part = matrix.media[0].parts[0]
    assert part.file == str(demo_root / MATRIX)
    assert part.size == len(STAND_IN)
    assert part.container == "mkv"


def test_a_movie_s_locations(matrix: Any, demo_root: Path) -> None:
    assert matrix.locations == [str(demo_root / MATRIX)]


def test_a_movie_s_ids(matrix: Any) -> None:
    assert matrix.guid.startswith("plex://movie/")
    assert {guid.id for guid in matrix.guids} == {"tmdb://603", "imdb://tt0133093"}


def test_a_movie_reloaded(matrix: Any) -> None:
    matrix.reload()
    assert (matrix.title, matrix.librarySectionID, matrix.librarySectionTitle) == (
        "The Matrix",
        1,
        "Movies",
    )
    assert {guid.id for guid in matrix.guids} == {"tmdb://603", "imdb://tt0133093"}


def test_a_movie_s_section(matrix: Any) -> None:
    assert matrix.section().title == "Movies"


def test_a_watched_movie(matrix: Any, movies: Any) -> None:
    assert (matrix.isPlayed, matrix.viewCount) == (True, 1)
    assert movies.get("Heat").isPlayed is False


def test_a_movie_s_release_date(matrix: Any) -> None:
    assert matrix.originallyAvailableAt.date().isoformat() == "1999-03-31"  # TMDb's date


# ---- shows, seasons, episodes -----------------------------------------------------------------


def test_a_show(breaking_bad: Any) -> None:
    assert (breaking_bad.year, breaking_bad.childCount, breaking_bad.leafCount) == (2008, 3, 25)
    assert breaking_bad.viewedLeafCount == 7


def test_a_show_s_ids(breaking_bad: Any) -> None:
    assert breaking_bad.guid.startswith("plex://show/")
    assert {guid.id for guid in breaking_bad.guids} == {
        "tmdb://1396",
        "tvdb://81189",
        "imdb://tt0903747",
    }


def test_a_show_s_folder(breaking_bad: Any, demo_root: Path) -> None:
    assert breaking_bad.locations == [str(demo_root / BREAKING_BAD)]


def test_a_show_s_seasons(breaking_bad: Any) -> None:
    seasons = breaking_bad.seasons()
    assert [(s.index, s.title, s.leafCount) for s in seasons] == [
        (1, "Season 1", 7),
        (2, "Season 2", 13),
        (3, "Season 3", 5),
    ]


def test_one_season(breaking_bad: Any) -> None:
    season = breaking_bad.season(season=2)
    assert (season.index, season.leafCount, season.parentTitle) == (2, 13, "Breaking Bad")


def test_a_show_s_episodes(breaking_bad: Any) -> None:
    episodes = breaking_bad.episodes()
    assert len(episodes) == BREAKING_BAD_EPISODES
    assert (episodes[0].title, episodes[0].seasonEpisode) == ("Pilot", "s01e01")
    assert episodes[-1].seasonEpisode == "s03e05"


def test_an_episode_by_season_and_number(breaking_bad: Any) -> None:
    episode = breaking_bad.episode(season=1, episode=2)
    assert (episode.title, episode.parentIndex, episode.index) == ("Cat's in the Bag...", 1, 2)


def test_an_episode_by_title(breaking_bad: Any) -> None:
    assert breaking_bad.episode(title="Pilot").seasonEpisode == "s01e01"


def test_an_episode_the_library_lacks(breaking_bad: Any) -> None:
    with pytest.raises(NotFound):
        breaking_bad.episode(season=3, episode=6)


def test_an_episode_s_file(pilot: Any, demo_root: Path) -> None:
    assert pilot.media[0].parts[0].file == str(demo_root / PILOT)
    assert pilot.locations == [str(demo_root / PILOT)]


def test_an_episode_s_ids_after_a_reload(pilot: Any, breaking_bad: Any) -> None:
    pilot.reload()
    assert pilot.grandparentGuid == breaking_bad.guid
    assert {guid.id.partition("://")[0] for guid in pilot.guids} == {"tmdb", "tvdb"}


def test_an_episode_s_show_and_season(pilot: Any) -> None:
    assert pilot.show().title == "Breaking Bad"
    assert (pilot.season().index, pilot.season().title) == (1, "Season 1")


def test_a_season_s_episodes(breaking_bad: Any) -> None:
    season = breaking_bad.season(season=1)
    assert len(season.episodes()) == 7
    assert season.episode(episode=3).title == "...And the Bag's in the River"


def test_watched_and_unwatched_episodes(breaking_bad: Any) -> None:
    assert len(breaking_bad.watched()) == 7
    assert len(breaking_bad.unwatched()) == BREAKING_BAD_EPISODES - 7
    assert breaking_bad.episode(season=2, episode=1).isPlayed is False


# ---- what is new, on deck, watched ------------------------------------------------------------


def test_a_section_s_recently_added(movies: Any) -> None:
    recent = movies.recentlyAdded()
    assert len(recent) == DEMO_MOVIES
    added = [item.addedAt for item in recent]
    assert added == sorted(added, reverse=True)


def test_recently_added_across_the_library(plex: Any) -> None:
    recent = plex.library.recentlyAdded()
    assert {item.type for item in recent} >= {"movie", "season"}
    added = [item.addedAt for item in recent]
    assert added == sorted(added, reverse=True)


def test_on_deck(plex: Any) -> None:
    # Breaking Bad's first season is watched: its next episode is on deck. Chernobyl's only
    # season is watched to the end: nothing of it is.
    [next_up] = plex.library.onDeck()
    assert (next_up.grandparentTitle, next_up.seasonEpisode) == ("Breaking Bad", "s02e01")


def test_a_section_s_on_deck(movies: Any, shows: Any) -> None:
    assert movies.onDeck() == []
    assert [e.seasonEpisode for e in shows.onDeck()] == ["s02e01"]


def test_the_watch_history(plex: Any) -> None:
    history = plex.history()
    assert len(history) == len(WATCHED_MOVIES) + WATCHED_EPISODES
    viewed = [entry.viewedAt for entry in history]
    assert viewed == sorted(viewed, reverse=True)
    assert all(entry.accountID == 1 for entry in history)


def test_a_section_s_history(movies: Any, shows: Any) -> None:
    assert set(titles(movies.history())) == WATCHED_MOVIES
    episodes = shows.history()
    assert len(episodes) == WATCHED_EPISODES
    assert {e.grandparentTitle for e in episodes} == {"Breaking Bad", "Chernobyl"}


def test_the_history_of_one_item(plex: Any, matrix: Any) -> None:
    [entry] = plex.history(ratingKey=matrix.ratingKey)
    assert (entry.title, entry.ratingKey, entry.librarySectionID) == (
        "The Matrix",
        matrix.ratingKey,
        1,
    )


def test_the_history_since_a_date(plex: Any) -> None:
    assert plex.history(mindate=datetime(2100, 1, 1, tzinfo=UTC)) == []


def test_the_history_of_every_section(plex: Any) -> None:
    assert len(plex.library.history()) == len(WATCHED_MOVIES) + WATCHED_EPISODES


# ---- sessions, clients, activities ------------------------------------------------------------


def test_sessions(plex: Any) -> None:
    sessions = plex.sessions()
    assert sorted((s.usernames[0], s.title, s.player.state) for s in sessions) == [
        ("alice", "Cat's in the Bag...", "playing"),
        ("bob", "The Matrix", "paused"),
    ]


def test_an_episode_session(plex: Any, breaking_bad: Any, demo_root: Path) -> None:
    episode = next(s for s in plex.sessions() if s.type == "episode")
    expected = breaking_bad.episode(season=1, episode=2)
    assert (episode.ratingKey, episode.key) == (expected.ratingKey, expected.key)
    assert (episode.librarySectionID, episode.grandparentTitle) == (2, "Breaking Bad")
    assert (episode.parentIndex, episode.index, episode.seasonEpisode) == (1, 2, "s01e02")
    assert episode.media[0].parts[0].file == str(demo_root / CATS_IN_THE_BAG)
    assert (episode.player.title, episode.session.location) == ("Living Room TV", "lan")


def test_a_movie_session(plex: Any, matrix: Any, demo_root: Path) -> None:
    movie = next(s for s in plex.sessions() if s.type == "movie")
    assert (movie.ratingKey, movie.key, movie.librarySectionID) == (
        matrix.ratingKey,
        matrix.key,
        1,
    )
    assert movie.media[0].parts[0].file == str(demo_root / MATRIX)
    assert {guid.id for guid in movie.guids} == {"tmdb://603", "imdb://tt0133093"}
    assert (movie.player.title, movie.sessionKey) == ("Bedroom", 2)


def test_clients(plex: Any) -> None:
    [client] = plex.clients()
    assert (client.title, client.product) == ("Living Room TV", "Plex for Android (TV)")
    assert client._baseurl.startswith("http://127.0.0.1:")


def test_no_activities_while_idle(plex: Any) -> None:
    assert plex.activities == []


# ---- calls that change the library: each on a fresh server ------------------------------------


@pytest.fixture
def fresh(tmp_path: Path, socket_enabled: None) -> Iterator[tuple[Any, Path]]:
    """A server of its own, with slow scans (so a scan can be watched while it runs)."""
    root = tmp_path / "media"
    root.mkdir()
    with emulator_process(root, demo_library(root), "--scan-duration", "0.6") as url:
        for server in connect(url):
            yield server, root


def _movie_count(plex: Any) -> int:
    return int(plex.library.sectionByID(1).totalViewSize(includeCollections=False))


def test_a_partial_scan_adds_a_new_film(fresh: tuple[Any, Path]) -> None:
    plex, root = fresh
    folder = root / "Movies" / "Mad Max - Fury Road (2015)"
    folder.mkdir()
    (folder / "Mad Max - Fury Road (2015).mkv").write_bytes(STAND_IN)
    movies = plex.library.section("Movies")
    movies.update(path=str(folder))
    until(lambda: _movie_count(plex) == DEMO_MOVIES + 1)
    added = movies.get("Mad Max: Fury Road")
    assert added.locations == [str(folder / "Mad Max - Fury Road (2015).mkv")]
    assert "tmdb://76341" in {guid.id for guid in added.guids}
    assert movies.recentlyAdded(maxresults=1)[0].ratingKey == added.ratingKey
    assert plex.library.recentlyAdded()[0].ratingKey == added.ratingKey


def test_a_library_update_scans_every_section(fresh: tuple[Any, Path]) -> None:
    plex, root = fresh
    season = root / BREAKING_BAD / "Season 03"
    (season / "Breaking Bad (2008) - s03e06 - Sunset.mkv").write_bytes(STAND_IN)
    plex.library.update()
    show = plex.library.section("TV Shows").get("Breaking Bad")
    until(lambda: show.reload().leafCount == BREAKING_BAD_EPISODES + 1)
    assert show.episode(season=3, episode=6).locations == [
        str(season / "Breaking Bad (2008) - s03e06 - Sunset.mkv")
    ]


def test_a_running_scan_is_an_activity(fresh: tuple[Any, Path]) -> None:
    plex, _root = fresh
    movies = plex.library.section("Movies")
    movies.update()
    [activity] = until(lambda: plex.activities)
    assert (activity.type, activity.title) == ("library.update.section", "Scanning Movies")
    assert until(lambda: movies.reload().refreshing) is True
    until(lambda: plex.activities == [])
    assert movies.reload().refreshing is False


def test_a_scan_can_be_cancelled(fresh: tuple[Any, Path]) -> None:
    plex, _root = fresh
    movies = plex.library.section("Movies")
    movies.refresh()
    until(lambda: plex.activities)
    movies.cancelUpdate()
    until(lambda: plex.activities == [])


def test_marking_played_and_unplayed(fresh: tuple[Any, Path]) -> None:
    plex, _root = fresh
    heat = plex.library.section("Movies").get("Heat")
    heat.markPlayed()
    assert heat.reload().isPlayed is True
    assert [entry.title for entry in plex.history(ratingKey=heat.ratingKey)] == ["Heat"]
    heat.markUnplayed()
    assert heat.reload().isPlayed is False
