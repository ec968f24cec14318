"""The same file ingested at once by the `videodrome.ingest` service and by the watcher.

Not a timing lottery: both callers plan the file, then wait at a gate (an `asyncio.Barrier`
around the pipeline's real `plan`) until the other has planned it too, so both reach the
ingest service's hand-over with the same file at the same moment; both arrival orders run.
The file must be transferred once: one library file, one `ingested` row and one event, the
service's answer `ingested` or `already_handled` (then the watcher transferred it), the
source untouched.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time
from typing import TYPE_CHECKING, Any

import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.runtime.watcher import (
    CONF_AUTO_INGEST,
    CONF_NETWORK_SHARE,
    CONF_RESCAN_INTERVAL,
    CONF_STABILITY,
)
from tests.polling import until

pytestmark = pytest.mark.usefixtures("ha_integration")

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.videodrome.engine.ingest.plan import PlannedFile

STABILITY = 10
NAME = "Titanic.1997.1080p.BluRay.x264-GRP.mkv"


class Gate:
    """Lets callers of `plan` through only in pairs; counts who arrived."""

    def __init__(self) -> None:
        self.barrier = asyncio.Barrier(2)
        self.arrived = 0

    def wrap(self, plan: Callable[[Path], Any]) -> Callable[[Path], Any]:
        async def gated(path: Path) -> list[PlannedFile]:
            planned: list[PlannedFile] = await plan(path)
            self.arrived += 1
            await self.barrier.wait()
            return planned

        return gated


async def _step(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move Home Assistant's clock on (the watcher's checks, Plex's scan polling; 0: not at
    all) and give executor jobs a moment of real time."""
    if seconds:
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
    await hass.async_add_executor_job(time.sleep, 0.01)


def _rounds(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: float
) -> Callable[[], Awaitable[None]]:
    """`until`'s step between two reads: the clock moved on `clock` seconds."""
    return lambda: _step(hass, freezer, clock)


@pytest.mark.parametrize("first", ["service", "watcher"])
async def test_the_service_and_the_watcher_at_once_transfer_once(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    first: str,
) -> None:
    source = tmp_path / "ingest" / NAME
    source.write_bytes(b"titanic " * 1000)
    before = source.stat()
    entry = make_ingest_entry(
        **{CONF_STABILITY: STABILITY, CONF_AUTO_INGEST: True, CONF_NETWORK_SHARE: True,
           CONF_RESCAN_INTERVAL: 60},
    )  # fmt: skip
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    ingested = async_capture_events(hass, f"{DOMAIN}_ingested")
    pipeline = entry.runtime_data.ingest.service.pipeline
    gate = Gate()
    monkeypatch.setattr(pipeline, "plan", gate.wrap(pipeline.plan))

    async def call() -> Any:
        return await hass.services.async_call(
            DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
        )

    # The watcher's first scan saw the file; once stable for the window, its worker plans it.
    # The loop's clock is frozen: `until` moves it on a second a round (`held`: not at all).
    held, moving = _rounds(hass, freezer, 0), _rounds(hass, freezer, 1)
    if first == "service":
        service = asyncio.get_running_loop().create_task(call())
        # The clock stands still meanwhile, so the watcher cannot be ready before the service.
        await until(lambda: gate.arrived == 1, between=held, interval=0, timeout=30)
        await until(lambda: gate.arrived == 2, between=moving, interval=0, timeout=30)
    else:
        await until(lambda: gate.arrived == 1, between=moving, interval=0, timeout=30)
        service = asyncio.get_running_loop().create_task(call())
        await until(lambda: gate.arrived == 2, between=moving, interval=0, timeout=30)
    await until(service.done, between=moving, interval=0, timeout=30)
    (result,) = service.result()["results"]
    watcher = entry.runtime_data.watcher
    assert watcher is not None
    await until(
        lambda: watcher.queue.qsize() == 0 and watcher.queue._unfinished_tasks == 0,
        between=moving,
        interval=0,
        timeout=30,
    )
    await hass.async_block_till_done()

    # Which of the two, released together, takes the service's lock first is the event
    # loop's business; exactly one of them transfers, and the other is told so.
    assert result["status"] in {"ingested", "already_handled"}, result
    history: Any = await hass.services.async_call(
        DOMAIN, "history", {}, blocking=True, return_response=True
    )
    assert history is not None
    assert [item["status"] for item in history["items"]] == ["ingested"]
    assert len(ingested) == 1
    library = [
        p
        for p in (media_root / "Movies").rglob("*")
        if p.is_file() and p.stat().st_ino == before.st_ino
    ]
    assert len(library) == 1, library
    after = source.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert source.read_bytes() == b"titanic " * 1000
