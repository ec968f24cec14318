"""Crash safety: SIGKILL during ingests, then a restart; nothing lost, nothing half-written.

The trials (see `crash_trials.py`) kill a child process ingesting a realistic tree (five
movies and a TV season with subtitles; hardlink, copy, verified copy, and a filesystem
without hard links) at every seam of the transfer code and at random moments, some of them
twice (the restart dies too), each on a fresh copy of the tree. The other tests here pin the
recovery rules the trials found missing, on hand-made crash states.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.videodrome.engine.ingest import organise as organise_module
from custom_components.videodrome.engine.ingest.organise import Organiser
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import Settings
from custom_components.videodrome.engine.ingest.service import PLEX_NOT_CHECKED, Event, ReviewError
from custom_components.videodrome.engine.ingest.transfer import TransferMode, transfer
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.history import INTERRUPTED
from custom_components.videodrome.engine.store.items import ItemStatus
from tests.emulators.tmdb import TMDbEmulator
from tests.reliability.crash_driver import NO_NETWORK, ORGANISE_SEAMS, SEAMS, TMDB_KEY, make_service
from tests.reliability.crash_trials import (
    ForkServer,
    calibrate,
    calibrate_organise,
    make_organise_template,
    make_template,
    plan_organise_trials,
    plan_trials,
    run_organise_trial,
    run_trials,
    summary,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from custom_components.videodrome.engine.ingest.service import IngestService
    from custom_components.videodrome.engine.store.items import Item
    from tests.emulators.server import Emulators

TRIALS = 56
ORGANISE_TRIALS = 15
SEED = 20261125


@pytest.fixture
async def tmdb(emulators: Emulators) -> TMDbEmulator:
    """The TMDb emulator on loopback (the template's identification, approvals, rescans)."""
    return await emulators.start(TMDbEmulator(api_key=TMDB_KEY))


@pytest.mark.timeout(400)
async def test_sigkill_at_every_seam_and_at_random_loses_nothing(
    tmp_path: Path, tmdb: TMDbEmulator
) -> None:
    """56 trials: no partial file under a final name, sources intact, all recovered."""
    reference = await make_template(tmp_path, tmdb.url)
    server = ForkServer()
    await server.start()
    try:
        await calibrate(server, reference, tmp_path)
        plans = plan_trials(reference, TRIALS, SEED)
        results = await run_trials(reference, plans, tmp_path, tmdb.url, server=server)
    finally:
        await server.stop()
    violations = [
        f"trial {r.plan.number} ({r.plan.mode}, {r.plan.label}, pass {r.plan.hit}): {v}"
        for r in results
        for v in r.violations
    ]
    assert violations == []
    figures = summary(results, reference)
    assert figures["trials"] == TRIALS
    assert figures["items_lost"] == 0
    # Every seam trial died where it was meant to, and together they cover every seam of
    # every mode; the restarts meant to die did.
    assert all(r.killed for r in results if r.plan.seam)
    killed_at = {(r.plan.mode, r.plan.seam) for r in results if r.plan.seam}
    assert killed_at == {
        (mode, seam)
        for mode, census in reference.census.items()
        for seam, passes in census.items()
        if passes and seam != "recovered"
    }
    assert {seam for _mode, seam in killed_at} == set(SEAMS) - {"recovered"}
    assert figures["restarts_killed_too"] == sum(1 for p in plans if p.second_seam)
    # Every way out of a crash was taken: finished by the restart, back in review then
    # approved, never recorded and picked up by the rescan; temporaries were left and removed.
    assert figures["finished_by_restart"] > 0
    assert figures["back_in_review_then_approved"] > 0
    assert figures["picked_up_by_rescan"] > 0
    assert figures["temporaries_at_kill"] > 0


@pytest.mark.timeout(300)
async def test_sigkill_while_organising_loses_nothing(tmp_path: Path, tmdb: TMDbEmulator) -> None:
    """15 organise runs killed at each seam in turn: finished, then undone to the original."""
    reference = await make_organise_template(tmp_path, tmdb.url)
    server = ForkServer()
    await server.start()
    try:
        await calibrate_organise(server, reference, tmp_path)
        plans = plan_organise_trials(reference, ORGANISE_TRIALS, SEED)
        results = [
            await run_organise_trial(server, reference, plan, tmp_path, tmdb.url) for plan in plans
        ]
    finally:
        await server.stop()
    violations = [
        f"trial {r.plan.number} ({r.plan.label}, pass {r.plan.hit}): {v}"
        for r in results
        for v in r.violations
    ]
    assert violations == []
    assert all(r.killed for r in results)
    assert {r.plan.seam for r in results} == set(ORGANISE_SEAMS)
    assert sum(r.lost for r in results) == 0
    # Both ways back: renames finished by the restart, and renames queued then approved.
    assert sum(r.finished_by_restart for r in results) > 0
    assert sum(r.approved for r in results) == sum(r.back_in_review for r in results) > 0


# --- the recovery rules, on crash states made by hand ------------------------------------------


class Restart:
    """A folder tree and a store as a crash left them, and the service restarted on them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for name in ("ingest", "movies", "tv"):
            (root / name).mkdir()
        self.store = Store(root / "videodrome.db")
        self.events: list[tuple[str, Item]] = []

    def service(self, session: aiohttp.ClientSession, mode: str = "copy") -> IngestService:
        service = make_service(self.root, session, self.store, NO_NETWORK, mode)
        service._on_event = lambda kind, item: self.events.append((kind, item))
        return service

    def drop(self, relative: str, content: bytes) -> Path:
        path = self.root / "ingest" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    def in_flight(self, source: Path, destination: Path) -> Item:
        return self.store.add_item(
            source=str(source), status=ItemStatus.TRANSFERRING, destination=str(destination)
        )


@pytest.fixture
def crashed(tmp_path: Path) -> Iterator[Restart]:
    state = Restart(tmp_path)
    yield state
    state.store.close()


async def test_a_video_that_made_it_is_finished_with_its_subtitles(crashed: Restart) -> None:
    """Killed after the video was published, during its subtitles: ingested on restart."""
    video = crashed.drop("Heat.1995/Heat.1995.mkv", b"heat" * 4096)
    crashed.drop("Heat.1995/Heat.1995.en.srt", b"1\n")
    crashed.drop("Heat.1995/Heat.1995.de.srt", b"2\n")
    folder = crashed.root / "movies" / "Heat (1995) {tmdb-949}"
    destination = folder / "Heat (1995).mkv"
    item = crashed.in_flight(video, destination)
    transfer(video, destination, TransferMode.COPY)  # published before the kill
    transfer(video.with_name("Heat.1995.de.srt"), folder / "Heat (1995).de.srt", TransferMode.COPY)
    temporary = folder / ".Heat (1995).en.srt.videodrome-0123abcd.part"  # the one cut short
    temporary.write_bytes(b"")
    async with aiohttp.ClientSession() as session:
        (done,) = await crashed.service(session).start()
    assert (done.id, done.status, done.error) == (item.id, ItemStatus.INGESTED, None)
    assert done.plex_status == PLEX_NOT_CHECKED
    assert sorted(p.name for p in folder.iterdir()) == [
        "Heat (1995).de.srt",
        "Heat (1995).en.srt",
        "Heat (1995).mkv",
    ]
    assert (folder / "Heat (1995).en.srt").read_bytes() == b"1\n"
    assert destination.read_bytes() == video.read_bytes()
    assert crashed.events == [(Event.INGESTED, done)]


async def test_a_hardlink_that_made_it_is_finished(crashed: Restart) -> None:
    """Killed right after linking: the link is the source's inode, so it is ours."""
    video = crashed.drop("Chernobyl.S01E02.mkv", b"episode")
    destination = crashed.root / "tv" / "Chernobyl (2019)" / "Season 01" / "Chernobyl - s01e02.mkv"
    crashed.in_flight(video, destination)
    transfer(video, destination, TransferMode.HARDLINK)
    async with aiohttp.ClientSession() as session:
        (done,) = await crashed.service(session, "hardlink").start()
    assert done.status is ItemStatus.INGESTED
    assert destination.stat().st_ino == video.stat().st_ino


async def test_a_file_that_is_not_ours_is_not_taken_for_ours(crashed: Restart) -> None:
    """Someone else's file under the name (other size or time): back in review, untouched."""
    video = crashed.drop("Heat.1995.mkv", b"ours")
    destination = crashed.root / "movies" / "Heat (1995)" / "Heat (1995).mkv"
    destination.parent.mkdir(parents=True)
    destination.write_bytes(b"theirs")  # same size, another time and content
    item = crashed.in_flight(video, destination)
    async with aiohttp.ClientSession() as session:
        (back,) = await crashed.service(session).start()
    assert (back.id, back.status, back.error) == (item.id, ItemStatus.REVIEW, INTERRUPTED)
    assert destination.read_bytes() == b"theirs"
    assert video.read_bytes() == b"ours"
    assert crashed.events == []


async def test_a_link_under_the_name_is_not_taken_for_ours(crashed: Restart) -> None:
    """A symbolic link to the source under the final name is not a finished transfer."""
    video = crashed.drop("Heat.1995.mkv", b"heat")
    destination = crashed.root / "movies" / "Heat (1995)" / "Heat (1995).mkv"
    destination.parent.mkdir(parents=True)
    destination.symlink_to(video)
    crashed.in_flight(video, destination)
    async with aiohttp.ClientSession() as session:
        (back,) = await crashed.service(session).start()
    assert (back.status, back.error) == (ItemStatus.REVIEW, INTERRUPTED)
    assert destination.is_symlink()
    assert video.read_bytes() == b"heat"


async def test_a_restart_killed_while_recovering_is_recovered_again(crashed: Restart) -> None:
    """The first restart died after `recover()`: the next one still finishes the items."""
    video = crashed.drop("Heat.1995.mkv", b"heat")
    destination = crashed.root / "movies" / "Heat (1995)" / "Heat (1995).mkv"
    item = crashed.in_flight(video, destination)
    waiting = crashed.store.add_item(source=str(video), status=ItemStatus.PENDING)
    (half,) = crashed.store.recover()  # ...and the process died here
    assert (half.id, half.status) == (item.id, ItemStatus.PENDING)
    async with aiohttp.ClientSession() as session:
        (back,) = await crashed.service(session).start()
    assert (back.id, back.status, back.reasons) == (item.id, ItemStatus.REVIEW, (INTERRUPTED,))
    assert crashed.store.get_item(waiting.id) == waiting  # pending for another reason: left
    assert crashed.store.recover() == []


# --- organise in place: a crash between a rename and its record -------------------------------


class Killed(BaseException):
    """The process dies here (nothing in the code under test catches it, like SIGKILL)."""


MESSY = {
    "movies/Heat.1995/Heat.1995.720p.mkv": b"heat",
    "movies/Heat.1995/Heat.1995.720p.en.srt": b"subs",
    "movies/the.matrix.1999.1080p.bluray.x264-grp.mkv": b"matrix",
}


def tree(root: Path) -> dict[str, bytes]:
    """Every file in the libraries, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for library in ("movies", "tv")
        for path in sorted((root / library).rglob("*"))
        if path.is_file()
    }


class Library:
    """A messy library, a store, and the services as the integration wires them (no Plex)."""

    def __init__(self, root: Path, tmdb: TMDbEmulator) -> None:
        self.root = root
        self.tmdb = tmdb
        for relative, content in MESSY.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        (root / "ingest").mkdir()
        (root / "tv").mkdir()
        self.original = tree(root)
        self.store = Store(root / "videodrome.db")

    def service(self, session: aiohttp.ClientSession) -> IngestService:
        service = make_service(self.root, session, self.store, self.tmdb.url, "hardlink")
        roots = (self.root / "movies", self.root / "tv")
        pipeline = Pipeline(
            service.pipeline.identifier,
            Settings(roots, *roots),
            run_blocking=service.pipeline._run_blocking,
        )
        service.organiser = Organiser(
            pipeline, self.store, None, run_blocking=service.pipeline._run_blocking
        )
        return service


@pytest.fixture
def library(tmp_path: Path, tmdb: TMDbEmulator) -> Iterator[Library]:
    state = Library(tmp_path, tmdb)
    yield state
    state.store.close()


async def organise_killed_at(
    library: Library,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
) -> None:
    """Organise the movies, dying when about to rename the first file ending in `suffix`."""
    real = organise_module.move_noreplace

    def move(source: Path, destination: Path) -> None:
        if source.suffix == suffix:
            raise Killed
        real(source, destination)

    monkeypatch.setattr(organise_module, "move_noreplace", move)
    with pytest.raises(Killed):
        await library.service(session).organiser.organise(  # type: ignore[union-attr]
            library.root / "movies", dry_run=False
        )
    monkeypatch.undo()


async def test_organise_killed_between_video_and_subtitle(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The video was renamed, its subtitle not: the restart finishes it, undo restores all."""
    async with aiohttp.ClientSession() as session:
        await organise_killed_at(library, session, monkeypatch, ".srt")
        restarted = library.service(session)
        (heat,) = await restarted.start()
        assert heat.status is ItemStatus.ORGANISED
        assert heat.source.endswith("Heat.1995.720p.mkv")
        assert [Path(new).name for _old, new in heat.companions] == ["Heat (1995) - 720p.en.srt"]
        assert (Path(heat.destination or "").parent / "Heat (1995) - 720p.en.srt").read_bytes() == (
            b"subs"
        )
        assert restarted.organiser is not None
        await restarted.organiser.undo(batch=heat.batch)
    assert tree(library.root) == library.original


async def test_organise_killed_before_the_rename_goes_back_to_review(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded, not renamed: the restart queues it; approving renames it; undo restores."""
    async with aiohttp.ClientSession() as session:
        await organise_killed_at(library, session, monkeypatch, ".mkv")
        assert tree(library.root) == library.original
        restarted = library.service(session)
        (back,) = await restarted.start()
        assert (back.status, back.error) == (ItemStatus.REVIEW, INTERRUPTED)
        approved = await restarted.approve(back.id)
        assert approved.status == ItemStatus.ORGANISED
        assert restarted.organiser is not None
        await restarted.organiser.undo(item_id=back.id)
    assert tree(library.root) == library.original


async def test_undo_killed_before_its_record_is_finished_by_the_next(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Undo moved the file back and died before recording it: the next undo finishes."""
    async with aiohttp.ClientSession() as session:
        service = library.service(session)
        assert service.organiser is not None
        results = await service.organiser.organise(library.root / "movies", dry_run=False)
        batch = next(r.item.batch for r in results if r.item is not None)
        real = library.store.update_item

        def dying(item_id: int, **fields: Any) -> Any:
            if fields.get("status") == ItemStatus.UNDONE:
                raise Killed
            return real(item_id, **fields)

        monkeypatch.setattr(library.store, "update_item", dying)
        with pytest.raises(Killed):
            await service.organiser.undo(batch=batch)
        monkeypatch.undo()
        undone = await service.organiser.undo(batch=batch)
    assert {item.status for item in undone} == {ItemStatus.UNDONE}
    assert tree(library.root) == library.original


async def test_items_without_a_destination_go_back_to_review(library: Library) -> None:
    """Nothing to finish without a destination (ingest or organise): back in the queue."""
    source = str(library.root / "movies" / "Heat.1995" / "Heat.1995.720p.mkv")
    plain = library.store.add_item(source=source, status=ItemStatus.TRANSFERRING)
    organised = library.store.add_item(
        source=source, status=ItemStatus.TRANSFERRING, batch="organise:0123456789ab"
    )
    async with aiohttp.ClientSession() as session:
        back = await library.service(session).start()
    assert [(i.id, i.status, i.error) for i in back] == [
        (plain.id, ItemStatus.REVIEW, INTERRUPTED),
        (organised.id, ItemStatus.REVIEW, INTERRUPTED),
    ]
    assert tree(library.root) == library.original


async def test_a_subtitle_whose_new_name_was_taken_meanwhile_stays(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed before the subtitle, whose name someone takes before the restart: it stays."""
    async with aiohttp.ClientSession() as session:
        await organise_killed_at(library, session, monkeypatch, ".srt")
        item = next(i for i in library.store.history() if i.status is ItemStatus.TRANSFERRING)
        ((old, new),) = item.companions
        Path(new).write_bytes(b"someone else's subtitle")
        restarted = library.service(session)
        (heat,) = await restarted.start()
        assert (heat.status, heat.companions) == (ItemStatus.ORGANISED, ())
        assert Path(old).read_bytes() == b"subs"
        assert Path(new).read_bytes() == b"someone else's subtitle"
        assert restarted.organiser is not None
        await restarted.organiser.undo(batch=heat.batch)
    assert tree(library.root) == library.original | {
        Path(new).relative_to(library.root).as_posix(): b"someone else's subtitle"
    }


async def test_approving_a_rename_whose_name_was_taken_keeps_it_queued(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An organise item in review whose Plex name is taken when approved: still queued."""
    dune = library.root / "movies" / "Dune.mkv"
    dune.write_bytes(b"which dune")
    async with aiohttp.ClientSession() as session:
        service = library.service(session)
        assert service.organiser is not None
        results = await service.organiser.organise(dune, dry_run=False)
        (queued,) = [r.item for r in results if r.item is not None]
        assert queued.status is ItemStatus.REVIEW
        taken = library.root / "movies" / "Dune (2021) {tmdb-438631}" / "Dune (2021).mkv"
        real = organise_module.move_noreplace

        def someone_first(source: Path, destination: Path) -> None:
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(b"theirs")  # created between the plan and the rename
            real(source, destination)

        monkeypatch.setattr(organise_module, "move_noreplace", someone_first)
        with pytest.raises(ReviewError, match="could not be renamed"):
            await service.approve(queued.id, tmdb_id=438631, media_type="movie")
    assert library.store.get_item(queued.id) == replace(
        queued,
        updated_at=library.store.get_item(queued.id).updated_at,  # type: ignore[union-attr]
    )
    assert taken.read_bytes() == b"theirs"
    assert dune.read_bytes() == b"which dune"
