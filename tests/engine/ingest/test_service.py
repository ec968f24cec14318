"""Ingest end to end with real files, the Plex emulator and the TMDb emulator."""

from __future__ import annotations

import asyncio
import errno
import os
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.errors import UnsafePathError
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.ingest import fs as fs_module, transfer as transfer_module
from custom_components.videodrome.engine.ingest.errors import TransferError, TransferPermissionError
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import (
    ALREADY_IN_LIBRARY,
    ALREADY_INGESTED,
    DESTINATION_EXISTS,
    NOT_THE_FEATURE,
    TARGET_OUTSIDE_ROOT,
    Action,
    Settings,
)
from custom_components.videodrome.engine.ingest.service import (
    Event,
    IngestService,
    ReviewError,
    waiting_for_tmdb,
)
from custom_components.videodrome.engine.ingest.transfer import TransferMode
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.scan import PlexSync
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.plex import PlexEmulator
from tests.engine.conftest import TMDB_KEY, movies_and_tv

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    import aiohttp

    from custom_components.videodrome.engine.store.items import Item
    from tests.emulators.server import Emulators
    from tests.emulators.tmdb import TMDbEmulator

TOKEN = "ingest-token"


class Env:
    """Folders, emulators and the service under test."""

    def __init__(self, root: Path, plex: PlexEmulator, service: IngestService) -> None:
        self.root = root
        self.ingest = root / "ingest"
        self.movies = root / "movies"
        self.tv = root / "tv"
        self.plex = plex
        self.service = service
        self.events: list[tuple[str, Item]] = []

    def drop(self, relative: str, content: bytes = b"video " * 1000) -> Path:
        """A file arriving in the ingest folder."""
        file = self.ingest / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content)
        return file

    def scans(self) -> list[str | None]:
        """The folders Plex was asked to scan."""
        return [r.query.get("path") for r in self.plex.requests if r.path.endswith("/refresh")]


def make_service(
    env_root: Path,
    session: aiohttp.ClientSession,
    *,
    plex: PlexEmulator,
    tmdb_url: str,
    store: Store,
    events: list[tuple[str, Item]],
    mode: TransferMode = TransferMode.HARDLINK,
) -> IngestService:
    """The service wired as the integration wires it (without Home Assistant)."""
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_url, store=store, backoff=0.01)
    identifier = Identifier(tmdb)
    settings = Settings((env_root / "ingest",), env_root / "movies", env_root / "tv", mode)
    client = PlexClient(plex.url, TOKEN, session)
    pipeline = Pipeline(identifier, settings, lookup=LibraryIndex(client))

    async def run_blocking(job: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, job)

    return IngestService(
        store,
        pipeline,
        identifier,
        tmdb,
        PlexSync(client, poll_interval=0.05, timeout=5),
        run_blocking=run_blocking,
        on_event=lambda kind, item: events.append((kind, item)),
    )


@pytest.fixture
async def env(
    tmp_path: Path,
    tmdb_emulator: TMDbEmulator,
    session: aiohttp.ClientSession,
    emulators: Emulators,
) -> AsyncIterator[Env]:
    """Empty Movies and TV libraries in Plex, an ingest folder, a store on disk."""
    for name in ("ingest", "movies", "tv"):
        (tmp_path / name).mkdir()
    plex = await emulators.start(PlexEmulator(movies_and_tv(tmp_path), token=TOKEN))
    store = Store(tmp_path / "videodrome.db")
    events: list[tuple[str, Item]] = []
    service = make_service(
        tmp_path, session, plex=plex, tmdb_url=tmdb_emulator.url, store=store, events=events
    )
    result = Env(tmp_path, plex, service)
    result.events = events
    try:
        yield result
    finally:
        store.close()


