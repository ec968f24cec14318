"""File names to `ParsedName`: guessit, plus fixes for its known traps, ID hints and flags.

`parse()` is blocking work (guessit takes milliseconds per name, and much longer on
pathological input): call it in an executor job, never on the event loop. guessit itself runs
in a process of its own (`guessit_process`), which this thread waits for. It never raises for
bad input; it returns a `ParsedName` of kind `unknown` whose `reasons` say why. The pieces:
path_parts.py (what of the path counts), interpret.py (guessit's answer to a ParsedName),
parsed_name.py (the records).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
import logging
import os
from pathlib import PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any

from ..deadline import Deadline, DeadlineExceeded
from . import guessit_process as guess_process
from .errors import GuessProcessError
from .filters import PARTIAL_EXTENSIONS, VIDEO_EXTENSIONS
from .guessit_worker import plain_guess
from .interpret import interpret
from .parsed_name import Kind, ParsedName
from .path_parts import as_text, edition_tag, id_hints, relevant_part, strip_hints

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOGGER = logging.getLogger(__name__)

# guessit is pure Python; 2 s is a hundred times its usual time, and bounds a hang.
PARSE_TIME_LIMIT = 2.0
# guessit runs in a process of its own (see guessit_worker.py); off: in the calling thread.
GUESSIT_PROCESS = os.environ.get("VIDEODROME_GUESSIT_PROCESS", "1") != "0"


def parse(
    path: str | bytes | PurePath,
    root: str | PurePath | None = None,
    *,
    lane: guess_process.Lane = "ingest",
) -> ParsedName:
    """Parse a file's path (relative to `root`, the ingest folder, when given). Blocking.

    guessit runs in `lane`'s process: the metadata provider's names in a process of their own.
    """
    text, reasons = as_text(path)
    if reasons:
        return ParsedName(path=text, kind=Kind.UNKNOWN, video=False, reasons=reasons)
    relative = relevant_part(PurePosixPath(text.replace("\\", "/")), root)
    return _parse_cached(text, str(relative), lane)


# The same file is parsed again within minutes (plan then ingest, a review re-identified), not
# hours: a few hundred recent names are enough, and each cached result is a handful of objects
# the garbage collector scans at every full collection.
@lru_cache(maxsize=512)
def _parse_cached(text: str, relative: str, lane: guess_process.Lane) -> ParsedName:
    name = PurePosixPath(relative).name
    suffix = PurePosixPath(name).suffix.lower()
    partial = suffix in PARTIAL_EXTENSIONS
    extension = PurePosixPath(PurePosixPath(name).stem).suffix.lower() if partial else suffix
    video = extension in VIDEO_EXTENSIONS
    ids = id_hints(relative)
    cleaned = strip_hints(relative)
    if partial:
        cleaned = cleaned[: -len(suffix)]
    try:
        guess = _guess(cleaned, lane)
    except DeadlineExceeded:
        return ParsedName(
            path=text, kind=Kind.UNKNOWN, ids=ids, extension=extension, partial=partial,
            video=video, reasons=("parse_timeout",),
        )  # fmt: skip
    except Exception:  # noqa: BLE001 (guessit's own bugs must not stop an ingest)
        return ParsedName(
            path=text, kind=Kind.UNKNOWN, ids=ids, extension=extension, partial=partial,
            video=video, reasons=("parse_failed",),
        )  # fmt: skip
    parsed = interpret(
        text, cleaned, guess, ids=ids, extension=extension, partial=partial, video=video
    )
    edition = edition_tag(name)
    return replace(parsed, edition=edition) if edition else parsed


def _guess(cleaned: str, lane: guess_process.Lane) -> dict[str, Any]:
    """Guessit's reading of `cleaned`, in `lane`'s process (this one if that cannot answer)."""
    if GUESSIT_PROCESS:
        try:
            return guess_process.shared(lane).guess(cleaned, PARSE_TIME_LIMIT)
        except GuessProcessError as err:
            _LOGGER.debug("Reading %r in this process: %s", cleaned, err)
    with Deadline(PARSE_TIME_LIMIT):
        return plain_guess(_guessit(cleaned))


def _guessit(name: str) -> Mapping[str, Any]:
    """Guessit in this process (imported on first use: while its process answers, never)."""
    from guessit import guessit  # noqa: PLC0415

    answer: Mapping[str, Any] = guessit(name)
    return answer
