"""The emulator serving libraries matched by Plex's legacy agents, read by python-plexapi.

`python -m tests.emulators.plex --legacy-agents` makes its sections use the IMDb and TheTVDB
agents; a library file can give any section its own agent (here TheMovieDB and HAMA). Items
then carry no `Guid` list, only the legacy `guid` attribute, as real servers with those agents
answer (rubyplex's, plex-api-spec-captures' and Home Assistant's recordings). The forms the
recordings show are checked against them when `../shared/corpora` is there.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.contract.emulator_process import TOKEN, emulator_process
from tests.contract.test_plexapi_suite import DEMO_MOVIES, connect, demo_library
from tests.emulators.catalogue import DEMO_CATALOGUE
from tests.emulators.plex_demo import STAND_IN

if TYPE_CHECKING:
    from collections.abc import Iterator

CORPORA = Path(__file__).parents[2].parent / "shared" / "corpora"
IMDB = "com.plexapp.agents.imdb"
THETVDB = "com.plexapp.agents.thetvdb"
THEMOVIEDB = "com.plexapp.agents.themoviedb"
HAMA = "com.plexapp.agents.hama"
COWBOY_BEBOP_ANIDB = 23  # AniDB's id of Cowboy Bebop (the demo catalogue lacks AniDB ids)


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(STAND_IN)


def legacy_library(root: Path) -> dict[str, Any]:
    """The demo's sections (legacy by the command line's flag) and two with their own agent."""
    catalogue = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))
    for show in catalogue["shows"]:
        if show["tmdb_id"] == 30991:
            show["anidb_id"] = COWBOY_BEBOP_ANIDB
    (root.parent / "anime-catalogue.json").write_text(json.dumps(catalogue), encoding="utf-8")
    _touch(root / "Films" / "Heat (1995)" / "Heat (1995).mkv")
    _touch(root / "Anime" / "Cowboy Bebop (1998)" / "Season 01" / "Cowboy Bebop - s01e01.mkv")
    fma = "Fullmetal Alchemist - Brotherhood (2009)"
    _touch(root / "Anime" / fma / "Season 01" / f"{fma} - s01e01.mkv")
    library = demo_library(root, catalogue="anime-catalogue.json")
    library["sections"] += [
        {"key": 3, "title": "Films", "type": "movie", "locations": ["Films"], "agent": THEMOVIEDB},
        {"key": 4, "title": "Anime", "type": "show", "locations": ["Anime"], "agent": HAMA},
    ]
    return library


@pytest.fixture(scope="module")
def legacy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("legacy") / "media"


@pytest.fixture(scope="module")
def legacy_url(legacy_root: Path) -> Iterator[str]:
    legacy_root.mkdir()
    with emulator_process(legacy_root, legacy_library(legacy_root), "--legacy-agents") as url:
        yield url


@pytest.fixture
def plex(legacy_url: str, socket_enabled: None) -> Iterator[Any]:
    yield from connect(legacy_url)


def test_sections_name_their_legacy_agents(plex: Any) -> None:
    assert [(s.key, s.agent, s.scanner) for s in plex.library.sections()] == [
        (1, IMDB, "Plex Movie Scanner"),
        (2, THETVDB, "Plex Series Scanner"),
        (3, THEMOVIEDB, "Plex Movie Scanner"),
        (4, HAMA, "Plex Series Scanner"),
    ]


def test_a_movie_has_only_the_legacy_guid(plex: Any) -> None:
    matrix = plex.library.section("Movies").get("The Matrix")
    assert matrix.guid == f"{IMDB}://tt0133093?lang=en"
    assert matrix.guids == []
    matrix.reload()
    assert (matrix.guid, matrix.guids) == (f"{IMDB}://tt0133093?lang=en", [])


def test_every_movie_is_matched_by_imdb_id(plex: Any) -> None:
    movies = plex.library.section("Movies").all()
    assert len(movies) == DEMO_MOVIES
    assert all(re.fullmatch(rf"{IMDB}://tt\d+\?lang=en", m.guid) for m in movies)


def test_a_legacy_guid_finds_its_movie(plex: Any) -> None:
    found = plex.library.section("Movies").search(guid=f"{IMDB}://tt0137523?lang=en")
    assert [movie.title for movie in found] == ["Fight Club"]


def test_a_show_its_seasons_and_episodes(plex: Any) -> None:
    show = plex.library.section("TV Shows").get("Breaking Bad")
    assert (show.guid, show.guids) == (f"{THETVDB}://81189?lang=en", [])
    assert [s.guid for s in show.seasons()] == [f"{THETVDB}://81189/{n}?lang=en" for n in (1, 2, 3)]
    pilot = show.episode(season=1, episode=1)
    pilot.reload()
    assert (pilot.guid, pilot.guids) == (f"{THETVDB}://81189/1/1?lang=en", [])
    assert (pilot.parentGuid, pilot.grandparentGuid) == (
        f"{THETVDB}://81189/1?lang=en",
        f"{THETVDB}://81189?lang=en",
    )


def test_a_movie_of_the_movie_database_agent(plex: Any) -> None:
    heat = plex.library.section("Films").get("Heat")
    assert (heat.guid, heat.guids) == (f"{THEMOVIEDB}://949?lang=en", [])


def test_anime_through_hama(plex: Any) -> None:
    anime = plex.library.section("Anime")
    bebop = anime.get("Cowboy Bebop")
    assert (bebop.guid, bebop.guids) == (f"{HAMA}://anidb-{COWBOY_BEBOP_ANIDB}?lang=en", [])
    assert bebop.episode(season=1, episode=1).guid == f"{HAMA}://anidb-23/1/1?lang=en"
    # Without an AniDB id HAMA names the show by its TVDB id.
    fma = anime.get("Fullmetal Alchemist: Brotherhood")
    assert fma.guid == f"{HAMA}://tvdb-85249?lang=en"


def test_the_json_form_has_no_guid_list(legacy_url: str, plex: Any, socket_enabled: None) -> None:
    """What Videodrome's own client reads (JSON): the `guid` attribute and no `Guid`."""
    matrix = plex.library.section("Movies").get("The Matrix")
    answer = requests.get(
        f"{legacy_url}/library/sections/1/all",
        params={"includeGuids": "1", "title": "The Matrix"},
        headers={"X-Plex-Token": TOKEN, "Accept": "application/json"},
        timeout=10,
    ).json()
    [movie] = answer["MediaContainer"]["Metadata"]
    assert movie["ratingKey"] == str(matrix.ratingKey)
    assert movie["guid"] == f"{IMDB}://tt0133093?lang=en"
    assert "Guid" not in movie


