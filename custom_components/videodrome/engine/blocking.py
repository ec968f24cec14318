"""How the engine runs blocking work (guessit, disk, SQLite) off the event loop.

Every engine class takes a `run_blocking` callable; Home Assistant passes its executor
(`hass.async_add_executor_job`), anything else gets the loop's default executor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

type BlockingRunner = Callable[[Callable[[], Any]], Awaitable[Any]]


async def run_in_default_executor(job: Callable[[], Any]) -> Any:
    """Run `job` in the running loop's default executor."""
    return await asyncio.get_running_loop().run_in_executor(None, job)
