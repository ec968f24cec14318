"""Config flow: connect to a Plex server by URL and token, then the ingest settings.

Also reauth, reconfigure, and the options flow (the ingest settings again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol

from .const import CONF_CLIENT_IDENTIFIER, DOMAIN, LOGGER
from .data import create_plex_client
from .engine.errors import PlexAuthError, PlexError
from .ingest_settings import (
    INGEST_SCHEMA,
    async_fetch_sections,
    async_validate_ingest,
    describe_sections,
    form_values,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .engine.plex_models import ServerIdentity

DEFAULT_URL = "http://127.0.0.1:32400"
EXAMPLE_URL = "http://192.168.1.20:32400"
TOKEN_HELP_URL = "https://support.plex.tv/articles/204059436"  # noqa: S105 (a help page)

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class VideodromeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Plex server to Videodrome."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with a fresh client identifier (kept for the entry's lifetime)."""
        self._client_identifier = uuid.uuid4().hex
        self._data: dict[str, Any] = {}
        self._title = ""

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> VideodromeOptionsFlow:
        """The ingest settings of an existing entry."""
        del config_entry  # the flow reads it as `self.config_entry`
        return VideodromeOptionsFlow()

    async def _connect(
        self, data: Mapping[str, Any], errors: dict[str, str]
    ) -> ServerIdentity | None:
        """Connect with what the user entered; fill `errors` and return None on failure."""
        try:
            client = create_plex_client(self.hass, data)
            return await client.identity()
        except ValueError:
            errors[CONF_URL] = "invalid_url"
        except PlexAuthError:
            errors[CONF_TOKEN] = "invalid_auth"
        except PlexError:
            errors["base"] = "cannot_connect"
        except Exception:  # noqa: BLE001 (the form must say "unknown error", not crash)
            LOGGER.exception("Unexpected error while connecting to Plex")
            errors["base"] = "unknown"
        return None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server's URL and token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**user_input, CONF_CLIENT_IDENTIFIER: self._client_identifier}
            if identity := await self._connect(data, errors):
                await self.async_set_unique_id(identity.machine_identifier)
                self._abort_if_unique_id_configured()
                self._data, self._title = data, identity.friendly_name
                return await self.async_step_ingest()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_URL): _URL,
                        vol.Required(CONF_TOKEN): _TOKEN,
                        vol.Required(CONF_VERIFY_SSL, default=True): bool,
                    }
                ),
                user_input or {CONF_URL: DEFAULT_URL},
            ),
            description_placeholders={"token_url": TOKEN_HELP_URL, "example_url": EXAMPLE_URL},
            errors=errors,
        )

    async def async_step_ingest(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the ingest settings (or none: ingest stays off); then create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            options, errors = await async_validate_ingest(self.hass, self._data, user_input)
            if not errors:
                return self.async_create_entry(title=self._title, data=self._data, options=options)
        return self.async_show_form(
            step_id="ingest",
            data_schema=self.add_suggested_values_to_schema(INGEST_SCHEMA, user_input),
            description_placeholders={
                "sections": describe_sections(await async_fetch_sections(self.hass, self._data))
            },
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Plex refused the token: ask for a new one."""
        del entry_data  # the entry is read again in the confirm step
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token for the same server."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_TOKEN: user_input[CONF_TOKEN]}
            if identity := await self._connect(data, errors):
                return await self._finish(identity, data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): _TOKEN}),
            description_placeholders={"name": entry.title, "url": entry.data[CONF_URL]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the URL (and the token, if given) of the same server."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if not user_input.get(CONF_TOKEN):
                data[CONF_TOKEN] = entry.data[CONF_TOKEN]  # left empty: keep the current one
            if identity := await self._connect(data, errors):
                return await self._finish(identity, data)
        suggested = {
            CONF_URL: entry.data[CONF_URL],
            CONF_VERIFY_SSL: entry.data.get(CONF_VERIFY_SSL, True),
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_URL): _URL,
                        vol.Optional(CONF_TOKEN): _TOKEN,
                        vol.Required(CONF_VERIFY_SSL): bool,
                    }
                ),
                user_input or suggested,
            ),
            errors=errors,
        )

    async def _finish(self, identity: ServerIdentity, data: dict[str, Any]) -> ConfigFlowResult:
        """Update the entry being reauthenticated or reconfigured, if it is the same server."""
        await self.async_set_unique_id(identity.machine_identifier)
        self._abort_if_unique_id_mismatch(reason="wrong_server")
        if self.source == SOURCE_REAUTH:
            entry = self._get_reauth_entry()
        else:
            entry = self._get_reconfigure_entry()
        return self.async_update_reload_and_abort(entry, data=data)


class VideodromeOptionsFlow(OptionsFlowWithReload):
    """Change the ingest settings; the entry reloads with them."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The ingest settings, filled in with the current ones."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            options, errors = await async_validate_ingest(self.hass, entry.data, user_input)
            if not errors:
                return self.async_create_entry(data=options)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                INGEST_SCHEMA, user_input or form_values(entry.options)
            ),
            description_placeholders={
                "sections": describe_sections(await async_fetch_sections(self.hass, entry.data))
            },
            errors=errors,
        )