async def test_a_movie_with_its_subtitle(env: Env) -> None:
    """Hardlinked under its Plex name, subtitle beside it, partial scan, match verified."""
    video = env.drop(
        "The.Matrix.1999.1080p.BluRay.x264-GRP/The.Matrix.1999.1080p.BluRay.x264-GRP.mkv"
    )
    env.drop(
        "The.Matrix.1999.1080p.BluRay.x264-GRP/The.Matrix.1999.1080p.BluRay.x264-GRP.en.srt", b"1\n"
    )
    before = video.stat()
    (outcome,) = await env.service.ingest(env.ingest)
    assert outcome.status == "ingested", outcome
    folder = env.movies / "The Matrix (1999) {tmdb-603}"
    target = folder / "The Matrix (1999) - 1080p Blu-ray.mkv"
    assert target.stat().st_ino == video.stat().st_ino  # a hardlink: no second copy
    assert (folder / "The Matrix (1999) - 1080p Blu-ray.en.srt").read_bytes() == b"1\n"
    assert video.stat().st_mtime_ns == before.st_mtime_ns  # the source is untouched
    assert env.scans() == [str(folder)]
    item = outcome.item
    assert item is not None
    assert (item.status, item.plex_status, item.tmdb_id) == ("ingested", "plex_matched", 603)
    assert item.destination == str(target)
    assert [kind for kind, _ in env.events] == [Event.INGESTED]


async def test_a_multi_episode_file(env: Env) -> None:
    """An episode pair lands in its season folder and Plex matches the show."""
    env.drop("Breaking.Bad.S01E01E02.720p.HDTV.x264-CTU.mkv")
    (outcome,) = await env.service.ingest(env.ingest)
    assert outcome.status == "ingested"
    season = env.tv / "Breaking Bad (2008) {tvdb-81189}" / "Season 01"
    names = [p.name for p in season.iterdir()]
    assert names == ["Breaking Bad (2008) - s01e01-e02 - Pilot [720p HDTV].mkv"]
    assert outcome.item is not None
    assert outcome.item.plex_status == "plex_matched"
    assert env.scans() == [str(season)]


async def test_dry_run_changes_nothing(env: Env) -> None:
    """A dry run plans and records nothing."""
    env.drop("Heat.1995.mkv")
    (outcome,) = await env.service.ingest(env.ingest, dry_run=True)
    assert outcome.status == "planned"
    assert outcome.planned.action is Action.TRANSFER
    assert not any(env.movies.iterdir())
    assert env.service.store.counts()["ingested"] == 0
    assert env.events == []


async def test_destination_taken(env: Env) -> None:
    """Same content: skipped as already ingested; other content: review, nothing replaced."""
    video = env.drop("Heat.1995.mkv", b"the same bytes")
    target = env.movies / "Heat (1995) {tmdb-949}" / "Heat (1995).mkv"
    target.parent.mkdir()
    target.write_bytes(b"the same bytes")
    (same,) = await env.service.plan(video)
    assert (same.action, same.reasons[-1]) == (Action.SKIP, ALREADY_INGESTED)
    target.write_bytes(b"somebody else's file")
    (outcome,) = await env.service.ingest(video)
    assert outcome.status == "review"
    assert DESTINATION_EXISTS in outcome.planned.reasons
    assert target.read_bytes() == b"somebody else's file"
    assert [kind for kind, _ in env.events] == [Event.REVIEW_REQUIRED]


async def test_already_in_the_library(env: Env) -> None:
    """Plex has the film under another file name: review, with its file and resolution."""
    await env.service.ingest(env.drop("Heat.1995.1080p.mkv"))
    (outcome,) = await env.service.ingest(env.drop("again/Heat.1995.2160p.mkv", b"other"))
    assert outcome.status == "review"
    assert ALREADY_IN_LIBRARY in outcome.planned.reasons
    existing = outcome.planned.existing
    assert existing is not None
    assert existing.file is not None
    assert existing.file.endswith("Heat (1995) - 1080p.mkv")
    record = outcome.as_json()
    assert record["existing"]["title"] == "Heat"
    assert record["resolution"] == "2160p"  # the new file's, beside the existing one's


async def test_approve_with_an_override(env: Env) -> None:
    """An ambiguous Dune goes to review; approving it as the 1984 film files it so."""
    video = env.drop("Dune.mkv")
    (queued,) = await env.service.ingest(video)
    assert queued.item is not None
    assert queued.item.status == ItemStatus.REVIEW
    assert env.service.store.review_count() == 1
    outcome = await env.service.approve(queued.item.id, tmdb_id=841)
    assert outcome.status == "ingested"
    assert (env.movies / "Dune (1984) {tmdb-841}" / "Dune (1984).mkv").exists()
    assert [kind for kind, _ in env.events] == [Event.REVIEW_REQUIRED, Event.APPROVED]
    assert env.service.store.review_count() == 0
    with pytest.raises(ReviewError, match="not waiting"):
        await env.service.approve(queued.item.id)
    with pytest.raises(ReviewError, match="no item"):
        await env.service.reject(999)


