"""Home Assistant service calls with generated payloads (Hypothesis, deterministic in CI).

Every Videodrome service is called through `hass.services.async_call(..., blocking=True)`
with payloads made of hostile paths (unicode, NUL and control characters, overlong, `..`,
absolute paths elsewhere, links that lead out of the folders, link loops, undecodable
names), wrong types, huge lists and bogus ids. Properties:

- the only exceptions are `ServiceValidationError` (the input is at fault) and `vol.Invalid`
  (the schema refused it); anything else is a bug;
- a response is JSON that Home Assistant can send (no surrogates, no stray objects);
- nothing outside the library roots changes, and the ingest folder is never touched: the
  tree is compared before and after every call.

Hypothesis drives the calls from a thread of its own (its engine is synchronous) and hands
each one to Home Assistant's event loop, which stays free to run them.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import intent, llm
from homeassistant.helpers.json import json_bytes
from hypothesis import given, settings, strategies as st
import probatio as vol
import pytest

from custom_components.videodrome.const import CONF_LLM_SCAN, DOMAIN
from tests.integration.conftest import llm_api
from tests.reliability.safety import snapshot
from tests.reliability.strategies import HOSTILE, hostile_text, names

pytestmark = [
    pytest.mark.usefixtures("ha_integration"),
    # Home Assistant's loop (another thread) draws from `random` (back-off jitter) while
    # Hypothesis generates the next call here; Hypothesis takes that for a strategy using it.
    pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies"),
]

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.reliability.conftest import Counter

SERVICE_EXAMPLES = 400
_ALL = ("answered", "refused", "invalid")
# What each service must have done at least once; by default all three. A generated id
# rarely names the one queued item (and once approved or rejected it is gone), and history
# refuses nothing its schema lets through.
_OUTCOMES = {
    "approve": ("refused", "invalid"),
    "reject": ("refused", "invalid"),
    "undo": ("refused", "invalid"),
    "history": ("answered", "invalid"),
}
CALL_TIMEOUT = 60.0


class Tree:
    """The folders under test, with the files and links the payloads point at."""

    def __init__(self, tmp_path: Path, media_root: Path) -> None:
        self.base = tmp_path
        self.ingest = tmp_path / "ingest"
        self.movies = media_root / "Movies"
        self.tv = media_root / "TV Shows"
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "Secret.2001.mkv").write_bytes(b"secret")
        (outside / "Show.S01E01.mkv").write_bytes(b"show")
        ingest = self.ingest
        (ingest / "Titanic.1997.1080p.mkv").write_bytes(b"titanic")
        (ingest / "Heat 1995 ☕ ünïcödé.mkv").write_bytes(b"heat")
        (ingest / "line\nbreak.Dune.2021.mkv").write_bytes(b"dune")
        (ingest / "release").mkdir()
        (ingest / "release" / "Avatar.2009.mkv").write_bytes(b"avatar")
        (ingest / "ambiguous").mkdir()
        (ingest / "ambiguous" / "Dune.mkv").write_bytes(b"which dune")
        os.close(
            os.open(os.fsencode(ingest) + b"/Joker.2019.\xff\xfe.mkv", os.O_CREAT | os.O_WRONLY)
        )
        (ingest / "escape.mkv").symlink_to(outside / "Secret.2001.mkv")
        (ingest / "escape-folder").symlink_to(outside)
        (ingest / "loop-a").symlink_to(ingest / "loop-b")
        (ingest / "loop-b").symlink_to(ingest / "loop-a")
        (ingest / "inside-link.mkv").symlink_to(ingest / "Titanic.1997.1080p.mkv")
        (ingest / ("x" * 200)).mkdir()
        (self.movies / "Linked (2000)").symlink_to(outside)
        (self.movies / "avatar.2009.1080p.mkv").write_bytes(b"avatar")
        self.paths = [
            os.fspath(p)
            for p in (
                ingest,
                *ingest.iterdir(),
                ingest / "escape-folder" / "Secret.2001.mkv",
                ingest / "release" / ".." / "escape.mkv",
                outside / "Secret.2001.mkv",
                self.movies,
                self.movies / "avatar.2009.1080p.mkv",
                self.movies / "Linked (2000)",
                self.movies / "Linked (2000)" / "Show.S01E01.mkv",
                self.tv,
                tmp_path,
                Path("/etc/passwd"),
                Path("/proc/self/root/etc"),
                Path("/"),
            )
        ]

    def state(self) -> tuple[dict[str, tuple[int, int, int]], dict[str, tuple[int, int, int]]]:
        """Everything outside the library roots, and the ingest folder on its own."""
        outside_roots = snapshot(self.base, skip=(self.movies, self.tv))
        return outside_roots, snapshot(self.ingest)


def _paths(tree: Tree) -> st.SearchStrategy[Any]:
    ingest = os.fspath(tree.ingest)
    return st.one_of(
        st.sampled_from(tree.paths),
        st.builds(lambda n: f"{ingest}/{n}", names),
        st.builds(lambda n: f"{os.fspath(tree.movies)}/{n}", names),
        st.builds(lambda p, h: p + h, st.sampled_from(tree.paths), st.sampled_from(HOSTILE)),
        names,
        _wrong_types,
    )


_wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.binary(max_size=10),
)
_ids = st.one_of(
    st.integers(min_value=-5, max_value=50),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(("1", " 2 ", "0x10", "1e3", "-1", "")),
    hostile_text,
    _wrong_types,
)
_huge_lists = st.one_of(
    st.lists(st.integers(min_value=-10, max_value=200_000), max_size=20),
    st.integers(min_value=1_000, max_value=20_000).map(lambda n: list(range(n))),
    st.just(["1"] * 5000),
    _wrong_types,
)
_entry_ids = st.one_of(st.sampled_from(("", "nope", "x" * 5000, "\x00")), hostile_text)


def _payload(tree: Tree) -> dict[str, st.SearchStrategy[Any]]:
    """The keys each service knows, with hostile values; absent keys are left out."""
    path = _paths(tree)
    return {
        "ingest": st.fixed_dictionaries(
            {"path": path}, optional={"dry_run": st.one_of(st.booleans(), _wrong_types)}
        ),
        "plan": st.fixed_dictionaries({"path": path}),
        "identify": st.one_of(
            st.fixed_dictionaries({"path": path}),
            st.fixed_dictionaries({"name": st.one_of(names, _wrong_types)}),
            st.fixed_dictionaries({"path": path, "name": names}),
            st.just({}),
        ),
        "approve": st.fixed_dictionaries(
            {"item_id": _ids},
            optional={
                "tmdb_id": _ids,
                "media_type": st.one_of(st.sampled_from(("movie", "tv", "TV", "")), _wrong_types),
                "season": _ids,
                "episodes": _huge_lists,
            },
        ),
        "reject": st.fixed_dictionaries({"item_id": _ids}),
        "history": st.fixed_dictionaries(
            {},
            optional={
                "status": st.one_of(st.sampled_from(("review", "ingested", "x")), hostile_text),
                "query": st.one_of(
                    names, st.just("%"), st.just("_"), st.just("' OR 1=1 --"), _wrong_types
                ),
                "limit": _ids,
            },
        ),
        "organise": st.fixed_dictionaries(
            {"path": path}, optional={"dry_run": st.one_of(st.booleans(), _wrong_types)}
        ),
        "undo": st.fixed_dictionaries(
            {},
            optional={
                "item_id": _ids,
                "batch": st.one_of(
                    st.sampled_from(("organise:0123abcd", "organise:", "organise:../")),
                    hostile_text,
                ),
            },
        ),
        "check_library": st.fixed_dictionaries(
            {},
            optional={
                "title": st.one_of(names, _wrong_types),
                "year": _ids,
                "type": st.one_of(st.sampled_from(("movie", "show")), hostile_text),
                "tmdb_id": _ids,
                "tvdb_id": _ids,
                "imdb_id": st.one_of(st.sampled_from(("tt0133093", "tt1")), hostile_text),
            },
        ),
        "scan": st.fixed_dictionaries(
            {},
            optional={"library": st.one_of(names, _ids), "path": path},
        ),
    }


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    if response is not None:
        json_bytes(response)  # what an automation or the frontend receives must encode
    return response


def _drive(
    hass: HomeAssistant,
    tree: Tree,
    services: tuple[str, ...],
    examples: int,
    counter: Counter,
    outcomes: set[tuple[str, str]],
) -> Callable[[], None]:
    """A Hypothesis test, run in a thread, that sends each payload to Home Assistant's loop."""
    loop = hass.loop
    payloads = _payload(tree)
    calls = st.one_of(*(st.tuples(st.just(s), payloads[s]) for s in services))

    @settings(max_examples=examples)
    @given(
        call=calls,
        extra=st.dictionaries(
            st.sampled_from(("bogus", "path ", "\x00")), st.integers(), max_size=1
        ),
    )
    def run(call: tuple[str, dict[str, Any]], extra: dict[str, int]) -> None:
        service, data = call
        counter()
        before = tree.state()
        future = asyncio.run_coroutine_threadsafe(_call(hass, service, {**data, **extra}), loop)
        try:
            future.result(timeout=CALL_TIMEOUT)
        except ServiceValidationError:  # the input is at fault, and the caller is told why
            outcomes.add((service, "refused"))
        except vol.Invalid:  # the schema refused it
            outcomes.add((service, "invalid"))
        else:
            outcomes.add((service, "answered"))
        after = tree.state()
        assert after[0] == before[0], f"{service} changed something outside the library roots"
        assert after[1] == before[1], f"{service} touched the ingest folder"

    return run


