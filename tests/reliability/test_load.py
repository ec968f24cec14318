"""Load: thousands of files dropped into the ingest folder at once; none is lost.

The integration's parts on one event loop, as `bench/load.py` runs them (the benchmark does
10,000 files and measures time, memory and the event loop's stalls; this test only counts):
the folder watcher with inotify, its queue and one worker feeding the ingest service
(auto-ingest on, hardlink mode, a SQLite store on disk), identification against the TMDb
emulator on loopback, in-process and without a rate limit so the test stays short. Every
file must end up recorded, ingested or waiting for review, and each ingested one must be a
hard link of its source in the library; nothing is left pending.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import os
import random
from typing import TYPE_CHECKING

import pytest

from bench.load import Runtime, drop
from bench.throughput import make_library
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import Settings
from custom_components.videodrome.engine.ingest.service import IngestService
from custom_components.videodrome.engine.ingest.transfer import TransferMode
from custom_components.videodrome.engine.ingest.watcher import FolderWatcher
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.catalogue import Catalogue
from tests.emulators.tmdb import TMDbEmulator
from tests.polling import until

if TYPE_CHECKING:
    from pathlib import Path

    import aiohttp

    from tests.emulators.server import Emulators

# 10,000 files take several minutes on CI's two cores (the worker files them one at a time,
# guessit alone is a few milliseconds each); the benchmark runs the full 10,000.
FILES = int(os.environ.get("VIDEODROME_LOAD_FILES", "2000"))
KEY = "load-key"


@pytest.mark.timeout(900)
async def test_files_dropped_at_once_are_all_ingested_or_queued(
    tmp_path: Path, session: aiohttp.ClientSession, emulators: Emulators
) -> None:
    library = make_library(FILES, max(50, FILES // 7), random.Random(7))  # noqa: S311 (a repeatable set of names)
    catalogue = Catalogue.from_dict(library.document)
    url = (await emulators.start(TMDbEmulator(catalogue, api_key=KEY))).url
    store = Store(tmp_path / "videodrome.db")
    for sub in ("ingest", "movies", "tv"):
        (tmp_path / sub).mkdir()
    tmdb = TMDbClient(session, api_key=KEY, base_url=url, store=store)
    identifier = Identifier(tmdb)
    settings = Settings(
        (tmp_path / "ingest",), tmp_path / "movies", tmp_path / "tv", TransferMode.HARDLINK
    )
    service = IngestService(
        store,
        Pipeline(identifier, settings),
        identifier,
        tmdb,
        None,
        run_blocking=asyncio.to_thread,
    )
    queue: asyncio.Queue[str] = asyncio.Queue()
    watcher = FolderWatcher(
        [tmp_path / "ingest"],
        lambda state: queue.put_nowait(os.fspath(state.path)),
        stability=0.2,
        is_handled=lambda s: (
            store.find_handled(str(s.path), s.size, s.mtime_ns, s.device, s.inode) is not None
        ),
    )
    runtime = Runtime(watcher, service, queue)
    driver = asyncio.create_task(watcher.run(0.2, 300.0))
    worker = asyncio.create_task(runtime.work())
    try:
        written = await asyncio.to_thread(drop, tmp_path / "ingest", library.files)
        await until(
            lambda: asyncio.to_thread(store.counts),
            lambda counts: (
                sum(counts.values()) >= len(written) and queue.qsize() == 0 and not watcher.pending
            ),
            interval=0.2,
            timeout=840,
        )
        await queue.join()
        items = await asyncio.to_thread(store.history, limit=10 * FILES)
    finally:
        for task in (worker, driver):
            task.cancel()
        await asyncio.gather(worker, driver, return_exceptions=True)
        store.close()
    assert len(written) == FILES
    by_source = {item.source: item for item in items}
    lost = [path for path in written if str(path) not in by_source]
    assert lost == []
    assert len(items) == FILES  # one row per file: nothing handled twice
    statuses = Counter(item.status for item in items)
    assert set(statuses) <= {ItemStatus.INGESTED, ItemStatus.REVIEW}, statuses
    assert statuses[ItemStatus.INGESTED] > FILES // 2, statuses
    assert runtime.errors == 0
    assert (watcher.pending, queue.qsize()) == (0, 0)
    for path in written:
        item = by_source[str(path)]
        if item.status == ItemStatus.INGESTED:
            assert item.destination is not None
            assert os.stat(item.destination).st_ino == path.stat().st_ino  # noqa: PTH116
