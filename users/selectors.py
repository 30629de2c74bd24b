"""
Reads for the Users endpoints: the profile, favorites, not-interested marks and the data behind
personalised recommendations (the pipeline is the service users/recommendations.py; the ranking
math lives in users/recommender.py and recs/ease.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Count, F, QuerySet

from movie_backend.pagination import Page, paginate_queryset
from movies import payloads
from movies import services as movie_services
from movies.models import Movie
from users.models import Favorite, NotInterested, Profile, User

logger = logging.getLogger(__name__)

CO_OCCURRENCE_ROWS = 250  # (seed, movie) pairs read per user, most shared fans first


# --- profile ------------------------------------------------------------------------------------------


def user_me(*, user: User, profile: Profile) -> dict:
    """The contract's profile shape."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "date_joined": user.date_joined,
        "preferred_genres": sorted(profile.preferred_genres.values_list("id", flat=True)),
    }


# --- favorites ----------------------------------------------------------------------------------------


def favorite_queryset(*, user: User) -> QuerySet[Favorite]:
    """The user's favorites, newest first, with everything a summary needs loaded in 2 queries."""
    return (
        Favorite.objects.filter(user=user)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("-added_at", "-id")
    )


def favorite_payload(favorite: Favorite, *, images: payloads.ImageConfig) -> dict:
    """A favorite as the API shows it: the movie's summary and when it was added."""
    return {"movie": payloads.summary_from_movie(favorite.movie, images=images), "added_at": favorite.added_at}


def favorite_list(*, user: User, page: int) -> Page:
    """A page of the user's favorites; a constant number of queries and no upstream call."""
    result = paginate_queryset(favorite_queryset(user=user), page=page)
    images = movie_services.image_config()
    return {**result, "results": [favorite_payload(f, images=images) for f in result["results"]]}


# --- not interested -----------------------------------------------------------------------------------


def not_interested_queryset(*, user: User) -> QuerySet[NotInterested]:
    """The user's not-interested marks, newest first, loaded like favorites (2 queries)."""
    return (
        NotInterested.objects.filter(user=user)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("-created_at", "-id")
    )


def not_interested_payload(mark: NotInterested, *, images: payloads.ImageConfig) -> dict:
    """A not-interested mark as the API shows it: the movie's summary and when it was made."""
    return {"movie": payloads.summary_from_movie(mark.movie, images=images), "created_at": mark.created_at}


def not_interested_list(*, user: User, page: int) -> Page:
    """A page of the user's not-interested marks; a constant number of queries, no upstream call."""
    result = paginate_queryset(not_interested_queryset(user=user), page=page)
    images = movie_services.image_config()
    return {**result, "results": [not_interested_payload(m, images=images) for m in result["results"]]}


# --- data behind the personal list --------------------------------------------------------------------


def favorites_for_ranking(*, user: User) -> list[tuple[int, str, dt.datetime]]:
    """(movie id, title, added at) of the user's favorites, newest first."""
    return list(
        Favorite.objects.filter(user=user).order_by("-added_at", "-id")
        .values_list("movie_id", "movie__title", "added_at")
    )


def not_interested_ids(*, user: User) -> list[int]:
    """The ids of the movies the user marked as not interested."""
    return list(NotInterested.objects.filter(user=user).values_list("movie_id", flat=True))


def preferred_genre_ids(*, user: User) -> list[int]:
    """The ids of the user's preferred genres (their profile)."""
    return list(Profile.preferred_genres.through.objects.filter(profile__user=user).values_list("genre_id", flat=True))


def favorite_genre_counts(*, user: User) -> dict[int, int]:
    """Genre id -> how many of the user's favorites are in it (one aggregate query)."""
    rows = (
        Movie.genres.through.objects.filter(movie__favorited_by__user=user)
        .values("genre_id").annotate(n=Count("movie_id", distinct=True)).values_list("genre_id", "n")
    )
    return dict(rows)


def co_occurrence_rows(*, user: User, seeds: list[int], exclude: list[int]) -> list[tuple[int, int, int]]:
    """(seed, movie, shared fans) for movies favorited by other people who favorited a seed, in ONE
    aggregate query over a self-join of the favorites table."""
    rows = (
        Favorite.objects.filter(user__favorites__movie_id__in=seeds)
        .exclude(user_id=user.id)
        .exclude(movie_id__in=exclude)
        .values("movie_id", seed_id=F("user__favorites__movie_id"))
        .annotate(shared=Count("user_id", distinct=True))
        .order_by("-shared", "movie_id")[:CO_OCCURRENCE_ROWS]
    )
    return [(row["seed_id"], row["movie_id"], row["shared"]) for row in rows]


def favorite_pairs() -> list[tuple[int, int]]:
    """(user id, movie id) of every favorite: the training data of the model (no ORM objects)."""
    return list(Favorite.objects.values_list("user_id", "movie_id"))