@pytest.fixture
async def tree(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    media_root: Path,
) -> Tree:
    """A loaded entry with ingest on (no watcher: calls alone change things) and the tree."""
    made = Tree(tmp_path, media_root)
    entry = make_ingest_entry(auto_ingest=True, stability_seconds=3600, rescan_minutes=1440)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return made


async def _fuzz(
    hass: HomeAssistant, tree: Tree, services: tuple[str, ...], examples: int, generated: Counter
) -> None:
    outcomes: set[tuple[str, str]] = set()
    with ThreadPoolExecutor(1, thread_name_prefix="hypothesis") as pool:
        run = _drive(hass, tree, services, examples, generated, outcomes)
        await hass.loop.run_in_executor(pool, run)
    await hass.async_block_till_done()
    assert generated.count >= examples
    # The payloads reach every service's handler, not only its schema.
    for service in services:
        expected = {(service, outcome) for outcome in _OUTCOMES.get(service, _ALL)}
        assert expected <= outcomes, sorted(o for o in outcomes if o[0] == service)


@pytest.mark.timeout(300)
async def test_path_services_with_generated_payloads(
    hass: HomeAssistant, tree: Tree, generated: Counter
) -> None:
    await _fuzz(
        hass,
        tree,
        ("ingest", "plan", "identify", "organise", "scan"),
        4 * SERVICE_EXAMPLES,
        generated,
    )


