"""
The personal list ("Recommended for me"): a service, since it calls TMDb (through movies.services),
upserts into the catalogue and fills the cache. The reads it needs are in users/selectors.py and
recs/selectors.py; the ranking math in users/recommender.py (fusion, blend) and recs/ease.py (the
trained model's scores).

With a trained model (`manage.py train_recommender`) the collaborative source is the model's
scores summed over ALL the user's favorites: the user's best movies by the full model, stored at
training time, plus the stored neighbours of favorites added since, in a constant number of
queries; without one (fresh install, too few users) the latest favorites' co-favorite counts
stand in, as before.
"""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework.exceptions import NotFound

from movie_backend.cache import Cached, Degraded, cached_call, namespace_version
from movie_backend.exceptions import UpstreamError
from movie_backend.pagination import paginate_sequence
from movies import payloads
from movies import selectors as movie_selectors
from movies import services as movie_services
from movies.sources import movie_source
from recs import ease
from recs import selectors as recs_selectors
from users import recommender, selectors
from users.models import User

logger = logging.getLogger(__name__)

CATALOGUE_LIST_LENGTH = 20  # movies of each genre list and of the popular floor (a page, as before)
COLD_START_PAGES = 2  # pages of the everyone / per-genre lists used without favorites
RECOMMENDATIONS_CACHE_SCHEMA = 3  # bump when the cached shape or the ranking changes


def user_recs_namespace(user_id: int) -> str:
    """The cache namespace of one user's list: bumped on every change of their favorites, marks or genres."""
    return f"user-recs:{user_id}"


def recommendations_for_user(*, user: User, page: int) -> Cached:
    """A page of the user's personalised list. The ranking (movie ids with their reasons) is cached
    per user (see users.services for the invalidation on every change of favorites, marks or
    preferred genres, and users.training for the one on every new model); only the page's 20
    movies are read from the catalogue (2 queries), so a cold list never reads 200 summaries."""
    ranked = cached_call(
        user_recs_namespace(user.id),
        {
            "schema": RECOMMENDATIONS_CACHE_SCHEMA, "source": movie_source().name, "language": settings.TMDB_LANGUAGE,
            "model": namespace_version(recs_selectors.MODEL_NAMESPACE),
        },
        ttl=settings.CACHE_TTL_RECOMMENDATIONS,
        fetch=lambda: recommendations_build(user=user),
        versioned=True,
    )
    envelope = paginate_sequence(ranked.value, page=page)
    rows = movie_selectors.movie_summary_rows(movie_ids=[item["id"] for item in envelope["results"]])
    images = movie_services.image_config()
    envelope["results"] = [
        {**payloads.summary_from_values(rows[item["id"]][0], genres=rows[item["id"]][1], images=images),
         "reason": item["reason"]}
        for item in envelope["results"] if item["id"] in rows  # a movie deleted since the ranking is skipped
    ]
    return Cached(envelope, ranked.status, ranked.fresh_until)


def recommendations_build(*, user: User) -> list[dict] | Degraded:
    """The user's whole ranking: {"id", "reason"} per movie, best first, never a favorite or a
    not-interested movie. Degraded when an upstream list was missing from it, so the cache keeps it
    only briefly."""
    missing: list[str] = []
    favorites = selectors.favorites_for_ranking(user=user)
    favorite_ids = [movie_id for movie_id, _, _ in favorites]
    exclude = [*favorite_ids, *selectors.not_interested_ids(user=user)]
    model: dict[int, tuple[float, int]] = {}
    coverage = 0.0

    if favorite_ids:
        seeds = favorite_ids[: recommender.SEED_LIMIT]
        model, coverage = _model_scores(user=user, favorites=favorites, exclude=exclude)
    seed_titles = {movie_id: title for movie_id, title, _ in favorites}
    if favorite_ids and recommender.model_fills_the_list(model, coverage=coverage):
        # The model knows every favorite and has a whole list of its own: the other sources could
        # only rank after it, past the end of the list, so they are not fetched at all (nor the
        # preferred genres and catalogue rows that would weigh them).
        return _with_reasons(recommender.model_list(model, exclude=exclude), seed_titles=seed_titles)
    if favorite_ids:
        affinity = recommender.genre_affinity(
            preferred=selectors.preferred_genre_ids(user=user),
            favorite_genre_counts=selectors.favorite_genre_counts(user=user), favorite_count=len(favorite_ids),
        )
        if model:
            # Without TMDb the seeds' "more like this" is co-favorites + shared genres: the model and
            # the genre lists already stand for both, so the 5 catalogue-wide queries are skipped.
            seed_sources = _tmdb_seed_sources(seeds, missing=missing) if movie_source().name == "tmdb" else []
            collaborative = []
        else:  # no model, or it knows none of these favorites: co-favorite counts of the latest ones
            seed_sources = _tmdb_seed_sources(seeds, missing=missing)
            collaborative = _co_occurrence_sources(user=user, seeds=seeds, exclude=exclude)
        sources = [
            *seed_sources,
            *collaborative,
            *_catalogue_genre_sources(affinity),
            recommender.Source(_catalogue_ids(genre=None), recommender.POPULAR_WEIGHT,
                               recommender.Reason(recommender.POPULAR)),
        ]
    else:
        preferred = selectors.preferred_genre_ids(user=user)
        affinity = recommender.genre_affinity(preferred=preferred, favorite_genre_counts={}, favorite_count=0)
        sources = _cold_start_sources(preferred, missing=missing)

    ranked = _ranking(sources, affinity=affinity, exclude=exclude, model=model, coverage=coverage)
    items = _with_reasons(ranked, seed_titles=seed_titles)
    return Degraded(items) if missing else items


