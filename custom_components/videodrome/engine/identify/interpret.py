"""guessit's answer interpreted: a `ParsedName`, guessit's known traps fixed, every reading.

`interpret()` takes what guessit read (`guessit_worker.plain_guess`: JSON values, whether from
the child or from this process) and never trusts it blindly: a value of the wrong type is no
value. The traps it fixes are documented where they are, each with the name that showed it.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath
import re
from typing import Any

from .filters import IGNORE_EXTRA, IGNORE_SAMPLE, ignore_reason
from .parsed_name import IdHints, Kind, ParsedName, Reading
from .path_parts import RELEASE_TOKENS

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
# "Title (Year)", "Title.(Year).(tt123)", "Title [Year]", or a plain "Title" folder.
_MOVIE_FOLDER = re.compile(
    r"^(?P<title>.+?)(?:[ ._]*[(\[](?P<year>(?:19|20)\d{2})[)\]].*)?$", re.IGNORECASE
)
_YEAR_LIKE = re.compile(r"^(?:19|20)\d{2}$")


def interpret(
    text: str,
    cleaned: str,
    guess: dict[str, Any],
    *,
    ids: IdHints,
    extension: str | None,
    partial: bool,
    video: bool,
) -> ParsedName:
    """The ParsedName of `text`, from guessit's reading of `cleaned` (its relevant part)."""
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
    if kind is Kind.MOVIE and folders and not RELEASE_TOKENS.search(folders[-1]):
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
