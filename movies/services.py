"""
The Movies use cases: cached reads of TMDb that upsert what they fetch into our catalogue, or, with no
TMDb credentials (the embedded default), the same answers from the catalogue itself.

Every public function returns a `Cached` (value + X-Cache status; status None when the answer came
from our own database, which is not a cache).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings

from movie_backend.cache import Cached, Degraded, cached_call
from movie_backend.exceptions import UpstreamError
from movie_backend.pagination import Page, paginate_sequence
from movies import catalogue, payloads, ranking, reference, selectors
from movies.models import Genre, Movie
from movies.tmdb import MovieNotFound, get_client, tmdb_enabled
from recs import selectors as recs_selectors

logger = logging.getLogger(__name__)

# Pages of TMDb's popular and top-rated lists blended into `recommended` (20 movies each).
RECOMMENDED_SOURCE_PAGES = 3
RECOMMENDED_GENRE_MIN_VOTES = 200

def _local(value) -> Cached:
    return Cached(value, None)


def image_config() -> payloads.ImageConfig:
    if not tmdb_enabled():
        return reference.default_image_config()
    return reference.tmdb_image_config()


def genres_all() -> Cached:
    """Every movie genre, by name."""
    if not tmdb_enabled():
        return _local(selectors.genre_list())
    return reference.tmdb_genres()


def genre_names() -> dict[int, str]:
    genres = selectors.genre_list() if not tmdb_enabled() else reference.tmdb_genre_list()
    return {g["id"]: g["name"] for g in genres}


def genres_unknown(*, genre_ids: Iterable[int]) -> list[int]:
    """The ids among `genre_ids` that are no movie genre of the list the API serves (loading it from
    TMDb when needed). The known ones are then in the Genre table, so profiles can reference them."""
    names = genre_names()
    wanted = list(dict.fromkeys(genre_ids))
    known = [genre_id for genre_id in wanted if genre_id in names]
    if known and Genre.objects.filter(id__in=known).count() < len(known):
        # The list came from the cache, filled before this database had its rows (or by another one).
        catalogue.genres_upsert({"id": genre_id, "name": names[genre_id]} for genre_id in known)
    return [genre_id for genre_id in wanted if genre_id not in names]


def _page_from_tmdb(body: dict) -> Page:
    page = payloads.page_from_tmdb(body, genre_names=genre_names(), images=image_config())
    catalogue.record(catalogue.catalogue_upsert, page["results"])
    return page


def _catalogue_page(page: Page) -> Page:
    images = image_config()
    return {**page, "results": [payloads.summary_from_movie(m, images=images) for m in page["results"]]}


# --- the Movies use cases -----------------------------------------------------------------------------


def trending_movies(*, time_window: str, page: int) -> Cached:
    if not tmdb_enabled():
        return _local(_catalogue_page(selectors.catalogue_trending(time_window=time_window, page=page)))
    return cached_call(
        "trending", {"time_window": time_window, "page": page, **reference.language_key()},
        ttl=settings.CACHE_TTL_TRENDING,
        fetch=lambda: _page_from_tmdb(get_client().trending(time_window=time_window, page=page)),
    )


def search_movies(*, query: str, page: int, year: int | None = None) -> Cached:
    if not tmdb_enabled():
        return _local(_catalogue_page(selectors.catalogue_search(query=query, page=page, year=year)))
    return cached_call(
        "search", {"query": query.casefold(), "page": page, "year": year, **reference.language_key()},
        ttl=settings.CACHE_TTL_SEARCH,
        fetch=lambda: _page_from_tmdb(get_client().search(query=query, page=page, year=year)),
    )


def _fetch_movie_detail(movie_id: int) -> dict:
    detail = payloads.detail_from_tmdb(get_client().movie(movie_id), images=image_config())
    catalogue.record(catalogue.genres_upsert, detail["genres"])
    catalogue.record(catalogue.catalogue_upsert, [detail], details=True)
    return detail


def movie_detail(*, movie_id: int) -> Cached:
    """A movie's details; MovieNotFound (404) for an id TMDb (or the catalogue) does not know."""
    if not tmdb_enabled():
        movie = selectors.movie_get(movie_id=movie_id)
        if movie is None:
            raise MovieNotFound()
        return _local(payloads.detail_from_movie(movie, images=image_config()))
    return cached_call(
        "movie-detail", {"id": movie_id, **reference.language_key()},
        ttl=settings.CACHE_TTL_DETAILS, fetch=lambda: _fetch_movie_detail(movie_id),
    )


def movie_ensure(*, movie_id: int) -> Movie:
    """The catalogue row of a movie, fetched from TMDb first if we have never served it."""
    movie = Movie.objects.filter(pk=movie_id).first()
    if movie is not None:
        return movie
    if not tmdb_enabled():
        raise MovieNotFound()
    movie_detail(movie_id=movie_id)
    return Movie.objects.get(pk=movie_id)


