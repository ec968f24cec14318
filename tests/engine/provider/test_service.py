"""The metadata provider against the TMDb emulator and a real history store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.provider.documents import (
    MOVIE_IDENTIFIER,
    TV_IDENTIFIER,
    Page,
    media_provider,
)
from custom_components.videodrome.engine.provider.errors import (
    ProviderBusyError,
    ProviderNotFoundError,
)
from custom_components.videodrome.engine.provider.requests import MatchRequest
from custom_components.videodrome.engine.provider.service import (
    MATCH_TTL,
    METADATA_TTL,
    MetadataProvider,
)
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    import aiohttp

    from custom_components.videodrome.engine.provider.service import Answer
    from tests.emulators.tmdb import TMDbEmulator

MOVIE_FILE = "/media/Movies/The Matrix (1999) {tmdb-603}/The Matrix (1999).mkv"
EPISODE_FILE = "/media/TV Shows/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - s01e02.mkv"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Setup:
    """Both providers over one TMDb client and one store."""

    def __init__(self, tmdb: TMDbClient, store: Store) -> None:
        self.tmdb = tmdb
        self.store = store
        self.clock = Clock()
        identifier = Identifier(tmdb)
        self.movie = MetadataProvider(
            "movie", tmdb, store=store, identifier=identifier, clock=self.clock
        )
        self.tv = MetadataProvider("tv", tmdb, store=store, identifier=identifier, clock=self.clock)

    def file(self, **fields: Any) -> None:
        self.store.add_item(source="/ingest/incoming.mkv", status="ingested", **fields)


@pytest.fixture
async def setup(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> AsyncIterator[Setup]:
    """Providers with a history holding The Matrix and an episode of Breaking Bad."""
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url, backoff=0.01)
    with Store(":memory:") as store:
        result = Setup(tmdb, store)
        result.file(
            kind="movie", title="The Matrix", year=1999, tmdb_id=603, destination=MOVIE_FILE
        )
        result.file(
            kind="episode",
            title="Breaking Bad",
            year=2008,
            tmdb_id=1396,
            season=1,
            episodes=[2],
            destination=EPISODE_FILE,
        )
        yield result
        await tmdb.close()


async def answered(call: Callable[[], Awaitable[Answer]], tries: int = 10) -> Answer:
    """What Plex gets by asking again after each 503 (what each try fetched stays cached)."""
    for _ in range(tries - 1):
        try:
            return await call()
        except ProviderBusyError:
            continue
    return await call()


async def _match(provider: MetadataProvider, **body: Any) -> list[dict[str, Any]]:
    request = MatchRequest.from_json(body)
    answer = await answered(lambda: provider.match(request))
    container = answer.json()["MediaContainer"]
    assert container["identifier"] == provider.root().json()["MediaProvider"]["identifier"]
    assert container["size"] == len(container["Metadata"]) == container["totalSize"]
    assert container["offset"] == 0
    metadata: list[dict[str, Any]] = container["Metadata"]
    return metadata


async def test_root_is_the_media_provider_document(setup: Setup) -> None:
    assert setup.movie.root().json() == media_provider("movie", "1.0.0")
    assert setup.tv.root().json() == media_provider("tv", "1.0.0")


async def test_match_from_history_by_file_name(setup: Setup) -> None:
    """The file Videodrome filed is what it said, whatever Plex's title guess."""
    (found,) = await _match(
        setup.movie,
        type=1,
        title="Matrix",
        filename="/Movies/The Matrix (1999) {tmdb-603}/The Matrix (1999).mkv",
    )
    assert found["ratingKey"] == "tmdb-movie-603"
    assert found["guid"] == f"{MOVIE_IDENTIFIER}://movie/tmdb-movie-603"
    assert found["key"] == "/library/metadata/tmdb-movie-603"
    assert found["type"] == "movie"
    assert found["title"] == "The Matrix"
    assert found["year"] == 1999
    assert found["score"] == 100
    assert {"id": "tmdb://603"} in found["Guid"]
    assert found["thumb"].startswith("http")


