"""File names to `ParsedName`: guessit, plus fixes for its known traps, ID hints and flags.

`parse()` is blocking work (guessit takes milliseconds per name, and much longer on
pathological input): call it in an executor job, never on the event loop. guessit itself runs
in a process of its own (`guess_process`), which this thread waits for. It never raises for bad
input; it returns a `ParsedName` of kind `unknown` whose `reasons` say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache
import logging
import os
from pathlib import PurePath, PurePosixPath
import re
from typing import TYPE_CHECKING, Any

from ..deadline import Deadline, DeadlineExceeded
from . import guessit_process as guess_process
from .errors import GuessProcessError
from .filters import (
    IGNORE_EXTRA,
    IGNORE_SAMPLE,
    PARTIAL_EXTENSIONS,
    VIDEO_EXTENSIONS,
    ignore_reason,
)
from .guessit_worker import plain_guess

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOGGER = logging.getLogger(__name__)

# guessit is pure Python; 2 s is a hundred times its usual time, and bounds a hang.
PARSE_TIME_LIMIT = 2.0
# guessit runs in a process of its own (see guess_worker.py); off: in the calling thread.
GUESSIT_PROCESS = os.environ.get("VIDEODROME_GUESSIT_PROCESS", "1") != "0"
MAX_NAME_BYTES = 255
MAX_PATH_CHARS = 4096
# Folders that say nothing about the title: they are left out of what guessit sees.
_GENERIC_FOLDERS = re.compile(
    r"^(?:downloads?|complete[d]?|incoming|ingest|movies?|films?|tv|tv shows?|series|shows?"
    r"|media|video[s]?|torrents?|usenet|nzbget|sabnzbd|qbittorrent|transmission|[a-z]:)$",
    re.IGNORECASE,
)

_HINTS = {
    "tmdb": re.compile(r"[{\[]tmdb(?:id)?-(\d{1,9})[}\]]", re.IGNORECASE),
    "tvdb": re.compile(r"[{\[]tvdb(?:id)?-(\d{1,9})[}\]]", re.IGNORECASE),
    "imdb": re.compile(
        r"[{\[]imdb(?:id)?-(tt\d{7,8})[}\]]|(?<![a-z0-9])(tt\d{7,8})(?![0-9])", re.IGNORECASE
    ),
}
_ANY_HINT = re.compile(
    r"[{\[](?:tmdb|tvdb|imdb)(?:id)?-[^}\]]*[}\]]|(?<![a-z0-9])tt\d{7,8}|\{edition-[^}]*\}",
    re.IGNORECASE,
)
# Plex's edition tag: "Blade Runner (1982) {edition-Final Cut}.mkv".
_EDITION_TAG = re.compile(r"\{edition-([^}]{1,100})\}", re.IGNORECASE)
# Markers that make a number an episode number for sure; without one, a number next to the
# title is more likely part of it (Blade Runner 2049, District 9).
_EPISODE_MARKER = re.compile(
    r"(?:^|[^a-z0-9])(?:s\d{1,3}[ ._-]?e\d{1,4}|\d{1,2}x\d{2,3}|season|episode|ep[ ._]?\d"
    r"|e\d{2,4}(?:[^a-z0-9]|$))|\s-\s\d{1,4}(?:v\d)?(?:\s|$)|\[\d{1,4}\]",
    re.IGNORECASE,
)
_PART_IN_TITLE = re.compile(
    r"(?:^|[ ._-])part[ ._-]?(?:one|two|three|four|five|i{1,3}|iv|v|\d)(?=[ ._-])", re.IGNORECASE
)
_EDITION_WORDS = re.compile(
    r"\b(?:cut|extended|edition|unrated|uncut|theatrical|remastered|imax|special)\b", re.IGNORECASE
)
_YEAR = re.compile(r"(?<!\d)(?:18|19|20)\d{2}(?!\d)")
_SEASON_FOLDER = re.compile(
    r"^(?:season|series|staffel|saison)[ ._-]*\d{1,4}$|^s\d{1,3}$|^specials$", re.IGNORECASE
)
_NAME_LIKE_FOLDER = re.compile(
    r"(?<!\d)(?:18|19|20)\d{2}(?!\d)|s\d{1,3}[ ._-]?e\d{1,4}|[{\[](?:tmdb|tvdb|imdb)", re.IGNORECASE
)
_RELEASE_TOKENS = re.compile(
    r"(?<![a-z])(?:dvdrip|bdrip|brrip|bluray|blu-ray|web-?dl|webrip|hdtv|xvid|divx|x264|x265|h\.?264"
    r"|hevc|remux|\d{3,4}p)(?![a-z])",
    re.IGNORECASE,
)
_MOUNT_LIKE = re.compile(
    r"^(?:mnt|media|disk|disc|drive|volume|vol|share|data|home|tmp|temp)\b", re.IGNORECASE
)
# "Title (Year)", "Title.(Year).(tt123)", "Title [Year]", or a plain "Title" folder.
_MOVIE_FOLDER = re.compile(
    r"^(?P<title>.+?)(?:[ ._]*[(\[](?P<year>(?:19|20)\d{2})[)\]].*)?$", re.IGNORECASE
)
_YEAR_LIKE = re.compile(r"^(?:19|20)\d{2}$")
_LETTERS = re.compile(r"[^\W\d_]{3,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Kind(StrEnum):
    """What a file is."""

    MOVIE = "movie"
    EPISODE = "episode"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Reading:
    """One plausible (title, year) reading of a name; a name may allow several."""

    title: str
    year: int | None


@dataclass(frozen=True, slots=True)
class IdHints:
    """IDs written into the path (`{tmdb-603}`, `{imdb-tt0133093}`, `[tvdbid-81189]`, `tt…`)."""

    tmdb: int | None = None
    imdb: str | None = None
    tvdb: int | None = None

    def __bool__(self) -> bool:
        """Whether any ID is present."""
        return any((self.tmdb, self.imdb, self.tvdb))


@dataclass(frozen=True, slots=True)
class ParsedName:
    """What a file's path says about it."""

    path: str
    kind: Kind
    readings: tuple[Reading, ...] = ()
    alternative_title: str | None = None
    season: int | None = None
    seasons: tuple[int, ...] = ()  # a season pack's seasons (a single file has one)
    episodes: tuple[int, ...] = ()
    air_date: date | None = None
    absolute_episode: int | None = None
    episode_title: str | None = None
    edition: str | None = None
    part: int | None = None
    screen_size: str | None = None
    source: str | None = None
    extension: str | None = None
    release_group: str | None = None
    country: str | None = None
    ids: IdHints = field(default_factory=IdHints)
    sample: bool = False
    extra: str | None = None
    partial: bool = False
    video: bool = True
    reasons: tuple[str, ...] = ()

    @property
    def title(self) -> str | None:
        """The preferred title."""
        return self.readings[0].title if self.readings else None

    @property
    def year(self) -> int | None:
        """The year of the preferred reading."""
        return self.readings[0].year if self.readings else None


