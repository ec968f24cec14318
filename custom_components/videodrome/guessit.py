"""guessit's processes inside Home Assistant: one owner for the whole domain, in `hass.data`.

Every entry's ingest and the metadata provider read file names through the same
`GuessitProcesses` (engine/identify/guessit_process.py): one child per lane, started with the
first name (none runs before), ended when Home Assistant stops (`EVENT_HOMEASSISTANT_STOP`) or
when the last entry unloads (the next entry set up gets a new owner). Ending them is an
executor job whose wait is bounded (a child that does not end in time is killed): the event
loop never waits for a process, and nothing is left to an interpreter exit hook, which would
run in the event loop's thread after Home Assistant has stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .engine.identify.guessit_process import GuessitProcesses

if TYPE_CHECKING:
    from .engine.identify.guessit_process import GuessProcess, Lane


@dataclass(slots=True)
class DomainGuessit:
    """The domain's guessit processes, and the stop listener that ends them."""

    processes: GuessitProcesses
    stop_listener: CALLBACK_TYPE


DATA_GUESSIT: HassKey[DomainGuessit] = HassKey(f"{DOMAIN}_guessit")


@callback
def async_guessit_lane(hass: HomeAssistant, lane: Lane) -> GuessProcess:
    """The guessit process `lane`'s names are read in (the domain's owner made if need be)."""
    held = hass.data.get(DATA_GUESSIT)
    if held is None:
        processes = GuessitProcesses()

        async def _async_stop(_event: Event) -> None:
            # Still this owner's: `async_close_guessit` removes this listener when it ends one.
            hass.data.pop(DATA_GUESSIT, None)
            await hass.async_add_executor_job(processes.close)

        stop_listener = hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_stop)
        held = hass.data[DATA_GUESSIT] = DomainGuessit(processes, stop_listener)
    return held.processes.lane(lane)


async def async_close_guessit(hass: HomeAssistant) -> None:
    """End the domain's guessit processes now (the last entry unloads). Not blocking."""
    held = hass.data.pop(DATA_GUESSIT, None)
    if held is None:
        return
    held.stop_listener()
    await hass.async_add_executor_job(held.processes.close)
