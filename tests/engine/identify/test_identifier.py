"""Identification end to end against the TMDb emulator: traps, remakes, episodes, hints."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.identify.identifier import (
    EPISODE_NOT_FOUND,
    ID_HINT_NOT_FOUND,
    NO_SEASON,
    TMDB_UNAVAILABLE,
    Identifier,
)
from custom_components.videodrome.engine.identify.parsed_name import Kind
from custom_components.videodrome.engine.identify.score import AMBIGUOUS_WITHOUT_YEAR, Decision
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.engine.tmdb.errors import TMDbAuthError
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import Callable

    import aiohttp

    from tests.emulators.tmdb import TMDbEmulator


@pytest.fixture
def identifier(session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator) -> Identifier:
    """An identifier over a client of the emulator."""
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url, backoff=0.01)
    return Identifier(tmdb)


@pytest.mark.parametrize(
    ("name", "tmdb_id"),
    [
        ("The.Matrix.1999.1080p.BluRay.x264-GROUP.mkv", 603),
        ("Blade.Runner.2049.2017.2160p.mkv", 335984),
        ("Blade.Runner.2049.1080p.WEB.mkv", 335984),
        ("Blade.Runner.1982.mkv", 78),
        ("2001.A.Space.Odyssey.1968.mkv", 62),
        ("2001.A.Space.Odyssey.mkv", 62),
        ("1917.2019.1080p.mkv", 530915),
        ("2012.2009.720p.mkv", 14161),
        ("Wonder.Woman.1984.2020.mkv", 464052),
        ("Wonder.Woman.1984.1080p.WEB.mkv", 464052),
        ("Wonder.Woman.2017.mkv", 297762),
        ("Dune.1984.mkv", 841),
        ("Dune.2021.2160p.mkv", 438631),
        ("Dune.Part.Two.2024.mkv", 693134),
        ("The.Thing.2011.mkv", 60935),
        ("Halloween.2007.mkv", 2082),
        ("Oceans.Eleven.1960.mkv", 299),
        ("Leon.1994.mkv", 101),
        ("Se7en.1995.mkv", 807),
        ("Seven.1995.mkv", 807),
        ("Gisaengchung.2019.1080p.mkv", 496243),
        ("Sen.to.Chihiro.no.Kamikakushi.2001.mkv", 129),
        ("Heat (1995)/heat.1080p.mkv", 949),
        ("/Movies/Heat (1995)/xyz-hdt.avi", 949),
    ],
)
async def test_movies_decided_automatically(
    identifier: Identifier, name: str, tmdb_id: int
) -> None:
    """Years and numbers in titles, remakes with their year, alternative titles."""
    found = await identifier.identify(name)
    assert found.decision is Decision.AUTO, found.reasons
    assert found.match is not None
    assert found.match.tmdb_id == tmdb_id
    assert found.library == "movies"
    assert found.kind is Kind.MOVIE
    assert found.target is not None
    assert f"{{tmdb-{tmdb_id}}}" in found.target.parts[0]


@pytest.mark.parametrize(
    "name",
    ["Dune.mkv", "The.Thing.1080p.mkv", "Halloween.mkv", "Total.Recall.mkv", "RoboCop.mkv"],
)
async def test_remakes_without_a_year_go_to_review(identifier: Identifier, name: str) -> None:
    """A title with several films and no year in the name is never decided alone."""
    found = await identifier.identify(name)
    assert found.decision is Decision.REVIEW
    assert AMBIGUOUS_WITHOUT_YEAR in found.reasons
    assert len(found.ranked) >= 2


async def test_movie_target(identifier: Identifier) -> None:
    """Plex's movie naming with quality, edition and part."""
    found = await identifier.identify(
        "/downloads/Blade.Runner.1982.The.Final.Cut.1080p.BluRay.x264-GRP/cd1.mkv"
    )
    assert found.match is not None
    assert found.match.tmdb_id == 78
    assert found.target == PurePosixPath(
        "Blade Runner (1982) {edition-Final Cut} {tmdb-78}/"
        "Blade Runner (1982) {edition-Final Cut} - 1080p Blu-ray - pt1.mkv"
    )


async def test_ids_can_be_left_out(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """include_ids=False: no {tmdb-N} in folder names."""
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url)
    found = await Identifier(tmdb, include_ids=False).identify("The.Matrix.1999.mkv")
    assert found.target == PurePosixPath("The Matrix (1999)/The Matrix (1999).mkv")


