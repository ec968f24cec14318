"""Identify a video file: parse its name, ask TMDb, score, decide, and name it the Plex way.

`Identifier.identify()` is the one entry point (the CLI, the services and the watcher use it).
It never raises for a bad file: every outcome is an `Identification` with a decision and
reason codes. It raises only `TMDbAuthError`, because a rejected key is the user's to fix and
must not turn every file into "manual".
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field, replace
from functools import partial
import logging
from typing import TYPE_CHECKING, Any, Literal

from ..availability import log_failure
from ..blocking import BlockingRunner, run_in_default_executor
from ..tmdb.errors import TMDbAuthError, TMDbError, TMDbNotFoundError
from .absolute_episodes import place
from .candidates import find_candidates, readings
from .evidence import confirm_episode
from .naming import EpisodeName, MovieName, episode_path, movie_path
from .parse import parse
from .parsed_name import Kind, ParsedName
from .score import (
    NO_CANDIDATES,
    Decision,
    Scored,
    Thresholds,
    Verdict,
    better,
    decide,
    skip_verdict,
)

if TYPE_CHECKING:
    from pathlib import PurePath, PurePosixPath

    from ..tmdb.client import TMDbClient
    from ..tmdb.models import Candidate, ShowDetails
    from .guessit_process import GuessProcess

_LOGGER = logging.getLogger(__name__)

Library = Literal["movies", "tv"]
TMDB_UNAVAILABLE = "tmdb_unavailable"
ID_HINT_NOT_FOUND = "id_hint_not_found"
EPISODE_NOT_FOUND = "episode_not_found"
NO_SEASON = "no_season"
UNNAMEABLE = "unnameable"


@dataclass(frozen=True, slots=True)
class Identification:
    """The outcome for one file: what it is, how sure, what to do, and where it goes."""

    path: str
    parsed: ParsedName
    decision: Decision
    confidence: float
    reasons: tuple[str, ...]
    match: Candidate | None = None
    ranked: tuple[Scored, ...] = ()
    season: int | None = None
    episodes: tuple[int, ...] = ()
    episode_title: str | None = None
    library: Library | None = None
    target: PurePosixPath | None = None
    tvdb_id: int | None = field(default=None)

    @property
    def kind(self) -> Kind:
        """Movie or episode (from the match when there is one), else unknown."""
        if self.match is not None:
            return Kind.MOVIE if self.match.media_type == "movie" else Kind.EPISODE
        return self.parsed.kind

    def as_json(self) -> dict[str, Any]:
        """The engine's CLI contract (ARCHITECTURE.md), plus the candidates behind it."""
        match = self.match
        return {
            "path": self.path,
            "kind": str(self.kind),
            "title": match.title if match else self.parsed.title,
            "year": match.year if match else self.parsed.year,
            "season": self.season,
            "episodes": list(self.episodes),
            "tmdb_id": match.tmdb_id if match else None,
            "confidence": round(self.confidence, 3),
            "decision": str(self.decision),
            "reasons": list(self.reasons),
            "library": self.library,
            "target": str(self.target) if self.target is not None else None,
            "episode_title": self.episode_title,
            "tvdb_id": self.tvdb_id,
            "imdb_id": match.imdb_id if match else None,
            "poster_path": match.poster_path if match else None,
            "candidates": [
                {
                    "tmdb_id": s.candidate.tmdb_id,
                    "media_type": s.candidate.media_type,
                    "title": s.candidate.title,
                    "year": s.candidate.year,
                    "score": round(s.score, 3),
                    "poster_path": s.candidate.poster_path,
                }
                for s in self.ranked[:5]
            ],
        }


