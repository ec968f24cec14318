"""How good a copy is: read from a release name, and from Plex's media info of a copy it holds.

A `Quality` has a resolution, a source, HDR, a codec and a revision (PROPER, REPACK, REAL).
Copies are ordered by `rank()`, a total order with ties, from the most important part down:

| order | part | values, worst to best |
| --- | --- | --- |
| 1 | resolution | unknown < 480p < 576p < 720p < 1080p < 2160p |
| 2 | source | unknown < CAM < TS < screener < DVD < HDTV < WEBRip < WEB-DL < Blu-ray < Remux |
| 3 | HDR | unknown or SDR < HDR (HDR10, HDR10+, Dolby Vision, HLG) |
| 4 | revision | 1 (none) < 2 (PROPER, REPACK, RERIP, v2) < 3 (REPACK2) ...; then REAL |

The codec, the bitrate and the container are kept and shown but never rank a copy: an x265
encode is not better than an x264 one of the same source. A full Blu-ray disc counts as a Remux.

`is_better(new, old)` is the decision the ingest takes ("file the new copy as a version?"):
the parts are compared in the table's order, and a part unknown on either side is passed
over, never guessed, so that a copy whose source Plex cannot tell is not "beaten" by a name
that merely says more. Equal on every part both know: not better.

Pure functions, no I/O; the names are read with regular expressions, not guessit, so that a
name's quality costs microseconds and is the same wherever it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import PurePath, PureWindowsPath
import re
from typing import Any, Final

_EDGE_L = r"(?<![a-z0-9])"
_EDGE_R = r"(?![a-z0-9])"


def _word(pattern: str) -> re.Pattern[str]:
    return re.compile(f"{_EDGE_L}(?:{pattern}){_EDGE_R}")


class Source(IntEnum):
    """Where a copy came from, worst to best (0: the name does not say)."""

    UNKNOWN = 0
    CAM = 1
    TELESYNC = 2
    SCREENER = 3
    DVD = 4
    HDTV = 5
    WEBRIP = 6
    WEBDL = 7
    BLURAY = 8
    REMUX = 9  # a Blu-ray's streams untouched (or the whole disc)

    @property
    def label(self) -> str:
        """How the documentation and the review card name it."""
        return _SOURCE_LABELS[self]


_SOURCE_LABELS: Final = {
    Source.UNKNOWN: "",
    Source.CAM: "CAM",
    Source.TELESYNC: "TS",
    Source.SCREENER: "Screener",
    Source.DVD: "DVD",
    Source.HDTV: "HDTV",
    Source.WEBRIP: "WEBRip",
    Source.WEBDL: "WEB-DL",
    Source.BLURAY: "Blu-ray",
    Source.REMUX: "Remux",
}

# Checked in this order: the first that matches names the source.
_SOURCES: Final[tuple[tuple[Source, re.Pattern[str]], ...]] = (
    (
        Source.REMUX,
        re.compile(r"remux|" + _EDGE_L + r"(?:bdiso|bd[ ._-]?(?:25|50|66|100))" + _EDGE_R),
    ),
    (Source.REMUX, re.compile(r"(?:complete|full)[ ._-]?blu[ ._-]?ray|untouched|\.iso\s*$")),
    (Source.CAM, _word(r"(?:hd|hq|new)?[ ._-]?cam(?:[ ._-]?rip)?")),
    (Source.TELESYNC, _word(r"ts[ ._-]?rip|telesynch?|hd[ ._-]?ts|pdvd")),
    (Source.SCREENER, _word(r"(?:dvd|bd|web)?[ ._-]?scr(?:eener)?")),
    (Source.WEBRIP, _word(r"web[ ._-]?rip|webmux|web[ ._-]?cap")),
    (
        Source.WEBDL,
        _word(r"web[ ._-]?dl|webhd|web|(?:amazon|netflix|itunes|maxdome|hbomax|disney)u?[hs]d"),
    ),
    (
        Source.BLURAY,
        re.compile(
            r"blu[ ._-]?ray|"
            + _EDGE_L
            + r"(?:(?:bd|br)[ ._-]?rip|bd(?:mux|light)|uhd2?bd|hd[ ._-]?dvd)|"
            r"(?<![a-z0-9])bd(?=\d{3,4}p|[^a-z0-9]|$)"
        ),
    ),
    (
        Source.HDTV,
        _word(r"hd[ ._-]?tv(?:rip)?|pdtv|sd[ ._-]?tv|dsr(?:ip)?|tv[ ._-]?rip|raw[ ._-]?hd"),
    ),
    (Source.DVD, re.compile(_EDGE_L + r"dvd(?:[ ._-]?rip|[ ._-]?r|5|9)?" + _EDGE_R + r"|xvidvd")),
)
_RESOLUTION = re.compile(
    r"(?<![0-9])(2160|1440|1080|960|720|576|540|480|360)[pi](?![a-z0-9])"
    r"|[0-9]{3,4}x(2160|1080|720|576|480)(?![0-9])"
)
# Resolutions between the tiers, counted in the tier below them.
_TIER: Final = {1440: 1080, 960: 720, 540: 480, 360: 480}
_FULL_HD = _word(r"fhd")
_UHD = _word(r"4k|uhd|ultra[ ._-]?hd")
_HDR = _word(r"hdr(?:10)?(?:\+|plus)?|dv|dovi|dolby[ ._-]?vision|hlg")
_REVISION = re.compile(
    _EDGE_L + r"(proper|repack|rerip)(\d?)" + _EDGE_R + r"|(?<![a-z])v([2-9])" + _EDGE_R
)
# Containers: a name's extension says nothing of its quality (`.ts` is not a telesync).
_EXTENSION = re.compile(r"\.(?:mkv|mp4|m4v|avi|ts|m2ts|mov|mpe?g|wmv|webm)\s*$")
_REAL = re.compile(r"(?<![A-Za-z0-9])REAL(?![A-Za-z0-9])")  # upper case only, as scene rules say
_CODECS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("hevc", _word(r"[xh][ .]?265|hevc")),
    ("h264", _word(r"[xh][ .]?264|avc")),
    ("av1", _word(r"av1")),
    ("vc1", _word(r"vc[ ._-]?1")),
    ("mpeg2video", _word(r"mpeg[ ._-]?2")),
    ("mpeg4", _word(r"xvid|divx|mpeg[ ._-]?4")),
)
# Plex's `videoResolution` values.
_PLEX_RESOLUTIONS: Final = {"4k": 2160, "2160": 2160, "1080": 1080, "720": 720, "576": 576}
_SD = 480


@dataclass(frozen=True, slots=True)
class Quality:
    """What is known of a copy's quality; None (or `Source.UNKNOWN`) where nothing says."""

    resolution: int | None = None
    source: Source = Source.UNKNOWN
    hdr: bool | None = None
    codec: str | None = None
    version: int = 1  # 2 for a PROPER or REPACK, 3 for a REPACK2 ...
    real: int = 0  # how many times the name says REAL
    bitrate: int | None = None  # kbit/s, from Plex's media info
    container: str | None = None

    def rank(self) -> tuple[int, int, int, int, int]:
        """The key of the total order (the module's table); ties are equally good."""
        return (
            self.resolution or 0,
            int(self.source),
            int(bool(self.hdr)),
            self.version,
            self.real,
        )

    @property
    def is_revision(self) -> bool:
        """Whether the name says PROPER, REPACK, RERIP or REAL."""
        return self.version > 1 or self.real > 0

    @property
    def known(self) -> bool:
        """Whether anything ranks this copy (a resolution or a source)."""
        return self.resolution is not None or self.source is not Source.UNKNOWN

    def label(self) -> str:
        """A short description: `2160p Remux HDR`, `720p HDTV Proper`, `1080p` ('' if unknown)."""
        parts = [f"{self.resolution}p" if self.resolution else "", self.source.label]
        if self.hdr:
            parts.append("HDR")
        if self.version > 1:
            parts.append("Proper" if self.version == 2 else f"Proper {self.version - 1}")  # noqa: PLR2004
        if self.real:
            parts.append("Real")
        return " ".join(part for part in parts if part)

    def as_json(self) -> dict[str, Any]:
        """The quality for service responses, events and the review card."""
        return {
            "label": self.label(),
            "resolution": self.resolution,
            "source": self.source.label or None,
            "hdr": self.hdr,
            "codec": self.codec,
            "revision": self.version,
            "real": self.real,
            "bitrate": self.bitrate,
            "container": self.container,
        }