async def test_approve_an_episode_with_a_corrected_number(env: Env) -> None:
    """A person corrects season and episode of an anime file."""
    env.drop("[Group] Cowboy Bebop - 05 [1080p].mkv")
    (queued,) = await env.service.ingest(env.ingest)
    assert queued.item is not None
    outcome = await env.service.approve(queued.item.id, season=1, episodes=(5,))
    assert outcome.status == "ingested"
    assert outcome.item is not None
    assert outcome.item.target is not None
    assert "s01e05" in outcome.item.target


async def test_reject_and_come_back_when_changed(env: Env) -> None:
    """A rejected file stays where it is, is not offered again, unless it changes."""
    video = env.drop("Dune.mkv")
    (queued,) = await env.service.ingest(video)
    assert queued.item is not None
    rejected = await env.service.reject(queued.item.id)
    assert rejected.status == ItemStatus.REJECTED
    assert video.exists()
    (again,) = await env.service.ingest(video)
    assert again.status == "already_handled"
    video.write_bytes(b"a new download with the same name")
    (changed,) = await env.service.ingest(video)
    assert changed.status == "review"


async def test_no_space_leaves_nothing_behind(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC while copying: failed, with a clear error, no partial file, source intact."""
    env.service.pipeline.settings = Settings((env.ingest,), env.movies, env.tv, TransferMode.COPY)

    def full(*_args: object, **_kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "copy_file_range", full)
    monkeypatch.setattr(os, "sendfile", full)
    monkeypatch.setattr(fs_module, "copy_chunk", full)
    video = env.drop("Heat.1995.mkv")
    (outcome,) = await env.service.ingest(video)
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert "space" in outcome.error
    assert [p for p in env.movies.rglob("*") if p.is_file()] == []
    assert video.read_bytes() == b"video " * 1000
    assert [kind for kind, _ in env.events] == [Event.FAILED]


async def test_the_same_file_twice_at_once_is_transferred_once(env: Env) -> None:
    """The watcher and a service call racing on one file: one transfer."""
    video = env.drop("Heat.1995.mkv")
    (planned,) = await env.service.plan(video)
    first, second = await asyncio.gather(env.service.handle(planned), env.service.handle(planned))
    assert sorted([first.status, second.status]) == ["already_handled", "ingested"]
    assert env.service.store.counts()["ingested"] == 1


async def test_a_library_folder_that_links_out_of_the_library_is_not_written_through(
    env: Env,
) -> None:
    """Found by tests/reliability: a link inside the library root that leads outside."""
    outside = env.root / "outside"
    outside.mkdir()
    (env.movies / "Heat (1995) {tmdb-949}").symlink_to(outside)
    video = env.drop("Heat.1995.mkv")
    (outcome,) = await env.service.ingest(video)
    assert outcome.status == "review"
    assert TARGET_OUTSIDE_ROOT in outcome.planned.reasons
    assert outcome.planned.action is Action.MANUAL
    assert list(outside.iterdir()) == []


async def test_a_show_folder_from_plex_with_dots_is_normalised(env: Env) -> None:
    """Plex's `Show/../Other` folder is used as `Other`, never through a link named `Show`."""

    class Lookup:
        async def find(self, _found: object) -> None:
            return None

        def invalidate(self) -> None:
            return None

        async def show_folder(self, _found: object) -> Path:
            return env.tv / "Link" / ".." / "Breaking Bad"

    outside = env.root / "outside" / "deeper"
    outside.mkdir(parents=True)
    (env.tv / "Link").symlink_to(outside)
    pipeline = env.service.pipeline
    pipeline._lookup = Lookup()
    (planned,) = await pipeline.plan(env.drop("Breaking.Bad.S01E01.720p.mkv"))
    assert planned.destination is not None
    assert planned.destination.parent == env.tv / "Breaking Bad" / "Season 01"
    assert TARGET_OUTSIDE_ROOT not in planned.reasons


async def test_a_restart_mid_transfer_recovers(
    env: Env, tmdb_emulator: TMDbEmulator, session: aiohttp.ClientSession
) -> None:
    """An item left transferring, with its temporary file: back in review, temporary gone."""
    video = env.drop("Heat.1995.mkv")
    (planned,) = await env.service.plan(video)
    assert planned.destination is not None
    item = env.service.store.add_item(
        source=str(video), status=ItemStatus.TRANSFERRING, destination=str(planned.destination)
    )
    planned.destination.parent.mkdir(parents=True)
    temp = planned.destination.parent / f".{planned.destination.name}.videodrome-0123abcd.part"
    temp.write_bytes(b"half")
    events: list[tuple[str, Item]] = []
    restarted = make_service(
        env.root,
        session,
        plex=env.plex,
        tmdb_url=tmdb_emulator.url,
        store=env.service.store,
        events=events,
    )
    (back,) = await restarted.start()
    assert (back.id, back.status, back.error) == (item.id, ItemStatus.REVIEW, "interrupted")
    assert not temp.exists()
    assert not planned.destination.exists()
    assert video.exists()


async def test_the_largest_video_is_the_feature(env: Env) -> None:
    """Two videos of one film in one folder: the smaller one is not filed."""
    env.drop("Heat.1995/Heat.1995.1080p.mkv", b"x" * 5000)
    env.drop("Heat.1995/Heat.1995.720p.mkv", b"x" * 100)
    env.drop("Heat.1995/Heat.1995.sample.mkv", b"x" * 10)
    outcomes = await env.service.ingest(env.ingest)
    by_name = {o.planned.source.path.name: o for o in outcomes}
    assert by_name["Heat.1995.1080p.mkv"].status == "ingested"
    assert NOT_THE_FEATURE in by_name["Heat.1995.720p.mkv"].planned.reasons
    assert by_name["Heat.1995.720p.mkv"].status == "skipped"
    assert by_name["Heat.1995.sample.mkv"].status == "skipped"


async def test_an_episode_plex_already_has(env: Env) -> None:
    """The same episode again under another name: already in the library."""
    await env.service.ingest(env.drop("Chernobyl.S01E02.720p.mkv"))
    (outcome,) = await env.service.ingest(env.drop("other/Chernobyl.S01E02.1080p.mkv", b"o"))
    assert ALREADY_IN_LIBRARY in outcome.planned.reasons
    (fresh,) = await env.service.plan(env.drop("Chernobyl.S01E03.mkv"))
    assert ALREADY_IN_LIBRARY not in fresh.reasons


async def test_companions_that_cannot_travel(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subtitle whose name is taken, or that fails, does not stop the video."""
    folder = "Heat.1995"
    env.drop(f"{folder}/Heat.1995.mkv")
    env.drop(f"{folder}/Heat.1995.en.srt", b"en")
    env.drop(f"{folder}/Subs/English.srt", b"subs folder")
    env.drop(f"{folder}/Heat.1995.de.srt", b"de")
    target = env.movies / "Heat (1995) {tmdb-949}"
    target.mkdir()
    (target / "Heat (1995).en.srt").write_bytes(b"already there")
    real = transfer_module.transfer

    def flaky(source: Path, destination: Path, *args: Any, **kwargs: Any) -> Any:
        if source.name.endswith(".de.srt"):
            raise TransferPermissionError("denied")
        return real(source, destination, *args, **kwargs)

    monkeypatch.setattr("custom_components.videodrome.engine.ingest.pipeline.transfer", flaky)
    (planned,) = await env.service.plan(env.ingest / folder / "Heat.1995.mkv")
    executed = await env.service.pipeline.execute(planned)
    results = {target.name: error for target, error in executed.companions}
    assert results["Heat (1995).en.srt"] == "destination_exists"
    assert results["Heat (1995).de.srt"] == "denied"
    assert (target / "Heat (1995).en.srt").read_bytes() == b"already there"


async def test_paths_that_are_not_files(env: Env) -> None:
    """A symbolic link or a missing path is refused; links inside folders are not followed."""
    real = env.drop("Heat.1995.mkv")
    link = env.ingest / "link.mkv"
    link.symlink_to(real)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        await env.service.plan(link)
    with pytest.raises(UnsafePathError, match="does not exist"):
        await env.service.plan(env.ingest / "missing")
    planned = await env.service.plan(env.ingest)
    assert [p.source.path.name for p in planned] == ["Heat.1995.mkv"]


async def test_too_many_files(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that is clearly not a download is refused."""
    monkeypatch.setattr("custom_components.videodrome.engine.ingest.sources.MAX_FILES", 2)
    for n in range(3):
        env.drop(f"many/{n}.nfo")
    with pytest.raises(UnsafePathError, match="more than 2"):
        await env.service.plan(env.ingest)


async def test_execute_without_a_destination(env: Env) -> None:
    """A manual item has nowhere to go."""
    (planned,) = await env.service.plan(env.drop("Totally.Unknown.Film.2019.mkv"))
    assert planned.action is Action.MANUAL
    with pytest.raises(TransferError, match="no destination"):
        await env.service.pipeline.execute(planned)


async def test_approve_needs_a_candidate(env: Env) -> None:
    """An item without any candidate cannot be approved without an id."""
    (queued,) = await env.service.ingest(env.drop("Totally.Unknown.Film.2019.mkv"))
    assert queued.item is not None
    with pytest.raises(ReviewError, match="give a TMDb id"):
        await env.service.approve(queued.item.id)
    outcome = await env.service.approve(queued.item.id, tmdb_id=949, media_type="movie")
    assert outcome.status == "ingested"


async def test_approve_onto_a_file_already_there(env: Env) -> None:
    """Approving a file that is already at its target is refused (nothing to do)."""
    video = env.drop("Dune.mkv", b"dune")
    (queued,) = await env.service.ingest(video)
    assert queued.item is not None
    target = env.movies / "Dune (1984) {tmdb-841}" / "Dune (1984).mkv"
    target.parent.mkdir()
    target.write_bytes(b"dune")
    with pytest.raises(ReviewError, match="already_ingested"):
        await env.service.approve(queued.item.id, tmdb_id=841)


async def test_plex_failing_after_the_transfer(env: Env) -> None:
    """The file is ingested even when Plex cannot be asked to scan."""
    heat = env.drop("Heat.1995.mkv")
    await env.service.plan(heat)  # the library is read while Plex answers
    env.plex.faults.fail_next = 100
    (outcome,) = await env.service.ingest(heat)
    env.plex.faults.fail_next = 0
    assert outcome.status == "ingested"
    assert outcome.item is not None
    assert outcome.item.plex_status == "plex_not_checked"
    assert outcome.item.error == "plex_scan_failed: Plex answered 500 to /library/sections"


async def test_a_file_queued_while_tmdb_was_down_is_tried_again(
    env: Env, tmdb_emulator: TMDbEmulator
) -> None:
    """Queued with tmdb_unavailable; seen again: unchanged while TMDb fails, filed once it
    answers, in the same history row."""
    video = env.drop("Heat.1995.mkv")
    tmdb_emulator.faults.fail_next = 1000
    (first,) = await env.service.ingest(video)
    assert first.status == "review"
    assert first.item is not None
    assert waiting_for_tmdb(first.item)
    (again,) = await env.service.ingest(video)
    assert again.status == "already_handled"
    assert again.item == first.item
    tmdb_emulator.faults.fail_next = 0
    (retried,) = await env.service.ingest(video)
    assert retried.status == "ingested"
    assert retried.item is not None
    assert retried.item.id == first.item.id
    assert not waiting_for_tmdb(retried.item)
    assert [item.status for item in env.service.store.history()] == ["ingested"]
    assert [kind for kind, _ in env.events] == ["review_required", "ingested"]


async def test_permission_denied_leaves_nothing_behind(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library folder Videodrome may not write: failed with a clear error, nothing left."""
    real_mkdir = os.mkdir

    def refuse(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).startswith(str(env.movies)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", refuse)
    video = env.drop("Heat.1995.mkv")
    (outcome,) = await env.service.ingest(video)
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert "ermission" in outcome.error
    assert list(env.movies.iterdir()) == []
    assert video.read_bytes() == b"video " * 1000
