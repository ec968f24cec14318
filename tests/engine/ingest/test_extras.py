"""Extras filed with their film in Plex's extras folders; samples still skipped."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.identify.identifier import Identification, Identifier
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.parsed_name import Kind
from custom_components.videodrome.engine.identify.score import Decision, Thresholds
from custom_components.videodrome.engine.ingest import destination as destination_module
from custom_components.videodrome.engine.ingest.extras import (
    EXTRA_OF_FILM,
    NO_FILM_FOR_EXTRA,
    PLEX_EXTRA_SCANNED,
    as_extra,
    film_folder,
    find_film,
    plex_folder,
    scan_for_extra,
)
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import (
    DESTINATION_EXISTS,
    Action,
    Settings,
)
from custom_components.videodrome.engine.ingest.service import IngestService
from custom_components.videodrome.engine.ingest.transfer import TransferMode
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.scan import PLEX_NOT_FOUND, PlexSync
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.engine.tmdb.models import Candidate
from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp

    from tests.emulators.tmdb import TMDbEmulator

TOKEN = "extras-token"


def parse_and_name(name: str) -> Identification:
    """An identification as TMDb would give it, without TMDb: the name's own title."""
    parsed = parse(name)
    title = parsed.title or ""
    if parsed.kind is Kind.MOVIE:
        match = Candidate("movie", 1, title, title, parsed.year)
        target = PurePosixPath(f"{title} ({parsed.year})", f"{title}.mkv")
        return Identification(
            name, parsed, Decision.AUTO, 1.0, (), match, library="movies", target=target
        )
    show = Candidate("tv", 1, title, title, parsed.year)
    target = PurePosixPath(title, "Season 01", f"{title} - s01e01.mkv")
    return Identification(name, parsed, Decision.AUTO, 1.0, (), show, library="tv", target=target)


FILM = "Heat (1995) {tmdb-949}"
FEATURE = b"feature " * 4000
DOWNLOAD = "Heat.1995.1080p.BluRay.x264-GRP"


class Env:
    """An ingest folder, Movies and TV libraries in the Plex emulator, the service."""

    def __init__(self, root: Path, plex: PlexEmulator) -> None:
        self.root = root
        self.ingest = root / "ingest"
        self.movies = root / "movies"
        self.plex = plex
        self.service: IngestService

    def drop(self, relative: str, content: bytes = b"extra " * 100) -> Path:
        file = self.ingest / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content)
        return file

    def scans(self) -> list[str | None]:
        return [r.query.get("path") for r in self.plex.requests if r.path.endswith("/refresh")]


async def _run(job: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, job)


def _service(
    env: Env,
    session: aiohttp.ClientSession,
    tmdb_url: str,
    store: Store,
    *,
    file_extras: bool = True,
    thresholds: Thresholds | None = None,
    mode: TransferMode = TransferMode.HARDLINK,
) -> IngestService:
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_url, store=store, backoff=0.01)
    identifier = Identifier(tmdb, thresholds=thresholds)
    settings = Settings((env.ingest,), env.movies, env.root / "tv", mode, file_extras=file_extras)
    client = PlexClient(env.plex.url, TOKEN, session)
    pipeline = Pipeline(identifier, settings, run_blocking=_run)
    sync = PlexSync(client, poll_interval=0.05, timeout=5)
    return IngestService(store, pipeline, identifier, tmdb, sync, run_blocking=_run)


@pytest.fixture
async def env(
    tmp_path: Path, tmdb_emulator: TMDbEmulator, session: aiohttp.ClientSession
) -> AsyncIterator[Env]:
    for name in ("ingest", "movies", "tv"):
        (tmp_path / name).mkdir()
    library = PlexLibrary.empty()
    library.add_section("Movies", "movie", [str(tmp_path / "movies")], key=1)
    library.add_section("TV Shows", "show", [str(tmp_path / "tv")], key=2)
    plex = PlexEmulator(library, token=TOKEN)
    await plex.start()
    store = Store(tmp_path / "videodrome.db")
    result = Env(tmp_path, plex)
    result.service = _service(result, session, tmdb_emulator.url, store)
    try:
        yield result
    finally:
        store.close()
        await plex.stop()