async def test_match_episode_season_and_show_from_history(setup: Setup) -> None:
    filename = "TV Shows/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - s01e02.mkv"
    (episode,) = await _match(setup.tv, type=4, grandparentTitle="X", filename=filename)
    assert episode["ratingKey"] == "tmdb-episode-1396-1-2"
    assert episode["grandparentTitle"] == "Breaking Bad"
    (season,) = await _match(setup.tv, type=3, parentTitle="X", filename=filename, index=1)
    assert season["ratingKey"] == "tmdb-season-1396-1"
    (show,) = await _match(setup.tv, type=2, title="X", filename=filename, includeChildren=1)
    assert show["ratingKey"] == "tmdb-show-1396"
    assert [c["index"] for c in show["Children"]["Metadata"]] == [1, 2, 3, 4, 5]
    assert show["Children"]["size"] == 5


async def test_match_from_history_by_title_and_year(setup: Setup) -> None:
    (found,) = await _match(setup.movie, type=1, title="the matrix", year=2000)
    assert (found["ratingKey"], found["score"]) == ("tmdb-movie-603", 100)
    # A title filed in 1999 is not the one asked for in 1962: identification answers instead.
    setup.file(kind="movie", title="Dr. No", year=2020, tmdb_id=603, target="x.mkv")
    (other,) = await _match(setup.movie, type=1, title="Dr. No", year=1962)
    assert other["ratingKey"] == "tmdb-movie-646"
    assert other["score"] < 100


async def test_non_ascii_title_from_history(setup: Setup) -> None:
    setup.file(kind="movie", title="Amélie", year=2001, tmdb_id=194, target="Amélie (2001).mkv")
    (found,) = await _match(setup.movie, type=1, title="AMÉLIE")
    assert found["title"] == "Amélie"
    (by_name,) = await _match(setup.movie, type=1, filename="Movies/Amélie (2001).mkv")
    assert by_name["ratingKey"] == "tmdb-movie-194"


@pytest.mark.parametrize(
    ("guid", "key"),
    [
        ("tmdb://550", "tmdb-movie-550"),
        ("imdb://tt0133093", "tmdb-movie-603"),
        (f"{MOVIE_IDENTIFIER}://movie/tmdb-movie-155", "tmdb-movie-155"),
        ("tmdb://550?lang=en", "tmdb-movie-550"),
        # the legacy agents' guids (engine/guids.py)
        ("com.plexapp.agents.imdb://tt0133093?lang=en", "tmdb-movie-603"),
        ("com.plexapp.agents.themoviedb://550?lang=en", "tmdb-movie-550"),
        ("com.plexapp.agents.hama://tmdb-155?lang=en", "tmdb-movie-155"),
    ],
)
async def test_match_pins_an_external_id(setup: Setup, guid: str, key: str) -> None:
    (found,) = await _match(setup.movie, type=1, title="Anything", guid=guid)
    assert found["ratingKey"] == key


async def test_match_pins_tv_ids_at_the_asked_level(setup: Setup) -> None:
    (show,) = await _match(setup.tv, type=2, title="x", guid="tvdb://81189")
    assert show["ratingKey"] == "tmdb-show-1396"
    (episode,) = await _match(
        setup.tv, type=4, guid=f"{TV_IDENTIFIER}://episode/tmdb-episode-1399-2-3"
    )
    assert episode["ratingKey"] == "tmdb-episode-1399-2-3"
    (other,) = await _match(setup.tv, type=4, guid="tmdb://1399", parentIndex=1, index=4)
    assert other["ratingKey"] == "tmdb-episode-1399-1-4"
    # a legacy episode guid names the show, then the season and episode
    legacy = "com.plexapp.agents.thetvdb://81189/1/2?lang=en"
    (numbered,) = await _match(setup.tv, type=4, guid=legacy)
    assert numbered["ratingKey"] == "tmdb-episode-1396-1-2"


