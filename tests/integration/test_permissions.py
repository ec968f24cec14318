"""Who may call which service (issue 19): administrators write; everyone reads, without paths.

The users are Home Assistant's own (the test harness's read-only user, a user of the
"Users" group made through `hass.auth`, the admin user); the calls go through the service
registry with their context, as the REST API and the websocket make them. A refused call
must leave every file (names, sizes, inodes, mtimes), the store and Plex as they were.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import Context
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
import pytest
import yaml

from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.permissions import async_non_admin_form
from tests.permissions import absolute_paths, plain_user, store_rows, tree
from tests.polling import until
from tests.services import call_action, drop_file

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.auth.models import User
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.emulators.plex import PlexEmulator

INTEGRATION = Path(__file__).parents[2] / "custom_components" / DOMAIN
WRITERS = ("ingest", "approve", "reject", "organise", "undo", "refresh_metadata")
READERS = ("scan", "plan", "identify", "history", "check_library", "rescan")


@pytest.fixture(params=["read_only", "plain"])
async def non_admin(
    request: pytest.FixtureRequest, hass: HomeAssistant, hass_read_only_user: MockUser
) -> User:
    """A user who is not an administrator: the read-only one, or one of the Users group."""
    if request.param == "read_only":
        user: User = hass_read_only_user
        return user
    return await plain_user(hass)


def _writes_to_plex(emulator: PlexEmulator) -> list[tuple[str, str]]:
    """Requests that change something in Plex: scans, matches, posters."""
    return [
        (r.method, r.path)
        for r in emulator.requests
        if r.method != "GET" or r.path.endswith("/refresh")
    ]


def test_every_service_is_classified() -> None:
    """A service added later must be put on one side: services.yaml lists them all."""
    listed = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    assert set(listed) == {*WRITERS, *READERS}


async def test_writing_services_refuse_non_admins_and_change_nothing(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    non_admin: User,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """ingest, approve, reject (by id or path), organise (dry run too), undo, refresh_metadata:
    Unauthorized, nothing moves."""
    await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Dune.mkv")))
    movies = media_root / "Movies"
    (movies / "titanic.1997.1080p.mkv").write_bytes(b"titanic")
    organised = await call_action(hass, "organise", path=str(movies), dry_run=False)
    assert organised["batch"]
    fresh = drop_file(tmp_path, "Heat.1995.1080p.BluRay.x264-GRP.mkv")
    runtime = ingest_entry.runtime_data.ingest
    assert runtime is not None
    (queued,) = runtime.store.review_queue()
    snapshot = await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root)
    rows = await hass.async_add_executor_job(store_rows, runtime.store)
    plex_writes = _writes_to_plex(plex_emulator)

    calls: list[tuple[str, dict[str, Any]]] = [
        ("ingest", {"path": str(fresh)}),
        ("ingest", {"path": str(fresh), "dry_run": True}),
        ("approve", {"item_id": queued.id, "tmdb_id": 841}),
        ("reject", {"item_id": queued.id}),
        ("organise", {"path": str(movies), "dry_run": False}),
        ("organise", {"path": str(movies)}),  # a dry run reads the whole library: refused
        ("undo", {"batch": organised["batch"]}),
        ("approve", {"path": queued.source}),
        ("reject", {"path": queued.source}),
        ("refresh_metadata", {"rating_key": 1000}),
    ]
    for service, data in calls:
        with pytest.raises(Unauthorized):
            await call_action(hass, service, non_admin, **data)
    assert {service for service, _ in calls} == set(WRITERS)

    await hass.async_block_till_done()
    assert await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root) == snapshot
    assert await hass.async_add_executor_job(store_rows, runtime.store) == rows
    assert _writes_to_plex(plex_emulator) == plex_writes


async def test_administrators_and_calls_without_a_user_still_write(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    hass_admin_user: MockUser,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """An administrator, and an automation (no user), ingest, decide, organise and undo."""
    for user in (hass_admin_user, None):
        dune = await call_action(hass, "ingest", user, path=str(drop_file(tmp_path, "Dune.mkv")))
        (queued,) = dune["results"]
        assert queued["status"] == "review"
        rejected = await call_action(hass, "reject", user, item_id=queued["item_id"])
        assert rejected["status"] == "rejected"
        (tmp_path / "ingest" / "Dune.mkv").unlink()  # so that the next round queues it anew
    thing = await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Dune.mkv", b"again")))
    approved = await call_action(
        hass, "approve", hass_admin_user, item_id=thing["results"][0]["item_id"], tmdb_id=841
    )
    assert approved["status"] == "ingested"
    assert (media_root / "Movies" / "Dune (1984) {tmdb-841}" / "Dune (1984).mkv").exists()
    loose = media_root / "Movies" / "titanic.1997.1080p.mkv"
    loose.write_bytes(b"titanic")
    dry = await call_action(hass, "organise", hass_admin_user, path=str(loose))
    assert dry["results"][0]["status"] == "planned"
    done = await call_action(hass, "organise", hass_admin_user, path=str(loose), dry_run=False)
    assert not loose.exists()
    undone = await call_action(hass, "undo", hass_admin_user, batch=done["batch"])
    assert undone["items"][0]["status"] == "undone"
    assert loose.read_bytes() == b"titanic"


async def test_an_unknown_user_is_refused(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """A user id that names no user is no administrator (Home Assistant says UnknownUser)."""
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "ingest",
            {"path": str(drop_file(tmp_path, "Heat.1995.mkv"))},
            blocking=True,
            return_response=True,
            context=Context(user_id="no-such-user"),
        )


def _shape(answer: Any) -> Any:
    """The answer with every string made the same: what stays when only paths differ."""
    if isinstance(answer, dict):
        return {key: _shape(value) for key, value in answer.items()}
    if isinstance(answer, list):
        return [_shape(value) for value in answer]
    return "str" if isinstance(answer, str) else answer


async def _read_everything(
    hass: HomeAssistant, user: User | None, tmp_path: Path, media_root: Path
) -> dict[str, dict[str, Any]]:
    """Each read-only service's answer to `user`, on calls that name absolute paths."""
    episode = tmp_path / "ingest" / "Breaking.Bad.S04" / "Breaking.Bad.S04E01.720p.mkv"
    return {
        "scan": await call_action(
            hass, "scan", user, path=str(media_root / "Movies" / "Heat (1995)")
        ),
        "plan": await call_action(hass, "plan", user, path=str(tmp_path / "ingest")),
        "identify": await call_action(hass, "identify", user, path=str(episode)),
        "identify_name": await call_action(hass, "identify", user, name="Blade.Runner.2049.mkv"),
        "history": await call_action(hass, "history", user),
        "check_library": await call_action(hass, "check_library", user, title="The Matrix"),
    }


