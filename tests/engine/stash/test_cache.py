"""The cache of Stash's answers: lifetime, off at 0, bounded by entries and by bytes."""

from __future__ import annotations

import pytest

from custom_components.videodrome.engine.stash.cache import AnswerCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_answers_expire_after_their_lifetime() -> None:
    clock = Clock()
    cache = AnswerCache(10, clock=clock)
    cache.put("a", b"answer")
    clock.now = 9.9
    assert cache.get("a") == b"answer"
    clock.now = 10.0
    assert cache.get("a") is None
    assert (len(cache), cache.size) == (0, 0)
    assert cache.get("never") is None


def test_a_lifetime_of_0_keeps_nothing() -> None:
    cache = AnswerCache(0)
    cache.put("a", b"answer")
    assert not cache.enabled
    assert cache.get("a") is None
    assert len(cache) == 0


def test_bounded_by_entries_the_least_recently_used_go_first() -> None:
    cache = AnswerCache(60, max_entries=2)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # b is now the least recently used
    cache.put("c", b"3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1", None, b"3")


def test_bounded_by_bytes() -> None:
    cache = AnswerCache(60, max_bytes=100)
    cache.put("big", b"x" * 26)  # over a quarter of the budget: not kept
    assert cache.get("big") is None
    for n in range(5):
        cache.put(n, b"y" * 25)
    assert cache.size == 100
    assert cache.get(0) is None
    assert len(cache) == 4
    cache.put(1, b"z")  # replacing an entry frees what it held
    assert cache.size == 76
    cache.clear()
    assert (len(cache), cache.size) == (0, 0)


@pytest.mark.parametrize("arguments", [{"ttl": -1}, {"max_entries": 0}, {"max_bytes": 0}])
def test_impossible_bounds(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="cache lifetime"):
        AnswerCache(**arguments)  # type: ignore[arg-type]