async def test_guids_that_say_nothing_fall_through(setup: Setup) -> None:
    """Another provider's GUID, an unknown scheme, an id TMDb lacks: the next sources answer."""
    for guid in (
        f"{TV_IDENTIFIER}://show/tmdb-show-1396",
        "plex://movie/5d776825880197001ec967c1",
        "imdb://tt9999999",
        "imdb://../../x",
        "com.plexapp.agents.hama://anidb-23?lang=en",  # TMDb cannot look up an AniDB id
        "com.plexapp.agents.none://40081?lang=xn",
    ):
        (found,) = await _match(setup.movie, type=1, title="The Matrix", year=1999, guid=guid)
        assert found["ratingKey"] == "tmdb-movie-603"
    assert await _match(setup.movie, type=1, guid="tmdb://999999") == []


async def test_match_by_identification_when_history_does_not_know(setup: Setup) -> None:
    (found,) = await _match(setup.movie, type=1, filename="Movies/Blade.Runner.1982.1080p.mkv")
    assert found["ratingKey"] == "tmdb-movie-78"
    assert 0 < found["score"] < 100
    (episode,) = await _match(
        setup.tv, type=4, filename="TV/The.Wire.S02E03.720p.mkv", grandparentTitle="The Wire"
    )
    assert episode["ratingKey"] == "tmdb-episode-1438-2-3"


async def test_match_by_title_search(setup: Setup) -> None:
    (found,) = await _match(setup.movie, type=1, title="Inception", year=2010)
    assert found["ratingKey"] == "tmdb-movie-27205"
    (off_by_one,) = await _match(setup.movie, type=1, title="Gladiator", year=1999)
    assert off_by_one["ratingKey"] == "tmdb-movie-98"  # TMDb knows it as 2000
    (season,) = await _match(setup.tv, type=3, parentTitle="Chernobyl", index=1)
    assert season["ratingKey"] == "tmdb-season-87108-1"
    assert await _match(setup.tv, type=3, parentTitle="Chernobyl") == []  # which season?


async def test_manual_match_lists_up_to_five_best_first(setup: Setup) -> None:
    results = await _match(setup.movie, type=1, title="Halloween", manual=1)
    assert len(results) == 3
    assert {r["ratingKey"] for r in results} == {
        "tmdb-movie-948",
        "tmdb-movie-2082",
        "tmdb-movie-424139",
    }
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    # Without manual, only the best.
    assert len(await _match(setup.movie, type=1, title="Halloween")) == 1
    # History first, then what identification adds.
    manual = await _match(setup.movie, type=1, title="The Matrix", manual=1)
    assert manual[0]["ratingKey"] == "tmdb-movie-603"
    assert manual[0]["score"] == 100
    assert 1 < len(manual) <= 5


async def test_episode_by_air_date(setup: Setup) -> None:
    (episode,) = await _match(setup.tv, type=4, grandparentTitle="Breaking Bad", date="2008-02-03")
    assert episode["ratingKey"] == "tmdb-episode-1396-1-3"
    assert await _match(setup.tv, type=4, grandparentTitle="Breaking Bad", date="1900-01-01") == []


async def test_unknown_is_an_empty_list(setup: Setup) -> None:
    assert await _match(setup.movie, type=1, title="Qwxzzy Nonexistent Film") == []
    assert await _match(setup.movie, type=1) == []
    assert await _match(setup.movie, type=2, title="Breaking Bad") == []  # not its type
    assert await _match(setup.tv, type=1, title="The Matrix") == []
    # An episode number the show does not have.
    assert (
        await _match(setup.tv, type=4, grandparentTitle="Chernobyl", parentIndex=1, index=9) == []
    )


async def test_identification_time_limit(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """A slow TMDb does not hold Plex's request: past the limit the answer is empty."""
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url)
    provider = MetadataProvider("movie", tmdb, identifier=Identifier(tmdb), identify_timeout=0.05)
    tmdb_emulator.faults.latency = 1  # the emulator finishes the sleep when it stops
    try:
        assert await _match(provider, type=1, filename="Alien.1979.mkv") == []
        assert await _match(provider, type=1, title="Alien") == []
    finally:
        await tmdb.close()


