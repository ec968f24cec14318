"""Parsing Plex's JSON: lenient about types, strict about what must be there."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.videodrome.engine.plex.errors import PlexProtocolError
from custom_components.videodrome.engine.plex.models import (
    Activity,
    LibrarySection,
    PlaybackSession,
    ServerIdentity,
    as_bool,
    as_datetime,
    as_int,
    as_str,
    child_objects,
    container,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("3", 3), (True, 1), (2.9, 2), ("x", None), (None, None), ([], None)],
)
def test_as_int_accepts_plex_int_or_string(value: Any, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False),
     ("true", True), (" TRUE ", True), ("false", False), (None, False)],
)  # fmt: skip
def test_as_bool_accepts_plex_flags(value: Any, expected: bool) -> None:
    assert as_bool(value) is expected


def test_as_datetime_reads_unix_seconds_as_utc() -> None:
    assert as_datetime("1577909641") == datetime(2020, 1, 1, 20, 14, 1, tzinfo=UTC)
    assert as_datetime(0) is None
    assert as_datetime(None) is None


def test_as_str_treats_empty_as_missing() -> None:
    assert as_str("") is None
    assert as_str(None) is None
    assert as_str(5) == "5"


@pytest.mark.parametrize("payload", [None, [], {"MediaContainer": []}, {"other": {}}])
def test_container_requires_a_media_container(payload: Any) -> None:
    with pytest.raises(PlexProtocolError, match="MediaContainer"):
        container(payload)


def test_child_objects_tolerates_a_missing_list_and_skips_non_objects() -> None:
    assert child_objects({}, "Metadata") == []
    assert child_objects({"Metadata": [{"a": 1}, "junk", 3]}, "Metadata") == [{"a": 1}]
    with pytest.raises(PlexProtocolError, match="Metadata"):
        child_objects({"Metadata": {"a": 1}}, "Metadata")


def test_server_identity_needs_a_machine_identifier() -> None:
    with pytest.raises(PlexProtocolError, match="machineIdentifier"):
        ServerIdentity.from_json({"MediaContainer": {"friendlyName": "x"}})
    identity = ServerIdentity.from_json({"MediaContainer": {"machineIdentifier": "abc"}})
    assert identity.friendly_name == "abc"
    assert identity.version is None


def test_library_section_reads_both_json_and_xml_style_types() -> None:
    section = LibrarySection.from_json(
        {"key": "2", "type": "show", "title": "TV", "refreshing": "1", "scannedAt": "10",
         "Location": [{"id": 1, "path": "/tv"}, {"id": 2, "path": ""}]}
    )  # fmt: skip
    assert section.key == 2
    assert section.refreshing is True
    assert section.locations == ("/tv",)
    assert section.uuid == "2"
    with pytest.raises(PlexProtocolError, match="key"):
        LibrarySection.from_json({"title": "no key"})


def test_activity_reads_the_section_from_its_context() -> None:
    activity = Activity.from_json(
        {"uuid": "u", "type": "library.update.section", "progress": "40",
         "Context": {"librarySectionID": "1"}}
    )  # fmt: skip
    assert activity.is_scan
    assert activity.section_key == 1
    assert activity.progress == 40
    other = Activity.from_json({"uuid": "v", "type": "media.generate.bif"})
    assert not other.is_scan
    assert other.section_key is None
    with pytest.raises(PlexProtocolError, match="uuid"):
        Activity.from_json({"type": "x"})


def test_playback_session_names_episodes_with_their_show() -> None:
    session = PlaybackSession.from_json(
        {"title": "Pilot", "grandparentTitle": "Breaking Bad", "type": "episode",
         "User": {"title": "alice"}, "Player": {"title": "TV", "state": "playing"},
         "Session": {"id": "s1"}}
    )  # fmt: skip
    assert session.title == "Breaking Bad - Pilot"
    assert (session.user, session.player, session.state, session.session_id) == (
        "alice", "TV", "playing", "s1",
    )  # fmt: skip
    bare = PlaybackSession.from_json({"grandparentTitle": "Show only"})
    assert bare.title == "Show only"
    assert bare.user is None
