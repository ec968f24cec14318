"""The TMDb emulator's episode groups: `/tv/{id}/episode_groups`, `/tv/episode_group/{id}`.

Shapes as TMDb's recorded answers: the list as tmdblib-wiremock's tv/1400 with
`append_to_response=episode_groups` (and swift-tmdb's tv-series-episode-groups.json for the
endpoint itself: the list under `results`, with the show's `id`); one group as tmdblib-wiremock's
tv/episode_group/5acf93e60e0a26346d0000ce (copied to tests/fixtures/tmdb). A group's `groups`
are its parts in `order` (from 1), each listing episodes as a season lists them plus their
`order` in the part (from 0). `network` is null for groups no network made, as in tv/1400's list.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.emulators.catalogue import CatalogueEpisodeGroup, CatalogueShow


def group_id(show: CatalogueShow, index: int) -> str:
    """A stable 24-hex-digit id (TMDb's are MongoDB object ids) for a show's `index`th group."""
    return hashlib.sha256(f"episode_group/{show.tmdb_id}/{index}".encode()).hexdigest()[:24]


def _episodes(group: CatalogueEpisodeGroup) -> int:
    return sum(len(episodes) for _, episodes in group.groups)


def group_summaries(show: CatalogueShow) -> list[dict[str, Any]]:
    """The `results` of /tv/{id}/episode_groups."""
    return [
        {
            "description": group.description,
            "episode_count": _episodes(group),
            "group_count": len(group.groups),
            "id": group_id(show, index),
            "name": group.name,
            "network": None,
            "type": group.type,
        }
        for index, group in enumerate(show.episode_groups)
    ]


def find_group(
    shows: dict[int, CatalogueShow], wanted: str
) -> tuple[CatalogueShow, CatalogueEpisodeGroup, int] | None:
    """The show and group with id `wanted`, and the group's index, if there is one."""
    for show in shows.values():
        for index, group in enumerate(show.episode_groups):
            if group_id(show, index) == wanted:
                return show, group, index
    return None


def group_details(
    show: CatalogueShow,
    group: CatalogueEpisodeGroup,
    index: int,
    episode: Callable[[int, int], dict[str, Any] | None],
) -> dict[str, Any]:
    """GET /tv/episode_group/{id}; `episode(season, number)` is the season's view of one."""
    parts = []
    for order, (name, pairs) in enumerate(group.groups, start=1):
        listed = [episode(season, number) for season, number in pairs]
        parts.append(
            {
                "id": hashlib.sha256(f"{group_id(show, index)}/{order}".encode()).hexdigest()[:24],
                "name": name,
                "order": order,
                "episodes": [
                    {**found, "order": position}
                    for position, found in enumerate(e for e in listed if e is not None)
                ],
                "locked": True,
            }
        )
    return {
        "description": group.description,
        "episode_count": _episodes(group),
        "group_count": len(group.groups),
        "groups": parts,
        "id": group_id(show, index),
        "name": group.name,
        "network": None,
        "type": group.type,
    }
