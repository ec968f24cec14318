"""Engine properties over generated names and paths (Hypothesis, deterministic in CI).

- `parse` never raises, whatever the name (its errors are reason codes);
- Plex names are always safe relative paths: no `..`, no separator, control character or
  surrogate inside a component, at most 255 bytes each, nothing Windows refuses;
- a plan never puts a file outside its library root, even when the target or the show's
  folder Plex reports is hostile, or a folder inside the root is a link that leads out;
- `plex_path` refuses relative, `..` and control-character paths, and a section is only
  ever found for a path inside it.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.videodrome.engine.errors import UnsafePathError
from custom_components.videodrome.engine.identify.companions import COMPANION_ROOM, companion_path
from custom_components.videodrome.engine.identify.identifier import Identification
from custom_components.videodrome.engine.identify.naming import (
    EpisodeName,
    MovieName,
    episode_path,
    movie_path,
)
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.parsed_name import Kind, ParsedName
from custom_components.videodrome.engine.identify.safe_names import sanitise
from custom_components.videodrome.engine.identify.score import Decision
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import TARGET_OUTSIDE_ROOT, Action, Settings
from custom_components.videodrome.engine.ingest.sources import source_file
from custom_components.videodrome.engine.plex.models import LibrarySection
from custom_components.videodrome.engine.plex.paths import is_within, plex_path, section_for_path
from tests.reliability.safety import (
    assert_safe_component,
    assert_safe_relative,
    real_location,
    within,
)
from tests.reliability.strategies import EXTENSIONS, HOSTILE, hostile_text, names, titles

if TYPE_CHECKING:
    from collections.abc import Callable

    from custom_components.videodrome.engine.ingest.plan import PlannedFile
    from tests.reliability.conftest import Counter

PARSE_EXAMPLES = 1200
NAMING_EXAMPLES = 1200
PATH_EXAMPLES = 1200
PLAN_EXAMPLES = 800


def _check_parsed(parsed: ParsedName) -> None:
    assert isinstance(parsed.kind, Kind)
    assert isinstance(parsed.path, str)
    assert parsed.extension is None or parsed.extension.startswith(".")
    for reading in parsed.readings:
        assert isinstance(reading.title, str)
        assert reading.title
    if parsed.kind is Kind.UNKNOWN:
        assert parsed.reasons or not parsed.readings


@pytest.mark.timeout(300)
@settings(max_examples=PARSE_EXAMPLES)
@given(name=names, root=st.sampled_from((None, "/downloads", "/downloads/", "\\\\nas\\in")))
@example(name="\x00.mkv", root=None)
@example(name="a" * 5000 + ".mkv", root=None)
@example(name="\udcff\udcfe.mkv", root="/downloads")
@example(name="../../../etc/passwd", root="/downloads")
@example(name="/", root=None)
def test_parse_never_raises(name: str, root: str | None, generated: Counter) -> None:
    generated()
    _check_parsed(parse(f"{root or ''}/{name}", root))
    _check_parsed(parse(name))


@pytest.mark.timeout(300)
@settings(max_examples=PARSE_EXAMPLES // 3)
@given(raw=st.binary(max_size=300))
def test_parse_of_undecodable_bytes(raw: bytes, generated: Counter) -> None:
    generated()
    parsed = parse(b"/downloads/" + raw)
    _check_parsed(parsed)
    parsed.path.encode("utf-8")  # what reaches the history and the events is valid text


def _naming(call: Callable[[], PurePosixPath]) -> PurePosixPath | None:
    """The path, or None where the naming refuses the input with its documented ValueError."""
    try:
        return call()
    except ValueError:
        return None


years = st.one_of(st.none(), st.integers(min_value=-5, max_value=12000))
ids = st.one_of(st.none(), st.integers(min_value=-3, max_value=2**40))
free = st.one_of(st.none(), titles)
extensions = st.one_of(st.sampled_from(("mkv", ".MKV", "mp4", " .avi ", "m2ts")), hostile_text)


@pytest.mark.timeout(300)
@settings(max_examples=NAMING_EXAMPLES)
@given(
    title=titles,
    year=years,
    tmdb_id=ids,
    imdb_id=st.one_of(
        st.none(), st.sampled_from(("tt0133093", "tt../..", "TT1234567")), hostile_text
    ),
    edition=free,
    part=st.one_of(st.none(), st.integers(min_value=-1, max_value=10)),
    quality=free,
    extension=extensions,
    include_ids=st.booleans(),
)
@example(
    title="../../etc", year=1999, tmdb_id=603, imdb_id=None, edition="../x", part=None,
    quality="/", extension="mkv", include_ids=True,
)  # fmt: skip
def test_movie_names_are_safe(
    title: str,
    year: int | None,
    tmdb_id: int | None,
    imdb_id: str | None,
    edition: str | None,
    part: int | None,
    quality: str | None,
    extension: str,
    include_ids: bool,
    generated: Counter,
) -> None:
    generated()
    name = MovieName(title, year, tmdb_id, imdb_id, edition, part, quality)
    path = _naming(lambda: movie_path(name, extension, include_ids=include_ids))
    if path is None:
        return
    assert_safe_relative(path)
    assert len(path.parts) == 2
    # The video leaves room for its longest companion name.
    assert len(path.name.encode()) <= 255 - COMPANION_ROOM + len(path.suffix)


@pytest.mark.timeout(300)
@settings(max_examples=NAMING_EXAMPLES)
@given(
    show=titles,
    year=years,
    season=st.one_of(st.none(), st.integers(min_value=-2, max_value=10000)),
    episodes=st.lists(st.integers(min_value=-1, max_value=100_000), max_size=4).map(tuple),
    episode_title=free,
    air_date=st.one_of(st.none(), st.dates(min_value=date(1, 1, 1))),
    tvdb_id=ids,
    tmdb_id=ids,
    quality=free,
    extension=extensions,
)
def test_episode_names_are_safe(
    show: str,
    year: int | None,
    season: int | None,
    episodes: tuple[int, ...],
    episode_title: str | None,
    air_date: date | None,
    tvdb_id: int | None,
    tmdb_id: int | None,
    quality: str | None,
    extension: str,
    generated: Counter,
) -> None:
    generated()
    name = EpisodeName(
        show, year, season, episodes, episode_title, air_date, tvdb_id, tmdb_id, quality
    )
    path = _naming(lambda: episode_path(name, extension))
    if path is None:
        return
    assert_safe_relative(path)
    assert len(path.parts) == 3
    assert len(path.name.encode()) <= 255 - COMPANION_ROOM + len(path.suffix)


@pytest.mark.timeout(300)
@settings(max_examples=NAMING_EXAMPLES)
@given(
    title=titles,
    companion=st.one_of(
        names, st.builds(lambda n, e: n + e, names, st.sampled_from((".srt", ".en.srt", ".jpg")))
    ),
    source_stem=st.one_of(st.none(), names),
)
def test_companion_names_are_safe(
    title: str, companion: str, source_stem: str | None, generated: Counter
) -> None:
    generated()
    video = _naming(lambda: movie_path(MovieName(title, 2000, 1), "mkv"))
    if video is None:  # an empty title: refused, as the naming properties show
        return
    path = _naming(lambda: companion_path(video, companion, source_stem=source_stem))
    if path is None:
        return
    assert_safe_relative(path)
    assert path.parent == video.parent


@pytest.mark.timeout(300)
@settings(max_examples=NAMING_EXAMPLES)
@given(text=names, suffix=st.sampled_from(("", ".mkv", " {tmdb-603}", " (1999)")))
def test_sanitise_makes_one_safe_component(text: str, suffix: str, generated: Counter) -> None:
    generated()
    component = sanitise(text + suffix, keep_suffix=suffix)
    assert_safe_component(component)
    assert component.endswith(suffix)


# ---- plex_path and sections --------------------------------------------------------------------


def _section(key: int, *locations: str) -> LibrarySection:
    return LibrarySection(key, f"uuid-{key}", f"Section {key}", "movie", None, None, locations,
                          refreshing=False, scanned_at=None, updated_at=None)  # fmt: skip


SECTIONS = (
    _section(1, "/data/movies", "C:\\Movies"),
    _section(2, "/data/tv", "/data/movies/../tv", "\x00", "relative"),
    _section(3, "/data/movies/4k"),
)

plex_paths = st.one_of(
    names,
    st.builds(lambda n: "/" + n, names),
    st.builds(lambda n: "C:\\" + n, names),
    st.builds(lambda n: "\\\\nas\\share\\" + n, names),
    st.builds(lambda n: "/data/movies/" + n, names),
)


@pytest.mark.timeout(300)
@settings(max_examples=PATH_EXAMPLES)
@given(raw=plex_paths)
@example(raw="/data/movies/../../etc")
@example(raw="C:\\Movies\\..\\Windows")
@example(raw="/data/movies/\x00")
def test_plex_paths_refuse_what_is_unsafe(raw: str, generated: Counter) -> None:
    generated()
    try:
        path = plex_path(raw)
    except UnsafePathError:
        return
    assert path.is_absolute()
    assert ".." not in path.parts
    assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in str(path))
    found = section_for_path(SECTIONS, path)
    if found is not None:
        section, location = found
        assert is_within(path, location)
        assert location in {plex_path(loc) for loc in section.locations if _safe(loc)}
        assert isinstance(location, (PurePosixPath, PureWindowsPath))


def _safe(location: str) -> bool:
    try:
        plex_path(location)
    except UnsafePathError:
        return False
    return True


# ---- plans stay inside the library roots -------------------------------------------------------


class _Folders:
    """The show folder a library lookup reports (as Plex, through the path mapping, would)."""

    def __init__(self) -> None:
        self.folder: Path | None = None

    async def find(self, found: Identification) -> None:
        del found

    def invalidate(self) -> None:
        """Nothing is remembered."""

    async def show_folder(self, found: Identification) -> Path | None:
        del found
        return self.folder


async def _inline(job: Callable[[], Any]) -> Any:
    return job()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Library roots with links that lead out of them, and a folder outside."""
    base = tmp_path_factory.mktemp("plan")
    for folder in ("ingest", "movies", "tv", "outside/deep"):
        (base / folder).mkdir(parents=True)
    (base / "ingest" / "Film.2000.mkv").write_bytes(b"film")
    (base / "movies" / "Escape (2000)").symlink_to(base / "outside")
    (base / "movies" / "Inside").symlink_to(base / "movies")
    (base / "tv" / "Escape Show").symlink_to(base / "outside" / "deep")
    (base / "tv" / "Real Show").mkdir()
    return base


