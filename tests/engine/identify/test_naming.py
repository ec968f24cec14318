"""Plex naming: safe components, movie and episode paths, subtitles and companion files."""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath
import random
import unicodedata

import pytest

from custom_components.videodrome.engine.identify.companions import (
    COMPANION_ROOM,
    companion_path,
    subtitle_path,
)
from custom_components.videodrome.engine.identify.naming import (
    EpisodeName,
    MovieName,
    episode_path,
    movie_path,
)
from custom_components.videodrome.engine.identify.safe_names import MAX_COMPONENT_BYTES, sanitise

FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(0x20)} | {"\x7f"}
RESERVED = {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9", "CONIN$"}
MATRIX = PurePosixPath("The Matrix (1999) {tmdb-603}/The Matrix (1999).mkv")


def _utf8(text: str) -> int:
    return len(text.encode())


def _assert_safe(component: str) -> None:
    assert component
    assert not FORBIDDEN & set(component)
    assert _utf8(component) <= MAX_COMPONENT_BYTES
    assert not component.endswith((" ", "."))
    assert not component.startswith((" ", "."))
    assert unicodedata.is_normalized("NFC", component)
    assert component.split(".", 1)[0].rstrip(" ").upper() not in RESERVED


# --- sanitise -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("The Matrix", "The Matrix"),
        ("Mission: Impossible", "Mission - Impossible"),
        ("Mission : Impossible", "Mission - Impossible"),
        ("Re:Zero", "Re-Zero"),
        ("Title:", "Title"),
        ("AC/DC: Let There Be Rock", "AC-DC - Let There Be Rock"),
        ("Face/Off", "Face-Off"),
        ("Either\\Or", "Either-Or"),
        ("This | That", "This - That"),
        ('The "Great" Escape', "The 'Great' Escape"),
        ("What If...?", "What If"),
        ("M*A*S*H", "MASH"),
        ("<Title>", "Title"),
        ("  leading and trailing  ", "leading and trailing"),
        ("many    spaces\u00a0and\u2003others", "many spaces and others"),
        ("tab\there\nand\r\nline", "tab here and line"),
        ("nul\x00bell\x07del\x7fesc\x1b", "nulbelldelesc"),
        (".hidden", "hidden"),
        (" . .dots. . ", "dots"),
        ("trailing dots...", "trailing dots"),
        ("e\u0301", "\u00e9"),  # NFC
        ("e?\u0301", "\u00e9"),  # a removed character brings the accent to its letter
        ("lone \ud800 surrogate", "lone surrogate"),
        ("", "_"),
        ("???", "_"),
        ("...", "_"),
        ("Amélie", "Amélie"),
        ("千と千尋の神隠し", "千と千尋の神隠し"),
        ("{tmdb-603}", "{tmdb-603}"),
    ],
)
def test_sanitise(raw: str, safe: str) -> None:
    assert sanitise(raw) == safe


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("CON", "CON_"),
        ("con", "con_"),
        ("CON.mkv", "CON_.mkv"),
        ("nul.tar.gz", "nul_.tar.gz"),
        ("PRN", "PRN_"),
        ("AUX", "AUX_"),
        ("COM1", "COM1_"),
        ("com9.srt", "com9_.srt"),
        ("LPT1", "LPT1_"),
        ("COM¹", "COM¹_"),
        ("CONOUT$", "CONOUT$_"),
        ("CON .mkv", "CON_ .mkv"),
        ("CON.", "CON_"),
        ("Con Air", "Con Air"),
        ("CONTACT", "CONTACT"),
        ("Console.mkv", "Console.mkv"),
        ("COM10", "COM10"),
        ("LPT", "LPT"),
    ],
)
def test_windows_device_names_get_an_underscore(raw: str, safe: str) -> None:
    assert sanitise(raw) == safe


def test_keep_suffix_survives_truncation() -> None:
    title = "日本語のタイトル🎬" * 20  # 620 bytes
    safe = sanitise(f"{title} {{tmdb-603}}", keep_suffix=" {tmdb-603}")
    assert safe.endswith(" {tmdb-603}")
    assert _utf8(safe) <= MAX_COMPONENT_BYTES
    assert safe.startswith("日本語のタイトル🎬")


