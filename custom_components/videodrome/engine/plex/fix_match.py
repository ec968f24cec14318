"""Changing Plex's match of a new file, and giving Plex a poster, the way "Fix Match…" does it.

Plex's scanner sometimes matches a file to another title than the one Videodrome filed it as
(a remake, a namesake). `MatchFixer.correct` searches Plex's agent for Videodrome's title
(`GET /library/metadata/{key}/matches?manual=1&title=tmdb-603`, the id search python-plexapi's
`LibrarySection.getGuid` uses; then by title and year), re-matches the item with
`PUT /library/metadata/{key}/match?guid=…&name=…` (python-plexapi's `fixMatch`) and checks the
match again. `MatchFixer.give_poster` uploads a poster by address
(`POST /library/metadata/{key}/posters?url=…`, python-plexapi's `uploadPoster`) to an item
that has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import logging
import re
from typing import TYPE_CHECKING
import unicodedata

from .errors import PlexMatchError
from .models import as_str
from .scan import PLEX_MATCHED, wanted_ids

if TYPE_CHECKING:
    from ..identify.identifier import Identification
    from .models import MatchResult
    from .scan import PlexSync, Verification

_LOGGER = logging.getLogger(__name__)

PLEX_CORRECTED = "plex_corrected"  # Videodrome changed Plex's match to its own title
PLEX_ACCEPTED = "plex_accepted"  # a person kept Plex's match


class MatchFix(StrEnum):
    """What to do when Plex matched a new file to another title."""

    REVIEW = "review"  # ask a person: the item goes to the review queue with both titles
    AUTO = "auto"  # change Plex's match to Videodrome's title
    OFF = "off"  # only record it


@dataclass(frozen=True, slots=True)
class MatchTarget:
    """The title a file should be matched to in Plex."""

    tmdb_id: int
    title: str
    year: int | None
    tvdb_id: int | None = None
    imdb_id: str | None = None

    @classmethod
    def of(cls, found: Identification) -> MatchTarget | None:
        """Videodrome's identification of a file, if it has a match."""
        match = found.match
        if match is None:
            return None
        return cls(match.tmdb_id, match.title, match.year, found.tvdb_id, match.imdb_id)

    def wanted(self) -> set[str]:
        """The Plex ids that mean "matched to this title"."""
        return wanted_ids(self.tmdb_id, self.tvdb_id, self.imdb_id)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


class MatchFixer:
    """Re-matches items and uploads posters on one Plex server."""

    def __init__(self, sync: PlexSync) -> None:
        """Work through `sync`'s client, and check matches with it."""
        self._sync = sync
        self._client = sync.client

    async def correct(self, before: Verification, target: MatchTarget) -> Verification:
        """Match the item Plex made of a file to `target`; Plex's verdict afterwards.

        Raises PlexMatchError when Plex's agent offers no such title or the new match does
        not hold, and the client's errors when Plex fails.
        """
        if before.match_key is None:
            raise PlexMatchError("Plex has no item for the file to re-match")
        key = int(before.match_key)
        agent = await self._agent(before.section_key)
        result = await self._find(key, target, agent)
        _LOGGER.info(
            "Changing Plex's match of %s from %s to %s (%s)",
            before.plex_title, before.plex_guid, target.title, result.guid,
        )  # fmt: skip
        await self._client.fix_match(key, result)
        after = await self._sync.reverify(before, target.wanted())
        if after.status != PLEX_MATCHED:
            raise PlexMatchError(f"Plex did not take the match to {target.title}")
        return after

    async def _agent(self, section_key: int | None) -> str | None:
        for section in await self._client.sections():
            if section.key == section_key:
                return section.agent
        return None

    async def _find(self, key: int, target: MatchTarget, agent: str | None) -> MatchResult:
        """The agent's search result for the target: by TMDb id, else by title and year."""
        by_id = await self._client.matches(key, title=f"tmdb-{target.tmdb_id}", agent=agent)
        if by_id:
            return by_id[0]
        wanted = _norm(target.title)
        for result in await self._client.matches(
            key, title=target.title, year=target.year, agent=agent
        ):
            if _norm(result.name) == wanted and (target.year is None or result.year == target.year):
                return result
        raise PlexMatchError(f"Plex's agent does not know {target.title} ({target.year})")

    async def give_poster(self, match_key: str | None, url: str | None) -> bool:
        """Upload the poster at `url` to the item when Plex has none; whether it did."""
        if match_key is None or url is None:
            return False
        item = await self._client.metadata(int(match_key))
        if as_str(item.get("thumb")) is not None:
            return False
        await self._client.upload_poster(int(match_key), url)
        _LOGGER.info("Gave Plex item %s the poster %s", match_key, url)
        return True