async def test_plex_is_asked_to_scan_the_films_folder(
    env: Env, session: aiohttp.ClientSession
) -> None:
    sync = PlexSync(PlexClient(env.plex.url, TOKEN, session), poll_interval=0.05, timeout=5)
    filed = env.movies / FILM / "Trailers" / "Heat-trailer.mkv"
    assert (await scan_for_extra(sync, filed)).status == PLEX_EXTRA_SCANNED
    assert env.scans() == [str(env.movies / FILM)]
    elsewhere = env.root / "elsewhere" / FILM / "Trailers" / "Heat-trailer.mkv"
    assert (await scan_for_extra(sync, elsewhere)).status == PLEX_NOT_FOUND  # no library has it


def test_only_a_films_identification_is_retargeted(tmp_path: Path) -> None:
    found = parse_and_name("Breaking.Bad.S01E01.720p.mkv")
    assert as_extra(found, tmp_path / "Featurettes" / "x.mkv") is found
    unnamed = replace(parse_and_name("Heat.1995.mkv"), target=None)
    assert as_extra(unnamed, tmp_path / "x-trailer.mkv") is unnamed


@pytest.mark.parametrize(
    ("path", "guessed", "folder"),
    [
        ("Film/Featurettes/Making Of.mkv", None, "Featurettes"),
        ("Film/featurette/Making Of.mkv", None, "Featurettes"),
        ("Film/Behind the Scenes/x.mkv", None, "Behind The Scenes"),
        ("Film/Deleted Scenes/x.mkv", None, "Deleted Scenes"),
        ("Film/Interviews/x.mkv", None, "Interviews"),
        ("Film/Trailers/x.mkv", None, "Trailers"),
        ("Film/Extras/x.mkv", None, "Other"),
        ("Film/Extras/Trailers/x.mkv", None, "Trailers"),  # the nearest folder says more
        ("Film/Heat-trailer.mkv", None, "Trailers"),
        ("Film/Heat-behindthescenes.mkv", None, "Behind The Scenes"),
        ("Film/Heat-deleted.mkv", None, "Deleted Scenes"),
        ("Film/Heat-interview.mkv", None, "Interviews"),
        ("Film/Heat-scene.mkv", None, "Scenes"),
        ("Film/Heat-short.mkv", None, "Shorts"),
        ("Film/Heat-other.mkv", None, "Other"),
        ("Film/Heat.Teaser.mkv", "trailer", "Trailers"),  # guessit's word
        ("Film/Heat.EPK.mkv", "featurette", "Featurettes"),
        ("Film/Heat-spider.mkv", None, "Other"),
    ],
)
def test_plex_folder(path: str, guessed: str | None, folder: str) -> None:
    assert plex_folder(PurePosixPath(path), guessed) == folder


def test_film_folder_and_feature(tmp_path: Path) -> None:
    download = tmp_path / "Heat.1995"
    (download / "Extras" / "Featurettes").mkdir(parents=True)
    (download / "Sample").mkdir()
    (download / "Heat.1995.mkv").write_bytes(FEATURE)
    (download / "Heat.1995.cd-small.mkv").write_bytes(b"x")
    (download / "Heat-trailer.mkv").write_bytes(FEATURE * 2)  # larger, but an extra
    (download / "Sample" / "heat.sample.mkv").write_bytes(FEATURE * 2)
    (download / "Heat.1995.nfo").write_bytes(FEATURE * 3)
    deep = download / "Extras" / "Featurettes" / "x.mkv"
    deep.write_bytes(b"x")
    assert film_folder(deep) == download
    assert film_folder(download / "Heat-trailer.mkv") == download
    assert find_film(deep) == download / "Heat.1995.mkv"
    assert find_film(download / "Heat-trailer.mkv", (download,)) is None  # an ingest folder
    assert find_film(tmp_path / "missing" / "Trailers" / "x.mkv") is None
    assert find_film(tmp_path / "x.mkv") is None  # no video beside it
    hidden = tmp_path / ".cache" / "Heat.1995"  # folders above the film's are not judged
    hidden.mkdir(parents=True)
    (hidden / "Heat.1995.mkv").write_bytes(FEATURE)
    assert find_film(hidden / "Heat-trailer.mkv") == hidden / "Heat.1995.mkv"


