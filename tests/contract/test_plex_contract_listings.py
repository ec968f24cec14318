"""The endpoints python-plexapi needs, in the shapes real servers answer (tests/fixtures/plex).

Like test_plex_contract.py: every field the emulator sends must appear in a recording of that
endpoint. Checked here: the filter descriptions of a section (`Meta`), its collections, the
players (`/clients`), hubs, and the session of an episode. `/library`, `/library/onDeck`,
`/status/sessions/history/all` and `/system/agents` have no public recording; python-plexapi's
suite (test_plexapi_suite.py) is what checks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.contract.test_plex_contract import (
    _NESTED_PART,
    assert_conforms,
    fetch,
    json_shape,
    recorded_json,
    recorded_xml,
    xml_shape,
)

if TYPE_CHECKING:
    from tests.emulators.plex import PlexEmulator

__all__ = ["fetch"]  # the fixture, shared with test_plex_contract.py


def _assert_xml_within(
    ours: dict[str, set[str]], real: dict[str, set[str]], *, container: bool = True
) -> None:
    """Every element path and attribute of ours is in a recording (`container`: the root's
    attributes too; the anonymised XML listings leave out the paging ones)."""
    for path, attributes in ours.items():
        if path == "/MediaContainer" and not container:
            continue
        # Home Assistant's XML puts <Part> beside <Media> in some recordings, inside in others.
        recorded = real.get(path, set()) | real.get(_NESTED_PART.get(path, path), set())
        assert path in real or _NESTED_PART.get(path) in real, f"no recording has {path}"
        assert attributes <= recorded, (path, attributes - recorded)


async def test_a_movie_section_s_filters_json(fetch: Any) -> None:
    ours = json_shape(await fetch("/library/sections/1/all?includeMeta=1&X-Plex-Container-Size=0"))
    # The container's own fields are those of a listing (test_plex_contract.py checks them).
    assert_conforms(ours, recorded_json("spec_library_all_01.json", "movie_library.json"))
    assert ".MediaContainer.Meta.Type[].Sort[].key" in ours
    assert ".MediaContainer.Meta.FieldType[].Operator[].key" in ours


async def test_a_show_section_s_filters_json(fetch: Any) -> None:
    path = "/library/sections/2/all?type=4&includeMeta=1&X-Plex-Container-Size=0"
    ours = json_shape(await fetch(path))
    assert_conforms(ours, recorded_json("spec_library_all_03.json", "tv_episodes.json"))


async def test_a_section_s_filters_xml(fetch: Any) -> None:
    ours = xml_shape(await fetch("/library/sections/1/all?includeMeta=1", xml=True))
    # The filter types, and the listed items (with their media) beside them.
    real = recorded_xml(
        "ha_library_movies_filtertypes.xml", "ha_library_movies_all.xml", "ha_media_1.xml"
    )
    _assert_xml_within(ours, real, container=False)


async def test_a_section_s_collections_xml(fetch: Any) -> None:
    ours = xml_shape(await fetch("/library/sections/1/collections?includeMeta=1", xml=True))
    _assert_xml_within(ours, recorded_xml("ha_library_movies_collections.xml"))


async def test_players_xml(fetch: Any) -> None:
    ours = xml_shape(await fetch("/clients", xml=True))
    _assert_xml_within(ours, recorded_xml("ha_plex_server_clients.xml"))


async def test_hub_search_xml(fetch: Any) -> None:
    ours = xml_shape(await fetch("/hubs/search?query=matrix", xml=True))
    xml_shape(await fetch("/hubs/search?query=pilot", xml=True), into=ours)
    _assert_xml_within(ours, recorded_xml("ha_hubs.xml"))


async def test_an_episode_session_xml(fetch: Any, plex_emulator: PlexEmulator) -> None:
    await plex_emulator.add_session("Pilot", grandparent_title="Breaking Bad", type="episode")
    ours = xml_shape(await fetch("/status/sessions", xml=True))
    assert {"ratingKey", "key", "librarySectionID", "index", "parentIndex"} <= ours[
        "/MediaContainer/Video"
    ]
    assert "/MediaContainer/Video/Media/Part" in ours
    _assert_xml_within(ours, recorded_xml("ha_session_base.xml", "plexpy_sessions.xml"))