async def test_tmdb_failure_while_identifying_is_busy_or_an_empty_list(
    setup: Setup, session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """Retries use up the request's TMDb budget (503: ask again); a plain failure, no match."""
    tmdb_emulator.faults.fail_next = 100
    tmdb_emulator.faults.fail_status = 503
    for body in ({"title": "Se7en", "year": 1995}, {"guid": "imdb://tt0114369"}):
        with pytest.raises(ProviderBusyError):
            await setup.movie.match(MatchRequest.from_json({"type": 1, **body}))
    once = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url, max_retries=0)
    provider = MetadataProvider("movie", once)
    assert await _match(provider, type=1, title="Se7en", year=1995) == []
    assert await _match(provider, type=1, guid="imdb://tt0114369") == []
    # Not remembered: once TMDb is back, the same requests are answered.
    tmdb_emulator.faults.fail_next = 0
    for answering in (provider, setup.movie):
        (found,) = await _match(answering, type=1, title="Se7en", year=1995)
        assert found["ratingKey"] == "tmdb-movie-807"
        (pinned,) = await _match(answering, type=1, guid="imdb://tt0114369")
        assert pinned["ratingKey"] == "tmdb-movie-807"
    await once.close()


async def test_matches_are_cached_until_the_history_changes_or_they_expire(setup: Setup) -> None:
    request = {"type": 1, "filename": "Movies/Qwxzzy (1995)/Qwxzzy (1995).mkv"}
    assert await _match(setup.movie, **request) == []
    setup.file(kind="movie", title="Se7en", tmdb_id=807, target="Qwxzzy (1995)/Qwxzzy (1995).mkv")
    assert await _match(setup.movie, **request) == []  # the cached answer
    setup.clock.now += MATCH_TTL
    (found,) = await _match(setup.movie, **request)
    assert found["ratingKey"] == "tmdb-movie-807"
    setup.file(kind="movie", title="Alien", tmdb_id=348, target="Qwxzzy (1995)/Qwxzzy (1995).mkv")
    setup.movie.forget_matches()
    (newest,) = await _match(setup.movie, **request)
    assert newest["ratingKey"] == "tmdb-movie-348"


async def test_metadata_is_cached_for_its_ttl(setup: Setup, tmdb_emulator: TMDbEmulator) -> None:
    first = await setup.movie.metadata("tmdb-movie-603")
    assert await setup.movie.metadata("tmdb-movie-603") is first
    setup.clock.now += METADATA_TTL - 1
    assert await setup.movie.metadata("tmdb-movie-603") is first
    setup.clock.now += 1
    again = await setup.movie.metadata("tmdb-movie-603")
    assert again is not first
    assert again.body == first.body


async def test_metadata_of_a_movie(setup: Setup) -> None:
    container = (await setup.movie.metadata("tmdb-movie-603")).json()["MediaContainer"]
    assert (container["offset"], container["totalSize"], container["size"]) == (0, 1, 1)
    assert container["identifier"] == MOVIE_IDENTIFIER
    (movie,) = container["Metadata"]
    assert movie["ratingKey"] == "tmdb-movie-603"
    assert movie["originallyAvailableAt"] == "1999-03-31"
    assert movie["duration"] % 60_000 == 0
    assert movie["Genre"]


