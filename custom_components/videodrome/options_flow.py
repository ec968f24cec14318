"""The options flow: an entry's ingest settings, its metadata providers' addresses, and Stash.

The first page is the config flow's ingest step again, filled in with the current options. Its
description shows the metadata provider's two addresses, to copy into Plex, and one more field,
`regenerate_provider_id`, makes a new secret id for them: it is stored in the entry's data as
the form is saved, the old addresses stop answering at once, and the entry does not reload
for it (the provider reads the id on every request).

Ticking `stash_settings` leads to a second page, `stash` (stash_options_form.py): the Stash
provider's address to copy into Plex, Stash's address and key, posters, the cache. It needs
no ingest settings (the first page may stay empty). Saving the first page alone keeps the
Stash settings as they were.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import BooleanSelector
import probatio as vol

from . import issues
from .const import CONF_PROVIDER_ID
from .ingest_options_form import (
    INGEST_SCHEMA,
    async_fetch_sections,
    async_validate_ingest,
    describe_sections,
    form_values,
    with_kept,
)
from .provider_http import new_provider_id, provider_base, provider_urls
from .stash_options_form import STASH_SCHEMA, async_validate_stash, stash_options

CONF_REGENERATE: Final = "regenerate_provider_id"
CONF_STASH_SETTINGS: Final = "stash_settings"
# Shown in the addresses of an entry that has no id yet (one is made when the form is saved).
NO_ID_YET: Final = "<new-id>"
OPTIONS_SCHEMA: Final = INGEST_SCHEMA.extend(
    {
        vol.Required(CONF_REGENERATE, default=False): BooleanSelector(),
        vol.Required(CONF_STASH_SETTINGS, default=False): BooleanSelector(),
    }
)


class VideodromeOptionsFlow(OptionsFlowWithReload):
    """Change the ingest settings (the entry reloads with them), the addresses, or Stash."""

    _ingest: dict[str, Any]

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The ingest settings, filled in with the current ones."""
        entry = self.config_entry
        provider_id = entry.data.get(CONF_PROVIDER_ID)
        errors: dict[str, str] = {}
        if user_input is not None:
            options, errors = await async_validate_ingest(self.hass, entry.data, user_input)
            if not errors:
                # The key was just accepted by TMDb (or ingest is off): no rejected key now.
                issues.clear(self.hass, issues.ISSUE_TMDB_KEY, entry.entry_id)
                if user_input.get(CONF_REGENERATE) or not provider_id:
                    data = {**entry.data, CONF_PROVIDER_ID: new_provider_id()}
                    self.hass.config_entries.async_update_entry(entry, data=data)
                if user_input.get(CONF_STASH_SETTINGS):
                    self._ingest = options
                    return await self.async_step_stash()
                return self.async_create_entry(
                    data=with_kept({**stash_options(entry.options), **options}, entry.options)
                )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA,
                # The way on to the Stash page is chosen anew each time the form is shown.
                {
                    k: v
                    for k, v in (user_input or form_values(entry.options)).items()
                    if k != CONF_STASH_SETTINGS
                },
            ),
            description_placeholders={
                "sections": describe_sections(await async_fetch_sections(self.hass, entry.data)),
                **provider_urls(self.hass, provider_id or NO_ID_YET),
            },
            errors=errors,
        )

    async def async_step_stash(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Stash's address and key (checked by connecting), posters, the cache."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            options, errors = await async_validate_stash(self.hass, user_input)
            if not errors:
                # Stash just took the key (or there is no Stash): no refused key now.
                issues.clear(self.hass, issues.ISSUE_STASH_KEY, entry.entry_id)
                kept = with_kept({**self._ingest, **options}, entry.options)
                return self.async_create_entry(data=kept)
        provider_id = entry.data.get(CONF_PROVIDER_ID) or NO_ID_YET
        return self.async_show_form(
            step_id="stash",
            data_schema=self.add_suggested_values_to_schema(
                STASH_SCHEMA, user_input or stash_options(entry.options)
            ),
            description_placeholders={
                "stash_url": f"{provider_base(self.hass, provider_id)}/stash"
            },
            errors=errors,
        )
