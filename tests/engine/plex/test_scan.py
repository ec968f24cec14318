"""Partial scans and Plex match checks against the Plex emulator, with real files on disk."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.errors import UnsafePathError
from custom_components.videodrome.engine.identify.identifier import Identification, Identifier
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.errors import PlexError
from custom_components.videodrome.engine.plex.scan import (
    PLEX_MATCHED,
    PLEX_MISMATCH,
    PLEX_NOT_FOUND,
    RECENT_PAGE,
    PathMap,
    PlexSync,
    Verification,
    wanted_ids,
)
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.engine.conftest import TMDB_KEY, movies_and_tv

if TYPE_CHECKING:
    import aiohttp

    from tests.emulators.server import Emulators
    from tests.emulators.tmdb import TMDbEmulator

TOKEN = "plex-sync-token"


@pytest.fixture
async def library_plex(tmp_path: Path, emulators: Emulators) -> PlexEmulator:
    """An empty Plex with a Movies and a TV section over folders in tmp_path."""
    for name in ("movies", "tv", "elsewhere"):
        (tmp_path / name).mkdir()
    return await emulators.start(PlexEmulator(movies_and_tv(tmp_path), token=TOKEN))


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


async def _file_and_scan(
    sync: PlexSync, identifier: Identifier, root: Path, name: str
) -> tuple[Path, Identification, Verification]:
    """Identify `name`, place it where Videodrome would file it under `root`, scan, check."""
    found = await identifier.identify(name)
    assert found.target is not None
    file = _place(root, found.target)
    return file, found, await sync.scan_and_verify(file, found)


async def test_a_movie_is_scanned_and_matched(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Partial scan of the movie's folder, then Plex's item has the same TMDb id."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    file, _found, result = await _file_and_scan(
        sync, identifier, tmp_path / "movies", "The.Matrix.1999.1080p.mkv"
    )
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
    _file, _found, result = await _file_and_scan(
        sync, identifier, tmp_path / "tv", "Breaking.Bad.S01E01E02.720p.mkv"
    )
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
        file, _, result = await _file_and_scan(sync, identifier, tmp_path / "tv", name)
        assert result.status == PLEX_MATCHED
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
    _file, _found, result = await _file_and_scan(
        sync, identifier, tmp_path / "movies", "The.Matrix.1999.1080p.mkv"
    )
    assert result.status == PLEX_MATCHED
    listings = [r for r in library_plex.requests if r.path == "/library/sections/1/all"]
    assert [r.query.get("sort") for r in listings] == ["addedAt:desc"]


def _listings(plex: PlexEmulator, section_key: int) -> list[dict[str, str]]:
    path = f"/library/sections/{section_key}/all"
    return [dict(r.query) for r in plex.requests if r.path == path]


def _old_shows(library: PlexLibrary, root: Path, count: int) -> list[int]:
    """`count` shows of two episodes each, added long ago; their rating keys."""
    keys = []
    for number in range(count):
        show = library._new(  # the emulator's own constructor for an item
            type="show", title=f"Old Show {number}", section_key=2, guid=f"plex://show/{number}",
            guids=[f"tvdb://{900_000 + number}"], added_at=1_000_000,
        )  # fmt: skip
        season = library._new(
            type="season", title="Season 1", section_key=2, guid=f"plex://season/{number}",
            index=1, parent_key=show.rating_key, added_at=1_000_000,
        )  # fmt: skip
        for episode in (1, 2):
            name = f"Old Show {number} - s01e0{episode}.mkv"
            library._new(
                type="episode", title=f"Episode {episode}", section_key=2,
                guid=f"plex://episode/{number}/{episode}", index=episode,
                parent_key=season.rating_key, files=[(str(root / name), 5)],
                added_at=1_000_000 + number,
            )  # fmt: skip
        keys.append(show.rating_key)
    return keys


async def test_a_new_episode_is_found_among_the_newest_episodes(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """In a section of 300 older shows, the check reads one small page of the newest
    episodes and the one show it found there: no listing of every show, no allLeaves."""
    _old_shows(library_plex.library, tmp_path / "tv", 300)
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    _file, _found, result = await _file_and_scan(
        sync, identifier, tmp_path / "tv", "Breaking.Bad.S01E01.720p.mkv"
    )
    assert result.status == PLEX_MATCHED
    assert result.plex_title == "Breaking Bad"
    assert result.match_key is not None
    assert result.rating_key != result.match_key  # the episode's key, the show's match
    assert _listings(library_plex, 2) == [
        {
            "X-Plex-Container-Start": "0",
            "X-Plex-Container-Size": str(RECENT_PAGE),
            "type": "4",
            "sort": "addedAt:desc",
        }
    ]
    metadata = [r for r in library_plex.requests if r.path.startswith("/library/metadata/")]
    assert [r.path for r in metadata] == [f"/library/metadata/{result.match_key}"]
    assert metadata[0].query.get("includeGuids") == "1"


async def test_an_older_episode_is_found_through_its_show(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """A file no longer among the newest episodes (checked again later, for instance) is
    found by listing the shows, the expected one first."""
    sync, identifier = await _setup(session, library_plex, tmdb_emulator)
    file, found, result = await _file_and_scan(
        sync, identifier, tmp_path / "tv", "Breaking.Bad.S01E01.720p.mkv"
    )
    assert result.status == PLEX_MATCHED
    library = library_plex.library
    newer = _old_shows(library, tmp_path / "tv", RECENT_PAGE)
    for item in library.items.values():
        if item.type == "episode" and item.title.startswith("Episode "):
            item.added_at = 3_000_000_000  # after Breaking Bad's episode
    library_plex.requests.clear()
    match = found.match
    assert match is not None
    result = await sync.check(file, wanted_ids(match.tmdb_id, found.tvdb_id, None))
    assert result.status == PLEX_MATCHED
    assert result.plex_title == "Breaking Bad"
    assert [q.get("type") for q in _listings(library_plex, 2)] == ["4", "2"]
    leaves = [r.path for r in library_plex.requests if r.path.endswith("/allLeaves")]
    assert leaves == [f"/library/metadata/{result.match_key}/allLeaves"]  # the expected show
    assert int(result.match_key or 0) not in newer


async def test_an_episode_plex_lists_without_its_show_is_looked_for_by_show(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """A newest episode with no `grandparentRatingKey` cannot name its show: the check
    falls back to the shows' listing, where no show holds it: plex_not_found."""
    file = _place(tmp_path / "tv", PurePosixPath("Orphan/orphan.mkv"))
    library_plex.library._new(
        type="episode", title="Orphan", section_key=2, guid="plex://episode/orphan",
        files=[(str(file), 5)],
    )  # fmt: skip
    sync, _ = await _setup(session, library_plex, tmdb_emulator)
    located = await sync.section_for(file)
    assert located is not None
    result = await sync.verify_ids(located[0], str(file), {"tvdb://81189"})
    assert result.status == PLEX_NOT_FOUND
    assert [q.get("type") for q in _listings(library_plex, 2)] == ["4", "2"]


