"""A TMDb API v3 compatible stub server (stdlib only).

Follows ``/work/shared/tmdb-contract.md`` (copied into the repo docs by the lead).  The data come
from ``movies/fixtures/demo_catalogue.json`` plus three synthetic entries (ids 9_000_001+) that
exercise the awkward shapes (``release_date: ""``, ``genre_ids: []``, null image paths).
``--catalogue FILE`` serves another catalogue of the same shape and ``--no-synthetic`` leaves the
synthetic entries out (bench/recs_api_eval.py serves MovieLens that way). A movie's
recommendations are content-only: most shared genres first, then popularity.

API endpoints (GET, under ``/3``; auth via ``api_key`` query param or ``Authorization: Bearer``)::

    /configuration                    /genre/movie/list
    /trending/movie/{day|week}        /movie/popular            /movie/top_rated
    /movie/{id}[?append_to_response=credits,videos,recommendations,similar,...]
    /movie/{id}/recommendations       /movie/{id}/similar
    /movie/{id}/{credits|videos|images|keywords|release_dates|external_ids|watch/providers}
    /search/movie                     /discover/movie

Control endpoints (outside ``/3``, no auth)::

    POST   /__stub__/faults    {"status": 503, "count": 2, "delay": 0.0, "retry_after": 1,
                                "path_prefix": "/3/movie"}      -> add a fault rule
    GET    /__stub__/faults                                     -> list active rules
    DELETE /__stub__/faults                                     -> clear all rules
    GET    /__stub__/requests[?path_prefix=/3/movie]            -> {"count": N, "paths": [...]}
    DELETE /__stub__/requests                                   -> reset the request log (and the calls)
    GET    /__stub__/calls      -> {"calls": {call: N}, "in_flight": {call: N}, "peak_in_flight": {call: N}}
                                   per call (path + sorted query without api_key), since the last reset:
                                   how many, how many unanswered now, and the most at once
    GET    /__stub__/config / POST /__stub__/config {"page_error_style": "errors"|"code22",
                                                     "inflate_total_pages": int|null,
                                                     "fill_pages": bool}
    POST   /__stub__/reset                                      -> faults, log and config reset
    GET    /__stub__/health                                     -> {"ok": true}
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import hashlib
import json
import math
import re
import select
import signal
import socket
import sys
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_PATH = REPO_ROOT / "movies/fixtures/demo_catalogue.json"

API_PREFIX = "/3"
CONTROL_PREFIX = "/__stub__"
CONTENT_TYPE = "application/json;charset=utf-8"
PAGE_SIZE = 20
MAX_PAGE = 500
MAX_APPENDS = 20
REQUEST_LOG_SIZE = 200
PAGE_ERROR_STYLES = ("errors", "code22")
FILL_ID_STEP = 1_000_000  # --fill-pages: ids of the catalogue's n-th repetition are shifted by n steps

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_API_KEY = "stub-key"
DEFAULT_READ_TOKEN = "stub-token"  # noqa: S105 - public stub default, not a secret

# TMDb status codes -> (HTTP status, verbatim message); contract §5.
TMDB_ERRORS: dict[int, tuple[int, str]] = {
    2: (501, "Invalid service: this service does not exist."),
    3: (401, "Authentication failed: You do not have permissions to access the service."),
    4: (405, "Invalid format: This service doesn't exist in that format."),
    5: (422, "Invalid parameters: Your request parameters are incorrect."),
    6: (404, "Invalid id: The pre-requisite id is invalid or not found."),
    7: (401, "Invalid API key: You must be granted a valid key."),
    9: (503, "Service offline: This service is temporarily offline, try again later."),
    10: (401, "Suspended API key: Access to your account has been suspended, contact TMDB."),
    11: (500, "Internal error: Something went wrong, contact TMDB."),
    18: (400, "Validation failed."),
    19: (406, "Invalid accept header."),
    20: (422, "Invalid date range: Should be a range no longer than 14 days."),
    22: (400, "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer."),
    23: (400, "Invalid date: Format needs to be YYYY-MM-DD."),
    24: (504, "Your request to the backend server timed out. Try again."),
    25: (429, "Your request count (41) is over the allowed limit of 40."),
    27: (400, "Too many append to response objects: The maximum number of remote calls is 20."),
    34: (404, "The resource you requested could not be found."),
    35: (401, "Invalid token."),
    43: (502, "Couldn't connect to the backend server."),
    44: (500, "The ID is invalid."),
    46: (503, "The API is undergoing maintenance. Try again later."),
    47: (400, "The input is not valid."),
}
# Which TMDb code an injected HTTP status answers with.
DEFAULT_CODE_FOR_STATUS = {
    400: 47,
    401: 7,
    404: 34,
    405: 4,
    406: 19,
    422: 5,
    429: 25,
    500: 11,
    501: 2,
    502: 43,
    503: 9,
    504: 24,
}

CONFIGURATION = {
    "images": {
        "base_url": "http://image.tmdb.org/t/p/",
        "secure_base_url": "https://image.tmdb.org/t/p/",
        "backdrop_sizes": ["w300", "w780", "w1280", "original"],
        "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
        "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
        "profile_sizes": ["w45", "w185", "h632", "original"],
        "still_sizes": ["w92", "w185", "w300", "original"],
    },
    "change_keys": [
        "adult",
        "air_date",
        "also_known_as",
        "alternative_titles",
        "biography",
        "birthday",
        "budget",
        "cast",
        "certifications",
        "character_names",
        "created_by",
        "crew",
        "deathday",
        "episode",
        "episode_number",
        "episode_run_time",
        "freebase_id",
        "freebase_mid",
        "general",
        "genres",
        "guest_stars",
        "homepage",
        "images",
        "imdb_id",
        "languages",
        "name",
        "network",
        "origin_country",
        "original_name",
        "original_title",
        "overview",
        "parts",
        "place_of_birth",
        "plot_keywords",
        "production_code",
        "production_companies",
        "production_countries",
        "releases",
        "revenue",
        "runtime",
        "season",
        "season_number",
        "season_regular",
        "spoken_languages",
        "status",
        "tagline",
        "title",
        "translations",
        "tvdb_id",
        "tvrage_id",
        "type",
        "video",
        "videos",
    ],
}

# Synthetic entries: unknown date, no genres, missing images, odd runtimes / statuses.
# 9000001 is popular enough to land on page 1 of popular and trending/day.
SYNTHETIC_MOVIES: list[dict[str, Any]] = [
    {
        "id": 9000001,
        "title": "Untitled Lighthouse Project",
        "original_title": "Untitled Lighthouse Project",
        "original_language": "en",
        "release_date": "",
        "genre_ids": [],
        "vote_average": 0.0,
        "vote_count": 0,
        "popularity": 99.9,
        "runtime": 0,
        "imdb_id": None,
        "_status": "Post Production",
        "_homepage": "",
        "_images": (False, False),
        "_videos": True,
    },
    {
        "id": 9000002,
        "title": "Off-Peak Hours",
        "original_title": "Les Heures creuses",
        "original_language": "fr",
        "release_date": "",
        "genre_ids": [],
        "vote_average": 0.0,
        "vote_count": 0,
        "popularity": 3.214,
        "runtime": None,
        "imdb_id": None,
        "_status": "Rumored",
        "_homepage": None,
        "_images": (True, False),
        "_videos": False,
    },
    {
        "id": 9000003,
        "title": "Static Bloom",
        "original_title": "Static Bloom",
        "original_language": "en",
        "release_date": "",
        "genre_ids": [18, 878],
        "vote_average": 6.0,
        "vote_count": 4,
        "popularity": 1.407,
        "runtime": 0,
        "imdb_id": None,
        "_status": "In Production",
        "_homepage": "",
        "_images": (True, True),
        "_videos": True,
    },
]

# Real TMDb collection ids; poster/backdrop paths are fake.
_COLLECTIONS = {
    10: ("Star Wars Collection", (11, 1891, 1892)),
    119: ("The Lord of the Rings Collection", (120, 121, 122)),
    230: ("The Godfather Collection", (238, 240)),
    263: ("The Dark Knight Collection", (272, 155, 49026)),
    264: ("Back to the Future Collection", (105,)),
    1241: ("Harry Potter Collection", (671, 672, 673)),
    2344: ("The Matrix Collection", (603, 604)),
    10194: ("Toy Story Collection", (862, 10193)),
}
COLLECTION_BY_MOVIE = {
    movie_id: {
        "id": cid,
        "name": name,
        "poster_path": f"/c{cid}p.jpg",
        "backdrop_path": None if cid % 2 else f"/c{cid}b.jpg",
    }
    for cid, (name, movie_ids) in _COLLECTIONS.items()
    for movie_id in movie_ids
}

# original_language -> (english_name, native name, origin country)
LANGUAGES = {
    "en": ("English", "English", "US"),
    "ja": ("Japanese", "日本語", "JP"),
    "ko": ("Korean", "한국어/조선말", "KR"),
    "fr": ("French", "Français", "FR"),
    "it": ("Italian", "Italiano", "IT"),
    "de": ("German", "Deutsch", "DE"),
    "es": ("Spanish", "Español", "ES"),
    "pt": ("Portuguese", "Português", "BR"),
    "zh": ("Mandarin", "普通话", "TW"),
    "hi": ("Hindi", "हिन्दी", "IN"),
    "te": ("Telugu", "తెలుగు", "IN"),
    "ru": ("Russian", "Русский", "SU"),
    "sv": ("Swedish", "svenska", "SE"),
}
COUNTRY_OVERRIDES = {55: "MX", 426426: "MX", 1417: "MX"}
COUNTRY_NAMES = {
    "US": "United States of America",
    "GB": "United Kingdom",
    "JP": "Japan",
    "KR": "South Korea",
    "FR": "France",
    "IT": "Italy",
    "DE": "Germany",
    "ES": "Spain",
    "MX": "Mexico",
    "BR": "Brazil",
    "TW": "Taiwan",
    "IN": "India",
    "SU": "Soviet Union",
    "SE": "Sweden",
}


def tmdb_error(code: int, message: str | None = None) -> tuple[int, dict[str, Any]]:
    http_status, default_message = TMDB_ERRORS.get(code, (500, TMDB_ERRORS[11][1]))
    body = {"status_code": code, "status_message": message or default_message, "success": False}
    return http_status, body


def _hex24(*parts: Any) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()[:24]


def _video_key(movie_id: int) -> str:
    digest = hashlib.sha1(f"trailer:{movie_id}".encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode()[:11]


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return None


def _float_or_none(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        result = float(value.strip())
    except (ValueError, AttributeError):
        return None
    return result if math.isfinite(result) else None


def _date_or_none(value: str | None) -> str | None:
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    return None


class PageError(Exception):
    """Raised for an invalid ``page`` parameter."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind  # "low", "high" or "type"