@pytest.mark.parametrize("max_bytes", [10, 11, 12, 13, 100, 255])
def test_truncation_never_splits_a_character(max_bytes: int) -> None:
    safe = sanitise("🎬é日" * 100, max_bytes=max_bytes)
    assert _utf8(safe) <= max_bytes
    assert _utf8(safe) > max_bytes - 4
    safe.encode().decode()  # valid UTF-8


def test_keep_suffix_is_cleaned_and_trailing_space_removed() -> None:
    assert sanitise("Title: Sub.mkv ", keep_suffix=".mkv ") == "Title - Sub.mkv"


def test_truncation_removes_spaces_and_dots_before_an_extension() -> None:
    name = "a" * 250 + " ...." + "b" * 10 + ".mkv"
    assert sanitise(name, keep_suffix=".mkv") == "a" * 250 + ".mkv"


def test_keep_suffix_without_separator_keeps_the_head_as_it_is() -> None:
    assert sanitise("Title 1", keep_suffix="1") == "Title 1"


def test_head_and_suffix_forming_a_device_name() -> None:
    assert sanitise("COM1", keep_suffix="1") == "COM_1"


def test_device_name_fix_that_does_not_fit_cuts_one_more_byte() -> None:
    tail = "." + "a" * 250  # 251 bytes: 4 bytes of name left
    assert sanitise("COM1 x" + tail, keep_suffix=tail) == "COM" + tail


def test_empty_head_with_suffix() -> None:
    assert sanitise(".mkv", keep_suffix=".mkv") == "_.mkv"
    assert sanitise(" {tmdb-1}", keep_suffix=" {tmdb-1}") == "_ {tmdb-1}"


def test_keep_suffix_must_end_the_component() -> None:
    with pytest.raises(ValueError, match="end of the component"):
        sanitise("The Matrix.mkv", keep_suffix=".avi")


def test_keep_suffix_must_leave_room() -> None:
    with pytest.raises(ValueError, match="no room"):
        sanitise("x" + "y" * 255, keep_suffix="y" * 255)


def _random_text(rng: random.Random) -> str:
    pools = [
        (0x00, 0x7F),  # ASCII with controls and every forbidden character
        (0x20, 0x2F),  # punctuation: spaces, dots, slashes, quotes
        (0x3A, 0x3F),  # : ; < = > ?
        (0x80, 0x24F),  # C1 controls, Latin-1, Latin Extended
        (0x300, 0x36F),  # combining marks
        (0x2000, 0x206F),  # Unicode spaces, joiners, bidi controls
        (0x3040, 0x30FF),  # kana
        (0x4E00, 0x9FFF),  # CJK
        (0xD800, 0xDFFF),  # lone surrogates
        (0xF900, 0xFAFF),  # CJK compatibility (NFC changes them)
        (0x1F300, 0x1FAFF),  # emoji
        (0x2F800, 0x2FA1F),  # CJK compatibility supplement (NFC changes them)
    ]
    length = rng.choice([0, 1, 2, 5, 20, 80, 200, 400])
    chars = []
    for _ in range(length):
        low, high = rng.choice(pools)
        chars.append(chr(rng.randint(low, high)))
    if rng.random() < 0.1:
        chars[:0] = rng.choice(["CON", "nul", "COM1", "lpt¹", "Con"])
    if rng.random() < 0.2:
        chars.append(rng.choice([".", " ", "..", " .", ": ", "?"]))
    return "".join(chars)


def test_sanitise_properties_over_random_strings() -> None:
    rng = random.Random(20250314)  # noqa: S311 -- seeded for reproducible cases, not secrets
    for _ in range(500):
        raw = _random_text(rng)
        safe = sanitise(raw)
        _assert_safe(safe)
        assert sanitise(safe) == safe, raw
        with_ext = sanitise(raw + ".mkv", keep_suffix=".mkv")
        _assert_safe(with_ext)
        assert with_ext.endswith(".mkv")


