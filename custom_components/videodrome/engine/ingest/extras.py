"""Extras filed with their film: trailers, featurettes, deleted scenes in Plex's extras folders.

Plex shows a film's local extras when they sit in the film's folder in one of its extras
folders (support.plex.tv, "Local Files for Trailers and Extras"; ../shared/research/
ingest_anchors.md): `Behind The Scenes`, `Deleted Scenes`, `Featurettes`, `Interviews`,
`Scenes`, `Shorts`, `Trailers`, `Other`. A download's extras are the videos the name rules
(identify/filters.py) call extras: in a `Featurettes/`, `Trailers/`, `Extras/`... folder, or
named `…-trailer.mkv`, `…-featurette.mkv`... Samples are not extras: they stay skipped.

With the option on (the default), an extra goes where its film goes, under its own name:
`Film (Year) {tmdb-N}/Featurettes/Making Of.mkv`. Its film is the feature of the same
download: the largest video that is neither a sample nor an extra in the folder holding the
extra (or, for an extra inside an extras folder, in the folder above it), never an ingest
folder itself (loose files there are many downloads, not one). The extra follows its film's
decision:
- the film is filed (now, or before, automatically or approved: it is already at its
  destination): the extra is too;
- the film waits for a person: so does the extra (`extra_of_film`); approving it files it
  beside the film the person chose (`Pipeline.plan_identified()` retargets it);
- no film beside it, or nothing known about it (`no_film_for_extra`): skipped, as before.

Nothing is moved, deleted or overwritten: an extra travels like any file (transfer.py), and a
taken name in the extras folder is `destination_exists`. Plex lists extras under their film,
not as items of their own, so after filing one Plex is asked to scan the film's folder and no
match is checked (`plex_extra_scanned`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath
import re
from typing import TYPE_CHECKING

from ..identify.filters import VIDEO_EXTENSIONS, ignore_reason
from ..identify.safe_names import sanitise
from ..identify.score import Decision
from ..plex.scan import PLEX_NOT_FOUND, Verification
from .destination import is_published, within
from .plan import ALREADY_INGESTED, Action, PlannedFile
from .sources import source_file

if TYPE_CHECKING:
    from ..blocking import BlockingRunner
    from ..identify.identifier import Identification
    from ..identify.parsed_name import ParsedName
    from ..plex.scan import PlexSync
    from .pipeline import Pipeline

EXTRA_OF_FILM = "extra_of_film"
NO_FILM_FOR_EXTRA = "no_film_for_extra"
PLEX_EXTRA_SCANNED = "plex_extra_scanned"
_EXTRA = "extra"  # parse's reason for an extra (filters.IGNORE_EXTRA)
_SAMPLE = "sample"

# Plex's extras folders, by the folder names and name suffixes downloads use for them.
OTHER = "Other"
_FOLDERS = {
    "behind the scenes": "Behind The Scenes",
    "deleted scenes": "Deleted Scenes",
    "featurette": "Featurettes",
    "featurettes": "Featurettes",
    "interview": "Interviews",
    "interviews": "Interviews",
    "scenes": "Scenes",
    "shorts": "Shorts",
    "trailer": "Trailers",
    "trailers": "Trailers",
    "extra": OTHER,
    "extras": OTHER,
    "other": OTHER,
}
_SUFFIXES = {
    "behindthescenes": "Behind The Scenes",
    "deleted": "Deleted Scenes",
    "featurette": "Featurettes",
    "interview": "Interviews",
    "scene": "Scenes",
    "short": "Shorts",
    "trailer": "Trailers",
    "other": OTHER,
}
_SUFFIX = re.compile(r"-([a-z]+)$", re.IGNORECASE)
# guessit's words for an extra (ParsedName.extra).
_GUESSED = {
    "trailer": "Trailers",
    "featurette": "Featurettes",
    "behind the scenes": "Behind The Scenes",
    "deleted scenes": "Deleted Scenes",
}
# How far above an extra its film's folder may be (Film/Extras/Featurettes/x.mkv).
_MAX_DEPTH = 2


def is_extra(parsed: ParsedName) -> bool:
    """Whether a parsed name is an extra (not a sample, which is never filed)."""
    return _EXTRA in parsed.reasons and _SAMPLE not in parsed.reasons


def plex_folder(path: PurePosixPath | Path, guessed: str | None = None) -> str:
    """The Plex extras folder for an extra at `path`: its folder, its suffix, guessit's word."""
    for folder in reversed(path.parent.parts[-_MAX_DEPTH:]):
        if (found := _FOLDERS.get(folder.casefold())) is not None:
            return found
    if (suffix := _SUFFIX.search(path.stem)) and suffix.group(1).casefold() in _SUFFIXES:
        return _SUFFIXES[suffix.group(1).casefold()]
    return _GUESSED.get((guessed or "").casefold(), OTHER)


