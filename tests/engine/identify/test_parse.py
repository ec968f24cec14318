"""Parsing file names: guessit's readings, its known traps fixed, hints, flags and bad input."""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath
import time
from typing import Any

import pytest

from custom_components.videodrome.engine.identify import parse as parse_module
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.parsed_name import IdHints, Kind, Reading


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("Blade.Runner.2049.2017.1080p.BluRay.x264-SPARKS.mkv", "Blade Runner 2049", 2017),
        ("Blade.Runner.2049.1080p.mkv", "Blade Runner 2049", None),
        ("2001.A.Space.Odyssey.1968.1080p.mkv", "2001 A Space Odyssey", 1968),
        ("2001.A.Space.Odyssey.mkv", "2001 A Space Odyssey", None),
        ("1917.2019.1080p.mkv", "1917", 2019),
        ("1917.mkv", "1917", None),
        ("2012.2009.720p.mkv", "2012", 2009),
        ("2012.mkv", "2012", None),
        ("Wonder.Woman.1984.2020.1080p.mkv", "Wonder Woman 1984", 2020),
        ("District.9.2009.mkv", "District 9", 2009),
        ("Apollo.13.1995.mkv", "Apollo 13", 1995),
        ("Dune.Part.Two.2024.2160p.mkv", "Dune Part Two", 2024),
        ("Dune.Part.Two.mkv", "Dune Part Two", None),
        ("Dune.Part.2.2024.mkv", "Dune Part 2", 2024),
        ("The Matrix (1999)/The Matrix (1999).mkv", "The Matrix", 1999),
    ],
)
def test_years_and_numbers_inside_titles(name: str, title: str, year: int | None) -> None:
    """The traps: a year or a number that belongs to the title stays in the title."""
    parsed = parse(name)
    assert parsed.kind is Kind.MOVIE
    assert (parsed.title, parsed.year) == (title, year)
    assert parsed.season is None
    assert parsed.episodes == ()
    assert parsed.part is None


def test_a_lone_year_after_the_title_gives_a_second_reading() -> None:
    """ "Wonder.Woman.1984.1080p" is ambiguous: the year may be the end of the title."""
    parsed = parse("Wonder.Woman.1984.1080p.WEB.mkv")
    assert parsed.readings == (Reading("Wonder Woman", 1984), Reading("Wonder Woman 1984", None))


def test_a_year_in_brackets_is_only_a_year() -> None:
    """Plex-style "(1999)" is never part of the title."""
    assert parse("The Matrix (1999).mkv").readings == (Reading("The Matrix", 1999),)


def test_a_year_before_the_title_reads_as_the_title_first() -> None:
    """Release names put the year after the title, so a leading one is part of the title."""
    assert parse("2001.A.Space.Odyssey.mkv").readings == (
        Reading("2001 A Space Odyssey", None),
        Reading("A Space Odyssey", 2001),
    )


@pytest.mark.parametrize(
    ("name", "title", "season", "episodes"),
    [
        ("Breaking.Bad.S01E01.720p.HDTV.x264-CTU.mkv", "Breaking Bad", 1, (1,)),
        ("Breaking.Bad.S01E01E02.720p.mkv", "Breaking Bad", 1, (1, 2)),
        ("Breaking.Bad.S05E14-E16.mkv", "Breaking Bad", 5, (14, 15, 16)),
        ("the.office.us.3x07.mkv", "the office", 3, (7,)),
        ("Breaking Bad/Season 01/01 - Pilot.mkv", "Breaking Bad", 1, (1,)),
        ("Doctor Who/Season 00/Doctor.Who.S00E01.mkv", "Doctor Who", 0, (1,)),
    ],
)
def test_episodes(name: str, title: str, season: int, episodes: tuple[int, ...]) -> None:
    """Season and episode numbers, multi-episode files, and show/season folders."""
    parsed = parse(name)
    assert parsed.kind is Kind.EPISODE
    assert parsed.title is not None
    assert parsed.title.lower() == title.lower()
    assert (parsed.season, parsed.episodes) == (season, episodes)


