"""Who may do what: administrators change things and see paths; other users read, without.

One rule, `async_is_admin`, decides both: whether a call may change files, the store or
Plex's matches, and whether its answer may carry absolute paths. A call with no user
(an automation, a script, Home Assistant itself) acts with an administrator's rights, as
Home Assistant's own admin services decide (helpers/service.py); a user id naming no user
is not an administrator. `async_answer_for` gives anyone else the answer's non-admin form
(`engine.redact.redact_paths`, names relative to the configured folders).

Services register here: the ones that write through `async_register_admin_service`, the
others wrapped so that their answers, and their errors, reach non-admins without paths.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final

from homeassistant.exceptions import HomeAssistantError, Unauthorized
from homeassistant.helpers.service import async_register_admin_service

from .const import CONF_INGEST_FOLDERS, CONF_MOVIES_ROOT, CONF_PATH_MAP, CONF_TV_ROOT, DOMAIN
from .engine.redact import is_absolute, redact_paths

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from homeassistant.core import (
        Context,
        HomeAssistant,
        ServiceCall,
        ServiceResponse,
        SupportsResponse,
    )
    import probatio as vol

    from .data import VideodromeConfigEntry

    type Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

ADMIN_ONLY_MESSAGE: Final = (
    "Only a Home Assistant administrator may do this; ask an administrator to do it."
)


async def async_is_admin(hass: HomeAssistant, context: Context | None) -> bool:
    """Whether `context` acts with an administrator's rights (and may see absolute paths).

    True for an administrator and for a call with no user; False for any other user and
    for a user id that names no user.
    """
    if context is None or context.user_id is None:
        return True
    user = await hass.auth.async_get_user(context.user_id)
    return user is not None and user.is_admin


async def async_require_admin(hass: HomeAssistant, context: Context | None) -> None:
    """Raise `Unauthorized` unless `context` acts with an administrator's rights."""
    if not await async_is_admin(hass, context):
        raise Unauthorized(context=context)


def _entry_roots(entry: VideodromeConfigEntry) -> list[str]:
    options = entry.options
    roots: list[Any] = [
        *options.get(CONF_INGEST_FOLDERS, []),
        options.get(CONF_MOVIES_ROOT),
        options.get(CONF_TV_ROOT),
    ]
    for pair in options.get(CONF_PATH_MAP, []):
        roots.extend(pair)
    roots.extend(
        location
        for status in entry.runtime_data.coordinator.data.sections.values()
        for location in status.section.locations
    )
    return [root for root in roots if isinstance(root, str) and is_absolute(root)]


def _with_resolved(roots: list[str]) -> list[str]:
    """The roots and, for local ones, where their links lead (blocking: reads links)."""
    return [*roots, *(os.path.realpath(root) for root in roots if root.startswith("/"))]


async def async_path_roots(hass: HomeAssistant) -> list[str]:
    """Every configured folder of the loaded entries, as given and resolved."""
    roots = [
        root
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        for root in _entry_roots(entry)
    ]
    return await hass.async_add_executor_job(_with_resolved, roots)


async def async_non_admin_form[T](hass: HomeAssistant, answer: T) -> T:
    """`answer` as a non-admin gets it: no absolute paths, names relative to the folders."""
    return redact_paths(answer, await async_path_roots(hass))


async def async_answer_for[T](hass: HomeAssistant, context: Context | None, answer: T) -> T:
    """`answer` as `context` may see it: unchanged for an administrator."""
    if await async_is_admin(hass, context):
        return answer
    return await async_non_admin_form(hass, answer)


def _readable(handler: Handler) -> Handler:
    """`handler` whose answers and translated errors reach non-admins without paths."""

    async def answer(call: ServiceCall) -> ServiceResponse:
        try:
            response = await handler(call)
        except HomeAssistantError as err:
            placeholders = err.translation_placeholders
            if err.translation_domain != DOMAIN or not placeholders:
                raise
            if await async_is_admin(call.hass, call.context):
                raise
            raise type(err)(
                translation_domain=DOMAIN,
                translation_key=err.translation_key,
                translation_placeholders=await async_non_admin_form(call.hass, placeholders),
            ) from err
        return await async_answer_for(call.hass, call.context, response)

    return answer


def async_register_service(
    hass: HomeAssistant,
    service: str,
    handler: Handler,
    schema: vol.Schema,
    supports_response: SupportsResponse,
    *,
    admin: bool,
) -> None:
    """Register a Videodrome service: admin-only when it writes, else open, without paths."""
    if admin:
        async_register_admin_service(hass, DOMAIN, service, handler, schema, supports_response)
    else:
        hass.services.async_register(
            DOMAIN, service, _readable(handler), schema=schema, supports_response=supports_response
        )