async def test_metadata_of_show_season_episode_with_children(setup: Setup) -> None:
    show = (await setup.tv.metadata("tmdb-show-1396")).json()["MediaContainer"]["Metadata"][0]
    assert "Children" not in show
    with_children = await setup.tv.metadata("tmdb-show-1396", include_children=True)
    children = with_children.json()["MediaContainer"]["Metadata"][0]["Children"]
    assert [c["ratingKey"] for c in children["Metadata"]][:2] == [
        "tmdb-season-1396-1",
        "tmdb-season-1396-2",
    ]
    season = await setup.tv.metadata("tmdb-season-121-1", include_children=True)
    (document,) = season.json()["MediaContainer"]["Metadata"]
    assert document["parentRatingKey"] == "tmdb-show-121"
    assert document["Children"]["size"] == 42  # Children are not paged
    assert len(document["Children"]["Metadata"]) == 42
    episode = await setup.tv.metadata("tmdb-episode-1396-1-1")
    (pilot,) = episode.json()["MediaContainer"]["Metadata"]
    assert (pilot["parentIndex"], pilot["index"]) == (1, 1)
    assert pilot["grandparentRatingKey"] == "tmdb-show-1396"


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("movie", "tmdb-movie-999999"),  # TMDb has no such movie
        ("movie", "tmdb-show-1396"),  # the other provider's
        ("tv", "tmdb-movie-603"),
        ("movie", "603"),
        ("movie", "matches"),
        ("tv", "tmdb-show-999999"),
        ("tv", "tmdb-season-1396-9"),  # no ninth season
        ("tv", "tmdb-episode-1396-1-99"),
        ("tv", "tmdb-episode-1396-7-1"),
    ],
)
async def test_unknown_keys_are_not_found(setup: Setup, kind: str, key: str) -> None:
    provider = setup.movie if kind == "movie" else setup.tv
    with pytest.raises(ProviderNotFoundError):
        await provider.metadata(key)
    with pytest.raises(ProviderNotFoundError):
        await provider.children(key, Page())
    with pytest.raises(ProviderNotFoundError):
        await provider.grandchildren(key, Page())
    with pytest.raises(ProviderNotFoundError):
        await provider.images(key)
    with pytest.raises(ProviderNotFoundError):
        await provider.extras(key)


async def test_children_are_paged(setup: Setup) -> None:
    def indexes(answer: Any) -> list[int]:
        return [m["index"] for m in answer.json()["MediaContainer"]["Metadata"]]

    first = await setup.tv.children("tmdb-season-121-1", Page())
    container = first.json()["MediaContainer"]
    assert indexes(first) == list(range(1, 21))
    assert (container["offset"], container["size"], container["totalSize"]) == (0, 20, 42)
    assert dict(first.headers) == {
        "X-Plex-Container-Start": "0",
        "X-Plex-Container-Total-Size": "42",
    }
    second = await setup.tv.children("tmdb-season-121-1", Page(20, 20))
    assert indexes(second) == list(range(21, 41))
    assert second.json()["MediaContainer"]["offset"] == 20
    last = await setup.tv.children("tmdb-season-121-1", Page(40, 20))
    assert indexes(last) == [41, 42]
    past = await setup.tv.children("tmdb-season-121-1", Page(100, 20))
    assert past.json()["MediaContainer"]["size"] == 0
    assert past.json()["MediaContainer"]["totalSize"] == 42
    seasons = await setup.tv.children("tmdb-show-1396", Page(1, 2))
    assert indexes(seasons) == [2, 3]


async def test_grandchildren_are_every_episode_paged(setup: Setup) -> None:
    answer = await answered(lambda: setup.tv.grandchildren("tmdb-show-1396", Page(0, 1000)))
    container = answer.json()["MediaContainer"]
    assert container["totalSize"] == 7 + 13 + 13 + 13 + 16
    keys = [m["ratingKey"] for m in container["Metadata"]]
    assert keys[0] == "tmdb-episode-1396-1-1"
    assert keys[7] == "tmdb-episode-1396-2-1"
    default = await setup.tv.grandchildren("tmdb-show-1396", Page())
    assert default.json()["MediaContainer"]["size"] == 20
    season = await setup.tv.grandchildren("tmdb-season-1396-1", Page())
    assert season.json()["MediaContainer"]["Metadata"] == []


async def test_leaves_have_no_children(setup: Setup) -> None:
    for provider, key in ((setup.movie, "tmdb-movie-603"), (setup.tv, "tmdb-episode-1396-1-1")):
        answer = await provider.children(key, Page())
        assert answer.json()["MediaContainer"]["totalSize"] == 0