# --- movies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        (
            MovieName("The Matrix", 1999, tmdb_id=603, quality="1080p BluRay"),
            "mkv",
            "The Matrix (1999) {tmdb-603}/The Matrix (1999) - 1080p BluRay.mkv",
        ),
        (
            MovieName("The Matrix", 1999, tmdb_id=603, imdb_id="tt0133093"),
            ".MKV",
            "The Matrix (1999) {tmdb-603}/The Matrix (1999).mkv",
        ),
        (
            MovieName("The Dark Knight", 2008, imdb_id=" TT0468569 "),
            "mp4",
            "The Dark Knight (2008) {imdb-tt0468569}/The Dark Knight (2008).mp4",
        ),
        (
            MovieName("Mission: Impossible - Dead Reckoning Part One", 2023, tmdb_id=575264),
            "mkv",
            (
                "Mission - Impossible - Dead Reckoning Part One (2023) {tmdb-575264}/"
                "Mission - Impossible - Dead Reckoning Part One (2023).mkv"
            ),
        ),
        (
            MovieName("AC/DC: Let There Be Rock", 1980, tmdb_id=33558),
            "avi",
            "AC-DC - Let There Be Rock (1980) {tmdb-33558}/AC-DC - Let There Be Rock (1980).avi",
        ),
        (
            MovieName("Blade Runner 2049", 2017),
            "mkv",
            "Blade Runner 2049 (2017)/Blade Runner 2049 (2017).mkv",
        ),
        (MovieName("The Matrix", None), "mkv", "The Matrix/The Matrix.mkv"),
        (MovieName("What If...?", None), "mkv", "What If/What If.mkv"),
        (
            MovieName("Ocean's Eleven...", 2001),
            "mkv",
            "Ocean's Eleven... (2001)/Ocean's Eleven... (2001).mkv",
        ),
        (MovieName("CON", None), "mkv", "CON_/CON_.mkv"),
        (MovieName("Con Air", 1997), "mkv", "Con Air (1997)/Con Air (1997).mkv"),
        (MovieName("Con Air", None), "mkv", "Con Air/Con Air.mkv"),
        (
            MovieName("Title {tmdb-1}", 2000),
            "mkv",
            "Title (tmdb-1) (2000)/Title (tmdb-1) (2000).mkv",
        ),
        (MovieName("[REC]", 2007), "mkv", "[REC] (2007)/[REC] (2007).mkv"),
        (MovieName("Line\x00Feed\x1f", 2000), "mkv", "LineFeed (2000)/LineFeed (2000).mkv"),
    ],
)
def test_movie_path(name: MovieName, extension: str, expected: str) -> None:
    assert movie_path(name, extension) == PurePosixPath(expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            MovieName("Blade Runner", 1982, tmdb_id=78, edition="Final Cut"),
            (
                "Blade Runner (1982) {edition-Final Cut} {tmdb-78}/"
                "Blade Runner (1982) {edition-Final Cut}.mkv"
            ),
        ),
        (
            MovieName("Blade Runner", 1982, edition="Director's Cut: {Remastered}."),
            (
                "Blade Runner (1982) {edition-Director's Cut - (Remastered)}/"
                "Blade Runner (1982) {edition-Director's Cut - (Remastered)}.mkv"
            ),
        ),
        (
            MovieName("Blade Runner", 1982, edition="..."),
            "Blade Runner (1982)/Blade Runner (1982).mkv",
        ),
        (
            MovieName("The Dark Knight", 2008, part=1),
            "The Dark Knight (2008)/The Dark Knight (2008) - pt1.mkv",
        ),
        (
            MovieName("The Dark Knight", 2008, part=8),
            "The Dark Knight (2008)/The Dark Knight (2008) - pt8.mkv",
        ),
        (
            MovieName(
                "Blade Runner", 1982, tmdb_id=78, edition="Final Cut", part=2, quality="2160p UHD"
            ),
            (
                "Blade Runner (1982) {edition-Final Cut} {tmdb-78}/"
                "Blade Runner (1982) {edition-Final Cut} - 2160p UHD - pt2.mkv"
            ),
        ),
        (MovieName("Alien", 1979, quality="???"), "Alien (1979)/Alien (1979).mkv"),
        (
            MovieName("Alien", 1979, quality="[1080p] {x265}"),
            "Alien (1979)/Alien (1979) - [1080p] (x265).mkv",
        ),
    ],
)
def test_movie_edition_part_and_quality(name: MovieName, expected: str) -> None:
    assert movie_path(name, "mkv") == PurePosixPath(expected)


def test_movie_ids_can_be_left_out() -> None:
    name = MovieName("The Matrix", 1999, tmdb_id=603, edition="Remastered")
    assert movie_path(name, "mkv", include_ids=False) == PurePosixPath(
        "The Matrix (1999) {edition-Remastered}/The Matrix (1999) {edition-Remastered}.mkv"
    )


