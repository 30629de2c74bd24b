"""
A fake TMDb at the HTTP boundary, built on `responses`, following ../shared/tmdb-contract.md.
Builders make MovieListItem and details payloads with only the fields a test cares about overridden.
"""

from __future__ import annotations

import json
import re
from typing import Any

import responses
from responses import matchers

from tools.tmdb_stub.server import CATALOGUE_PATH, CONFIGURATION, DEFAULT_CODE_FOR_STATUS, TMDB_ERRORS

# The fake TMDb behind `responses` and the stub server speak the same TMDb: one set of constants.
GENRES = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))["genres"]


def movie_item(movie_id: int, **overrides: Any) -> dict:
    """A TMDb MovieListItem."""
    item = {
        "adult": False,
        "backdrop_path": f"/b{movie_id}.jpg",
        "genre_ids": [18],
        "id": movie_id,
        "original_language": "en",
        "original_title": f"Movie {movie_id}",
        "overview": f"Overview of movie {movie_id}.",
        "popularity": 50.0,
        "poster_path": f"/p{movie_id}.jpg",
        "release_date": "2020-01-01",
        "title": f"Movie {movie_id}",
        "video": False,
        "vote_average": 7.0,
        "vote_count": 1000,
    }
    item.update(overrides)
    return item


def movie_details(movie_id: int, **overrides: Any) -> dict:
    """A TMDb details payload with credits and videos appended."""
    item = movie_item(movie_id)
    del item["genre_ids"]
    details = {
        **item,
        "belongs_to_collection": None,
        "budget": 42_000_000,
        "genres": [{"id": 878, "name": "Science Fiction"}, {"id": 18, "name": "Drama"}],
        "homepage": "https://example.org/movie",
        "imdb_id": "tt9900123",
        "origin_country": ["US"],
        "production_companies": [],
        "production_countries": [],
        "revenue": 131_550_000,
        "runtime": 118,
        "spoken_languages": [],
        "status": "Released",
        "tagline": "A tagline.",
        "credits": {
            "cast": [
                {"id": 5550000 + n, "name": f"Actor {n}", "character": f"Role {n}", "order": n,
                 "profile_path": None if n == 0 else f"/c{n}.jpg"}
                for n in range(12)
            ],
            "crew": [
                {"id": 5559001, "name": "Tomas Reyes", "job": "Director", "department": "Directing"},
                {"id": 5559002, "name": "Ann Writer", "job": "Screenplay", "department": "Writing"},
            ],
        },
        "videos": {"results": [
            {"key": "teaser1", "site": "YouTube", "type": "Teaser", "official": True,
             "published_at": "2024-05-01T00:00:00.000Z"},
            {"key": "AbCdEfGhIjK", "site": "YouTube", "type": "Trailer", "official": True,
             "published_at": "2024-07-15T16:00:00.000Z"},
        ]},
    }
    details.update(overrides)
    return details


def list_body(items: list[dict], *, page: int = 1, total_pages: int = 1, total_results: int | None = None) -> dict:
    return {"page": page, "results": items, "total_pages": total_pages,
            "total_results": len(items) if total_results is None else total_results}


def error_body(status: int) -> dict:
    """TMDb's error body for an HTTP status (code 7 for 401, 34 for 404, 25 for 429, ...)."""
    code = DEFAULT_CODE_FOR_STATUS[status]
    return {"success": False, "status_code": code, "status_message": TMDB_ERRORS[code][1]}


class FakeTMDb(responses.RequestsMock):
    """`responses` mock preloaded with /configuration and /genre/movie/list."""

    BASE_URL = "https://tmdb.test/3"
    API_KEY = "test-api-key-0123456789abcdef"

    def __init__(self) -> None:
        super().__init__(assert_all_requests_are_fired=False)

    def start(self, *args, **kwargs):
        super().start(*args, **kwargs)
        self.reference_configuration = self.add_json("/configuration", CONFIGURATION)
        self.reference_genres = self.add_json("/genre/movie/list", {"genres": GENRES})

    def url(self, path: str) -> str:
        return self.BASE_URL + path

    def add_json(self, path: str, body: Any, *, status: int = 200, params: dict | None = None,
                 headers: dict | None = None):
        match = [matchers.query_param_matcher(params, strict_match=False)] if params else []
        return self.get(self.url(path), json=body, status=status, match=match, headers=headers or {})

    def add_error(self, path: str, status: int, *, headers: dict | None = None, params: dict | None = None):
        return self.add_json(path, error_body(status), status=status, headers=headers, params=params)

    def add_list(self, path: str, items: list[dict], **envelope: Any):
        params = {"page": str(envelope["page"])} if "page" in envelope else None
        return self.add_json(path, list_body(items, **envelope), params=params)

    def add_details(self, movie_id: int, **overrides: Any):
        return self.add_json(f"/movie/{movie_id}", movie_details(movie_id, **overrides))

    def upstream_calls(self, path_pattern: str = "") -> list:
        """Recorded calls whose path matches `path_pattern` (a regex), excluding reference data."""
        pattern = re.compile(path_pattern)
        return [
            call for call in self.calls
            if pattern.search(call.request.path_url.split("?")[0])
            and not call.request.path_url.startswith(("/3/configuration", "/3/genre/movie/list"))
        ]

    @staticmethod
    def body(call) -> Any:
        return json.loads(call.response.content)
