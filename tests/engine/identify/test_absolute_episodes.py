"""Absolute episode numbers placed in a season through TMDb's "Absolute" episode groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.identify.absolute_episodes import (
    ABSOLUTE_EPISODE_NOT_FOUND,
    ABSOLUTE_EPISODES_SPLIT,
    ABSOLUTE_ORDER,
    ABSOLUTE_ORDERS_DISAGREE,
    NO_ABSOLUTE_ORDER,
    place,
    place_in,
    positions,
)
from custom_components.videodrome.engine.identify.identifier import NO_SEASON, UNNAMEABLE
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.score import Decision, Verdict
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.engine.tmdb.errors import TMDbNotFoundError
from custom_components.videodrome.engine.tmdb.models import (
    EpisodeGroup,
    EpisodeGroupPart,
    EpisodeGroupSummary,
    GroupedEpisode,
    ShowDetails,
)
from tests.emulators.catalogue import Catalogue
from tests.emulators.hard_cases import ABSOLUTE, HardCase
from tests.emulators.tmdb import TMDbEmulator
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    import aiohttp

    from tests.engine.identify.conftest import Start

FIXTURES = Path(__file__).parents[2] / "fixtures" / "tmdb"


def _group(*parts: tuple[int, list[tuple[int, int, int]]], group_id: str = "g") -> EpisodeGroup:
    """Parts as (order, [(order, season, episode)...])."""
    return EpisodeGroup(
        group_id,
        "Absolute",
        2,
        tuple(
            EpisodeGroupPart(order, f"Part {order}", tuple(
                GroupedEpisode(o, s, e, f"S{s}E{e}") for o, s, e in episodes
            ))
            for order, episodes in parts
        ),
    )  # fmt: skip


def test_positions_follow_the_orders_and_leave_specials_out() -> None:
    group = _group(
        (2, [(0, 2, 1), (1, 2, 2)]),
        (1, [(1, 1, 2), (0, 1, 1), (2, 0, 1), (3, 1, 3)]),  # listed out of order, a special
    )
    assert positions(group) == {1: (1, 1), 2: (1, 2), 3: (1, 3), 4: (2, 1), 5: (2, 2)}


def test_place_in_one_group() -> None:
    group = _group((1, [(0, 1, 1), (1, 1, 2), (2, 2, 1)]))
    assert place_in(group, (2,)).season == 1
    assert place_in(group, (3,)) == place_in(group, (3,))
    assert (place_in(group, (3,)).season, place_in(group, (3,)).episodes) == (2, (1,))
    assert place_in(group, (1, 2)).episodes == (1, 2)
    assert place_in(group, (2, 3)).reason == ABSOLUTE_EPISODES_SPLIT
    assert place_in(group, (9,)).reason == ABSOLUTE_EPISODE_NOT_FOUND
    assert not place_in(group, ()).found


def test_tmdbs_recorded_episode_group_is_read() -> None:
    """tmdblib-wiremock's tv/episode_group/5acf93e60e0a26346d0000ce (a Netflix order)."""
    recorded = json.loads((FIXTURES / "episode_group.json").read_text(encoding="utf-8"))
    group = EpisodeGroup.from_json(recorded["Response"]["BodyAsJson"], "x")
    assert (group.group_id, group.name, group.type) == (
        "5acf93e60e0a26346d0000ce", "Netflix Collections", 4,
    )  # fmt: skip
    assert len(group.parts) == 6
    assert sum(len(p.episodes) for p in group.parts) == 83
    first = group.parts[0]
    assert (first.order, first.name) == (1, "First Cup")
    assert (first.episodes[0].season_number, first.episodes[0].episode_number) == (6, 3)
    assert positions(group)[1] == (6, 3)
    with_groups = json.loads((FIXTURES / "tv_with_episode_groups.json").read_text("utf-8"))
    show = ShowDetails.from_json(with_groups["Response"]["BodyAsJson"])
    assert show is not None
    assert [(g.name, g.type) for g in show.episode_groups][-1] == ("Production Order", 6)
    assert EpisodeGroup.from_json({"groups": [{"episodes": [{"order": 0}]}]}, "y").parts[0] == (
        EpisodeGroupPart(0, "", ())
    )


class _Groups:
    """A TMDb client stand-in answering `episode_group()` from a table (for the branches)."""

    def __init__(self, groups: dict[str, EpisodeGroup | None]) -> None:
        self.groups = groups
        self.asked: list[str] = []

    async def episode_group(self, group_id: str) -> EpisodeGroup:
        self.asked.append(group_id)
        group = self.groups[group_id]
        if group is None:
            raise TMDbNotFoundError(group_id)
        return group


def _show(*summaries: tuple[str, int]) -> ShowDetails:
    show = ShowDetails.from_json({"id": 1, "name": "Show"})
    assert show is not None
    groups = tuple(EpisodeGroupSummary(i, i, t, 0) for i, t in summaries)
    return ShowDetails(show.candidate, (), groups)


