"""What correcting Plex's match costs on top of an ingest.

Run: `.venv/bin/python -m bench.match_fix [--files 12]`

Films of the demo catalogue are dropped in an ingest folder; the Plex emulator's scanner is
told to match each one to another film (`PlexLibrary.misidentify`). The same files are then
ingested twice, in the same run, against fresh emulated libraries:

- the baseline: `match_fix = off` (ingest, partial scan, one check of Plex's match);
- `match_fix = auto`: the same plus Plex's Fix Match search, the re-match and a second check.

Printed: the median time per file of each, their ratio, and the Plex requests per file
(the scan itself takes no time here: `scan_duration = 0`, so the ratio is an upper bound).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import statistics
import tempfile
import time
from typing import Any

import aiohttp

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import Settings
from custom_components.videodrome.engine.ingest.service import IngestService
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.fix_match import MatchFix
from custom_components.videodrome.engine.plex.scan import PlexSync
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.catalogue import Catalogue
from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.emulators.tmdb import TMDbEmulator

HERE = Path(__file__).resolve().parents[1]
KEY = "bench-key"
TOKEN = "bench-token"  # noqa: S105 (the emulator's, not a secret)


async def run(
    root: Path, mode: MatchFix, films: list[Any], tmdb: TMDbEmulator, session: Any
) -> tuple[list[float], int, int]:
    """Ingest every film one by one; seconds per file, Plex requests in all, corrections."""
    ingest, movies = root / "ingest", root / "movies"
    for path in (ingest, movies, root / "tv"):
        path.mkdir(parents=True)
    library = PlexLibrary.empty()
    library.add_section("Movies", "movie", [str(movies)], key=1)
    library.add_section("TV Shows", "show", [str(root / "tv")], key=2)
    for film, wrong in zip(films, films[1:] + films[:1], strict=True):
        library.misidentify[film.tmdb_id] = wrong.tmdb_id
    async with PlexEmulator(library, token=TOKEN) as plex:
        plex.faults.scan_duration = 0.0
        with Store(root / "videodrome.db") as store:
            client = PlexClient(plex.url, TOKEN, session)
            tmdb_client = TMDbClient(session, api_key=KEY, base_url=tmdb.url, store=store)
            identifier = Identifier(tmdb_client)
            settings = Settings((ingest,), movies, root / "tv")
            pipeline = Pipeline(identifier, settings, lookup=LibraryIndex(client))

            async def run_blocking(job: Any) -> Any:
                return await asyncio.get_running_loop().run_in_executor(None, job)

            service = IngestService(
                store,
                pipeline,
                identifier,
                tmdb_client,
                PlexSync(client, poll_interval=0.01),
                run_blocking=run_blocking,
                match_fix=mode,
            )
            times: list[float] = []
            corrected = requests = 0
            for film in films:
                name = f"{film.title.replace(' ', '.').replace(':', '')}.{film.year}.1080p.mkv"
                (ingest / name).write_bytes(b"x" * 64)
                await tmdb_client.search_movie(film.title, film.year)  # warm TMDb's cache
                plex.requests.clear()
                started = time.perf_counter()
                (outcome,) = await service.ingest(ingest / name)
                times.append(time.perf_counter() - started)
                requests += len(plex.requests)
                corrected += bool(outcome.item and outcome.item.plex_status == "plex_corrected")
            return times, requests, corrected


async def main_async(files: int) -> None:
    """Both runs, then the figures."""
    demo = Catalogue.load()
    films = [m for m in demo.movies if m.year and ":" not in m.title][:files]
    async with aiohttp.ClientSession() as session, TMDbEmulator(demo, api_key=KEY) as tmdb:
        with tempfile.TemporaryDirectory(dir=HERE) as folder:
            base, base_requests, _ = await run(
                Path(folder) / "off", MatchFix.OFF, films, tmdb, session
            )
            auto, auto_requests, corrected = await run(
                Path(folder) / "auto", MatchFix.AUTO, films, tmdb, session
            )
    off_ms, auto_ms = statistics.median(base) * 1000, statistics.median(auto) * 1000
    print(f"films: {len(films)}, corrected by auto: {corrected}")
    print(f"match_fix=off : {off_ms:7.1f} ms/file (median)")
    print(f"match_fix=auto: {auto_ms:7.1f} ms/file (median), x{auto_ms / off_ms:.2f}")
    per_file = base_requests / len(films), auto_requests / len(films)
    print(f"Plex requests per file: off {per_file[0]:.1f}, auto {per_file[1]:.1f}")


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=12)
    args = parser.parse_args()
    asyncio.run(main_async(args.files))


if __name__ == "__main__":
    main()
