"""
Reads for the Users endpoints: the profile, favorites and the data behind personalised
recommendations (the ranking itself lives in users/recommender.py).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import Count, F, QuerySet
from rest_framework.exceptions import NotFound

from movie_backend.cache import Cached, Degraded, cached_call
from movie_backend.exceptions import UpstreamError
from movie_backend.pagination import Page, paginate_queryset, paginate_sequence
from movies import payloads
from movies import selectors as movie_selectors
from movies import services as movie_services
from movies.models import Genre, Movie
from movies.tmdb import tmdb_enabled
from users import recommender
from users.models import Favorite, Profile, User

logger = logging.getLogger(__name__)

CO_OCCURRENCE_ROWS = 250  # (seed, movie) pairs read per user, most shared fans first
COLD_START_PAGES = 2  # pages of the everyone / per-genre lists used without favorites
RECOMMENDATIONS_CACHE_SCHEMA = 1  # bump when the cached shape changes


def user_recs_namespace(user_id: int) -> str:
    return f"user-recs:{user_id}"


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
    return {"movie": payloads.summary_from_movie(favorite.movie, images=images), "added_at": favorite.added_at}


def favorite_list(*, user: User, page: int) -> Page:
    """A page of the user's favorites; a constant number of queries and no upstream call."""
    result = paginate_queryset(favorite_queryset(user=user), page=page)
    images = movie_services.image_config()
    return {**result, "results": [favorite_payload(f, images=images) for f in result["results"]]}


# --- recommendations ----------------------------------------------------------------------------------


def recommendations_for_user(*, user: User, page: int) -> Cached:
    """A page of the user's personalised list; the whole list is cached per user (see
    users.services for the invalidation on every change of favorites or preferred genres)."""
    ranked = cached_call(
        user_recs_namespace(user.id),
        {"schema": RECOMMENDATIONS_CACHE_SCHEMA, "tmdb": tmdb_enabled(), "language": settings.TMDB_LANGUAGE},
        ttl=settings.CACHE_TTL_RECOMMENDATIONS,
        fetch=lambda: recommendations_build(user=user),
        versioned=True,
    )
    return Cached(paginate_sequence(ranked.value, page=page), ranked.status, ranked.fresh_until)


def recommendations_build(*, user: User) -> list[dict] | Degraded:
    """The user's whole ranked list: movie summaries with a `reason` each, best first. Degraded when
    an upstream list was missing from it, so the cache keeps it only briefly."""
    missing: list[str] = []
    favorites = list(
        Favorite.objects.filter(user=user).order_by("-added_at", "-id").values_list("movie_id", "movie__title")
    )
    favorite_ids = [movie_id for movie_id, _ in favorites]
    preferred = list(Profile.preferred_genres.through.objects.filter(profile__user=user).values_list("genre_id", flat=True))

    if favorite_ids:
        seeds = favorite_ids[: recommender.SEED_LIMIT]
        affinity = recommender.genre_affinity(
            preferred=preferred, favorite_genre_counts=_favorite_genre_counts(user), favorite_count=len(favorite_ids)
        )
        sources = [
            *_tmdb_seed_sources(seeds, missing=missing),
            *_co_occurrence_sources(user=user, seeds=seeds, exclude=favorite_ids),
            *_catalogue_genre_sources(affinity),
            recommender.Source(_catalogue_ids(genre=None), recommender.POPULAR_WEIGHT,
                               recommender.Reason(recommender.POPULAR)),
        ]
    else:
        affinity = recommender.genre_affinity(preferred=preferred, favorite_genre_counts={}, favorite_count=0)
        sources = _cold_start_sources(preferred, missing=missing)

    ranked = _materialise(sources, affinity=affinity, exclude=favorite_ids, seed_titles=dict(favorites))
    return Degraded(ranked) if missing else ranked


def _favorite_genre_counts(user: User) -> dict[int, int]:
    rows = (
        Movie.genres.through.objects.filter(movie__favorited_by__user=user)
        .values("genre_id").annotate(n=Count("movie_id", distinct=True)).values_list("genre_id", "n")
    )
    return dict(rows)


