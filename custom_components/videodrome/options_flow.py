"""The options flow: an entry's ingest settings, and its metadata provider's addresses.

The form is the config flow's ingest step again, filled in with the current options. Its
description shows the metadata provider's two addresses, to copy into Plex, and one more field,
`regenerate_provider_id`, makes a new secret id for them: it is stored in the entry's data as
the form is saved, the old addresses stop answering at once, and the entry does not reload
for it (the provider reads the id on every request).
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
from .provider_http import new_provider_id, provider_urls

CONF_REGENERATE: Final = "regenerate_provider_id"
# Shown in the addresses of an entry that has no id yet (one is made when the form is saved).
NO_ID_YET: Final = "<new-id>"
OPTIONS_SCHEMA: Final = INGEST_SCHEMA.extend(
    {vol.Required(CONF_REGENERATE, default=False): BooleanSelector()}
)


class VideodromeOptionsFlow(OptionsFlowWithReload):
    """Change the ingest settings (the entry reloads with them), or the provider's addresses."""

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
                return self.async_create_entry(data=with_kept(options, entry.options))
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, user_input or form_values(entry.options)
            ),
            description_placeholders={
                "sections": describe_sections(await async_fetch_sections(self.hass, entry.data)),
                **provider_urls(self.hass, provider_id or NO_ID_YET),
            },
            errors=errors,
        )
