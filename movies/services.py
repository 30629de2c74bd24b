"""
The Movies use cases the views (and users' services) call. Each asks `movie_source()` (movies.sources):
TMDb read through the cache, its answers upserted into our catalogue, or, with no TMDb credentials
(the embedded default), the same answers from the catalogue itself.

Every function that returns a `Cached` gives the value and its X-Cache status (status None when the
answer came from our own database, which is not a cache).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings

from movie_backend.cache import Cached
from movie_backend.exceptions import UpstreamError
from movie_backend.pagination import paginate_sequence
from movies import catalogue, payloads, ranking, selectors
from movies.models import Genre, Movie
from movies.sources import movie_source
from recs import selectors as recs_selectors

logger = logging.getLogger(__name__)


# --- reference data -----------------------------------------------------------------------------------


def image_config() -> payloads.ImageConfig:
    """Where the served movies' images live (TMDb's configuration, or TMDB_IMAGE_BASE_URL); never fails."""
    return movie_source().image_config()


def genres_all() -> Cached:
    """Every movie genre ({"id", "name"}), by name."""
    return movie_source().genres()


def genre_names() -> dict[int, str]:
    """Genre id -> name for every movie genre the API serves; never fails on TMDb (uses the catalogue's)."""
    return {g["id"]: g["name"] for g in movie_source().genre_list()}


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


# --- the Movies use cases -----------------------------------------------------------------------------


def trending_movies(*, time_window: str, page: int) -> Cached:
    """A page of the movies trending in the window ("day" or "week")."""
    return movie_source().trending(time_window=time_window, page=page)


def search_movies(*, query: str, page: int, year: int | None = None) -> Cached:
    """A page of the movies whose title matches `query`, optionally released in `year`."""
    return movie_source().search(query=query, page=page, year=year)


def movie_detail(*, movie_id: int) -> Cached:
    """A movie's details; MovieNotFound (404) for an id TMDb (or the catalogue) does not know."""
    return movie_source().details(movie_id=movie_id)


def movie_ensure(*, movie_id: int) -> Movie:
    """The catalogue row of a movie, fetched from TMDb first if we have never served it;
    MovieNotFound when there is none."""
    movie = Movie.objects.filter(pk=movie_id).first()
    if movie is not None:
        return movie
    movie_source().record(movie_id=movie_id)
    return Movie.objects.get(pk=movie_id)


def movie_recommendations_external(*, movie_id: int, page: int) -> Cached:
    """A movie's "more like this" from outside the trained model: TMDb's recommendations, or
    without TMDb the catalogue's local signals (co-favorites, shared genres)."""
    return movie_source().recommendations(movie_id=movie_id, page=page)


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


def recommended_movies(*, page: int, genre: int | None = None) -> Cached:
    """Quality-ranked picks for everyone, optionally of one genre. A genre id the API does not serve
    is a filter that matches nothing: an empty page, without asking TMDb."""
    if genre is not None and genre not in genre_names():
        return Cached(paginate_sequence([], page=page), None)
    return movie_source().ranked(page=page, genre=genre)