def test_long_edition_and_quality_are_cut() -> None:
    name = MovieName("Alien", 1979, edition="E" * 300, quality="Q" * 300)
    folder, file = movie_path(name, "mkv").parts
    assert folder == f"Alien (1979) {{edition-{'E' * 100}}}"
    assert file == f"Alien (1979) {{edition-{'E' * 100}}} - {'Q' * 100}.mkv"


@pytest.mark.parametrize("title", ["日本語のタイトル" * 13, "🎬" * 75, "é" * 150, "a" * 300])
def test_long_movie_title_is_cut_keeping_year_ids_and_extension(title: str) -> None:
    assert _utf8(title) >= 300
    folder, file = movie_path(MovieName(title, 2020, tmdb_id=603), "mkv").parts
    assert folder.endswith(" (2020) {tmdb-603}")
    assert file.endswith(" (2020).mkv")
    assert _utf8(folder) <= MAX_COMPONENT_BYTES
    assert _utf8(file) <= MAX_COMPONENT_BYTES - COMPANION_ROOM + len(".mkv")
    assert title.startswith(folder.removesuffix(" (2020) {tmdb-603}"))
    assert title.startswith(file.removesuffix(" (2020).mkv"))
    _assert_safe(folder)
    _assert_safe(file)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (MovieName("", 1999), "title is empty"),
        (MovieName("   ", 1999), "title is empty"),
        (MovieName("The Matrix", 99), "not a year"),
        (MovieName("The Matrix", 10000), "not a year"),
        (MovieName("The Matrix", 1999, tmdb_id=0), "tmdb_id must be positive"),
        (MovieName("The Matrix", 1999, imdb_id="0133093"), "not an IMDb ID"),
        (MovieName("The Matrix", 1999, imdb_id="tt12"), "not an IMDb ID"),
        (MovieName("The Matrix", 1999, part=0), "parts 1 to 8"),
        (MovieName("The Matrix", 1999, part=9), "parts 1 to 8"),
    ],
)
def test_movie_path_refuses_bad_names(name: MovieName, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        movie_path(name, "mkv")


@pytest.mark.parametrize(
    "extension", ["", ".", "m k v", "mkv/", "verylongext", ".tar.gz", "mkv\x00"]
)
def test_bad_extensions_are_refused(extension: str) -> None:
    with pytest.raises(ValueError, match="not a file extension"):
        movie_path(MovieName("The Matrix", 1999), extension)


@pytest.mark.parametrize("extension", ["mkv", ".mkv", "MKV", ".MKV", " mkv "])
def test_extensions_with_or_without_dot_any_case(extension: str) -> None:
    assert movie_path(MovieName("Alien", 1979), extension).suffix == ".mkv"


# --- episodes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            EpisodeName("Breaking Bad", 2008, 1, (1,), "Pilot", tvdb_id=81189, tmdb_id=1396),
            "Breaking Bad (2008) {tvdb-81189}/Season 01/Breaking Bad (2008) - s01e01 - Pilot.mkv",
        ),
        (
            EpisodeName("Breaking Bad", 2008, 1, (1,), "Pilot", tmdb_id=1396),
            "Breaking Bad (2008) {tmdb-1396}/Season 01/Breaking Bad (2008) - s01e01 - Pilot.mkv",
        ),
        (
            EpisodeName("Breaking Bad", None, 5, (16,)),
            "Breaking Bad/Season 05/Breaking Bad - s05e16.mkv",
        ),
        (
            EpisodeName("Doctor Who", 2005, 0, (1,), "The Christmas Invasion"),
            "Doctor Who (2005)/Season 00/Doctor Who (2005) - s00e01 - The Christmas Invasion.mkv",
        ),
        (
            EpisodeName("Grey's Anatomy", 2005, 2, (19, 18), "Yesterday"),
            "Grey's Anatomy (2005)/Season 02/Grey's Anatomy (2005) - s02e18-e19 - Yesterday.mkv",
        ),
        (
            EpisodeName("Show", 2000, 1, (3, 1, 2, 2)),
            "Show (2000)/Season 01/Show (2000) - s01e01-e03.mkv",
        ),
        (
            EpisodeName("The Simpsons", 1989, 1, (0,)),
            "The Simpsons (1989)/Season 01/The Simpsons (1989) - s01e00.mkv",
        ),
        (
            EpisodeName("Long Runner", 1950, 100, (100, 101)),
            "Long Runner (1950)/Season 100/Long Runner (1950) - s100e100-e101.mkv",
        ),
        (
            EpisodeName("One Piece", 1999, 21, (1000,), "Overwhelming Strength!"),
            "One Piece (1999)/Season 21/One Piece (1999) - s21e1000 - Overwhelming Strength!.mkv",
        ),
        (
            EpisodeName(
                "What If...?",
                2021,
                1,
                (1,),
                "What If... Captain Carter Were the First Avenger?",
                tmdb_id=91363,
            ),
            (
                "What If... (2021) {tmdb-91363}/Season 01/"
                "What If... (2021) - s01e01 - What If... Captain Carter Were the First Avenger.mkv"
            ),
        ),
        (
            EpisodeName("Show", 2000, 1, (1,), "To Be Continued..."),
            "Show (2000)/Season 01/Show (2000) - s01e01 - To Be Continued.mkv",
        ),
        (
            EpisodeName("Show", 2000, 1, (1,), "To Be Continued...", quality="720p"),
            "Show (2000)/Season 01/Show (2000) - s01e01 - To Be Continued... [720p].mkv",
        ),
        (
            EpisodeName("Show", 2000, 1, (1,), "Pilot", quality="1080p [WEB-DL]"),
            "Show (2000)/Season 01/Show (2000) - s01e01 - Pilot [1080p (WEB-DL)].mkv",
        ),
        (
            EpisodeName("Show", 2000, 1, (1,), "???", quality="???"),
            "Show (2000)/Season 01/Show (2000) - s01e01.mkv",
        ),
        (
            EpisodeName("Show", 2000, 1, (1,), "Chapter 1: {The} Start", quality="1080p"),
            "Show (2000)/Season 01/Show (2000) - s01e01 - Chapter 1 - (The) Start [1080p].mkv",
        ),
    ],
)
def test_episode_path(name: EpisodeName, expected: str) -> None:
    assert episode_path(name, "MKV") == PurePosixPath(expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            EpisodeName("The Daily Show", 1996, None, (), "Guest: Jane Doe", date(2024, 3, 5)),
            (
                "The Daily Show (1996)/Season 2024/"
                "The Daily Show (1996) - 2024-03-05 - Guest - Jane Doe.mkv"
            ),
        ),
        (
            EpisodeName("The Daily Show", 1996, None, air_date=date(2024, 12, 31)),
            "The Daily Show (1996)/Season 2024/The Daily Show (1996) - 2024-12-31.mkv",
        ),
        (
            EpisodeName("The Daily Show", 1996, 29, air_date=date(2024, 3, 5), quality="720p"),
            "The Daily Show (1996)/Season 29/The Daily Show (1996) - 2024-03-05 [720p].mkv",
        ),
        (
            EpisodeName("Show", None, 2, (3,), "Numbered wins", date(2024, 3, 5)),
            "Show/Season 02/Show - s02e03 - Numbered wins.mkv",
        ),
    ],
)
def test_dated_episode_path(name: EpisodeName, expected: str) -> None:
    assert episode_path(name, "mkv") == PurePosixPath(expected)


