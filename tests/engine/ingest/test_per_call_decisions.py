"""One call deciding with its own confidence threshold, or with automatic filing off.

Real files in an ingest folder and the TMDb emulator on loopback; no Plex (nothing to check).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.identify.score import BELOW_AUTO_THRESHOLD, Thresholds
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import AUTO_INGEST_OFF, Action, Settings
from custom_components.videodrome.engine.ingest.service import IngestService
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    import aiohttp

    from tests.emulators.tmdb import TMDbEmulator

SURE = "Titanic.1997.1080p.mkv"  # 0.99 with the demo catalogue
NO_YEAR = "Avatar.mkv"  # 0.87: automatic at the default 0.85, not at 0.95


@pytest.fixture
async def service(
    tmp_path: Path, tmdb_emulator: TMDbEmulator, session: aiohttp.ClientSession
) -> AsyncIterator[IngestService]:
    """An ingest service deciding at the default 0.85, both files in its ingest folder."""
    for name in ("ingest", "movies", "tv"):
        (tmp_path / name).mkdir()
    for name in (SURE, NO_YEAR):
        (tmp_path / "ingest" / name).write_bytes(b"video")
    store = Store(tmp_path / "videodrome.db")
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url, store=store)
    identifier = Identifier(tmdb)
    settings = Settings((tmp_path / "ingest",), tmp_path / "movies", tmp_path / "tv")

    async def run_blocking(job: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, job)

    pipeline = Pipeline(identifier, settings, run_blocking=run_blocking)
    try:
        yield IngestService(store, pipeline, identifier, tmdb, None, run_blocking=run_blocking)
    finally:
        store.close()


def _actions(planned: list[Any]) -> dict[str, tuple[Action, tuple[str, ...]]]:
    return {p.source.path.name: (p.action, p.reasons) for p in planned}


async def test_a_stricter_threshold_holds_back_the_file_without_a_year(
    service: IngestService, tmp_path: Path
) -> None:
    ingest = tmp_path / "ingest"
    assert _actions(await service.plan(ingest)) == {
        SURE: (Action.TRANSFER, ()),
        NO_YEAR: (Action.TRANSFER, ()),
    }
    strict = await service.plan(ingest, thresholds=Thresholds.for_auto(0.95))
    assert _actions(strict) == {
        SURE: (Action.TRANSFER, ()),
        NO_YEAR: (Action.REVIEW, (BELOW_AUTO_THRESHOLD,)),
    }
    # The call's threshold was the call's: the service decides as before afterwards.
    assert service.pipeline.identifier.thresholds == Thresholds()
    assert _actions(await service.plan(ingest))[NO_YEAR][0] is Action.TRANSFER


async def test_ingest_files_what_the_call_s_threshold_makes_sure(
    service: IngestService, tmp_path: Path
) -> None:
    outcomes = await service.ingest(tmp_path / "ingest", thresholds=Thresholds.for_auto(0.95))
    statuses = {o.planned.source.path.name: o.status for o in outcomes}
    assert statuses == {SURE: ItemStatus.INGESTED, NO_YEAR: ItemStatus.REVIEW}
    assert (tmp_path / "movies" / "Titanic (1997) {tmdb-597}").is_dir()
    assert not any(p.name.startswith("Avatar") for p in (tmp_path / "movies").iterdir())


async def test_with_automatic_filing_off_everything_waits_and_says_why(
    service: IngestService, tmp_path: Path
) -> None:
    planned = await service.plan(tmp_path / "ingest", auto=False)
    assert {a for a, _ in _actions(planned).values()} == {Action.REVIEW}
    assert all(AUTO_INGEST_OFF in reasons for _, reasons in _actions(planned).values())
    dry = await service.ingest(tmp_path / "ingest", dry_run=True, auto=False)
    assert [o.status for o in dry] == ["planned", "planned"]
    assert {o.planned.action for o in dry} == {Action.REVIEW}
    assert list((tmp_path / "movies").iterdir()) == []


def test_thresholds_for_an_automatic_decision() -> None:
    assert Thresholds.for_auto(0.95) == Thresholds(auto=0.95, review=0.70)
    assert Thresholds.for_auto(0.5) == Thresholds(auto=0.5, review=0.5)
