"""The Stash page of the options flow: Stash's address and key, posters, the cache's lifetime.

With an address, Videodrome connects before it saves: the address must answer as Stash's
GraphQL API does (`not_stash` otherwise: another web server, a wrong port or path), take the
key (`stash_invalid_auth`; an empty key is fine for a Stash without authentication), and be
set up (`stash_not_ready`). Without one, the Stash provider is off and nothing is checked.

What is stored (the entry's options, beside the ingest settings): `stash_url` (str, "" when
off), `stash_api_key` (str), `stash_poster_mode` ("letterbox" | "screenshot"),
`stash_upload_posters` (bool) and `stash_cache_seconds` (int, 0 to a day; 0: no cache).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol

from .const import (
    CONF_STASH_API_KEY,
    CONF_STASH_CACHE_SECONDS,
    CONF_STASH_POSTER_MODE,
    CONF_STASH_UPLOAD_POSTERS,
    CONF_STASH_URL,
    DEFAULT_STASH_CACHE_SECONDS,
    DEFAULT_STASH_POSTER_MODE,
    MAX_STASH_CACHE_SECONDS,
    STASH_POSTER_MODES,
)
from .engine.stash.client import StashClient, error_key
from .engine.stash.errors import StashError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant

BASE: Final = "base"
STASH_KEYS: Final = (
    CONF_STASH_URL,
    CONF_STASH_API_KEY,
    CONF_STASH_POSTER_MODE,
    CONF_STASH_UPLOAD_POSTERS,
    CONF_STASH_CACHE_SECONDS,
)
# The options flow's error keys for what `error_key` finds.
_ERRORS: Final = {
    "cannot_connect": "stash_cannot_connect",
    "invalid_auth": "stash_invalid_auth",
    "not_stash": "not_stash",
}

STASH_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_STASH_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
        vol.Optional(CONF_STASH_API_KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
        vol.Required(CONF_STASH_POSTER_MODE, default=DEFAULT_STASH_POSTER_MODE): SelectSelector(
            SelectSelectorConfig(
                options=list(STASH_POSTER_MODES),
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_STASH_POSTER_MODE,
            )
        ),
        vol.Required(CONF_STASH_UPLOAD_POSTERS, default=False): BooleanSelector(),
        vol.Required(CONF_STASH_CACHE_SECONDS, default=DEFAULT_STASH_CACHE_SECONDS): NumberSelector(
            NumberSelectorConfig(
                min=0, max=MAX_STASH_CACHE_SECONDS, step=1, mode=NumberSelectorMode.BOX
            )
        ),
    }
)


def stash_enabled(options: Mapping[str, Any]) -> bool:
    """Whether the entry's options name a Stash (the Stash provider is on)."""
    return bool(str(options.get(CONF_STASH_URL) or "").strip())


def stash_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The Stash settings among an entry's options (kept when the ingest page is saved)."""
    return {key: options[key] for key in STASH_KEYS if key in options}


async def async_validate_stash(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The options to store for what the user entered, and the form's errors (if any)."""
    url = str(user_input.get(CONF_STASH_URL) or "").strip()
    options: dict[str, Any] = {
        CONF_STASH_URL: url,
        CONF_STASH_API_KEY: str(user_input.get(CONF_STASH_API_KEY) or "").strip() if url else "",
        CONF_STASH_POSTER_MODE: user_input[CONF_STASH_POSTER_MODE],
        CONF_STASH_UPLOAD_POSTERS: bool(user_input[CONF_STASH_UPLOAD_POSTERS]),
        CONF_STASH_CACHE_SECONDS: int(user_input[CONF_STASH_CACHE_SECONDS]),
    }
    if not url:
        return options, {}  # no Stash: nothing to check
    try:
        client = StashClient(
            async_get_clientsession(hass), url, options[CONF_STASH_API_KEY], cache_ttl=0
        )
    except ValueError:
        return options, {CONF_STASH_URL: "stash_invalid_url"}
    try:
        info = await client.validate()
    except StashError as err:
        found = _ERRORS[error_key(err)]
        field = CONF_STASH_API_KEY if found == "stash_invalid_auth" else BASE
        return options, {field: found}
    if not info.ready:
        return options, {BASE: "stash_not_ready"}
    return options, {}
