"""Listing a library the way Plex does: filters, sorts, paging, and the filter descriptions.

A listing's query (`/library/sections/N/all`, `/library/all`, a show's children…) may hold:

- filters `[type.]field[operator]=value[,value…]` (values are alternatives): `title` (contains,
  accents and case ignored; `title=` is, `title!` does not contain, `title<` begins with,
  `title>` ends with), the integers `year`, `viewCount`, `index`, `id` (`!` not, `>>` greater,
  `<<` less), the booleans `unwatched`, and `guid` (exact). A type prefix other than the
  listed items' own (`show.title=…` on episodes) tests their show or season;
- `sort=[type.]field[:asc|desc|nullsLast],…` (`titleSort`, `index`, `id`, `year`,
  `originallyAvailableAt`, `addedAt`, `lastViewedAt`, `viewCount`), and `limit`;
- `X-Plex-Container-Start` / `-Size`, as query parameters or headers.

`includeMeta=1` adds the `Meta` block python-plexapi reads a section's filters, sorts and field
types from; its shape is that of the recordings (plex-api-spec-captures' `get-library-all`,
Home Assistant's `library_movies_filtertypes.xml`), listing only what the emulator implements.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.emulators.plex_library import TYPE_CODES, _norm

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aiohttp import web

    from tests.emulators.plex_library import Item, PlexLibrary, Section

_FILTER = re.compile(r"^(?:(movie|show|season|episode)\.)?([A-Za-z]+)([!<>=]*)$")
_SORT = re.compile(r"^(?:(movie|show|season|episode)\.)?([A-Za-z]+)(?::([A-Za-z]+))?$")
_INTEGERS = frozenset({"year", "viewCount", "index", "id"})
_SORTABLE = (
    _INTEGERS
    | {"title", "titleSort", "guid", "originallyAvailableAt", "addedAt"}
    | {"lastViewedAt"}
)
_IGNORED = frozenset({"type", "sort", "limit", "includeGuids", "includeMeta", "includeAdvanced"})
_TYPE_NAMES = {code: name for name, code in TYPE_CODES.items()}

# The operators of each field type, exactly as servers list them (the recordings).
FIELD_TYPES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("tag", (("=", "is"), ("!=", "is not"))),
    ("integer", (
        ("=", "is"), ("!=", "is not"), (">>=", "is greater than"), ("<<=", "is less than"),
    )),
    ("string", (
        ("=", "contains"), ("!=", "does not contain"), ("==", "is"), ("!==", "is not"),
        ("<=", "begins with"), (">=", "ends with"),
    )),
    ("boolean", (("=", "is true"), ("!=", "is false"))),
    ("date", (("<<=", "is before"), (">>=", "is after"))),
    ("subtitleLanguage", (("=", "is"), ("!=", "is not"))),
    ("audioLanguage", (("=", "is"), ("!=", "is not"))),
    ("resolution", (("=", "is"),)),
)  # fmt: skip
_FIELDS = {
    "movie": (("title", "Title", "string"), ("year", "Year", "integer"),
              ("viewCount", "Plays", "integer"), ("unwatched", "Unplayed", "boolean")),
    "show": (("title", "Title", "string"), ("year", "Year", "integer"),
             ("viewCount", "Plays", "integer")),
    "season": (),
    "episode": (("title", "Title", "string"), ("year", "Year", "integer"),
                ("viewCount", "Plays", "integer"), ("unwatched", "Unplayed", "boolean")),
}  # fmt: skip
_SORTS = {
    "movie": (("titleSort", "asc", "Title"), ("year", "desc", "Year"),
              ("originallyAvailableAt", "desc", "Release Date"), ("viewCount", "desc", "Plays"),
              ("addedAt", "desc", "Date Added"), ("lastViewedAt", "desc", "Date Viewed")),
    "show": (("titleSort", "asc", "Title"), ("originallyAvailableAt", "desc", "Release Date"),
             ("addedAt", "desc", "Date Added")),
    "season": (("show.titleSort,index", "asc", "Title"),),
    "episode": (("show.titleSort,season.index:nullsLast,episode.index:nullsLast,episode.id",
                 "asc", "Season"), ("originallyAvailableAt", "desc", "Release Date"),
                ("addedAt", "desc", "Date Added"), ("lastViewedAt", "desc", "Date Viewed")),
}  # fmt: skip
_TITLES = {"movie": "Movies", "show": "TV Shows", "season": "Seasons", "episode": "Episodes"}


def params(request: web.Request) -> dict[str, str]:
    """The query with the `X-Plex-Container-*` headers (clients send paging either way)."""
    return {
        **request.query,
        **{k: v for k, v in request.headers.items() if k.startswith("X-Plex-Container")},
    }


def as_int(value: str | None) -> int | None:
    """An integer parameter, None when absent or not a number."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def page(items: list[Item], query: Mapping[str, str]) -> tuple[list[Item], int]:
    """The page a request asks for, and where it starts."""
    start = max(as_int(query.get("X-Plex-Container-Start")) or 0, 0)
    size = as_int(query.get("X-Plex-Container-Size"))
    return (items[start:] if size is None else items[start : start + max(size, 0)]), start