@pytest.fixture
async def filed(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, media_root: Path, tmp_path: Path
) -> list[Path]:
    """A history with paths (filed with a subtitle, queued) and a file to plan; the index read.

    Returns the folders an answer must not show to a non-admin.
    """
    (media_root / "Movies" / "Heat (1995)").mkdir(exist_ok=True)
    await call_action(
        hass, "ingest", path=str(drop_file(tmp_path, "Titanic.1997.1080p.BluRay.x264-GRP.mkv"))
    )
    loose = media_root / "Movies" / "avatar.2009.1080p.mkv"
    loose.write_bytes(b"avatar")
    loose.with_suffix(".en.srt").write_bytes(b"subtitles")
    organised = await call_action(hass, "organise", path=str(loose), dry_run=False)
    assert organised["results"][0]["status"] == "organised"
    await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Dune.mkv")))
    drop_file(tmp_path, "Breaking.Bad.S04/Breaking.Bad.S04E01.720p.mkv")
    index = ingest_entry.runtime_data.library.index
    await until(lambda: index.loaded, between=hass.async_block_till_done)
    return [tmp_path, tmp_path / "ingest", media_root, media_root / "Movies"]


async def test_read_only_services_answer_non_admins_without_paths(
    hass: HomeAssistant,
    filed: list[Path],
    non_admin: User,
    hass_admin_user: MockUser,
    tmp_path: Path,
    media_root: Path,
) -> None:
    """scan, plan, identify, history, check_library: relative names for non-admins only."""
    seen = await _read_everything(hass, non_admin, tmp_path, media_root)
    for name, answer in seen.items():
        assert absolute_paths(answer, filed) == [], name
    for user in (hass_admin_user, None):  # an administrator, an automation: as before
        full = await _read_everything(hass, user, tmp_path, media_root)
        for name, answer in full.items():
            assert _shape(answer) == _shape(seen[name]), name  # only strings differ
            if name != "identify_name":  # a name alone has no path to show
                assert absolute_paths(answer, filed), name
    assert seen["identify_name"] == full["identify_name"]

    # Names relative to the folder that holds them.
    assert seen["scan"]["scans"] == [{"library_id": 1, "library": "Movies", "path": "Heat (1995)"}]
    episode = "Breaking.Bad.S04/Breaking.Bad.S04E01.720p.mkv"
    (planned,) = [p for p in seen["plan"]["results"] if p["path"] == episode]
    (in_full,) = [
        p for p in full["plan"]["results"] if p["path"] == str(tmp_path / "ingest" / episode)
    ]
    assert planned["destination"].startswith("Breaking Bad (2008)/Season 04/")
    assert planned["destination"] == in_full["destination"].removeprefix(
        f"{media_root / 'TV Shows'}/"
    )
    assert seen["identify"]["path"] == "Breaking.Bad.S04/Breaking.Bad.S04E01.720p.mkv"
    by_title = {item["title"]: item for item in seen["history"]["items"]}
    titanic, avatar = by_title["Titanic"], by_title["Avatar"]
    assert titanic["source"] == "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
    assert titanic["destination"] == (
        "Titanic (1997) {tmdb-597}/Titanic (1997) - 1080p Blu-ray.mkv"
    )
    assert avatar["source"] == "avatar.2009.1080p.mkv"
    assert avatar["companions"] == [
        ["avatar.2009.1080p.en.srt", "Avatar (2009) {tmdb-19995}/Avatar (2009) - 1080p.en.srt"]
    ]
    assert by_title["Dune"]["source"] == "Dune.mkv"
    (matrix,) = seen["check_library"]["items"]
    assert matrix["files"]
    assert all(f.startswith("The Matrix (1999)/") for f in matrix["files"])


