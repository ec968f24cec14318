"""Config flow: sign in with Plex (or enter a URL and token), then the ingest settings.

Servers found on the network (GDM, see discovery.py) start a discovery flow.

Also reauth and reconfigure; the options flow is options_flow.py's. Version 1.2: the entry's
data holds the secret id of its metadata provider's addresses (`CONF_PROVIDER_ID`).
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow, UnknownFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol

from . import issues, plex_account
from .const import CONF_CLIENT_IDENTIFIER, CONF_PROVIDER_ID, DOMAIN, LOGGER
from .data import create_plex_client
from .engine.plex.errors import PlexAuthError, PlexError
from .ingest_settings import (
    INGEST_SCHEMA,
    async_fetch_sections,
    async_validate_ingest,
    describe_sections,
    form_values,
)
from .options_flow import VideodromeOptionsFlow
from .provider_http import new_provider_id

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Mapping

    from .engine.plex.models import ServerIdentity
    from .plex_account import PlexServerResource

DEFAULT_URL = "http://127.0.0.1:32400"
EXAMPLE_URL = "http://192.168.1.20:32400"
TOKEN_HELP_URL = "https://support.plex.tv/articles/204059436"  # noqa: S105 (a help page)

# The select_server form's field, and what a discovery flow's data holds (with CONF_URL).
CONF_CONNECTION = "connection"
ATTR_MACHINE_IDENTIFIER = "machine_identifier"
ATTR_NAME = "name"

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class VideodromeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Plex server to Videodrome."""

    VERSION = 1
    MINOR_VERSION = 3

    def __init__(self) -> None:
        """Start with a fresh client identifier (kept for the entry's lifetime)."""
        self._client_identifier = uuid.uuid4().hex
        self._data: dict[str, Any] = {}
        self._reconfigured: dict[str, Any] = {}
        self._title = ""
        self._auth_url = ""
        self._sign_in: asyncio.Task[str | None] | None = None
        self._account_token = ""
        self._choices: dict[str, tuple[PlexServerResource, str]] = {}
        self._discovered_url = ""

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

    async def async_step_plex_sign_in(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Send the user to plex.tv with a new PIN; continue once the PIN is approved."""
        del user_input  # an external step: plex.tv has the user's input
        if self._sign_in is None:
            session = async_get_clientsession(self.hass)
            try:
                pin = await plex_account.async_create_pin(session, self._client_identifier)
            except plex_account.PlexTvError as err:
                LOGGER.warning("Could not start signing in with Plex: %s", err)
                return self.async_abort(reason="plex_tv_unreachable")
            self._auth_url = plex_account.auth_url(self._client_identifier, pin)
            self._sign_in = self.hass.async_create_background_task(
                plex_account.async_wait_for_token(session, self._client_identifier, pin),
                f"{DOMAIN} sign-in {self.flow_id}",
            )
            self._sign_in.add_done_callback(self._signed_in)
        if not self._sign_in.done():
            return self.async_external_step(step_id="plex_sign_in", url=self._auth_url)
        try:
            token = self._sign_in.result()
        except plex_account.PlexTvError as err:
            LOGGER.warning("Lost plex.tv while signing in: %s", err)
            return self.async_external_step_done(next_step_id="plex_tv_unreachable")
        if token is None:
            return self.async_external_step_done(next_step_id="sign_in_timeout")
        self._account_token = token
        return self.async_external_step_done(next_step_id="select_server")

    @callback
    def _signed_in(self, task: asyncio.Task[str | None]) -> None:
        """The wait for the PIN ended: move the flow on (unless it is gone)."""
        if not task.cancelled():
            self.hass.async_create_task(self._async_continue(), f"{DOMAIN} sign-in done")

    async def _async_continue(self) -> None:
        with suppress(UnknownFlow):
            await self.hass.config_entries.flow.async_configure(self.flow_id)

    @callback
    def async_remove(self) -> None:
        """The flow ended or was dismissed: stop waiting for plex.tv."""
        if self._sign_in is not None:
            self._sign_in.cancel()

    async def async_step_sign_in_timeout(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The PIN expired before the user approved it."""
        del user_input
        return self.async_abort(reason="sign_in_timeout")

    async def async_step_plex_tv_unreachable(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """plex.tv stopped answering while the user signed in."""
        del user_input
        return self.async_abort(reason="plex_tv_unreachable")

    async def _async_server_choices(self) -> dict[str, tuple[PlexServerResource, str]]:
        """The account's servers and their connections, best first (one server if discovered).

        Raises AbortFlow when plex.tv cannot be reached.
        """
        session = async_get_clientsession(self.hass)
        try:
            servers = await plex_account.async_list_servers(
                session, self._client_identifier, self._account_token
            )
        except plex_account.PlexTvError as err:
            LOGGER.warning("Could not list the account's servers: %s", err)
            raise AbortFlow("plex_tv_unreachable") from err
        choices: dict[str, tuple[PlexServerResource, str]] = {}
        for server in servers:
            uris = [c.uri for c in server.connections]
            if self._discovered_url:  # a discovered server: that one, at the address found first
                if server.machine_identifier != self.unique_id:
                    continue
                uris = [self._discovered_url, *(u for u in uris if u != self._discovered_url)]
            for uri in uris:
                choices[str(len(choices))] = (server, uri)
        return choices

    async def async_step_select_server(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose one of the account's servers and how to reach it (skipped if only one)."""
        if not self._choices:
            self._choices = await self._async_server_choices()
            if not self._choices:
                return self.async_abort(reason="no_servers")
            if len(self._choices) == 1:
                user_input = {CONF_CONNECTION: "0"}
        errors: dict[str, str] = {}
        if user_input is not None:
            server, uri = self._choices[user_input[CONF_CONNECTION]]
            data = {
                CONF_URL: uri,
                CONF_TOKEN: server.access_token,
                CONF_VERIFY_SSL: True,
                CONF_CLIENT_IDENTIFIER: self._client_identifier,
            }
            failed: dict[str, str] = {}
            if identity := await self._connect(data, failed):
                return await self._async_use_server(identity, data)
            errors["base"] = "unknown" if "unknown" in failed.values() else "cannot_connect"
        options = [
            SelectOptionDict(value=key, label=f"{server.name}: {uri}")
            for key, (server, uri) in self._choices.items()
        ]
        return self.async_show_form(
            step_id="select_server",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_CONNECTION): SelectSelector(
                            SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                        )
                    }
                ),
                user_input,
            ),
            errors=errors,
        )

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
                return self.async_update_reload_and_abort(entry, data=data, options=options)
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