@pytest.mark.parametrize(
    ("name", "country"), [("the.office.us.3x07.mkv", "US"), ("The.Office.UK.S01E01.mkv", "GB")]
)
def test_country_of_a_show(name: str, country: str) -> None:
    """The Office US and UK differ by the country in the name, not by the title."""
    parsed = parse(name)
    assert parsed.title is not None
    assert parsed.title.lower() == "the office"
    assert parsed.country == country


def test_episode_title_from_the_name() -> None:
    """guessit's episode title is kept for naming."""
    parsed = parse("Breaking Bad/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    assert parsed.episode_title == "Pilot"


def test_daily_show() -> None:
    """A dated episode has an air date and no episode number."""
    parsed = parse("The.Daily.Show.2024.03.05.Guest.Name.720p.WEB.mkv")
    assert parsed.kind is Kind.EPISODE
    assert parsed.title == "The Daily Show"
    assert parsed.air_date == date(2024, 3, 5)
    assert parsed.episodes == ()


def test_anime_absolute_number() -> None:
    """Fansub names carry an absolute episode number and no season."""
    parsed = parse("[HorribleSubs] Naruto - 045 [720p].mkv")
    assert parsed.kind is Kind.EPISODE
    assert parsed.title == "Naruto"
    assert parsed.absolute_episode == 45
    assert parsed.season is None
    assert parsed.release_group == "HorribleSubs"


def test_release_details() -> None:
    """Screen size, source, group, extension and edition come through."""
    parsed = parse("Blade.Runner.1982.The.Final.Cut.1080p.BluRay.x264-SPARKS.mkv")
    assert parsed.title == "Blade Runner"
    assert parsed.year == 1982
    assert parsed.edition == "Final Cut"
    assert parsed.episode_title is None
    assert parsed.screen_size == "1080p"
    assert parsed.source == "Blu-ray"
    assert parsed.release_group == "SPARKS"
    assert parsed.extension == ".mkv"


def test_plex_edition_tag() -> None:
    """Plex's `{edition-…}` tag is an edition, not part of the title."""
    parsed = parse("Blade Runner (1982)/Blade Runner (1982) {edition-Final Cut}.mkv")
    assert parsed.kind is Kind.MOVIE
    assert (parsed.title, parsed.year, parsed.edition) == ("Blade Runner", 1982, "Final Cut")


@pytest.mark.parametrize(
    ("name", "part"), [("Movie.2019.CD1.avi", 1), ("Movie (2019) - pt2.mkv", 2)]
)
def test_parts_of_a_split_movie(name: str, part: int) -> None:
    """cd1/pt2 are parts of one movie."""
    parsed = parse(name)
    assert (parsed.title, parsed.year, parsed.part) == ("Movie", 2019, part)


def test_alternative_title() -> None:
    """guessit's alternative title is kept."""
    parsed = parse("Le Fabuleux Destin d'Amélie Poulain - Amelie (2001).mkv")
    assert parsed.title == "Le Fabuleux Destin d'Amélie Poulain"
    assert parsed.alternative_title == "Amelie"


@pytest.mark.parametrize(
    ("name", "hints"),
    [
        ("The Matrix (1999) {tmdb-603}/The Matrix (1999).mkv", IdHints(tmdb=603)),
        ("The Matrix (1999) {imdb-tt0133093}.mkv", IdHints(imdb="tt0133093")),
        ("Breaking Bad [tvdbid-81189]/Season 01/S01E01.mkv", IdHints(tvdb=81189)),
        ("The.Matrix.1999.tt0133093.1080p.mkv", IdHints(imdb="tt0133093")),
        ("The.Matrix.1999.1080p.mkv", IdHints()),
    ],
)
def test_id_hints(name: str, hints: IdHints) -> None:
    """IDs in the path are read and removed before guessit sees the name."""
    parsed = parse(name)
    assert parsed.ids == hints
    assert bool(parsed.ids) is bool(hints.tmdb or hints.imdb or hints.tvdb)
    assert parsed.title is not None
    assert "tmdb" not in parsed.title.lower()
    assert "tt0" not in parsed.title


@pytest.mark.parametrize(
    ("name", "reason", "attribute", "value"),
    [
        ("Movie.2019.1080p.mkv.part", "partial_download", "partial", True),
        ("Movie.2019.1080p.mkv.!qB", "partial_download", "partial", True),
        ("Movie.2019.1080p.mkv.crdownload", "partial_download", "partial", True),
        ("Movie.2019.1080p-sample.mkv", "sample", "sample", True),
        ("Movie (2019)/Sample/movie.mkv", "sample", "sample", True),
        ("Movie.2019.Trailer.1080p.mkv", "extra", "extra", "trailer"),
        ("Movie (2019)/Featurettes/Making of.mkv", "extra", "extra", "extra"),
        ("Movie.2019.1080p.nfo", "not_video", "video", False),
        ("Movie.2019.1080p.srt", "not_video", "video", False),
    ],
)
def test_flags(name: str, reason: str, attribute: str, value: object) -> None:
    """Samples, extras, partial downloads and non-video files are flagged with a reason."""
    parsed = parse(name)
    assert reason in parsed.reasons
    assert getattr(parsed, attribute) == value


def test_partial_download_keeps_the_video_extension() -> None:
    """`x.mkv.part` is a video being downloaded."""
    parsed = parse("Movie.2019.1080p.mkv.part")
    assert parsed.extension == ".mkv"
    assert parsed.video
    assert (parsed.title, parsed.year) == ("Movie", 2019)


@pytest.mark.parametrize("ext", [".mkv", ".mp4", ".avi", ".m4v", ".ts", ".wmv", ".mov"])
def test_video_extensions(ext: str) -> None:
    """The extensions every player knows are videos."""
    parsed = parse(f"Movie.2019{ext.upper()}")
    assert parsed.video
    assert parsed.extension == ext
    assert parsed.reasons == ()


def test_folder_names_supply_what_the_file_lacks() -> None:
    """`Movie (Year)/file` and `Show/Season 01/file`: the folders carry the identity."""
    movie = parse("/downloads/complete/Heat (1995)/heat-1080p.mkv", root="/downloads")
    assert (movie.kind, movie.title, movie.year) == (Kind.MOVIE, "Heat", 1995)
    show = parse("/media/ingest/Breaking Bad/Season 02/203.mkv")
    assert show.kind is Kind.EPISODE
    assert (show.title, show.season) == ("Breaking Bad", 2)


@pytest.mark.parametrize(
    "path",
    ["/mnt/disk2/Dune.mkv", "/scratch/pytest-31/case0/Dune.mkv", "/srv/vol1/Dune.mkv"],
)
def test_unrelated_folders_are_not_read(path: str) -> None:
    """Numbered mount points and scratch folders above a file do not make it an episode."""
    parsed = parse(path)
    assert (parsed.kind, parsed.title, parsed.season, parsed.episodes) == (
        Kind.MOVIE, "Dune", None, (),
    )  # fmt: skip


def test_a_show_folder_names_a_bare_episode_file() -> None:
    """`Show/S02E03.mkv`: the file name has no title, the folder has."""
    parsed = parse("/x/Some Show/S02E03.mkv")
    assert (parsed.title, parsed.season, parsed.episodes) == ("Some Show", 2, (3,))


@pytest.mark.parametrize(
    ("path", "title", "season", "episodes"),
    [
        ("P:\\tvshows\\House MD\\S01\\S01E21.avi", "House", 1, (21,)),
        ("/tv/Some Series/ Season 02/E01-Episode title.mkv", "Some Series", 2, (1,)),
        ("/tv/the.simpsons.2401.hdtv-lol.mp4", "the simpsons", 24, (1,)),
        ("/tv/FooBar.0307.PDTV-FlexGet.mkv", "FooBar", 3, (7,)),
    ],
)
def test_episode_numbers_without_markers(
    path: str, title: str, season: int, episodes: tuple[int, ...]
) -> None:
    """`S01` season folders, and SSEE numbers that cannot be years."""
    parsed = parse(path)
    assert (parsed.kind, parsed.title, parsed.season, parsed.episodes) == (
        Kind.EPISODE, title, season, episodes,
    )  # fmt: skip


def test_a_year_inside_the_name_is_not_a_leading_year() -> None:
    """Only a year that opens the name is read as the start of the title."""
    parsed = parse("xXx.2002.15th.Anniversary.Edition.1080p.BluRay.mkv")
    assert parsed.year == 2002


def test_release_folder_names_a_junk_file() -> None:
    """A scene folder carries the title when the file name is an abbreviation."""
    parsed = parse("movies/Charlie.And.Boots.DVDRip.XviD-TheWretched/wthd-cab.avi")
    assert parsed.title == "Charlie And Boots"


def test_season_packs_list_their_seasons() -> None:
    """A season pack's seasons are all kept; `season` is the first."""
    parsed = parse("Futurama.COMPLETE.S01-S07.720p.BluRay.x265-HETeam")
    assert parsed.seasons == (1, 2, 3, 4, 5, 6, 7)
    assert parsed.season == 1


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/Movies/X2 (2003)/X2.2003.1080p.UHD.BluRay.DTS.HDR.x265-NCmt.mkv", Reading("X2", 2003)),
        ("/Movies/Tropic Thunder/dmd-tropicthunder.avi", Reading("Tropic Thunder", None)),
        ("Mission.Impossible.-.Fallout.2018.mkv", Reading("Mission Impossible Fallout", 2018)),
    ],
)
def test_later_readings_from_folders_and_alternative_titles(path: str, extra: Reading) -> None:
    """A movie folder and guessit's alternative title give readings to try after the first."""
    parsed = parse(path)
    assert extra in parsed.readings[1:]