def from_path(path: str) -> Quality:
    """The quality a file's path states: its name's, else its folder's (an obfuscated name).

    POSIX or Windows paths (Plex's own may be either).
    """
    pure = PureWindowsPath(path) if "\\" in path else PurePath(path)
    named = from_name(pure.name)
    if named.known or not pure.parent.name:
        return named
    folder = from_name(pure.parent.name)
    return folder if folder.known else named


def from_name(name: str) -> Quality:
    """The quality a release name or a file name states."""
    text = _EXTENSION.sub("", name.lower())
    source = next((s for s, pattern in _SOURCES if pattern.search(text)), Source.UNKNOWN)
    resolution = _resolution(text)
    if source is Source.REMUX and resolution is not None and resolution < 1080:  # noqa: PLR2004
        source = Source.BLURAY  # a "720p remux" is a Blu-ray encode by another name
    if resolution is None and source is Source.DVD:
        resolution = _SD  # a DVD is standard definition by definition
    version = 1
    for match in _REVISION.finditer(text):
        if match.group(3):
            version = max(version, int(match.group(3)))
        else:
            version = max(version, 1 + int(match.group(2) or 1))
    return Quality(
        resolution=resolution,
        source=source,
        hdr=bool(_HDR.search(text)),
        codec=next((codec for codec, pattern in _CODECS if pattern.search(text)), None),
        version=version,
        real=len(_REAL.findall(name)),
    )


