"""
Catalogue writes: the movies and genres TMDb answers, upserted into our own tables in bulk, so
favorites and local recommendations can join on them. Reads of the catalogue are movies.selectors.
"""

from __future__ import annotations

import datetime as dt
import logging
import operator
from collections.abc import Callable, Iterable
from functools import reduce

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from movie_backend.exceptions import DATABASE_UNAVAILABLE_ERRORS
from movies.models import Genre, Movie

logger = logging.getLogger(__name__)

SUMMARY_MODEL_FIELDS = [
    "title", "original_title", "overview", "release_date", "original_language",
    "vote_average", "vote_count", "popularity", "poster_path", "backdrop_path",
]
DETAIL_MODEL_FIELDS = [
    *SUMMARY_MODEL_FIELDS, "tagline", "runtime", "status", "imdb_id", "homepage", "budget", "revenue",
    "cast", "directors", "trailer", "details_fetched_at",
]


def record(upsert: Callable[..., None], *args, **kwargs) -> None:
    """Run `upsert` (one of this module's writes) on what TMDb just answered, as a side effect of
    serving it: when the database is unavailable the answer is served all the same (the failure is
    logged; the next fetch writes it)."""
    try:
        upsert(*args, **kwargs)
    except DATABASE_UNAVAILABLE_ERRORS as exc:
        logger.warning("Catalogue not updated: database unavailable (%s: %s)", type(exc).__name__, str(exc).strip())


def genres_upsert(genres: Iterable[dict]) -> None:
    """Insert or rename the genres ({"id", "name"} dicts; nameless ones are skipped) in one query."""
    rows = {g["id"]: Genre(id=g["id"], name=g["name"]) for g in genres if g.get("name")}
    if rows:
        Genre.objects.bulk_create(rows.values(), update_conflicts=True, unique_fields=["id"], update_fields=["name"])


def _movie_row(shape: dict, fields: list[str]) -> Movie:
    values = {field: shape[field] for field in fields if field in shape}
    if values.get("release_date"):
        values["release_date"] = dt.date.fromisoformat(values["release_date"])
    return Movie(id=shape["id"], **values)


@transaction.atomic
def catalogue_upsert(movies: Iterable[dict], *, details: bool = False) -> None:
    """Insert or update movies (summary or detail shapes) and their genre links in a constant number
    of queries, whatever the number of movies."""
    shapes = {m["id"]: m for m in movies}
    if not shapes:
        return
    fields = DETAIL_MODEL_FIELDS if details else SUMMARY_MODEL_FIELDS
    if details:
        now = timezone.now()
        shapes = {movie_id: {**shape, "details_fetched_at": now} for movie_id, shape in shapes.items()}
    # Rows in id order: concurrent upserts of overlapping pages then lock them in the same order
    # instead of deadlocking (PostgreSQL aborts one of two upserts that lock in opposite orders).
    shapes = dict(sorted(shapes.items()))
    Movie.objects.bulk_create(
        [_movie_row(shape, fields) for shape in shapes.values()],
        update_conflicts=True, unique_fields=["id"], update_fields=[*fields, "updated_at"],
    )

    wanted_ids = {genre_id for shape in shapes.values() for genre_id in shape["genre_ids"]}
    known = set(Genre.objects.filter(id__in=wanted_ids).values_list("id", flat=True))
    wanted = {(movie_id, genre_id) for movie_id, shape in shapes.items() for genre_id in shape["genre_ids"]
              if genre_id in known}
    links = Movie.genres.through.objects
    current = set(links.filter(movie_id__in=shapes).values_list("movie_id", "genre_id"))
    stale = current - wanted
    if stale:
        links.filter(reduce(operator.or_, (Q(movie_id=m, genre_id=g) for m, g in stale))).delete()
    missing = wanted - current
    if missing:
        links.bulk_create(
            [Movie.genres.through(movie_id=m, genre_id=g) for m, g in sorted(missing)], ignore_conflicts=True
        )