@pytest.mark.parametrize(
    ("summaries", "groups", "reason", "season"),
    [
        ((), {}, NO_ABSOLUTE_ORDER, None),
        ((("dvd", 3),), {}, NO_ABSOLUTE_ORDER, None),  # only other orders
        ((("a", 2),), {"a": None}, NO_ABSOLUTE_ORDER, None),  # listed, then gone (404)
        ((("a", 2),), {"a": _group((1, [(0, 1, 1), (1, 2, 1)]))}, ABSOLUTE_ORDER, 2),
        ((("a", 2), ("b", 2)), {
            "a": _group((1, [(0, 1, 1), (1, 2, 1)])),
            "b": _group((1, [(0, 1, 1), (1, 2, 1)])),
        }, ABSOLUTE_ORDER, 2),
        ((("a", 2), ("b", 2)), {
            "a": _group((1, [(0, 1, 1), (1, 2, 1)])),
            "b": _group((1, [(0, 1, 1), (1, 1, 2)])),
        }, ABSOLUTE_ORDERS_DISAGREE, None),
        ((("a", 2), ("b", 2)), {
            "a": _group((1, [(0, 1, 1), (1, 2, 1)])),
            "b": _group((1, [(0, 1, 1)])),
        }, ABSOLUTE_ORDERS_DISAGREE, None),
        ((("a", 2),), {"a": _group((1, [(0, 1, 1)]))}, ABSOLUTE_EPISODE_NOT_FOUND, None),
    ],
)  # fmt: skip
async def test_place_through_the_shows_groups(
    summaries: tuple[tuple[str, int], ...],
    groups: dict[str, EpisodeGroup | None],
    reason: str,
    season: int | None,
) -> None:
    tmdb = _Groups(groups)
    placed = await place(tmdb, _show(*summaries), (2,))  # type: ignore[arg-type]
    assert (placed.reason, placed.season) == (reason, season)
    assert "dvd" not in tmdb.asked  # only absolute orders are fetched


@pytest.mark.parametrize("case", ABSOLUTE, ids=lambda c: c.name)
async def test_anime_numbering_is_filed_by_season(hard_tmdb: Start, case: HardCase) -> None:
    _, identifier = await hard_tmdb("absolute")
    found = await identifier.identify(case.name)
    assert found.match is not None
    assert found.match.tmdb_id == case.tmdb_id
    if case.expected_auto:
        assert found.decision is Decision.AUTO, found.reasons
        assert (found.season, found.episodes) == (case.season, case.episodes)
        assert ABSOLUTE_ORDER in found.reasons
        assert found.target is not None
        assert f"s{case.season:02d}e{case.episodes[0]:02d}" in found.target.name
        assert found.target.parts[1] == f"Season {case.season:02d}"
    else:  # no absolute order on TMDb: a person picks the season, as before
        assert found.decision is Decision.REVIEW
        assert {NO_ABSOLUTE_ORDER, NO_SEASON} <= set(found.reasons)


async def test_a_show_chosen_for_a_name_without_numbers_still_needs_its_season(
    hard_tmdb: Start,
) -> None:
    """A show chosen for a file whose name has no episode: no season, no Plex name (manual)."""
    _, identifier = await hard_tmdb("absolute")
    parsed = parse("One Piece.mkv")
    show = (await identifier.identify("[SubsPlease] One Piece - 1071 (1080p).mkv")).ranked[0]
    verdict = Verdict(Decision.AUTO, 1.0, show, (show,), ("approved",), parsed.readings[0])
    found = await identifier.complete(parsed, verdict)
    assert (found.season, found.episodes) == (1, ())
    assert {NO_SEASON, UNNAMEABLE} <= set(found.reasons)
    assert found.decision is Decision.MANUAL


async def test_the_group_is_asked_for_once_per_show(hard_tmdb: Start) -> None:
    emulator, identifier = await hard_tmdb("absolute")
    for number in (1071, 1072, 1073):
        await identifier.identify(f"[SubsPlease] One Piece - {number} (1080p).mkv")
    assert emulator.counts["tv/episode_group"] == 1
    assert emulator.counts["tv"] == 1
    assert emulator.counts["tv/season"] == 1  # all three are in season 22


async def test_the_group_list_comes_with_the_show(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """`tv()` appends the episode groups: no request of their own."""
    doc = {"shows": [{"tmdb_id": 7, "tvdb_id": None, "imdb_id": None, "name": "Anime",
                      "original_name": "Anime", "original_language": "ja",
                      "first_air_date": "2001-01-01",
                      "seasons": [{"season_number": 1, "episode_count": 2}],
                      "episode_groups": [{"name": "Absolute", "type": 2, "groups": [
                          {"name": "All", "episodes": [[1, 1], [1, 2]]}]}]}]}  # fmt: skip
    async with TMDbEmulator(Catalogue.from_dict(doc), api_key=TMDB_KEY) as emulator:
        tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=emulator.url)
        show = await tmdb.tv(7)
        assert [(g.type, g.name) for g in show.episode_groups] == [(2, "Absolute")]
        group = await tmdb.episode_group(show.episode_groups[0].group_id)
        assert positions(group) == {1: (1, 1), 2: (1, 2)}
        assert set(emulator.counts) == {"tv", "tv/episode_group"}
        assert emulator.requests[0].query["append_to_response"] == (
            "alternative_titles,external_ids,episode_groups"
        )