class Catalogue:
    """Read-only movie data shared by all servers in the process."""

    def __init__(self, path: Path, *, synthetic: bool = True):
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        self.genres: list[dict[str, Any]] = [{"id": int(g["id"]), "name": str(g["name"])} for g in raw["genres"]]
        self.genre_names = {g["id"]: g["name"] for g in self.genres}
        self.records: dict[int, dict[str, Any]] = {}
        self.items: list[dict[str, Any]] = []  # MovieListItem, catalogue order
        for index, movie in enumerate(raw["movies"]):
            no_images = index % 10 == 9
            self._add(dict(movie), has_poster=not no_images, has_backdrop=not no_images)
        for movie in SYNTHETIC_MOVIES if synthetic else ():
            has_poster, has_backdrop = movie["_images"]
            self._add(dict(movie), has_poster=has_poster, has_backdrop=has_backdrop)

        def by(key, items=None):
            base = sorted(self.items if items is None else items, key=lambda it: it["id"])
            return sorted(base, key=key, reverse=True)  # stable: ties stay in id order

        self.popular = by(lambda it: it["popularity"])
        self.top_rated = by(
            lambda it: (it["vote_average"], it["vote_count"]),
            [it for it in self.items if it["vote_count"] >= 100],
        )
        self.trending_day = self.popular
        self.trending_week = by(
            lambda it: round(it["vote_average"] * math.log10(it["vote_count"] + 10) + it["popularity"] / 25, 6)
        )

    def _add(self, movie: dict[str, Any], *, has_poster: bool, has_backdrop: bool) -> None:
        movie_id = int(movie["id"])
        if movie_id in self.records:
            raise ValueError(f"duplicate movie id {movie_id} in catalogue")
        item = {
            "adult": False,
            "backdrop_path": f"/{movie_id}b.jpg" if has_backdrop else None,
            "genre_ids": [int(g) for g in movie.get("genre_ids") or []],
            "id": movie_id,
            "original_language": movie.get("original_language") or "en",
            "original_title": movie.get("original_title") or movie["title"],
            "overview": f"Demo entry for {movie['title']}.",
            "popularity": float(movie.get("popularity") or 0.0),
            "poster_path": f"/{movie_id}p.jpg" if has_poster else None,
            "release_date": movie.get("release_date") or "",
            "title": movie["title"],
            "video": False,
            "vote_average": float(movie.get("vote_average") or 0.0),
            "vote_count": int(movie.get("vote_count") or 0),
        }
        self.items.append(item)
        self.records[movie_id] = {"item": item, "movie": movie}

    # -- derived data --------------------------------------------------------------------
    def get(self, movie_id: int) -> dict[str, Any] | None:
        return self.records.get(movie_id)

    @staticmethod
    def budget(record: dict[str, Any]) -> int:
        item = record["item"]
        if item["id"] >= 9_000_000 or item["release_date"][:4] < "1960":
            return 0
        return ((item["id"] * 7919) % 180 + 5) * 1_000_000

    def revenue(self, record: dict[str, Any]) -> int:
        budget = self.budget(record)
        return budget * (1 + record["item"]["id"] % 7) + (record["item"]["id"] % 997) * 1000 if budget else 0

    def related(self, movie_id: int, kind: str) -> list[dict[str, Any]]:
        """Movies sharing at least one genre (recommendations / similar)."""
        record = self.records[movie_id]
        genres = set(record["item"]["genre_ids"])
        if not genres:
            return []
        scored = [
            (len(genres & set(it["genre_ids"])), it)
            for it in self.items
            if it["id"] != movie_id and genres & set(it["genre_ids"])
        ]
        if kind == "recommendations":
            scored.sort(key=lambda pair: (-pair[0], -pair[1]["popularity"], pair[1]["id"]))
        else:
            scored.sort(key=lambda pair: (-pair[0], -pair[1]["vote_count"], pair[1]["id"]))
        return [it for _, it in scored]

    def details(self, record: dict[str, Any]) -> dict[str, Any]:
        item, movie = record["item"], record["movie"]
        lang = item["original_language"]
        english_name, native_name, country = LANGUAGES.get(lang, (lang, lang, "US"))
        country = COUNTRY_OVERRIDES.get(item["id"], country)
        return {
            "adult": False,
            "backdrop_path": item["backdrop_path"],
            "belongs_to_collection": COLLECTION_BY_MOVIE.get(item["id"]),
            "budget": self.budget(record),
            "genres": [{"id": g, "name": self.genre_names.get(g, str(g))} for g in item["genre_ids"]],
            "homepage": movie.get("_homepage", ""),
            "id": item["id"],
            "imdb_id": movie.get("imdb_id"),
            "origin_country": [country],
            "original_language": lang,
            "original_title": item["original_title"],
            "overview": item["overview"],
            "popularity": item["popularity"],
            "poster_path": item["poster_path"],
            "production_companies": [],
            "production_countries": [{"iso_3166_1": country, "name": COUNTRY_NAMES.get(country, country)}],
            "release_date": item["release_date"],
            "revenue": self.revenue(record),
            "runtime": movie.get("runtime"),
            "spoken_languages": [{"english_name": english_name, "iso_639_1": lang, "name": native_name}],
            "status": movie.get("_status", "Released"),
            "tagline": "",
            "title": item["title"],
            "video": False,
            "vote_average": item["vote_average"],
            "vote_count": item["vote_count"],
        }

    @staticmethod
    def credits(record: dict[str, Any]) -> dict[str, Any]:
        movie_id = record["item"]["id"]
        cast = []
        for order in range(3):
            person_id = 10_000_000 + movie_id * 10 + order
            name = f"Demo Performer {movie_id}-{order + 1}"
            cast.append(
                {
                    "adult": False,
                    "gender": (2, 1, 0)[order],
                    "id": person_id,
                    "known_for_department": "Acting",
                    "name": name,
                    "original_name": name,
                    "popularity": round(12.5 - order * 3.1, 3),
                    "profile_path": f"/{person_id}f.jpg" if order == 0 else None,
                    "cast_id": order + 1,
                    "character": f"Character {order + 1}",
                    "credit_id": _hex24(movie_id, "cast", order),
                    "order": order,
                }
            )
        director_id = 10_000_000 + movie_id * 10 + 9
        director = f"Demo Director {movie_id}"
        crew = [
            {
                "adult": False,
                "gender": 2,
                "id": director_id,
                "known_for_department": "Directing",
                "name": director,
                "original_name": director,
                "popularity": 4.2,
                "profile_path": None,
                "credit_id": _hex24(movie_id, "crew", "director"),
                "department": "Directing",
                "job": "Director",
            }
        ]
        return {"cast": cast, "crew": crew}

    @staticmethod
    def videos(record: dict[str, Any]) -> dict[str, Any]:
        item, movie = record["item"], record["movie"]
        if not movie.get("_videos", True):
            return {"results": []}
        published = item["release_date"] or "2024-01-01"
        return {
            "results": [
                {
                    "iso_639_1": "en",
                    "iso_3166_1": "US",
                    "name": "Official Trailer",
                    "key": _video_key(item["id"]),
                    "site": "YouTube",
                    "size": 1080,
                    "type": "Trailer",
                    "official": True,
                    "published_at": f"{published}T16:00:00.000Z",
                    "id": _hex24(item["id"], "video"),
                }
            ]
        }

    @staticmethod
    def images(record: dict[str, Any]) -> dict[str, Any]:
        item = record["item"]

        def image(path, width, height):
            return {
                "aspect_ratio": round(width / height, 3),
                "height": height,
                "iso_639_1": None if width > height else "en",
                "file_path": path,
                "vote_average": 5.3,
                "vote_count": 2,
                "width": width,
            }

        return {
            "backdrops": [image(item["backdrop_path"], 1920, 1080)] if item["backdrop_path"] else [],
            "logos": [],
            "posters": [image(item["poster_path"], 1000, 1500)] if item["poster_path"] else [],
        }

    @staticmethod
    def release_dates(record: dict[str, Any]) -> dict[str, Any]:
        item = record["item"]
        if not item["release_date"]:
            return {"results": []}
        return {
            "results": [
                {
                    "iso_3166_1": "US",
                    "release_dates": [
                        {
                            "certification": "",
                            "descriptors": [],
                            "iso_639_1": "",
                            "note": "",
                            "release_date": f"{item['release_date']}T00:00:00.000Z",
                            "type": 3,
                        }
                    ],
                }
            ]
        }

    @staticmethod
    def external_ids(record: dict[str, Any]) -> dict[str, Any]:
        return {
            "imdb_id": record["movie"].get("imdb_id"),
            "wikidata_id": None,
            "facebook_id": None,
            "instagram_id": None,
            "twitter_id": None,
        }


