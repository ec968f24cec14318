"""Better copies of what Plex holds, filed as Plex versions (ingest/versions.py), end to end.

Real files, the Plex emulator (which groups the files of one film or episode in one folder
as versions of one item, tests/emulators/plex_versions.py) and the TMDb emulator.
"""

from __future__ import annotations

from dataclasses import replace
import os
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.identify.identifier import Identification
from custom_components.videodrome.engine.identify.parsed_name import Kind, ParsedName
from custom_components.videodrome.engine.identify.quality import from_name
from custom_components.videodrome.engine.identify.score import Decision
from custom_components.videodrome.engine.ingest.plan import ALREADY_IN_LIBRARY, Action
from custom_components.videodrome.engine.ingest.service import Event
from custom_components.videodrome.engine.ingest.versions import (
    BETTER_COPY,
    DUPLICATE_NOT_BETTER,
    PLEX_NOT_GROUPED,
    Comparison,
    Decision as VersionDecision,
    Held,
    WhenHeld,
    check_grouped,
    consider,
    version_name,
)
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.fix_match import MatchFix
from custom_components.videodrome.engine.plex.scan import Verification
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from tests.emulators.plex import PlexEmulator
from tests.engine.conftest import movies_and_tv
from tests.engine.ingest.test_service import TOKEN, Env, make_service

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    import aiohttp

    from custom_components.videodrome.engine.library.records import Existing
    from custom_components.videodrome.engine.store.items import Item
    from tests.emulators.server import Emulators
    from tests.emulators.tmdb import TMDbEmulator

FILM = "Heat (1995) {tmdb-949}"


@pytest.fixture
async def env(
    tmp_path: Path,
    tmdb_emulator: TMDbEmulator,
    session: aiohttp.ClientSession,
    emulators: Emulators,
) -> AsyncIterator[Env]:
    """test_service's setting: empty Movies and TV libraries in Plex, real folders, a store."""
    for name in ("ingest", "movies", "tv"):
        (tmp_path / name).mkdir()
    plex = await emulators.start(PlexEmulator(movies_and_tv(tmp_path), token=TOKEN))
    events: list[tuple[str, Item]] = []
    with Store(tmp_path / "videodrome.db") as store:
        service = make_service(
            tmp_path, session, plex=plex, tmdb_url=tmdb_emulator.url, store=store, events=events
        )
        result = Env(tmp_path, plex, service)
        result.events = events
        yield result


def _when_held(env: Env, when_held: WhenHeld) -> None:
    pipeline = env.service.pipeline
    pipeline.settings = replace(pipeline.settings, when_held=str(when_held))


def _plex_movie(env: Env, title: str) -> list[str]:
    """The files of the one film of this title the emulated Plex holds (its versions)."""
    (movie,) = [
        i for i in env.plex.library.items.values() if i.type == "movie" and i.title == title
    ]
    return [file for file, _ in movie.files]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_a_better_film_is_filed_as_a_version(env: Env) -> None:
    """A 2160p copy of a film Plex holds in 720p: beside it, one item with two media."""
    _when_held(env, WhenHeld.VERSION)
    first = env.drop("Heat.1995.720p.BluRay.x264-GRP.mkv", b"720p copy")
    await env.service.ingest(first)
    better = env.drop("later/Heat.1995.2160p.UHD.BluRay.REMUX.HDR.HEVC-GRP.mkv", b"2160p copy")
    (outcome,) = await env.service.ingest(better)
    assert outcome.status == "ingested"
    assert outcome.planned.action is Action.TRANSFER
    assert BETTER_COPY in outcome.planned.reasons
    assert ALREADY_IN_LIBRARY not in outcome.planned.reasons
    folder = env.movies / FILM
    assert _files(folder) == [
        "Heat (1995) - 2160p Remux HDR.mkv",
        "Heat (1995) - 720p Blu-ray.mkv",
    ]
    assert (folder / "Heat (1995) - 720p Blu-ray.mkv").read_bytes() == b"720p copy"
    assert first.exists()
    assert better.exists()
    # Plex: one item, two versions; the item Videodrome recorded is that one.
    assert sorted(_plex_movie(env, "Heat")) == sorted(str(p) for p in folder.iterdir())
    item = outcome.item
    assert item is not None
    assert item.plex_status == "plex_matched"
    assert item.quality is not None
    assert item.quality["decision"] == "version"
    assert item.quality["new"]["label"] == "2160p Remux HDR"
    assert item.quality["existing"]["resolution"] == 720
    assert item.quality["existing"]["file"].endswith("Heat (1995) - 720p Blu-ray.mkv")
    kinds = [kind for kind, _ in env.events]
    assert kinds == [Event.INGESTED, Event.INGESTED, Event.UPGRADED]
    assert env.events[-1][1].destination == str(folder / "Heat (1995) - 2160p Remux HDR.mkv")
    assert env.events[-1][1].target == f"{FILM}/Heat (1995) - 2160p Remux HDR.mkv"
    record = outcome.as_json()
    assert record["quality"]["existing"]["label"] == "720p Blu-ray"