def parse(
    path: str | bytes | PurePath,
    root: str | PurePath | None = None,
    *,
    lane: guess_process.Lane = "ingest",
) -> ParsedName:
    """Parse a file's path (relative to `root`, the ingest folder, when given). Blocking.

    guessit runs in `lane`'s process: the metadata provider's names in a process of their own.
    """
    text, reasons = _as_text(path)
    if reasons:
        return ParsedName(path=text, kind=Kind.UNKNOWN, video=False, reasons=reasons)
    relative = _relevant_part(PurePosixPath(text.replace("\\", "/")), root)
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
    ids = _hints(relative)
    cleaned = _ANY_HINT.sub(" ", relative)
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
    parsed = _build(
        text, cleaned, guess, ids=ids, extension=extension, partial=partial, video=video
    )
    tag = _EDITION_TAG.search(PurePosixPath(relative).name)
    if tag:
        return replace(parsed, edition=tag.group(1).strip() or parsed.edition)
    return parsed


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


def _build(
    text: str,
    cleaned: str,
    guess: dict[str, Any],
    *,
    ids: IdHints,
    extension: str | None,
    partial: bool,
    video: bool,
) -> ParsedName:
    kind = Kind.EPISODE if guess.get("type") == "episode" else Kind.MOVIE
    title = _str(guess.get("title"))
    year = _int(guess.get("year"))
    season = _int(guess.get("season"))
    episodes = _ints(guess.get("episode"))
    part = _int(guess.get("part")) or _int(guess.get("cd"))
    filename = PurePosixPath(cleaned).name
    edition = _str(guess.get("edition"))
    episode_title = _str(guess.get("episode_title"))
    # Trap: "Blade.Runner.1982.The.Final.Cut" is typed an episode with no number at all.
    if kind is Kind.EPISODE and season is None and not episodes and guess.get("date") is None:
        kind = Kind.MOVIE
        if edition is None and episode_title and _EDITION_WORDS.search(episode_title):
            edition = episode_title.removeprefix("The ")
        episode_title = None
    # Trap: a number read as season and episode with nothing in the name saying so
    # ("Blade.Runner.2049.1080p" -> S20E49) belongs to the title.
    # Only a four-digit number that is exactly guessit's season and episode run together, and
    # not also its year: "Show.103.HDTV" stays season 1 episode 3.
    if kind is Kind.EPISODE and not _EPISODE_MARKER.search(cleaned) and guess.get("date") is None:
        number = _bare_number_after(filename, title) if title else None
        if (
            number is not None
            and _YEAR_LIKE.match(number)  # 2049, 1917; not 0307 or 2401 (season 24)
            and season is not None
            and len(episodes) == 1
            and int(number) == season * 100 + episodes[0]
            and year != int(number)
        ):
            kind, title, season, episodes = Kind.MOVIE, f"{title} {number}", None, ()
    # Trap: "Dune.Part.Two.2024" is a title, not part 2 of a split file. A spelled number
    # (Two, II) always belongs to the title; a digit does when the year follows it.
    spelled = (
        _PART_IN_TITLE.search(filename)
        if part is not None and title and kind is Kind.MOVIE
        else None
    )
    if spelled is not None:
        year_after = year is not None and filename.find(str(year)) > spelled.start()
        if year_after or not any(ch.isdigit() for ch in spelled.group(0)):
            title = f"{title} {_words(spelled.group(0))}"
            part = None
    readings = _readings(filename, title, year, kind)
    readings = _more_readings(readings, cleaned, kind, _str(guess.get("alternative_title")))
    other = guess.get("other") or []
    others = {str(o).lower() for o in (other if isinstance(other, list) else [other])}
    # Sample/ and Featurettes/ folders flag a file wherever the name context was cut.
    reason = ignore_reason(PurePosixPath(*PurePosixPath(text.replace("\\", "/")).parts[-3:]))
    sample = "sample" in others or reason == IGNORE_SAMPLE
    extra = _extra(others, reason)
    reasons = tuple(
        r
        for r, flag in (
            ("no_title", not readings),
            ("sample", sample),
            ("extra", extra is not None),
            ("partial_download", partial),
            ("not_video", not video),
        )
        if flag
    )
    return ParsedName(
        path=text,
        kind=kind if readings else Kind.UNKNOWN,
        readings=readings,
        alternative_title=_str(guess.get("alternative_title")),
        season=season if kind is Kind.EPISODE else None,
        seasons=_ints(guess.get("season")) if kind is Kind.EPISODE else (),
        episodes=episodes if kind is Kind.EPISODE else (),
        air_date=_date(guess.get("date")),
        absolute_episode=_int(guess.get("absolute_episode"))
        or (episodes[0] if kind is Kind.EPISODE and season is None and episodes else None),
        episode_title=episode_title if kind is Kind.EPISODE else None,
        edition=edition,
        part=part,
        screen_size=_str(guess.get("screen_size")),
        source=_str(guess.get("source")),
        extension=extension or None,
        release_group=_str(guess.get("release_group")),
        country=_str(guess.get("country")),
        ids=ids,
        sample=sample,
        extra=extra,
        partial=partial,
        video=video,
        reasons=reasons,
    )


