"""The metadata provider under attack: what hostile requests cost TMDb, and ingest's wait.

Run: `.venv/bin/python -m bench.provider_hostile [--flooders 6] [--names 12]`

Against the TMDb emulator (in this process), with cold caches for each measurement:

1. TMDb requests made for one provider request of each worst case (counted at the emulator):
   an episode matched by a date no show has, every episode of the largest show, in a new
   language each time, and matches of unknown titles and file names.
2. How long ingest waits to identify ordinary file names (guessit, TMDb, scoring) alone, and
   while `--flooders` clients keep asking the provider to match pathological file names (a
   few hundred characters of episode markers, which keep guessit busy for seconds), once with
   parts longer than a file name may be (the tester's) and once with every part under 255.

Requests the provider refuses (too costly, too many at once) count as answered: what matters
here is what they cost. Part 2 replaces a timed test (ingest's median under 0.3 s and slowest
under 2 s during the flood); tests/integration/test_provider_hostile.py now checks the same
property without a clock: the provider's child frozen, ingest still files through its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from custom_components.videodrome.engine.identify.guessit_process import GuessitProcesses
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.provider.documents import Page
from custom_components.videodrome.engine.provider.errors import ProviderError
from custom_components.videodrome.engine.provider.requests import MatchRequest
from custom_components.videodrome.engine.provider.service import MetadataProvider
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.catalogue import Catalogue
from tests.emulators.tmdb import TMDbEmulator

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

KEY = "bench-key"
LANGUAGES = ("fr-FR", "de-DE", "it-IT", "es-ES", "pt-BR", "nl-NL", "sv-SE", "da-DK", "fi-FI")
# guessit reads a folder above the file when it looks like part of a name: an overlong one of
# episode markers keeps it busy past its time limit (2 s), and the process is started again.
_MARKERS = ".".join(f"{i % 9 + 1}x0{i % 9 + 1}" for i in range(48))  # 239 characters
PATHOLOGICAL = f"TV/{_MARKERS}.{_MARKERS}.{_MARKERS}/{_MARKERS}"
# The same, with every part of the name under 255 characters (what the provider still reads).
UNDER_THE_LIMITS = f"TV/{_MARKERS}/{_MARKERS[:230]}"


def _provider_identifier(tmdb: TMDbClient, guessit: GuessitProcesses | None = None) -> Identifier:
    """The provider's Identifier as the integration builds it (its own guessit lane; without
    `guessit`, names are read in this process: for counting TMDb requests, where is no matter)."""
    return Identifier(tmdb, guessit=guessit.lane("provider") if guessit else None, quiet=True)


async def _cost(
    emulator: TMDbEmulator,
    session: aiohttp.ClientSession,
    label: str,
    calls: Callable[[MetadataProvider, MetadataProvider], list[Awaitable[Any]]],
) -> None:
    """TMDb requests per provider request for `calls`, on a fresh client (cold caches)."""
    tmdb = TMDbClient(session, api_key=KEY, base_url=emulator.url, rate=1000)
    identifier = _provider_identifier(tmdb)
    movie = MetadataProvider("movie", tmdb, identifier=identifier)
    tv = MetadataProvider("tv", tmdb, identifier=identifier)
    before = len(emulator.requests)
    outcomes: dict[str, int] = {}
    awaitables = calls(movie, tv)
    for call in awaitables:
        try:
            await call
            outcome = "answered"
        except ProviderError as err:
            outcome = type(err).__name__
        except Exception as err:  # noqa: BLE001 - what the HTTP layer turned into a 500
            outcome = f"crash ({type(err).__name__})"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    made = len(emulator.requests) - before
    per = made / max(len(awaitables), 1)
    print(f"  {label}: {made} TMDb requests for {len(awaitables)} ({per:.1f} each); {outcomes}")
    await tmdb.close()


async def _costs(emulator: TMDbEmulator, session: aiohttp.ClientSession) -> None:
    catalogue = Catalogue.load()
    largest = max(catalogue.shows, key=lambda s: sum(x.episode_count for x in s.seasons))
    show = f"tmdb-show-{largest.tmdb_id}"
    print("TMDb requests per provider request (cold caches):")
    await _cost(
        emulator,
        session,
        'match {"type": 4, "title": "o", "date": "1900-01-01"}',
        lambda _m, tv: [
            tv.match(MatchRequest.from_json({"type": 4, "title": "o", "date": "1900-01-01"}))
        ],
    )
    await _cost(
        emulator,
        session,
        f"grandchildren of {largest.name}, page of 20, a new X-Plex-Language each",
        lambda _m, tv: [tv.grandchildren(show, Page(0, 20), language=lang) for lang in LANGUAGES],
    )
    await _cost(
        emulator,
        session,
        "match 200 unknown titles",
        lambda movie, _tv: [
            movie.match(MatchRequest.from_json({"type": 1, "title": f"Qwxzzy {n}", "year": 2001}))
            for n in range(200)
        ],
    )
    await _cost(
        emulator,
        session,
        "match 200 unknown file names",
        lambda movie, _tv: [
            movie.match(
                MatchRequest.from_json({"type": 1, "filename": f"Movies/Qwxzzy.Film.{n}.2001.mkv"})
            )
            for n in range(200)
        ],
    )
    await _cost(
        emulator,
        session,
        "match with 5,000-digit numbers",
        lambda _m, _tv: [_from_json({"type": 4, "title": "o", "year": "9" * 5000})],
    )


async def _from_json(body: dict[str, Any]) -> MatchRequest:
    return MatchRequest.from_json(body)


async def _identify_times(identifier: Identifier, names: list[str]) -> list[float]:
    seconds: list[float] = []
    for name in names:
        started = time.perf_counter()
        await identifier.identify(name)
        seconds.append(time.perf_counter() - started)
    return seconds


def _figures(label: str, seconds: list[float]) -> None:
    print(
        f"  {label}: p50 {statistics.median(seconds) * 1000:.0f} ms, "
        f"max {max(seconds) * 1000:.0f} ms ({len(seconds)} names)"
    )


async def _flood(
    emulator: TMDbEmulator,
    session: aiohttp.ClientSession,
    *,
    flooders: int,
    count: int,
    label: str,
    pathological: str,
    guessit: GuessitProcesses,
) -> None:
    tmdb = TMDbClient(session, api_key=KEY, base_url=emulator.url, rate=1000)
    ingest = Identifier(tmdb, guessit=guessit.lane("ingest"))
    provider = MetadataProvider("tv", tmdb, identifier=_provider_identifier(tmdb, guessit))
    await ingest.identify(f"Warm.Up.{label}.2001.mkv")  # the guessit process is started
    names = [f"Heat.1995.{label}.{n}" for n in range(count)]
    alone = await _identify_times(ingest, [f"{name}.1080p.mkv" for name in names])
    print(
        f"Ingest identifying ordinary names, alone and under {flooders} clients flooding the"
        f" provider with names {label} the limits ({len(pathological) + 10} characters):"
    )
    _figures("alone", alone)
    stop = asyncio.Event()
    refused = answered = 0

    async def flood(worker: int) -> None:
        nonlocal refused, answered
        number = 0
        while not stop.is_set():
            number += 1
            body = {"type": 4, "filename": f"{pathological}.{worker}.{number}.mkv"}
            try:
                await provider.match(MatchRequest.from_json(body))
                answered += 1
            except ProviderError:
                refused += 1
                await asyncio.sleep(0.05)  # a client told to come back later

    tasks = [asyncio.create_task(flood(n)) for n in range(flooders)]
    await asyncio.sleep(1.0)  # the flood is under way
    flooded = await _identify_times(ingest, [f"{name}.720p.mkv" for name in names])
    stop.set()
    for task in tasks:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks)
    _figures("under the flood", flooded)
    ratio = statistics.median(flooded) / statistics.median(alone)
    print(
        f"  under the flood / alone: p50 {ratio:.2f}x, max {max(flooded) / max(alone):.2f}x"
        " (the lanes are independent: about 1x)"
    )
    print(f"  flood requests: {answered} answered, {refused} refused")
    await tmdb.close()


async def main_async(flooders: int, names: int) -> None:
    """Start the emulator, count, then flood."""
    async with (
        TMDbEmulator(Catalogue.load(), api_key=KEY) as emulator,
        aiohttp.ClientSession() as session,
    ):
        await _costs(emulator, session)
        guessit = GuessitProcesses()
        try:
            for label, name in (("over", PATHOLOGICAL), ("under", UNDER_THE_LIMITS)):
                await _flood(
                    emulator, session, flooders=flooders, count=names, label=label,
                    pathological=name, guessit=guessit,
                )  # fmt: skip
                await asyncio.sleep(5)  # what the flood left running ends (2 s at most a name)
        finally:
            await asyncio.to_thread(guessit.close)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flooders", type=int, default=6)
    parser.add_argument("--names", type=int, default=12)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.flooders, args.names))


if __name__ == "__main__":
    main()
