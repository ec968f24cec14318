"""Path components safe on every file system a Plex library lives on: `sanitise` and its helpers.

Pure functions, no I/O. A component is made safe on ext4, NTFS and SMB, exFAT and APFS: no
forbidden or control characters, no Windows device names, NFC, at most 255 bytes of UTF-8.
"""

from __future__ import annotations

import re
from typing import Final
import unicodedata

MAX_COMPONENT_BYTES: Final = 255

_WHITESPACE_CONTROL = re.compile(r"[\t\n\v\f\r]")
_CONTROL_OR_SURROGATE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_TRAILING_COLON = re.compile(r"\s*:+\s*$")
_SPACED_COLON = re.compile(r"\s*:+\s+")
_REPLACEMENTS = str.maketrans({":": "-", "/": "-", "\\": "-", "|": "-", '"': "'"}) | {
    ord(char): None for char in "<>?*"
}
_WHITESPACE = re.compile(r"\s+")
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")
# Windows device names: reserved as a whole name and before any extension, in any case.
_RESERVED: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{digit}" for device in ("COM", "LPT") for digit in "0123456789¹²³"}
)


def sanitise(component: str, *, keep_suffix: str = "", max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """One path component that is safe on ext4, NTFS/SMB, exFAT and APFS, never empty.

    Unicode is normalised to NFC. `: ` becomes ` - ` ("Mission: Impossible" -> "Mission -
    Impossible"), other colons, slashes, backslashes and pipes become `-`, double quotes become
    `'`, and `< > ? *` are removed. Tabs and line breaks become spaces, other control characters
    are dropped, runs of whitespace become one space. Leading spaces and dots (hidden files) and
    trailing spaces and dots go. A Windows device name (`CON`, `nul.mkv`, `COM1`) gets `_` after
    its stem. The result is at most `max_bytes` bytes of UTF-8, cut between characters.

    `keep_suffix` is the end of `component` (an extension, ` {tmdb-603}`) that survives the cut
    intact: what precedes it is shortened instead. It must leave room for one byte of name.
    """
    if keep_suffix and not component.endswith(keep_suffix):
        raise ValueError("keep_suffix must be the end of the component")
    head = clean_text(component[: len(component) - len(keep_suffix)]).lstrip(" .")
    tail = clean_text(keep_suffix).rstrip(" .")
    budget = max_bytes - len(tail.encode())
    if budget < 1:
        raise ValueError("keep_suffix leaves no room for the name")
    while True:
        name = strip_before(truncate_utf8(head, budget), tail) or "_"
        name = _unreserve(name, tail)
        if len(name.encode()) + len(tail.encode()) <= max_bytes:
            return name + tail
        budget -= 1  # the "_" that `_unreserve` added did not fit: cut one more byte


def clean_text(text: str) -> str:
    """`text` with forbidden characters replaced, NFC, single spaces; not stripped or cut."""
    text = _CONTROL_OR_SURROGATE.sub("", _WHITESPACE_CONTROL.sub(" ", text))
    text = _TRAILING_COLON.sub("", unicodedata.normalize("NFC", text))
    text = _SPACED_COLON.sub(" - ", text).translate(_REPLACEMENTS)
    # Removing a character can bring a base letter and a combining mark together: compose again.
    return unicodedata.normalize("NFC", _WHITESPACE.sub(" ", text))


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` of at most `max_bytes` bytes of UTF-8."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max(max_bytes, 0)].decode(errors="ignore")


def strip_before(name: str, tail: str) -> str:
    """`name` without the spaces and dots that would end the component or precede `tail`."""
    if not tail or tail.startswith("."):
        return name.rstrip(" .")
    if tail.startswith(" "):
        return name.rstrip(" ")
    return name


def _unreserve(name: str, tail: str) -> str:
    """`name` with `_` after its stem when `name + tail` is a Windows device name."""
    stem = (name + tail).split(".", 1)[0].rstrip(" ")
    if stem.upper() not in _RESERVED:
        return name
    at = min(len(stem), len(name))
    return f"{name[:at]}_{name[at:]}"


def file_extension(extension: str) -> str:
    """The extension as `.ext` in lower case, from `ext`, `.EXT` and the like."""
    value = extension.strip().lower().removeprefix(".")
    if not _EXTENSION.fullmatch(value):
        raise ValueError(f"not a file extension: {extension!r}")
    return f".{value}"
