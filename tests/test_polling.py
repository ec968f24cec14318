"""The polling helper (tests/polling.py): what it returns, waits for, and says when it fails."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.polling import LONGEST_REPR, until


async def test_a_condition_already_true_is_read_once() -> None:
    reads: list[int] = []

    def probe() -> int:
        reads.append(1)
        return 7

    assert await until(probe) == 7
    assert reads == [1]


async def test_it_waits_for_a_change_made_in_the_background() -> None:
    seen: list[str] = []

    async def later() -> None:
        await asyncio.sleep(0.05)
        seen.append("done")

    task = asyncio.create_task(later())
    assert await until(lambda: seen) == ["done"]
    await task


async def test_a_check_decides_and_the_value_read_is_returned() -> None:
    values = iter(["scanning", "scanning", "idle"])
    state = await until(lambda: next(values), lambda s: s == "idle", interval=0)
    assert state == "idle"


async def test_a_coroutine_probe_is_awaited() -> None:
    history = {"items": [1]}
    calls: list[int] = []

    async def read() -> dict[str, list[int]]:
        calls.append(1)
        if len(calls) == 3:
            history["items"].append(2)
        return history

    got = await until(read, lambda h: len(h["items"]) == 2, interval=0)
    assert got == {"items": [1, 2]}
    assert len(calls) == 3


async def test_between_runs_after_every_unsuccessful_read() -> None:
    clock = [0]

    async def step() -> None:
        clock[0] += 1

    assert await until(lambda: clock[0], lambda t: t >= 4, interval=0, between=step) == 4
    assert clock == [4]


async def test_a_timeout_names_the_lambda_and_the_last_value_read() -> None:
    clients = 0
    started = time.perf_counter()
    with pytest.raises(AssertionError) as failure:
        await until(lambda: clients == 1, timeout=0.05)
    assert time.perf_counter() - started >= 0.05
    assert str(failure.value) == (
        "waited 0.05 s for lambda: clients == 1; the last value read: False"
    )


async def test_lambdas_spread_over_a_call_are_quoted_each() -> None:
    counts = {"ingested": 2}
    with pytest.raises(AssertionError) as failure:
        await until(
            lambda: counts,
            lambda c: sum(c.values()) == 3,
            timeout=0,
        )
    assert str(failure.value) == (
        "waited 0 s for lambda: counts to pass lambda c: sum(c.values()) == 3; "
        "the last value read: {'ingested': 2}"
    )


async def test_a_timeout_names_a_function_and_its_check() -> None:
    def sessions() -> list[str]:
        return ["one"]

    def two(value: list[str]) -> bool:
        return len(value) == 2

    with pytest.raises(AssertionError, match=r"for .*sessions to pass .*two; .*\['one'\]$"):
        await until(sessions, two, timeout=0)


async def test_a_message_says_what_was_waited_for() -> None:
    with pytest.raises(AssertionError, match=r"^waited 0 s for the index to load; .*: None$"):
        await until(lambda: None, timeout=0, message="the index to load")


async def test_a_long_last_value_is_shortened() -> None:
    with pytest.raises(AssertionError) as failure:
        await until(lambda: "x" * 1000, lambda _: False, timeout=0)
    quoted = str(failure.value).split("the last value read: ")[1]
    assert len(quoted) == LONGEST_REPR + 1
    assert quoted.endswith("…")


@pytest.mark.usefixtures("freezer")
async def test_the_deadline_is_real_time_while_the_clock_is_frozen() -> None:
    """freezegun stops time.monotonic and the loop's clock; the deadline still comes."""
    rounds = [0]

    async def step() -> None:
        rounds[0] += 1
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.01)

    frozen = time.monotonic()
    with pytest.raises(AssertionError, match=r"^waited 0\.1 s"):
        await until(lambda: False, timeout=0.1, interval=0, between=step)
    assert time.monotonic() == frozen
    assert 2 <= rounds[0] <= 11


async def test_a_lambda_without_a_source_file_is_named_by_its_name() -> None:
    made = eval("lambda: 0")  # noqa: S307 (a lambda whose source is in no file)
    with pytest.raises(AssertionError, match=r"^waited 0 s for <lambda>; .*: 0$"):
        await until(made, timeout=0)
