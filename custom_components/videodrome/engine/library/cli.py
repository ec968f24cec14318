"""The `library` command: what Videodrome reads of a Plex server, and what it finds there.

    python -m custom_components.videodrome.engine library --url URL --token TOKEN
        [--json] [--find KIND:ID[/SEASON/EPISODE]]...

A diagnostic for a user's own server ("Videodrome says I don't have a film I have"), also used
by our own checks. It reads every movie and show section as the library index does (the same
requests, the same ids: engine/guids.py) and says how many items and episodes each holds, how
many Plex matched to an id Videodrome understands, and what each `--find` finds. KIND is
`tmdb`, `tvdb`, `imdb` (`imdb:tt0133093`) or `title` (`title:Name (Year)`, the year optional);
an id may be followed by `/SEASON` or `/SEASON/EPISODE`.

With `--json` it prints one JSON object:

    {"server": {"name", "machine_identifier", "version", "platform"},
     "sections": [{"id", "type", "title", "items", "episodes", "error"}],
     "items": N, "episodes": N, "with_ids": N,
     "found": {"<the --find text>": {"rating_key", "title", "year", "files"} or null}}

Exit status: 0 when it read the server, 1 when a section could not be read (the others are
still read and counted), 2 for bad arguments or when there is no server to read (unreachable,
or the token refused). The token is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
import re
import sys
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO

import aiohttp
import orjson

from ..plex.client import PlexClient
from ..plex.errors import PlexError
from .building import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, assemble
from .reading import SectionContents, read_sections

if TYPE_CHECKING:
    from ..plex.models import ServerIdentity
    from .records import Item, Kind, Snapshot

EXIT_OK: Final = 0
EXIT_SECTION_FAILED: Final = 1
EXIT_USAGE: Final = 2

HELP: Final = "read a Plex server's library as Videodrome does, and find titles in it"

type FindKind = Literal["tmdb", "tvdb", "imdb", "title"]

_ID: Final = re.compile(r"(?P<id>[^/]+)(?:/(?P<season>[0-9]{1,4})(?:/(?P<episode>[0-9]{1,5}))?)?")
_NUMBER: Final = re.compile(r"[1-9][0-9]{0,8}")
_IMDB: Final = re.compile(r"tt[0-9]{7,10}")
_TITLE_YEAR: Final = re.compile(r"(?P<name>.*?)\s*\((?P<year>(?:18|19|20)[0-9]{2})\)\s*")


@dataclass(frozen=True, slots=True)
class Wanted:
    """One `--find`: what to look for, as the user wrote it."""

    text: str
    kind: FindKind
    value: int | str
    year: int | None = None
    season: int | None = None
    episode: int | None = None


def wanted(text: str) -> Wanted:
    """A `--find` argument read (argparse's `type`): raises ArgumentTypeError when malformed."""
    kind, separator, rest = text.partition(":")
    kind = kind.strip().lower()
    rest = rest.strip()
    if not separator or not rest:
        raise argparse.ArgumentTypeError(f"{text!r}: write KIND:ID, e.g. tmdb:603")
    if kind == "title":
        match = _TITLE_YEAR.fullmatch(rest)
        if match is not None and match["name"]:
            return Wanted(text, "title", match["name"], year=int(match["year"]))
        return Wanted(text, "title", rest)
    if kind not in {"tmdb", "tvdb", "imdb"}:
        raise argparse.ArgumentTypeError(f"{text!r}: KIND is one of tmdb, tvdb, imdb, title")
    parts = _ID.fullmatch(rest)
    if parts is None:
        raise argparse.ArgumentTypeError(f"{text!r}: write KIND:ID[/SEASON/EPISODE]")
    value: int | str
    if kind == "imdb":
        if not _IMDB.fullmatch(value := parts["id"].lower()):
            raise argparse.ArgumentTypeError(f"{text!r}: an IMDb id looks like tt0133093")
    elif _NUMBER.fullmatch(parts["id"]):
        value = int(parts["id"])
    else:
        raise argparse.ArgumentTypeError(f"{text!r}: a {kind.upper()} id is a number")
    season, episode = parts["season"], parts["episode"]
    return Wanted(
        text,
        kind,  # type: ignore[arg-type]  # checked above: tmdb, tvdb or imdb
        value,
        season=int(season) if season is not None else None,
        episode=int(episode) if episode is not None else None,
    )


def configure(parser: argparse.ArgumentParser) -> None:
    """The command's arguments, on the subcommand parser `__main__` made for it."""
    parser.add_argument("--url", required=True, help="the server, e.g. http://192.168.1.10:32400")
    parser.add_argument("--token", required=True, help="an X-Plex-Token (never printed)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument(
        "--find",
        type=wanted,
        action="append",
        default=[],
        metavar="KIND:ID[/SEASON/EPISODE]",
        help="tmdb:603, tvdb:81189/1/2, imdb:tt0133093 or 'title:The Matrix (1999)'",
    )


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the command; returns the exit status."""
    try:
        report, status = asyncio.run(_read(args))
    except _NoServerError as err:
        sys.stderr.write(f"error: {err}\n")
        return EXIT_USAGE
    if args.json:
        out.write(orjson.dumps(report).decode() + "\n")
    else:
        _print(report, out)
    return status


class _NoServerError(Exception):
    """There is no server to read: a bad address, unreachable, or the token refused."""


async def _read(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    async with aiohttp.ClientSession() as session:
        try:
            client = PlexClient(args.url, args.token, session)
        except ValueError as err:
            raise _NoServerError(str(err)) from None
        try:
            identity = await client.identity()
            sections = await client.sections()
        except PlexError as err:
            raise _NoServerError(str(err)) from None
        try:
            answers = await read_sections(
                client, sections, page_size=DEFAULT_PAGE_SIZE, concurrency=DEFAULT_CONCURRENCY
            )
        except PlexError as err:  # a refused token is no section's failure
            raise _NoServerError(str(err)) from None
    titles = {section.key: section for section in sections}
    read: dict[tuple[int, Kind], SectionContents] = {}
    rows: list[dict[str, Any]] = []
    for answer in answers:
        section = titles[answer.key]
        row: dict[str, Any] = {"id": section.key, "type": section.type, "title": section.title}
        if answer.contents is None:
            row |= {"items": None, "episodes": None, "error": str(answer.error)}
        else:
            read[answer.key, answer.kind] = answer.contents
            row |= {
                "items": len(answer.contents[0]),
                "episodes": len(answer.contents[1]),
                "error": None,
            }
        rows.append(row)
    snapshot = await asyncio.to_thread(assemble, None, read, ())
    items = list(snapshot.items.values())
    report = {
        "server": _server(identity),
        "sections": rows,
        "items": len(items),
        "episodes": len(snapshot.episodes),
        "with_ids": sum(1 for i in items if (i.tmdb, i.tvdb, i.imdb, i.anidb) != (None,) * 4),
        "found": {w.text: find(snapshot, w) for w in args.find},
    }
    failed = any(row["error"] is not None for row in rows)
    return report, EXIT_SECTION_FAILED if failed else EXIT_OK


def _server(identity: ServerIdentity) -> dict[str, Any]:
    return {
        "name": identity.friendly_name,
        "machine_identifier": identity.machine_identifier,
        "version": identity.version,
        "platform": identity.platform,
    }


def find(snapshot: Snapshot, what: Wanted) -> dict[str, Any] | None:
    """What the index finds for one `--find`: the movie, show, season or episode, its files."""
    item: Item | None
    if what.kind == "title":
        titles = snapshot.by_title(str(what.value), what.year)
        if not titles and what.year is not None:  # Plex's title may hold the year itself
            titles = snapshot.by_title(f"{what.value} ({what.year})")
        item = titles[0].item if titles else None
    else:
        kind: Kind | None = "show" if what.season is not None else None
        value = what.value
        found = (
            snapshot.by_id(imdb=str(value), kind=kind)
            if what.kind == "imdb"
            else snapshot.by_id(tmdb=int(value), kind=kind)
            if what.kind == "tmdb"
            else snapshot.by_id(tvdb=int(value), kind=kind)
        )
        item = found[0] if found else None
    if item is None:
        return None
    answer = {"rating_key": item.rating_key, "title": item.title, "year": item.year}
    if what.season is None:
        files = item.files or tuple(e.file for s in item.seasons for e in s.episodes if e.file)
        return answer | {"files": list(files)}
    season = item.season(what.season)
    if season is None:
        return None
    if what.episode is None:
        return answer | {"files": [e.file for e in season.episodes if e.file]}
    episode = season.episode(what.episode)
    if episode is None:
        return None
    return {
        "rating_key": episode.rating_key,
        "title": episode.title,
        "year": item.year,
        "files": [episode.file] if episode.file else [],
    }


def _print(report: dict[str, Any], out: TextIO) -> None:
    server = report["server"]
    about = ", ".join(str(v) for v in (server["version"], server["platform"]) if v)
    out.write(f"{server['name']} ({about or server['machine_identifier']})\n")
    for row in report["sections"]:
        head = f"  section {row['id']} {row['title']!r} ({row['type']}): "
        if row["error"] is not None:
            out.write(f"{head}NOT READ: {row['error']}\n")
        else:
            episodes = f", {row['episodes']} episodes" if row["type"] == "show" else ""
            out.write(f"{head}{row['items']} items{episodes}\n")
    out.write(
        f"{report['items']} items, {report['episodes']} episodes; "
        f"{report['with_ids']} items with a TMDb, TVDB, IMDb or AniDB id\n"
    )
    for text, found in report["found"].items():
        if found is None:
            out.write(f"{text}: not found\n")
            continue
        year = f" ({found['year']})" if found["year"] else ""
        out.write(f"{text}: {found['title']}{year}, rating key {found['rating_key']}\n")
        out.writelines(f"    {file}\n" for file in found["files"])
