"""The Stash provider's answer to a match request: the scenes whose file has the file's name.

Plex sends the file's path relative to its library (`filename`); only its last part counts,
compared exactly with the names of the scenes' files in Stash (not the folders: Stash's and
Plex's may be mounted differently). When several scenes have a file of that name, those
whose Stash path ends with more of the relative path's folders come first, then by Stash's
id. Plex's scans get the first; "Fix Match..." (`manual`) gets up to `MANUAL_RESULTS`.
Nothing found, or a request for anything but a movie, is an empty list, never an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from .documents import MetadataType
from .requests import MANUAL_RESULTS
from .stash_documents import stash_container
from .stash_metadata import scene_metadata

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..stash.client import StashClient
    from ..stash.models import StashScene
    from .requests import MatchRequest

EXACT_SCORE: Final = 100


def wanted_file_name(request: MatchRequest) -> str | None:
    """The file name to look for: that of a movie's file, else None (nothing to look for)."""
    if request.type is not MetadataType.MOVIE:
        return None
    return request.file_name


def ranked(scenes: Sequence[StashScene], request: MatchRequest) -> list[StashScene]:
    """The scenes with a file named as the request's, the likeliest first."""
    name = wanted_file_name(request)
    if name is None:
        return []
    wanted = _parts(request.filename or "")

    def shared(scene: StashScene) -> int:
        return max(_shared_tail(wanted, _parts(f.path)) for f in scene.files)

    exact = {s.id: s for s in scenes if s.has_file_named(name)}.values()
    return sorted(exact, key=lambda s: (-shared(s), int(s.id)))


def match_answer(
    scenes: Sequence[StashScene], request: MatchRequest, base_url: str, *, letterbox: bool = True
) -> dict[str, Any]:
    """The match answer for `request` among `scenes` (the provider's envelope)."""
    found = ranked(scenes, request)[: MANUAL_RESULTS if request.manual else 1]
    documents = [
        scene_metadata(s, base_url, letterbox=letterbox) | {"score": EXACT_SCORE} for s in found
    ]
    return stash_container(documents)


async def find_matches(
    client: StashClient, request: MatchRequest, base_url: str, *, letterbox: bool = True
) -> dict[str, Any]:
    """Ask Stash for the request's file name and answer with what it has."""
    name = wanted_file_name(request)
    scenes = await client.scenes_by_file_name(name) if name else ()
    return match_answer(scenes, request, base_url, letterbox=letterbox)


def _parts(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p]


def _shared_tail(mine: list[str], theirs: list[str]) -> int:
    """How many trailing parts two paths share (requests.from_history ranks the same way)."""
    shared = 0
    for a, b in zip(reversed(mine), reversed(theirs), strict=False):
        if a != b:
            break
        shared += 1
    return shared
