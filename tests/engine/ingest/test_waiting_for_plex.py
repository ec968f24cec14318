"""Files ready while Plex's library is unread wait; what Plex was not asked is asked later.

Real files, the Plex emulator (stopped, then started on its port) and the TMDb emulator.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.ingest.catch_up import SOURCE_CHANGED
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import (
    ALREADY_IN_LIBRARY,
    LIBRARY_INCOMPLETE,
    WAITING_FOR_PLEX,
    Settings,
)
from custom_components.videodrome.engine.ingest.service import (
    AUTO_INGEST_OFF,
    PLEX_NOT_CHECKED,
    IngestService,
    ReviewError,
    waiting_for_plex,
)
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.scan import PLEX_MATCHED, PlexSync
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.engine.conftest import TMDB_KEY
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    import aiohttp

    from custom_components.videodrome.engine.store.items import Item
    from tests.emulators.tmdb import TMDbEmulator

TOKEN = "waiting-token"
HEAT = ("Heat (1995) {tmdb-949}", "Heat (1995).mkv")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Env:
    """Folders, a Plex that is not running yet, and the service under test."""

    def __init__(self, root: Path, tmdb_url: str, session: aiohttp.ClientSession) -> None:
        self.root = root
        self.ingest, self.movies, self.tv = root / "ingest", root / "movies", root / "tv"
        for folder in (self.ingest, self.movies, self.tv):
            folder.mkdir()
        library = PlexLibrary.empty()
        library.add_section("Movies", "movie", [str(self.movies)], key=1)
        library.add_section("TV Shows", "show", [str(self.tv)], key=2)
        self.plex = PlexEmulator(library, token=TOKEN)
        self.plex.faults.scan_duration = 0.0
        self.port = _free_port()
        self.tmdb_url = tmdb_url
        self.session = session
        self.events: list[tuple[str, Item]] = []
        self.store = Store(root / "videodrome.db")
        self.service = self.make_service()

    def make_service(self) -> IngestService:
        """The service wired as the integration wires it (a new one: as after a restart)."""
        session = self.session
        tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=self.tmdb_url, store=self.store)
        identifier = Identifier(tmdb)
        settings = Settings((self.ingest,), self.movies, self.tv)
        client = PlexClient(f"http://127.0.0.1:{self.port}", TOKEN, session, request_timeout=2)
        self.index = LibraryIndex(client)

        async def run_blocking(job: Any) -> Any:
            return await asyncio.get_running_loop().run_in_executor(None, job)

        return IngestService(
            self.store,
            Pipeline(identifier, settings, lookup=self.index),
            identifier,
            tmdb,
            PlexSync(client, poll_interval=0.05, timeout=5),
            run_blocking=run_blocking,
            on_event=lambda kind, item: self.events.append((kind, item)),
        )

    def drop(self, name: str, content: bytes = b"video " * 1000) -> Path:
        file = self.ingest / name
        file.write_bytes(content)
        return file

    def scans(self) -> list[str | None]:
        return [r.query.get("path") for r in self.plex.requests if r.path.endswith("/refresh")]

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


@pytest.fixture
async def env(
    tmp_path: Path, tmdb_emulator: TMDbEmulator, session: aiohttp.ClientSession
) -> AsyncIterator[Env]:
    made = Env(tmp_path, tmdb_emulator.url, session)
    try:
        yield made
    finally:
        made.store.close()
        await made.plex.stop()


async def _plex_back(env: Env) -> None:
    """Plex starts; the index is read (as the integration's loader does)."""
    await env.plex.start(port=env.port)
    await env.index.refresh()


async def test_a_file_waits_until_the_library_has_been_read(env: Env) -> None:
    heat = env.drop("Heat.1995.mkv")
    (held,) = await env.service.ingest(heat)

    assert held.status == "pending"
    assert held.item is not None
    assert waiting_for_plex(held.item)
    assert held.item.reasons[-1] == WAITING_FOR_PLEX
    assert held.item.tmdb_id == 949  # identified all the same
    assert not any(env.movies.iterdir())  # nothing filed
    assert env.events == []
    # Seen again while Plex is away: the same row, untouched.
    (again,) = await env.service.ingest(heat)
    assert again.status == "already_handled"
    assert again.item == held.item
    assert env.service.catch_up is not None
    assert (await env.service.catch_up.run()).still_waiting == 1  # the library is unread

    await _plex_back(env)
    result = await env.service.catch_up.run()

    assert (result.resumed, result.still_waiting, result.checked) == (1, 0, 0)
    (item,) = env.store.history()
    assert item.id == held.item.id  # the same history row
    assert (item.status, item.plex_status) == (ItemStatus.INGESTED, PLEX_MATCHED)
    assert (env.movies / HEAT[0] / HEAT[1]).is_file()
    assert env.scans() == [str(env.movies / HEAT[0])]  # scanned once
    assert env.kinds() == ["ingested"]
    # Nothing left: another run does nothing.
    assert (await env.service.catch_up.run()).resumed == 0
    assert env.scans() == [str(env.movies / HEAT[0])]


async def test_a_held_file_plex_already_has_goes_to_review(env: Env) -> None:
    elsewhere = env.movies / "Heat" / "Heat.avi"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"an older copy")
    await env.plex.scan(1)  # the library has Heat before Plex goes away
    (held,) = await env.service.ingest(env.drop("Heat.1995.1080p.mkv"))
    assert held.status == "pending"

    await _plex_back(env)
    assert env.service.catch_up is not None
    await env.service.catch_up.run()

    (item,) = env.store.history()
    assert item.status is ItemStatus.REVIEW
    assert ALREADY_IN_LIBRARY in item.reasons
    assert WAITING_FOR_PLEX not in item.reasons
    assert not (env.movies / HEAT[0]).exists()  # no duplicate filed
    assert env.kinds() == ["review_required"]


