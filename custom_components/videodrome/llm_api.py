"""An LLM API per server: tools a conversation agent can use to answer about the library.

Read-only by default: `check_library`, `identify`, `review_queue`, `recent_ingests`; `scan`
only when the user allows it in the options.

Each tool acts with the rights of the user the conversation is for (`LLMContext.context`),
as the services do (permissions.py): a tool marked `admin_only`, or one whose service call
is refused, answers a non-admin with an error saying only an administrator may; every
answer reaches a non-admin without absolute paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import llm
import probatio as vol

from .const import ATTR_CONFIG_ENTRY_ID, ATTR_LIBRARY, CONF_LLM_SCAN, DOMAIN, SERVICE_SCAN
from .engine.errors import VideodromeError
from .permissions import ADMIN_ONLY_MESSAGE, async_answer_for, async_require_admin
from .runtime.check_library import async_check_library

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .data import VideodromeConfigEntry

API_PROMPT = (
    "You can look into the user's Plex Media Server library through Videodrome. Use "
    "check_library before saying whether a movie or show is there; it also tells which seasons "
    "and episodes of a show are present, missing or watched. identify says what a video file "
    "name is. review_queue and recent_ingests tell what Videodrome is doing with new downloads."
)
READ_ONLY = llm.ToolAnnotations(
    read_only=True, destructive=False, idempotent=True, open_world=False
)


def async_register_llm_api(hass: HomeAssistant, entry: VideodromeConfigEntry) -> None:
    """Offer the API to conversation agents while the entry is loaded."""
    entry.async_on_unload(llm.async_register_api(hass, VideodromeAPI(hass, entry)))


class VideodromeAPI(llm.API):
    """The tools of one Plex server."""

    def __init__(self, hass: HomeAssistant, entry: VideodromeConfigEntry) -> None:
        """Name the API after the server."""
        super().__init__(hass=hass, id=f"{DOMAIN}-{entry.entry_id}", name=f"Plex ({entry.title})")
        self.entry = entry

    async def async_get_api_instance(self, llm_context: llm.LLMContext) -> llm.APIInstance:
        """The tools, with `scan` only when the options allow it."""
        tools: list[llm.Tool] = [CheckLibraryTool(self.entry), IdentifyTool(self.entry)]
        if self.entry.runtime_data.ingest is not None:
            tools += [ReviewQueueTool(self.entry), RecentIngestsTool(self.entry)]
        if self.entry.options.get(CONF_LLM_SCAN, False):
            tools.append(ScanTool(self.entry))
        return llm.APIInstance(self, API_PROMPT, llm_context, tools)


class VideodromeTool(llm.Tool):
    """A tool of one server, run with the rights of the user the conversation is for.

    Subclasses implement `_async_run`; `admin_only` marks a tool that changes files, the
    store or Plex's matches (none today: approving by voice would be one).
    """

    integration = DOMAIN
    annotations = READ_ONLY
    admin_only: ClassVar[bool] = False

    def __init__(self, entry: VideodromeConfigEntry) -> None:
        """A tool of `entry`'s server."""
        self.entry = entry

    def _args(self, tool_input: llm.ToolInput) -> dict[str, Any]:
        """The model's arguments, checked against `parameters`.

        Home Assistant passes them as they come; `vol.Invalid` goes back to the model as an
        error it can correct (the chat log does that), where a KeyError would end the chat.
        """
        checked: dict[str, Any] = self.parameters(tool_input.tool_args)
        return checked

    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        """Refuse a non-admin what is admin-only; answer without paths for non-admins."""
        context = llm_context.context
        try:
            if self.admin_only:
                await async_require_admin(hass, context)
            result = await self._async_run(hass, self._args(tool_input), llm_context)
        except Unauthorized:
            return llm.ToolResult({"error": ADMIN_ONLY_MESSAGE}, error=True)
        data = await async_answer_for(hass, context, result.data)
        return llm.ToolResult(data, error=result.error)

    async def _async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        """The tool's work, with its checked arguments."""
        raise NotImplementedError


class CheckLibraryTool(VideodromeTool):
    """Is a title in the library; for shows, seasons present/missing/watched."""

    name = "check_library"
    description = (
        "Checks whether a movie or TV show is in the Plex library, by title (with an optional "
        "year and type) or by TMDb/TVDB/IMDb id. Returns found (true/false), loading (true while "
        "the library index is still being read: then the answer is not known yet), incomplete "
        "(true when a Plex library that could hold the title could not be read: then a title "
        "not found may be there all the same; missing_libraries names them) and the "
        "matching items with title, year, type and ids; for a show also availability: a "
        "summary sentence, present and missing seasons, missing episode ranges per season and "
        "watched episodes per season."
    )
    parameters = vol.Schema(
        {
            vol.Optional("title"): str,
            vol.Optional("year"): int,
            vol.Optional("type"): vol.In(["movie", "show"]),
            vol.Optional("tmdb_id"): int,
            vol.Optional("tvdb_id"): int,
            vol.Optional("imdb_id"): str,
        }
    )

    async def _async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        """Look it up."""
        del hass, llm_context
        if not any(k in args for k in ("title", "tmdb_id", "tvdb_id", "imdb_id")):
            return llm.ToolResult({"error": "give a title or an id"}, error=True)
        runtime = self.entry.runtime_data
        ingest = runtime.ingest
        return llm.ToolResult(
            await async_check_library(
                runtime.library.index,
                ingest.tmdb if ingest is not None else None,
                title=args.get("title"),
                year=args.get("year"),
                kind=args.get("type"),
                tmdb_id=args.get("tmdb_id"),
                tvdb_id=args.get("tvdb_id"),
                imdb_id=args.get("imdb_id"),
            )
        )


