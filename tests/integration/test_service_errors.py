"""services/errors.py: what each engine error becomes in a service action.

The actions' own tests (test_ingest.py, test_services.py) see these through real calls; here
each branch of the mapping, including those no emulator fault reaches, is raised directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.videodrome import issues
from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.engine.errors import UnsafePathError, VideodromeError
from custom_components.videodrome.engine.ingest.errors import ReviewError, TransferError
from custom_components.videodrome.engine.plex.errors import PlexConnectionError
from custom_components.videodrome.engine.tmdb.errors import TMDbAuthError, TMDbConnectionError
from custom_components.videodrome.services.errors import translated_errors

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

ENTRY_ID = "01TESTENTRY"
ISSUE_ID = f"{issues.ISSUE_TMDB_KEY}_{ENTRY_ID}"


def _raised(hass: HomeAssistant, error: Exception, **kwargs: Any) -> HomeAssistantError:
    with (
        pytest.raises(HomeAssistantError) as caught,
        translated_errors(hass, "ingest_failed", **kwargs),
    ):
        raise error
    return caught.value


@pytest.mark.parametrize(
    ("error", "kwargs", "invalid", "key", "placeholders"),
    [
        (
            ReviewError("not in the queue"),
            {},
            True,
            "review_refused",
            {"error": "not in the queue"},
        ),
        (
            UnsafePathError("climbs out"),
            {"path": "/in/x.mkv"},
            True,
            "invalid_path",
            {"path": "/in/x.mkv", "reason": "climbs out"},
        ),
        (UnsafePathError("a bad name"), {}, False, "ingest_failed", {"error": "a bad name"}),
        (TransferError("disk full"), {}, False, "ingest_failed", {"error": "disk full"}),
        (TMDbConnectionError("down"), {}, False, "ingest_failed", {"error": "down"}),
        (PlexConnectionError("gone"), {}, False, "ingest_failed", {"error": "gone"}),
        (OSError(5, "I/O error"), {}, False, "ingest_failed", {"error": "[Errno 5] I/O error"}),
        (
            VideodromeError("nothing organised matches"),
            {"refused": VideodromeError},
            True,
            "review_refused",
            {"error": "nothing organised matches"},
        ),
    ],
)
async def test_each_engine_error_becomes_a_translated_one(
    hass: HomeAssistant,
    error: Exception,
    kwargs: dict[str, Any],
    invalid: bool,
    key: str,
    placeholders: dict[str, str],
) -> None:
    raised = _raised(hass, error, **kwargs)
    assert isinstance(raised, ServiceValidationError) is invalid
    assert (raised.translation_domain, raised.translation_key) == (DOMAIN, key)
    assert raised.translation_placeholders == placeholders
    assert raised.__cause__ is error
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_ID) is None


async def test_a_rejected_tmdb_key_raises_the_entrys_repair_issue(hass: HomeAssistant) -> None:
    raised = _raised(hass, TMDbAuthError("401"))  # no entry named: no issue
    assert raised.translation_key == "ingest_failed"
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_ID) is None
    raised = _raised(hass, TMDbAuthError("401"), entry_id=ENTRY_ID)
    assert not isinstance(raised, ServiceValidationError)
    assert raised.translation_key == "ingest_failed"
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_ID) is not None


async def test_other_errors_and_success_pass_through(hass: HomeAssistant) -> None:
    own = ServiceValidationError(translation_domain=DOMAIN, translation_key="entry_required")
    with pytest.raises(ServiceValidationError) as caught, translated_errors(hass, "ingest_failed"):
        raise own
    assert caught.value is own
    with pytest.raises(KeyError), translated_errors(hass, "ingest_failed"):
        raise KeyError("a bug stays a bug")
    with translated_errors(hass, "ingest_failed"):
        done = True
    assert done