async def test_a_proper_of_an_episode_is_a_version(env: Env) -> None:
    """A PROPER of the same quality counts as better; Plex's episode gets a second media."""
    _when_held(env, WhenHeld.VERSION)
    await env.service.ingest(env.drop("Chernobyl.S01E02.720p.HDTV.x264-GRP.mkv", b"first"))
    (outcome,) = await env.service.ingest(
        env.drop("p/Chernobyl.S01E02.PROPER.720p.HDTV.x264-GRP.mkv", b"proper")
    )
    assert outcome.status == "ingested", outcome.planned.reasons
    assert outcome.planned.destination is not None
    assert outcome.planned.destination.name.endswith("[720p HDTV Proper].mkv")
    season = outcome.planned.destination.parent
    assert len(_files(season)) == 2
    episodes = [i for i in env.plex.library.items.values() if i.type == "episode" and i.index == 2]
    assert len(episodes) == 1
    assert len(episodes[0].files) == 2
    assert env.events[-1][0] == Event.UPGRADED


@pytest.mark.parametrize(
    ("when_held", "status", "reasons"),
    [
        (WhenHeld.SKIP, "skipped", (DUPLICATE_NOT_BETTER,)),
        (WhenHeld.VERSION, "review", (ALREADY_IN_LIBRARY, DUPLICATE_NOT_BETTER)),
        (WhenHeld.ASK, "review", (ALREADY_IN_LIBRARY,)),
    ],
)
async def test_a_copy_that_is_not_better(
    env: Env, when_held: WhenHeld, status: str, reasons: tuple[str, ...]
) -> None:
    """A lower copy: skipped or asked about, per the option; nothing filed, nothing deleted."""
    _when_held(env, when_held)
    await env.service.ingest(env.drop("Heat.1995.1080p.BluRay.x264-GRP.mkv", b"1080p"))
    lower = env.drop("l/Heat.1995.720p.WEB-DL.x264-GRP.mkv", b"720p")
    (outcome,) = await env.service.ingest(lower)
    assert outcome.status == status
    assert tuple(r for r in outcome.planned.reasons if r in {*reasons, BETTER_COPY}) == reasons
    assert _files(env.movies / FILM) == ["Heat (1995) - 1080p Blu-ray.mkv"]
    assert lower.read_bytes() == b"720p"
    assert outcome.item is not None
    assert outcome.item.quality is not None
    assert outcome.item.quality["better"] is False
    assert outcome.item.quality["new"]["label"] == "720p WEB-DL"
    assert outcome.item.quality["existing"]["label"] == "1080p Blu-ray"
    assert Event.UPGRADED not in [kind for kind, _ in env.events]


async def test_always_ask_asks_even_for_a_better_copy(env: Env) -> None:
    """`ask`: the better copy waits for a person, both qualities side by side."""
    _when_held(env, WhenHeld.ASK)
    await env.service.ingest(env.drop("Heat.1995.720p.BluRay.x264-GRP.mkv"))
    (outcome,) = await env.service.ingest(env.drop("b/Heat.1995.2160p.WEB-DL.mkv", b"b"))
    assert outcome.status == "review"
    assert outcome.item is not None
    assert outcome.item.quality is not None
    assert outcome.item.quality["decision"] == "ask"
    assert outcome.item.quality["better"] is True


async def test_a_version_name_that_is_taken_gets_a_number(env: Env) -> None:
    """A file with the version's name already there (not this copy) is never replaced."""
    _when_held(env, WhenHeld.VERSION)
    await env.service.ingest(env.drop("Heat.1995.720p.BluRay.x264-GRP.mkv", b"720p"))
    folder = env.movies / FILM
    (folder / "Heat (1995) - 2160p WEB-DL.mkv").write_bytes(b"the user's own")
    (outcome,) = await env.service.ingest(env.drop("u/Heat.1995.2160p.WEB-DL.mkv", b"new"))
    assert outcome.status == "ingested"
    assert (folder / "Heat (1995) - 2160p WEB-DL.mkv").read_bytes() == b"the user's own"
    assert (folder / "Heat (1995) - 2160p WEB-DL (2).mkv").read_bytes() == b"new"