async def test_held_files_survive_a_restart(env: Env) -> None:
    (held,) = await env.service.ingest(env.drop("Heat.1995.mkv"))
    assert held.status == "pending"
    env.store.close()
    env.store = Store(env.root / "videodrome.db")
    env.service = env.make_service()  # Home Assistant started again
    assert await env.service.start() == []  # held is not interrupted: nothing to recover

    await _plex_back(env)
    assert env.service.catch_up is not None
    assert (await env.service.catch_up.run()).resumed == 1
    assert (env.movies / HEAT[0] / HEAT[1]).is_file()
    assert [item.status for item in env.store.history()] == [ItemStatus.INGESTED]


async def test_a_file_that_changed_while_it_waited_is_a_new_file(env: Env) -> None:
    heat = env.drop("Heat.1995.mkv")
    (held,) = await env.service.ingest(heat)
    heat.write_bytes(b"another download " * 2000)
    gone = env.drop("Dune.1984.mkv")
    (held_dune,) = await env.service.ingest(gone)
    gone.unlink()

    await _plex_back(env)
    assert env.service.catch_up is not None
    result = await env.service.catch_up.run()

    assert (result.resumed, result.given_up) == (1, 2)
    items = {item.id: item for item in env.store.history(limit=10)}
    assert held.item is not None
    assert held_dune.item is not None
    assert items[held.item.id].status is ItemStatus.FAILED
    assert items[held.item.id].error == SOURCE_CHANGED
    assert items[held_dune.item.id].status is ItemStatus.FAILED
    assert (items[held_dune.item.id].error or "").startswith(f"{SOURCE_CHANGED}: ")
    (new,) = [item for item in items.values() if item.id not in {held.item.id, held_dune.item.id}]
    assert new.status is ItemStatus.INGESTED  # the changed Heat, as a new file
    assert (env.movies / HEAT[0] / HEAT[1]).read_bytes().startswith(b"another download")


