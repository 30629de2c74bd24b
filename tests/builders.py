"""Small builders for database rows (no factory library needed at this size)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth import get_user_model

from movies.models import Genre, Movie

_ids = itertools.count(900_001)
GENRE_NAMES = {28: "Action", 12: "Adventure", 16: "Animation", 35: "Comedy", 18: "Drama", 27: "Horror",
               878: "Science Fiction", 53: "Thriller", 10749: "Romance", 14: "Fantasy"}


def make_genres(*ids: int) -> list[Genre]:
    ids = ids or tuple(GENRE_NAMES)
    for genre_id in ids:
        Genre.objects.get_or_create(id=genre_id, defaults={"name": GENRE_NAMES.get(genre_id, f"Genre {genre_id}")})
    return list(Genre.objects.filter(id__in=ids))


def make_movie(*, genres: tuple[int, ...] = (18,), **fields) -> Movie:
    movie_id = fields.pop("id", None) or next(_ids)
    defaults = {
        "title": f"Movie {movie_id}",
        "original_title": f"Movie {movie_id}",
        "release_date": dt.date(2020, 1, 1),
        "original_language": "en",
        "vote_average": 7.0,
        "vote_count": 1000,
        "popularity": 10.0,
    }
    movie = Movie.objects.create(id=movie_id, **{**defaults, **fields})
    movie.genres.set(make_genres(*genres))
    return movie


def make_user(username: str | None = None, *, password: str = "correct-Horse-battery-9", **fields):
    username = username or f"user{next(_ids)}"
    return get_user_model().objects.create_user(
        username=username, email=fields.pop("email", f"{username}@example.com"), password=password, **fields
    )
