"""Ids from every Plex agent, read in one place (engine/guids.py), and what the index does.

The forms come from real servers: the `Guid` arrays of Plex's current agents, the legacy
agents' `guid` (rubyplex, plex-api-rs, plex-api-spec-captures, Home Assistant's fixtures in
../shared/corpora) and HAMA's ids (ZeroQI/Hama.bundle and its Absolute Series Scanner).
`plex_path_ground_truth.tsv` (907 real paths with the ids Plex matched, read out of those
recordings by someone else) is checked item by item at the end.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.guids import (
    NO_IDS,
    AgentGuid,
    ExternalIds,
    external_ids,
    read_guid,
    show_ids,
)
from custom_components.videodrome.engine.library.building import SnapshotBuilder, assemble
from custom_components.videodrome.engine.library.parsing import (
    parse_episode,
    parse_item,
    with_show_ids,
)
from custom_components.videodrome.engine.plex.scan import wanted_ids

if TYPE_CHECKING:
    from collections.abc import Iterator

CORPORA = Path(__file__).resolve().parents[4] / "shared" / "corpora"
GROUND_TRUTH = CORPORA / "plex_path_ground_truth.tsv"

LEGACY = "com.plexapp.agents."


@pytest.mark.parametrize(
    ("guid", "source", "ids", "numbers"),
    [
        # Plex's current agents: the `Guid` array's ids
        ("tmdb://603", "tmdb", ExternalIds(tmdb=603), ()),
        ("tvdb://81189", "tvdb", ExternalIds(tvdb=81189), ()),
        ("imdb://tt0133093", "imdb", ExternalIds(imdb="tt0133093"), ()),
        ("tmdb://550?lang=en", "tmdb", ExternalIds(tmdb=550), ()),
        ("tmdb://550/", "tmdb", ExternalIds(tmdb=550), ()),
        # the legacy agents' `guid`
        (f"{LEGACY}imdb://tt1272878?lang=en", "imdb", ExternalIds(imdb="tt1272878"), ()),
        (f"{LEGACY}themoviedb://603?lang=en", "tmdb", ExternalIds(tmdb=603), ()),
        (f"{LEGACY}thetvdb://74205?lang=en", "tvdb", ExternalIds(tvdb=74205), ()),
        (f"{LEGACY}thetvdbdvdorder://74205?lang=de", "tvdb", ExternalIds(tvdb=74205), ()),
        (f"{LEGACY}thetvdb://268592/1?lang=en", "tvdb", ExternalIds(tvdb=268592), (1,)),
        (f"{LEGACY}thetvdb://74205/1/1?lang=en", "tvdb", ExternalIds(tvdb=74205), (1, 1)),
        (f"{LEGACY}thetvdb://73545/0/22?lang=en", "tvdb", ExternalIds(tvdb=73545), (0, 22)),
        (f"{LEGACY}themoviedb://1396/2/3?lang=en", "tmdb", ExternalIds(tmdb=1396), (2, 3)),
        ("thetvdb://74205/1/1", "tvdb", ExternalIds(tvdb=74205), (1, 1)),
        ("tvdb://74205/1/1", "tvdb", ExternalIds(tvdb=74205), (1, 1)),
        ("themoviedb://603", "tmdb", ExternalIds(tmdb=603), ()),
        ("TMDB://603", "tmdb", ExternalIds(tmdb=603), ()),
        (f"{LEGACY}anidb://23?lang=en", "anidb", ExternalIds(anidb=23), ()),
        # HAMA: AniDB ids stay AniDB ids; tvdb2-/tvdb3-/tvdb4- are the same TVDB show
        (f"{LEGACY}hama://anidb-2127?lang=en", "anidb", ExternalIds(anidb=2127), ()),
        (f"{LEGACY}hama://anidb-4880/1/5?lang=en", "anidb", ExternalIds(anidb=4880), (1, 5)),
        ("hama://anidb2-7251", "anidb", ExternalIds(anidb=7251), ()),
        (f"{LEGACY}hama://tvdb-347734?lang=en", "tvdb", ExternalIds(tvdb=347734), ()),
        ("hama://tvdb2-275039", "tvdb", ExternalIds(tvdb=275039), ()),
        ("hama://tvdb3-74796", "tvdb", ExternalIds(tvdb=74796), ()),
        ("hama://tvdb4-79604-s2", "tvdb", ExternalIds(tvdb=79604), ()),
        ("hama://tvdb3-74796-s0e4", "tvdb", ExternalIds(tvdb=74796), ()),
        ("hama://tvdb-193811/2/1", "tvdb", ExternalIds(tvdb=193811), (2, 1)),
        ("hama://tmdb-603", "tmdb", ExternalIds(tmdb=603), ()),
        ("hama://tsdb-1396", "tmdb", ExternalIds(tmdb=1396), ()),
        ("hama://imdb-tt0381849", "imdb", ExternalIds(imdb="tt0381849"), ()),
        ("hama://imdb-0381849", "imdb", ExternalIds(imdb="tt0381849"), ()),
    ],
)
def test_every_agents_guid(
    guid: str, source: str, ids: ExternalIds, numbers: tuple[int, ...]
) -> None:
    assert read_guid(guid) == AgentGuid(source, ids, numbers)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "guid",
    [
        "plex://movie/5d776825880197001ec967c1",
        "plex://episode/679514342f3de73155bc5a1e",
        "local://12345",
        f"{LEGACY}none://40081?lang=xn",
        f"{LEGACY}none://66e3055097fd3dc8003b147345523588db2d0a7b?lang=xn",
        "collection://4f195cc1-8a08-4ee0-bc22-1946f2d6293f",
        "mbid://1234",
        "tv.plex.agents.custom.videodrome.movie://movie/tmdb-movie-603",
        "tmdb://",
        "tmdb://abc",
        "tmdb://0",
        "tmdb://-5",
        "tmdb://1234567890",
        "tmdb://６０３",  # full-width digits  # noqa: RUF001
        "imdb://603",
        "imdb://tt123",
        "imdb://../../x",
        "tvdb://74205/x/1",
        "tvdb://74205/1/1234567890",
        "hama://anidb-",
        "hama://mal-1234",
        "hama://clear-cache",
        "603",
        "",
        None,
        603,
        ["tmdb://603"],
    ],
)
def test_what_names_no_outside_id(guid: object) -> None:
    assert read_guid(guid) is None


def _item(guid: str | None = None, *guids: Any, **fields: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"ratingKey": "1", "title": "T", **fields}
    if guid is not None:
        raw["guid"] = guid
    if guids:
        raw["Guid"] = [{"id": g} if isinstance(g, str) else g for g in guids]
    return raw


@pytest.mark.parametrize(
    ("raw", "own", "show"),
    [
        (  # a movie of Plex's current agent
            _item("plex://movie/5d7768", "imdb://tt0133093", "tmdb://603", "tvdb://169"),
            ExternalIds(tmdb=603, tvdb=169, imdb="tt0133093"),
            NO_IDS,
        ),
        (_item(f"{LEGACY}imdb://tt1272878?lang=en"), ExternalIds(imdb="tt1272878"), NO_IDS),
        (  # the Guid array first; the guid fills only the kinds it lacks
            _item(f"{LEGACY}themoviedb://2?lang=en", "tmdb://1", "imdb://tt0133093"),
            ExternalIds(tmdb=1, imdb="tt0133093"),
            NO_IDS,
        ),
        (
            _item(f"{LEGACY}thetvdb://9?lang=en", "tmdb://1"),
            ExternalIds(tmdb=1, tvdb=9),
            NO_IDS,
        ),
        (_item(None, "tmdb://1", "tmdb://2"), ExternalIds(tmdb=1), NO_IDS),  # the first of each
        (  # every kind named by the Guid array: the guid is not read
            _item(
                f"{LEGACY}themoviedb://2?lang=en",
                "tmdb://1",
                "tvdb://3",
                "imdb://tt0133093",
                "anidb://4",
            ),
            ExternalIds(tmdb=1, tvdb=3, imdb="tt0133093", anidb=4),
            NO_IDS,
        ),
        (  # a legacy episode: its guid names its show, not itself
            _item(f"{LEGACY}thetvdb://74205/1/1?lang=en", type="episode"),
            NO_IDS,
            ExternalIds(tvdb=74205),
        ),
        (  # an episode of Plex's current agent: its own ids, and no show's
            _item("plex://episode/6795", "imdb://tt35549599", "tvdb://10919899", type="episode"),
            ExternalIds(tvdb=10919899, imdb="tt35549599"),
            NO_IDS,
        ),
        (  # an anime matched by HAMA to AniDB: not a TVDB id
            _item(f"{LEGACY}hama://anidb-2127?lang=en", type="show"),
            ExternalIds(anidb=2127),
            NO_IDS,
        ),
        (  # what is not an id entry is passed over
            _item(f"{LEGACY}none://40081?lang=xn", "junk", {"id": 5}, {"no": "id"}, "tmdb://7"),
            ExternalIds(tmdb=7),
            NO_IDS,
        ),
        ({"ratingKey": 1, "Guid": "tmdb://603", "guid": 603}, NO_IDS, NO_IDS),
        ({}, NO_IDS, NO_IDS),
    ],
)
def test_an_items_ids_and_its_shows(
    raw: dict[str, Any], own: ExternalIds, show: ExternalIds
) -> None:
    assert external_ids(raw) == own
    assert show_ids(raw) == show


def test_ids_as_guids_and_filled_from_another() -> None:
    every = ExternalIds(tmdb=603, tvdb=169, imdb="tt0133093", anidb=23)
    assert every.guids() == ("tmdb://603", "tvdb://169", "imdb://tt0133093", "anidb://23")
    assert [read_guid(g).ids for g in every.guids()] == [  # type: ignore[union-attr]
        ExternalIds(tmdb=603), ExternalIds(tvdb=169),
        ExternalIds(imdb="tt0133093"), ExternalIds(anidb=23),
    ]  # fmt: skip
    assert ExternalIds(tmdb=1).or_else(every) == every._replace(tmdb=1)
    assert NO_IDS.or_else(every) == every
    assert not NO_IDS
    assert ExternalIds(anidb=1)
    assert NO_IDS.guids() == ()
    # the match check's "matched to this title" is the same spelling
    assert wanted_ids(603, 169, "tt0133093") == set(every.guids()[:3])
    assert wanted_ids(603, None, None) == {"tmdb://603"}


# ---- the index ------------------------------------------------------------------------------


def _legacy_episode(
    key: int, show: int, season: int, number: int, tvdb: int = 74205
) -> dict[str, Any]:
    return {
        "ratingKey": str(key),
        "type": "episode",
        "title": f"E{number}",
        "grandparentRatingKey": str(show),
        "parentIndex": season,
        "index": number,
        "guid": f"{LEGACY}thetvdb://{tvdb}/{season}/{number}?lang=en",
        "Media": [{"Part": [{"file": f"/tv/S{season:02}E{number:02}.mkv"}]}],
    }


def test_the_index_reads_legacy_ids_and_keeps_anidb_apart() -> None:
    movie = parse_item(_item(f"{LEGACY}imdb://tt1272878?lang=en"), 1, "movie")
    anime = parse_item(
        {"ratingKey": "2", "title": "Mushrambo", "guid": f"{LEGACY}hama://anidb-2127?lang=en"},
        2,
        "show",
    )
    assert movie is not None
    assert (movie.tmdb, movie.tvdb, movie.imdb, movie.anidb) == (None, None, "tt1272878", None)
    assert anime is not None
    assert (anime.tvdb, anime.anidb) == (None, 2127)
    snapshot = assemble(None, {(1, "movie"): ([movie], []), (2, "show"): ([anime], [])}, ())
    assert snapshot.by_id(imdb="tt1272878") == (movie,)
    assert snapshot.by_id(tvdb=2127) == ()  # an AniDB id is not a TVDB id


def test_an_episode_never_records_its_shows_id_as_its_own() -> None:
    episode = parse_episode(_legacy_episode(10403, 10401, 1, 1))
    assert episode is not None
    assert episode.show_guid == "tvdb://74205"
    modern = parse_episode(
        {**_legacy_episode(5, 4, 1, 1), "guid": "plex://episode/1", "Guid": [{"id": "tvdb://9"}]}
    )
    assert modern is not None
    assert modern.show_guid is None  # tvdb://9 is the episode's own id: not its show's


def test_a_show_without_ids_gets_the_one_its_episodes_name() -> None:
    """Band of Brothers listed without an id; its legacy episodes name TVDB 74205."""
    bare = parse_item({"ratingKey": "10401", "title": "Band of Brothers"}, 2, "show")
    named = parse_item(
        {"ratingKey": "20", "title": "Other", "guid": f"{LEGACY}thetvdb://12345?lang=en"}, 2, "show"
    )
    assert bare is not None
    assert named is not None
    episodes = [
        e
        for raw in (
            _legacy_episode(10403, 10401, 1, 1),
            _legacy_episode(10404, 10401, 1, 2),
            # Home Assistant's anonymised fixture names another show in its episodes' guids:
            # a show with an id of its own keeps it.
            _legacy_episode(21, 20, 1, 1, tvdb=54321),
        )
        if (e := parse_episode(raw)) is not None
    ]
    snapshot = assemble(None, {(2, "show"): ([bare, named], episodes)}, ())
    (found,) = snapshot.by_id(tvdb=74205)
    assert (found.rating_key, found.title) == (10401, "Band of Brothers")
    assert [s.number for s in found.seasons] == [1]
    assert snapshot.by_id(tvdb=54321) == ()
    assert snapshot.by_id(tvdb=12345)[0].rating_key == 20
    # read again unchanged: the same objects (nothing rebuilt for a show given its id)
    again = assemble(snapshot, {(2, "show"): ([bare, named], episodes)}, ())
    assert again.items[10401] is snapshot.items[10401]
    # Plex lists the show again (without seasons): it keeps its episodes and the id from them
    builder = SnapshotBuilder(again)
    builder.put(bare)
    assert builder.freeze().by_id(tvdb=74205)[0].seasons == found.seasons
    # a show with an id, a movie, a show without episodes: nothing to add
    assert with_show_ids(snapshot.items[20]) is snapshot.items[20]
    assert with_show_ids(bare) is bare


# ---- 907 real paths with the ids Plex matched -----------------------------------------------


def _with_files(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "Media" in node and "ratingKey" in node:
            yield node
        for child in node.values():
            yield from _with_files(child)
    elif isinstance(node, list):
        for child in node:
            yield from _with_files(child)


def _by_file_and_guid(
    source: str, cache: dict[str, dict[tuple[str, str], Any]]
) -> dict[tuple[str, str], Any]:
    """A recording's items by (file, guid): a file may be listed twice, in two hubs."""
    if source not in cache:
        recording = json.loads((CORPORA / source).read_text(encoding="utf-8"))
        cache[source] = {
            (part["file"], item["guid"]): item
            for item in _with_files(recording)
            for media in item["Media"]
            for part in media.get("Part", [])
            if "file" in part
        }
    return cache[source]