def test_episode_ids_can_be_left_out() -> None:
    name = EpisodeName("Breaking Bad", 2008, 1, (1,), tvdb_id=81189, tmdb_id=1396)
    assert episode_path(name, "mkv", include_ids=False).parts[0] == "Breaking Bad (2008)"


@pytest.mark.parametrize(
    ("title", "quality"),
    [("長いエピソードのタイトル" * 12, None), ("🎬" * 80, "1080p"), ("x" * 300, None)],
)
def test_long_episode_title_is_cut_to_fit(title: str, quality: str | None) -> None:
    name = EpisodeName("Breaking Bad", 2008, 1, (1,), title, tvdb_id=81189, quality=quality)
    folder, season, file = episode_path(name, "mkv").parts
    assert (folder, season) == ("Breaking Bad (2008) {tvdb-81189}", "Season 01")
    assert file.startswith("Breaking Bad (2008) - s01e01 - ")
    assert file.endswith(f" [{quality}].mkv" if quality else ".mkv")
    limit = MAX_COMPONENT_BYTES - COMPANION_ROOM + len(".mkv")
    assert limit - 4 < _utf8(file) <= limit
    kept = file.removeprefix("Breaking Bad (2008) - s01e01 - ").removesuffix(".mkv")
    assert title.startswith(kept.removesuffix(f" [{quality}]"))
    _assert_safe(file)