def film_folder(extra: Path) -> Path:
    """The folder of an extra's film: above the extras folders the extra sits in."""
    folder = extra.parent
    for _ in range(_MAX_DEPTH):
        if folder.name.casefold() not in _FOLDERS or folder.parent == folder:
            break
        folder = folder.parent
    return folder


def find_film(extra: Path, roots: tuple[Path, ...] = ()) -> Path | None:
    """The feature beside an extra: the largest video in its film's folder. Blocking.

    None when that folder is one of `roots` (the ingest folders) or holds no feature.
    """
    folder = film_folder(extra)
    if folder in roots:
        return None
    try:
        videos = [
            (entry.stat().st_size, entry)
            for entry in folder.iterdir()
            if entry.suffix.lower() in VIDEO_EXTENSIONS
            and entry.is_file()
            and not entry.is_symlink()
            and ignore_reason(entry, folder) is None
        ]
    except OSError:
        return None
    return max(videos)[1] if videos else None


def as_extra(found: Identification, extra: Path) -> Identification:
    """`found` (the film's identification) retargeted at the film's extras folder."""
    if found.target is None or found.library != "movies":
        return found
    name = sanitise(extra.name, keep_suffix=extra.suffix)
    folder = plex_folder(extra, found.parsed.extra)
    return replace(found, target=PurePosixPath(found.target.parts[0], folder, name))


async def plan_extras(
    pipeline: Pipeline, planned: list[PlannedFile], run_blocking: BlockingRunner
) -> list[PlannedFile]:
    """The plan with each extra following its film (see the module's docstring); extras last."""
    films = {p.source.path: p for p in planned if not is_extra(p.found.parsed)}
    extras = [
        await _follow_film(pipeline, item, films, run_blocking)
        for item in planned
        if is_extra(item.found.parsed) and item.action is Action.SKIP
    ]
    return [p for p in planned if not is_extra(p.found.parsed)] + extras


async def _follow_film(
    pipeline: Pipeline,
    extra: PlannedFile,
    films: dict[Path, PlannedFile],
    run_blocking: BlockingRunner,
) -> PlannedFile:
    path = extra.source.path
    roots = pipeline.settings.ingest_folders
    feature = await run_blocking(lambda: find_film(path, roots))
    if feature is None:
        return replace(extra, reasons=(*extra.reasons, NO_FILM_FOR_EXTRA))
    film = films.get(feature)
    if film is None:  # the film came in an earlier batch (the watcher hands files one by one)
        film = await _plan_film(pipeline, feature, run_blocking)
    found = film.found
    filed = film.action is Action.TRANSFER or ALREADY_INGESTED in film.reasons
    if not filed and film.destination is not None:
        destination = film.destination  # filed there before (automatically, or approved)
        filed = await run_blocking(lambda: is_published(feature, destination))
    a_film = found.library == "movies" and found.target is not None and found.match is not None
    if not a_film or not (filed or film.action is Action.REVIEW):
        # Not a film, or one nobody can say where it goes (manual, skipped): left alone.
        return replace(extra, reasons=(*extra.reasons, NO_FILM_FOR_EXTRA))
    decision = Decision.AUTO if filed else Decision.REVIEW
    # The film's identification, for this file: its target is put in the extras folder.
    followed = replace(
        found,
        path=str(path),
        parsed=extra.found.parsed,
        decision=decision,
        reasons=(EXTRA_OF_FILM,) if filed else (EXTRA_OF_FILM, *film.reasons),
    )
    return await pipeline.plan_identified(extra.source, followed)


async def _plan_film(
    pipeline: Pipeline, feature: Path, run_blocking: BlockingRunner
) -> PlannedFile:
    """The film's plan, without reading it when it is already filed (a copy is not compared)."""
    source = await run_blocking(lambda: source_file(feature))
    root = next((f for f in pipeline.settings.ingest_folders if within(feature, f)), None)
    found = await pipeline.identifier.identify(feature, root=root)
    if found.library == "movies" and found.target is not None:
        destination = pipeline.settings.movies_root / found.target
        if await run_blocking(lambda: is_published(feature, destination)):
            return PlannedFile(source, found, Action.SKIP, (ALREADY_INGESTED,), destination)
    return await pipeline.plan_identified(source, found)


async def scan_for_extra(sync: PlexSync, destination: Path) -> Verification:
    """Ask Plex to scan the film's folder of a filed extra (it has no match of its own)."""
    if await sync.scan_folder(film_folder(destination)):
        return Verification(PLEX_EXTRA_SCANNED)
    return Verification(PLEX_NOT_FOUND)
