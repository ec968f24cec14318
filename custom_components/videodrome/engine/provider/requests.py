"""What Plex asks the provider's `matches` endpoint, read strictly, and Videodrome's answer to it.

PMS posts a JSON body (type, title, year, guid, filename, season and episode numbers...); the
provider also accepts the same fields as query parameters (GET), as some PMS builds and tools
send them. Anything of the wrong type is a `ProviderRequestError` (HTTP 400), never a guess.
Sizes are checked first: a title, or a part of a file name, longer than a file name may be
(`MAX_NAME`) is refused, because guessit's time grows quickly with a name's length; so is a
number with more digits than the largest allowed, which Python may refuse to convert.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import TYPE_CHECKING, Any, Final

from .documents import MetadataType, RatingKey
from .errors import ProviderRequestError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..store.items import Item

MAX_TEXT: Final = 512
MAX_NAME: Final = 255  # a title, and each part of a file name (NAME_MAX)
MAX_FILENAME: Final = 4096
MAX_NUMBER: Final = 100_000
MANUAL_RESULTS: Final = 5  # "Fix Match…" lists this many, best first
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TEXT_FIELDS: Final = {
    "title": MAX_NAME,
    "parentTitle": MAX_NAME,
    "grandparentTitle": MAX_NAME,
    "guid": MAX_TEXT,
    "filename": MAX_FILENAME,
    "date": MAX_TEXT,
    "episodeOrder": MAX_TEXT,
}
_NUMBER_FIELDS: Final = ("year", "index", "parentIndex")
_FLAG_FIELDS: Final = ("manual", "includeChildren", "includeAdult")


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """A match request, checked; hashable, so answers can be cached by it."""

    type: MetadataType
    title: str | None = None
    parent_title: str | None = None
    grandparent_title: str | None = None
    year: int | None = None
    guid: str | None = None
    index: int | None = None
    parent_index: int | None = None
    filename: str | None = None
    date: str | None = None
    manual: bool = False
    include_children: bool = False

    @classmethod
    def from_json(cls, data: Any) -> MatchRequest:
        """Read a JSON body (already decoded); unknown fields (`includeFields`...) are ignored."""
        if not isinstance(data, dict):
            raise ProviderRequestError("the match request is not a JSON object")
        return cls._read(data, strings=False)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> MatchRequest:
        """Read query parameters (every value a string)."""
        return cls._read(dict(query), strings=True)

    @classmethod
    def _read(cls, data: dict[str, Any], *, strings: bool) -> MatchRequest:
        kind = _number(data.get("type"), "type", strings=strings)
        if kind is None or kind not in MetadataType.__members__.values():
            raise ProviderRequestError("type must be 1 (movie), 2 (show), 3 (season) or 4")
        texts = {name: _text(data.get(name), name, limit) for name, limit in _TEXT_FIELDS.items()}
        numbers = {name: _number(data.get(name), name, strings=strings) for name in _NUMBER_FIELDS}
        flags = {name: _flag(data.get(name), name) for name in _FLAG_FIELDS}
        date = texts["date"]
        if date is not None and not _DATE.fullmatch(date):
            raise ProviderRequestError("date must be YYYY-MM-DD")
        filename = texts["filename"]
        if filename is not None and any(len(p) > MAX_NAME for p in re.split(r"[\\/]", filename)):
            raise ProviderRequestError(f"filename has a part longer than {MAX_NAME} characters")
        return cls(
            type=MetadataType(kind),
            title=texts["title"],
            parent_title=texts["parentTitle"],
            grandparent_title=texts["grandparentTitle"],
            year=numbers["year"],
            guid=texts["guid"],
            index=numbers["index"],
            parent_index=numbers["parentIndex"],
            filename=filename,
            date=date,
            manual=flags["manual"],
            include_children=flags["includeChildren"],
        )

    @property
    def show_title(self) -> str | None:
        """The show's title: `title` for a show, `parentTitle` for a season, ... for an episode."""
        if self.type is MetadataType.SEASON:
            return self.parent_title or self.title
        if self.type is MetadataType.EPISODE:
            return self.grandparent_title or self.title
        return self.title

    @property
    def file_name(self) -> str | None:
        """The last part of `filename` (relative to the library, either slash)."""
        if not self.filename:
            return None
        name = re.split(r"[\\/]", self.filename)[-1].strip()
        return name or None


def _text(value: Any, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProviderRequestError(f"{name} must be a string")
    if len(value) > limit or "\x00" in value:
        raise ProviderRequestError(f"{name} is too long or not text")
    return value.strip() or None


def _number(value: Any, name: str, *, strings: bool) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and (strings or value.strip().isdigit()):
        text = value.strip()
        if not text:
            return None
        if not text.isascii() or not text.isdigit():
            raise ProviderRequestError(f"{name} must be a whole number")
        if len(text) > len(str(MAX_NUMBER)):
            raise ProviderRequestError(f"{name} is out of range")
        value = int(text)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProviderRequestError(f"{name} must be a whole number")
    if not 0 <= value <= MAX_NUMBER:
        raise ProviderRequestError(f"{name} is out of range")
    return value


def _flag(value: Any, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1"):
        return value in (1, "1")
    raise ProviderRequestError(f"{name} must be 0 or 1")


type Hit = tuple[int, int | None, int | None, int]
"""A title found for a request: (TMDb id of the movie or show, season, episode, score 0-100)."""


@dataclass(frozen=True, slots=True)
class Found:
    """One answer to a match: a title's key and how sure Videodrome is (0-100)."""

    key: RatingKey
    score: int


def from_history(request: MatchRequest, items: Iterable[Item], *, by_file: bool) -> list[Hit]:
    """What the history says a request is: the items filed under its file name (or title).

    Among several items, the one whose library path shares the most trailing folders with
    `filename` comes first, then the most recently filed. Found `by_file`, an item also says
    which season and episode the file is (a person may have approved them); found by title, it
    says only which show.
    """
    wanted = "movie" if request.type is MetadataType.MOVIE else "episode"
    parts = [p for p in re.split(r"[\\/]", request.filename or "") if p]
    ranked = sorted(
        (i for i in items if i.kind == wanted and i.tmdb_id is not None),
        key=lambda i: -_shared_tail(parts, i.destination or i.target or ""),
    )
    hits: list[Hit] = []
    for item in ranked:
        season = item.season if by_file else None
        episode = next(iter(item.episodes), None) if by_file else None
        hit = (int(item.tmdb_id or 0), season, episode, 100)
        if hit not in hits:
            hits.append(hit)
    return hits


def _shared_tail(parts: list[str], path: str) -> int:
    other = [p for p in re.split(r"[\\/]", path) if p]
    shared = 0
    for mine, theirs in zip(reversed(parts), reversed(other), strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


def key_at_level(
    request: MatchRequest, tmdb_id: int, season: int | None = None, episode: int | None = None
) -> RatingKey | None:
    """The key of the title a request asks about, given its movie's or show's TMDb id.

    A season or an episode takes its numbers from the request first (Plex read them from the
    file's name, and a file holding two episodes is asked about twice), else from what the
    history or identification found; None when neither says.
    """
    if request.type is MetadataType.MOVIE:
        return RatingKey("movie", tmdb_id)
    if request.type is MetadataType.SHOW:
        return RatingKey("show", tmdb_id)
    if request.type is MetadataType.SEASON:
        number = request.index if request.index is not None else season
        return None if number is None else RatingKey("season", tmdb_id, number)
    number = request.parent_index if request.parent_index is not None else season
    index = request.index if request.index is not None else episode
    if number is None or index is None:
        return None
    return RatingKey("episode", tmdb_id, number, index)