def movie_recommendations_external(*, movie_id: int, page: int) -> Cached:
    """A movie's "more like this" from outside the trained model: TMDb's recommendations, or
    without TMDb the catalogue's local signals (co-favorites, shared genres)."""
    if not tmdb_enabled():
        movie = selectors.movie_get(movie_id=movie_id)
        if movie is None:
            raise MovieNotFound()
        return _local(_catalogue_page(selectors.catalogue_similar(movie=movie, page=page)))
    return cached_call(
        "movie-recommendations", {"id": movie_id, "page": page, **reference.language_key()},
        ttl=settings.CACHE_TTL_RECOMMENDATIONS,
        fetch=lambda: _page_from_tmdb(get_client().recommendations(movie_id, page=page)),
    )


def movie_recommendations(*, movie_id: int, page: int) -> Cached:
    """"More like this" for one movie. When the trained model knows the movie: its neighbours
    (what the people who favorited it favorited, as the model weighs it) blended with the first
    page of TMDb's list (or the catalogue's), paginated here; otherwise that list as it is."""
    neighbors = recs_selectors.active_neighbors_of(movie_id=movie_id, limit=settings.RECS_NEIGHBORS)
    if not neighbors:
        return movie_recommendations_external(movie_id=movie_id, page=page)
    try:
        other = movie_recommendations_external(movie_id=movie_id, page=1)
        other_ids, status = [m["id"] for m in other.value["results"]], other.status
    except UpstreamError as exc:  # the model's list alone is still a good answer
        logger.warning("TMDb recommendations for %s unavailable (%s); model only", movie_id, exc.default_code)
        other_ids, status = [], None
    ids = [i for i in ranking.blend_lists([n for n, _ in neighbors], other_ids) if i != movie_id]
    movies = {m.id: m for m in selectors.movie_queryset().filter(pk__in=ids)}
    images = image_config()
    results = [payloads.summary_from_movie(movies[i], images=images) for i in ids if i in movies]
    return Cached(paginate_sequence(results, page=page), status)


def _recommended_sources(genre: int | None) -> list[Callable[[], dict]]:
    client = get_client()
    sources: list[Callable[[], dict]] = []
    for page in range(1, RECOMMENDED_SOURCE_PAGES + 1):
        sources.append(lambda page=page: client.top_rated(page=page))
        sources.append(lambda page=page: client.popular(page=page))
    if genre is not None:
        # The two global lists hold few movies of a small genre; ask for that genre directly too.
        for sort_by in ("vote_average.desc", "popularity.desc"):
            sources.append(lambda sort_by=sort_by: client.discover(
                page=1, with_genres=str(genre), sort_by=sort_by, **{"vote_count.gte": RECOMMENDED_GENRE_MIN_VOTES}
            ))
    return sources


def _fetch_recommended_pool(genre: int | None) -> list[dict] | Degraded:
    """TMDb's top-rated and popular lists blended and ranked by weighted rating (movies.ranking).
    Sources that fail are left out (and the blend is Degraded); only when every one fails is the
    failure raised."""
    bodies, failures = [], []
    for source in _recommended_sources(genre):
        try:
            bodies.append(source())
        except UpstreamError as exc:
            failures.append(exc)
    if not bodies:
        raise failures[0]
    if failures:
        logger.warning("recommended: %d of %d TMDb lists failed", len(failures), len(failures) + len(bodies))
    names, images = genre_names(), image_config()
    movies = [m for body in bodies for m in payloads.page_from_tmdb(body, genre_names=names, images=images)["results"]]
    if genre is not None:
        movies = [m for m in movies if genre in m["genre_ids"]]
    ranked = ranking.rank_by_quality(movies)
    catalogue.record(catalogue.catalogue_upsert, ranked)
    return Degraded(ranked) if failures else ranked


def recommended_movies(*, page: int, genre: int | None = None) -> Cached:
    """Quality-ranked picks for everyone, optionally of one genre. A genre id the API does not serve
    is a filter that matches nothing: an empty page, without asking TMDb."""
    if genre is not None and genre not in genre_names():
        return _local(paginate_sequence([], page=page))
    if not tmdb_enabled():
        return _local(_catalogue_page(selectors.catalogue_ranked(page=page, genre=genre)))
    pool = cached_call(
        "recommended", {"genre": genre, **reference.language_key()},
        ttl=settings.CACHE_TTL_RECOMMENDATIONS, fetch=lambda: _fetch_recommended_pool(genre),
    )
    return Cached(paginate_sequence(pool.value, page=page), pool.status, pool.fresh_until)
