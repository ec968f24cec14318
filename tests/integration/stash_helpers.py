"""Helpers of the Stash tests in this folder (tests/polling.py's `until` is not on main yet)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

STASH_KEY = "eyJhbGciOiJIUzI1NiJ9.stash-integration-key.c2VjcmV0"


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (on the running loop) until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.02)