def _resolution(text: str) -> int | None:
    found = [int(m.group(1) or m.group(2)) for m in _RESOLUTION.finditer(text)]
    if found:
        value = found[-1]  # "4Kto1080p", "4K.BluRay.Remux.1080p": the last one is the copy's
        return _TIER.get(value, value)
    if _UHD.search(text):
        return 2160
    return 1080 if _FULL_HD.search(text) else None


def from_media(
    file: str | None,
    *,
    resolution: str | None = None,
    codec: str | None = None,
    bitrate: int | None = None,
    container: str | None = None,
) -> Quality:
    """A copy Plex holds: its file's name, with what Plex measured taking precedence.

    `resolution` is Plex's `videoResolution` (`4k`, `1080`, `720`, `576`, `480`, `sd`).
    """
    named = from_path(file) if file else Quality()
    measured = _PLEX_RESOLUTIONS.get(resolution.lower(), _SD) if resolution else None
    return Quality(
        resolution=measured or named.resolution,
        source=named.source,
        hdr=named.hdr or None,  # Plex's listing says nothing of HDR: only a name can
        codec=codec.lower() if codec else named.codec,
        version=named.version,
        real=named.real,
        bitrate=bitrate,
        container=container.lower() if container else None,
    )


def is_better(new: Quality, old: Quality) -> bool:
    """Whether `new` is a better copy than `old` (the module's rule: unknown parts pass over)."""
    pairs = (
        (new.resolution, old.resolution),
        (new.source or None, old.source or None),
        (new.hdr, old.hdr),
        ((new.version, new.real), (old.version, old.real)),
    )
    for ours, theirs in pairs:
        if ours is None or theirs is None or ours == theirs:
            continue
        return ours > theirs  # type: ignore[operator]
    return False