@pytest.mark.timeout(300)
async def test_review_and_history_services_with_generated_payloads(
    hass: HomeAssistant, tree: Tree, generated: Counter
) -> None:
    # Items to act on first: ingested, waiting for review, organised.
    for path, service in (
        (tree.ingest / "Titanic.1997.1080p.mkv", "ingest"),
        (tree.ingest / "ambiguous" / "Dune.mkv", "ingest"),
        (tree.movies / "avatar.2009.1080p.mkv", "organise"),
    ):
        await _call(hass, service, {"path": os.fspath(path), "dry_run": False})
    history = await _call(hass, "history", {})
    assert sorted(i["status"] for i in history["items"]) == ["ingested", "organised", "review"]
    services = ("approve", "reject", "history", "undo", "check_library")
    await _fuzz(hass, tree, services, 3 * SERVICE_EXAMPLES, generated)


# ---- LLM tools and Assist intents ----------------------------------------------------------------

# A model's arguments and Assist's slots arrive as JSON: text without lone surrogates.
_ANY = st.one_of(names, _ids, _wrong_types).map(
    lambda v: v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) else v
)
_TOOL_ARGS = {
    "check_library": st.dictionaries(
        st.sampled_from(("title", "year", "type", "tmdb_id", "tvdb_id", "imdb_id", "bogus")),
        _ANY,
        max_size=4,
    ),
    "identify": st.dictionaries(st.sampled_from(("name", "path")), _ANY, max_size=2),
    "review_queue": st.dictionaries(st.sampled_from(("limit", "bogus")), _ANY, max_size=1),
    "recent_ingests": st.dictionaries(st.sampled_from(("limit", "bogus")), _ANY, max_size=2),
    "scan": st.dictionaries(st.sampled_from(("library", "path")), _ANY, max_size=2),
}
_INTENTS = {
    "VideodromeCheckLibrary": st.dictionaries(st.just("title"), _ANY, max_size=1),
    "VideodromeReviewQueue": st.dictionaries(st.just("title"), _ANY, max_size=1),
    "VideodromeScanLibrary": st.dictionaries(st.just("library"), _ANY, max_size=1),
}


