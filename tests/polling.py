"""Wait for something that happens in the background: one polling helper for every test.

    await until(lambda: emulator.websocket_clients == 1)
    state = await until(lambda: hass.states.get(STATUS).state, lambda s: s == "idle")
    history = await until(lambda: _history(hass), _settled, between=step, interval=0)

`probe` is read (called, and awaited when it is a coroutine function) until its value passes
`check` (truthy, without one); `until` returns that value. Between two reads it sleeps
`interval` seconds and then awaits `between()` when given (Home Assistant's
`async_block_till_done`, or a step that moves a frozen clock on). After `timeout` seconds of
real time it fails with an `AssertionError` naming what it waited for and the last value read.

The deadline is kept on a clock that freezegun leaves alone (`CLOCK_MONOTONIC`), so it holds in
tests that freeze Home Assistant's clock. The loop's clock is frozen there as well, so a sleep
on the loop would never end: such tests pass `interval=0` and a `between` that waits real time
(a sleep in an executor job) and moves the frozen clock on.
"""

from __future__ import annotations

import asyncio
import inspect
import linecache
import time
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

__all__ = ["until"]

LONGEST_REPR = 300  # characters of the last value a failure quotes


def _real_time() -> float:
    """Seconds on the system's monotonic clock, which freezegun does not patch."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@overload
async def until[T](
    probe: Callable[[], Coroutine[Any, Any, T]],
    check: Callable[[T], object] | None = None,
    *,
    timeout: float = 10.0,
    interval: float = 0.01,
    message: str | None = None,
    between: Callable[[], Awaitable[object]] | None = None,
) -> T: ...


@overload
async def until[T](
    probe: Callable[[], T],
    check: Callable[[T], object] | None = None,
    *,
    timeout: float = 10.0,
    interval: float = 0.01,
    message: str | None = None,
    between: Callable[[], Awaitable[object]] | None = None,
) -> T: ...


async def until(
    probe: Callable[[], Any],
    check: Callable[[Any], object] | None = None,
    *,
    timeout: float = 10.0,
    interval: float = 0.01,
    message: str | None = None,
    between: Callable[[], Awaitable[object]] | None = None,
) -> Any:
    """Read `probe` until its value passes `check` (or is truthy); return that value."""
    deadline = _real_time() + timeout
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        passed = check(value) if check is not None else value
        if passed:
            return value
        if _real_time() >= deadline:
            waited = message or _describe(probe, check)
            raise AssertionError(
                f"waited {timeout:g} s for {waited}; the last value read: {_shorten(value)}"
            )
        await asyncio.sleep(interval)
        if between is not None:
            await between()


def _describe(probe: Callable[[], Any], check: Callable[[Any], object] | None) -> str:
    """What a call waited for: its functions' names, or the source of its lambdas."""
    described = _source(probe)
    if check is not None and (checked := _source(check)) != described:
        described = f"{described} to pass {checked}"
    return described


def _source(function: Callable[..., Any]) -> str:
    """A function's name; a lambda's own source, `lambda h: h["counts"] == 3`."""
    name: str = getattr(function, "__qualname__", repr(function))
    code = getattr(function, "__code__", None)
    if not name.endswith("<lambda>") or code is None:
        return name
    # The body's span in the file, from the positions of its instructions (the zero-width
    # ones belong to no expression); columns count UTF-8 bytes.
    spans = [
        (line, column, end_line, end_column)
        for line, end_line, column, end_column in code.co_positions()
        if line is not None
        and end_line is not None
        and column is not None
        and end_column is not None
        and (line, column) != (end_line, end_column)
    ]
    lines = linecache.getlines(code.co_filename)
    if not spans or not lines:  # a lambda made by exec() or typed at a prompt
        return name
    start = min((line, column) for line, column, _, _ in spans)
    end = max((end_line, end_column) for _, _, end_line, end_column in spans)
    source = "".join(lines[start[0] - 1 : end[0]]).encode()
    last_line_start = len("".join(lines[start[0] - 1 : end[0] - 1]).encode())
    body = source[start[1] : last_line_start + end[1]].decode()
    arguments = ", ".join(code.co_varnames[: code.co_argcount])
    head = f"lambda {arguments}" if arguments else "lambda"
    return f"{head}: {' '.join(body.split())}"


def _shorten(value: object) -> str:
    text = repr(value)
    return text if len(text) <= LONGEST_REPR else text[:LONGEST_REPR] + "…"
