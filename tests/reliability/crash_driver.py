"""The process that gets killed: ingests a realistic download tree, maybe dying at a seam.

Run by `tests/reliability/crash_trials.py` (the parent), never by hand in production:

    python -m tests.reliability.crash_driver ROOT --mode copy [--seam published --hit 3]

ROOT holds `ingest/` (the downloads), `movies/`, `tv/` (the libraries) and `videodrome.db`,
a store whose TMDb cache was filled by the parent (a prepared identification), so the child
needs no network: its TMDb client points at a closed loopback port and any cache miss makes
identification fail, which the parent's calibration run would catch. The child wires an
`IngestService` as the integration does (without Plex), plans the tree, prints `planned`,
then handles every planned file in turn and prints `done` with the seam census as JSON.

Seams are natural points inside the transfer code where the child can kill itself with
SIGKILL on the N-th time it passes (`--seam NAME --hit N`): wrappers installed here, in the
child only, around the engine's own functions; production code has no test hooks. Without
`--seam` the parent kills the child at a random moment instead.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import hashlib
import os
from pathlib import Path
import random
import select
import signal
import sys
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.ingest import (
    fs as fs_module,
    organise as organise_module,
    pipeline as pipeline_module,
    transfer as transfer_module,
)
from custom_components.videodrome.engine.ingest.fs import TEMP_PATTERN
from custom_components.videodrome.engine.ingest.organise import Organiser
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import Settings
from custom_components.videodrome.engine.ingest.service import IngestService
from custom_components.videodrome.engine.ingest.sources import SUBTITLE_EXTENSIONS
from custom_components.videodrome.engine.ingest.transfer import TransferMode
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from custom_components.videodrome.engine.tmdb.client import MAX_RETRIES, TMDbClient

if TYPE_CHECKING:
    from collections.abc import Callable

TMDB_KEY = "crash-trials-tmdb-key"
NO_NETWORK = "http://127.0.0.1:9/3"  # the discard port: nothing listens, a miss fails at once
MIB = 1024 * 1024
KERNEL_CHUNK = MIB  # copy_file_range answers at most this much per call (it may answer less)

MATRIX = "The.Matrix.1999.1080p.BluRay.x264-GRP"
HEAT = "Heat.1995.REMASTERED.720p.BluRay.x264-GRP"
BLADE_RUNNER = "Blade.Runner.2049.2017.1080p.BluRay.x264-GRP"
PARASITE = "Parasite.2019.1080p.BluRay.x264-GRP"
CHERNOBYL = "Chernobyl.S01.1080p.WEB-DL.DDP5.1.H.264-GRP"


def _episode(number: int, extension: str) -> str:
    return f"{CHERNOBYL}/Chernobyl.S01E0{number}.1080p.WEB-DL.DDP5.1.H.264-GRP.{extension}"


# The download tree: (path, kind, size in MiB for a video). Five movies (one a loose file,
# one with a sample and an .nfo, subtitles beside them and in Subs/) and a TV season of five
# episodes, each with its English subtitle: 10 videos, 9 subtitles, 19 files to file.
TREE: tuple[tuple[str, str, float], ...] = (
    (f"{MATRIX}/{MATRIX}.mkv", "video", 3),
    (f"{MATRIX}/{MATRIX}.en.srt", "subtitle", 0),
    (f"{MATRIX}/{MATRIX}.nfo", "other", 0),
    (f"{MATRIX}/Sample/sample-matrix.mkv", "other", 0),
    (f"{HEAT}/{HEAT}.mkv", "video", 2.5),
    (f"{HEAT}/Subs/English.srt", "subtitle", 0),
    ("Inception.2010.2160p.WEB-DL.DDP5.1.H.265-GRP.mkv", "video", 2),
    (f"{BLADE_RUNNER}/{BLADE_RUNNER}.mkv", "video", 3.5),
    (f"{BLADE_RUNNER}/{BLADE_RUNNER}.en.srt", "subtitle", 0),
    (f"{BLADE_RUNNER}/{BLADE_RUNNER}.fr.srt", "subtitle", 0),
    (f"{PARASITE}/{PARASITE}.mkv", "video", 1.5),
    *(
        entry
        for number in range(1, 6)
        for entry in (
            (_episode(number, "mkv"), "video", 1 + number % 3 * 0.5),
            (_episode(number, "en.srt"), "subtitle", 0),
        )
    ),
)

MODES: dict[str, tuple[TransferMode, bool, bool]] = {
    # name: (transfer mode, verify_checksum, hard links refused as on FAT/exFAT)
    "hardlink": (TransferMode.HARDLINK, False, False),
    "copy": (TransferMode.COPY, False, False),
    "verify": (TransferMode.COPY, True, False),
    "nolink": (TransferMode.HARDLINK, False, True),
}

# The seams, in the order a transfer passes them.
SEAMS: dict[str, str] = {
    "recorded": "the item is stored as transferring; nothing is on disk yet",
    "copy_chunk": "one chunk of the copy is in the temporary file (a partial copy)",
    "copied": "all bytes are in the temporary file, not yet checked, fsynced or published",
    "before_publish": "the temporary file is complete and flushed; the final name is free",
    "hardlinked": "the final name is a hard link to the source; folders not yet flushed",
    "published": "the final name links to the copy; the temporary name is still there too",
    "renamed": "the copy was renamed to its final name (renameat2 RENAME_NOREPLACE)",
    "before_folder_sync": "the file is under its final name; its folder is not yet flushed",
    "companion": "the video is in; a subtitle is about to be transferred",
    "before_ingested_record": "everything is in the library; the store still says transferring",
    "ingested_recorded": "the item is stored as ingested; the next one has not started",
    # A restart killed too: while `start()` recovers (a second crash).
    "recovered": "a restart's recovery has put the interrupted items back to pending",
}
# The seams of organising in place (renames inside the library), passed by organise trials.
ORGANISE_SEAMS: dict[str, str] = {
    "recorded": "the rename is stored as transferring; nothing has moved yet",
    "moved": "a video or subtitle has its new name; the store still says transferring",
    "before_organised_record": "the video and its subtitles are renamed; not yet recorded",
}


def build_tree(root: Path, seed: int = 1999) -> None:
    """Write the tree under `root` (incompressible video bytes, seeded: the same every time)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible bytes, not secrets
    for relative, kind, size in TREE:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "video":
            path.write_bytes(rng.randbytes(int(size * MIB)))
        elif kind == "subtitle":
            path.write_text(f"1\n00:00:01,000 --> 00:00:02,000\n{relative}\n", encoding="utf-8")
        else:
            path.write_bytes(rng.randbytes(2048))