def ancestor(library: PlexLibrary, item: Item, kind: str) -> Item | None:
    """`item` itself when it is of `kind`, else its season or show of that kind."""
    current: Item | None = item
    while current is not None and current.type != kind:
        current = library.items.get(current.parent_key) if current.parent_key else None
    return current


def _value(item: Item, field: str) -> Any:
    values: dict[str, Any] = {
        "title": item.title,
        "titleSort": _norm(item.title),
        "year": item.year,
        "viewCount": item.view_count,
        "index": item.index,
        "id": item.rating_key,
        "guid": item.guid,
        "originallyAvailableAt": item.originally_available_at,
        "addedAt": (item.added_at, item.rating_key),  # the later of two in one second: newer
        "lastViewedAt": item.last_viewed_at,
    }
    return values.get(field)


def _watched(library: PlexLibrary, item: Item) -> bool:
    leaves = library.leaves(item)
    return bool(leaves) and all(leaf.view_count for leaf in leaves)


def _test(library: PlexLibrary, item: Item, field: str, op: str, wanted: str) -> bool | None:
    """Whether `item` passes one filter; None for a field the emulator does not filter on."""
    if field == "unwatched":
        unwatched = wanted not in {"0", "false"}
        return (not unwatched if op == "!" else unwatched) != _watched(library, item)
    if field == "guid":
        return item.guid == wanted
    if field == "title":
        title, text = _norm(item.title), _norm(wanted)
        tests: dict[str, Callable[[], bool]] = {
            "": lambda: text in title,
            "!": lambda: text not in title,
            "=": lambda: title == text,
            "!=": lambda: title != text,
            "<": lambda: title.startswith(text),
            ">": lambda: title.endswith(text),
        }
        return tests[op]() if op in tests else None
    if field in _INTEGERS:
        have, number = _value(item, field), as_int(wanted)
        if have is None or number is None:
            return op == "!"
        compare = {"": have == number, "!": have != number}
        compare |= {">>": have > number, "<<": have < number}
        return compare.get(op)
    return None


def _filters(query: Mapping[str, str]) -> list[tuple[str | None, str, str, list[str]]]:
    """The query's filters: (type prefix, field, operator, values)."""
    found = []
    for key, value in query.items():
        parsed = _FILTER.match(key)
        if key not in _IGNORED and not key.startswith("X-Plex") and parsed is not None:
            kind, field, op = parsed.groups()
            found.append((kind, field, op, value.split(",")))
    return found


def matches(
    library: PlexLibrary, item: Item, filters: list[tuple[str | None, str, str, list[str]]]
) -> bool:
    """Whether `item` passes every filter (see `_filters`)."""
    for kind, field, op, values in filters:
        subject = ancestor(library, item, kind) if kind else item
        if subject is None:
            return False
        results = [_test(library, subject, field, op, wanted) for wanted in values]
        if None in results:
            continue  # a field the emulator ignores (as real servers ignore unknown ones)
        if field != "unwatched" and op.startswith("!"):
            if not all(results):  # "is not" any of the values
                return False
        elif not any(results):
            return False
    return True


