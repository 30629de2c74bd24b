"""
Where movie data comes from: TMDb (read through the API cache, every answer upserted into the
catalogue) or, with no TMDb credentials (the embedded default), the local catalogue itself. Both
answer the same questions behind `MovieSource`; `movie_source()` is the one place that chooses.

Every method that returns a `Cached` gives the value and its X-Cache status (None when the answer
came from our own database, which is not a cache).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from django.conf import settings

from movie_backend.cache import Cached, Degraded, cached_call
from movie_backend.exceptions import MovieNotFound, UpstreamError
from movie_backend.pagination import Page, paginate_sequence
from movies import catalogue, payloads, ranking, reference, selectors
from movies.models import Movie
from movies.tmdb import get_client, tmdb_enabled

logger = logging.getLogger(__name__)

# Pages of TMDb's popular and top-rated lists blended into `recommended` (20 movies each).
RECOMMENDED_SOURCE_PAGES = 3
RECOMMENDED_GENRE_MIN_VOTES = 200


class MovieSource(Protocol):
    """The questions the Movies services ask of their data, whichever source answers them."""

    # "tmdb" or "catalogue": part of the cache keys of answers built on the source's lists.
    name: str
    # True when answers go through the API cache (so warming it is worth something).
    cached: bool

    def trending(self, *, time_window: str, page: int) -> Cached:
        """A page of the movies trending in the window ("day" or "week")."""

    def search(self, *, query: str, page: int, year: int | None) -> Cached:
        """A page of the movies whose title matches `query`, optionally released in `year`."""

    def details(self, *, movie_id: int) -> Cached:
        """A movie's details; raises MovieNotFound for an id the source does not know."""

    def record(self, *, movie_id: int) -> None:
        """Bring a movie the catalogue lacks into it; raises MovieNotFound when the source cannot."""

    def recommendations(self, *, movie_id: int, page: int) -> Cached:
        """A page of "more like this" for one movie; raises MovieNotFound for an unknown id."""

    def ranked(self, *, page: int, genre: int | None) -> Cached:
        """A page of quality-ranked movies, optionally of one (known) genre."""

    def genres(self) -> Cached:
        """Every movie genre ({"id", "name"}), by name."""

    def genre_list(self) -> list[dict]:
        """Every movie genre by name, never failing on TMDb (falls back to the catalogue's)."""

    def image_config(self) -> payloads.ImageConfig:
        """Where the images of the served movies live, never failing on TMDb."""


class CatalogueSource:
    """Answers from our own tables (movies.selectors); nothing is cached."""

    name = "catalogue"
    cached = False

    def _page(self, page: Page) -> Cached:
        images = self.image_config()
        return Cached({**page, "results": [payloads.summary_from_movie(m, images=images) for m in page["results"]]}, None)

    def _movie(self, movie_id: int) -> Movie:
        movie = selectors.movie_get(movie_id=movie_id)
        if movie is None:
            raise MovieNotFound()
        return movie

    def trending(self, *, time_window: str, page: int) -> Cached:
        """The catalogue's trending page (movies.selectors.catalogue_trending)."""
        return self._page(selectors.catalogue_trending(time_window=time_window, page=page))

    def search(self, *, query: str, page: int, year: int | None) -> Cached:
        """The catalogue's title search page."""
        return self._page(selectors.catalogue_search(query=query, page=page, year=year))

    def details(self, *, movie_id: int) -> Cached:
        """The catalogue row's details; MovieNotFound when there is no row."""
        return Cached(payloads.detail_from_movie(self._movie(movie_id), images=self.image_config()), None)

    def record(self, *, movie_id: int) -> None:
        """Always MovieNotFound: the catalogue has nowhere to fetch a movie it lacks from."""
        raise MovieNotFound()

    def recommendations(self, *, movie_id: int, page: int) -> Cached:
        """The catalogue's local signals (co-favorites, shared genres); MovieNotFound for no row."""
        return self._page(selectors.catalogue_similar(movie=self._movie(movie_id), page=page))

    def ranked(self, *, page: int, genre: int | None) -> Cached:
        """The catalogue ranked by weighted rating, in the database."""
        return self._page(selectors.catalogue_ranked(page=page, genre=genre))

    def genres(self) -> Cached:
        """The catalogue's genres, by name."""
        return Cached(selectors.genre_list(), None)

    def genre_list(self) -> list[dict]:
        """The catalogue's genres, by name."""
        return selectors.genre_list()

    def image_config(self) -> payloads.ImageConfig:
        """TMDB_IMAGE_BASE_URL with our default sizes."""
        return reference.default_image_config()


