"""Crash trials: ingest in a child process, SIGKILL it, restart, and check that nothing was lost.

Shared by `tests/reliability/test_crash.py` (CI: a few dozen trials) and `bench/crash_trials.py`
(hundreds, with figures). One trial:

1. A fresh copy of the template (`ingest/` with five movies and a TV season with subtitles,
   empty `movies/` and `tv/`, a store whose TMDb cache already holds every answer).
2. A child forked by the driver's fork server (`crash_driver.py serve`) ingests it and is
   killed with SIGKILL: at a seam inside the transfer code (`--seam`, the N-th time it gets
   there), or at a random moment after planning. Some trials kill the restart as well.
3. What the kill left is checked: no file under a final name that is not byte-identical to
   its source, every source intact, `PRAGMA integrity_check` ok.
4. A restart: a new `IngestService` on the same store runs `start()` (crash recovery). Then:
   no temporary file left, no item `transferring` or `pending`, every `ingested` row's file
   byte-identical to its source, every item back in review has nothing under its name.
5. Everything is finished the way a person would: each interrupted item in review is
   approved and the download folder is ingested again; the library must then be exactly
   the library of an uninterrupted run, byte for byte, and the sources unchanged.

Every check that fails is recorded as a violation (the test fails on any); a trial without
violations removes its folder.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
from dataclasses import dataclass, field
import hashlib
import os
from pathlib import Path
import random
import shutil
import signal
import sqlite3
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from custom_components.videodrome.engine.errors import VideodromeError
from custom_components.videodrome.engine.ingest.fs import TEMP_PATTERN
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from tests.reliability.crash_driver import (
    MODES,
    ORGANISE_SEAMS,
    SEAMS,
    build_tree,
    digests,
    make_service,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from custom_components.videodrome.engine.ingest.service import IngestService

REPO = Path(__file__).resolve().parents[2]
LIBRARIES = ("movies", "tv")
INTERRUPTED = "interrupted"


@dataclass
class Child:
    """What the fork server has said about one child."""

    planned: asyncio.Event = field(default_factory=asyncio.Event)
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    status: int | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    planned_at: float = 0.0
    exited_at: float = 0.0

    @property
    def killed(self) -> bool:
        """Ended by SIGKILL."""
        return (
            self.status is not None
            and os.WIFSIGNALED(self.status)
            and os.WTERMSIG(self.status) == signal.SIGKILL
        )


class ForkServer:
    """The driver's fork server: one child per trial, killed on request."""

    def __init__(self) -> None:
        """Not started yet."""
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._children: dict[int, Child] = {}
        self._pids: dict[str, asyncio.Future[int]] = {}
        self._ready = asyncio.Event()
        self._next = 0

    async def start(self) -> None:
        """Start the server and wait until it has imported everything."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.reliability.crash_driver",
            "serve",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        self._reader = asyncio.create_task(self._read())
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait([ready, self._reader], return_when=asyncio.FIRST_COMPLETED)
        if not self._ready.is_set():
            ready.cancel()
            raise RuntimeError("the crash driver's fork server did not start")

    async def stop(self) -> None:
        """Close its input (it waits for its children and exits)."""
        if self._process is None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()
        await self._process.wait()
        if self._reader is not None:
            await self._reader
        self._process = None

    def _child(self, pid: int) -> Child:
        return self._children.setdefault(pid, Child())

    async def _read(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            word, _, rest = line.decode().rstrip("\n").partition(" ")
            now = time.monotonic()
            if word == "ready":
                self._ready.set()
            elif word == "pid":
                ident, pid = rest.split()
                self._child(int(pid))
                self._pids.pop(ident).set_result(int(pid))
            elif word == "planned":
                child = self._child(int(rest))
                child.planned_at = now
                child.planned.set()
            elif word == "done":
                pid, _, payload = rest.partition(" ")
                self._child(int(pid)).result = orjson.loads(payload)
            elif word == "error":
                pid, _, message = rest.partition(" ")
                self._child(int(pid)).error = message
            elif word == "exit":
                pid, status = rest.split()
                child = self._child(int(pid))
                child.status, child.exited_at = int(status), now
                child.exited.set()

    async def _send(self, command: dict[str, Any]) -> None:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.write(orjson.dumps(command) + b"\n")
        await self._process.stdin.drain()

    async def spawn(self, command: dict[str, Any]) -> tuple[int, Child]:
        """Fork a child for `command`; its pid and its record."""
        self._next += 1
        ident = str(self._next)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pids[ident] = future
        await self._send({**command, "id": ident})
        pid = await future
        return pid, self._child(pid)

    async def kill(self, pid: int) -> None:
        """SIGKILL a child (the server does it through a pidfd: never a recycled pid)."""
        await self._send({"kill": pid})

    async def run(self, command: dict[str, Any], *, delay: float | None = None) -> Child:
        """Run a child to its end: killed `delay` s after planning, or at its seam, or never."""
        pid, child = await self.spawn(command)
        if delay is not None:
            planned = asyncio.create_task(child.planned.wait())
            exited = asyncio.create_task(child.exited.wait())
            await asyncio.wait([planned, exited], return_when=asyncio.FIRST_COMPLETED)
            planned.cancel()
            if not child.exited.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(exited), delay)
                if not child.exited.is_set():
                    await self.kill(pid)
            await exited
        await child.exited.wait()
        self._children.pop(pid, None)
        return child


@dataclass(frozen=True, slots=True)
class TrialPlan:
    """Where one trial dies: a seam and hit, or a delay after planning; maybe twice."""

    number: int
    mode: str
    seam: str | None = None
    hit: int = 1
    delay: float | None = None
    second_seam: str | None = None  # the restart is killed here too

    @property
    def label(self) -> str:
        """The kill point, for figures."""
        return f"seam:{self.seam}" if self.seam else "random"


@dataclass
class TrialResult:
    """What one trial saw."""

    plan: TrialPlan
    killed: bool = False
    point: str = ""  # where the kill landed, as seen on disk and in the store
    in_flight: int = 0  # items `transferring` at the kill
    temporaries: int = 0  # temporary files at the kill
    finished_by_restart: int = 0  # interrupted items `start()` found complete: ingested
    back_in_review: int = 0  # interrupted items `start()` put back in the queue
    approved: int = 0  # of those, approved afterwards and ingested
    picked_up: int = 0  # files never recorded before the kill, ingested by the rescan
    lost: int = 0  # library files missing at the end, sources damaged: must stay 0
    restart_killed: bool = False
    seconds: float = 0.0
    violations: list[str] = field(default_factory=list)


@dataclass
class Reference:
    """The template tree and what an uninterrupted run makes of it."""

    template: Path
    sources: dict[str, str]  # path under ingest/ -> SHA-256
    library: dict[str, str]  # path under the root (movies/..., tv/...) -> SHA-256
    videos: int  # items an uninterrupted run ingests
    census: dict[str, dict[str, int]] = field(default_factory=dict)  # mode -> seam -> passes
    seconds: dict[str, float] = field(default_factory=dict)  # mode -> planned-to-exit time


async def make_template(root: Path, tmdb_url: str) -> Reference:
    """The tree and a store with a warm TMDb cache (identified once, against the emulator)."""
    template = root / "template"
    for name in ("ingest", *LIBRARIES):
        (template / name).mkdir(parents=True)
    build_tree(template / "ingest")
    store = Store(template / "videodrome.db")
    try:
        async with aiohttp.ClientSession() as session:
            planned = await make_service(template, session, store, tmdb_url, "copy").plan(
                template / "ingest"
            )
    finally:
        store.close()
    videos = sum(1 for p in planned if p.destination is not None)
    return Reference(template, digests(template / "ingest"), {}, videos)


async def calibrate(server: ForkServer, reference: Reference, work: Path) -> None:
    """One uninterrupted run per mode: the expected library, each seam's passes, durations."""
    for mode in MODES:
        root = _fresh(reference, work / f"reference-{mode}")
        child = await server.run({"root": str(root), "mode": mode})
        if child.result is None or child.status != 0:
            raise RuntimeError(f"the reference run ({mode}) failed: {child.error}")
        if child.result["tmdb_requests"]:
            raise RuntimeError("the template's TMDb cache is incomplete")
        library = _library(root)
        if reference.library and library != reference.library:
            raise RuntimeError(f"the {mode} run filed another library than the others")
        reference.library = library
        reference.census[mode] = child.result["census"]
        reference.seconds[mode] = child.exited_at - child.planned_at
        shutil.rmtree(root)