def _readings(
    filename: str, title: str | None, year: int | None, kind: Kind
) -> tuple[Reading, ...]:
    """The plausible (title, year) readings, most likely first."""
    if not title and year is not None:
        # "1917.1080p.mkv", "2012.mkv": the only year-looking number is the title.
        return (Reading(str(year), None),)
    if not title:
        return ()
    readings = [Reading(title, year)]
    if year is not None and kind is Kind.MOVIE:
        years = _YEAR.findall(filename)
        position = filename.find(str(year))
        # Only a year that opens the name ("2001.A.Space.Odyssey"); one later on but before
        # guessit's title means guessit's title is something else ("xXx.2002.15th.Anniversary").
        before_title = position != -1 and not filename[:position].strip(" ._-[(")
        before_title = before_title and position < filename.lower().find(title.split()[0].lower())
        if before_title:
            # "2001.A.Space.Odyssey.mkv": release names put the year after the title.
            readings = [Reading(f"{year} {title}", None), Reading(title, year)]
        elif len(years) == 1 and f"({year})" not in filename and f"[{year}]" not in filename:
            # "Wonder.Woman.1984.1080p": the year may be the end of the title.
            readings.append(Reading(f"{title} {year}", None))
    return tuple(readings)


def _more_readings(
    readings: tuple[Reading, ...], relative: str, kind: Kind, alternative: str | None
) -> tuple[Reading, ...]:
    """Readings to try after the file name's own.

    The title with guessit's alternative title ("Mission.Impossible.-.Fallout"), and a Plex-
    or Radarr-style movie folder ("X2 (2003)/X2.2003.DTS.HDR.mkv", "Tropic Thunder/dmd.avi").
    """
    if not readings:
        return readings
    extra: list[Reading] = []
    first = readings[0]
    if alternative:
        extra.append(Reading(f"{first.title} {alternative}", first.year))
    folders = PurePosixPath(relative).parts[:-1]
    if kind is Kind.MOVIE and folders and not _RELEASE_TOKENS.search(folders[-1]):
        folder = _MOVIE_FOLDER.match(folders[-1])
        if folder is not None:
            title = folder.group("title")
            title = " ".join(re.split(r"[ ._]+", title)).strip(" -")
            year = int(folder.group("year")) if folder.group("year") else None
            if title:
                extra.append(Reading(title, year))
    known = {(r.title.casefold(), r.year) for r in readings}
    added = [r for r in extra if (r.title.casefold(), r.year) not in known]
    return readings + tuple(dict.fromkeys(added))