async def test_images_and_extras(setup: Setup) -> None:
    images = (await setup.movie.images("tmdb-movie-603")).json()["MediaContainer"]
    assert [i["type"] for i in images["Image"]] == ["coverPoster", "background"]
    assert images["size"] == images["totalSize"] == 2
    assert (await setup.movie.images("tmdb-movie-603")).body == (
        await setup.movie.images("tmdb-movie-603")
    ).body
    still = (await setup.tv.images("tmdb-episode-1396-1-1")).json()["MediaContainer"]
    assert "snapshot" in [i["type"] for i in still["Image"]]
    extras = (await setup.tv.extras("tmdb-show-1396")).json()["MediaContainer"]
    assert extras["Metadata"] == []
    assert extras["identifier"] == TV_IDENTIFIER


async def test_no_path_or_key_in_any_answer(setup: Setup) -> None:
    """Everything a client can get holds TMDb's metadata only."""
    answers = [
        setup.movie.root(),
        setup.tv.root(),
        await answered(
            lambda: setup.movie.match(
                MatchRequest.from_json(
                    {"type": 1, "manual": 1, "title": "The Matrix", "filename": MOVIE_FILE}
                )
            )
        ),
        await answered(
            lambda: setup.tv.match(
                MatchRequest.from_json({"type": 4, "filename": EPISODE_FILE, "includeChildren": 1})
            )
        ),
        await setup.tv.metadata("tmdb-show-1396", include_children=True),
        await answered(lambda: setup.tv.grandchildren("tmdb-show-1396", Page(0, 1000))),
        await setup.movie.images("tmdb-movie-603"),
    ]
    for answer in answers:
        text = answer.body.decode()
        for secret in ("/media", "/ingest", "incoming", TMDB_KEY, "api_key"):
            assert secret not in text


async def test_a_season_tmdb_no_longer_has_is_not_found(
    setup: Setup, tmdb_emulator: TMDbEmulator
) -> None:
    """The show still lists it, its own page is gone: 404, not an empty season."""
    await setup.tv.metadata("tmdb-show-1438")  # the show's details are now cached
    tmdb_emulator.faults.fail_next = 1
    tmdb_emulator.faults.fail_status = 404
    with pytest.raises(ProviderNotFoundError):
        await setup.tv.children("tmdb-season-1438-1", Page())


async def test_air_date_of_a_show_tmdb_lacks(setup: Setup) -> None:
    assert await _match(setup.tv, type=4, guid="tmdb://999999", date="2008-01-20") == []


async def test_documents_in_the_language_plex_asks_for(
    setup: Setup, tmdb_emulator: TMDbEmulator
) -> None:
    """X-Plex-Language reaches TMDb; each language has answers of its own."""
    english = await setup.tv.metadata("tmdb-episode-1396-1-1")
    french = await setup.tv.metadata("tmdb-episode-1396-1-1", language="fr-FR")
    assert french is not english
    asked = {(r.path, r.query.get("language")) for r in tmdb_emulator.requests}
    assert ("/3/tv/1396", "fr-FR") in asked
    assert ("/3/tv/1396/season/1", "fr-FR") in asked
    assert ("/3/tv/1396", "en-US") in asked
    assert await setup.tv.metadata("tmdb-episode-1396-1-1", language="fr-FR") is french
    page = await setup.tv.children("tmdb-season-1396-1", Page(), language="de")
    assert page.json()["MediaContainer"]["totalSize"] == 7
    assert ("/3/tv/1396/season/1", "de-DE") in {
        (r.path, r.query.get("language")) for r in tmdb_emulator.requests
    }
    (found,) = await _match(setup.movie, type=1, title="The Matrix", year=1999)
    answer = await setup.movie.match(
        MatchRequest.from_json({"type": 1, "title": "The Matrix", "year": 1999}), language="it-IT"
    )
    assert answer.json()["MediaContainer"]["Metadata"][0]["ratingKey"] == found["ratingKey"]
    assert ("/3/movie/603", "it-IT") in {
        (r.path, r.query.get("language")) for r in tmdb_emulator.requests
    }
    images = await setup.movie.images("tmdb-movie-603", language="it-IT")
    assert images.json()["MediaContainer"]["size"] == 2
