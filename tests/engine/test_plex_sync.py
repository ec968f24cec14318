"""Partial scans and Plex match checks against the Plex emulator, with real files on disk."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.errors import PlexError, UnsafePathError
from custom_components.videodrome.engine.identify import Identifier
from custom_components.videodrome.engine.plex import PlexClient
from custom_components.videodrome.engine.plex_sync import (
    PLEX_MATCHED,
    PLEX_MISMATCH,
    PLEX_NOT_FOUND,
    PathMap,
    PlexSync,
)
from custom_components.videodrome.engine.tmdb import TMDbClient
from tests.emulators.plex import PlexEmulator, PlexLibrary

from .conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp

    from tests.emulators.tmdb import TMDbEmulator

TOKEN = "plex-sync-token"


@pytest.fixture
async def library_plex(tmp_path: Path, socket_enabled: None) -> AsyncIterator[PlexEmulator]:
    """An empty Plex with a Movies and a TV section over folders in tmp_path."""
    library = PlexLibrary.empty()
    for name in ("movies", "tv", "elsewhere"):
        (tmp_path / name).mkdir()
    library.add_section("Movies", "movie", [str(tmp_path / "movies")], key=1)
    library.add_section("TV Shows", "show", [str(tmp_path / "tv")], key=2)
    emulator = PlexEmulator(library, token=TOKEN)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


async def _setup(
    session: aiohttp.ClientSession, plex: PlexEmulator, tmdb_emulator: TMDbEmulator
) -> tuple[PlexSync, Identifier]:
    client = PlexClient(plex.url, TOKEN, session)
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url)
    return PlexSync(client, poll_interval=0.05, timeout=5), Identifier(tmdb)


def _place(root: Path, relative: PurePosixPath) -> Path:
    file = root / relative
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(b"video")
    return file


async def test_a_movie_is_scanned_and_matched(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Partial scan of the movie's folder, then Plex's item has the same TMDb id."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    found = await identifier.identify("The.Matrix.1999.1080p.mkv")
    assert found.target is not None
    file = _place(tmp_path / "movies", found.target)
    result = await sync.scan_and_verify(file, found)
    assert result.status == PLEX_MATCHED
    assert result.plex_title == "The Matrix"
    assert result.section_key == 1
    assert result.rating_key is not None
    scans = [r for r in library_plex.requests if r.path.endswith("/refresh")]
    assert [r.query.get("path") for r in scans] == [str(file.parent)]


async def test_an_episode_is_scanned_and_matched(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """A multi-episode file in its season folder is found under the right show."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    found = await identifier.identify("Breaking.Bad.S01E01E02.720p.mkv")
    assert found.target is not None
    file = _place(tmp_path / "tv", found.target)
    result = await sync.scan_and_verify(file, found)
    assert result.status == PLEX_MATCHED
    assert result.plex_title == "Breaking Bad"