@functools.lru_cache(maxsize=8)
def load_catalogue(path: str | None = None, *, synthetic: bool = True) -> Catalogue:
    """The catalogue file (default: the demo's), plus the synthetic awkward entries unless told not to."""
    return Catalogue(Path(path) if path else CATALOGUE_PATH, synthetic=synthetic)


def normalise_prefix(prefix: str | None) -> str:
    """``None``/"" -> "/3"; "/movie" -> "/3/movie"; "/3/movie" unchanged."""
    if not prefix:
        return API_PREFIX
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    if prefix == API_PREFIX or prefix.startswith(API_PREFIX + "/"):
        return prefix
    return API_PREFIX + prefix


@dataclass
class Fault:
    status: int | None = None
    count: int | None = 1  # None = until cleared
    delay: float = 0.0
    retry_after: float | None = None
    path_prefix: str = API_PREFIX
    status_code: int | None = None  # TMDb code override (e.g. 46 for a 503)
    status_message: str | None = None
    body: Any = None  # raw JSON body override

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        if not isinstance(data, dict):
            raise ValueError("fault must be a JSON object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault field(s): {sorted(unknown)}")
        status = data.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599):
            raise ValueError("status must be an integer HTTP error status (400-599)")
        count = data.get("count", 1)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer or null (= until cleared)")
        delay = data.get("delay") or 0.0
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError("delay must be a non-negative number of seconds")
        retry_after = data.get("retry_after")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)) or retry_after < 0
        ):
            raise ValueError("retry_after must be a non-negative number of seconds")
        if status is None and not delay:
            raise ValueError("a fault needs a status, a delay, or both")
        status_code = data.get("status_code")
        if status_code is not None and (isinstance(status_code, bool) or not isinstance(status_code, int)):
            raise ValueError("status_code must be an integer TMDb code")
        status_message = data.get("status_message")
        if status_message is not None and not isinstance(status_message, str):
            raise ValueError("status_message must be a string")
        path_prefix = data.get("path_prefix")
        if path_prefix is not None and not isinstance(path_prefix, str):
            raise ValueError("path_prefix must be a string")
        return cls(
            status=status,
            count=count,
            delay=float(delay),
            retry_after=retry_after,
            path_prefix=normalise_prefix(path_prefix),
            status_code=status_code,
            status_message=status_message,
            body=data.get("body"),
        )

    def response(self) -> tuple[int, Any, dict[str, str]]:
        assert self.status is not None
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            value = self.retry_after
            headers["Retry-After"] = str(int(value)) if float(value).is_integer() else str(value)
        if self.body is not None:
            return self.status, self.body, headers
        code = self.status_code
        if code is None:
            code = DEFAULT_CODE_FOR_STATUS.get(self.status, 47 if self.status < 500 else 11)
        message = self.status_message or TMDB_ERRORS.get(code, TMDB_ERRORS[11])[1]
        return self.status, {"status_code": code, "status_message": message, "success": False}, headers


