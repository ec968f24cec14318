"""An emulated TMDb API v3: a real aiohttp server on loopback (tests, benchmarks, demo).

Run it alone with `python -m tests.emulators.tmdb --port 8930 --api-key KEY --catalog demo`;
it prints `TMDb emulator listening on http://127.0.0.1:8930/3` (the base URL is the last word).
Responses have the keys and JSON types of real recordings (tests/contract checks them); the
works are those of the catalogue (tests/emulators/catalogue.py). Search matches like TMDb's
(tmdb_search.py). `rate_limit` answers 429 as TMDb does; `faults` makes it misbehave.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
import hashlib
import io
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
import orjson

from tests.emulators.catalogue import Catalogue, CatalogueMovie, CatalogueSeason, CatalogueShow
from tests.emulators.server import (
    EmulatorServer,
    Faults,
    RecordedRequest,
    arguments,
    serve_until_interrupted,
)
from tests.emulators.tmdb_episode_groups import find_group, group_details, group_summaries
from tests.emulators.tmdb_search import SearchIndex
from tests.emulators.tmdb_translations import movie_translations, show_translations

if TYPE_CHECKING:
    import argparse
    from collections.abc import Awaitable, Callable

__all__ = ["RecordedRequest", "TMDbEmulator", "TMDbFaults"]

DEFAULT_API_KEY = "demo-tmdb-key"
MAX_PAGE = 500

# TMDb's error bodies: HTTP status -> (TMDb status_code, status_message), from its error list.
ERRORS: dict[int, tuple[int, str]] = {
    400: (22, "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer."),
    401: (7, "Invalid API key: You must be granted a valid key."),
    404: (34, "The resource you requested could not be found."),
    429: (25, "Your request count (#) is over the allowed limit of (40)."),
    500: (11, "Internal error: Something went wrong, contact TMDB."),
    502: (43, "Couldn't connect to the backend server."),
    503: (9, "Service offline: This service is temporarily offline, try again later."),
    504: (24, "Your request to the backend server timed out. Try again."),
}

# TMDb's genre ids (movie and TV lists; the names they share have the same id).
GENRE_IDS = {
    "Action": 28,
    "Adventure": 12,
    "Animation": 16,
    "Comedy": 35,
    "Crime": 80,
    "Documentary": 99,
    "Drama": 18,
    "Family": 10751,
    "Fantasy": 14,
    "History": 36,
    "Horror": 27,
    "Music": 10402,
    "Mystery": 9648,
    "Romance": 10749,
    "Science Fiction": 878,
    "TV Movie": 10770,
    "Thriller": 53,
    "War": 10752,
    "Western": 37,
    "Action & Adventure": 10759,
    "Kids": 10762,
    "News": 10763,
    "Reality": 10764,
    "Sci-Fi & Fantasy": 10765,
    "Soap": 10766,
    "Talk": 10767,
    "War & Politics": 10768,
}

# The catalogue has no countries: the usual one for the original language stands in.
COUNTRY_OF_LANGUAGE = {"en": "US", "fr": "FR", "de": "DE", "ja": "JP", "ko": "KR"}

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class TMDbFaults(Faults):
    """The shared knobs (server.py; failures answer TMDb's error body), and a 429's wait."""

    retry_after: str = "1"  # the Retry-After header of a 429 (seconds, or an HTTP date)


class TMDbEmulator(EmulatorServer):
    """TMDb's API v3 on loopback, serving the works of a catalogue."""

    path = "/3"  # the URL is the v3 API's base

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        api_key: str = DEFAULT_API_KEY,
        bearer_token: str | None = None,
        rate_limit: float | None = None,
    ) -> None:
        """Serve `catalogue` (the demo's by default) to clients presenting a key or token.

        `api_key` is accepted as the `api_key` query parameter (v3), `bearer_token` as an
        `Authorization: Bearer …` header (a v4 read access token). `rate_limit` is requests
        per second (a token bucket as deep as one second of requests); None: unlimited.
        """
        super().__init__()
        self.api_key = api_key
        self.bearer_token = bearer_token
        self.rate_limit = rate_limit
        self.faults = TMDbFaults()
        self.requests: list[RecordedRequest] = []
        self.counts: Counter[str] = Counter()  # requests by kind: "search/movie", "tv/season"…
        self.movies: dict[int, CatalogueMovie] = {}
        self.shows: dict[int, CatalogueShow] = {}
        self._movie_index = SearchIndex()
        self._show_index = SearchIndex()
        self._tokens: float | None = None  # the rate limit's bucket: full at first
        self._refilled = 0.0
        self._clock: Callable[[], float] = time.monotonic  # tests may drive time themselves
        if catalogue is None:
            catalogue = Catalogue.load()
        for movie in catalogue.movies:
            self.add_movie(movie)
        for show in catalogue.shows:
            self.add_show(show)
        app = web.Application(middlewares=[self._middleware])
        routes = (
            ("authentication", "/3/authentication", self._authentication),
            ("search.movie", "/3/search/movie", self._search_movie),
            ("search.tv", "/3/search/tv", self._search_tv),
            ("movie", r"/3/movie/{id:\d+}", self._movie),
            ("movie.alternative_titles", r"/3/movie/{id:\d+}/alternative_titles", self._movie_alt),
            ("movie.external_ids", r"/3/movie/{id:\d+}/external_ids", self._movie_ids),
            ("movie.translations", r"/3/movie/{id:\d+}/translations", self._movie_translations),
            ("tv", r"/3/tv/{id:\d+}", self._tv),
            ("tv.alternative_titles", r"/3/tv/{id:\d+}/alternative_titles", self._tv_alt),
            ("tv.external_ids", r"/3/tv/{id:\d+}/external_ids", self._tv_ids),
            ("tv.translations", r"/3/tv/{id:\d+}/translations", self._tv_translations),
            ("tv.episode_groups", r"/3/tv/{id:\d+}/episode_groups", self._tv_groups),
            ("tv.episode_group", "/3/tv/episode_group/{group}", self._episode_group),
            ("tv.season", r"/3/tv/{id:\d+}/season/{season:\d+}", self._season),
            ("find", "/3/find/{external_id}", self._find),
            # TMDb's image server (image.tmdb.org/t/p/...): no key, no rate limit.
            ("image", r"/t/p/{size:w\d+|original}/{name:[A-Za-z0-9]+\.jpg}", self._image),
        )
        # Route names are the kinds `counts` counts, with dots for slashes (aiohttp wants dots).
        for name, path, handler in routes:
            app.router.add_get(path, handler, name=name)
        self.app = app

    @property
    def image_url(self) -> str:
        """The image server's base (TMDB_IMAGE_URL), once started: ".../t/p"."""
        return self.url.removesuffix("/3") + "/t/p"

    def rotate_key(self, new: str, *, bearer_token: str | None = None) -> None:
        """Accept only `new` (and `bearer_token`, when given) from now on: old ones get 401."""
        self.api_key = new
        if bearer_token is not None:
            self.bearer_token = bearer_token

    def add_movie(self, movie: CatalogueMovie) -> None:
        """Make a movie exist (or replace the one with its id)."""
        self.movies[movie.tmdb_id] = movie
        titles = (
            movie.title,
            movie.original_title,
            *movie.alternative_titles,
            *(t.title for t in movie.translations),
        )
        self._movie_index.add(movie.tmdb_id, titles, movie.year, movie.popularity)

    def add_show(self, show: CatalogueShow) -> None:
        """Make a TV show exist (or replace the one with its id)."""
        self.shows[show.tmdb_id] = show
        titles = (
            show.name,
            show.original_name,
            *show.alternative_titles,
            *(t.title for t in show.translations),
        )
        self._show_index.add(show.tmdb_id, titles, show.year, show.popularity)

    # ---- plumbing -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        query = {k: v for k, v in request.query.items() if k != "api_key"}
        self.requests.append(RecordedRequest(request.method, request.path, query, self._clock()))
        self.counts[(request.match_info.route.name or "unknown").replace(".", "/")] += 1
        if request.match_info.route.name == "image":
            return await handler(request)
        retry_after = self.faults.retry_after
        if failed := await self.faults.misbehave(request, lambda s: _error(s, retry_after)):
            return failed
        if not self._admit():
            return _error(429, retry_after)
        if not self._authorized(request):
            return _error(401)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return _error(404)

    def _authorized(self, request: web.Request) -> bool:
        if "api_key" in request.query:
            return request.query["api_key"] == self.api_key
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        wanted = self.bearer_token
        return scheme.lower() == "bearer" and wanted is not None and token.strip() == wanted

    def _admit(self) -> bool:
        """Take a token from the bucket (refilled at `rate_limit` per second), if there is one."""
        if self.rate_limit is None:
            return True
        now = self._clock()
        depth = max(self.rate_limit, 1.0)
        refill = (now - self._refilled) * self.rate_limit
        tokens = depth if self._tokens is None else min(depth, self._tokens + refill)
        self._refilled = now
        admitted = tokens >= 1.0
        self._tokens = tokens - 1.0 if admitted else tokens
        return admitted

    def _reply(self, data: dict[str, Any]) -> web.Response:
        body = self.faults.cut(orjson.dumps(data))
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    async def _image(self, request: web.Request) -> web.Response:
        """A poster: a JPEG in a colour of its own, with the title written on it."""
        name = "/" + request.match_info["name"]
        titles = {image_path("poster/movie", m.tmdb_id): m.title for m in self.movies.values()}
        titles.update({image_path("poster/tv", s.tmdb_id): s.name for s in self.shows.values()})
        if name not in titles:
            return web.Response(status=404, text="Not Found")
        size = request.match_info["size"]
        width = 500 if size == "original" else min(int(size[1:]), 780)
        body = await asyncio.get_running_loop().run_in_executor(
            None, draw_poster, titles[name], width
        )
        return web.Response(body=body, content_type="image/jpeg")

    def _movie_or_404(self, request: web.Request) -> CatalogueMovie:
        movie = self.movies.get(int(request.match_info["id"]))
        if movie is None:
            raise web.HTTPNotFound
        return movie

    def _show_or_404(self, request: web.Request) -> CatalogueShow:
        show = self.shows.get(int(request.match_info["id"]))
        if show is None:
            raise web.HTTPNotFound
        return show

    # ---- endpoints ----------------------------------------------------------------------------

    async def _authentication(self, _request: web.Request) -> web.Response:
        """What clients call to check a key: the middleware has checked it already."""
        return self._reply({"success": True})

    async def _search_movie(self, request: web.Request) -> web.Response:
        query = request.query
        page = _page(query.get("page"))
        if page is None:
            return _error(400)
        year = _int(query.get("primary_release_year")) or _int(query.get("year"))
        found = self._movie_index.search(query.get("query", ""), year, page)
        results = [movie_result(self.movies[i]) for i in found.ids]
        return self._reply(_paged(found.page, results, found.total_pages, found.total_results))

    async def _search_tv(self, request: web.Request) -> web.Response:
        query = request.query
        page = _page(query.get("page"))
        if page is None:
            return _error(400)
        year = _int(query.get("first_air_date_year")) or _int(query.get("year"))
        found = self._show_index.search(query.get("query", ""), year, page)
        results = [show_result(self.shows[i]) for i in found.ids]
        return self._reply(_paged(found.page, results, found.total_pages, found.total_results))

    async def _movie(self, request: web.Request) -> web.Response:
        movie = self._movie_or_404(request)
        data = movie_details(movie)
        appended = _appended(request)
        if "alternative_titles" in appended:
            data["alternative_titles"] = {"titles": movie_alternative_titles(movie)}
        if "external_ids" in appended:
            data["external_ids"] = movie_external_ids(movie)
        if "translations" in appended:
            data["translations"] = {"translations": movie_translations(movie)}
        return self._reply(data)

    async def _movie_translations(self, request: web.Request) -> web.Response:
        movie = self._movie_or_404(request)
        return self._reply({"id": movie.tmdb_id, "translations": movie_translations(movie)})

    async def _movie_alt(self, request: web.Request) -> web.Response:
        movie = self._movie_or_404(request)
        return self._reply({"id": movie.tmdb_id, "titles": movie_alternative_titles(movie)})

    async def _movie_ids(self, request: web.Request) -> web.Response:
        movie = self._movie_or_404(request)
        return self._reply({"id": movie.tmdb_id, **movie_external_ids(movie)})

    async def _tv(self, request: web.Request) -> web.Response:
        show = self._show_or_404(request)
        data = show_details(show)
        appended = _appended(request)
        if "alternative_titles" in appended:
            data["alternative_titles"] = {"results": show_alternative_titles(show)}
        if "external_ids" in appended:
            data["external_ids"] = show_external_ids(show)
        if "translations" in appended:
            data["translations"] = {"translations": show_translations(show)}
        if "episode_groups" in appended:
            data["episode_groups"] = {"results": group_summaries(show)}
        return self._reply(data)

    async def _tv_translations(self, request: web.Request) -> web.Response:
        show = self._show_or_404(request)
        return self._reply({"id": show.tmdb_id, "translations": show_translations(show)})

    async def _tv_groups(self, request: web.Request) -> web.Response:
        show = self._show_or_404(request)
        return self._reply({"id": show.tmdb_id, "results": group_summaries(show)})

    async def _episode_group(self, request: web.Request) -> web.Response:
        found = find_group(self.shows, request.match_info["group"])
        if found is None:
            raise web.HTTPNotFound
        show, group, index = found

        def episode(season_number: int, number: int) -> dict[str, Any] | None:
            season = show.season(season_number)
            if season is None or not 1 <= number <= season.episode_count:
                return None
            return episode_json(show, season, number)

        return self._reply(group_details(show, group, index, episode))

    async def _tv_alt(self, request: web.Request) -> web.Response:
        show = self._show_or_404(request)
        return self._reply({"id": show.tmdb_id, "results": show_alternative_titles(show)})

    async def _tv_ids(self, request: web.Request) -> web.Response:
        show = self._show_or_404(request)
        return self._reply({"id": show.tmdb_id, **show_external_ids(show)})

    async def _season(self, request: web.Request) -> web.Response:
        show = self._show_or_404(request)
        season = show.season(int(request.match_info["season"]))
        if season is None:
            raise web.HTTPNotFound
        return self._reply(season_details(show, season))

    async def _find(self, request: web.Request) -> web.Response:
        external_id = request.match_info["external_id"]
        source = request.query.get("external_source")
        movies: list[CatalogueMovie] = []
        shows: list[CatalogueShow] = []
        if source == "imdb_id":
            movies = [m for m in self.movies.values() if m.imdb_id == external_id]
            shows = [s for s in self.shows.values() if s.imdb_id == external_id]
        elif source == "tvdb_id" and (tvdb_id := _int(external_id)) is not None:
            shows = [s for s in self.shows.values() if s.tvdb_id == tvdb_id]
        return self._reply(
            {
                "movie_results": [_with_media_type(movie_result(m), "movie") for m in movies],
                "person_results": [],
                "tv_results": [_with_media_type(show_result(s), "tv") for s in shows],
                "tv_episode_results": [],
                "tv_season_results": [],
            }
        )