async def test_with_auto_ingest_off_a_file_goes_to_review_instead(env: Env) -> None:
    (queued,) = await env.service.ingest(env.drop("Heat.1995.mkv"), auto=False)
    assert queued.status == "review"
    assert queued.item is not None
    assert queued.item.reasons[-1] == AUTO_INGEST_OFF
    assert WAITING_FOR_PLEX not in queued.item.reasons


async def test_approving_before_the_library_is_read_is_refused(env: Env) -> None:
    (queued,) = await env.service.ingest(env.drop("Dune.mkv"))  # no year: review
    assert queued.status == "review"
    assert queued.item is not None
    with pytest.raises(ReviewError, match=WAITING_FOR_PLEX):
        await env.service.approve(queued.item.id, tmdb_id=841)
    await _plex_back(env)
    assert (await env.service.approve(queued.item.id, tmdb_id=841)).status == "ingested"


async def test_a_library_section_that_cannot_be_read_sends_files_to_review(env: Env) -> None:
    await env.plex.start(port=env.port)
    env.plex.faults.failing_sections = {1}
    (outcome,) = await env.service.ingest(env.drop("Heat.1995.mkv"))
    assert outcome.status == "review"
    assert outcome.item is not None
    assert outcome.item.reasons[-1] == LIBRARY_INCOMPLETE
    assert env.index.status == "incomplete"
    assert env.kinds() == ["review_required"]


async def test_a_file_filed_while_plex_failed_is_scanned_and_checked_later(env: Env) -> None:
    await env.plex.start(port=env.port)
    heat = env.drop("Heat.1995.mkv")
    await env.service.plan(heat)  # the library is read while Plex answers
    env.plex.faults.fail_next = 1000
    (filed,) = await env.service.ingest(heat)
    assert filed.status == "ingested"
    assert filed.item is not None
    assert filed.item.plex_status == PLEX_NOT_CHECKED
    assert env.service.catch_up is not None
    # Still failing: the run stops at the first file, which stays as it was.
    assert (await env.service.catch_up.run()).checked == 0
    assert env.store.get_item(filed.item.id) == filed.item
    env.plex.faults.fail_next = 0

    result = await env.service.catch_up.run()

    assert result.checked == 1
    item = env.store.get_item(filed.item.id)
    assert item is not None
    assert (item.status, item.plex_status, item.error) == (ItemStatus.INGESTED, PLEX_MATCHED, None)
    assert item.plex_rating_key is not None
    assert env.scans() == [str(env.movies / HEAT[0])]
    assert env.kinds() == ["ingested", "plex_checked"]


async def test_a_second_call_while_running_makes_one_more_round(env: Env) -> None:
    await env.service.ingest(env.drop("Heat.1995.mkv"))  # held
    await _plex_back(env)
    catch_up = env.service.catch_up
    assert catch_up is not None
    env.plex.faults.latency = 0.05  # the held file takes a while
    first = asyncio.create_task(catch_up.run())
    await until(lambda: catch_up.running, timeout=5, interval=0.001)
    assert (await catch_up.run()).resumed == 0  # returns at once
    assert (await first).resumed == 1
    assert (catch_up.running, catch_up.rounds) == (
        False,
        2,
    )  # the first, and one more for the second call


async def test_a_held_file_asked_for_twice_at_once_is_filed_once(env: Env) -> None:
    """The catch-up and an ingest action on the same held file, at the same moment."""
    heat = env.drop("Heat.1995.mkv")
    await env.service.ingest(heat)
    await _plex_back(env)
    env.plex.faults.latency = 0.02
    assert env.service.catch_up is not None
    result, (outcome,) = await asyncio.gather(env.service.catch_up.run(), env.service.ingest(heat))
    assert result.given_up == 0
    assert outcome.status in {"ingested", "already_handled"}
    assert [item.status for item in env.store.history()] == [ItemStatus.INGESTED]
    assert env.kinds() == ["ingested"]
    assert env.scans() == [str(env.movies / HEAT[0])]
