"""Absolute episode numbers (`[Group] Show - 1071 [1080p].mkv`) placed in a season, through TMDb.

Anime releases number episodes from the first to the last, across seasons. Plex files episodes
by season and number, and TMDb keeps the absolute order as an episode group of type 2
("Absolute"), listed with the show's details (`append_to_response=episode_groups`, no request
of its own). `place()` fetches that group (one request per show, cached like every TMDb answer)
and finds the episode at each absolute position: its season and number as aired.

Counting: the group's parts are taken in their `order`, and the episodes of each in theirs;
the first episode is number 1. Specials (season 0) that a group lists are not counted: release
groups number the series' episodes, and a recap listed between them would shift every number
after it.

When a show has no absolute group, when the number is past the group's end, when two
absolute groups disagree, or when the episodes of one file land in different seasons, the
file goes to review with a reason code (a person picks the season, as before).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..tmdb.errors import TMDbNotFoundError

if TYPE_CHECKING:
    from ..tmdb.client import TMDbClient
    from ..tmdb.models import EpisodeGroup, ShowDetails

# TMDb's episode group type for the absolute order.
ABSOLUTE = 2
# More absolute groups than this are not all fetched (TMDb's shows have one, rarely two).
MAX_GROUPS = 3

# Reason codes: informative for a placed file, doubts for the others.
ABSOLUTE_ORDER = "absolute_order"
NO_ABSOLUTE_ORDER = "no_absolute_order"
ABSOLUTE_EPISODE_NOT_FOUND = "absolute_episode_not_found"
ABSOLUTE_ORDERS_DISAGREE = "absolute_orders_disagree"
ABSOLUTE_EPISODES_SPLIT = "absolute_episodes_split"


@dataclass(frozen=True, slots=True)
class Placed:
    """Where absolute numbers land: one season and its episode numbers (or why not)."""

    season: int | None
    episodes: tuple[int, ...]
    reason: str

    @property
    def found(self) -> bool:
        """Whether every number has its place."""
        return self.season is not None


def positions(group: EpisodeGroup) -> dict[int, tuple[int, int]]:
    """Absolute number -> (season, episode as aired), for one episode group."""
    ordered = [
        (episode.season_number, episode.episode_number)
        for part in sorted(group.parts, key=lambda p: p.order)
        for episode in sorted(part.episodes, key=lambda e: e.order)
        if episode.season_number > 0
    ]
    return dict(enumerate(ordered, start=1))


def place_in(group: EpisodeGroup, absolute: tuple[int, ...]) -> Placed:
    """Where `absolute` numbers land in one group."""
    table = positions(group)
    found = [table.get(number) for number in absolute]
    places = [p for p in found if p is not None]
    if not absolute or len(places) != len(found):
        return Placed(None, (), ABSOLUTE_EPISODE_NOT_FOUND)
    seasons = {season for season, _ in places}
    if len(seasons) > 1:
        return Placed(None, (), ABSOLUTE_EPISODES_SPLIT)
    return Placed(seasons.pop(), tuple(episode for _, episode in places), ABSOLUTE_ORDER)


async def place(tmdb: TMDbClient, show: ShowDetails, absolute: tuple[int, ...]) -> Placed:
    """Season and episodes for `absolute` numbers of `show`, through its absolute groups."""
    groups = [g for g in show.episode_groups if g.type == ABSOLUTE][:MAX_GROUPS]
    answers: list[Placed] = []
    for summary in groups:
        try:
            group = await tmdb.episode_group(summary.group_id)
        except TMDbNotFoundError:
            continue  # listed but gone: as if it were not listed
        answers.append(place_in(group, absolute))
    if not answers:
        return Placed(None, (), NO_ABSOLUTE_ORDER)
    found = [a for a in answers if a.found]
    if not found:
        return answers[0]
    if len(found) != len(answers) or len({(a.season, a.episodes) for a in found}) > 1:
        return Placed(None, (), ABSOLUTE_ORDERS_DISAGREE)  # two orders, two answers
    return found[0]