def plan_trials(reference: Reference, count: int, seed: int) -> list[TrialPlan]:
    """`count` trials: 2 in 5 killed at a random moment, 3 in 5 at a seam.

    The seam trials go through every (mode, seam) pair in turn (33 with this tree, so 55
    trials kill at each seam of each mode at least once); the pass (the hit) is random.
    Every fifth seam trial kills the restart too, while it recovers. Random kills take the
    modes in turn.
    """
    pairs = [
        (mode, seam)
        for mode, census in reference.census.items()
        for seam in SEAMS
        if census.get(seam) and seam != "recovered"
    ]
    modes = list(MODES)
    plans: list[TrialPlan] = []
    randoms = seams = 0
    for number in range(count):
        rng = random.Random(f"{seed}-{number}")  # noqa: S311 - reproducible, not secret
        if number % 5 in {0, 2}:
            mode = modes[randoms % len(modes)]
            randoms += 1
            delay = rng.uniform(0, 1.1 * reference.seconds[mode])
            plans.append(TrialPlan(number, mode, delay=delay))
            continue
        mode, seam = pairs[seams % len(pairs)]
        hit = rng.randint(1, reference.census[mode][seam])
        second = "recovered" if seams % 5 == 4 else None
        seams += 1
        plans.append(TrialPlan(number, mode, seam=seam, hit=hit, second_seam=second))
    return plans