def _bare_number_after(filename: str, title: str) -> str | None:
    words = re.escape(title.rsplit(maxsplit=1)[-1])
    found = re.search(rf"{words}[ ._-]+(\d{{1,4}})(?![0-9])", filename, re.IGNORECASE)
    return found.group(1) if found else None


def _words(text: str) -> str:
    return " ".join(w.capitalize() for w in re.split(r"[ ._-]+", text.strip(" ._-")) if w)


def _extra(others: set[str], reason: str | None) -> str | None:
    for kind in ("trailer", "extras", "featurette", "behind the scenes", "deleted scenes"):
        if kind in others:
            return "extra" if kind == "extras" else kind
    return "extra" if reason == IGNORE_EXTRA else None


def _hints(text: str) -> IdHints:
    found: dict[str, str] = {}
    for kind, pattern in _HINTS.items():
        match = pattern.search(text)
        if match:
            found[kind] = next(g for g in match.groups() if g)
    return IdHints(
        tmdb=int(found["tmdb"]) if "tmdb" in found else None,
        imdb=found.get("imdb"),
        tvdb=int(found["tvdb"]) if "tvdb" in found else None,
    )


def _as_text(path: str | bytes | PurePath) -> tuple[str, tuple[str, ...]]:
    """The path as text, and why it cannot be parsed (empty when it can)."""
    text = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else str(path)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return _valid_text(text), ("not_utf8",)
    if not text.strip() or not PurePosixPath(text.replace("\\", "/")).name.strip():
        return text, ("empty_name",)
    if _CONTROL.search(text):
        return text, ("control_characters",)
    name = PurePosixPath(text.replace("\\", "/")).name
    if len(text) > MAX_PATH_CHARS or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return text[:MAX_PATH_CHARS], ("name_too_long",)
    return text, ()


def _valid_text(text: str) -> str:
    """`text` with undecodable bytes (escaped as U+DC80..U+DCFF) or lone surrogates as U+FFFD."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def _relevant_part(path: PurePosixPath, root: str | PurePath | None) -> PurePosixPath:
    """The part of the path that names the file: below `root`, without generic folders.

    Below the ingest folder, two folders are context the download client made (Show/Season 01,
    Movie (2019)). Without a root, a folder counts only when it looks like part of a name (a
    year, a season, an episode or an ID in it), or when the file name alone says nothing: a
    folder such as `/mnt/disk2` or `/tmp/pytest-31` must not turn a film into an episode.
    """
    rooted = False
    if root is not None:
        base = PurePosixPath(str(root).replace("\\", "/"))
        if path.is_relative_to(base):
            path, rooted = path.relative_to(base), True
    parts = [p for p in path.parts[:-1] if p not in {"/", ""} and not _GENERIC_FOLDERS.match(p)]
    if rooted:
        return PurePosixPath(*parts[-2:], path.name)
    kept: list[str] = []
    if parts and _SEASON_FOLDER.match(parts[-1].strip()):
        kept = parts[-2:]
    elif parts and _informative(parts[-1], path.stem):
        kept = parts[-1:]
    return PurePosixPath(*kept, path.name)


def _informative(folder: str, stem: str) -> bool:
    """Whether a folder above a file (no root given) is likely part of its name."""
    if _NAME_LIKE_FOLDER.search(folder) or _RELEASE_TOKENS.search(folder):
        return True  # "Heat (1995)", "Show.S01E02...", "Movie.DVDRip.XviD-GRP"
    if not _LETTERS.search(stem):
        return True  # "203.mkv": the file name alone says nothing
    # Two or more words of letters ("Breaking Bad"), not a mount point or scratch folder.
    return len(_LETTERS.findall(folder)) > 1 and not _MOUNT_LIKE.match(folder)


def _str(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value not in (None, "") else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ints(value: Any) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(v for v in values if isinstance(v, int) and not isinstance(v, bool))