class StubState:
    """Mutable, lock-protected state shared by the handler threads."""

    def __init__(
        self,
        *,
        api_key: str,
        read_token: str,
        catalogue: Catalogue,
        verbose: bool = False,
        page_error_style: str = "errors",
        inflate_total_pages: int | None = None,
        fill_pages: bool = False,
    ):
        if page_error_style not in PAGE_ERROR_STYLES:
            raise ValueError(f"page_error_style must be one of {PAGE_ERROR_STYLES}")
        self.api_key = api_key
        self.read_token = read_token
        self.catalogue = catalogue
        self.verbose = verbose
        self.lock = threading.Lock()
        self._default_config = {
            "page_error_style": page_error_style, "inflate_total_pages": inflate_total_pages, "fill_pages": fill_pages,
        }
        self.config = dict(self._default_config)
        self.faults: list[Fault] = []
        self.total_requests = 0
        self.path_counts: Counter[str] = Counter()
        self.recent_paths: deque[str] = deque(maxlen=REQUEST_LOG_SIZE)
        self.call_counts: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()

    # request log
    def record(self, path: str) -> None:
        with self.lock:
            self.total_requests += 1
            self.path_counts[path] += 1
            self.recent_paths.append(path)

    def request_count(self, path_prefix: str | None = None) -> int:
        with self.lock:
            if path_prefix is None:
                return self.total_requests
            prefix = normalise_prefix(path_prefix)
            return sum(n for p, n in self.path_counts.items() if p.startswith(prefix))

    def request_paths(self) -> list[str]:
        with self.lock:
            return list(self.recent_paths)

    # calls in flight: one "call" is a path with its query minus the credentials
    def call_started(self, call: str) -> None:
        with self.lock:
            self.call_counts[call] += 1
            self.in_flight[call] += 1
            self.peak_in_flight[call] = max(self.peak_in_flight[call], self.in_flight[call])

    def call_ended(self, call: str) -> None:
        with self.lock:
            self.in_flight[call] -= 1
            if self.in_flight[call] <= 0:
                del self.in_flight[call]

    def calls(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return {
                "calls": dict(self.call_counts),
                "in_flight": dict(self.in_flight),
                "peak_in_flight": dict(self.peak_in_flight),
            }

    def reset_requests(self) -> None:
        with self.lock:
            self.total_requests = 0
            self.path_counts.clear()
            self.recent_paths.clear()
            self.call_counts.clear()
            # Calls still in flight stay counted, so their end cannot go negative; the peak restarts
            # from them.
            self.peak_in_flight = Counter(self.in_flight)

    # faults
    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def list_faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(f) for f in self.faults]

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.path_prefix):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    # config
    def configure(self, **changes: Any) -> dict[str, Any]:
        style = changes.get("page_error_style", self.config["page_error_style"])
        if style not in PAGE_ERROR_STYLES:
            raise ValueError(f"page_error_style must be one of {PAGE_ERROR_STYLES}")
        inflate = changes.get("inflate_total_pages", self.config["inflate_total_pages"])
        if inflate is not None and (isinstance(inflate, bool) or not isinstance(inflate, int) or inflate < 1):
            raise ValueError("inflate_total_pages must be a positive integer or null")
        fill = changes.get("fill_pages", self.config["fill_pages"])
        if not isinstance(fill, bool):
            raise ValueError("fill_pages must be a boolean")
        unknown = set(changes) - set(self.config)
        if unknown:
            raise ValueError(f"unknown config key(s): {sorted(unknown)}")
        with self.lock:
            self.config.update(page_error_style=style, inflate_total_pages=inflate, fill_pages=fill)
            return dict(self.config)

    def reset(self) -> None:
        self.clear_faults()
        self.reset_requests()
        with self.lock:
            self.config = dict(self._default_config)