async def run_trial(
    server: ForkServer, reference: Reference, plan: TrialPlan, work: Path, tmdb_url: str
) -> TrialResult:
    """One trial, start to finish; its folder is removed when nothing was violated."""
    started = time.monotonic()
    result = TrialResult(plan)
    root = await asyncio.to_thread(_fresh, reference, work / f"trial-{plan.number:04d}")
    command: dict[str, Any] = {"root": str(root), "mode": plan.mode}
    if plan.seam is not None:
        command |= {"seam": plan.seam, "hit": plan.hit}
    child = await server.run(command, delay=plan.delay)
    if child.error is not None:
        result.violations.append(f"the child failed on its own: {child.error}")
    result.killed = child.killed
    await asyncio.to_thread(_after_the_kill, reference, root, result)
    if plan.second_seam is not None and result.killed:
        restart = await server.run(
            {"root": str(root), "mode": plan.mode, "recover": True, "seam": plan.second_seam}
        )
        result.restart_killed = restart.killed
        if restart.error is not None:
            result.violations.append(f"the restart failed: {restart.error}")
    await _restart_and_finish(reference, root, result, tmdb_url)
    result.seconds = time.monotonic() - started
    if not result.violations:
        await asyncio.to_thread(shutil.rmtree, root)
    return result


