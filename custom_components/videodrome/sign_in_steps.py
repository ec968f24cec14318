"""The config flow's sign-in with Plex: a PIN approved at plex.tv, then one of the servers.

`SignInSteps` is the config flow's base (config_flow.py): it holds the flow's client
identifier, connects to a server with what a step gathered (`_connect`), and has the steps
`plex_sign_in` (an external step: the user approves the PIN at plex.tv while a background
task waits for it), `sign_in_timeout`, `plex_tv_unreachable` and `select_server` (one of the
account's servers and how to reach it; a discovery flow offers only the server found, at the
address found first). A server that answered goes on to the flow's `_async_use_server`.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow, UnknownFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import probatio as vol

from . import plex_account
from .const import CONF_CLIENT_IDENTIFIER, DOMAIN, LOGGER
from .data import create_plex_client
from .engine.plex.errors import PlexAuthError, PlexError

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Mapping

    from .engine.plex.models import ServerIdentity
    from .plex_account import PlexServerResource

# The select_server form's field.
CONF_CONNECTION = "connection"


class SignInSteps(ConfigFlow):
    """Reach a Plex server: connect with what a step gathered, or sign in with Plex first."""

    def __init__(self) -> None:
        """Start with a fresh client identifier (kept for the entry's lifetime)."""
        self._client_identifier = uuid.uuid4().hex
        self._discovered_url = ""  # set by a discovery flow
        self._auth_url = ""
        self._sign_in: asyncio.Task[str | None] | None = None
        self._account_token = ""
        self._choices: dict[str, tuple[PlexServerResource, str]] = {}

    async def _async_use_server(
        self, identity: ServerIdentity, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """The flow's next step for a server that answered (the config flow says which)."""
        raise NotImplementedError

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
