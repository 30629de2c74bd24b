"""
Our movie shapes (summary and detail, as in API-CONTRACT.md), built from TMDb payloads or from
catalogue rows. TMDb is untrusted input: every field is coerced to its type here, and a payload that
is not even the right shape becomes UpstreamBadResponse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from movie_backend.exceptions import UpstreamBadResponse
from movie_backend.pagination import Page, upstream_page

CAST_LIMIT = 10
TRAILER_URLS = {"YouTube": "https://www.youtube.com/watch?v={key}", "Vimeo": "https://vimeo.com/{key}"}


@dataclass(frozen=True)
class ImageConfig:
    """Where TMDb images live (`secure_base_url` of /configuration) and the sizes we link to."""

    base_url: str
    poster_size: str = "w500"
    backdrop_size: str = "w1280"
    profile_size: str = "w185"

    def url(self, size: str, path: str | None) -> str | None:
        """The image's URL at `size`, or None for no path."""
        return f"{self.base_url.rstrip('/')}/{size}{path}" if path else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any, cast=float):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return cast(0)
    return cast(value)


def _date(value: Any) -> str | None:
    """`YYYY-MM-DD` or None; TMDb sends "" for unknown dates."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _path(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith("/") else None


def _id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise UpstreamBadResponse()
    return value


def summary_from_tmdb(item: Any, *, genre_names: dict[int, str], images: ImageConfig) -> dict:
    """Our summary of one TMDb list item or detail body; UpstreamBadResponse if it has no valid id."""
    if not isinstance(item, dict):
        raise UpstreamBadResponse()
    if isinstance(item.get("genres"), list):  # details carry genre objects, lists carry ids
        genres = [
            {"id": g["id"], "name": _text(g.get("name"))}
            for g in item["genres"]
            if isinstance(g, dict) and isinstance(g.get("id"), int)
        ]
        genre_ids = [g["id"] for g in genres]
    else:
        raw_ids = item.get("genre_ids")
        genre_ids = [g for g in raw_ids if isinstance(g, int) and not isinstance(g, bool)] if isinstance(raw_ids, list) else []
        genres = [{"id": g, "name": genre_names[g]} for g in genre_ids if g in genre_names]
    poster_path, backdrop_path = _path(item.get("poster_path")), _path(item.get("backdrop_path"))
    return {
        "id": _id(item.get("id")),
        "title": _text(item.get("title")),
        "original_title": _text(item.get("original_title")),
        "overview": _text(item.get("overview")),
        "release_date": _date(item.get("release_date")),
        "genre_ids": genre_ids,
        "genres": genres,
        "vote_average": round(_number(item.get("vote_average")), 3),
        "vote_count": max(0, _number(item.get("vote_count"), int)),
        "popularity": round(_number(item.get("popularity")), 3),
        "original_language": _text(item.get("original_language")),
        "poster_path": poster_path,
        "poster_url": images.url(images.poster_size, poster_path),
        "backdrop_path": backdrop_path,
        "backdrop_url": images.url(images.backdrop_size, backdrop_path),
    }


def page_from_tmdb(body: Any, *, genre_names: dict[int, str], images: ImageConfig) -> Page:
    """Our page envelope of summaries from a TMDb list body; UpstreamBadResponse if it is no list."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise UpstreamBadResponse()
    results = [summary_from_tmdb(item, genre_names=genre_names, images=images) for item in body["results"]]
    return upstream_page(
        page=_number(body.get("page"), int) or 1,
        total_pages=_number(body.get("total_pages"), int),
        total_results=_number(body.get("total_results"), int),
        results=results,
    )


def _cast_from_tmdb(credits: dict, images: ImageConfig) -> list[dict]:
    people = [p for p in credits.get("cast", []) if isinstance(p, dict) and isinstance(p.get("id"), int)]
    people.sort(key=lambda p: _number(p.get("order"), int) if p.get("order") is not None else 10**6)
    return [
        {
            "id": p["id"],
            "name": _text(p.get("name")),
            "character": _text(p.get("character")),
            "profile_url": images.url(images.profile_size, _path(p.get("profile_path"))),
        }
        for p in people[:CAST_LIMIT]
    ]


