"""`videodrome.check_library`: "do I already have this?", by title or by id."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import probatio as vol

from ..call_targets import loaded_entry
from ..const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_IMDB_ID,
    ATTR_TITLE,
    ATTR_TMDB_ID,
    ATTR_TVDB_ID,
    ATTR_TYPE,
    ATTR_YEAR,
    SERVICE_CHECK_LIBRARY,
)
from ..permissions import async_register_service
from ..runtime.check_library import async_check_library
from .errors import validation_error
from .fields import ENTRY, ID

CHECK_LIBRARY_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Optional(ATTR_TITLE): vol.All(cv.string, vol.Length(min=1, max=300)),
        vol.Optional(ATTR_YEAR): vol.All(vol.Coerce(int), vol.Range(min=1870, max=2200)),
        vol.Optional(ATTR_TYPE): vol.In(["movie", "show"]),
        vol.Optional(ATTR_TMDB_ID): ID,
        vol.Optional(ATTR_TVDB_ID): ID,
        vol.Optional(ATTR_IMDB_ID): vol.All(cv.string, vol.Match(r"^tt\d{7,9}$")),
    }
)


def async_setup_library_services(hass: HomeAssistant) -> None:
    """Register `check_library`, open to every user (without paths for non-admins)."""
    async_register_service(
        hass,
        SERVICE_CHECK_LIBRARY,
        _check_library,
        CHECK_LIBRARY_SCHEMA,
        SupportsResponse.ONLY,
        admin=False,
    )


async def _check_library(call: ServiceCall) -> ServiceResponse:
    data = call.data
    if not any(k in data for k in (ATTR_TITLE, ATTR_TMDB_ID, ATTR_TVDB_ID, ATTR_IMDB_ID)):
        raise validation_error("title_or_id_required")
    entry = loaded_entry(call.hass, data.get(ATTR_CONFIG_ENTRY_ID))
    runtime = entry.runtime_data
    ingest = runtime.ingest
    return await async_check_library(
        runtime.library.index,
        ingest.tmdb if ingest is not None else None,
        title=data.get(ATTR_TITLE),
        year=data.get(ATTR_YEAR),
        kind=data.get(ATTR_TYPE),
        tmdb_id=data.get(ATTR_TMDB_ID),
        tvdb_id=data.get(ATTR_TVDB_ID),
        imdb_id=data.get(ATTR_IMDB_ID),
    )