def test_a_folder_that_repeats_the_name_adds_nothing() -> None:
    """`Title (Year)/Title (Year).mkv` has one reading."""
    assert parse("/Movies/12 Angry Men.(1957).(tt0050083)/12 Angry Men (1957).mkv").readings == (
        Reading("12 Angry Men", 1957),
    )


def test_root_outside_the_path_is_ignored() -> None:
    """A root that does not contain the path changes nothing."""
    assert parse("/a/Heat (1995).mkv", root="/b").title == "Heat"


def test_windows_separators() -> None:
    """Backslashes separate folders too."""
    parsed = parse("D:\\Downloads\\Heat (1995)\\heat.mkv")
    assert (parsed.title, parsed.year) == ("Heat", 1995)


def test_pure_path_and_bytes_input() -> None:
    """Paths and bytes are accepted."""
    assert parse(PurePosixPath("/x/The.Matrix.1999.mkv")).title == "The Matrix"
    assert parse(b"/x/The.Matrix.1999.mkv").title == "The Matrix"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty_name"),
        ("   ", "empty_name"),
        ("/", "empty_name"),
        (b"/x/The.Matrix.\xff\xfe.mkv", "not_utf8"),
        # Found by tests/reliability: an undecodable folder above an empty name kept its
        # surrogates, which SQLite and the event bus cannot encode.
        (b"/x/\x80/\t", "not_utf8"),
        ("/x/lone\ud800surrogate.mkv", "not_utf8"),
        ("The.Matrix\x00.1999.mkv", "control_characters"),
        ("The.Matrix\n.1999.mkv", "control_characters"),
        ("x" * 1000 + ".mkv", "name_too_long"),
        ("é" * 200 + ".mkv", "name_too_long"),
        ("/a" * 3000 + "/movie.mkv", "name_too_long"),
    ],
)
def test_bad_input_is_a_reason_not_an_exception(name: str | bytes, reason: str) -> None:
    """Bad names give kind unknown with a reason, never an exception."""
    parsed = parse(name)
    assert parsed.kind is Kind.UNKNOWN
    assert parsed.reasons == (reason,)
    assert parsed.title is None
    assert parsed.year is None
    parsed.path.encode("utf-8")  # valid text: no surrogate survives


