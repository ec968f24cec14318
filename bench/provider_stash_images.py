"""The Stash provider's images: memory while Plex fetches large ones at once, streamed or not.

Run: `.venv/bin/python -m bench.provider_stash_images [--images 8] [--megabytes 15] [--rounds 3]`

The Stash emulator in a process of its own (Stash is another server), serving every image as
`--megabytes` of bytes with a Content-Length, as Stash does. In this process, an aiohttp server
stands for Home Assistant's, with two routes that serve a Stash screenshot to a client that
stands for Plex (`--images` fetched at once, all scene 1's, each read in 64 KiB pieces and
dropped; Stash's answers are not cached):

- streamed: what the Stash provider's view does (`stash_provider_http.stream_image` over
  `StashProvider.open_image`): each chunk written to Plex as it comes from Stash;
- the baseline, read whole: what it did before, `StashClient.image` (the whole image read into
  memory, its chunks joined) answered with `web.Response(body=…)`.

Printed, for each: the peak of Python's traced memory (tracemalloc) above what was held before
the round (the best of `--rounds`), the time for the round, and streamed's ratio to the
baseline, both measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from custom_components.videodrome.engine.provider.stash_documents import ImageRoute
from custom_components.videodrome.engine.provider.stash_service import StashProvider
from custom_components.videodrome.engine.stash.client import StashClient
from custom_components.videodrome.engine.stash.images import ImageKind
from custom_components.videodrome.stash_provider_http import stream_image

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

MB = 1024 * 1024


async def _emulator(image_bytes: int) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.emulators.stash", "--port", "0",
        "--image-bytes", str(image_bytes),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 120)
    return process, line.decode().split()[-1]


def _app(provider: StashProvider) -> web.Application:
    async def streamed(request: web.Request) -> web.StreamResponse:
        async with provider.open_image(ImageRoute.SCREENSHOT, request.match_info["id"]) as found:
            return await stream_image(request, found, lambda *_args: None)

    async def whole(request: web.Request) -> web.StreamResponse:
        found = await provider.client.image(ImageKind.SCREENSHOT, request.match_info["id"])
        return web.Response(body=found.body, content_type=found.content_type)

    app = web.Application()
    app.router.add_get("/streamed/{id}", streamed)
    app.router.add_get("/whole/{id}", whole)
    return app


async def _fetch(session: aiohttp.ClientSession, url: str) -> int:
    """Plex's side: the image read in pieces and dropped; its length."""
    size = 0
    async with session.get(url) as response:
        response.raise_for_status()
        async for piece in response.content.iter_chunked(64 * 1024):
            size += len(piece)
    return size


async def _round(
    fetch: Callable[[str], Awaitable[int]], base: str, images: int, size: int
) -> tuple[float, float]:
    """Peak traced memory above the start (MB), and seconds, for `images` fetched at once."""
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    began = time.perf_counter()
    sizes = await asyncio.gather(*(fetch(f"{base}/1") for _ in range(images)))
    seconds = time.perf_counter() - began
    assert sizes == [size] * images, sizes
    _, peak = tracemalloc.get_traced_memory()
    return (peak - start) / MB, seconds


async def _run(args: argparse.Namespace) -> None:
    size = int(args.megabytes * MB)
    process, stash_url = await _emulator(size)
    runner: web.AppRunner | None = None
    try:
        async with aiohttp.ClientSession() as to_stash, aiohttp.ClientSession() as plex:
            client = StashClient(to_stash, stash_url, cache_ttl=0, request_timeout=60)
            runner = web.AppRunner(_app(StashProvider(client)), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            home = f"http://{host}:{port}"

            async def fetch(url: str) -> int:
                return await _fetch(plex, url)

            await _round(fetch, f"{home}/streamed", 1, size)  # connections made, code warm
            await _round(fetch, f"{home}/whole", 1, size)
            results: dict[str, list[tuple[float, float]]] = {"whole": [], "streamed": []}
            for _ in range(args.rounds):
                for way, rounds in results.items():
                    rounds.append(await _round(fetch, f"{home}/{way}", args.images, size))
    finally:
        if runner is not None:
            await runner.cleanup()
        process.terminate()
        await process.wait()
    whole, streamed = (min(p for p, _ in results[way]) for way in ("whole", "streamed"))
    print(f"{args.images} images of {args.megabytes:g} MB fetched at once, best of {args.rounds}:")
    for way, label in (("whole", "baseline, read whole"), ("streamed", "streamed")):
        peak = min(p for p, _ in results[way])
        seconds = min(s for _, s in results[way])
        print(f"  {label:22} peak {peak:8.1f} MB   {seconds * 1000:8.0f} ms")
    print(f"  streamed / read whole: {streamed / whole:.3g}x the peak memory")


def main(argv: list[str] | None = None) -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(prog="python -m bench.provider_stash_images")
    parser.add_argument("--images", type=int, default=8, help="fetched at once")
    parser.add_argument("--megabytes", type=float, default=15.0, help="each image's size")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    tracemalloc.start()
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