LINK_NAMES = ("Escape (2000)", "Escape Show", "Inside", "Real Show", "Escape Show/..")
target_parts = st.lists(
    st.one_of(st.sampled_from(LINK_NAMES), st.sampled_from(HOSTILE), hostile_text),
    min_size=1,
    max_size=5,
)


@pytest.mark.timeout(300)
@settings(max_examples=PLAN_EXAMPLES)
@given(
    library=st.sampled_from(("movies", "tv")),
    parts=target_parts,
    extension=st.sampled_from(EXTENSIONS),
    show_folder=st.one_of(st.none(), target_parts),
    absolute_show=st.booleans(),
)
@example(library="movies", parts=["Escape (2000)", "Escape (2000).mkv"], extension="",
         show_folder=None, absolute_show=False)  # fmt: skip
@example(library="tv", parts=["Show", "Season 01", "x.mkv"], extension="",
         show_folder=["Escape Show", ".."], absolute_show=False)  # fmt: skip
def test_a_plan_never_leaves_its_root(
    tree: Path,
    library: str,
    parts: list[str],
    extension: str,
    show_folder: list[str] | None,
    absolute_show: bool,
    generated: Counter,
) -> None:
    generated()
    settings_ = Settings((tree / "ingest",), tree / "movies", tree / "tv")
    lookup = _Folders()
    root = settings_.root(library)
    if show_folder is not None:
        joined = "/".join(show_folder).replace("\x00", "")
        lookup.folder = Path("/", joined) if absolute_show else root / joined
    pipeline = Pipeline(_NoIdentifier(), settings_, lookup=lookup, run_blocking=_inline)  # type: ignore[arg-type]
    parsed = parse(tree / "ingest" / "Film.2000.mkv")
    target = PurePosixPath(*parts[:-1], parts[-1] + extension)
    found = Identification(str(parsed.path), parsed, Decision.AUTO, 1.0, (), library=library,  # type: ignore[arg-type]
                           target=target)  # fmt: skip
    source = source_file(tree / "ingest" / "Film.2000.mkv")
    _check_plan(asyncio.run(pipeline.plan_identified(source, found)), root)


def _check_plan(planned: PlannedFile, root: Path) -> None:
    if planned.destination is None:
        return
    if TARGET_OUTSIDE_ROOT in planned.reasons:
        assert planned.action is Action.MANUAL
        return
    destination = planned.destination
    assert ".." not in destination.parts, destination
    assert within(real_location(destination), root.resolve()), destination
    for _, companion in planned.companions:
        assert within(real_location(companion), root.resolve()), companion


class _NoIdentifier:
    """plan_identified is given its identification: nothing is identified here."""

    async def identify(self, *_args: object, **_kwargs: object) -> Identification:
        raise AssertionError("not called")


def test_the_tree_has_its_links(tree: Path) -> None:
    """The links the plan property relies on really lead out of the roots."""
    assert not within(
        real_location(tree / "movies" / "Escape (2000)" / "x"), (tree / "movies").resolve()
    )
    assert (tree / "tv" / "Escape Show").is_symlink()