async def test_the_expected_show_is_searched_among_others(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Several shows in the section; a file with no identified match is a mismatch."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    for name in ("Chernobyl.S01E01.mkv", "Breaking.Bad.S01E03.mkv"):
        found = await identifier.identify(name)
        assert found.target is not None
        file = _place(tmp_path / "tv", found.target)
        assert (await sync.scan_and_verify(file, found)).status == PLEX_MATCHED
    unknown = await identifier.identify("1080p.mkv")
    assert unknown.match is None
    located = await sync.section_for(file)
    assert located is not None
    result = await sync.verify(located[0], str(file), unknown)
    assert result.status == PLEX_MISMATCH


async def test_plex_matching_another_title_is_a_mismatch(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Videodrome chose one film, Plex matched the file to another: plex_mismatch."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    dune_2021 = await identifier.identify("Dune.2021.mkv")
    file = _place(tmp_path / "movies", PurePosixPath("Dune (1984)/Dune (1984).mkv"))
    result = await sync.scan_and_verify(file, dune_2021)
    assert result.status == PLEX_MISMATCH
    assert result.plex_title == "Dune"


async def test_outside_every_library_is_not_found(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """A folder no section covers (a wrong path mapping) is reported, not scanned."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    found = await identifier.identify("The.Matrix.1999.mkv")
    file = _place(tmp_path / "elsewhere", PurePosixPath("The Matrix (1999)/The Matrix (1999).mkv"))
    assert (await sync.scan_and_verify(file, found)).status == PLEX_NOT_FOUND
    assert not [r for r in library_plex.requests if r.path.endswith("/refresh")]


async def test_a_file_plex_does_not_list_is_not_found(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Scanned, but no item has that file (a TV file too): plex_not_found."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    movie = await identifier.identify("The.Matrix.1999.mkv")
    (tmp_path / "movies" / "Empty").mkdir()
    result = await sync.scan_and_verify(tmp_path / "movies" / "Empty" / "missing.mkv", movie)
    assert result.status == PLEX_NOT_FOUND
    show = await identifier.identify("Breaking.Bad.S01E01.mkv")
    (tmp_path / "tv" / "Nothing").mkdir()
    result = await sync.scan_and_verify(tmp_path / "tv" / "Nothing" / "x.mkv", show)
    assert result.status == PLEX_NOT_FOUND


async def test_a_scan_that_never_ends_times_out(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Plex still scanning after the timeout: the check runs anyway."""
    client = PlexClient(library_plex.url, TOKEN, session)
    sync = PlexSync(client, poll_interval=0.05, timeout=0.3)
    library_plex.faults.scan_duration = 1
    found = await Identifier(
        TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url)
    ).identify("The.Matrix.1999.mkv")
    assert found.target is not None
    file = _place(tmp_path / "movies", found.target)
    result = await sync.scan_and_verify(file, found)
    assert result.status == PLEX_NOT_FOUND
    library_plex.faults.scan_duration = 0
    await library_plex.wait_for_scans()


async def test_plex_failing_during_the_check(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """An error from Plex while looking is raised, not taken for "not found"."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    found = await identifier.identify("The.Matrix.1999.mkv")
    assert found.target is not None
    file = _place(tmp_path / "movies", found.target)
    located = await sync.section_for(file)
    assert located is not None
    library_plex.faults.fail_next = 1
    with pytest.raises(PlexError, match="500"):
        await sync.verify(located[0], str(file), found)


@pytest.mark.parametrize(
    ("pairs", "local", "expected"),
    [
        ((), "/media/plex/Movies/x.mkv", PurePosixPath("/media/plex/Movies/x.mkv")),
        (
            (("/media/plex", "/data"),),
            "/media/plex/Movies/x.mkv",
            PurePosixPath("/data/Movies/x.mkv"),
        ),
        ((("/media/plex/", "/data/"),), "/media/plex", PurePosixPath("/data")),
        ((("/media", "/a"), ("/media/plex", "/b")), "/media/plex/x.mkv", PurePosixPath("/b/x.mkv")),
        ((("/media/plex", "/data"),), "/media/plexus/x.mkv", PurePosixPath("/media/plexus/x.mkv")),
        (
            (("/media/plex", "D:\\Media"),),
            "/media/plex/Movies/x.mkv",
            PureWindowsPath("D:\\Media\\Movies\\x.mkv"),
        ),
    ],
)
def test_path_map(pairs: tuple[tuple[str, str], ...], local: str, expected: PurePosixPath) -> None:
    """Longest prefix wins, whole components only, POSIX or Windows on Plex's side."""
    assert PathMap(pairs).to_plex(Path(local)) == expected


def test_path_map_refuses_unsafe_results() -> None:
    """A mapping onto a relative path is refused."""
    with pytest.raises(UnsafePathError):
        PathMap((("/media", "relative"),)).to_plex(Path("/media/x.mkv"))


async def test_section_for_with_an_unmappable_path(
    session: aiohttp.ClientSession, library_plex: PlexEmulator
) -> None:
    """A path the map turns into nonsense belongs to no section."""
    client = PlexClient(library_plex.url, TOKEN, session)
    sync = PlexSync(client, PathMap((("/media", "relative"),)))
    assert await sync.section_for(Path("/media/x.mkv")) is None


@pytest.mark.parametrize(
    ("pairs", "seen", "expected"),
    [
        ((), "/data/TV/Show", Path("/data/TV/Show")),
        ((("/media/plex", "/data"),), "/data/TV/Show", Path("/media/plex/TV/Show")),
        ((("/media/plex", "/data"),), "/data", Path("/media/plex")),
        ((("/media/plex", "/data"),), "/elsewhere/TV", None),
        ((("/media/plex", "D:\\Media"),), "D:\\Media\\TV\\Show", Path("/media/plex/TV/Show")),
        ((("/a", "/data"), ("/b", "/data/tv")), "/data/tv/Show", Path("/b/Show")),
    ],
)
def test_path_map_back_to_home_assistant(
    pairs: tuple[tuple[str, str], ...], seen: str, expected: Path | None
) -> None:
    """Plex's view back to Home Assistant's: longest prefix, POSIX or Windows."""
    assert PathMap(pairs).to_local(seen) == expected


async def test_a_new_film_is_found_on_the_first_page_of_a_large_library(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """The match check asks for the newest items first: in a section of 1,200 older films
    the file Plex has just scanned is on the first page (one listing, not three)."""
    library = library_plex.library
    for number in range(1200):
        library._new(  # the emulator's own constructor for an item
            type="movie", title=f"Old Film {number}", section_key=1, guid=f"plex://movie/{number}",
            year=1950, files=[(str(tmp_path / "movies" / f"Old Film {number}.mkv"), 5)],
            added_at=1_000_000 + number,
        )  # fmt: skip
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    found = await identifier.identify("The.Matrix.1999.1080p.mkv")
    assert found.target is not None
    file = _place(tmp_path / "movies", found.target)
    result = await sync.scan_and_verify(file, found)
    assert result.status == PLEX_MATCHED
    listings = [r for r in library_plex.requests if r.path == "/library/sections/1/all"]
    assert [r.query.get("sort") for r in listings] == ["addedAt:desc"]