async def test_a_films_extras_go_into_its_extras_folders(env: Env) -> None:
    """One download: the film, a featurette, a trailer, a deleted scene; the sample stays."""
    feature = env.drop(f"{DOWNLOAD}/{DOWNLOAD}.mkv", FEATURE)
    making_of = env.drop(f"{DOWNLOAD}/Featurettes/Making of Heat.mkv")
    trailer = env.drop(f"{DOWNLOAD}/Heat-trailer.mkv")
    deleted = env.drop(f"{DOWNLOAD}/Extras/Deleted Scenes/Bank Robbery.mkv")
    sample = env.drop(f"{DOWNLOAD}/Sample/heat.sample.mkv")
    before = {p: p.stat() for p in (feature, making_of, trailer, deleted, sample)}
    outcomes = await env.service.ingest(env.ingest)
    by_source = {o.planned.source.path: o for o in outcomes}
    assert outcomes[0].planned.source.path == feature  # films first, then extras
    film = env.movies / FILM
    assert by_source[feature].status == "ingested"
    expected = {
        making_of: film / "Featurettes" / "Making of Heat.mkv",
        trailer: film / "Trailers" / "Heat-trailer.mkv",
        deleted: film / "Deleted Scenes" / "Bank Robbery.mkv",
    }
    for source, target in expected.items():
        outcome = by_source[source]
        assert outcome.status == "ingested", outcome.planned.reasons
        assert outcome.planned.reasons == (EXTRA_OF_FILM,)
        assert target.stat().st_ino == source.stat().st_ino  # a hard link, like the film
        assert outcome.item is not None
        assert outcome.item.tmdb_id == 949
        assert outcome.item.plex_status == PLEX_EXTRA_SCANNED  # scanned, no match to check
        assert outcome.item.destination == str(target)
    assert by_source[sample].status == "skipped"
    assert "sample" in by_source[sample].planned.reasons
    assert not (film / "Other").exists()
    assert all(p.stat().st_mtime_ns == s.st_mtime_ns for p, s in before.items())  # untouched
    assert env.scans() == [str(film)] * 4  # the film's folder: for the film, then each extra


async def test_an_extra_arriving_after_its_film(env: Env) -> None:
    """The watcher hands files one by one: the extra finds its film already filed."""
    feature = env.drop(f"{DOWNLOAD}/{DOWNLOAD}.mkv", FEATURE)
    (filed,) = await env.service.ingest(feature)
    assert filed.status == "ingested"
    trailer = env.drop(f"{DOWNLOAD}/Trailers/Heat Teaser.mkv")
    (outcome,) = await env.service.ingest(trailer)
    assert outcome.status == "ingested"
    assert (env.movies / FILM / "Trailers" / "Heat Teaser.mkv").exists()


