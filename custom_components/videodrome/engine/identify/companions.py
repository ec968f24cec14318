"""Companion files next to a filed video: subtitles, artwork and the like, named the Plex way.

Pure functions, no I/O. `The Matrix (1999).mkv` has `The Matrix (1999).en.forced.srt`,
`The Matrix (1999).nfo` and `poster.jpg` beside it. Video file names leave `COMPANION_ROOM`
bytes free below the 255-byte limit (`naming`), so that a subtitle's longest name
(`<video stem>.eng.forced.sdh.<ext>`) always fits.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from .language_codes import language_code
from .safe_names import MAX_COMPONENT_BYTES, file_extension

if TYPE_CHECKING:
    from pathlib import PurePosixPath

# ".eng.forced.sdh" (15 bytes) plus a dot and an extension of up to 8 characters.
COMPANION_ROOM: Final = 24

_FORCED_TAGS: Final = frozenset({"forced", "foreign"})
_HINDI: Final = "hi"  # also Bazarr's tag for the hard of hearing: see `_read_tags`
_SDH_TAGS: Final = frozenset({"sdh", "cc", _HINDI})
_NOISE_TAGS: Final = frozenset({"default", "full"})
_FLAG_TAGS: Final = _FORCED_TAGS | _SDH_TAGS | _NOISE_TAGS
# Local artwork Plex finds by these fixed names: they keep their name next to the video.
_ARTWORK: Final = frozenset(
    {"poster", "cover", "default", "folder", "movie", "show", "fanart", "art", "backdrop"}
    | {"background", "banner", "clearlogo", "logo", "thumb"}
)
_ARTWORK_SUFFIX = re.compile(r"-(fanart|poster|banner|clearlogo|logo|thumb|backdrop|background)$")
_IMAGE_EXTENSIONS: Final = frozenset({".jpg", ".jpeg", ".png", ".tbn", ".webp"})


def subtitle_path(
    video: PurePosixPath,
    extension: str,
    *,
    language: str | None = None,
    forced: bool = False,
    sdh: bool = False,
) -> PurePosixPath:
    """A subtitle next to `video`: `X.en.srt`, `X.en.forced.srt`, `X.en.sdh.srt`.

    `language` is an ISO 639-1 or 639-2 code, kept as given but in lower case (`ENG` -> `eng`;
    a region is dropped: `pt-BR` -> `pt`), or an English name (`English` -> `en`).
    """
    ext = file_extension(extension)
    tags = ""
    if language is not None:
        code = language_code(language)
        if code is None:
            raise ValueError(f"not a language: {language!r}")
        tags += f".{code}"
    if forced:
        tags += ".forced"
    if sdh:
        tags += ".sdh"
    name = f"{video.stem}{tags}{ext}"
    if len(name.encode()) > MAX_COMPONENT_BYTES:
        raise ValueError("the video's name is too long for a companion file")
    return video.with_name(name)


def companion_path(
    video: PurePosixPath, companion_name: str, *, source_stem: str | None = None
) -> PurePosixPath:
    """Where a companion of a source video goes next to `video`, named the Plex way.

    "Movie.2019.1080p.en.forced.srt" -> "<video stem>.en.forced.srt", "movie.eng.srt" ->
    "<video stem>.eng.srt", "Movie.English.srt" -> "<video stem>.en.srt", "Movie.nfo" ->
    "<video stem>.nfo". Tags are read case-insensitively: languages (2- and 3-letter codes,
    English names), `forced`/`foreign`, `sdh`/`cc`/`hi` (`hi` alone is Hindi); others are dropped.
    With `source_stem` (the source video's name without its extension) the tags are every
    part between that stem and the extension. Without it, or when the companion's name does
    not start with it, the tags are the recognised parts at the end of the name, stopping at
    the first other one and never taking the first part ("Movie.2019.srt" has no language).
    Artwork Plex finds by fixed names (`poster.jpg`, `fanart.jpg`) keeps its name, and
    `…-fanart.jpg` becomes `<video stem>-fanart.jpg`.
    """
    if "/" in companion_name or "\\" in companion_name:
        raise ValueError(f"not a file name: {companion_name!r}")
    stem, dot, extension = companion_name.strip().rpartition(".")
    if not dot or not stem.strip(" ."):
        raise ValueError(f"not a companion file name: {companion_name!r}")
    ext = file_extension(extension)
    if ext in _IMAGE_EXTENSIONS:
        lowered = stem.strip().lower()
        if lowered in _ARTWORK:
            return video.with_name(lowered + ext)
        if kind := _ARTWORK_SUFFIX.search(lowered):
            return video.with_name(f"{video.stem}-{kind.group(1)}{ext}")
    language, forced, sdh = _read_tags(_tag_tokens(stem, source_stem))
    return subtitle_path(video, ext, language=language, forced=forced, sdh=sdh)


def _is_tag(token: str) -> bool:
    value = token.strip().lower()
    return value in _FLAG_TAGS or language_code(value) is not None


def _tag_tokens(stem: str, source_stem: str | None) -> list[str]:
    """The parts of a companion's stem that may be tags (see `companion_path`)."""
    if source_stem is not None and stem[: len(source_stem)].casefold() == source_stem.casefold():
        rest = stem[len(source_stem) :]
        if not rest:
            return []
        if rest.startswith("."):
            return rest[1:].split(".")
    tags: list[str] = []
    for token in reversed(stem.split(".")[1:]):
        if not _is_tag(token):
            break
        tags.append(token)
    return tags[::-1]


def _read_tags(tokens: list[str]) -> tuple[str | None, bool, bool]:
    """Language, forced and SDH from companion tags; unknown tags are ignored."""
    tags = [token.strip().lower() for token in tokens]
    forced = not _FORCED_TAGS.isdisjoint(tags)
    sdh = not (_SDH_TAGS - {_HINDI}).isdisjoint(tags)
    languages = [code for tag in tags if tag != _HINDI and (code := language_code(tag))]
    if _HINDI in tags:
        if languages:
            sdh = True  # "en.hi": English for the hard of hearing (Bazarr's tag)
        else:
            languages = [_HINDI]  # "hi" alone: Hindi
    return (languages[-1] if languages else None), forced, sdh
