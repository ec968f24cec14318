"""The demo library's files: real titles from the catalogue as tiny stand-in media files.

Names follow Plex's conventions, some with `{tmdb-N}`/`{tvdb-N}` hints and some without (so
the emulated scanner matches both ways). Existing files are left alone, so the demo's folder
keeps whatever was added to it (by Videodrome's ingest, for instance) across restarts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tests.emulators.catalogue import Catalogue

STAND_IN = b"Videodrome demo stand-in media file (not a real video)\n"

DEMO_MOVIES = (
    603,
    550,
    27205,
    157336,
    155,
    78,
    335984,
    62,
    530915,
    438631,
    1091,
    948,
    680,
    278,
    238,
    496243,
    129,
    194,
    348,
    11,
    98,
    807,
    101,
    949,
)
HINTED_MOVIES = frozenset({438631, 1091, 948})  # titles shared by remakes: Plex needs the id
WATCHED_MOVIES = frozenset({603, 550, 155})
# (tmdb id, {season: episodes present}); gaps on purpose, so availability has something to say.
DEMO_SHOWS = (
    (1396, {1: range(1, 8), 2: range(1, 14), 3: range(1, 6)}),
    (1399, {1: range(1, 11), 2: range(1, 11)}),
    (2316, {1: range(1, 7), 2: (1, 2, 3, 5)}),
    (66732, {1: range(1, 9)}),
    (87108, {1: range(1, 6)}),
    (70523, {1: range(1, 11), 2: range(1, 9)}),
)
HINTED_SHOWS = frozenset({2316})  # The Office: US and UK share a name
WATCHED_SEASONS = frozenset({(1396, 1), (87108, 1)})

_UNSAFE = str.maketrans(
    {":": " -", "/": "-", "\\": "-", "?": "", "*": "", '"': "", "<": "", ">": "", "|": ""}
)


def _safe(name: str) -> str:
    return " ".join(name.translate(_UNSAFE).split())


def _touch(path: Path) -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(STAND_IN)


def create_demo_files(catalogue: Catalogue, movies: Path, shows: Path) -> list[Path]:
    """Create the demo files that are missing; return the ones the demo marks watched."""
    watched: list[Path] = []
    movies.mkdir(parents=True, exist_ok=True)
    shows.mkdir(parents=True, exist_ok=True)
    for tmdb_id in DEMO_MOVIES:
        movie = catalogue.movie(tmdb_id)
        if movie is None:
            continue
        name = f"{_safe(movie.title)} ({movie.year})"
        folder = f"{name} {{tmdb-{tmdb_id}}}" if tmdb_id in HINTED_MOVIES else name
        path = movies / folder / f"{name}.mkv"
        _touch(path)
        if tmdb_id in WATCHED_MOVIES:
            watched.append(path)
    for tmdb_id, seasons in DEMO_SHOWS:
        show = catalogue.show(tmdb_id)
        if show is None:
            continue
        name = f"{_safe(show.name)} ({show.year})"
        folder = f"{name} {{tvdb-{show.tvdb_id}}}" if tmdb_id in HINTED_SHOWS else name
        for season_number, episodes in seasons.items():
            season = show.season(season_number)
            for number in episodes:
                title = _safe(season.episode_title(number)) if season else f"Episode {number}"
                path = (
                    shows
                    / folder
                    / f"Season {season_number:02d}"
                    / f"{name} - s{season_number:02d}e{number:02d} - {title}.mkv"
                )
                _touch(path)
                if (tmdb_id, season_number) in WATCHED_SEASONS:
                    watched.append(path)
    return watched