def _directors_from_tmdb(credits: dict) -> list[dict]:
    directors, seen = [], set()
    for person in credits.get("crew", []):
        is_director = isinstance(person, dict) and person.get("job") == "Director" and isinstance(person.get("id"), int)
        if is_director and person["id"] not in seen:
            seen.add(person["id"])
            directors.append({"id": person["id"], "name": _text(person.get("name"))})
    return directors


def _trailer_from_tmdb(videos: dict) -> dict | None:
    candidates = [
        v for v in videos.get("results", [])
        if isinstance(v, dict) and v.get("type") == "Trailer" and v.get("site") in TRAILER_URLS
        and isinstance(v.get("key"), str) and v["key"]
    ]
    if not candidates:
        return None
    # Official trailers first, then YouTube (plays in most clients), then the earliest published.
    best = min(candidates, key=lambda v: (not v.get("official"), v["site"] != "YouTube", _text(v.get("published_at"))))
    return {"site": best["site"], "key": best["key"], "url": TRAILER_URLS[best["site"]].format(key=best["key"])}


def detail_from_tmdb(body: Any, *, images: ImageConfig) -> dict:
    """Our detail shape (summary + credits, trailer, ...) from TMDb's /movie/{id} body."""
    summary = summary_from_tmdb(body, genre_names={}, images=images)
    credits = body.get("credits") if isinstance(body.get("credits"), dict) else {}
    videos = body.get("videos") if isinstance(body.get("videos"), dict) else {}
    runtime = _number(body.get("runtime"), int)
    return {
        **summary,
        "tagline": _text(body.get("tagline")),
        "runtime": runtime or None,
        "status": _text(body.get("status")),
        "imdb_id": _text(body.get("imdb_id")) or None,
        "homepage": _text(body.get("homepage")),
        "budget": max(0, _number(body.get("budget"), int)),
        "revenue": max(0, _number(body.get("revenue"), int)),
        "cast": _cast_from_tmdb(credits, images),
        "directors": _directors_from_tmdb(credits),
        "trailer": _trailer_from_tmdb(videos),
    }


SUMMARY_FIELDS = (
    "id", "title", "original_title", "overview", "release_date", "vote_average", "vote_count", "popularity",
    "original_language", "poster_path", "backdrop_path",
)


def summary_from_movie(movie, *, images: ImageConfig) -> dict:
    """The summary of a catalogue row; expects `genres` prefetched."""
    genres = [{"id": g.id, "name": g.name} for g in movie.genres.all()]
    return summary_from_values({field: getattr(movie, field) for field in SUMMARY_FIELDS}, genres=genres, images=images)


def summary_from_values(values: Mapping[str, Any], *, genres: list[dict], images: ImageConfig) -> dict:
    """The summary from a row's SUMMARY_FIELDS (e.g. `.values(*SUMMARY_FIELDS)`, no model instance:
    long lists are built several times faster) and its genres as {"id", "name"} dicts."""
    genres = sorted(genres, key=lambda g: g["id"])
    release_date = values["release_date"]
    return {
        "id": values["id"],
        "title": values["title"],
        "original_title": values["original_title"],
        "overview": values["overview"],
        "release_date": release_date.isoformat() if release_date else None,
        "genre_ids": [g["id"] for g in genres],
        "genres": genres,
        "vote_average": values["vote_average"],
        "vote_count": values["vote_count"],
        "popularity": values["popularity"],
        "original_language": values["original_language"],
        "poster_path": values["poster_path"],
        "poster_url": images.url(images.poster_size, values["poster_path"]),
        "backdrop_path": values["backdrop_path"],
        "backdrop_url": images.url(images.backdrop_size, values["backdrop_path"]),
    }


def detail_from_movie(movie, *, images: ImageConfig) -> dict:
    """The detail shape of a catalogue row; expects `genres` prefetched."""
    return {
        **summary_from_movie(movie, images=images),
        "tagline": movie.tagline,
        "runtime": movie.runtime,
        "status": movie.status,
        "imdb_id": movie.imdb_id,
        "homepage": movie.homepage,
        "budget": movie.budget,
        "revenue": movie.revenue,
        "cast": movie.cast,
        "directors": movie.directors,
        "trailer": movie.trailer,
    }
