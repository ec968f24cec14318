"""Which seasons and episodes of a show Plex holds, lacks against TMDb's list, and has watched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ..tmdb.models import SeasonSummary
    from .records import Item

_DASH = "\u2013"  # en dash, as in "seasons 1–4"  # noqa: RUF003


@dataclass(frozen=True, slots=True)
class SeasonState:
    """One season held by Plex, against what TMDb lists."""

    number: int
    present: int
    expected: int | None
    missing: tuple[tuple[int, int], ...]
    viewed: int


@dataclass(frozen=True, slots=True)
class ShowSeasons:
    """Which seasons and episodes of a show Plex holds, lacks, and has watched."""

    seasons: tuple[SeasonState, ...]
    missing_seasons: tuple[int, ...]

    @property
    def present_seasons(self) -> tuple[int, ...]:
        """Season numbers with at least one episode in Plex."""
        return tuple(s.number for s in self.seasons)

    @property
    def missing_episodes(self) -> dict[int, tuple[tuple[int, int], ...]]:
        """Per season with gaps: the missing episode numbers as (first, last) ranges."""
        return {s.number: s.missing for s in self.seasons if s.missing}

    @property
    def watched(self) -> dict[int, tuple[int, int]]:
        """Per present season: (episodes watched, episodes held)."""
        return {s.number: (s.viewed, s.present) for s in self.seasons}

    def summary(self) -> str:
        """In words: "seasons 1-4 present, season 5 missing; season 3 is missing episode 7"."""
        regular = [n for n in self.present_seasons if n > 0]
        parts = [
            f"{_plural('season', regular)} {_describe(_ranges(regular))} present"
            if regular
            else "no seasons present"
        ]
        if self.missing_seasons:
            missing = self.missing_seasons
            parts[0] += f", {_plural('season', missing)} {_describe(_ranges(missing))} missing"
        for season in self.seasons:
            if season.missing:
                count = sum(last - first + 1 for first, last in season.missing)
                word = "episode" if count == 1 else "episodes"
                parts.append(
                    f"season {season.number} is missing {word} {_describe(season.missing)}"
                )
        done = [s.number for s in self.seasons if s.present and s.viewed == s.present]
        if done:
            parts.append(f"{_plural('season', done)} {_describe(_ranges(done))} watched")
        parts.extend(
            f"season {season.number} {_partly(season.viewed, season.present)}"
            for season in self.seasons
            if 0 < season.viewed < season.present
        )
        return "; ".join(parts)


def _plural(word: str, numbers: Sequence[int]) -> str:
    return word if len(numbers) == 1 else word + "s"


def _partly(viewed: int, total: int) -> str:
    if viewed * 2 == total:
        return "half watched"
    return f"{viewed} of {total} episodes watched"


def _ranges(numbers: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Sorted numbers as (first, last) runs: 1 2 3 5 → (1, 3), (5, 5)."""
    runs: list[tuple[int, int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return tuple(runs)


def _describe(runs: Sequence[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}{_DASH}{b}" for a, b in runs)


def show_seasons(show: Item, tmdb_seasons: Sequence[SeasonSummary] | None) -> ShowSeasons:
    """What Plex holds of `show` against TMDb's season list (None: only what is held)."""
    expected = {s.season_number: s.episode_count for s in tmdb_seasons or () if s.episode_count > 0}
    seasons = tuple(
        SeasonState(
            number=season.number,
            present=season.leaf_count,
            expected=expected.get(season.number),
            missing=_ranges(
                set(range(1, expected.get(season.number, 0) + 1)) - set(season.numbers)
            ),
            viewed=season.viewed_leaf_count,
        )
        for season in show.seasons
    )
    held = {s.number for s in show.seasons}
    # Specials (season 0) come and go on TMDb; only regular seasons count as missing.
    missing = tuple(sorted(n for n in expected if n > 0 and n not in held))
    return ShowSeasons(seasons=seasons, missing_seasons=missing)