def test_name_without_a_title() -> None:
    """A name with nothing guessit reads as a title."""
    parsed = parse("1080p.mkv")
    assert parsed.kind is Kind.UNKNOWN
    assert "no_title" in parsed.reasons


def test_guessit_failure_is_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """guessit's own exceptions do not escape."""

    def broken(_name: str) -> dict[str, Any]:
        msg = "guessit bug"
        raise ValueError(msg)

    monkeypatch.setattr(parse_module, "_guessit", broken)
    parse_module._parse_cached.cache_clear()
    parsed = parse("Some.Movie.2019.mkv")
    assert parsed.kind is Kind.UNKNOWN
    assert parsed.reasons == ("parse_failed",)
    assert parsed.extension == ".mkv"
    parse_module._parse_cached.cache_clear()


def test_guessit_lists_take_their_first_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """guessit answers a list when a name holds a property twice; empty values are absent."""

    def doubled(_name: str) -> dict[str, Any]:
        return {"type": "movie", "title": ["First", "Second"], "year": [2019, 2020], "cd": [],
                "source": [], "edition": ""}  # fmt: skip

    monkeypatch.setattr(parse_module, "_guessit", doubled)
    parse_module._parse_cached.cache_clear()
    parsed = parse("Doubled.mkv")
    assert (parsed.title, parsed.year, parsed.part, parsed.source, parsed.edition) == (
        "First", 2019, None, None, None,
    )  # fmt: skip
    parse_module._parse_cached.cache_clear()


