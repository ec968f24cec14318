"""How the emulated Plex server describes sections and items (the recordings' shapes)."""

from __future__ import annotations

from pathlib import PurePath
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.emulators.plex_library import Item, PlexLibrary, Section

_RESOLUTION = re.compile(r"(2160|1080|720|576|480)[pi]", re.IGNORECASE)
_RESOLUTION_NAMES = {"2160": "4k", "1080": "1080", "720": "720", "576": "576", "480": "480"}
_HEVC = re.compile(r"x265|h\.?265|hevc", re.IGNORECASE)
_THUMBS = {"movie": "/:/resources/movie.png", "show": "/:/resources/show.png"}


def section_json(section: Section) -> dict[str, Any]:
    """One `Directory` of `/library/sections`."""
    return {
        "allowSync": True,
        "art": f"/:/resources/{section.type}-fanart.jpg",
        "composite": f"/library/sections/{section.key}/composite/{section.updated_at}",
        "filters": True,
        "refreshing": section.refreshing,
        "thumb": _THUMBS.get(section.type, "/:/resources/movie.png"),
        "key": str(section.key),
        "type": section.type,
        "title": section.title,
        "agent": section.agent,
        "scanner": section.scanner,
        "language": section.language,
        "uuid": section.uuid,
        "updatedAt": section.updated_at,
        "createdAt": section.created_at,
        "scannedAt": section.scanned_at,
        "content": True,
        "directory": True,
        "contentChangedAt": section.scanned_at,
        "Location": [{"id": loc.id, "path": loc.path} for loc in section.locations],
    }


def _media(item: Item) -> list[dict[str, Any]]:
    media = []
    for number, (file, size) in enumerate(item.files, start=1):
        suffix = PurePath(file).suffix.lstrip(".").lower()
        found = _RESOLUTION.search(PurePath(file).name)
        resolution = _RESOLUTION_NAMES[found.group(1)] if found else "sd"
        part_id = item.rating_key * 10 + number
        media.append(
            {
                "id": part_id,
                "duration": 5400000 if item.type == "movie" else 2700000,
                "container": suffix,
                "videoResolution": resolution,
                "videoCodec": "hevc" if _HEVC.search(file) else "h264",
                "bitrate": max(1, size * 8 // 5400 // 1000),
                "Part": [
                    {
                        "id": part_id,
                        "key": f"/library/parts/{part_id}/{item.updated_at}/file.{suffix}",
                        "duration": 5400000 if item.type == "movie" else 2700000,
                        "file": file,
                        "size": size,
                        "container": suffix,
                    }
                ],
            }
        )
    return media


def item_json(
    library: PlexLibrary, item: Item, *, guids: bool = False, detailed: bool = False
) -> dict[str, Any]:
    """One `Metadata` entry: movie, show, season or episode."""
    children = item.type in {"show", "season"}
    data: dict[str, Any] = {
        "ratingKey": str(item.rating_key),
        "key": f"/library/metadata/{item.rating_key}" + ("/children" if children else ""),
        "guid": item.guid,
        "type": item.type,
        "title": item.title,
        "summary": "",
        # No thumb when Plex found no poster for the item.
        **({} if item.poster is None else {"thumb": _thumb(item)}),
        "addedAt": item.added_at,
        "updatedAt": item.updated_at,
    }
    if detailed:
        section = library.sections[item.section_key]
        data |= {
            "librarySectionID": section.key,
            "librarySectionKey": f"/library/sections/{section.key}",
            "librarySectionTitle": section.title,
        }
    if item.year is not None and item.type != "season":
        data["year"] = item.year
    if item.originally_available_at:
        data["originallyAvailableAt"] = item.originally_available_at
    if item.type in {"season", "episode"}:
        data |= _parents(library, item)
    if item.index is not None:
        data["index"] = item.index
    if children:
        leaves = library.leaves(item)
        data["leafCount"] = len(leaves)
        data["viewedLeafCount"] = sum(1 for leaf in leaves if leaf.view_count)
        if item.type == "show":
            data["childCount"] = len(library.children(item.rating_key))
    else:
        if item.view_count:
            data["viewCount"] = item.view_count
            data["lastViewedAt"] = item.updated_at
        data["Media"] = _media(item)
    if guids and item.guids:
        data["Guid"] = [{"id": guid} for guid in item.guids]
    return data | _locations(library, item, detailed=detailed)


def _locations(library: PlexLibrary, item: Item, *, detailed: bool) -> dict[str, Any]:
    """A show's folders, in its metadata (not in listings: the recordings have them there)."""
    if not detailed or item.type != "show":
        return {}
    return {"Location": [{"path": path} for path in show_folders(library, item)]}


def show_folders(library: PlexLibrary, show: Item) -> list[str]:
    """The folders a show's episodes are in (each one a section location's child), as Plex
    lists them in the `Location` of a show's metadata."""
    roots = [PurePath(loc.path) for loc in library.sections[show.section_key].locations]
    folders: set[str] = set()
    for leaf in library.leaves(show):
        for file, _ in leaf.files:
            path = PurePath(file)
            root = next((r for r in roots if path.is_relative_to(r)), None)
            if root is not None and len(path.relative_to(root).parts) > 1:
                folders.add(str(root / path.relative_to(root).parts[0]))
    return sorted(folders)


def _thumb(item: Item) -> str:
    return f"/library/metadata/{item.rating_key}/thumb/{item.updated_at}"


def _parents(library: PlexLibrary, item: Item) -> dict[str, Any]:
    parent = library.items.get(item.parent_key) if item.parent_key else None
    if parent is None:
        return {}
    data: dict[str, Any] = {
        "parentRatingKey": str(parent.rating_key),
        "parentKey": f"/library/metadata/{parent.rating_key}",
        "parentTitle": parent.title,
        "parentGuid": parent.guid,
    }
    if item.type == "episode":
        data["parentIndex"] = parent.index
        show = library.items.get(parent.parent_key) if parent.parent_key else None
        if show is not None:
            data |= {
                "grandparentRatingKey": str(show.rating_key),
                "grandparentKey": f"/library/metadata/{show.rating_key}",
                "grandparentTitle": show.title,
                "grandparentGuid": show.guid,
            }
    return data
