"""An answer without absolute paths, for someone who may not see where files live.

A path inside one of the `roots` (the configured folders: ingest folders, library roots,
Plex's library folders) becomes its name relative to the innermost such root ("Dune
(2021)/Dune (2021).mkv"); the root itself becomes its own name ("Movies"). Any other
absolute path becomes its last component. Absolute paths inside longer text (an error
message) are shortened the same way. A TMDb `poster_path` ("/abc.jpg") names an image on
TMDb's server, not a file here, and is kept.

Pure: no file is read; the caller gives the roots (their resolved forms too, when links
may differ).
"""

from __future__ import annotations

from functools import lru_cache, partial
import re
from typing import TYPE_CHECKING, Any, Final

from .tmdb.posters import poster_url

if TYPE_CHECKING:
    from collections.abc import Iterable

# Keys whose value, in TMDb's one-segment form, is an image name on TMDb's server.
TMDB_IMAGE_KEYS: Final = frozenset({"poster_path"})
# Where a path may start inside text: at the start, after a space, a quote, an opening
# bracket, "=", ",", ";" or ":" (not "://", a URL's), never after a letter or ")": "a/b" and
# "Dune (2021)/x" are relative.
_STARTS: Final = r"""(?:(?<![^\s'"`(\[{<=,;])|(?<=:)(?!//))"""
# What a path in text is made of: up to a space, a quote, "<", ">", "|", "," or ";".
_PATH_CHARS: Final = r"""[^\s'"`<>|,;]"""
_ABSOLUTE: Final = re.compile(r"^(?:/|\\\\|[A-Za-z]:[\\/])")
_EMBEDDED: Final = re.compile(rf"{_STARTS}(?:/|\\\\|[A-Za-z]:[\\/]){_PATH_CHARS}+")


def is_absolute(text: str) -> bool:
    """Whether `text` starts like an absolute path: POSIX, Windows drive, or UNC."""
    return _ABSOLUTE.match(text) is not None


def _normal(path: str) -> str:
    return path.replace("\\", "/")


def _name(path: str) -> str:
    """The last component ("" for a bare root such as "/" or "C:/")."""
    name = _normal(path).rstrip("/").rsplit("/", 1)[-1]
    return "" if re.fullmatch(r"[A-Za-z]:", name) else name


def _bases(roots: Iterable[str]) -> list[str]:
    """The usable roots, normalised, longest first; a bare "/" or drive would say nothing."""
    bases = {_normal(root).rstrip("/") for root in roots if is_absolute(root)}
    return sorted((b for b in bases if _name(b)), key=len, reverse=True)


@lru_cache(maxsize=256)
def _root_pattern(base: str) -> re.Pattern[str]:
    """`base` where a path may start, then a separator or the end of the path.

    Either separator may join its parts (Plex on Windows writes backslashes).
    """
    parts = r"[/\\]".join(re.escape(part) for part in base.split("/"))
    return re.compile(
        rf"{_STARTS}{parts}(?:(?P<inside>[/\\])(?={_PATH_CHARS})|[/\\]?(?!{_PATH_CHARS}))"
    )


def _rest(name: str, found: re.Match[str]) -> str:
    """A root found in text: gone before a relative rest, else (the root itself) its name."""
    return "" if found["inside"] else name


def _shortened(text: str, bases: list[str]) -> str:
    """`text` with every absolute path in it shortened: relative to a root, else its name."""
    for base in bases:
        name = _name(base)
        text = _root_pattern(base).sub(partial(_rest, name), text)
    return _EMBEDDED.sub(lambda m: _name(m[0]), text)


def _redact(value: Any, bases: list[str], key: object = None) -> Any:
    if isinstance(value, str):
        if key in TMDB_IMAGE_KEYS and poster_url(value) is not None:
            return value
        return _shortened(value, bases) if "/" in value or "\\" in value else value
    if isinstance(value, dict):
        return {k: _redact(v, bases, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        redacted = [_redact(v, bases, key) for v in value]
        return type(value)(redacted) if isinstance(value, tuple) else redacted
    return value


def redact_paths[T](answer: T, roots: Iterable[str]) -> T:
    """`answer` (JSON-like: dicts, lists, tuples, strings, numbers) without absolute paths.

    A new value; `answer` is left as it is.
    """
    redacted: T = _redact(answer, _bases(roots))
    return redacted
