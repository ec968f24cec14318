"""Steps for tests that freeze Home Assistant's clock: one place for "wait a moment of real
time" and "move the frozen clock on".

With freezegun holding the loop's clock still, `asyncio.sleep` on the loop never ends, while
the work a test waits for (executor jobs, guessit's child, the emulators) needs real time. So
a real pause is a sleep in an executor thread; moving time on is the freezer's tick followed
by Home Assistant's time-changed event, so the timers that fell due run. Both make a
`between` step for `tests.polling.until`:

    await until(probe, check, interval=0, between=in_real_time(hass))
    await until(probe, check, interval=0, between=second_by_second(hass, freezer))
"""

from __future__ import annotations

from datetime import timedelta
import time
from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.common import async_fire_time_changed

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

__all__ = ["advance", "in_real_time", "real_pause", "second_by_second"]


async def real_pause(hass: HomeAssistant, seconds: float) -> None:
    """Wait `seconds` of real time while the loop's clock is frozen (an executor sleep)."""
    await hass.async_add_executor_job(time.sleep, seconds)


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    *,
    step: float = 5.0,
    pause: float = 0.05,
) -> None:
    """Move the frozen clock on by `seconds`, in steps of at most `step` (the watcher's 5 s
    check sees each), firing what falls due after each; then give executor jobs and threads
    (inotify events cross from watchdog's) `pause` s of real time and let Home Assistant
    finish what that started."""
    remaining = seconds
    while remaining > 0:
        freezer.tick(timedelta(seconds=min(step, remaining)))
        remaining -= step
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    await real_pause(hass, pause)
    await hass.async_block_till_done()


def in_real_time(hass: HomeAssistant, pause: float = 0.01) -> Callable[[], Awaitable[None]]:
    """A step that waits `pause` s of real time and lets Home Assistant finish its work."""

    async def step() -> None:
        await real_pause(hass, pause)
        await hass.async_block_till_done()

    return step


def second_by_second(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pause: float = 0.01, seconds: float = 1
) -> Callable[[], Awaitable[None]]:
    """A step that moves the frozen clock on `seconds` (one by default) at a time."""

    async def step() -> None:
        await advance(hass, freezer, seconds, pause=pause)

    return step
