"""The engine's command line: `python -m custom_components.videodrome.engine identify|plan ...`.

A stable contract (ARCHITECTURE.md): `identify [--json] [--threshold X] PATH...` prints one
JSON object per file with `--json` (path, kind, title, year, season, episodes, tmdb_id,
confidence, decision, reasons, library, target), a readable line otherwise. `plan` adds where
each file would go under `--movies-root`/`--tv-root` and what would happen. TMDb settings come
from the environment: `TMDB_API_KEY` (a v3 key, or a v4 read access token) and `TMDB_API_URL`
(the v3 base; default https://api.themoviedb.org/3). `TMDB_CACHE` names an SQLite file to
cache TMDb's answers in (30 days). Names are read by guessit processes of the command's own,
ended before it returns.

Exit status: 0 when every file got a decision (whatever it was), 1 when TMDb refused the key
or could not be used at all, 2 for bad arguments.

`library --url URL --token TOKEN [--json] [--find KIND:ID]...` (Plex only, no TMDb; its own
exit statuses) is engine/library/cli.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import sys
from typing import TYPE_CHECKING, Any, TextIO

import aiohttp
import orjson

from .availability import Availability
from .identify.guessit_process import GuessitProcesses
from .identify.identifier import Identification, Identifier
from .identify.score import Decision, Thresholds
from .library import cli as library_cli
from .store.database import Store
from .tmdb.client import DEFAULT_BASE_URL, TMDbClient
from .tmdb.errors import TMDbAuthError

if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
IS_DIRECTORY = "is_directory"
IS_SYMLINK = "is_symlink"
DESTINATION_EXISTS = "destination_exists"
ALREADY_INGESTED = "already_ingested"


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.videodrome.engine",
        description="Identify video files against TMDb and name them the Plex way.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("identify", "say what each file is, how sure, and the decision"),
        ("plan", "identify, then say where each file would go and what would happen"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("paths", nargs="+", metavar="PATH", help="video files")
        command.add_argument("--json", action="store_true", help="one JSON object per line")
        command.add_argument(
            "--threshold",
            type=_threshold,
            default=Thresholds().auto,
            help="confidence for an automatic decision (default %(default)s)",
        )
        command.add_argument("--root", help="the ingest folder the paths are in")
        command.add_argument(
            "--no-ids", action="store_true", help="leave {tmdb-N}/{tvdb-N} out of folder names"
        )
        if name == "plan":
            command.add_argument("--movies-root", type=Path, required=True)
            command.add_argument("--tv-root", type=Path, required=True)
    library_cli.configure(
        commands.add_parser("library", help=library_cli.HELP, description=library_cli.HELP)
    )
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    stream = out or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "library":  # Plex only: engine/library/cli.py
        return library_cli.run(args, stream)
    key = os.environ.get("TMDB_API_KEY", "").strip()
    if not key:
        parser.error("set TMDB_API_KEY to a TMDb API key (v3) or read access token (v4)")
    review = min(Thresholds().review, args.threshold)
    thresholds = Thresholds(auto=args.threshold, review=review)
    try:
        return asyncio.run(_run(args, key, thresholds, stream))
    except TMDbAuthError as err:
        sys.stderr.write(f"error: {err}\n")
        return EXIT_FAILED


async def _run(args: argparse.Namespace, key: str, thresholds: Thresholds, out: TextIO) -> int:
    base_url = os.environ.get("TMDB_API_URL", "").strip() or DEFAULT_BASE_URL
    cache = os.environ.get("TMDB_CACHE", "").strip()
    store = Store(cache) if cache else None
    bearer = key.startswith("eyJ")  # v4 read access tokens are JWTs
    guessit = GuessitProcesses()
    try:
        async with aiohttp.ClientSession() as session:
            tmdb = TMDbClient(
                session,
                api_key=None if bearer else key,
                bearer_token=key if bearer else None,
                base_url=base_url,
                store=store,
                availability=Availability("TMDb"),  # one warning on stderr if TMDb is down
            )
            identifier = Identifier(
                tmdb,
                thresholds=thresholds,
                include_ids=not args.no_ids,
                guessit=guessit.lane("ingest"),
            )
            for path in args.paths:
                found = await _identify(identifier, path, args.root)
                record = found.as_json()
                if args.command == "plan":
                    record.update(await asyncio.to_thread(_plan, found, args))
                _print(record, args.json, out)
    finally:
        await asyncio.to_thread(guessit.close)
        if store is not None:
            store.close()
    return EXIT_OK


async def _identify(identifier: Identifier, path: str, root: str | None) -> Identification:
    """Identify by name; a directory or a link is not a video file and is skipped."""
    reason = await asyncio.to_thread(_not_a_file, Path(path))
    found = await identifier.identify(path, root=root)
    if reason is None:
        return found
    return Identification(found.path, found.parsed, Decision.SKIP, 0.0, (reason,))


def _not_a_file(file: Path) -> str | None:
    if file.is_symlink():
        return IS_SYMLINK
    return IS_DIRECTORY if file.is_dir() else None


def _plan(found: Identification, args: argparse.Namespace) -> dict[str, Any]:
    """Where the file would go, and whether something is there already. Blocking."""
    if found.target is None or found.library is None:
        return {"destination": None, "action": "none"}
    root: Path = args.movies_root if found.library == "movies" else args.tv_root
    destination = root / found.target
    reasons: list[str] = []
    if destination.exists():
        source = Path(found.path)
        same = source.is_file() and source.stat().st_size == destination.stat().st_size
        reasons.append(ALREADY_INGESTED if same else DESTINATION_EXISTS)
    if reasons:
        action = "skip" if reasons == [ALREADY_INGESTED] else "review"
    else:
        action = {
            Decision.AUTO: "transfer",
            Decision.REVIEW: "review",
        }.get(found.decision, "none")
    return {"destination": str(destination), "action": action, "plan_reasons": reasons}


def _print(record: dict[str, Any], as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(orjson.dumps(record).decode() + "\n")
        return
    title = record["title"] or "?"
    year = f" ({record['year']})" if record["year"] else ""
    where = f" -> {record['library']}/{record['target']}" if record["target"] else ""
    if record.get("destination"):
        where = f" -> {record['destination']} [{record['action']}]"
    reasons = f"  ({', '.join(record['reasons'])})" if record["reasons"] else ""
    out.write(
        f"{record['decision']:<6} {record['confidence']:.2f}  {record['path']}: "
        f"{title}{year}{where}{reasons}\n"
    )


if __name__ == "__main__":  # pragma: no cover (exercised through a subprocess in the tests)
    sys.exit(main())