def digests(root: Path) -> dict[str, str]:
    """SHA-256 of every file below `root`, by path relative to it."""
    result: dict[str, str] = {}
    for folder, _folders, names in root.walk():
        for name in names:
            path = folder / name
            result[path.relative_to(root).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return result


def _die() -> None:
    """Die as a power cut or the OOM killer would take the process: no cleanup at all."""
    os.kill(os.getpid(), signal.SIGKILL)


class Seams:
    """Counts each seam as the child passes it, and kills the child at the armed one."""

    def __init__(self, armed: str | None, hit: int) -> None:
        """Die the `hit`-th time `armed` is passed (never when `armed` is None)."""
        self.armed = armed
        self.hit = hit
        self.counts: Counter[str] = Counter()

    def reached(self, name: str) -> None:
        """Pass seam `name`."""
        self.counts[name] += 1
        if name == self.armed and self.counts[name] == self.hit:
            _die()

    def install(self, *, no_hardlinks: bool) -> None:
        """Wrap the engine's functions (this process only) so each seam is reported."""
        self._wrap_store()
        self._wrap_copy()
        self._wrap_link(no_hardlinks=no_hardlinks)
        reached = self.reached
        _before(transfer_module, "_check_unchanged", lambda: reached("copied"))
        _before(transfer_module, "_publish", lambda: reached("before_publish"))
        _before(fs_module, "sync_folders", lambda: reached("before_folder_sync"))
        _after(transfer_module, "_rename_noreplace", lambda: reached("renamed"))
        _after(organise_module, "move_noreplace", lambda: reached("moved"))
        real_transfer = pipeline_module.__dict__["transfer"]

        def transfer(source: Path, destination: Path, *args: Any, **kwargs: Any) -> Any:
            if source.suffix.lower() in SUBTITLE_EXTENSIONS:
                reached("companion")
            return real_transfer(source, destination, *args, **kwargs)

        setattr(pipeline_module, "transfer", transfer)  # noqa: B010 - not exported

    def _wrap_store(self) -> None:
        reached = self.reached
        real_add, real_update, real_recover = Store.add_item, Store.update_item, Store.recover

        def add_item(store: Store, **fields: Any) -> Any:
            item = real_add(store, **fields)
            if item.status is ItemStatus.TRANSFERRING:
                reached("recorded")
            return item

        def update_item(store: Store, item_id: int, **fields: Any) -> Any:
            ingested = fields.get("status") == ItemStatus.INGESTED
            if ingested:
                reached("before_ingested_record")
            if fields.get("status") == ItemStatus.ORGANISED:
                reached("before_organised_record")
            item = real_update(store, item_id, **fields)
            if ingested:
                reached("ingested_recorded")
            return item

        def recover(store: Store) -> Any:
            items = real_recover(store)
            reached("recovered")
            return items

        _replace(Store, add_item=add_item, update_item=update_item, recover=recover)

    def _wrap_copy(self) -> None:
        reached = self.reached
        real_copy_file_range, real_read_write = os.copy_file_range, fs_module.copy_chunk

        def copy_file_range(source: int, destination: int, count: int, *args: Any) -> int:
            copied = real_copy_file_range(source, destination, min(count, KERNEL_CHUNK), *args)
            if copied:
                reached("copy_chunk")
            return copied

        def read_write(*args: Any) -> int:
            copied = real_read_write(*args)
            if copied:
                reached("copy_chunk")
            return copied

        _replace(os, copy_file_range=copy_file_range)
        _replace(fs_module, copy_chunk=read_write)

    def _wrap_link(self, *, no_hardlinks: bool) -> None:
        reached = self.reached
        real_link = os.link

        def link(source: Any, destination: Any, *args: Any, **kwargs: Any) -> None:
            if no_hardlinks:  # what FAT, exFAT and some shares answer
                raise PermissionError(1, "Operation not permitted", str(source))
            real_link(source, destination, *args, **kwargs)
            temporary = TEMP_PATTERN.fullmatch(Path(source).name) is not None
            reached("published" if temporary else "hardlinked")

        _replace(os, link=link)


def _replace(owner: object, **functions: Any) -> None:
    """Put wrappers in place of a module's or a class's functions (in this process only)."""
    for name, function in functions.items():
        setattr(owner, name, function)


def _before(module: Any, name: str, seam: Callable[[], None]) -> None:
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seam()
        return real(*args, **kwargs)

    setattr(module, name, wrapper)


def _after(module: Any, name: str, seam: Callable[[], None]) -> None:
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        seam()
        return result

    setattr(module, name, wrapper)


def make_service(
    root: Path,
    session: aiohttp.ClientSession,
    store: Store,
    tmdb_url: str,
    mode: str,
    *,
    library: Path | None = None,
) -> IngestService:
    """The service as the integration wires it, without Plex: the same in child and parent.

    Downloads in `root/ingest`, the libraries in `library/movies` and `library/tv` (`library`
    is `root` unless given).
    """
    transfer_mode, verify, _no_hardlinks = MODES[mode]
    offline = tmdb_url == NO_NETWORK  # a cache miss fails at once, not after retries
    tmdb = TMDbClient(
        session,
        api_key=TMDB_KEY,
        base_url=tmdb_url,
        store=store,
        max_retries=0 if offline else MAX_RETRIES,
        backoff=0 if offline else 0.05,
    )
    identifier = Identifier(tmdb)
    library = library or root
    settings = Settings(
        (root / "ingest",),
        library / "movies",
        library / "tv",
        transfer_mode,
        verify_checksum=verify,
    )

    async def run_blocking(job: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, job)

    pipeline = Pipeline(identifier, settings, run_blocking=run_blocking)
    service = IngestService(store, pipeline, identifier, tmdb, None, run_blocking=run_blocking)
    # Organising works on the library folders themselves, as the integration wires it.
    roots = (settings.movies_root, settings.tv_root)
    service.organiser = Organiser(
        Pipeline(identifier, Settings(roots, *roots), run_blocking=run_blocking),
        store,
        None,
        run_blocking=run_blocking,
    )
    return service


async def run(root: Path, mode: str, seams: Seams, pid: int) -> dict[str, Any]:
    """Plan the tree, say so, handle every file; the census and outcomes when not killed."""
    store = Store(root / "videodrome.db")
    async with aiohttp.ClientSession() as session:
        service = make_service(root, session, store, NO_NETWORK, mode)
        planned = await service.plan(root / "ingest")
        _say(f"planned {pid}".encode())  # the parent starts its kill timer here
        outcomes = [await service.handle(p) for p in planned]
        requests = service._tmdb.stats.requests
    store.close()
    return {
        "census": dict(seams.counts),
        "outcomes": sorted(o.status for o in outcomes),
        "tmdb_requests": requests,
    }


def serve() -> None:
    """A fork server: import and warm up once, then fork one child per trial.

    Commands arrive on stdin as JSON lines `{"id", "root", "mode", "seam", "hit"}` (with
    `"recover": true`, the child restarts instead of ingesting); for each one a child is
    forked (a new process, cheap because everything is imported already) and the server
    answers `pid ID PID`. `{"kill": PID}` kills a child, through its pidfd (never a recycled
    pid). The children write `planned PID` and `done PID {json}` (or `error PID message`) to
    the same stdout, each line in one write; the server reaps them and writes
    `exit PID STATUS` (the wait status: signal 9 for a kill). Closing stdin ends the server.
    """
    from custom_components.videodrome.engine.identify.parse import parse  # noqa: PLC0415

    parse(TREE[0][0])  # guessit builds its rules on the first call: once, here
    children: dict[int, int] = {}  # pidfd -> pid
    _say(b"ready")
    buffer = b""
    while True:
        ready, _, _ = select.select([0, *children], [], [])
        for fd in ready:
            if fd != 0:
                pid = children.pop(fd)
                os.close(fd)
                _, status = os.waitpid(pid, 0)
                _say(f"exit {pid} {status}".encode())
                continue
            chunk = os.read(0, 65536)
            if not chunk:
                for pid in children.values():
                    os.waitpid(pid, 0)
                return
            *lines, buffer = (buffer + chunk).split(b"\n")
            for line in lines:
                _command(orjson.loads(line), children)


def _command(command: dict[str, Any], children: dict[int, int]) -> None:
    """Kill a child, or fork one for a trial."""
    if "kill" in command:
        for pidfd, pid in children.items():
            if pid == command["kill"]:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        return
    pid = os.fork()
    if pid == 0:
        _child(command)
    children[os.pidfd_open(pid)] = pid
    _say(f"pid {command['id']} {pid}".encode())


def _say(line: bytes) -> None:
    """One line to stdout in one write (lines of several children never interleave)."""
    os.write(1, line + b"\n")


def _child(command: dict[str, Any]) -> None:
    """One trial in a forked child; never returns."""
    pid = os.getpid()
    try:
        seams = Seams(command.get("seam"), int(command.get("hit") or 1))
        seams.install(no_hardlinks=MODES[command["mode"]][2])
        if command.get("recover"):
            result = asyncio.run(recover(Path(command["root"]), command["mode"]))
        elif command.get("organise"):
            result = asyncio.run(organise(Path(command["root"]), seams))
        else:
            result = asyncio.run(run(Path(command["root"]), command["mode"], seams, pid))
        _say(f"done {pid} {orjson.dumps(result).decode()}".encode())
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which fails the trial
        _say(f"error {pid} {type(err).__name__}: {err}".replace("\n", " ").encode())
        os._exit(1)
    os._exit(0)


async def organise(root: Path, seams: Seams) -> dict[str, Any]:
    """Organise the libraries in place (movies, then TV), as the organise service does."""
    store = Store(root / "videodrome.db")
    statuses: list[str] = []
    async with aiohttp.ClientSession() as session:
        organiser = make_service(root, session, store, NO_NETWORK, "hardlink").organiser
        assert organiser is not None
        for library in ("movies", "tv"):
            statuses += [r.status for r in await organiser.organise(root / library, dry_run=False)]
    store.close()
    return {"census": dict(seams.counts), "outcomes": sorted(statuses)}


async def recover(root: Path, mode: str) -> dict[str, Any]:
    """A restart: `start()` on the store the killed child left (killed here too, maybe)."""
    store = Store(root / "videodrome.db")
    async with aiohttp.ClientSession() as session:
        service = make_service(root, session, store, NO_NETWORK, mode)
        back = await service.start()
    store.close()
    return {"recovered": sorted(str(item.status) for item in back)}


def main() -> None:
    """`serve`, or one trial in this process: `ROOT --mode M [--seam S --hit N]`."""
    if sys.argv[1:] == ["serve"]:
        serve()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--mode", choices=sorted(MODES), default="copy")
    parser.add_argument("--seam", choices=sorted(SEAMS | ORGANISE_SEAMS))
    parser.add_argument("--hit", type=int, default=1)
    args = parser.parse_args()
    seams = Seams(args.seam, args.hit)
    seams.install(no_hardlinks=MODES[args.mode][2])
    result = asyncio.run(run(args.root, args.mode, seams, os.getpid()))
    _say(f"done {os.getpid()} {orjson.dumps(result).decode()}".encode())


if __name__ == "__main__":
    main()