def test_long_show_name_is_cut_keeping_episode_and_extension() -> None:
    show = "番組" * 60  # 360 bytes
    name = EpisodeName(show, 2001, 1, (2,), "A title that no longer fits", tvdb_id=1)
    folder, _, file = episode_path(name, "mkv").parts
    assert folder.endswith(" (2001) {tvdb-1}")
    assert file.endswith(" (2001) - s01e02.mkv")
    assert _utf8(folder) <= MAX_COMPONENT_BYTES
    assert _utf8(file) <= MAX_COMPONENT_BYTES - COMPANION_ROOM + len(".mkv")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (EpisodeName("", 2008, 1, (1,)), "show is empty"),
        (EpisodeName("Show", 2008, -1, (1,)), "not a season"),
        (EpisodeName("Show", 2008, None, (1,)), "need a season"),
        (EpisodeName("Show", 2008, 1, (-1,)), "not an episode"),
        (EpisodeName("Show", 2008, 1, (1, 3)), "consecutive"),
        (EpisodeName("Show", 2008, 1), "episode numbers or an air date"),
        (EpisodeName("Show", 208, 1, (1,)), "not a year"),
        (EpisodeName("Show", 2008, 1, (1,), tvdb_id=-5), "tvdb_id must be positive"),
        (EpisodeName("Show", 2008, 1, (1,), tmdb_id=0), "tmdb_id must be positive"),
    ],
)
def test_episode_path_refuses_bad_names(name: EpisodeName, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        episode_path(name, "mkv")


def test_every_component_of_an_episode_is_safe() -> None:
    name = EpisodeName(" .CON", None, 1, (1,), 'A "B" <C> | D? *', quality="HD?")
    path = episode_path(name, "mkv")
    assert path == PurePosixPath("CON_/Season 01/CON - s01e01 - A 'B' C - D [HD].mkv")
    for part in path.parts:
        _assert_safe(part)


# --- subtitles and companions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({}, "The Matrix (1999).srt"),
        ({"language": "en"}, "The Matrix (1999).en.srt"),
        ({"language": "EN"}, "The Matrix (1999).en.srt"),
        ({"language": "eng"}, "The Matrix (1999).eng.srt"),
        ({"language": "ger"}, "The Matrix (1999).ger.srt"),
        ({"language": "deu"}, "The Matrix (1999).deu.srt"),
        ({"language": "English"}, "The Matrix (1999).en.srt"),
        ({"language": "pt-BR"}, "The Matrix (1999).pt.srt"),
        ({"language": "es_419"}, "The Matrix (1999).es.srt"),
        ({"language": "Farsi"}, "The Matrix (1999).fa.srt"),
        ({"language": "en", "forced": True}, "The Matrix (1999).en.forced.srt"),
        ({"language": "en", "sdh": True}, "The Matrix (1999).en.sdh.srt"),
        ({"language": "en", "forced": True, "sdh": True}, "The Matrix (1999).en.forced.sdh.srt"),
        ({"forced": True}, "The Matrix (1999).forced.srt"),
    ],
)
def test_subtitle_path(kwargs: dict[str, str | bool], name: str) -> None:
    result = subtitle_path(MATRIX, ".SRT", **kwargs)  # type: ignore[arg-type]
    assert result == MATRIX.with_name(name)


@pytest.mark.parametrize("language", ["", "xx", "klingon", "e", "english.srt"])
def test_subtitle_path_refuses_unknown_languages(language: str) -> None:
    with pytest.raises(ValueError, match="not a language"):
        subtitle_path(MATRIX, "srt", language=language)


def test_subtitle_of_the_longest_video_name_fits() -> None:
    name = EpisodeName("🎬" * 100, 2000, 1, (1,), "x" * 300, quality="2160p")
    video = episode_path(name, "m2ts")
    subtitle = subtitle_path(video, "idx", language="eng", forced=True, sdh=True)
    assert _utf8(subtitle.name) <= MAX_COMPONENT_BYTES
    assert subtitle.name.startswith(video.stem)


def test_subtitle_of_a_too_long_video_name_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        subtitle_path(PurePosixPath("x" * 250 + ".mkv"), "srt", language="en", forced=True)