async def _tool_or_intent(
    hass: HomeAssistant, api: llm.APIInstance, kind: str, name: str, args: dict[str, Any]
) -> None:
    if kind == "tool":
        result = await api.async_call_tool(llm.ToolInput(tool_name=name, tool_args=args))
        assert isinstance(result, llm.ToolResult)
        json_bytes(result.data)  # what goes back to the model must encode
        return
    slots = {key: {"value": value} for key, value in args.items()}
    response = await intent.async_handle(hass, "test", name, slots)
    json_bytes(response.as_dict())


@pytest.mark.timeout(300)
async def test_llm_tools_and_intents_with_generated_arguments(
    hass: HomeAssistant, tree: Tree, generated: Counter, assist: None
) -> None:
    """The conversation agent passes a model's arguments as they come: HA does not check them.

    A tool must answer, or raise what Home Assistant's chat log turns into an error for the
    model (`HomeAssistantError`, `vol.Invalid`); an intent the same.
    """
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_LLM_SCAN: True})
    await hass.async_block_till_done()
    api = await llm_api(hass, entry.entry_id)
    assert {tool.name for tool in api.tools} == set(_TOOL_ARGS)
    calls = st.one_of(
        *(st.tuples(st.just("tool"), st.just(n), a) for n, a in _TOOL_ARGS.items()),
        *(st.tuples(st.just("intent"), st.just(n), a) for n, a in _INTENTS.items()),
    )
    outcomes: set[tuple[str, str]] = set()
    loop = hass.loop

    @settings(max_examples=2 * SERVICE_EXAMPLES)
    @given(call=calls)
    def run(call: tuple[str, str, dict[str, Any]]) -> None:
        kind, name, args = call
        generated()
        future = asyncio.run_coroutine_threadsafe(
            _tool_or_intent(hass, api, kind, name, args), loop
        )
        try:
            future.result(timeout=CALL_TIMEOUT)
        except intent.IntentUnexpectedError:
            raise  # a handler's own exception, logged with its traceback: a bug
        except HomeAssistantError, vol.Invalid:
            outcomes.add((name, "refused"))
        else:
            outcomes.add((name, "answered"))

    with ThreadPoolExecutor(1, thread_name_prefix="hypothesis") as pool:
        await hass.loop.run_in_executor(pool, run)
    await hass.async_block_till_done()
    assert generated.count >= 2 * SERVICE_EXAMPLES
    assert {name for name, outcome in outcomes if outcome == "answered"} == {*_TOOL_ARGS, *_INTENTS}