def test_a_slow_name_read_here_is_slow_not_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a guessit process, nothing interrupts this thread: a slow name takes its time
    (a time limit is enforced only where a process can be killed)."""

    def slow(_name: str) -> dict[str, Any]:
        time.sleep(0.3)
        return {"type": "movie", "title": "Slow Film", "year": 2001}

    monkeypatch.setattr(parse_module, "_guessit", slow)
    monkeypatch.setattr(parse_module, "PARSE_TIME_LIMIT", 0.05)
    parse_module._parse_cached.cache_clear()
    started = time.monotonic()
    parsed = parse("Slow.Film.2001.mkv")
    assert time.monotonic() - started >= 0.3
    assert (parsed.kind, parsed.title, parsed.year, parsed.reasons) == (
        Kind.MOVIE, "Slow Film", 2001, (),
    )  # fmt: skip
    parse_module._parse_cached.cache_clear()


@pytest.mark.parametrize(
    "path",
    [
        "/data/Show.2019." + "1x01." * 60 + "/Show.S01E01.mkv",  # a folder of 310 characters
        "/data/Film (2001) " + "é" * 130 + "/Film.2001.mkv",  # 142 characters, 272 bytes
    ],
    ids=["characters", "bytes"],
)
def test_a_name_no_disk_could_hold_is_not_read_here(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """A part of the name past NAME_MAX (only a service call's text can have one) could keep
    guessit busy for a minute in this process: not read here, parse_timeout."""
    called: list[str] = []

    def recorded(name: str) -> dict[str, Any]:
        called.append(name)
        return {"type": "movie", "title": "Anything"}

    monkeypatch.setattr(parse_module, "_guessit", recorded)
    parse_module._parse_cached.cache_clear()
    parsed = parse(path)
    assert parsed.reasons == ("parse_timeout",)
    assert parsed.kind is Kind.UNKNOWN
    assert called == []
    ok = parse("/data/Film (2001) " + "é" * 121 + "/Film.2001.mkv")  # 254 bytes: read
    assert ok.reasons == ()
    assert len(called) == 1
    assert "é" * 121 in called[0]  # the folder was part of what guessit read
    parse_module._parse_cached.cache_clear()


def test_results_are_cached() -> None:
    """Parsing the same path twice costs one guessit call."""
    parse_module._parse_cached.cache_clear()
    first = parse("Cached.Movie.2019.mkv")
    second = parse("Cached.Movie.2019.mkv")
    assert first is second
    assert parse_module._parse_cached.cache_info().hits == 1