async def test_with_automatic_filing_off_a_better_copy_waits(env: Env) -> None:
    """The auto-ingest switch off: a better copy waits for a person like any other file."""
    _when_held(env, WhenHeld.VERSION)
    await env.service.ingest(env.drop("Heat.1995.720p.BluRay.x264-GRP.mkv"))
    (outcome,) = await env.service.plan(env.drop("x/Heat.1995.2160p.WEB-DL.mkv", b"x"), auto=False)
    assert outcome.action is Action.REVIEW
    assert "auto_ingest_off" in outcome.reasons
    assert outcome.comparison is not None
    assert outcome.comparison.better is True


@pytest.mark.parametrize(
    ("merge", "status", "items"), [(True, "plex_matched", 1), (False, PLEX_NOT_GROUPED, 2)]
)
async def test_a_version_plex_did_not_group(
    env: Env,
    merge: bool,
    status: str,
    items: int,
) -> None:
    """Plex made a separate item of the version: merged (match fix on), else reported."""
    _when_held(env, WhenHeld.VERSION)
    assert env.service.follow_up is not None
    env.service.follow_up.mode = MatchFix.AUTO if merge else MatchFix.OFF
    await env.service.ingest(env.drop("Heat.1995.720p.BluRay.x264-GRP.mkv", b"720p"))
    env.plex.library.group_versions = False
    (outcome,) = await env.service.ingest(env.drop("g/Heat.1995.2160p.WEB-DL.mkv", b"4k"))
    assert outcome.item is not None
    assert outcome.item.status == ItemStatus.INGESTED
    assert outcome.item.plex_status == status
    movies = [i for i in env.plex.library.items.values() if i.type == "movie" and i.title == "Heat"]
    assert len(movies) == items
    assert sum(len(m.files) for m in movies) == 2
    assert outcome.item.quality is not None
    if merge:
        assert outcome.item.plex_rating_key == outcome.item.quality["existing"]["rating_key"]


def test_version_names() -> None:
    """The identifier's quality tail is replaced by the model's label, in each kind's form."""

    def found(library: str, screen_size: str | None, source: str | None) -> Identification:
        parsed = ParsedName("x.mkv", Kind.MOVIE, screen_size=screen_size, source=source)
        return Identification("x.mkv", parsed, Decision.AUTO, 1.0, (), library=library)  # type: ignore[arg-type]

    uhd = from_name("Dune.2021.2160p.WEB-DL")
    assert (
        version_name("Dune (2021) - 2160p Web.mkv", found("movies", "2160p", "Web"), uhd)
        == "Dune (2021) - 2160p WEB-DL.mkv"
    )
    assert (
        version_name("Dune (2021).mkv", found("movies", None, None), uhd)
        == "Dune (2021) - 2160p WEB-DL.mkv"
    )
    proper = from_name("Show.S01E01.PROPER.720p.HDTV")
    assert (
        version_name(
            "Show (2020) - s01e01 - Pilot [720p HDTV].mkv", found("tv", "720p", "HDTV"), proper
        )
        == "Show (2020) - s01e01 - Pilot [720p HDTV Proper].mkv"
    )


async def test_the_issue_s_scenario_end_to_end(env: Env, session: aiohttp.ClientSession) -> None:
    """Plex holds a 720p film and a 720p episode: a 2160p copy and a PROPER become versions
    (Plex answers one item with two `Media` for each), a lower copy is skipped, nothing is
    deleted.
    """
    _when_held(env, WhenHeld.SKIP)
    held = [
        env.drop("Heat.1995.720p.BluRay.x264-GRP.mkv", b"film 720p"),
        env.drop("Chernobyl.S01E02.720p.HDTV.x264-GRP.mkv", b"episode 720p"),
    ]
    for file in held:
        (outcome,) = await env.service.ingest(file)
        assert outcome.status == "ingested"
    library_before = {
        p: p.read_bytes() for p in env.root.rglob("*.mkv") if env.ingest not in p.parents
    }
    arrivals = [
        env.drop("n/Heat.1995.2160p.WEB-DL.DDP5.1.HDR.HEVC-GRP.mkv", b"film 2160p"),
        env.drop("n/Chernobyl.S01E02.PROPER.720p.HDTV.x264-GRP.mkv", b"episode proper"),
        env.drop("n/Heat.1995.480p.DVDRip.x264-GRP.mkv", b"film 480p"),
    ]
    statuses = [(await env.service.ingest(file))[0].status for file in arrivals]
    assert statuses == ["ingested", "ingested", "skipped"]
    # Every file that was there is still there, unchanged; every download too.
    assert all(path.read_bytes() == data for path, data in library_before.items())
    assert all(path.exists() for path in [*held, *arrivals])
    # Plex's own answers: one film and one episode, two versions each.
    client = PlexClient(env.plex.url, TOKEN, session)
    for item in env.plex.library.items.values():
        if item.type in {"movie", "episode"}:
            raw = await client.metadata(item.rating_key)
            assert len(raw["Media"]) == 2, item.title
            assert all(len(media["Part"]) == 1 for media in raw["Media"])
    assert [kind for kind, _ in env.events].count(Event.UPGRADED) == 2