def _model_scores(
    *, user: User, favorites: list[tuple[int, str, object]], exclude: list[int]
) -> tuple[dict[int, tuple[float, int]], float]:
    """The trained model's best movies for the user: movie -> (score, favorite that contributed
    most), and the share of their favorites the model knows. The user's best movies by the full
    model were stored at training time; favorites added since then add their stored neighbours'
    weights. At most 4 queries, whatever the number of favorites; ({}, 0) without a model."""
    version = recs_selectors.model_active()
    if version is None:
        return {}, 0.0
    favorite_ids = [movie_id for movie_id, _, _ in favorites]
    known = recs_selectors.known_movie_ids(version_id=version.pk, movie_ids=favorite_ids)
    if not known:
        return {}, 0.0
    scores = {movie_id: (score, because) for movie_id, score, because
              in recs_selectors.user_scores(version_id=version.pk, user_id=user.id)}
    new = [movie_id for movie_id, _, added_at in favorites if added_at > version.favorites_read_at and movie_id in known]
    if new:
        for movie_id, extra in ease.score(recs_selectors.neighbor_rows(version_id=version.pk, movie_ids=new)).items():
            score, because = scores.get(movie_id, (0.0, extra.because))
            scores[movie_id] = (score + extra.score, because)
    excluded = set(exclude)
    best = sorted(((m, v) for m, v in scores.items() if m not in excluded and v[0] > 0), key=lambda i: (-i[1][0], i[0]))
    return dict(best[: recommender.MODEL_CANDIDATES]), len(known) / len(favorite_ids)


def _tmdb_seed_sources(seeds: list[int], *, missing: list[str]) -> list[recommender.Source]:
    """"More like this" for each seed from movies.services: TMDb's recommendations (cached and
    upserted), or on the embedded default the catalogue's own (co-favorites, shared genres). A
    seed whose list fails is left out, so a TMDb outage degrades to the local signals."""
    weights = recommender.seed_weights(seeds)
    sources = []
    for seed in seeds:
        try:
            page = movie_services.movie_recommendations_external(movie_id=seed, page=1).value
        except (UpstreamError, NotFound) as exc:
            logger.warning("TMDb recommendations for seed %s unavailable (%s)", seed, exc.default_code)
            missing.append(f"seed {seed}")
            continue
        sources.append(recommender.Source(
            [m["id"] for m in page["results"]], recommender.TMDB_WEIGHT * weights[seed],
            recommender.Reason(recommender.BECAUSE_YOU_LIKED, movie_id=seed),
        ))
    return sources


def _co_occurrence_sources(*, user: User, seeds: list[int], exclude: list[int]) -> list[recommender.Source]:
    weights = recommender.seed_weights(seeds)
    lists = recommender.co_occurrence_lists(selectors.co_occurrence_rows(user=user, seeds=seeds, exclude=exclude))
    return [
        recommender.Source(lists[seed], recommender.CO_OCCURRENCE_WEIGHT * weights[seed],
                           recommender.Reason(recommender.BECAUSE_YOU_LIKED, movie_id=seed))
        for seed in seeds if seed in lists
    ]


def _catalogue_ids(*, genre: int | None) -> list[int]:
    """The first page of the catalogue by weighted rating (optionally of one genre): the same for
    everyone, so cached (no upstream call behind it)."""
    return cached_call(
        "catalogue-ranked-ids", {"genre": genre, "limit": CATALOGUE_LIST_LENGTH},
        ttl=settings.CACHE_TTL_RECOMMENDATIONS,
        fetch=lambda: movie_selectors.catalogue_ranked_ids(limit=CATALOGUE_LIST_LENGTH, genre=genre),
    ).value


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


def _ranking(
    sources: list[recommender.Source], *, affinity: dict[int, float], exclude: list[int],
    model: dict[int, tuple[float, int]], coverage: float,
) -> list[recommender.Ranked]:
    """Rank the candidates on plain rows: popularity and genre ids, 2 queries for any number of
    candidates."""
    candidate_ids = ({movie_id for source in sources for movie_id in source.movie_ids} | model.keys()) - set(exclude)
    rows = movie_selectors.catalogue_rows(movie_ids=candidate_ids)
    movie_genres = {movie_id: genres for movie_id, (_, genres) in rows.items()}
    tiebreak = {movie_id: popularity for movie_id, (popularity, _) in rows.items()}
    if not model:
        return recommender.rank(sources, movie_genres=movie_genres, affinity=affinity, exclude=exclude,
                                tiebreak=tiebreak)
    fused = recommender.rank(sources, movie_genres=movie_genres, affinity=affinity, exclude=exclude,
                             tiebreak=tiebreak, limit=len(candidate_ids))
    return recommender.blend(fused, model=model, coverage=coverage, movie_genres=movie_genres,
                             exclude=exclude, tiebreak=tiebreak)


def _with_reasons(ranked: list[recommender.Ranked], *, seed_titles: dict[int, str]) -> list[dict]:
    """{"id", "reason"} per ranked movie; genre names are read (1 query) only when a reason is a genre."""
    named = any(item.reason.genre_id is not None for item in ranked)
    genre_names = {g["id"]: g["name"] for g in movie_selectors.genre_list()} if named else {}
    return [
        {"id": item.movie_id,
         "reason": recommender.reason_payload(item.reason, movie_titles=seed_titles, genre_names=genre_names)}
        for item in ranked
    ]
