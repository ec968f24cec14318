"""Config flow: sign in with Plex (or enter a URL and token), then the ingest settings.

Signing in with Plex (a PIN at plex.tv, then one of the account's servers) is the flow's
base, sign_in_steps.py. Servers found on the network (GDM, see discovery.py) start a
discovery flow. Also reauth and reconfigure; the options flow is options_flow.py's.
Version 1.2: the entry's data holds the secret id of its metadata provider's addresses
(`CONF_PROVIDER_ID`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry, ConfigFlowResult
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
import probatio as vol

from . import issues
from .const import (
    ATTR_MACHINE_IDENTIFIER,
    ATTR_NAME,
    CONF_CLIENT_IDENTIFIER,
    CONF_PROVIDER_ID,
    DOMAIN,
)
from .ingest_options_form import (
    INGEST_SCHEMA,
    async_fetch_sections,
    async_validate_ingest,
    describe_sections,
    form_values,
    with_kept,
)
from .options_flow import VideodromeOptionsFlow
from .provider_http import new_provider_id
from .sign_in_steps import SignInSteps

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .engine.plex.models import ServerIdentity

DEFAULT_URL = "http://127.0.0.1:32400"
EXAMPLE_URL = "http://192.168.1.20:32400"
TOKEN_HELP_URL = "https://support.plex.tv/articles/204059436"  # noqa: S105 (a help page)

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class VideodromeConfigFlow(SignInSteps, domain=DOMAIN):
    """Add a Plex server to Videodrome."""

    VERSION = 1
    MINOR_VERSION = 3

    def __init__(self) -> None:
        """A new flow: nothing chosen yet."""
        super().__init__()
        self._data: dict[str, Any] = {}
        self._reconfigured: dict[str, Any] = {}
        self._title = ""

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> VideodromeOptionsFlow:
        """The ingest settings of an existing entry."""
        del config_entry  # the flow reads it as `self.config_entry`
        return VideodromeOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign in with Plex, or enter the server's address and a token."""
        del user_input  # a menu
        return self.async_show_menu(step_id="user", menu_options=["plex_sign_in", "manual"])

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server's URL and token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**user_input, CONF_CLIENT_IDENTIFIER: self._client_identifier}
            if identity := await self._connect(data, errors):
                return await self._async_use_server(identity, data)
        return self.async_show_form(
            step_id="manual",
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

    async def _async_use_server(
        self, identity: ServerIdentity, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """A server that answered: unless already configured, on to the ingest settings."""
        await self.async_set_unique_id(identity.machine_identifier, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        self._data, self._title = data, identity.friendly_name
        return await self.async_step_ingest()

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """GDM found a server on the network: update a known one's address, or offer it."""
        machine_identifier = str(discovery_info[ATTR_MACHINE_IDENTIFIER])
        url = str(discovery_info[CONF_URL])
        await self.async_set_unique_id(machine_identifier)
        # GDM finds plain http addresses: an entry reached over https keeps its address.
        keep = any(
            entry.unique_id == machine_identifier and entry.data[CONF_URL].startswith("https:")
            for entry in self._async_current_entries(include_ignore=False)
        )
        self._abort_if_unique_id_configured(updates=None if keep else {CONF_URL: url})
        self._discovered_url = url
        self._title = str(discovery_info.get(ATTR_NAME) or machine_identifier)
        self.context["title_placeholders"] = {"name": self._title}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask whether to add the discovered server; then how to sign in."""
        if user_input is not None:
            return await self.async_step_discovery_auth()
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={"name": self._title, "url": self._discovered_url},
        )

    async def async_step_discovery_auth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in with Plex, or enter a token for the discovered server."""
        del user_input  # a menu
        return self.async_show_menu(
            step_id="discovery_auth",
            menu_options=["plex_sign_in", "discovery_token"],
            description_placeholders={"name": self._title},
        )

    async def async_step_discovery_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A token for the discovered server."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                **user_input,
                CONF_URL: self._discovered_url,
                CONF_CLIENT_IDENTIFIER: self._client_identifier,
            }
            if identity := await self._connect(data, errors):
                return await self._async_use_server(identity, data)
        return self.async_show_form(
            step_id="discovery_token",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_TOKEN): _TOKEN,
                    vol.Required(CONF_VERIFY_SSL, default=True): bool,
                }
            ),
            description_placeholders={
                "name": self._title,
                "url": self._discovered_url,
                "token_url": TOKEN_HELP_URL,
            },
            errors=errors,
        )

    async def async_step_ingest(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the ingest settings (or none: ingest stays off); then create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            options, errors = await async_validate_ingest(self.hass, self._data, user_input)
            if not errors:
                data = {**self._data, CONF_PROVIDER_ID: new_provider_id()}
                return self.async_create_entry(title=self._title, data=data, options=options)
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
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data=data)
        self._reconfigured = data
        return await self.async_step_reconfigure_folders()

    async def async_step_reconfigure_folders(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure, second page: the folders and the rest of the ingest settings."""
        entry = self._get_reconfigure_entry()
        data = self._reconfigured
        errors: dict[str, str] = {}
        if user_input is not None:
            options, errors = await async_validate_ingest(self.hass, data, user_input)
            if not errors:
                # The key was just accepted by TMDb (or ingest is off): no rejected key now.
                issues.clear(self.hass, issues.ISSUE_TMDB_KEY, entry.entry_id)
                return self.async_update_reload_and_abort(
                    entry, data=data, options=with_kept(options, entry.options)
                )
        return self.async_show_form(
            step_id="reconfigure_folders",
            data_schema=self.add_suggested_values_to_schema(
                INGEST_SCHEMA, user_input or form_values(entry.options)
            ),
            description_placeholders={
                "sections": describe_sections(await async_fetch_sections(self.hass, data))
            },
            errors=errors,
        )