async def test_errors_reach_non_admins_without_paths(
    hass: HomeAssistant, filed: list[Path], non_admin: User, tmp_path: Path
) -> None:
    """A refused path names the ingest folders: by name for a non-admin, in full for admins."""
    outside = tmp_path / "outside.mkv"
    outside.write_bytes(b"x")
    with pytest.raises(ServiceValidationError) as refused:
        await call_action(hass, "plan", non_admin, path=str(outside))
    assert refused.value.translation_key == "path_outside_ingest"
    assert refused.value.translation_placeholders == {"path": "outside.mkv", "folders": "ingest"}
    assert str(refused.value) == "outside.mkv is not inside an ingest folder (ingest)"
    with pytest.raises(ServiceValidationError) as refused:
        await call_action(hass, "plan", None, path=str(outside))
    assert str(refused.value) == (
        f"{outside} is not inside an ingest folder ({tmp_path / 'ingest'})"
    )
    with pytest.raises(ServiceValidationError, match="Give a path or a file name"):
        await call_action(hass, "identify", non_admin)  # no placeholders: the error as it is


async def test_an_unknown_user_reads_without_paths(
    hass: HomeAssistant, filed: list[Path], tmp_path: Path, media_root: Path
) -> None:
    """A user id that names no user sees what a non-admin sees."""
    response = await hass.services.async_call(
        DOMAIN,
        "history",
        {},
        blocking=True,
        return_response=True,
        context=Context(user_id="no-such-user"),
    )
    assert response is not None
    assert response["items"]
    assert absolute_paths(response, filed) == []


async def test_the_folders_as_plex_and_links_see_them(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Paths as Plex sees them (the path map) and through a linked folder are shortened too."""
    real = tmp_path / "downloads"
    real.mkdir()
    (tmp_path / "linked").symlink_to(real)
    entry = make_ingest_entry(
        ingest_folders=[str(tmp_path / "linked")], path_map=[[str(media_root), "/plex/media"]]
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    answer = {
        "plex": "/plex/media/Movies/Heat (1995)/Heat.mkv",
        "linked": f"{tmp_path / 'linked'}/Heat.mkv",
        "resolved": f"{real}/sub/Heat.mkv",
        "library": f"{media_root}/TV Shows",
    }
    assert await async_non_admin_form(hass, answer) == {
        "plex": "Movies/Heat (1995)/Heat.mkv",  # inside the path map's Plex side
        "linked": "Heat.mkv",
        "resolved": "sub/Heat.mkv",
        "library": "TV Shows",
    }


async def test_the_testers_calls_over_the_rest_api(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_read_only_access_token: str,
    media_root: Path,
) -> None:
    """As reported: a non-admin's token renamed a film with organise (HTTP 200). Now 401."""
    assert await async_setup_component(hass, "api", {})
    loose = media_root / "Movies" / "titanic.1997.1080p.mkv"
    loose.write_bytes(b"titanic")
    before = await hass.async_add_executor_job(tree, media_root)
    url = f"/api/services/{DOMAIN}/organise?return_response"
    body = {"path": str(loose), "dry_run": False}
    refused = await (await hass_client(hass_read_only_access_token)).post(url, json=body)
    assert refused.status == HTTPStatus.UNAUTHORIZED
    assert await hass.async_add_executor_job(tree, media_root) == before
    done = await (await hass_client()).post(url, json=body)  # the administrator's token
    assert done.status == HTTPStatus.OK
    assert (await done.json())["service_response"]["results"][0]["status"] == "organised"
    assert not loose.exists()