class IdentifyTool(VideodromeTool):
    """What a file name is."""

    name = "identify"
    description = (
        "Identifies a video file name (for example 'Blade.Runner.2049.1080p.WEB.mkv'): returns "
        "kind (movie, episode or unknown), title, year, season, episodes, the TMDb id, a "
        "confidence from 0 to 1, the decision Videodrome would take (auto, review, manual or "
        "skip) with reason codes, and the path it would get in Plex. Needs ingest set up."
    )
    parameters = vol.Schema({vol.Required("name"): str})

    async def _async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        """Identify by name only (no file is read)."""
        del hass, llm_context
        name = str(args["name"])
        ingest = self.entry.runtime_data.ingest
        if ingest is None:
            return llm.ToolResult({"error": "ingest is not set up"}, error=True)
        try:
            found = await ingest.service.pipeline.identifier.identify(name)
        except VideodromeError as err:
            return llm.ToolResult({"error": str(err)}, error=True)
        return llm.ToolResult(found.as_json())


class ReviewQueueTool(VideodromeTool):
    """What waits for a person's decision."""

    name = "review_queue"
    description = (
        "Lists the video files waiting for a person's decision before they are filed into "
        "Plex: count, and for each the file name, the best guess (title, year), confidence, "
        "the reason codes and the candidate titles."
    )

    async def _async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        """Read the queue."""
        del args, llm_context
        ingest = self.entry.runtime_data.ingest
        if ingest is None:  # offered only with ingest; the options may have changed since
            return llm.ToolResult({"error": "ingest is not set up"}, error=True)
        store = ingest.store
        count = await hass.async_add_executor_job(store.review_count)
        items = await hass.async_add_executor_job(store.review_queue, 20)
        return llm.ToolResult(
            {
                "count": count,
                "items": [
                    {
                        "item_id": i.id,
                        "file": i.source.rsplit("/", 1)[-1],
                        "title": i.title,
                        "year": i.year,
                        "confidence": i.confidence,
                        "reasons": list(i.reasons),
                        "candidates": [
                            # "source" (videodrome / plex) when Plex matched another title.
                            {k: c.get(k) for k in ("title", "year", "tmdb_id", "source") if k in c}
                            for c in i.candidates
                        ],
                    }
                    for i in items
                ],
            }
        )


class RecentIngestsTool(VideodromeTool):
    """What was filed lately."""

    name = "recent_ingests"
    description = (
        "Lists the files Videodrome handled most recently, newest first: title, year, status "
        "(ingested, review, skipped, rejected or failed), when, where it went in Plex and "
        "whether Plex matched it to the same title."
    )
    parameters = vol.Schema({vol.Optional("limit", default=10): vol.All(int, vol.Range(1, 50))})

    async def _async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        """Read the history."""
        del llm_context
        ingest = self.entry.runtime_data.ingest
        if ingest is None:  # offered only with ingest; the options may have changed since
            return llm.ToolResult({"error": "ingest is not set up"}, error=True)
        store = ingest.store
        limit = int(args["limit"])
        items = await hass.async_add_executor_job(lambda: store.history(limit=limit))
        keys = ("title", "year", "status", "updated_at", "target", "plex_status")
        return llm.ToolResult({"items": [{k: i.as_dict()[k] for k in keys} for i in items]})


class ScanTool(VideodromeTool):
    """Ask Plex to scan (offered only when the options allow it)."""

    name = "scan"
    description = (
        "Asks Plex to scan one library by name (or every library when no name is given) for "
        "new or changed files. Returns the scans started."
    )
    parameters = vol.Schema({vol.Optional("library"): str})
    annotations = llm.ToolAnnotations(
        read_only=False, destructive=False, idempotent=True, open_world=False
    )

    async def _async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        """Call videodrome.scan."""
        data: dict[str, Any] = {ATTR_CONFIG_ENTRY_ID: self.entry.entry_id}
        if library := args.get("library"):
            data[ATTR_LIBRARY] = library
        response = await hass.services.async_call(
            DOMAIN, SERVICE_SCAN, data, blocking=True, return_response=True,
            context=llm_context.context,
        )  # fmt: skip
        return llm.ToolResult(dict(response or {}))