@pytest.mark.skipif(not GROUND_TRUTH.exists(), reason=f"{GROUND_TRUTH} is absent (../shared)")
def test_the_ground_truth_of_907_real_paths() -> None:
    """Every row's item, found in its recording by its file: the same ids as the TSV says.

    The TSV gives an episode of a legacy library its show's TVDB id: `external_ids` never
    does, `show_ids` does.
    """
    with GROUND_TRUTH.open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table, delimiter="\t"))
    assert len(rows) == 907
    cache: dict[str, dict[tuple[str, str], Any]] = {}
    legacy_episodes = 0
    for row in rows:
        item = _by_file_and_guid(row["source"], cache)[row["file_path"], row["plex_guid"]]
        own = external_ids(item)
        ids = own.or_else(show_ids(item))
        expected = (
            int(row["tmdb"]) if row["tmdb"] else None,
            int(row["tvdb"]) if row["tvdb"] else None,
            row["imdb"] or None,
        )
        assert (ids.tmdb, ids.tvdb, ids.imdb) == expected, row
        if row["plex_guid"].startswith(f"{LEGACY}thetvdb://"):
            legacy_episodes += 1
            assert own.tvdb is None
            found = read_guid(row["plex_guid"])
            assert found is not None
            assert found.numbers == (int(row["season"]), int(row["episode"]))
    assert legacy_episodes > 80
