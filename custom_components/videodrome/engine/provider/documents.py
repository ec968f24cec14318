"""The Plex metadata provider's protocol: identifiers, types, keys, GUIDs, envelope, paging.

The contract is Plex Media Server's custom metadata provider API (PMS 1.43; the research note
shared/research/provider_perf.md §A). Two providers, as Plex recommends: one for movies, one
for TV (show, season, episode). The Metadata objects themselves are `provider_metadata`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import re
from typing import TYPE_CHECKING, Any, Final, Literal

from .errors import ProviderRequestError
from .languages import normalise_language

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

type ProviderKind = Literal["movie", "tv"]
type ItemType = Literal["movie", "show", "season", "episode"]

MOVIE_IDENTIFIER: Final = "tv.plex.agents.custom.videodrome.movie"
TV_IDENTIFIER: Final = "tv.plex.agents.custom.videodrome.tv"
IDENTIFIERS: Final[dict[ProviderKind, str]] = {"movie": MOVIE_IDENTIFIER, "tv": TV_IDENTIFIER}
TITLES: Final[dict[ProviderKind, str]] = {"movie": "Videodrome Movies", "tv": "Videodrome TV"}
IDENTIFIER_PATTERN: Final = re.compile(r"^tv\.plex\.agents\.custom\.[A-Za-z0-9.]+$")
RATING_KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]+$")
# Feature keys are relative to the URL the user registered: PMS prefixes them with it.
METADATA_KEY: Final = "/library/metadata"
MATCH_KEY: Final = "/library/metadata/matches"
DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 1000
_MAX_PAGE_START: Final = 1_000_000
_MAX_DIGITS: Final = 9  # a page number longer than this is refused before it is converted


class MetadataType(IntEnum):
    """Plex's metadata type numbers (`Types[].type`, a match request's `type`)."""

    MOVIE = 1
    SHOW = 2
    SEASON = 3
    EPISODE = 4


PROVIDER_TYPES: Final[dict[ProviderKind, tuple[MetadataType, ...]]] = {
    "movie": (MetadataType.MOVIE,),
    "tv": (MetadataType.SHOW, MetadataType.SEASON, MetadataType.EPISODE),
}

_NUMBER = r"(0|[1-9][0-9]{0,8})"
_KEY_FORMS: Final = (
    ("movie", re.compile(rf"tmdb-movie-{_NUMBER}")),
    ("show", re.compile(rf"tmdb-show-{_NUMBER}")),
    ("season", re.compile(rf"tmdb-season-{_NUMBER}-{_NUMBER}")),
    ("episode", re.compile(rf"tmdb-episode-{_NUMBER}-{_NUMBER}-{_NUMBER}")),
)


@dataclass(frozen=True, slots=True)
class RatingKey:
    """A title's key: `tmdb-movie-603`, `tmdb-show-1396`, `tmdb-season-1396-1`, ...-1-5."""

    type: ItemType
    tmdb_id: int
    season: int | None = None
    episode: int | None = None

    def __str__(self) -> str:
        """The key as Plex sees it (only `[A-Za-z0-9_-]`, stable: PMS stores it)."""
        numbers = (self.tmdb_id, self.season, self.episode)
        return "-".join(["tmdb", self.type, *(str(n) for n in numbers if n is not None)])

    @classmethod
    def parse(cls, text: str) -> RatingKey | None:
        """The key written as `text`, or None when it is not one of ours (or not canonical)."""
        for kind, pattern in _KEY_FORMS:
            found = pattern.fullmatch(text)
            if found:
                numbers = [int(n) for n in found.groups()]
                return cls(kind, *numbers)  # type: ignore[arg-type]
        return None

    @property
    def provider(self) -> ProviderKind:
        """Which of the two providers serves this key."""
        return "movie" if self.type == "movie" else "tv"

    @property
    def key(self) -> str:
        """The metadata endpoint of this title, relative to the provider's URL."""
        return f"{METADATA_KEY}/{self}"

    def guid(self) -> str:
        """`{identifier}://{type}/{ratingKey}`, the GUID PMS stores."""
        return f"{IDENTIFIERS[self.provider]}://{self.type}/{self}"

    @classmethod
    def from_guid(cls, guid: str) -> RatingKey | None:
        """The key inside one of our GUIDs, or None."""
        scheme, sep, rest = guid.partition("://")
        kind, slash, text = rest.partition("/")
        if not sep or not slash or scheme not in IDENTIFIERS.values():
            return None
        key = cls.parse(text)
        if key is None or key.type != kind or IDENTIFIERS[key.provider] != scheme:
            return None
        return key


def media_provider(kind: ProviderKind, version: str) -> dict[str, Any]:
    """The root document: `{"MediaProvider": {...}}`."""
    identifier = IDENTIFIERS[kind]
    return {
        "MediaProvider": {
            "identifier": identifier,
            "title": TITLES[kind],
            "version": version,
            "Types": [
                {"type": int(number), "Scheme": [{"scheme": identifier}]}
                for number in PROVIDER_TYPES[kind]
            ],
            "Feature": [
                {"type": "metadata", "key": METADATA_KEY},
                {"type": "match", "key": MATCH_KEY},
            ],
        }
    }


def container(
    kind: ProviderKind,
    items: Sequence[dict[str, Any]],
    *,
    offset: int = 0,
    total: int | None = None,
    element: Literal["Metadata", "Image"] = "Metadata",
) -> dict[str, Any]:
    """The envelope every answer but the root's has."""
    return {
        "MediaContainer": {
            "offset": offset,
            "totalSize": len(items) if total is None else total,
            "identifier": IDENTIFIERS[kind],
            "size": len(items),
            element: list(items),
        }
    }


@dataclass(frozen=True, slots=True)
class Page:
    """Which part of a list of children to send: `start` is a 0-based offset."""

    start: int = 0
    size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def read(cls, headers: Mapping[str, str], query: Mapping[str, str]) -> Page:
        """From `X-Plex-Container-Start`/`-Size`, as headers or (else) query parameters.

        PMS's own API counts the start from 0; Plex's provider docs also say the default start
        is "the first item", which 0 is here. A start past the end gives an empty page.
        """
        start = _paging_number(headers, query, "X-Plex-Container-Start", 0, _MAX_PAGE_START)
        size = _paging_number(
            headers, query, "X-Plex-Container-Size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
        )
        return cls(start, size)

    def of(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items on this page."""
        return list(items[self.start : self.start + self.size])


def read_language(headers: Mapping[str, str], query: Mapping[str, str]) -> str:
    """`X-Plex-Language` (header, else query) as one of TMDb's languages (`fr-FR`, `en-US`).

    Optional in the contract: a value that is not a language TMDb has is the default, not
    refused (see `provider_languages`).
    """
    return normalise_language(headers.get("X-Plex-Language") or query.get("X-Plex-Language"))


def _paging_number(
    headers: Mapping[str, str], query: Mapping[str, str], name: str, default: int, maximum: int
) -> int:
    text = headers.get(name)
    if text is None:
        text = query.get(name)
    if text is None or not text.strip():
        return default
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        raise ProviderRequestError(f"{name} is not a number")
    if len(text) > _MAX_DIGITS:
        raise ProviderRequestError(f"{name} is out of range")
    return min(int(text), maximum)