def _tmdb_seed_sources(seeds: list[int], *, missing: list[str]) -> list[recommender.Source]:
    """"More like this" for each seed from movies.services: TMDb's recommendations (cached and
    upserted), or on the embedded default the catalogue's own (co-favorites, shared genres). A seed
    whose list fails is left out, so a TMDb outage degrades to the local signals."""
    weights = recommender.seed_weights(seeds)
    sources = []
    for seed in seeds:
        try:
            page = movie_services.movie_recommendations(movie_id=seed, page=1).value
        except (UpstreamError, NotFound) as exc:
            logger.warning("TMDb recommendations for seed %s unavailable (%s)", seed, exc.default_code)
            missing.append(f"seed {seed}")
            continue
        sources.append(recommender.Source(
            [m["id"] for m in page["results"]], recommender.TMDB_WEIGHT * weights[seed],
            recommender.Reason(recommender.BECAUSE_YOU_LIKED, movie_id=seed),
        ))
    return sources


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


def _co_occurrence_sources(*, user: User, seeds: list[int], exclude: list[int]) -> list[recommender.Source]:
    weights = recommender.seed_weights(seeds)
    lists = recommender.co_occurrence_lists(co_occurrence_rows(user=user, seeds=seeds, exclude=exclude))
    return [
        recommender.Source(lists[seed], recommender.CO_OCCURRENCE_WEIGHT * weights[seed],
                           recommender.Reason(recommender.BECAUSE_YOU_LIKED, movie_id=seed))
        for seed in seeds if seed in lists
    ]


def _catalogue_ids(*, genre: int | None) -> list[int]:
    """The first page of the catalogue by weighted rating (optionally of one genre): no upstream call."""
    return [movie.id for movie in movie_selectors.catalogue_ranked(page=1, genre=genre)["results"]]


def _catalogue_genre_sources(affinity: dict[int, float]) -> list[recommender.Source]:
    return [
        recommender.Source(_catalogue_ids(genre=genre_id), recommender.GENRE_WEIGHT * affinity[genre_id],
                           recommender.Reason(recommender.GENRE, genre_id=genre_id))
        for genre_id in recommender.top_genres(affinity)
    ]


def _service_ids(genre: int | None, *, missing: list[str]) -> list[int]:
    """The everyone list (TMDb's blended pool, or the catalogue) for cold starts; [] when TMDb fails."""
    ids: list[int] = []
    try:
        for page in range(1, COLD_START_PAGES + 1):
            ids += [m["id"] for m in movie_services.recommended_movies(page=page, genre=genre).value["results"]]
    except UpstreamError as exc:
        logger.warning("recommended list (genre %s) unavailable (%s)", genre, exc.default_code)
        missing.append(f"recommended genre={genre}")
    return ids


def _cold_start_sources(preferred: list[int], *, missing: list[str]) -> list[recommender.Source]:
    """No favorites yet: the best movies of the preferred genres, else (and as a floor) the everyone list."""
    known = movie_services.genre_names()
    genres = sorted(g for g in preferred if g in known)[: recommender.TOP_GENRES]
    sources = [
        recommender.Source(_service_ids(genre_id, missing=missing), 1.0, recommender.Reason(recommender.GENRE, genre_id=genre_id))
        for genre_id in genres
    ]
    weight = recommender.POPULAR_WEIGHT if sources else 1.0
    sources.append(recommender.Source(_service_ids(None, missing=missing), weight, recommender.Reason(recommender.POPULAR)))
    return sources


def _materialise(
    sources: list[recommender.Source], *, affinity: dict[int, float], exclude: list[int], seed_titles: dict[int, str]
) -> list[dict]:
    """Rank the candidates and turn them into summaries with reasons (2 queries for any length)."""
    candidate_ids = {movie_id for source in sources for movie_id in source.movie_ids} - set(exclude)
    movies = {m.id: m for m in Movie.objects.filter(pk__in=candidate_ids).prefetch_related("genres")}
    ranked = recommender.rank(
        sources,
        movie_genres={movie_id: [g.id for g in movie.genres.all()] for movie_id, movie in movies.items()},
        affinity=affinity,
        exclude=exclude,
        tiebreak={movie_id: movie.popularity for movie_id, movie in movies.items()},
    )
    genre_names = {g.id: g.name for g in Genre.objects.all()}
    images = movie_services.image_config()
    return [
        {
            **payloads.summary_from_movie(movies[item.movie_id], images=images),
            "reason": recommender.reason_payload(item.reason, movie_titles=seed_titles, genre_names=genre_names),
        }
        for item in ranked
    ]