class _ClientGone(Exception):
    """The client closed its connection while a delay fault held the answer."""


class _Response(Exception):
    """Short-circuits handling with a ready response."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def _not_found() -> _Response:
    return _Response(*tmdb_error(34))


_SECRET_PARAM = re.compile(r"(api_key=)[^&\s\"]*", re.IGNORECASE)


class StubRequestHandler(BaseHTTPRequestHandler):
    server_version = "tmdb-stub/1.0"
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections are dropped after this many seconds
    # The headers and the body go out in two writes. With Nagle's algorithm on, the body waits for
    # the ACK of the headers, which a client on a reused connection delays (~40 ms): every
    # keep-alive request stalled that long. TCP_NODELAY sends each write at once.
    disable_nagle_algorithm = True

    @property
    def state(self) -> StubState:
        return self.server.state  # type: ignore[attr-defined]

    def version_string(self) -> str:
        return self.server_version

    # -- logging -------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        if not self.state.verbose:
            return
        message = format % args
        message = _SECRET_PARAM.sub(r"\1***", message)
        for secret in (self.state.api_key, self.state.read_token):
            if secret:
                message = message.replace(secret, "***")
        sys.stderr.write(f"tmdb-stub {self.address_string()} - {message}\n")

    # -- plumbing ------------------------------------------------------------------------
    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _read_body(self) -> bytes:
        length = _int_or_none(self.headers.get("Content-Length")) or 0
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        try:
            body = self._read_body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else b""
            split = urlsplit(self.path)
            path = split.path or "/"
            if len(path) > 1:
                path = path.rstrip("/") or "/"
            params = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
                status, payload, headers = self._control(path, params, body)
            else:
                query = urlencode(sorted((k, v) for k, v in params.items() if k != "api_key"))
                call = f"{path}?{query}" if query else path
                self.state.call_started(call)
                try:
                    status, payload, headers = self._api(path, params)
                finally:
                    self.state.call_ended(call)
        except _Response as response:
            status, payload, headers = response.status, response.body, response.headers
        except _ClientGone:
            self.close_connection = True
            return
        except Exception:  # pragma: no cover - defensive; never leave a client hanging
            if self.state.verbose:
                traceback.print_exc()
            status, payload = tmdb_error(11)
            headers = {}
        try:
            self._send_json(status, payload, headers)
        except (BrokenPipeError, ConnectionResetError):  # client went away (e.g. timeout test)
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    # -- control API ---------------------------------------------------------------------
    def _control(self, path: str, params: dict[str, str], raw: bytes):
        state, method = self.state, self.command
        sub = path[len(CONTROL_PREFIX) :] or "/"

        def parse_json() -> Any:
            if not raw.strip():
                return {}
            try:
                return json.loads(raw)
            except ValueError as exc:
                raise _Response(400, {"ok": False, "error": f"invalid JSON body: {exc}"}) from None

        try:
            if sub == "/faults":
                if method == "POST":
                    state.add_fault(Fault.from_dict(parse_json()))
                    return 200, {"ok": True, "faults": state.list_faults()}, {}
                if method == "DELETE":
                    state.clear_faults()
                    return 200, {"ok": True, "faults": []}, {}
                if method in ("GET", "HEAD"):
                    return 200, {"faults": state.list_faults()}, {}
            elif sub == "/requests":
                if method == "DELETE":
                    state.reset_requests()
                    return 200, {"ok": True, "count": 0, "paths": []}, {}
                if method in ("GET", "HEAD"):
                    prefix = params.get("path_prefix") or None
                    return 200, {"count": state.request_count(prefix), "paths": state.request_paths()}, {}
            elif sub == "/calls" and method in ("GET", "HEAD"):
                return 200, state.calls(), {}
            elif sub == "/config":
                if method in ("POST", "PUT", "PATCH"):
                    data = parse_json()
                    if not isinstance(data, dict):
                        raise ValueError("config must be a JSON object")
                    return 200, {"ok": True, **state.configure(**data)}, {}
                if method in ("GET", "HEAD"):
                    with state.lock:
                        return 200, dict(state.config), {}
            elif sub == "/reset" and method in ("POST", "DELETE"):
                state.reset()
                return 200, {"ok": True}, {}
            elif sub == "/health" and method in ("GET", "HEAD"):
                return 200, {"ok": True}, {}
            else:
                return 404, {"ok": False, "error": f"unknown control endpoint {path}"}, {}
        except ValueError as exc:
            return 400, {"ok": False, "error": str(exc)}, {}
        return 405, {"ok": False, "error": f"{method} not allowed on {path}"}, {}

    def _delay(self, seconds: float) -> None:
        """Hold the answer `seconds`, like a hung TMDb; raises _ClientGone as soon as the client hangs
        up (its timeout), so a call counts as in flight only while a client still waits for it."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.05))
            if not readable:
                continue
            try:
                gone = self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                gone = True
            if gone:
                raise _ClientGone()
            time.sleep(max(0.0, deadline - time.monotonic()))  # a pipelined request: just wait

    # -- TMDb API ------------------------------------------------------------------------
    def _authorised(self, params: dict[str, str]) -> bool:
        state = self.state
        if "api_key" in params and params["api_key"] == state.api_key:
            return True
        scheme, _, token = (self.headers.get("Authorization") or "").strip().partition(" ")
        return scheme.lower() == "bearer" and token.strip() == state.read_token

    def _api(self, path: str, params: dict[str, str]):
        state = self.state
        state.record(path)
        fault = state.take_fault(path)
        if fault is not None:
            if fault.delay:
                self._delay(fault.delay)
            if fault.status is not None:
                return fault.response()
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            raise _not_found()
        if not self._authorised(params):
            raise _Response(*tmdb_error(7))
        if self.command not in ("GET", "HEAD"):
            raise _not_found()
        segments = [s for s in path[len(API_PREFIX) :].split("/") if s]
        status, body = self._route(segments, params)
        return status, body, {}

    def _page(self, params: dict[str, str]) -> int:
        raw = params.get("page")
        if raw is None:
            return 1
        try:
            page = int(raw.strip())
        except ValueError:
            raise PageError("type") from None
        if page < 1:
            raise PageError("low")
        if page > MAX_PAGE:
            raise PageError("high")
        return page

    def _page_error(self, exc: PageError) -> _Response:
        with self.state.lock:
            style = self.state.config["page_error_style"]
        if exc.kind == "type" or style == "code22":
            return _Response(*tmdb_error(22))
        if exc.kind == "low":
            return _Response(422, {"errors": ["page must be greater than 0"]})
        return _Response(422, {"errors": ["page must be less than or equal to 500"]})

    def _envelope(
        self,
        items: list[dict[str, Any]],
        params: dict[str, str],
        *,
        media_type: bool = False,
        inflatable: bool = False,
        page: int | None = None,
    ) -> dict[str, Any]:
        if page is None:
            try:
                page = self._page(params)
            except PageError as exc:
                raise self._page_error(exc) from None
        total_results = len(items)
        total_pages = max(1, math.ceil(total_results / PAGE_SIZE))
        fill = False
        if inflatable:
            with self.state.lock:
                inflate = self.state.config["inflate_total_pages"]
                fill = self.state.config["fill_pages"]
            if inflate and inflate > total_pages:
                total_pages = inflate
                total_results = max(total_results, inflate * PAGE_SIZE - 7)
        start = (page - 1) * PAGE_SIZE
        chunk = items[start : start + PAGE_SIZE]
        if fill and items and not chunk and page <= total_pages:
            # Pages the inflated total promises, filled with the catalogue again under new ids
            # (FILL_ID_STEP apart per round), so every page costs what a real page of new movies does.
            chunk = [
                dict(items[n % len(items)], id=items[n % len(items)]["id"] + FILL_ID_STEP * (n // len(items)))
                for n in range(start, start + PAGE_SIZE)
            ]
        results = [dict(it, media_type="movie") if media_type else dict(it) for it in chunk]
        return {"page": page, "results": results, "total_pages": total_pages, "total_results": total_results}

    def _route(self, seg: list[str], params: dict[str, str]) -> tuple[int, Any]:
        cat = self.state.catalogue
        if seg == ["configuration"]:
            return 200, CONFIGURATION
        if seg == ["genre", "movie", "list"]:
            return 200, {"genres": cat.genres}
        if len(seg) == 3 and seg[:2] == ["trending", "movie"]:
            if seg[2] == "day":
                return 200, self._envelope(cat.trending_day, params, media_type=True, inflatable=True)
            if seg[2] == "week":
                return 200, self._envelope(cat.trending_week, params, media_type=True, inflatable=True)
            raise _not_found()
        if seg == ["movie", "popular"]:
            return 200, self._envelope(cat.popular, params, inflatable=True)
        if seg == ["movie", "top_rated"]:
            return 200, self._envelope(cat.top_rated, params, inflatable=True)
        if seg == ["search", "movie"]:
            return 200, self._search(params)
        if seg == ["discover", "movie"]:
            return 200, self._discover(params)
        if len(seg) >= 2 and seg[0] == "movie":
            return 200, self._movie(seg[1], seg[2:], params)
        raise _not_found()

    def _record_for(self, raw_id: str) -> dict[str, Any]:
        if not re.fullmatch(r"\d{1,10}", raw_id):
            raise _not_found()
        record = self.state.catalogue.get(int(raw_id))
        if record is None:
            raise _not_found()
        return record

    def _movie(self, raw_id: str, rest: list[str], params: dict[str, str]) -> Any:
        cat = self.state.catalogue
        record = self._record_for(raw_id)
        movie_id = record["item"]["id"]
        if not rest:
            body = cat.details(record)
            appends: list[str] = []
            for name in (params.get("append_to_response") or "").split(","):
                name = name.strip()
                if name and name not in appends:
                    appends.append(name)
            if len(appends) > MAX_APPENDS:
                raise _Response(*tmdb_error(27))
            for name in appends:
                value = self._sub_resource(record, name, params, appended=True)
                if value is not None:
                    body[name] = value
            return body
        name = "/".join(rest)
        value = self._sub_resource(record, name, params, appended=False)
        if value is None:
            raise _not_found()
        if name in ("recommendations", "similar"):
            return value
        return {"id": movie_id, **value}

    def _sub_resource(self, record, name: str, params: dict[str, str], *, appended: bool):
        cat = self.state.catalogue
        movie_id = record["item"]["id"]
        if name in ("recommendations", "similar"):
            items = cat.related(movie_id, name)
            return self._envelope(items, params, media_type=name == "recommendations", page=1 if appended else None)
        if name == "credits":
            return cat.credits(record)
        if name == "videos":
            return cat.videos(record)
        if name == "images":
            return cat.images(record)
        if name == "keywords":
            return {"keywords": []}
        if name == "release_dates":
            return cat.release_dates(record)
        if name == "external_ids":
            return cat.external_ids(record)
        if name == "watch/providers":
            return {"results": {}}
        return None  # unknown appends are ignored, unknown sub-paths are 404

    def _search(self, params: dict[str, str]) -> dict[str, Any]:
        query = (params.get("query") or "").strip()
        if not query:
            raise _Response(422, {"errors": ["query must be provided"]})
        try:
            page = self._page(params)
        except PageError as exc:
            raise self._page_error(exc) from None
        needle = query.casefold()
        hits = [
            it
            for it in self.state.catalogue.popular
            if needle in it["title"].casefold() or needle in it["original_title"].casefold()
        ]
        for key in ("year", "primary_release_year"):
            year = _int_or_none(params.get(key))
            if year is not None:
                hits = [it for it in hits if it["release_date"][:4] == f"{year:04d}"]
        return self._envelope(hits, params, page=page)

    def _discover(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            page = self._page(params)
        except PageError as exc:
            raise self._page_error(exc) from None
        cat = self.state.catalogue
        items = list(cat.items)

        with_genres = params.get("with_genres")
        if with_genres:
            groups = []
            for group in with_genres.split(","):
                ids = {i for i in (_int_or_none(t) for t in group.split("|")) if i is not None}
                if ids:
                    groups.append(ids)
            items = [it for it in items if all(set(it["genre_ids"]) & group for group in groups)]
        without = params.get("without_genres")
        if without:
            banned = {i for i in (_int_or_none(t) for t in re.split(r"[,|]", without)) if i is not None}
            items = [it for it in items if not set(it["genre_ids"]) & banned]

        for key in ("primary_release_year", "year"):
            year = _int_or_none(params.get(key))
            if year is not None:
                items = [it for it in items if it["release_date"][:4] == f"{year:04d}"]
        for prefix in ("primary_release_date", "release_date"):
            gte, lte = _date_or_none(params.get(f"{prefix}.gte")), _date_or_none(params.get(f"{prefix}.lte"))
            if gte:
                items = [it for it in items if it["release_date"] and it["release_date"] >= gte]
            if lte:
                items = [it for it in items if it["release_date"] and it["release_date"] <= lte]
        for field in ("vote_count", "vote_average"):
            gte, lte = _float_or_none(params.get(f"{field}.gte")), _float_or_none(params.get(f"{field}.lte"))
            if gte is not None:
                items = [it for it in items if it[field] >= gte]
            if lte is not None:
                items = [it for it in items if it[field] <= lte]
        runtime_of = lambda it: cat.records[it["id"]]["movie"].get("runtime") or 0  # noqa: E731
        gte, lte = _int_or_none(params.get("with_runtime.gte")), _int_or_none(params.get("with_runtime.lte"))
        if gte is not None:
            items = [it for it in items if runtime_of(it) >= gte]
        if lte is not None:
            items = [it for it in items if runtime_of(it) <= lte]
        language = (params.get("with_original_language") or "").strip()
        if language:
            wanted = set(re.split(r"[,|]", language))
            items = [it for it in items if it["original_language"] in wanted]

        field, _, direction = (params.get("sort_by") or "popularity.desc").partition(".")
        keys = {
            "popularity": lambda it: it["popularity"],
            "vote_average": lambda it: it["vote_average"],
            "vote_count": lambda it: it["vote_count"],
            "primary_release_date": lambda it: it["release_date"],
            "release_date": lambda it: it["release_date"],
            "revenue": lambda it: cat.revenue(cat.records[it["id"]]),
            "title": lambda it: it["title"].casefold(),
            "original_title": lambda it: it["original_title"].casefold(),
        }
        if field not in keys or direction not in ("asc", "desc"):
            field, direction = "popularity", "desc"
        items.sort(key=lambda it: it["id"])
        if field in ("primary_release_date", "release_date"):
            dated = [it for it in items if it["release_date"]]
            undated = [it for it in items if not it["release_date"]]
            dated.sort(key=keys[field], reverse=direction == "desc")
            items = dated + undated  # unknown dates always last
        else:
            items.sort(key=keys[field], reverse=direction == "desc")
        return self._envelope(items, params, page=page, inflatable=True)


class _StubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: StubState):
        self.state = state
        super().__init__(address, StubRequestHandler)

    def handle_error(self, request, client_address) -> None:  # quiet unless verbose
        if self.state.verbose:
            super().handle_error(request, client_address)


class StubServer:
    """A TMDb stub running in a daemon thread.

    >>> with StubServer(api_key="k", read_token="t") as stub:
    ...     stub.base_url            # "http://127.0.0.1:<port>/3"
    ...     stub.inject_fault(status=503, count=2)
    ...     stub.request_count("/3/movie")
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        read_token: str = DEFAULT_READ_TOKEN,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        catalogue_path: str | Path | None = None,
        synthetic: bool = True,
        verbose: bool = False,
        page_error_style: str = "errors",
        inflate_total_pages: int | None = None,
        fill_pages: bool = False,
    ):
        self.state = StubState(
            api_key=api_key,
            read_token=read_token,
            catalogue=load_catalogue(str(catalogue_path) if catalogue_path else None, synthetic=synthetic),
            verbose=verbose,
            page_error_style=page_error_style,
            inflate_total_pages=inflate_total_pages,
            fill_pages=fill_pages,
        )
        self._host = host
        self._requested_port = port
        self._httpd: _StubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def bind(self) -> StubServer:
        if self._httpd is None:
            self._httpd = _StubHTTPServer((self._host, self._requested_port), self.state)
        return self

    def start(self) -> StubServer:
        """Bind (if needed) and serve from a daemon thread; returns self."""
        self.bind()
        if self._thread is None:
            assert self._httpd is not None
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"tmdb-stub:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Bind (if needed) and serve in the calling thread (used by the CLI)."""
        self.bind()
        assert self._httpd is not None
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        if thread is not None:
            httpd.shutdown()
            thread.join(timeout=5)
        httpd.server_close()
        self._httpd = self._thread = None

    close = stop

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # addresses
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("StubServer is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Server root, e.g. ``http://127.0.0.1:8765`` (control endpoints live here)."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """TMDb API base, e.g. ``http://127.0.0.1:8765/3`` (use as TMDB_BASE_URL)."""
        return self.url + API_PREFIX

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def read_token(self) -> str:
        return self.state.read_token

    # request log
    def request_count(self, path_prefix: str | None = None) -> int:
        """API requests seen (control endpoints excluded), optionally only those whose path
        starts with ``path_prefix`` ("/movie/550" and "/3/movie/550" are equivalent)."""
        return self.state.request_count(path_prefix)

    def request_paths(self) -> list[str]:
        """The last 200 request paths (no query strings), oldest first."""
        return self.state.request_paths()

    def calls(self) -> dict[str, dict[str, int]]:
        """Per call (path + sorted query without api_key): how many since the last reset, how many
        are unanswered now, and the most that were unanswered at once (see ``/__stub__/calls``)."""
        return self.state.calls()

    def reset_requests(self) -> None:
        self.state.reset_requests()

    # faults
    def inject_fault(
        self,
        status: int | None = None,
        count: int | None = 1,
        delay: float = 0.0,
        retry_after: float | None = None,
        path_prefix: str | None = None,
        *,
        status_code: int | None = None,
        status_message: str | None = None,
        body: Any = None,
    ) -> None:
        """Make the next ``count`` requests under ``path_prefix`` (default: all of ``/3``)
        fail with ``status`` and/or be delayed by ``delay`` seconds. ``count=None`` keeps the
        fault until :meth:`clear_faults`."""
        data: dict[str, Any] = {
            "status": status,
            "count": count,
            "delay": delay,
            "retry_after": retry_after,
            "path_prefix": path_prefix,
            "status_code": status_code,
            "status_message": status_message,
            "body": body,
        }
        self.state.add_fault(Fault.from_dict(data))

    def clear_faults(self) -> None:
        self.state.clear_faults()

    def faults(self) -> list[dict[str, Any]]:
        return self.state.list_faults()

    # config
    def configure(self, *, page_error_style: str | None = None, inflate_total_pages: Any = ...,
                  fill_pages: bool | None = None) -> dict[str, Any]:
        """Change behaviour at runtime. ``page_error_style``: "errors" (422 {"errors": [...]},
        the default) or "code22" (400 code 22). ``inflate_total_pages``: report at least this
        many pages on trending/popular/top_rated/discover (None switches it off)."""
        changes: dict[str, Any] = {}
        if page_error_style is not None:
            changes["page_error_style"] = page_error_style
        if inflate_total_pages is not ...:
            changes["inflate_total_pages"] = inflate_total_pages
        if fill_pages is not None:
            changes["fill_pages"] = fill_pages
        return self.state.configure(**changes)

    def reset(self) -> None:
        """Clear faults, the request log and runtime configuration."""
        self.state.reset()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.tmdb_stub", description="TMDb v3 compatible stub server")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--read-token", default=DEFAULT_READ_TOKEN)
    parser.add_argument("--catalogue", default=None, help=f"default: {CATALOGUE_PATH}")
    parser.add_argument(
        "--no-synthetic",
        action="store_true",
        help="serve only the catalogue file's movies (no synthetic awkward-shape entries 9000001+)",
    )
    parser.add_argument(
        "--page-errors",
        choices=PAGE_ERROR_STYLES,
        default="errors",
        help='shape of out-of-range page errors (default: 422 {"errors": [...]})',
    )
    parser.add_argument(
        "--inflate-total-pages",
        type=int,
        default=None,
        metavar="N",
        help="report at least N total_pages on the big list endpoints",
    )
    parser.add_argument(
        "--fill-pages",
        action="store_true",
        help="with --inflate-total-pages, fill the pages past the catalogue with its movies again",
    )
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)

    try:
        stub = StubServer(
            args.api_key,
            args.read_token,
            host=args.host,
            port=args.port,
            catalogue_path=args.catalogue,
            synthetic=not args.no_synthetic,
            verbose=args.verbose,
            page_error_style=args.page_errors,
            inflate_total_pages=args.inflate_total_pages,
            fill_pages=args.fill_pages,
        ).bind()
    except (OSError, ValueError) as exc:
        print(f"tmdb-stub: cannot start: {exc}", file=sys.stderr, flush=True)
        return 1

    def _terminate(signum, frame):  # turn SIGTERM into a clean shutdown
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    print(f"tmdb-stub listening on {stub.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stub.serve_forever()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
