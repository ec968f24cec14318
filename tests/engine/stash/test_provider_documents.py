"""Stash's scenes as the Stash provider's documents: keys, root, images, metadata, matches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import pytest

from custom_components.videodrome.engine.provider.documents import (
    IDENTIFIER_PATTERN,
    MATCH_KEY,
    METADATA_KEY,
    RATING_KEY_PATTERN,
)
from custom_components.videodrome.engine.provider.requests import MatchRequest
from custom_components.videodrome.engine.provider.stash_documents import (
    IMAGE_ROUTES,
    STASH_IDENTIFIER,
    ImageRoute,
    SceneKey,
    image_url,
    read_image_path,
    stash_container,
    stash_media_provider,
)
from custom_components.videodrome.engine.provider.stash_match import (
    find_matches,
    match_answer,
    ranked,
    wanted_file_name,
)
from custom_components.videodrome.engine.provider.stash_metadata import (
    scene_images,
    scene_metadata,
    scene_title,
)
from custom_components.videodrome.engine.stash.client import StashClient
from custom_components.videodrome.engine.stash.errors import StashProtocolError
from custom_components.videodrome.engine.stash.images import ImageKind
from custom_components.videodrome.engine.stash.models import (
    StashFile,
    StashGroup,
    StashPerformer,
    StashScene,
)
from tests.emulators.stash_library import StashLibrary
from tests.engine.stash.conftest import STASH_KEY

if TYPE_CHECKING:
    import aiohttp

    from tests.emulators.stash import StashEmulator

BASE = "http://ha.local:8123/api/videodrome/provider/s3cr3t-address"
STASH_URL = "http://stash.lan:9999"
HARBOUR = "Coastal.Journeys.E01.Harbour.at.Dawn.1080p.mp4"


def demo_scene(scene_id: int) -> StashScene:
    """A scene of the emulator's demo library, read as the client reads Stash's answer."""
    library = StashLibrary.load()
    return StashScene.from_json(library.scene_json(library.scenes[scene_id], STASH_URL))


def movie_request(filename: str | None, *, manual: bool = False, kind: int = 1) -> MatchRequest:
    return MatchRequest.from_json({"type": kind, "filename": filename, "manual": int(manual)})


# ---- keys, root, envelope, image routes ---------------------------------------------------


def test_scene_keys_round_trip() -> None:
    key = SceneKey("42")
    assert str(key) == "stash-42"
    assert RATING_KEY_PATTERN.fullmatch(str(key))
    assert key.key == f"{METADATA_KEY}/stash-42"
    assert key.guid() == "tv.plex.agents.custom.videodrome.stash://movie/stash-42"
    assert SceneKey.parse("stash-42") == key
    assert SceneKey.from_guid(key.guid()) == key


@pytest.mark.parametrize(
    "text", ["stash-", "stash-042", "stash-4.2", "stash-42/", "tmdb-movie-42", "STASH-42", "42"]
)
def test_what_is_not_a_scene_key(text: str) -> None:
    assert SceneKey.parse(text) is None


@pytest.mark.parametrize(
    "guid",
    [
        "tv.plex.agents.custom.videodrome.stash://show/stash-42",
        "tv.plex.agents.custom.videodrome.movie://movie/stash-42",
        "tv.plex.agents.custom.videodrome.stash://movie/tmdb-movie-42",
        "tv.plex.agents.custom.videodrome.stash:movie/stash-42",
        "tv.plex.agents.custom.videodrome.stash://movie",
    ],
)
def test_guids_that_are_not_a_scenes(guid: str) -> None:
    assert SceneKey.from_guid(guid) is None


def test_the_root_document() -> None:
    root = stash_media_provider("1.2.3")["MediaProvider"]
    assert IDENTIFIER_PATTERN.fullmatch(root["identifier"])
    assert root["identifier"] == STASH_IDENTIFIER
    assert root["version"] == "1.2.3"
    assert root["Types"] == [{"type": 1, "Scheme": [{"scheme": STASH_IDENTIFIER}]}]
    assert {f["type"]: f["key"] for f in root["Feature"]} == {
        "metadata": METADATA_KEY,
        "match": MATCH_KEY,
    }


def test_the_envelope() -> None:
    assert stash_container([]) == {
        "MediaContainer": {
            "offset": 0, "totalSize": 0, "identifier": STASH_IDENTIFIER, "size": 0, "Metadata": [],
        }
    }  # fmt: skip
    images = stash_container([{"type": "background", "url": "u"}], element="Image")
    assert images["MediaContainer"]["Image"] == [{"type": "background", "url": "u"}]
    assert images["MediaContainer"]["size"] == 1


def test_image_routes_round_trip() -> None:
    for route in ImageRoute:
        url = image_url(BASE + "/", route, "17")
        assert url.startswith(BASE + "/stash/")
        path = url.removeprefix(BASE)
        assert path == IMAGE_ROUTES[route].format(id="17")
        assert read_image_path(path) == (route, "17")
    assert image_url(BASE, ImageRoute.POSTER, "3") == f"{BASE}/stash/scene/3/poster"
    assert image_url(BASE, ImageRoute.GROUP_FRONT, "3") == f"{BASE}/stash/group/3/front"
    assert ImageRoute.POSTER.source is ImageKind.SCREENSHOT
    assert ImageRoute.SCREENSHOT.source is ImageKind.SCREENSHOT
    assert ImageRoute.PERFORMER.source is ImageKind.PERFORMER
    assert ImageRoute.GROUP_FRONT.source is ImageKind.GROUP_FRONT


@pytest.mark.parametrize(
    "path",
    [
        "/stash/scene/1/thumbnail",
        "/stash/scene/01/poster",
        "/stash/scene/-1/poster",
        "/stash/scene/1/poster/",
        "/stash/performer/x/image",
        "/stash/scene/../1/poster",
        "/stash/studio/1/image",
        "stash/scene/1/poster",
    ],
)
def test_paths_that_are_no_image(path: str) -> None:
    assert read_image_path(path) is None


# ---- metadata -----------------------------------------------------------------------------


def test_a_scene_as_a_movie() -> None:
    poster = f"{BASE}/stash/scene/1/poster"
    screenshot = f"{BASE}/stash/scene/1/screenshot"
    assert scene_metadata(demo_scene(1), BASE) == {
        "ratingKey": "stash-1",
        "key": "/library/metadata/stash-1",
        "guid": "tv.plex.agents.custom.videodrome.stash://movie/stash-1",
        "type": "movie",
        "title": "Harbour at Dawn",
        "originallyAvailableAt": "2024-05-17",
        "year": 2024,
        "summary": "Fishing boats leave the harbour as the sun comes up.",
        "studio": "Northlight Films",
        "duration": 1_732_500,
        "rating": 8.4,
        "thumb": poster,
        "art": screenshot,
        "Image": [
            {"type": "coverPoster", "url": poster},
            {"type": "background", "url": screenshot},
        ],
        "Genre": [{"tag": "Outdoors"}, {"tag": "Documentary"}],
        "Studio": [{"tag": "Northlight Films"}],
        "Role": [
            {"tag": "Ada Marsh", "thumb": f"{BASE}/stash/performer/1/image"},
            {"tag": "Tomas Reyes", "thumb": f"{BASE}/stash/performer/2/image"},
        ],
        "Collection": [{"tag": "Coastal Journeys", "thumb": f"{BASE}/stash/group/1/front"}],
    }


def test_a_scene_without_a_title_or_a_date() -> None:
    document = scene_metadata(demo_scene(3), BASE)
    assert document["title"] == "city_lights_night_walk"
    assert document["originallyAvailableAt"] == ""  # required: sent even when unknown
    for absent in ("year", "summary", "rating"):
        assert absent not in document
    assert document["Role"] == [{"tag": "June Okafor"}]  # Stash has only its placeholder
    assert document["Collection"] == [{"tag": "City Lights"}]
    assert document["Studio"] == [{"tag": "Harbour Lane Pictures"}]


def test_titles_when_stash_has_none() -> None:
    assert scene_title(StashScene("5", files=(StashFile("A.Scene.2020.mkv"),))) == "A.Scene.2020"
    assert scene_title(StashScene("5", files=(StashFile(".hidden"),))) == ".hidden"
    assert scene_title(StashScene("5")) == "Scene 5"
    assert scene_title(StashScene("5", title="Given", files=(StashFile("x.mp4"),))) == "Given"


def test_the_poster_as_it_is_or_letterboxed() -> None:
    scene = demo_scene(2)
    plain = scene_metadata(scene, BASE, letterbox=False)
    assert plain["thumb"] == plain["art"] == f"{BASE}/stash/scene/2/screenshot"
    assert scene_images(scene, BASE)[0] == {
        "type": "coverPoster",
        "url": f"{BASE}/stash/scene/2/poster",
    }
    bare = StashScene("9")
    assert scene_images(bare, BASE) == []
    document = scene_metadata(bare, BASE)
    assert set(document) == {
        "ratingKey", "key", "guid", "type", "title", "originallyAvailableAt",
    }  # fmt: skip


@pytest.mark.parametrize(("rating100", "rating"), [(1, 0.1), (84, 8.4), (85, 8.5), (100, 10.0)])
def test_ratings_out_of_10(rating100: int, rating: float) -> None:
    assert scene_metadata(StashScene("1", rating100=rating100), BASE)["rating"] == rating


def test_nothing_of_stash_itself_goes_into_a_document() -> None:
    for scene_id in (1, 2, 3, 4):
        text = orjson.dumps(scene_metadata(demo_scene(scene_id), BASE)).decode()
        assert "/data/" not in text  # Stash's paths
        assert STASH_URL not in text  # Stash's address and its image URLs
        assert "stash.lan" not in text


def test_names_without_text_are_left_out() -> None:
    scene = StashScene(
        "1",
        performers=(StashPerformer("1", ""), StashPerformer("2", "Named")),
        groups=(StashGroup("1", ""),),
    )
    document = scene_metadata(scene, BASE)
    assert document["Role"] == [{"tag": "Named"}]
    assert "Collection" not in document


# ---- models read leniently, but never without ids -----------------------------------------


def test_scenes_are_read_leniently() -> None:
    scene = StashScene.from_json(
        {
            "id": 12,
            "title": "  ",
            "date": "2020-13",
            "rating100": True,
            "files": [{"basename": 7, "duration": "long"}, "junk"],
            "paths": None,
            "studio": "Acme",
            "performers": [{"id": "3", "name": None, "image_path": None}],
            "tags": None,
            "groups": [{"group": {"id": "4", "name": "G"}, "scene_index": False}],
        }
    )
    assert scene == StashScene(
        "12",
        files=(StashFile(""),),
        performers=(StashPerformer("3", ""),),
        groups=(StashGroup("4", "G"),),
    )
    assert scene.file_name is None


@pytest.mark.parametrize(
    "data",
    [
        {"title": "no id"},
        {"id": "abc"},
        {"id": True},
        {"id": "1", "performers": [{"name": "no id"}]},
        {"id": "1", "groups": [{"scene_index": 1}]},
        {"id": "1", "tags": [{"id": "", "name": "t"}]},
        {"id": "1", "studio": {"id": None, "name": "s"}},
    ],
)
def test_objects_without_ids_are_protocol_errors(data: dict[str, Any]) -> None:
    with pytest.raises(StashProtocolError):
        StashScene.from_json(data)


# ---- matches ------------------------------------------------------------------------------


def test_only_a_movies_file_name_is_looked_for() -> None:
    assert wanted_file_name(movie_request(f"/Stash/Coastal/{HARBOUR}")) == HARBOUR
    assert wanted_file_name(movie_request(None)) is None
    assert wanted_file_name(movie_request(f"/Shows/{HARBOUR}", kind=4)) is None


def test_the_scene_in_the_same_folders_comes_first() -> None:
    def scene(scene_id: str, path: str) -> StashScene:
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        return StashScene(scene_id, files=(StashFile(name, path),))

    scenes = [
        scene("7", "/data/b/clip.mp4"),
        scene("3", "/data/a/clip.mp4"),
        scene("9", "D:\\stash\\Coastal\\x\\clip.mp4"),
        scene("5", "/data/a/clip.mp4.part"),
    ]
    request = movie_request("/Stash/Coastal/x/clip.mp4")
    assert [s.id for s in ranked(scenes, request)] == ["9", "3", "7"]
    answer = match_answer(scenes, request, BASE)["MediaContainer"]
    assert [(m["ratingKey"], m["score"]) for m in answer["Metadata"]] == [("stash-9", 100)]
    manual = match_answer(scenes, movie_request("clip.mp4", manual=True), BASE)
    assert [m["ratingKey"] for m in manual["MediaContainer"]["Metadata"]] == [
        "stash-3", "stash-7", "stash-9",
    ]  # fmt: skip
    assert match_answer(scenes, movie_request("other.mp4"), BASE)["MediaContainer"]["size"] == 0


async def test_a_match_asks_stash_for_the_file_name(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = StashClient(session, stash_emulator.url, STASH_KEY)
    answer = await find_matches(client, movie_request(f"/Stash/Coastal Journeys/{HARBOUR}"), BASE)
    (document,) = answer["MediaContainer"]["Metadata"]
    assert document == scene_metadata(demo_scene(1), BASE) | {"score": 100}
    assert answer["MediaContainer"]["identifier"] == STASH_IDENTIFIER
    nothing = await find_matches(client, movie_request("/Stash/unknown.mp4"), BASE)
    assert nothing["MediaContainer"]["Metadata"] == []
    assert stash_emulator.operations() == ["VideodromeScenesByPath"] * 2


async def test_a_match_for_no_movie_file_asks_nothing(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = StashClient(session, stash_emulator.url, STASH_KEY)
    for request in (movie_request(None), movie_request(f"/Shows/{HARBOUR}", kind=4)):
        answer = await find_matches(client, request, BASE, letterbox=False)
        assert answer["MediaContainer"]["size"] == 0
    assert stash_emulator.queries == []
