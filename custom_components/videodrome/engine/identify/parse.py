"""File names to `ParsedName`: guessit, plus fixes for its known traps, ID hints and flags.

`parse()` is blocking work (guessit takes milliseconds per name, and much longer on
pathological input): call it in an executor job, never on the event loop. It never raises for
bad input; it returns a `ParsedName` of kind `unknown` whose `reasons` say why. The pieces:
path_parts.py (what of the path counts), interpret.py (guessit's answer to a ParsedName),
parsed_name.py (the records).

Where guessit runs. The caller passes the guessit process to read in (`guessit`, a lane of the
program's `GuessitProcesses`): there a name is cut off after `PARSE_TIME_LIMIT` seconds by
killing the child (`parse_timeout`), the only place a time limit can be enforced safely.
Without one, or when it cannot answer (it will not start, it died, it is closed), the name is
read in the calling thread, with no time limit: nothing interrupts a thread of this process.

That fallback was kept after measuring guessit in this process (`bench/parse_time.py`, a
2-core machine under load; Python 3.14, guessit 4.4.0):
- the 7,057 distinct names and paths of ../shared/corpora/ALL_filename_cases.tsv: median
  9.9 ms, p99 37 ms, p99.9 95 ms, the slowest 167 ms;
- 6,000 names of the fuzz strategies (tests/reliability/strategies.py, `names` and
  `release_names`, with and without a root): p99 28 ms, the slowest 538 ms;
- the worst shapes found (runs of episode markers, SxxExx, years, dates) at the filesystem's
  limits, two folders and a file name of 255 bytes each: at most 1.3 s, under the child's
  limit, so those get the answer the child would give; one name of 255 bytes: 0.21 s;
- past those limits guessit's time grows about with the square of the length: a 962-character
  path with a 719-character folder took 5.9 s, 1,715 characters 10.5 s, 3,215 characters 66 s.
No file on disk and no provider request (each part at most 255 characters) can be that long,
but a service call's free text can: a name with a part over `MAX_NAME_BYTES` is therefore not
read in this process (`parse_timeout`, what the child would most likely have answered). So a
name guessit chokes on is slow here, at worst about a second, never dangerous.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
import logging
from pathlib import PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any

from .errors import GuessProcessError, GuessTimeoutError
from .filters import PARTIAL_EXTENSIONS, VIDEO_EXTENSIONS
from .guessit_worker import plain_guess
from .interpret import interpret
from .parsed_name import Kind, ParsedName
from .path_parts import (
    as_text,
    edition_tag,
    fits_on_disk,
    id_hints,
    relevant_part,
    strip_hints,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .guessit_process import GuessProcess

_LOGGER = logging.getLogger(__name__)

# guessit is pure Python; 2 s is a hundred times its usual time, and bounds a hang.
PARSE_TIME_LIMIT = 2.0


def parse(
    path: str | bytes | PurePath,
    root: str | PurePath | None = None,
    *,
    guessit: GuessProcess | None = None,
) -> ParsedName:
    """Parse a file's path (relative to `root`, the ingest folder, when given). Blocking.

    guessit runs in the process `guessit` (the metadata provider's names in a lane of their
    own); without one, in this thread.
    """
    text, reasons = as_text(path)
    if reasons:
        return ParsedName(path=text, kind=Kind.UNKNOWN, video=False, reasons=reasons)
    relative = relevant_part(PurePosixPath(text.replace("\\", "/")), root)
    return _parse_cached(text, str(relative), guessit)


# The same file is parsed again within minutes (plan then ingest, a review re-identified), not
# hours: a few hundred recent names are enough, and each cached result is a handful of objects
# the garbage collector scans at every full collection.
@lru_cache(maxsize=512)
def _parse_cached(text: str, relative: str, guessit: GuessProcess | None) -> ParsedName:
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
        guess = _guess(cleaned, guessit)
    except GuessTimeoutError:
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


def _guess(cleaned: str, guessit: GuessProcess | None) -> dict[str, Any]:
    """Guessit's reading of `cleaned`, in `guessit`'s process (this one if that cannot answer).

    Raises GuessTimeoutError past the time limit, or for a name too long to read here.
    """
    if guessit is not None:
        try:
            return guessit.guess(cleaned, PARSE_TIME_LIMIT)
        except GuessProcessError as err:
            _LOGGER.debug("Reading %r in this process: %s", cleaned, err)
    if not fits_on_disk(cleaned):
        raise GuessTimeoutError("a part longer than a file name: not read in this process")
    return plain_guess(_guessit(cleaned))


def _guessit(name: str) -> Mapping[str, Any]:
    """Guessit in this process (imported on first use: while its process answers, never)."""
    from guessit import guessit  # noqa: PLC0415

    answer: Mapping[str, Any] = guessit(name)
    return answer
