"""Versions in the emulated Plex: several files of one film or episode as one item.

Plex Media Server shows the files of one film that sit in the film's own folder as versions of
one item (one `Metadata` with several `Media`, each with its `Part`s: python-plexapi's
`Video.media`, `Media.parts`), and the files of one show that name the same season and episode
as versions of that episode. The recording in ../shared/corpora
(plex-api-spec-captures, `library/sections/{key}/all`) has the shape: "Alien: Covenant" with
`Alien Covenant (2017) Bluray-2160p.mkv` and `… Bluray-1080p.mp4`, one `Media` each.

A scanner that does not group (`PlexLibrary.group_versions = False`, the way Plex treats a
file it matched on its own) makes a separate item; `PUT /library/metadata/{key}/merge?ids=…`
(python-plexapi's `merge()`) then puts the other items' files under `key`, as Plex does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item, PlexLibrary, Section


def movie_version(
    library: PlexLibrary, section: Section, path: Path, location: Path
) -> Item | None:
    """The film whose own folder (not the section's root) already holds another of its files."""
    folder = path.parent
    if not library.group_versions or folder == location:
        return None
    for item in library.items.values():
        if (
            item.type == "movie"
            and item.section_key == section.key
            and any(Path(file).parent == folder for file, _ in item.files)
        ):
            return item
    return None


def episode_version(library: PlexLibrary, season: Item, number: int) -> Item | None:
    """The episode of this season with this number, when the scanner groups versions."""
    if not library.group_versions:
        return None
    return next((e for e in library.children(season.rating_key) if e.index == number), None)


def add_routes(emulator: PlexEmulator) -> None:
    """Serve Plex's merge endpoint from `emulator`'s app."""

    async def merge(request: web.Request) -> web.Response:
        # plex_library imports this module: its notification entries are imported when used.
        from tests.emulators.plex_library import timeline_entries  # noqa: PLC0415

        library = emulator.library
        target = library.items.get(int(request.match_info["key"]))
        ids = [int(i) for i in request.query.get("ids", "").split(",") if i.strip().isdigit()]
        others = [library.items.get(i) for i in ids]
        if target is None or not ids or any(o is None or o.type != target.type for o in others):
            return web.Response(status=400)
        for other in others:
            assert other is not None
            target.files.extend(other.files)
            del library.items[other.rating_key]
        await emulator.broadcast(
            {
                "NotificationContainer": {
                    "type": "timeline",
                    "size": 1,
                    "TimelineEntry": timeline_entries(target, (5,))
                    + [e for o in others if o for e in timeline_entries(o, (9,))],
                }
            }
        )
        return web.Response(status=200)

    emulator.app.router.add_put("/library/metadata/{key:\\d+}/merge", merge)