class TmdbSource:
    """Answers from TMDb through the API cache; every movie served is upserted into the catalogue."""

    name = "tmdb"
    cached = True

    def _page(self, body: dict) -> Page:
        names = {g["id"]: g["name"] for g in self.genre_list()}
        page = payloads.page_from_tmdb(body, genre_names=names, images=self.image_config())
        catalogue.record(catalogue.catalogue_upsert, page["results"])
        return page

    def trending(self, *, time_window: str, page: int) -> Cached:
        """TMDb's trending page, cached for CACHE_TTL_TRENDING."""
        return cached_call(
            "trending", {"time_window": time_window, "page": page, **reference.language_key()},
            ttl=settings.CACHE_TTL_TRENDING,
            fetch=lambda: self._page(get_client().trending(time_window=time_window, page=page)),
        )

    def search(self, *, query: str, page: int, year: int | None) -> Cached:
        """TMDb's search page (the query's case does not matter), cached for CACHE_TTL_SEARCH."""
        return cached_call(
            "search", {"query": query.casefold(), "page": page, "year": year, **reference.language_key()},
            ttl=settings.CACHE_TTL_SEARCH,
            fetch=lambda: self._page(get_client().search(query=query, page=page, year=year)),
        )

    def _fetch_details(self, movie_id: int) -> dict:
        detail = payloads.detail_from_tmdb(get_client().movie(movie_id), images=self.image_config())
        catalogue.record(catalogue.genres_upsert, detail["genres"])
        catalogue.record(catalogue.catalogue_upsert, [detail], details=True)
        return detail

    def details(self, *, movie_id: int) -> Cached:
        """TMDb's details of a movie, cached for CACHE_TTL_DETAILS."""
        return cached_call(
            "movie-detail", {"id": movie_id, **reference.language_key()},
            ttl=settings.CACHE_TTL_DETAILS, fetch=lambda: self._fetch_details(movie_id),
        )

    def record(self, *, movie_id: int) -> None:
        """Fetch the movie's details from TMDb, which upserts its row."""
        self.details(movie_id=movie_id)

    def recommendations(self, *, movie_id: int, page: int) -> Cached:
        """TMDb's recommendations page for a movie, cached for CACHE_TTL_RECOMMENDATIONS."""
        return cached_call(
            "movie-recommendations", {"id": movie_id, "page": page, **reference.language_key()},
            ttl=settings.CACHE_TTL_RECOMMENDATIONS,
            fetch=lambda: self._page(get_client().recommendations(movie_id, page=page)),
        )

    def ranked(self, *, page: int, genre: int | None) -> Cached:
        """A page of the blended TMDb pool (cached for CACHE_TTL_RECOMMENDATIONS, paginated here)."""
        pool = cached_call(
            "recommended", {"genre": genre, **reference.language_key()},
            ttl=settings.CACHE_TTL_RECOMMENDATIONS, fetch=lambda: self._fetch_ranked_pool(genre),
        )
        return Cached(paginate_sequence(pool.value, page=page), pool.status, pool.fresh_until)

    def _ranked_sources(self, genre: int | None) -> list[Callable[[], dict]]:
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

    def _fetch_ranked_pool(self, genre: int | None) -> list[dict] | Degraded:
        """TMDb's top-rated and popular lists blended and ranked by weighted rating (movies.ranking).
        Sources that fail are left out (and the blend is Degraded); only when every one fails is the
        failure raised."""
        bodies, failures = [], []
        for source in self._ranked_sources(genre):
            try:
                bodies.append(source())
            except UpstreamError as exc:
                failures.append(exc)
        if not bodies:
            raise failures[0]
        if failures:
            logger.warning("recommended: %d of %d TMDb lists failed", len(failures), len(failures) + len(bodies))
        names = {g["id"]: g["name"] for g in self.genre_list()}
        images = self.image_config()
        movies = [m for body in bodies for m in payloads.page_from_tmdb(body, genre_names=names, images=images)["results"]]
        if genre is not None:
            movies = [m for m in movies if genre in m["genre_ids"]]
        ranked = ranking.rank_by_quality(movies)
        catalogue.record(catalogue.catalogue_upsert, ranked)
        return Degraded(ranked) if failures else ranked

    def genres(self) -> Cached:
        """TMDb's genres (movies.reference.tmdb_genres); raises UpstreamError."""
        return reference.tmdb_genres()

    def genre_list(self) -> list[dict]:
        """TMDb's genres, or the catalogue's while TMDb fails."""
        return reference.tmdb_genre_list()

    def image_config(self) -> payloads.ImageConfig:
        """TMDb's image configuration, or the default while TMDb fails."""
        return reference.tmdb_image_config()


_CATALOGUE = CatalogueSource()
_TMDB = TmdbSource()


def movie_source() -> MovieSource:
    """TMDb when credentials are set (TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN), else the local catalogue."""
    return _TMDB if tmdb_enabled() else _CATALOGUE