@pytest.mark.parametrize(
    ("companion", "name"),
    [
        ("Movie.2019.1080p.en.forced.srt", "The Matrix (1999).en.forced.srt"),
        ("Movie.2019.en.forced.srt", "The Matrix (1999).en.forced.srt"),
        ("Movie.2019.English.srt", "The Matrix (1999).en.srt"),
        ("Movie.2019.eng.sdh.srt", "The Matrix (1999).eng.sdh.srt"),
        ("Movie.2019.ENG.SDH.SRT", "The Matrix (1999).eng.sdh.srt"),
        ("Movie.2019.srt", "The Matrix (1999).srt"),
        ("movie.eng.srt", "The Matrix (1999).eng.srt"),
        ("Movie.nfo", "The Matrix (1999).nfo"),
        ("Movie.2019.fre.forced.ass", "The Matrix (1999).fre.forced.ass"),
        ("Movie.2019.en.cc.srt", "The Matrix (1999).en.sdh.srt"),
        ("Movie.2019.en.hi.srt", "The Matrix (1999).en.sdh.srt"),
        ("Movie.2019.hi.en.srt", "The Matrix (1999).en.sdh.srt"),
        ("Movie.2019.hi.srt", "The Matrix (1999).hi.srt"),
        ("Movie.2019.hin.srt", "The Matrix (1999).hin.srt"),
        ("Movie.2019.pt-BR.srt", "The Matrix (1999).pt.srt"),
        ("Movie.2019.es.default.srt", "The Matrix (1999).es.srt"),
        ("Movie.2019.spa.foreign.srt", "The Matrix (1999).spa.forced.srt"),
        ("Movie.2019.en.foo.forced.srt", "The Matrix (1999).forced.srt"),
        ("Movie.2019.German.sub", "The Matrix (1999).de.sub"),
        ("Movie.2019.de.en.srt", "The Matrix (1999).en.srt"),
        ("It.srt", "The Matrix (1999).srt"),  # the first part is the name, never a tag
        ("La.La.Land.2016.srt", "The Matrix (1999).srt"),
        ("Movie.2019.jpg", "The Matrix (1999).jpg"),
        ("poster.jpg", "poster.jpg"),
        ("Fanart.JPEG", "fanart.jpeg"),
        ("movie.srt", "The Matrix (1999).srt"),  # "movie" names artwork only as an image
        ("Movie.2019-fanart.jpg", "The Matrix (1999)-fanart.jpg"),
        ("Movie.2019-Banner.png", "The Matrix (1999)-banner.png"),
    ],
)
def test_companion_path(companion: str, name: str) -> None:
    assert companion_path(MATRIX, companion) == MATRIX.with_name(name)


@pytest.mark.parametrize(
    ("companion", "name"),
    [
        ("Movie.2019.en.foo.forced.srt", "The Matrix (1999).en.forced.srt"),
        ("movie.2019.1080p.x264.ITA.srt", "The Matrix (1999).ita.srt"),
        ("Movie.2019.srt", "The Matrix (1999).srt"),
        ("It.it.srt", "The Matrix (1999).it.srt"),
        ("It.srt", "The Matrix (1999).srt"),
        # not named after the source video: the tags at the end are read
        ("Other.en.srt", "The Matrix (1999).en.srt"),
        ("Movie.20190.en.x.srt", "The Matrix (1999).srt"),
    ],
)
def test_companion_path_with_source_stem(companion: str, name: str) -> None:
    source_stem = "It" if companion.startswith("It") else "Movie.2019"
    result = companion_path(MATRIX, companion, source_stem=source_stem)
    assert result == MATRIX.with_name(name)


def test_companion_of_an_episode_stays_in_its_season_folder() -> None:
    video = episode_path(EpisodeName("Breaking Bad", 2008, 1, (1,), "Pilot"), "mkv")
    assert companion_path(video, "Breaking.Bad.S01E01.720p.en.srt") == PurePosixPath(
        "Breaking Bad (2008)/Season 01/Breaking Bad (2008) - s01e01 - Pilot.en.srt"
    )


@pytest.mark.parametrize(
    ("companion", "message"),
    [
        ("sub/Movie.en.srt", "not a file name"),
        ("sub\\Movie.en.srt", "not a file name"),
        ("Movie", "not a companion file name"),
        (".srt", "not a companion file name"),
        ("...srt", "not a companion file name"),
        ("Movie.en.s r t", "not a file extension"),
    ],
)
def test_companion_path_refuses_bad_names(companion: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        companion_path(MATRIX, companion)
