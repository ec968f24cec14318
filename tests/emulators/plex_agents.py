"""Which ids the emulated Plex gives a matched title, by the agent of its section.

Plex's current agents (`tv.plex.agents.movie`, `tv.plex.agents.series`) give an item a
`plex://…` guid and a `Guid` list of external ids (`tmdb://603`, `imdb://tt0133093`,
`tvdb://81189`). The legacy agents, still what many long-lived libraries (and most anime
libraries, through HAMA) are matched with, give no `Guid` list, only the `guid` attribute, in
these forms (from the recordings in `../shared/corpora`: rubyplex, plex-api-spec-captures,
homeassistant-plex):

    com.plexapp.agents.imdb://tt1272878?lang=en           a movie, IMDb agent
    com.plexapp.agents.themoviedb://603?lang=en           a movie (or show), TMDb agent
    com.plexapp.agents.thetvdb://74205?lang=en            a show, TheTVDB agent
    com.plexapp.agents.thetvdb://74205/1?lang=en          its season 1
    com.plexapp.agents.thetvdb://74205/1/1?lang=en        its episode 1 of season 1
    com.plexapp.agents.hama://anidb-4880?lang=en          an anime show, HAMA, by AniDB id
    com.plexapp.agents.hama://tvdb-347734?lang=en         an anime show, HAMA, by TVDB id

A show gets HAMA's AniDB form when its catalogue entry has an `anidb_id`. A title the legacy
agent cannot name (a movie without an IMDb id under the IMDb agent, a show without a TVDB id
under TheTVDB's) stays unmatched, with a `local://` guid, as on a real server.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from tests.emulators.catalogue import CatalogueMovie, CatalogueShow
    from tests.emulators.plex import PlexEmulator

PLEX_AGENTS = {"movie": "tv.plex.agents.movie", "show": "tv.plex.agents.series"}
PLEX_SCANNERS = {"movie": "Plex Movie", "show": "Plex TV Series"}
IMDB = "com.plexapp.agents.imdb"
THEMOVIEDB = "com.plexapp.agents.themoviedb"
THETVDB = "com.plexapp.agents.thetvdb"
HAMA = "com.plexapp.agents.hama"
# What a legacy-agent library uses by default (rubyplex's and Home Assistant's recordings).
LEGACY_AGENTS = {"movie": IMDB, "show": THETVDB}
LEGACY_SCANNERS = {"movie": "Plex Movie Scanner", "show": "Plex Series Scanner"}
NONE = "com.plexapp.agents.none"
_LANG = "?lang=en"
# `/system/agents`: each agent's name and the media types (1 movie, 2 show) it matches.
AGENTS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    (PLEX_AGENTS["movie"], "Plex Movie", (1,)),
    (PLEX_AGENTS["show"], "Plex Series", (2,)),
    (IMDB, "Plex Movie (Legacy)", (1,)),
    (THEMOVIEDB, "The Movie Database", (1, 2)),
    (THETVDB, "TheTVDB", (2,)),
    (HAMA, "HamaTV", (2,)),
    (NONE, "Personal Media", (1, 2)),
)


def add_routes(emulator: PlexEmulator) -> None:
    """Serve `/system/agents[?mediaType=N]` (python-plexapi checks an agent's name there)."""

    async def agents(request: web.Request) -> web.StreamResponse:
        media_type = request.query.get("mediaType")
        listed = [
            _agent_json(identifier, name, types)
            for identifier, name, types in AGENTS
            if media_type is None or (media_type.isdigit() and int(media_type) in types)
        ]
        return emulator._reply(request, {"size": len(listed), "Agent": listed})

    emulator.app.router.add_get("/system/agents", agents)


def _agent_json(identifier: str, name: str, types: tuple[int, ...]) -> dict[str, Any]:
    return {
        "hasAttribution": identifier.startswith("tv.plex."),
        "hasPrefs": identifier != NONE,
        "identifier": identifier,
        "primary": True,
        "name": name,
        "MediaType": [{"mediaType": media_type, "name": name} for media_type in types],
    }


def is_legacy(agent: str) -> bool:
    """Whether items matched by `agent` carry only the legacy `guid` attribute."""
    return agent.startswith("com.plexapp.agents.")


def scanner_for(kind: str, agent: str) -> str:
    """The scanner a section of `kind` with `agent` is set up with."""
    return (LEGACY_SCANNERS if is_legacy(agent) else PLEX_SCANNERS)[kind]


def fake_hex(kind: str, key: object) -> str:
    """A stable stand-in for the hex part of a `plex://` guid."""
    return hashlib.sha1(f"{kind}:{key}".encode(), usedforsecurity=False).hexdigest()[:24]


def plex_guid(kind: str, tmdb_id: int) -> str:
    """The `plex://` guid Plex's current agent gives a catalogue title."""
    return f"plex://{kind}/{fake_hex(kind, tmdb_id)}"


def external_guids(title: CatalogueMovie | CatalogueShow) -> list[str]:
    """The `Guid` ids (tmdb, tvdb, imdb) Plex's current agent lists for a title."""
    guids = [f"tmdb://{title.tmdb_id}"]
    tvdb = getattr(title, "tvdb_id", None)
    guids += [f"tvdb://{tvdb}"] if tvdb else []
    guids += [f"imdb://{title.imdb_id}"] if title.imdb_id else []
    return guids


def movie_ids(agent: str, movie: CatalogueMovie) -> tuple[str, list[str]] | None:
    """The guid and `Guid` ids of `movie` matched by `agent`; None when it cannot match it."""
    if agent == IMDB:
        return (f"{IMDB}://{movie.imdb_id}{_LANG}", []) if movie.imdb_id else None
    if is_legacy(agent):
        return f"{THEMOVIEDB}://{movie.tmdb_id}{_LANG}", []
    return plex_guid("movie", movie.tmdb_id), external_guids(movie)


def show_ids(agent: str, show: CatalogueShow) -> tuple[str, list[str]] | None:
    """The guid and `Guid` ids of `show` matched by `agent`; None when it cannot match it."""
    anidb = show.extra.get("anidb_id")
    if agent == HAMA:
        if anidb:
            return f"{HAMA}://anidb-{anidb}{_LANG}", []
        return (f"{HAMA}://tvdb-{show.tvdb_id}{_LANG}", []) if show.tvdb_id else None
    if agent == THEMOVIEDB:
        return f"{THEMOVIEDB}://{show.tmdb_id}{_LANG}", []
    if is_legacy(agent):
        return (f"{THETVDB}://{show.tvdb_id}{_LANG}", []) if show.tvdb_id else None
    return plex_guid("show", show.tmdb_id), external_guids(show)


def _legacy_base(show_guid: str) -> str | None:
    """`com.plexapp.agents.thetvdb://74205` from a legacy show guid; None for other guids."""
    if not is_legacy(show_guid.partition("://")[0]):
        return None
    return show_guid.removesuffix(_LANG)


def season_guid(show_guid: str, season: int) -> str:
    """The guid of a show's season (legacy: `…://74205/1?lang=en`)."""
    base = _legacy_base(show_guid)
    return f"{base}/{season}{_LANG}" if base else f"{show_guid}/season/{season}"


def episode_guid(show_guid: str, season: int, episode: int) -> str:
    """The guid of an episode (legacy: `…://74205/1/1?lang=en`)."""
    base = _legacy_base(show_guid)
    if base:
        return f"{base}/{season}/{episode}{_LANG}"
    return f"{show_guid}/episode/{season}/{episode}"


def episode_guids(show_guid: str, show_guids: list[str], season: int, episode: int) -> list[str]:
    """The `Guid` ids of an episode: none under a legacy agent or when the show has none.

    Plex's current agent lists the episode's own TMDb and TVDB ids; the catalogue does not
    know them, so these are stable stand-ins (distinct per episode, never a show's id).
    """
    if _legacy_base(show_guid) or not show_guids:
        return []
    ids = []
    for scheme in ("tmdb", "tvdb"):
        if any(guid.startswith(f"{scheme}://") for guid in show_guids):
            digest = fake_hex(f"{scheme}-episode", (show_guid, season, episode))
            ids.append(f"{scheme}://{9_000_000 + int(digest[:6], 16)}")
    return ids