async def run_trials(
    reference: Reference,
    plans: Iterable[TrialPlan],
    work: Path,
    tmdb_url: str,
    *,
    server: ForkServer,
    parallel: int = 2,
) -> list[TrialResult]:
    """Run the trials, `parallel` at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(plan: TrialPlan) -> TrialResult:
        async with gate:
            return await run_trial(server, reference, plan, work, tmdb_url)

    return list(await asyncio.gather(*(one(plan) for plan in plans)))


# --- checks ------------------------------------------------------------------------------------


def _fresh(reference: Reference, root: Path) -> Path:
    """A fresh copy of the template (new files, new inodes, new mtimes)."""
    shutil.copytree(reference.template, root)
    return root


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _library(root: Path) -> dict[str, str]:
    """The files under final names in the libraries (temporaries left out)."""
    found: dict[str, str] = {}
    for library in LIBRARIES:
        for path, digest in digests(root / library).items():
            if not TEMP_PATTERN.fullmatch(Path(path).name):
                found[f"{library}/{path}"] = digest
    return found


def _temporaries(root: Path) -> list[Path]:
    return [
        folder / name
        for library in LIBRARIES
        for folder, _folders, names in (root / library).walk()
        for name in names
        if TEMP_PATTERN.fullmatch(name)
    ]


def _check_sources(reference: Reference, root: Path, result: TrialResult, when: str) -> None:
    """Every source still there, same path, same bytes; nothing added to the downloads."""
    now = digests(root / "ingest")
    for path, digest in reference.sources.items():
        if path not in now:
            result.violations.append(f"{when}: source {path} is gone")
            result.lost += 1
        elif now[path] != digest:
            result.violations.append(f"{when}: source {path} was changed")
            result.lost += 1
    result.violations.extend(
        f"{when}: {path} appeared in the download folder" for path in now.keys() - reference.sources
    )


def _check_final_names(reference: Reference, root: Path, result: TrialResult, when: str) -> None:
    """Each file under a final name is one the reference run made, byte-identical."""
    for path, digest in _library(root).items():
        expected = reference.library.get(path)
        if expected is None:
            result.violations.append(f"{when}: unexpected file {path} in the library")
        elif digest != expected:
            result.violations.append(f"{when}: {path} is not byte-identical to its source")


def _integrity(root: Path, result: TrialResult, when: str) -> Counter[str]:
    """`PRAGMA integrity_check` on the store as a restart finds it; the items by status."""
    with contextlib.closing(sqlite3.connect(root / "videodrome.db")) as db:
        verdict = db.execute("PRAGMA integrity_check").fetchall()
        if verdict != [("ok",)]:
            result.violations.append(f"{when}: integrity_check says {verdict}")
        rows = db.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall()
    return Counter(dict(rows))


def _after_the_kill(reference: Reference, root: Path, result: TrialResult) -> None:
    """What the kill left behind, before any restart."""
    when = "after the kill"
    _check_sources(reference, root, result, when)
    _check_final_names(reference, root, result, when)
    counts = _integrity(root, result, when)
    result.in_flight = counts[ItemStatus.TRANSFERRING]
    result.temporaries = len(_temporaries(root))
    if not result.killed:
        result.point = "finished before the kill"
    elif result.temporaries:
        result.point = "copy in progress (temporary on disk)"
    elif result.in_flight:
        result.point = "item in flight (no temporary)"
    elif sum(counts.values()):
        result.point = "between items"
    else:
        result.point = "before the first item"


async def _restart_and_finish(
    reference: Reference, root: Path, result: TrialResult, tmdb_url: str
) -> None:
    """A restart (`start()`), its checks, then finishing everything and the final checks."""
    store = await asyncio.to_thread(Store, root / "videodrome.db")
    try:
        async with aiohttp.ClientSession() as session:
            service = make_service(root, session, store, tmdb_url, result.plan.mode)
            before = {item.id for item in await asyncio.to_thread(_all_items, store)}
            back = await service.start()
            await asyncio.to_thread(_after_the_restart, reference, root, store, result)
            result.finished_by_restart = sum(1 for i in back if i.status is ItemStatus.INGESTED)
            queued = [
                i
                for i in await asyncio.to_thread(store.review_queue, 1000)
                if i.error == INTERRUPTED
            ]
            result.back_in_review = len(queued)
            for item in queued:
                try:
                    outcome = await service.approve(item.id)
                except VideodromeError as err:
                    result.violations.append(f"approving interrupted {item.source} failed: {err}")
                    continue
                if outcome.status == ItemStatus.INGESTED:
                    result.approved += 1
                else:
                    result.violations.append(
                        f"approving interrupted item {item.source} gave {outcome.status}"
                    )
            outcomes = await service.ingest(root / "ingest")
            result.picked_up = sum(
                1
                for o in outcomes
                if o.status == ItemStatus.INGESTED
                and o.item is not None
                and o.item.id not in before
            )
            result.violations.extend(
                f"ingesting again: {o.planned.source.path.name} is {o.status} ({o.error})"
                for o in outcomes
                if o.status not in {"ingested", "already_handled", "skipped"}
            )
        await asyncio.to_thread(_at_the_end, reference, root, store, result)
    finally:
        await asyncio.to_thread(store.close)


def _all_items(store: Store) -> list[Any]:
    return store.history(limit=100_000)


def _after_the_restart(reference: Reference, root: Path, store: Store, result: TrialResult) -> None:
    """After `start()`: no temporaries, nothing in flight, the rows agree with the disk."""
    when = "after the restart"
    result.violations.extend(f"{when}: temporary {p} left" for p in _temporaries(root))
    _check_final_names(reference, root, result, when)
    items = _all_items(store)
    ingest = root / "ingest"
    library = _library(root)
    for item in items:
        if item.status in {ItemStatus.TRANSFERRING, ItemStatus.PENDING}:
            result.violations.append(f"{when}: {item.source} is still {item.status}")
        destination = Path(item.destination) if item.destination else None
        relative = destination.relative_to(root).as_posix() if destination else None
        source = reference.sources.get(Path(item.source).relative_to(ingest).as_posix())
        if item.status is ItemStatus.INGESTED and library.get(relative or "") != source:
            result.violations.append(f"{when}: {item.source} is ingested but {relative} is not it")
        if item.status is ItemStatus.REVIEW and item.error == INTERRUPTED and relative in library:
            result.violations.append(
                f"{when}: {item.source} is back in review although {relative} is complete"
            )
    recorded = {
        Path(i.destination).relative_to(root).as_posix()
        for i in items
        if i.status is ItemStatus.INGESTED and i.destination
    }
    videos = {p for p in reference.library if p.endswith(".mkv")}
    result.violations.extend(
        f"{when}: {path} is in the library with no ingested item"
        for path in library.keys() & videos - recorded
    )


def _at_the_end(reference: Reference, root: Path, store: Store, result: TrialResult) -> None:
    """After finishing: exactly the uninterrupted run's library, sources intact, store sound."""
    when = "at the end"
    _check_sources(reference, root, result, when)
    library = _library(root)
    for path, digest in reference.library.items():
        if library.get(path) != digest:
            result.violations.append(f"{when}: {path} is missing or different")
            result.lost += 1
    result.violations.extend(f"{when}: unexpected {p}" for p in library.keys() - reference.library)
    result.violations.extend(f"{when}: temporary {p} left" for p in _temporaries(root))
    counts = _integrity(root, result, when)
    if counts[ItemStatus.INGESTED] != reference.videos:
        result.violations.append(
            f"{when}: {counts[ItemStatus.INGESTED]} items ingested, not {reference.videos}"
        )
    for status in (ItemStatus.TRANSFERRING, ItemStatus.PENDING, ItemStatus.FAILED):
        if counts[status]:
            result.violations.append(f"{when}: {counts[status]} items {status}")