async def test_a_copied_film_is_not_read_again_for_its_extras(
    env: Env,
    tmdb_emulator: TMDbEmulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In copy mode the filed film is recognised by its size and time, not by its bytes."""
    store = Store(tmp_path / "copy.db")
    try:
        env.service = _service(env, session, tmdb_emulator.url, store, mode=TransferMode.COPY)
        feature = env.drop(f"{DOWNLOAD}/{DOWNLOAD}.mkv", FEATURE)
        (filed,) = await env.service.ingest(feature)
        assert filed.status == "ingested"

        def no_reading(*_: object, **__: object) -> bool:
            raise AssertionError("the film was read again")

        monkeypatch.setattr(destination_module, "same_content", no_reading)
        trailer = env.drop(f"{DOWNLOAD}/Heat-trailer.mkv")
        (outcome,) = await env.service.ingest(trailer)
        assert outcome.status == "ingested"
        copied = env.movies / FILM / "Trailers" / "Heat-trailer.mkv"
        assert copied.read_bytes() == trailer.read_bytes()
        assert copied.stat().st_ino != trailer.stat().st_ino  # a copy, like the film
    finally:
        store.close()


async def test_an_extra_after_its_film_was_approved(
    env: Env, tmdb_emulator: TMDbEmulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The film waited for a person, who approved it; its extra, arriving later, follows."""
    store = Store(tmp_path / "approved.db")
    try:
        env.service = _service(
            env, session, tmdb_emulator.url, store, thresholds=Thresholds(auto=1.0)
        )
        feature = env.drop(f"{DOWNLOAD}/{DOWNLOAD}.mkv", FEATURE)
        (queued,) = await env.service.ingest(feature)
        assert queued.status == "review"
        assert queued.item is not None
        await env.service.approve(queued.item.id)
        trailer = env.drop(f"{DOWNLOAD}/Heat-trailer.mkv")
        (outcome,) = await env.service.ingest(trailer)
        assert outcome.status == "ingested", outcome.planned.reasons
        assert (env.movies / FILM / "Trailers" / "Heat-trailer.mkv").exists()
    finally:
        store.close()


async def test_an_extra_arriving_before_its_film(env: Env) -> None:
    """Its film is sure: the extra goes first, the film then finds its folder."""
    env.drop(f"{DOWNLOAD}/{DOWNLOAD}.mkv", FEATURE)
    trailer = env.drop(f"{DOWNLOAD}/Heat-trailer.mkv")
    (outcome,) = await env.service.ingest(trailer)
    assert outcome.status == "ingested"
    assert (env.movies / FILM / "Trailers" / "Heat-trailer.mkv").exists()


async def test_extras_of_a_film_waiting_for_review_wait_too(
    env: Env, tmdb_emulator: TMDbEmulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Approving the extra files it beside the film the person chose."""
    store = Store(tmp_path / "strict.db")
    try:
        env.service = _service(
            env, session, tmdb_emulator.url, store, thresholds=Thresholds(auto=1.0)
        )
        env.drop(f"{DOWNLOAD}/{DOWNLOAD}.mkv", FEATURE)
        making_of = env.drop(f"{DOWNLOAD}/Featurettes/Making of Heat.mkv")
        outcomes = await env.service.ingest(env.ingest)
        assert [o.status for o in outcomes] == ["review", "review"]
        extra = next(o for o in outcomes if o.planned.source.path == making_of)
        assert extra.planned.found.decision is Decision.REVIEW
        assert EXTRA_OF_FILM in extra.planned.reasons
        assert extra.item is not None
        assert extra.item.target == f"{FILM}/Featurettes/Making of Heat.mkv"
        approved = await env.service.approve(extra.item.id)
        assert approved.status == ItemStatus.INGESTED
        assert (env.movies / FILM / "Featurettes" / "Making of Heat.mkv").exists()
        assert not (env.movies / FILM / "Heat (1995).mkv").exists()  # the film still waits
    finally:
        store.close()


async def test_an_extra_never_replaces_a_file(env: Env) -> None:
    env.drop(f"{DOWNLOAD}/{DOWNLOAD}.mkv", FEATURE)
    env.drop(f"{DOWNLOAD}/Heat-trailer.mkv", b"the new trailer")
    taken = env.movies / FILM / "Trailers" / "Heat-trailer.mkv"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"the user's own trailer")
    outcomes = await env.service.ingest(env.ingest)
    trailer = outcomes[-1]
    assert trailer.status == "review"
    assert DESTINATION_EXISTS in trailer.planned.reasons
    assert taken.read_bytes() == b"the user's own trailer"


async def test_extras_without_a_film_are_skipped(env: Env) -> None:
    """Loose in the ingest folder, beside an episode or a film TMDb does not know: skipped."""
    env.drop("Heat-trailer.mkv")
    env.drop("Breaking.Bad.S01E01.720p/Breaking.Bad.S01E01.720p.mkv", FEATURE)
    env.drop("Breaking.Bad.S01E01.720p/Featurettes/Inside.mkv")
    env.drop("Unknown.Thing/Featurettes/Inside.mkv")
    env.drop("Qwzxv.Plorf.2011/Qwzxv.Plorf.2011.mkv", FEATURE)  # TMDb has nothing: manual
    alone = env.drop("Qwzxv.Plorf.2011/Qwzxv.Plorf-trailer.mkv")
    plans = await env.service.plan(env.ingest)
    extras = [p for p in plans if p.found.parsed.extra]
    extras += await env.service.plan(alone)  # its film planned apart, as the watcher does
    assert len(extras) == 5
    assert all(p.action is Action.SKIP for p in extras)
    assert all(p.reasons[-1] == NO_FILM_FOR_EXTRA for p in extras)


async def test_the_option_off_skips_extras_as_before(
    env: Env, tmdb_emulator: TMDbEmulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    store = Store(tmp_path / "off.db")
    try:
        env.service = _service(env, session, tmdb_emulator.url, store, file_extras=False)
        env.drop(f"{DOWNLOAD}/{DOWNLOAD}.mkv", FEATURE)
        env.drop(f"{DOWNLOAD}/Heat-trailer.mkv")
        plans = await env.service.plan(env.ingest)
        assert {p.source.path.name: (p.action, p.reasons) for p in plans} == {
            f"{DOWNLOAD}.mkv": (Action.TRANSFER, ()),
            "Heat-trailer.mkv": (Action.SKIP, ("extra",)),
        }
    finally:
        store.close()