async def test_episode(identifier: Identifier, tmdb_emulator: TMDbEmulator) -> None:
    """An episode: the show decided, the episode title from its season, TVDB id in the folder."""
    found = await identifier.identify("Breaking.Bad.S01E01.720p.HDTV.x264-CTU.mkv")
    assert found.decision is Decision.AUTO
    assert found.kind is Kind.EPISODE
    assert found.match is not None
    assert (found.match.tmdb_id, found.tvdb_id) == (1396, 81189)
    assert (found.season, found.episodes, found.episode_title) == (1, (1,), "Pilot")
    assert found.library == "tv"
    assert found.target is not None
    assert found.target.parts[:2] == ("Breaking Bad (2008) {tvdb-81189}", "Season 01")
    assert "s01e01 - Pilot" in found.target.name
    # Another episode of the same season: no new season fetch, no new search.
    await identifier.identify("Breaking.Bad.S01E02.720p.HDTV.x264-CTU.mkv")
    assert tmdb_emulator.counts["tv/season"] == 1
    assert tmdb_emulator.counts["search/tv"] == 1


@pytest.mark.parametrize(
    ("name", "decision", "tmdb_id"),
    [
        ("the.office.us.s02e01.mkv", Decision.AUTO, 2316),
        ("The.Office.UK.S01E02.mkv", Decision.AUTO, 2996),
        ("The.Office.S01E01.mkv", Decision.REVIEW, None),
        ("Doctor.Who.2005.S01E01.mkv", Decision.AUTO, 57243),
    ],
)
async def test_shows_sharing_a_title(
    identifier: Identifier, name: str, decision: Decision, tmdb_id: int | None
) -> None:
    """The Office US/UK by the country in the name, Doctor Who by the year; else review."""
    found = await identifier.identify(name)
    assert found.decision is decision
    if tmdb_id is not None:
        assert found.match is not None
        assert found.match.tmdb_id == tmdb_id
    else:
        assert AMBIGUOUS_WITHOUT_YEAR in found.reasons


async def test_multi_episode(identifier: Identifier) -> None:
    """s01e01-e02 in the target."""
    found = await identifier.identify("Chernobyl.S01E01E02.1080p.mkv")
    assert found.episodes == (1, 2)
    assert found.target is not None
    assert "s01e01-e02" in found.target.name


async def test_episode_tmdb_does_not_know(identifier: Identifier) -> None:
    """A known show with an episode TMDb lacks: review."""
    found = await identifier.identify("Chernobyl.S01E09.mkv")
    assert found.decision is Decision.REVIEW
    assert EPISODE_NOT_FOUND in found.reasons
    missing_season = await identifier.identify("Chernobyl.S07E01.mkv")
    assert EPISODE_NOT_FOUND in missing_season.reasons


async def test_absolute_numbering_goes_to_review(identifier: Identifier) -> None:
    """Anime numbering has no season: a person picks one."""
    found = await identifier.identify("[Group] Cowboy Bebop - 05 [1080p].mkv")
    assert found.decision is Decision.REVIEW
    assert NO_SEASON in found.reasons
    assert found.season == 1


async def test_daily_show(identifier: Identifier) -> None:
    """A dated episode keeps its date in the name."""
    found = await identifier.identify("The.Daily.Show.2024.03.05.720p.WEB.mkv")
    assert found.match is not None
    assert found.match.tmdb_id == 2224
    assert found.target is not None
    assert "2024-03-05" in found.target.name


@pytest.mark.parametrize(
    ("name", "tmdb_id"),
    [
        ("Whatever Name (1999) {tmdb-603}.mkv", 603),
        ("The.Matrix.1999.tt0133093.mkv", 603),
        ("Breaking Bad {tvdb-81189}/Season 01/S01E01.mkv", 1396),
        ("Breaking Bad {tmdb-1396}/Season 01/S01E03.mkv", 1396),
    ],
)
async def test_id_hints(identifier: Identifier, name: str, tmdb_id: int) -> None:
    """IDs in the path decide when the year does not contradict them."""
    found = await identifier.identify(name)
    assert found.decision is Decision.AUTO
    assert found.match is not None
    assert found.match.tmdb_id == tmdb_id