class Identifier:
    """Identifies files against TMDb; one per TMDb client (they share its cache)."""

    def __init__(
        self,
        tmdb: TMDbClient,
        *,
        thresholds: Thresholds | None = None,
        include_ids: bool = True,
        run_blocking: BlockingRunner | None = None,
        guessit: GuessProcess | None = None,
        quiet: bool = False,
    ) -> None:
        """Decide with `thresholds`; put `{tmdb-N}`/`{tvdb-N}` in folder names if `include_ids`.

        Names are read in the guessit process `guessit` (a lane of the program's
        `GuessitProcesses`; without one, in an executor thread of this process). `quiet`:
        nothing above debug in the log, for names a remote client sends (it must not be able
        to write the log at will).
        """
        self._tmdb = tmdb
        self.thresholds = thresholds or Thresholds()
        self._include_ids = include_ids
        self._run_blocking = run_blocking or run_in_default_executor
        self._guessit = guessit
        self._quiet = quiet
        # guessit is pure Python: threads add no speed, only contention for the GIL with the
        # event loop's thread. One parse at a time keeps the loop's stalls short.
        self._parsing = asyncio.Semaphore(1)

    def deciding_with(self, thresholds: Thresholds) -> Identifier:
        """This identifier deciding with other `thresholds`, for one call.

        It shares the TMDb client and reads one name at a time with this one.
        """
        other = copy.copy(self)
        other.thresholds = thresholds
        return other

    async def identify(
        self, path: str | bytes | PurePath, *, root: str | PurePath | None = None
    ) -> Identification:
        """Identify one file (guessit runs in an executor job, never on the event loop)."""
        return await self.identify_parsed(await self.parse(path, root=root))

    async def parse(
        self, path: str | bytes | PurePath, *, root: str | PurePath | None = None
    ) -> ParsedName:
        """What `path` says about the file (read in an executor job, one at a time)."""
        async with self._parsing:
            parsed: ParsedName = await self._run_blocking(
                partial(parse, path, root, guessit=self._guessit)
            )
        return parsed

    async def identify_parsed(self, parsed: ParsedName) -> Identification:
        """Identify a file whose name is already parsed."""
        early = skip_verdict(parsed)
        if early is not None:
            return Identification(parsed.path, parsed, early.decision, 0.0, early.reasons)
        try:
            verdict, hint_reasons = await self._verdict(parsed)
            found = await self._complete(parsed, verdict, hint_reasons)
        except TMDbAuthError:
            raise
        except TMDbError as err:
            # An outage is logged once by the client's Availability, not once per file; the
            # provider's identifications (quiet) only ever at debug.
            if self._quiet:
                _LOGGER.debug("TMDb failed while identifying %s: %s", parsed.path, err)
            else:
                log_failure(_LOGGER, err, "TMDb failed while identifying %s: %s", parsed.path, err)
            return Identification(parsed.path, parsed, Decision.MANUAL, 0.0, (TMDB_UNAVAILABLE,))
        return found

    async def _verdict(self, parsed: ParsedName) -> tuple[Verdict, tuple[str, ...]]:
        hinted, hint_reasons = await self._hinted(parsed)
        best: Verdict | None = None
        doubts: list[str] = []
        for reading in readings(parsed):
            candidates = await find_candidates(self._tmdb, parsed.kind, reading)
            verdict = decide(parsed, reading, candidates, self.thresholds, hinted=hinted)
            doubts.extend(verdict.reasons)
            best = verdict if best is None else better(best, verdict)
            if best.decision is Decision.AUTO:
                return best, hint_reasons
        assert best is not None  # noqa: S101 (skip_verdict() handled names without readings)
        # Not decided: every reading's doubts explain why (a year that contradicts an ID, say).
        if best.best is not None:
            doubts = [d for d in doubts if d != NO_CANDIDATES]  # another reading found some
        return replace(best, reasons=tuple(dict.fromkeys((*best.reasons, *doubts)))), hint_reasons

    async def _hinted(self, parsed: ParsedName) -> tuple[Candidate | None, tuple[str, ...]]:
        """What an ID written in the name points at (TMDb first, then IMDb, then TVDB)."""
        ids = parsed.ids
        movie = parsed.kind is Kind.MOVIE
        try:
            if ids.tmdb is not None:
                if movie:
                    return await self._tmdb.movie(ids.tmdb), ()
                return (await self._tmdb.tv(ids.tmdb)).candidate, ()
            found: tuple[Candidate, ...] = ()
            if ids.imdb is not None:
                found = await self._tmdb.find(ids.imdb, "imdb_id")
            elif ids.tvdb is not None:
                found = await self._tmdb.find(str(ids.tvdb), "tvdb_id")
            else:
                return None, ()
        except TMDbNotFoundError:
            return None, (ID_HINT_NOT_FOUND,)
        wanted = "movie" if movie else "tv"
        match = next((c for c in found if c.media_type == wanted), None)
        return match, () if match is not None else (ID_HINT_NOT_FOUND,)

    async def complete(self, parsed: ParsedName, verdict: Verdict) -> Identification:
        """An Identification for a verdict reached elsewhere (a person's choice in review)."""
        return await self._complete(parsed, verdict, ())

    async def _complete(
        self, parsed: ParsedName, verdict: Verdict, hint_reasons: tuple[str, ...]
    ) -> Identification:
        """Turn a verdict into an Identification: episode details, library and target."""
        reasons = list(dict.fromkeys((*verdict.reasons, *hint_reasons)))
        best = verdict.best
        decision = verdict.decision
        base = Identification(
            parsed.path, parsed, decision, verdict.confidence, tuple(reasons),
            best.candidate if best else None, verdict.ranked,
        )  # fmt: skip
        if best is None or decision is Decision.MANUAL:
            return base
        match = best.candidate
        extension = parsed.extension or ".mkv"
        quality = " ".join(q for q in (parsed.screen_size, parsed.source) if q) or None
        if match.media_type == "movie":
            name = MovieName(
                title=match.title, year=match.year, tmdb_id=match.tmdb_id,
                imdb_id=match.imdb_id, edition=parsed.edition, part=parsed.part, quality=quality,
            )  # fmt: skip
            try:
                target = movie_path(name, extension, include_ids=self._include_ids)
            except ValueError as err:
                return _unnameable(base, err, quiet=self._quiet)
            return replace(base, library="movies", target=target)
        # A show read with its translations (a foreign name) is completed from that answer.
        translated = match.translated_titles is not None
        show = await self._tmdb.tv(match.tmdb_id, translations=translated)
        season, episodes, episode_title = await self._episode(parsed, show, reasons)
        confidence = verdict.confidence
        if season is not None and episodes:
            sure = confirm_episode(verdict, self.thresholds, parsed.episode_title, episode_title)
            if sure is not verdict:  # sure without popularity (evidence.py)
                decision, confidence = sure.decision, sure.confidence
                reasons = [*sure.reasons, *(r for r in reasons if r not in verdict.reasons)]
        if decision is Decision.AUTO and (NO_SEASON in reasons or EPISODE_NOT_FOUND in reasons):
            decision = Decision.REVIEW
        name_ = EpisodeName(
            show=match.title, year=match.year, season=season, episodes=episodes,
            episode_title=episode_title, air_date=parsed.air_date,
            tvdb_id=show.candidate.tvdb_id, tmdb_id=match.tmdb_id, quality=quality,
        )  # fmt: skip
        found = replace(
            base,
            decision=decision,
            confidence=confidence,
            reasons=tuple(reasons),
            match=show.candidate,
            season=season,
            episodes=episodes,
            episode_title=episode_title,
            tvdb_id=show.candidate.tvdb_id,
        )
        try:
            target = episode_path(name_, extension, include_ids=self._include_ids)
        except ValueError as err:
            return _unnameable(found, err, quiet=self._quiet)
        return replace(found, library="tv", target=target)

    async def _episode(
        self, parsed: ParsedName, show: ShowDetails, reasons: list[str]
    ) -> tuple[int | None, tuple[int, ...], str | None]:
        """Season, episodes and TMDb's episode title for a file; doubts join `reasons`."""
        season, episodes = parsed.season, parsed.episodes
        if season is None and parsed.air_date is None:
            # Absolute numbering: TMDb's absolute order places it, else a person picks.
            placed = await place(self._tmdb, show, episodes) if episodes else None
            if placed is not None:
                reasons.append(placed.reason)
            if placed is None or placed.season is None:
                reasons.append(NO_SEASON)
                season = 1
            else:
                season, episodes = placed.season, placed.episodes
        episode_title: str | None = None
        if season is not None and episodes:
            episode_title = await self._episode_title(show.candidate.tmdb_id, season, episodes)
            if episode_title is None:
                reasons.append(EPISODE_NOT_FOUND)
        return season, episodes, episode_title

    async def _episode_title(
        self, tmdb_id: int, season_number: int, episodes: tuple[int, ...]
    ) -> str | None:
        try:
            season = await self._tmdb.season(tmdb_id, season_number)
        except TMDbNotFoundError:
            return None
        first = season.episode(episodes[0])
        return first.name if first is not None else None


def _unnameable(found: Identification, err: ValueError, *, quiet: bool) -> Identification:
    """A match that has no Plex name (episodes 1 and 3 in one file, part 12 of a film...)."""
    level = logging.DEBUG if quiet else logging.INFO
    _LOGGER.log(level, "No Plex name for %s: %s", found.path, err)
    return replace(found, decision=Decision.MANUAL, reasons=(*found.reasons, UNNAMEABLE))
