"""guessit in a process of its own: one JSON line in (a name), one JSON line out (its reading).

`guessit_process.GuessProcess` runs this file as a script (`python -P guessit_worker.py`), so
it imports nothing of Videodrome or Home Assistant: the standard library and guessit only. It
answers `{"ready": true}` once guessit has built its rules, then for each request
`{"name": "..."}` either `{"guess": {...}}` (what `plain_guess` keeps) or `{"error": "..."}`
when guessit itself failed. It ends when its input ends, so it never outlives its parent.

Why a process: guessit builds tens of thousands of short-lived objects for every name it reads.
Run in Home Assistant's process (even in an executor thread) they drive the garbage collector:
every young collection that catches a name half-read moves what it holds to the oldest
generation, and once that has grown by a quarter Python runs a full collection, which stops
every thread, the event loop's included, for as long as it takes to scan Home Assistant's whole
heap (about 100 ms on a 2-core machine). Here the churn stays out of that heap, and the work
runs beside the event loop instead of taking turns with it for the GIL.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

# What `interpret()` reads of guessit's answer; the rest (codecs, container, mimetype...) is
# never used and is not sent.
KEYS = frozenset(
    {
        "absolute_episode",
        "alternative_title",
        "cd",
        "country",
        "date",
        "edition",
        "episode",
        "episode_title",
        "other",
        "part",
        "release_group",
        "screen_size",
        "season",
        "source",
        "title",
        "type",
        "year",
    }
)
WARM_UP = "Warm.Up.2000.1080p.BluRay.x264-GRP.mkv"


def plain_guess(guess: Mapping[str, Any]) -> dict[str, Any]:
    """Guessit's answer as JSON values: dates as ISO text, a country as its two letters."""
    return {key: _plain(value) for key, value in guess.items() if key in KEYS}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    alpha2 = getattr(value, "alpha2", None)  # babelfish's Country
    return str(alpha2 if alpha2 is not None else value)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer each request line with one line, until `requests` ends."""
    from guessit import guessit  # noqa: PLC0415 (the parent imports this file without it)

    guessit(WARM_UP)  # guessit builds its rules on the first call: before saying ready
    _send(answers, {"ready": True})
    for line in requests:
        try:
            name = json.loads(line)["name"]
            answer: dict[str, Any] = {"guess": plain_guess(guessit(name))}
        except Exception as err:  # noqa: BLE001 (guessit's own bugs are an answer too)
            answer = {"error": f"{type(err).__name__}: {err}"}
        _send(answers, answer)


def _send(answers: IO[bytes], answer: dict[str, Any]) -> None:
    answers.write(json.dumps(answer).encode() + b"\n")
    answers.flush()


if __name__ == "__main__":  # pragma: no cover - run as a child; `serve` is tested in-process
    serve(sys.stdin.buffer, sys.stdout.buffer)