async def test_an_older_film_is_found_on_a_later_page(
    session: aiohttp.ClientSession,
    library_plex: PlexEmulator,
    tmdb_emulator: TMDbEmulator,
    tmp_path: Path,
) -> None:
    """Past the first small page the check reads pages of 500: a film added long ago in a
    section of 1,200 is found on the fourth listing."""
    library = library_plex.library
    for number in range(1200):
        library._new(
            type="movie", title=f"Old Film {number}", section_key=1, guid=f"plex://movie/{number}",
            guids=[f"tmdb://{500_000 + number}"], year=1950,
            files=[(str(tmp_path / "movies" / f"Old Film {number}.mkv"), 5)],
            added_at=1_000_000 + number,
        )  # fmt: skip
    sync, _ = await _setup(session, library_plex, tmdb_emulator)
    file = tmp_path / "movies" / "Old Film 5.mkv"
    located = await sync.section_for(file)
    assert located is not None
    result = await sync.verify_ids(located[0], str(file), {"tmdb://500005"})
    assert result.status == PLEX_MATCHED
    assert result.plex_title == "Old Film 5"
    sizes = [q["X-Plex-Container-Size"] for q in _listings(library_plex, 1)]
    assert sizes == [str(RECENT_PAGE), "500", "500", "500"]
