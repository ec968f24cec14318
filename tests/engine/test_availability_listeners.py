"""Availability tells its listeners when a service stops answering and when it is back."""

from __future__ import annotations

from custom_components.videodrome.engine.availability import Availability
from custom_components.videodrome.engine.errors import ServiceAnswerError, ServiceError


def test_listeners_hear_each_transition_once() -> None:
    now = [1_000.0]
    tracker = Availability("Plex", "Home", clock=lambda: now[0])
    heard: list[bool] = []
    tracker.listeners.append(heard.append)

    tracker.succeeded()  # already answering: nothing to tell
    tracker.report(ServiceAnswerError("refused"))  # an answer, not an outage
    assert heard == []
    tracker.failed(ServiceError("unreachable"))
    now[0] += 5
    tracker.failed(ServiceError("still unreachable"))
    assert heard == [False]
    tracker.succeeded()
    tracker.succeeded()
    assert heard == [False, True]
    # A listener may go while being told (it is told from a copy of the list).
    tracker.listeners.append(lambda _up: tracker.listeners.clear())
    tracker.failed(ServiceError("again"))
    assert heard == [False, True, False]
    assert tracker.listeners == []