async def test_id_hint_that_does_not_exist(identifier: Identifier) -> None:
    """A dangling ID is reported and the name is searched instead."""
    found = await identifier.identify("The Matrix (1999) {tmdb-999999999}.mkv")
    assert ID_HINT_NOT_FOUND in found.reasons
    assert found.match is not None
    assert found.match.tmdb_id == 603
    unknown_imdb = await identifier.identify("The.Matrix.1999.tt9999999.mkv")
    assert ID_HINT_NOT_FOUND in unknown_imdb.reasons


@pytest.mark.parametrize(
    ("name", "decision", "reason"),
    [
        ("Movie.2019.sample.mkv", Decision.SKIP, "sample"),
        ("The.Matrix.1999.Trailer.mkv", Decision.SKIP, "extra"),
        ("The.Matrix.1999.mkv.part", Decision.SKIP, "partial_download"),
        ("The.Matrix.1999.nfo", Decision.SKIP, "not_video"),
        ("", Decision.MANUAL, "empty_name"),
        ("x" * 1000 + ".mkv", Decision.MANUAL, "name_too_long"),
        (b"\xff\xfe.mkv", Decision.MANUAL, "not_utf8"),
        ("bad\x00name.mkv", Decision.MANUAL, "control_characters"),
        ("Totally.Unknown.Film.2019.mkv", Decision.MANUAL, "no_candidates"),
    ],
)
async def test_files_that_are_not_decided(
    identifier: Identifier,
    tmdb_emulator: TMDbEmulator,
    name: str | bytes,
    decision: Decision,
    reason: str,
) -> None:
    """Skips and manual decisions carry their reason; bad names never reach TMDb."""
    found = await identifier.identify(name)
    assert found.decision is decision
    assert reason in found.reasons
    assert found.target is None
    if decision is Decision.SKIP or reason != "no_candidates":
        assert tmdb_emulator.requests == []


async def test_tmdb_down_is_manual(identifier: Identifier, tmdb_emulator: TMDbEmulator) -> None:
    """TMDb failing after retries: manual, with a reason, no exception."""
    tmdb_emulator.faults.fail_next = 100
    found = await identifier.identify("The.Matrix.1999.mkv")
    assert (found.decision, found.reasons) == (Decision.MANUAL, (TMDB_UNAVAILABLE,))


async def test_rejected_key_is_raised(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """A bad key is the user's to fix: it is raised, not hidden in every file's decision."""
    tmdb = TMDbClient(session, api_key="wrong", base_url=tmdb_emulator.url)
    with pytest.raises(TMDbAuthError):
        await Identifier(tmdb).identify("The.Matrix.1999.mkv")


async def test_parsing_runs_through_the_blocking_runner(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """guessit is handed to the runner (Home Assistant's executor), never run inline."""
    jobs: list[Callable[[], Any]] = []

    async def runner(job: Callable[[], Any]) -> Any:
        jobs.append(job)
        return job()

    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url)
    found = await Identifier(tmdb, run_blocking=runner).identify("Heat.1995.mkv", root="/in")
    assert found.decision is Decision.AUTO
    assert len(jobs) == 1


async def test_json_contract(identifier: Identifier) -> None:
    """The CLI's field names, exactly."""
    record = (await identifier.identify("The.Matrix.1999.1080p.mkv")).as_json()
    assert {
        "path", "kind", "title", "year", "season", "episodes", "tmdb_id", "confidence",
        "decision", "reasons", "library", "target",
    } <= set(record)  # fmt: skip
    assert record["kind"] == "movie"
    assert record["title"] == "The Matrix"
    assert record["year"] == 1999
    assert record["tmdb_id"] == 603
    assert record["decision"] == "auto"
    assert record["library"] == "movies"
    assert record["target"] == "The Matrix (1999) {tmdb-603}/The Matrix (1999) - 1080p.mkv"
    assert record["candidates"][0]["tmdb_id"] == 603
    unknown = (await identifier.identify("1080p.mkv")).as_json()
    assert (unknown["kind"], unknown["title"], unknown["tmdb_id"], unknown["target"]) == (
        "unknown", None, None, None,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["Heat.1995.part9.mkv", "Chernobyl.S01E01E03.mkv"])
async def test_a_match_without_a_plex_name_is_manual(identifier: Identifier, name: str) -> None:
    """Part 9 of a film, or episodes 1 and 3 in one file: identified, but a person decides."""
    found = await identifier.identify(name)
    assert found.match is not None
    assert found.decision is Decision.MANUAL
    assert "unnameable" in found.reasons
    assert found.target is None