# ---- JSON views: the keys and types of TMDb's own answers ---------------------------------------


def draw_poster(title: str, width: int) -> bytes:
    """A 2:3 JPEG poster in a colour taken from the title, with the title on it."""
    from PIL import Image, ImageDraw  # noqa: PLC0415  (only the image server needs Pillow)

    height = width * 3 // 2
    digest = hashlib.sha256(title.encode()).digest()
    image = Image.new("RGB", (width, height), (digest[0] // 2, digest[1] // 2, 64 + digest[2] // 2))
    draw = ImageDraw.Draw(image)
    draw.rectangle(
        (width // 12, height // 12, width * 11 // 12, height * 11 // 12), outline="white"
    )
    words, lines = title.split(), [""]
    for word in words:
        if len(lines[-1]) + len(word) > 14 and lines[-1]:
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    font_size = max(10, width // 12)
    for number, line in enumerate(lines):
        draw.text(
            (width // 8, height // 3 + number * font_size * 1.3),
            line,
            fill="white",
            font_size=font_size,
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def image_path(kind: str, tmdb_id: int) -> str:
    """A stable TMDb-style image path (27 letters and digits) for a poster or backdrop."""
    number = int.from_bytes(hashlib.sha256(f"{kind}/{tmdb_id}".encode()).digest()[:20])
    letters = []
    for _ in range(27):
        number, digit = divmod(number, len(_ALPHABET))
        letters.append(_ALPHABET[digit])
    return f"/{''.join(letters)}.jpg"


def _country(language: str) -> str:
    return COUNTRY_OF_LANGUAGE.get(language, "US")


def _genres(names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"id": GENRE_IDS[n], "name": n} for n in names if n in GENRE_IDS]


def _overrides(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The catalogue's extra TMDb fields (an `overview`, say) replace the emulator's defaults."""
    return base | {k: v for k, v in extra.items() if k in base}


def movie_result(movie: CatalogueMovie) -> dict[str, Any]:
    """A movie as a search result."""
    return _overrides(
        {
            "adult": False,
            "backdrop_path": image_path("backdrop/movie", movie.tmdb_id),
            "genre_ids": [g["id"] for g in _genres(movie.genres)],
            "id": movie.tmdb_id,
            "title": movie.title,
            "original_language": movie.original_language,
            "original_title": movie.original_title,
            "overview": "",
            "popularity": float(movie.popularity),
            "poster_path": image_path("poster/movie", movie.tmdb_id),
            "release_date": movie.release_date,
            "softcore": False,
            "video": False,
            "vote_average": float(movie.vote_average),
            "vote_count": movie.vote_count,
        },
        movie.extra,
    )


def show_result(show: CatalogueShow) -> dict[str, Any]:
    """A TV show as a search result."""
    return _overrides(
        {
            "adult": False,
            "backdrop_path": image_path("backdrop/tv", show.tmdb_id),
            "genre_ids": [g["id"] for g in _genres(show.genres)],
            "id": show.tmdb_id,
            "origin_country": [_country(show.original_language)],
            "original_language": show.original_language,
            "original_name": show.original_name,
            "overview": "",
            "popularity": float(show.popularity),
            "poster_path": image_path("poster/tv", show.tmdb_id),
            "first_air_date": show.first_air_date,
            "softcore": False,
            "name": show.name,
            "vote_average": float(show.vote_average),
            "vote_count": show.vote_count,
        },
        show.extra,
    )


def _with_media_type(result: dict[str, Any], media_type: str) -> dict[str, Any]:
    return {**result, "media_type": media_type}


def movie_details(movie: CatalogueMovie) -> dict[str, Any]:
    """GET /movie/{id} without appended parts."""
    return _overrides(
        {
            "adult": False,
            "backdrop_path": image_path("backdrop/movie", movie.tmdb_id),
            "belongs_to_collection": None,
            "budget": 0,
            "genres": _genres(movie.genres),
            "homepage": "",
            "id": movie.tmdb_id,
            "imdb_id": movie.imdb_id,
            "origin_country": [_country(movie.original_language)],
            "original_language": movie.original_language,
            "original_title": movie.original_title,
            "overview": "",
            "popularity": float(movie.popularity),
            "poster_path": image_path("poster/movie", movie.tmdb_id),
            "production_companies": [],
            "production_countries": [],
            "release_date": movie.release_date,
            "revenue": 0,
            "runtime": movie.runtime or 0,
            "softcore": False,
            "spoken_languages": [],
            "status": "Released",
            "tagline": "",
            "title": movie.title,
            "video": False,
            "vote_average": float(movie.vote_average),
            "vote_count": movie.vote_count,
        },
        movie.extra,
    )


def movie_alternative_titles(movie: CatalogueMovie) -> list[dict[str, Any]]:
    """The `titles` of /movie/{id}/alternative_titles."""
    country = _country(movie.original_language)
    return [{"iso_3166_1": country, "title": t, "type": ""} for t in movie.alternative_titles]


def movie_external_ids(movie: CatalogueMovie) -> dict[str, Any]:
    """/movie/{id}/external_ids without its `id`, as `append_to_response` gives it."""
    return {
        "imdb_id": movie.imdb_id,
        "wikidata_id": None,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }


def show_alternative_titles(show: CatalogueShow) -> list[dict[str, Any]]:
    """The `results` of /tv/{id}/alternative_titles (movies say `titles`, TV says `results`)."""
    country = _country(show.original_language)
    return [{"iso_3166_1": country, "title": t, "type": ""} for t in show.alternative_titles]


def show_external_ids(show: CatalogueShow) -> dict[str, Any]:
    """/tv/{id}/external_ids without its `id`, as `append_to_response` gives it."""
    return {
        "imdb_id": show.imdb_id,
        "freebase_mid": None,
        "freebase_id": None,
        "tvdb_id": show.tvdb_id,
        "tvrage_id": None,
        "wikidata_id": None,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }


def _season_air_date(show: CatalogueShow, season: CatalogueSeason) -> date | None:
    """The catalogue has no season dates: a season a year, from the first air date."""
    if not show.first_air_date:
        return None
    first = date.fromisoformat(show.first_air_date)
    offset = max(season.season_number - 1, 0)
    return first.replace(year=first.year + offset, day=min(first.day, 28))


def _episode_air_date(show: CatalogueShow, season: CatalogueSeason, number: int) -> str | None:
    start = _season_air_date(show, season)
    return (start + timedelta(weeks=number - 1)).isoformat() if start else None


def _runtime(show: CatalogueShow) -> int:
    return 25 if {"Comedy", "Animation"} & set(show.genres) else 50


def _season_id(show: CatalogueShow, season: CatalogueSeason) -> int:
    return show.tmdb_id * 1000 + season.season_number


def _season_name(season: CatalogueSeason) -> str:
    return "Specials" if season.season_number == 0 else f"Season {season.season_number}"


def episode_json(show: CatalogueShow, season: CatalogueSeason, number: int) -> dict[str, Any]:
    """An episode as /tv/{id}/season/{n} lists it (and as `last_episode_to_air`)."""
    return {
        "air_date": _episode_air_date(show, season, number),
        "episode_number": number,
        "episode_type": "finale" if number == season.episode_count else "standard",
        "id": _season_id(show, season) * 1000 + number,
        "name": season.episode_title(number),
        "overview": "",
        "production_code": "",
        "runtime": _runtime(show),
        "season_number": season.season_number,
        "show_id": show.tmdb_id,
        "still_path": image_path(f"still/{season.season_number}/{number}", show.tmdb_id),
        "vote_average": 0.0,
        "vote_count": 0,
    }


def season_details(show: CatalogueShow, season: CatalogueSeason) -> dict[str, Any]:
    """GET /tv/{id}/season/{n}."""
    start = _season_air_date(show, season)
    mongo_id = hashlib.sha256(f"season/{show.tmdb_id}/{season.season_number}".encode())
    return {
        "_id": mongo_id.hexdigest()[:24],
        "air_date": start.isoformat() if start else None,
        "episodes": [
            {**episode_json(show, season, n), "crew": [], "guest_stars": []}
            for n in range(1, season.episode_count + 1)
        ],
        "name": _season_name(season),
        "networks": [],
        "overview": "",
        "id": _season_id(show, season),
        "poster_path": image_path(f"poster/season/{season.season_number}", show.tmdb_id),
        "season_number": season.season_number,
        "vote_average": 0.0,
    }


def show_details(show: CatalogueShow) -> dict[str, Any]:
    """GET /tv/{id} without appended parts."""
    regular = [s for s in show.seasons if s.season_number > 0]
    aired = [s for s in show.seasons if s.episode_count > 0]
    last_season = max(aired, key=lambda s: s.season_number, default=None)
    last = episode_json(show, last_season, last_season.episode_count) if last_season else None
    country = _country(show.original_language)
    return _overrides(
        {
            "adult": False,
            "backdrop_path": image_path("backdrop/tv", show.tmdb_id),
            "created_by": [],
            "episode_run_time": [],
            "first_air_date": show.first_air_date,
            "genres": _genres(show.genres),
            "homepage": "",
            "id": show.tmdb_id,
            "in_production": False,
            "languages": [show.original_language],
            "last_air_date": last["air_date"] if last else None,
            "last_episode_to_air": last,
            "name": show.name,
            "next_episode_to_air": None,
            "networks": [],
            "number_of_episodes": sum(s.episode_count for s in regular),
            "number_of_seasons": len(regular),
            "origin_country": [country],
            "original_language": show.original_language,
            "original_name": show.original_name,
            "overview": "",
            "popularity": float(show.popularity),
            "poster_path": image_path("poster/tv", show.tmdb_id),
            "production_companies": [],
            "production_countries": [],
            "seasons": [
                {
                    "air_date": start.isoformat() if (start := _season_air_date(show, s)) else None,
                    "episode_count": s.episode_count,
                    "id": _season_id(show, s),
                    "name": _season_name(s),
                    "overview": "",
                    "poster_path": image_path(f"poster/season/{s.season_number}", show.tmdb_id),
                    "season_number": s.season_number,
                    "vote_average": 0.0,
                }
                for s in show.seasons
            ],
            "softcore": False,
            "spoken_languages": [],
            "status": "Ended",
            "tagline": "",
            "type": "Scripted",
            "vote_average": float(show.vote_average),
            "vote_count": show.vote_count,
        },
        show.extra,
    )


# ---- small helpers ----------------------------------------------------------------------------


def _error(status: int, retry_after: str = "1") -> web.Response:
    code, message = ERRORS.get(status, ERRORS[500])
    body = {"success": False, "status_code": code, "status_message": message}
    headers = {"Retry-After": retry_after} if status == 429 else None
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def _paged(page: int, results: list[dict[str, Any]], pages: int, total: int) -> dict[str, Any]:
    return {"page": page, "results": results, "total_pages": pages, "total_results": total}


def _appended(request: web.Request) -> set[str]:
    return {p.strip() for p in request.query.get("append_to_response", "").split(",")}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _page(value: str | None) -> int | None:
    """The page asked for (1 when none); None when TMDb would refuse it (400, code 22)."""
    page = 1 if value is None else _int(value)
    return page if page is not None and 1 <= page <= MAX_PAGE else None


async def _serve(args: argparse.Namespace) -> None:
    emulator = TMDbEmulator(
        Catalogue.load(args.catalog),
        api_key=args.api_key,
        bearer_token=args.bearer_token,
        rate_limit=args.rate_limit,
    )
    await serve_until_interrupted(
        emulator, args.host, args.port, lambda url: f"TMDb emulator listening on {url}"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the emulator until interrupted."""
    parser = arguments("python -m tests.emulators.tmdb", __doc__, port=0)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--bearer-token", help="a v4 read access token to accept as well")
    parser.add_argument("--catalog", default="demo", help='"demo" or a catalogue JSON file')
    parser.add_argument("--rate-limit", type=float, help="requests per second (default: none)")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