def _sort_key(
    library: PlexLibrary, kind: str | None, field: str, *, descending: bool
) -> Callable[[Item], tuple[bool, Any]]:
    """The key of one sort field; items without a value go last either way."""

    def key(item: Item) -> tuple[bool, Any]:
        subject = ancestor(library, item, kind) if kind else item
        value = _value(subject, field) if subject is not None else None
        return ((value is not None) if descending else (value is None)), value

    return key


def default_order(library: PlexLibrary, items: list[Item]) -> list[Item]:
    """`items` in Plex's default order (`PlexLibrary.plex_order`)."""
    return sorted(items, key=library.plex_order)


def ordered(library: PlexLibrary, items: list[Item], sort: str) -> list[Item]:
    """`items` in the order of a `sort` parameter (fields it does not know are skipped; ties
    keep the order `items` came in)."""
    result = list(items)
    for part in reversed(sort.split(",")):
        parsed = _SORT.match(part.strip())
        if parsed is None or parsed[2] not in _SORTABLE:
            continue
        kind, field, direction = parsed.groups()
        descending = direction == "desc"
        result.sort(key=_sort_key(library, kind, field, descending=descending), reverse=descending)
    return result


def listing(library: PlexLibrary, items: list[Item], query: Mapping[str, str]) -> list[Item]:
    """`items` (in their default order) filtered, sorted and limited as the query asks.

    A query without filters, sort or limit gets `items` back as they are: a page of a large
    section costs the emulator the page's work only (bench/library_index.py relies on it).
    """
    filters = _filters(query)
    found = [i for i in items if matches(library, i, filters)] if filters else items
    if query.get("sort"):
        found = ordered(library, found, query["sort"])
    limit = as_int(query.get("limit"))
    return found[:limit] if limit is not None and limit >= 0 else found


def type_code(query: Mapping[str, str]) -> int | None:
    """The `type` a listing asks for (1 movie, 2 show, 3 season, 4 episode)."""
    return as_int(query.get("type"))  # a type the emulator lacks (18, collections) lists nothing


def _type_meta(section: Section, kind: str, active: str) -> dict[str, Any]:
    prefix = "" if kind == "movie" else f"{kind}."
    return {
        "key": f"/library/sections/{section.key}/all?type={TYPE_CODES[kind]}",
        "type": kind,
        "title": _TITLES[kind],
        "active": kind == active,
        "Sort": [
            {"defaultDirection": direction, "descKey": f"{key}:desc", "key": key, "title": title}
            for key, direction, title in _SORTS[kind]
        ],
        "Field": [
            {"key": f"{prefix}{key}", "title": title, "type": kind_}
            for key, title, kind_ in _FIELDS[kind]
        ],
    }


def field_types() -> list[dict[str, Any]]:
    """The `FieldType` list of a `Meta` block."""
    return [
        {"type": name, "Operator": [{"key": key, "title": title} for key, title in operators]}
        for name, operators in FIELD_TYPES
    ]


def section_meta(section: Section, code: int | None) -> dict[str, Any]:
    """The `Meta` block of a section's listing: its types, their sorts and fields."""
    kinds = ["movie"] if section.type == "movie" else ["show", "season", "episode"]
    active = _TYPE_NAMES.get(code or TYPE_CODES[section.type], section.type)
    types = [_type_meta(section, kind, active) for kind in kinds]
    folder = {"key": f"/library/sections/{section.key}/folder", "type": "folder"}
    types.append(folder | {"title": "Folders", "active": False})
    return {"Type": types, "FieldType": field_types()}


def collections_meta(section: Section) -> dict[str, Any]:
    """The `Meta` block of a section's collections listing (Home Assistant's recordings)."""
    collection = {
        "key": f"/library/sections/{section.key}/all?type=18",
        "type": "collection",
        "title": "Collections",
        "active": True,
        "Sort": [
            {"default": "asc", "defaultDirection": "asc", "descKey": "titleSort:desc"}
            | {"key": "titleSort", "title": "Title"}
        ],
    }
    return {"Type": [collection], "FieldType": field_types()}
