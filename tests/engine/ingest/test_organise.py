"""Organise in place: real messy trees renamed to Plex's conventions, and undone."""

from __future__ import annotations

import asyncio
import ctypes
import errno
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.errors import VideodromeError
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.ingest import fs as fs_module, organise as organise_module
from custom_components.videodrome.engine.ingest.errors import (
    CrossFilesystemError,
    DestinationExistsError,
)
from custom_components.videodrome.engine.ingest.organise import (
    ALREADY_ORGANISED,
    Organiser,
    move_noreplace,
)
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import Settings
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.scan import PlexSync
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.plex import PlexEmulator
from tests.engine.conftest import TMDB_KEY, movies_and_tv

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp

    from tests.emulators.server import Emulators
    from tests.emulators.tmdb import TMDbEmulator

TOKEN = "organise-token"
MESSY = {
    "movies/the.matrix.1999.1080p.bluray.x264-grp.mkv": b"matrix",
    "movies/Heat.1995/Heat.1995.720p.mkv": b"heat",
    "movies/Heat.1995/Heat.1995.720p.en.srt": b"subs",
    "movies/Dune.mkv": b"which dune",
    "tv/breaking.bad.s01e01.720p.hdtv.mkv": b"pilot",
    "tv/Chernobyl/Season 1/Chernobyl.S01E02.mkv": b"chernobyl",
}


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` with the SHA-256 of its content."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".db") and ".db-" not in p.name
    }


@pytest.fixture
async def organiser(
    tmp_path: Path,
    tmdb_emulator: TMDbEmulator,
    session: aiohttp.ClientSession,
    emulators: Emulators,
) -> AsyncIterator[tuple[Organiser, PlexEmulator]]:
    """An organiser over a messy library that Plex (emulated) holds in two sections."""
    for relative, content in MESSY.items():
        file = tmp_path / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content)
    plex = await emulators.start(PlexEmulator(movies_and_tv(tmp_path), token=TOKEN))
    store = Store(tmp_path / "store.db")
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url)
    roots = (tmp_path / "movies", tmp_path / "tv")
    pipeline = Pipeline(Identifier(tmdb), Settings(roots, *roots))

    async def run_blocking(job: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, job)

    client = PlexClient(plex.url, TOKEN, session)
    sync = PlexSync(client, poll_interval=0.05, timeout=5)
    try:
        yield Organiser(pipeline, store, sync, run_blocking=run_blocking), plex
    finally:
        store.close()


async def test_dry_run_changes_nothing(
    organiser: tuple[Organiser, PlexEmulator], tmp_path: Path
) -> None:
    """The plan lists every rename; no file moves."""
    service, _plex = organiser
    before = snapshot(tmp_path)
    planned = await service.organise(tmp_path / "movies")
    assert snapshot(tmp_path) == before
    by_name = {o.planned.source.path.name: o for o in planned}
    matrix = by_name["the.matrix.1999.1080p.bluray.x264-grp.mkv"]
    assert matrix.status == "planned"
    assert matrix.planned.destination == (
        tmp_path
        / "movies"
        / "The Matrix (1999) {tmdb-603}"
        / "The Matrix (1999) - 1080p Blu-ray.mkv"
    )
    assert by_name["Dune.mkv"].planned.action.value == "review"


async def test_organise_then_undo_restores_the_tree(
    organiser: tuple[Organiser, PlexEmulator], tmp_path: Path
) -> None:
    """Sure files get Plex names (subtitles too), Plex scans them; undo puts back every byte."""
    service, plex = organiser
    before = snapshot(tmp_path)
    results = await service.organise(tmp_path / "movies", dry_run=False)
    results += await service.organise(tmp_path / "tv", dry_run=False)
    statuses = {o.planned.source.path.name: o.status for o in results}
    assert statuses["the.matrix.1999.1080p.bluray.x264-grp.mkv"] == "organised"
    assert statuses["Dune.mkv"] == "review"
    after = snapshot(tmp_path)
    assert "movies/Heat (1995) {tmdb-949}/Heat (1995) - 720p.mkv" in after
    assert "movies/Heat (1995) {tmdb-949}/Heat (1995) - 720p.en.srt" in after
    assert "movies/Dune.mkv" in after  # uncertain: left where it was
    assert (
        "tv/Breaking Bad (2008) {tvdb-81189}/Season 01/"
        "Breaking Bad (2008) - s01e01 - Pilot [720p HDTV].mkv"
    ) in after
    assert sorted(after.values()) == sorted(before.values())  # nothing lost, nothing copied
    assert (tmp_path / "movies" / "Heat.1995").is_dir()  # empty folders stay
    assert any(r.path.endswith("/refresh") for r in plex.requests)
    organised = [o.item for o in results if o.status == "organised" and o.item]
    store = service._store
    stored = [store.get_item(i.id) for i in organised]
    assert all(i is not None and i.plex_status == "plex_matched" for i in stored)
    for batch in {i.batch for i in organised}:
        undone = await service.undo(batch=batch)
        assert all(i.status == ItemStatus.UNDONE for i in undone)
    assert snapshot(tmp_path) == before


async def test_files_already_organised_are_left_alone(
    organiser: tuple[Organiser, PlexEmulator], tmp_path: Path
) -> None:
    """A second run finds nothing to do."""
    service, _plex = organiser
    await service.organise(tmp_path / "movies", dry_run=False)
    again = await service.organise(tmp_path / "movies")
    reasons = {o.planned.source.path.name: o.planned.reasons for o in again}
    assert ALREADY_ORGANISED in reasons["The Matrix (1999) - 1080p Blu-ray.mkv"]
    assert all(o.planned.action.value in {"skip", "review"} for o in again)


async def test_a_collision_is_refused(
    organiser: tuple[Organiser, PlexEmulator], tmp_path: Path
) -> None:
    """Another file already has the Plex name: review, and nothing is renamed."""
    service, _plex = organiser
    taken = (
        tmp_path
        / "movies"
        / "The Matrix (1999) {tmdb-603}"
        / "The Matrix (1999) - 1080p Blu-ray.mkv"
    )
    taken.parent.mkdir()
    taken.write_bytes(b"another file")
    results = await service.organise(tmp_path / "movies", dry_run=False)
    matrix = next(o for o in results if o.planned.source.path.name.startswith("the.matrix"))
    assert matrix.status == "review"
    assert "destination_exists" in matrix.planned.reasons
    assert taken.read_bytes() == b"another file"
    assert (tmp_path / MESSY_KEY).exists()


MESSY_KEY = "movies/the.matrix.1999.1080p.bluray.x264-grp.mkv"


async def test_undo_refuses_when_the_old_name_is_taken(
    organiser: tuple[Organiser, PlexEmulator], tmp_path: Path
) -> None:
    """Someone put a new file under the old name: undo leaves both alone and says why."""
    service, _plex = organiser
    results = await service.organise(tmp_path / "movies", dry_run=False)
    matrix = next(o for o in results if o.planned.source.path.name.startswith("the.matrix"))
    assert matrix.item is not None
    (tmp_path / MESSY_KEY).write_bytes(b"a new download")
    (refused,) = await service.undo(item_id=matrix.item.id)
    assert refused.status == ItemStatus.ORGANISED
    assert refused.error is not None
    assert refused.error.startswith("original_name_taken")
    assert (tmp_path / MESSY_KEY).read_bytes() == b"a new download"
    with pytest.raises(VideodromeError, match="nothing organised"):
        await service.undo(batch="organise:nope")


def test_move_refuses_to_replace(tmp_path: Path) -> None:
    """The destination exists: nothing happens."""
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    with pytest.raises(DestinationExistsError):
        move_noreplace(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a").read_bytes() == b"a"
    assert (tmp_path / "b").read_bytes() == b"b"


def test_move_never_crosses_filesystems(tmp_path: Path) -> None:
    """A rename that would be a copy is refused."""
    shm = Path("/dev/shm")  # noqa: S108 (a tmpfs: the other filesystem this test needs)
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem here")
    (tmp_path / "a").write_bytes(b"a")
    with pytest.raises(CrossFilesystemError, match="different filesystems"):
        move_noreplace(tmp_path / "a", shm / "videodrome-test" / "a")
    assert (tmp_path / "a").exists()


def test_without_renameat2_a_crash_leaves_both_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Link, then unlink: a crash in between leaves the file under both names."""
    monkeypatch.setattr(fs_module, "renameat2", lambda: None)
    (tmp_path / "old.mkv").write_bytes(b"precious")

    def crash(self: Path, missing_ok: bool = False) -> None:
        raise KeyboardInterrupt  # the process dies here

    monkeypatch.setattr(Path, "unlink", crash)
    with pytest.raises(KeyboardInterrupt):
        move_noreplace(tmp_path / "old.mkv", tmp_path / "new" / "new.mkv")
    assert (tmp_path / "old.mkv").read_bytes() == b"precious"
    assert (tmp_path / "new" / "new.mkv").read_bytes() == b"precious"


def test_without_renameat2_the_fallback_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Link then unlink: moved, and still never over an existing name."""
    monkeypatch.setattr(fs_module, "renameat2", lambda: None)
    (tmp_path / "old.mkv").write_bytes(b"x")
    move_noreplace(tmp_path / "old.mkv", tmp_path / "new.mkv")
    assert not (tmp_path / "old.mkv").exists()
    assert (tmp_path / "new.mkv").read_bytes() == b"x"


def _fake_renameat2(code: int) -> Any:
    def rename(*_args: object) -> int:
        ctypes.set_errno(code)
        return -1

    return lambda: rename


def test_renameat2_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel says the name appeared (a race), or fails otherwise: nothing moves."""
    (tmp_path / "a").write_bytes(b"a")
    monkeypatch.setattr(fs_module, "renameat2", _fake_renameat2(errno.EEXIST))
    with pytest.raises(DestinationExistsError, match="appeared"):
        move_noreplace(tmp_path / "a", tmp_path / "b")
    monkeypatch.setattr(fs_module, "renameat2", _fake_renameat2(errno.EROFS))
    with pytest.raises(OSError, match="Read-only"):
        move_noreplace(tmp_path / "a", tmp_path / "b")
    monkeypatch.setattr(fs_module, "renameat2", _fake_renameat2(errno.ENOSYS))
    move_noreplace(tmp_path / "a", tmp_path / "b")  # unsupported: link, then unlink
    assert (tmp_path / "b").read_bytes() == b"a"


async def test_two_files_into_one_folder_and_failures(
    organiser: tuple[Organiser, PlexEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Episodes sharing a season folder are scanned once; a failed rename is reported."""
    service, plex = organiser
    for number in (2, 3):
        (tmp_path / "tv" / f"breaking.bad.s01e0{number}.mkv").write_bytes(b"e")
    (tmp_path / "tv" / "breaking.bad.s01e01.720p.hdtv.mkv").unlink()
    real = organise_module.move_noreplace

    def flaky(source: Path, destination: Path) -> None:
        if "Chernobyl" in source.name:
            raise OSError(errno.EACCES, "Permission denied")
        real(source, destination)

    monkeypatch.setattr(organise_module, "move_noreplace", flaky)
    results = await service.organise(tmp_path / "tv", dry_run=False)
    statuses = {o.planned.source.path.name: o.status for o in results}
    assert statuses["breaking.bad.s01e02.mkv"] == statuses["breaking.bad.s01e03.mkv"] == "organised"
    assert statuses["Chernobyl.S01E02.mkv"] == "failed"
    season = "Breaking Bad (2008) {tvdb-81189}/Season 01"
    scans = [r.query.get("path") for r in plex.requests if r.path.endswith("/refresh")]
    assert scans.count(str(tmp_path / "tv" / season)) == 1
    assert str(tmp_path / "tv") in scans  # the folder the files left
    organised = [o.item for o in results if o.status == "organised" and o.item]
    stored = [service._store.get_item(i.id) for i in organised]
    assert all(i is not None and i.plex_status == "plex_matched" for i in stored)
    waiting = service._store.add_item(source="/x.mkv", status=ItemStatus.REVIEW)
    with pytest.raises(VideodromeError, match="not organised"):
        await service.undo(item_id=waiting.id)
