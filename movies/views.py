"""
Public Movies endpoints. Each view validates its query with a serializer, calls one service and
returns its answer with the X-Cache header.

The answers are already the contract's shapes, built and type-coerced once by movies.payloads when
they are fetched; the output serializers describe them in the OpenAPI schema (and the contract fuzzer
checks every response against it). Running cached answers through DRF field by field on every hit
cost 40% of a cache hit's CPU, so the views return them as they are, rendered once and kept with
their ETag and gzip bytes (movie_backend.http_cache).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from movie_backend import errors, http_cache
from movie_backend import examples as ex
from movie_backend.api import validated_query
from movie_backend.cache import Cached
from movie_backend.schema import UPSTREAM, error_responses
from movies import services
from movies.serializers import (
    GenreListSerializer,
    MovieDetailSerializer,
    MovieRecommendationsQuerySerializer,
    MovieSummaryPageSerializer,
    RecommendedQuerySerializer,
    SearchQuerySerializer,
    TrendingQuerySerializer,
)

TAGS = ["movies"]


class PublicMovieView(APIView):
    """A public read: answered with HTTP caching headers, and repeated requests served from the
    stored response before DRF runs (movie_backend.http_cache)."""

    permission_classes = [AllowAny]
    authentication_classes = []  # public data: a stale or bad token must not turn into a 401 here
    query_serializer = None  # the query parameters the view knows
    http_cached = True  # ETag, If-None-Match and Cache-Control, in the schema too

    @classmethod
    def as_view(cls, **initkwargs):
        return http_cache.public_fast_path(cls, super().as_view(**initkwargs))

    def respond(self, request, result):
        params = self.query_serializer().fields if self.query_serializer else ()
        return http_cache.public_response(request, result, params=params)


class TrendingMoviesView(PublicMovieView):
    query_serializer = TrendingQuerySerializer

    @extend_schema(
        tags=TAGS, summary="Trending movies",
        description="Movies trending on TMDb today (`time_window=day`) or this week. Without TMDb: the "
                    "local catalogue, most favorited within the window first, then by popularity.",
        parameters=[TrendingQuerySerializer],
        responses={200: MovieSummaryPageSerializer, **error_responses(*UPSTREAM)},
        examples=[ex.response("Trending this week", ex.MOVIE_PAGE)],
    )
    def get(self, request):
        result = services.trending_movies(**validated_query(TrendingQuerySerializer, request))
        return self.respond(request, result)


class RecommendedMoviesView(PublicMovieView):
    query_serializer = RecommendedQuerySerializer

    @extend_schema(
        tags=TAGS, summary="Recommended for everyone",
        description="TMDb's top-rated and popular lists blended and ranked by vote-count-weighted rating, "
                    "so a 10/10 from three votes does not top the list. `genre` keeps one genre.",
        parameters=[RecommendedQuerySerializer],
        responses={200: MovieSummaryPageSerializer, **error_responses(*UPSTREAM)},
        examples=[ex.response("Science fiction picks (genre=878)", ex.page(ex.INTERSTELLAR, ex.MATRIX, ex.ALIEN,
                                                                             total_results=120))],
    )
    def get(self, request):
        result = services.recommended_movies(**validated_query(RecommendedQuerySerializer, request))
        return self.respond(request, result)


class SearchMoviesView(PublicMovieView):
    query_serializer = SearchQuerySerializer

    @extend_schema(
        tags=TAGS, summary="Search movies by title",
        parameters=[SearchQuerySerializer],
        responses={200: MovieSummaryPageSerializer,
                   **error_responses(400, *UPSTREAM, invalid={"q": ["This field is required."]})},
        examples=[ex.response("q=alien&year=1979", ex.page(ex.ALIEN, total_results=1))],
    )
    def get(self, request):
        query = validated_query(SearchQuerySerializer, request)
        result = services.search_movies(query=query["q"], page=query["page"], year=query.get("year"))
        return self.respond(request, result)


class GenreListView(PublicMovieView):
    @extend_schema(
        tags=TAGS, summary="Movie genres",
        responses={200: GenreListSerializer, **error_responses(*UPSTREAM)},
        examples=[ex.response("Genres", ex.GENRES)],
    )
    def get(self, request):
        result = services.genres_all()
        return self.respond(request, Cached({"results": result.value}, result.status, result.fresh_until))


class MovieDetailView(PublicMovieView):
    @extend_schema(
        tags=TAGS, summary="Movie details",
        description="Details with top-billed cast, directors and a trailer, from one TMDb call.",
        responses={200: MovieDetailSerializer,
                   **error_responses(404, *UPSTREAM, details={404: errors.MOVIE_NOT_FOUND})},
        examples=[ex.response("The Matrix (603)", ex.MATRIX_DETAIL)],
    )
    def get(self, request, movie_id: int):
        result = services.movie_detail(movie_id=movie_id)
        return self.respond(request, result)


class MovieRecommendationsView(PublicMovieView):
    query_serializer = MovieRecommendationsQuerySerializer

    @extend_schema(
        tags=TAGS, summary="More like this",
        description="Movies like this one. When the trained model knows the movie: what the people "
                    "who favorited it favorited (its model neighbours), blended with TMDb's recommendations. "
                    "Otherwise TMDb's recommendations, or without TMDb, movies favorited by the same people "
                    "and movies sharing its genres.",
        parameters=[MovieRecommendationsQuerySerializer],
        responses={200: MovieSummaryPageSerializer,
                   **error_responses(404, *UPSTREAM, details={404: errors.MOVIE_NOT_FOUND})},
        examples=[ex.response("More like The Matrix", ex.page(ex.INTERSTELLAR, ex.ALIEN, total_results=40))],
    )
    def get(self, request, movie_id: int):
        page = validated_query(MovieRecommendationsQuerySerializer, request)["page"]
        result = services.movie_recommendations(movie_id=movie_id, page=page)
        return self.respond(request, result)