async def test_plex_refusing_the_merge_is_recorded(env: Env) -> None:
    """Match fixing on, but Plex refuses the merge: the version stays, `plex_not_grouped`."""
    _when_held(env, WhenHeld.VERSION)
    assert env.service.follow_up is not None
    env.service.follow_up.mode = MatchFix.AUTO
    (first,) = await env.service.ingest(env.drop("Heat.1995.720p.BluRay.x264-GRP.mkv", b"720p"))
    assert first.item is not None
    env.plex.library.group_versions = False
    env.plex.faults.fail_prefix = f"/library/metadata/{first.item.plex_rating_key}/merge"
    env.plex.faults.fail_next = 1
    (outcome,) = await env.service.ingest(env.drop("m/Heat.1995.2160p.WEB-DL.mkv", b"4k"))
    assert outcome.item is not None
    assert outcome.item.plex_status == PLEX_NOT_GROUPED
    assert len(_files(env.movies / FILM)) == 2


async def test_when_a_version_cannot_be_placed_a_person_decides(env: Env, tmp_path: Path) -> None:
    """Plex's copy outside the library root, every name taken, the same copy there already."""
    _when_held(env, WhenHeld.VERSION)
    await env.service.ingest(env.drop("Heat.1995.720p.BluRay.x264-GRP.mkv", b"720p"))
    source = env.drop("c/Heat.1995.2160p.WEB-DL.mkv", b"4k")
    (planned,) = await env.service.plan(source)
    assert planned.existing is not None
    pipeline = env.service.pipeline
    folder = env.movies / FILM
    outside = replace(planned.existing, local_file=str(tmp_path / "elsewhere" / "Heat.mkv"))
    run = env.service.pipeline._run_blocking

    async def consider_with(existing: Existing, action: Action = Action.TRANSFER) -> Held:
        return await consider(
            WhenHeld.VERSION,
            planned.found,
            source,
            existing,
            action=action,
            reasons=(ALREADY_IN_LIBRARY,),
            planned=pipeline.settings.movies_root / "x" / "Heat (1995) - 2160p Web.mkv",
            root=pipeline.settings.movies_root,
            run_blocking=run,
        )

    held = await consider_with(outside)
    assert (held.action, held.reasons) == (Action.REVIEW, (ALREADY_IN_LIBRARY, BETTER_COPY))
    (tmp_path / "out").mkdir()
    linked = env.movies / "Linked (1995)"
    linked.symlink_to(tmp_path / "out")  # inside the root by name, outside in fact
    held = await consider_with(replace(planned.existing, local_file=str(linked / "Heat.mkv")))
    assert held.action is Action.REVIEW
    assert list((tmp_path / "out").iterdir()) == []
    held = await consider_with(planned.existing, Action.REVIEW)  # identification not sure
    assert held.action is Action.REVIEW
    assert held.comparison.better is True
    name = "Heat (1995) - 2160p WEB-DL"
    taken = [folder / f"{name}.mkv", *(folder / f"{name} ({n}).mkv" for n in range(2, 10))]
    for file in taken:
        file.write_bytes(b"someone else's")
    assert (await consider_with(planned.existing)).action is Action.REVIEW
    taken[-1].unlink()
    os.link(source, taken[-1])  # this very copy is already there, as a version
    held = await consider_with(planned.existing)
    assert (held.action, held.reasons[-1]) == (Action.SKIP, "already_ingested")
    assert all(file.exists() for file in taken)


async def test_the_grouping_check_leaves_other_verdicts_alone(env: Env) -> None:
    """Only a match with another rating key than Plex's copy's is looked at."""
    sync = env.service._sync
    assert sync is not None
    comparison = Comparison(
        from_name("a.2160p.mkv"), from_name("a.720p.mkv"), True, VersionDecision.VERSION, None, "7"
    )
    for verification in (
        Verification("plex_mismatch", rating_key="8"),
        Verification("plex_matched", rating_key="7"),
        Verification("plex_matched", rating_key=None),
    ):
        assert await check_grouped(sync, comparison, verification, merge=True) == verification
