"""Engine errors as Home Assistant's, translated: the one mapping every service action uses.

Input at fault raises `ServiceValidationError` (the caller can fix the call); Plex, TMDb or
the disk failing raises `HomeAssistantError`. Both carry a translation key of strings.json's
`exceptions` and placeholders, which permissions.py strips of paths for non-admins.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .. import issues
from ..const import DOMAIN
from ..engine.errors import UnsafePathError, VideodromeError
from ..engine.ingest.errors import ReviewError
from ..engine.tmdb.errors import TMDbAuthError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """The call cannot be done as asked: `key` says why."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def service_failure(key: str, err: Exception) -> HomeAssistantError:
    """Doing the call failed (Plex, TMDb, the disk): `key` says what, `err` how."""
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders={"error": str(err)}
    )


@contextmanager
def translated_errors(
    hass: HomeAssistant,
    failure: str,
    *,
    entry_id: str | None = None,
    path: str | None = None,
    refused: type[Exception] = ReviewError,
) -> Iterator[None]:
    """Raise what the engine raises in the block as Home Assistant's errors, translated.

    - `refused` (by default `ReviewError`: a review action that cannot be done) is the
      caller's fault: `ServiceValidationError` `review_refused`;
    - `UnsafePathError` is the caller's fault when the call named a `path`
      (`invalid_path`), otherwise the engine's;
    - `TMDbAuthError` also raises the entry's `tmdb_key_rejected` repair issue (`entry_id`);
    - it, any other `VideodromeError` and `OSError` raise `HomeAssistantError` `failure`.

    Anything else (Home Assistant's own errors included) passes through unchanged.
    """
    try:
        yield
    except refused as err:
        raise validation_error("review_refused", error=str(err)) from err
    except UnsafePathError as err:
        if path is None:
            raise service_failure(failure, err) from err
        raise validation_error("invalid_path", path=path, reason=str(err)) from err
    except TMDbAuthError as err:
        if entry_id is not None:
            issues.report(hass, issues.ISSUE_TMDB_KEY, entry_id)
        raise service_failure(failure, err) from err
    except (VideodromeError, OSError) as err:
        raise service_failure(failure, err) from err