def _shape(guid: str) -> str:
    return re.sub(r"\d+", "N", guid)


def _recorded_shapes() -> set[str]:
    if not CORPORA.is_dir():
        pytest.skip(f"the recordings are not there ({CORPORA})")
    found: set[str] = set()
    pattern = re.compile(r"com\.plexapp\.agents\.(?:imdb|thetvdb|hama)://[^\"'<&\s]+")
    for folder in ("rubyplex", "plex-api-spec-captures", "homeassistant-plex"):
        for file in (CORPORA / folder).rglob("*"):
            if file.suffix in {".json", ".xml"}:
                text = file.read_text(encoding="utf-8", errors="replace")
                found |= {_shape(guid) for guid in pattern.findall(text)}
    return found


def test_the_forms_are_those_of_real_servers(plex: Any) -> None:
    """Every IMDb, TheTVDB and HAMA show form the emulator sends is one a recording holds.

    (No public recording has TheMovieDB agent's guids or HAMA's episodes: those forms are
    the ones issue 21 names.)
    """
    recorded = _recorded_shapes()
    show = plex.library.section("TV Shows").get("Breaking Bad")
    anime = plex.library.section("Anime")
    ours = {
        plex.library.section("Movies").get("Heat").guid,
        show.guid,
        show.season(season=1).guid,
        show.episode(season=1, episode=1).guid,
        anime.get("Cowboy Bebop").guid,
        anime.get("Fullmetal Alchemist: Brotherhood").guid,
    }
    assert {_shape(guid) for guid in ours} <= recorded