def summary(results: list[TrialResult], reference: Reference) -> dict[str, Any]:
    """Figures for the README and the benchmark."""
    seams = Counter(r.plan.seam for r in results if r.plan.seam and r.killed)
    points = Counter(r.point for r in results)
    seconds = sorted(r.seconds for r in results)
    return {
        "trials": len(results),
        "killed": sum(r.killed for r in results),
        "restarts_killed_too": sum(r.restart_killed for r in results),
        "seams_hit": dict(sorted(seams.items())),
        "seams_available": len([s for s in SEAMS if s != "recovered"]),
        "kill_points": dict(points.most_common()),
        "modes": dict(Counter(r.plan.mode for r in results)),
        "items_in_flight_at_kill": sum(r.in_flight for r in results),
        "temporaries_at_kill": sum(r.temporaries for r in results),
        "finished_by_restart": sum(r.finished_by_restart for r in results),
        "back_in_review_then_approved": sum(r.approved for r in results),
        "picked_up_by_rescan": sum(r.picked_up for r in results),
        "items_lost": sum(r.lost for r in results),
        "violations": sum(len(r.violations) for r in results),
        "videos_per_trial": reference.videos,
        "seconds_per_trial_median": seconds[len(seconds) // 2] if seconds else 0.0,
        "seconds_per_trial_max": seconds[-1] if seconds else 0.0,
    }


# --- organise in place ---------------------------------------------------------------------------


@dataclass
class OrganiseReference:
    """A messy library (the tree's files in `movies/` and `tv/`) and what organising makes."""

    template: Path
    original: dict[str, str]  # path under the root -> SHA-256, before organising
    organised: dict[str, str] = field(default_factory=dict)  # after an uninterrupted run
    census: dict[str, int] = field(default_factory=dict)


async def make_organise_template(root: Path, tmdb_url: str) -> OrganiseReference:
    """The tree's movies in `movies/` and its episodes in `tv/`, a store with a warm cache."""
    template = root / "organise-template"
    (template / "ingest").mkdir(parents=True)
    build_tree(template / "staging")
    for entry in sorted((template / "staging").iterdir()):
        library = "tv" if entry.name.startswith("Chernobyl") else "movies"
        (template / library).mkdir(exist_ok=True)
        entry.rename(template / library / entry.name)
    (template / "staging").rmdir()
    store = Store(template / "videodrome.db")
    try:
        async with aiohttp.ClientSession() as session:
            organiser = make_service(template, session, store, tmdb_url, "hardlink").organiser
            assert organiser is not None
            for library in LIBRARIES:
                await organiser.organise(template / library, dry_run=True)
    finally:
        store.close()
    return OrganiseReference(template, _library(template))


async def calibrate_organise(server: ForkServer, reference: OrganiseReference, work: Path) -> None:
    """One uninterrupted organise run: the organised library and each seam's passes."""
    root = work / "organise-reference"
    shutil.copytree(reference.template, root)
    child = await server.run({"root": str(root), "mode": "hardlink", "organise": True})
    if child.result is None or child.status != 0:
        raise RuntimeError(f"the reference organise run failed: {child.error}")
    reference.organised = _library(root)
    reference.census = child.result["census"]
    shutil.rmtree(root)


def plan_organise_trials(reference: OrganiseReference, count: int, seed: int) -> list[TrialPlan]:
    """`count` trials killed at the organise seams in turn, each at a random pass."""
    seams = [seam for seam in ORGANISE_SEAMS if reference.census.get(seam)]
    plans: list[TrialPlan] = []
    for number in range(count):
        rng = random.Random(f"{seed}-organise-{number}")  # noqa: S311 - reproducible, not secret
        seam = seams[number % len(seams)]
        plans.append(
            TrialPlan(number, "organise", seam=seam, hit=rng.randint(1, reference.census[seam]))
        )
    return plans


async def run_organise_trial(
    server: ForkServer, reference: OrganiseReference, plan: TrialPlan, work: Path, tmdb_url: str
) -> TrialResult:
    """Organise, SIGKILL at a seam, restart, finish, then undo everything: the original back."""
    started = time.monotonic()
    result = TrialResult(plan)
    root = work / f"organise-{plan.number:04d}"
    await asyncio.to_thread(shutil.copytree, reference.template, root)
    child = await server.run(
        {
            "root": str(root),
            "mode": "hardlink",
            "organise": True,
            "seam": plan.seam,
            "hit": plan.hit,
        }
    )
    result.killed = child.killed
    if child.error is not None:
        result.violations.append(f"the child failed on its own: {child.error}")
    await asyncio.to_thread(_after_the_organise_kill, reference, root, result)
    store = await asyncio.to_thread(Store, root / "videodrome.db")
    try:
        async with aiohttp.ClientSession() as session:
            service = make_service(root, session, store, tmdb_url, "hardlink")
            await _restart_and_finish_organising(service, store, root, reference, result)
        found = await asyncio.to_thread(_library, root)
        if found != reference.original:
            difference = _difference(found, reference.original)
            result.violations.append(f"after undoing, the library differs: {difference}")
        _integrity(root, result, "at the end")
    finally:
        await asyncio.to_thread(store.close)
    result.seconds = time.monotonic() - started
    if not result.violations:
        await asyncio.to_thread(shutil.rmtree, root)
    return result


async def _restart_and_finish_organising(
    service: IngestService,
    store: Store,
    root: Path,
    reference: OrganiseReference,
    result: TrialResult,
) -> None:
    """`start()`, approve what came back to review, organise again, then undo every batch."""
    organiser = service.organiser
    assert organiser is not None
    back = await service.start()
    result.finished_by_restart = sum(1 for i in back if i.status is ItemStatus.ORGANISED)
    for item in await asyncio.to_thread(_all_items, store):
        if item.status in {ItemStatus.TRANSFERRING, ItemStatus.PENDING}:
            result.violations.append(f"after the restart: {item.source} is {item.status}")
    for item in back:
        if item.status is ItemStatus.REVIEW:
            result.back_in_review += 1
            outcome = await service.approve(item.id)
            result.approved += outcome.status == ItemStatus.ORGANISED
    for library in LIBRARIES:
        await organiser.organise(root / library, dry_run=False)
    found = await asyncio.to_thread(_library, root)
    if found != reference.organised:
        difference = _difference(found, reference.organised)
        result.violations.append(f"after finishing, the library differs: {difference}")
        result.lost += len(reference.organised.keys() - found.keys())
    items = await asyncio.to_thread(_all_items, store)
    for batch in sorted({i.batch for i in items if i.status is ItemStatus.ORGANISED and i.batch}):
        await organiser.undo(batch=batch)


def _after_the_organise_kill(reference: OrganiseReference, root: Path, result: TrialResult) -> None:
    """Every file is under its old name or its new one, byte-identical; none twice, none lost."""
    counts = _integrity(root, result, "after the kill")
    result.in_flight = counts[ItemStatus.TRANSFERRING]
    result.point = "rename in flight" if result.in_flight else "between renames"
    library = _library(root)
    if sorted(library.values()) != sorted(reference.original.values()):
        result.violations.append("after the kill: files lost or duplicated")
        result.lost += len(set(reference.original.values()) - set(library.values()))
    known = reference.original.items() | reference.organised.items()
    result.violations.extend(
        f"after the kill: {path} is neither an old nor a new name"
        for path, digest in library.items()
        if (path, digest) not in known
    )


def _difference(found: dict[str, str], expected: dict[str, str]) -> str:
    missing = sorted(expected.keys() - found.keys())[:3]
    extra = sorted(found.keys() - expected.keys())[:3]
    changed = sorted(p for p in found.keys() & expected.keys() if found[p] != expected[p])[:3]
    return f"missing {missing}, unexpected {extra}, changed {changed}"
