from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from movie_backend.converters import TMDB_ID_MAX
from movie_backend.pagination import PageQuerySerializer, page_serializer
from movies.tmdb import TRENDING_WINDOWS

# --- input ---------------------------------------------------------------------------------------------


class TrendingQuerySerializer(PageQuerySerializer):
    time_window = serializers.ChoiceField(choices=list(TRENDING_WINDOWS), default="day")


class SearchQuerySerializer(PageQuerySerializer):
    q = serializers.CharField(min_length=1, max_length=200, trim_whitespace=True, help_text="Search text, 1-200 characters.")
    year = serializers.IntegerField(min_value=1870, max_value=2100, required=False, help_text="Primary release year.")


class RecommendedQuerySerializer(PageQuerySerializer):
    genre = serializers.IntegerField(
        min_value=1, max_value=TMDB_ID_MAX, required=False,
        help_text="Only movies of this genre (an id from /api/movies/genres/); an id that is no genre matches nothing.",
    )


# TMDb's movie genre ids (GET /genre/movie/list: the same 19 for years, and the demo catalogue's). The
# API checks ids against the genre list it serves (movies.services.genres_unknown); the schema states
# these so clients, and the contract fuzzer, know which values are accepted.
MOVIE_GENRE_IDS = (12, 14, 16, 18, 27, 28, 35, 36, 37, 53, 80, 99, 878, 9648, 10402, 10749, 10751, 10752, 10770)
MOVIE_GENRE_CHOICES = [(genre_id, genre_id) for genre_id in MOVIE_GENRE_IDS]  # for ENUM_NAME_OVERRIDES


@extend_schema_field({"type": "integer", "enum": list(MOVIE_GENRE_IDS)})
class GenreIdField(serializers.IntegerField):
    """A movie genre id (see /api/movies/genres/)."""


class MovieRecommendationsQuerySerializer(PageQuerySerializer):
    pass


# --- output --------------------------------------------------------------------------------------------


class GenreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class GenreListSerializer(serializers.Serializer):
    results = GenreSerializer(many=True)


class MovieSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="TMDb movie id")
    title = serializers.CharField()
    original_title = serializers.CharField()
    overview = serializers.CharField()
    release_date = serializers.DateField(allow_null=True)
    genre_ids = serializers.ListField(child=serializers.IntegerField())
    genres = GenreSerializer(many=True)
    vote_average = serializers.FloatField()
    vote_count = serializers.IntegerField()
    popularity = serializers.FloatField()
    original_language = serializers.CharField()
    poster_path = serializers.CharField(allow_null=True)
    poster_url = serializers.URLField(allow_null=True)
    backdrop_path = serializers.CharField(allow_null=True)
    backdrop_url = serializers.URLField(allow_null=True)


class CastMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    character = serializers.CharField()
    profile_url = serializers.URLField(allow_null=True)


class DirectorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TrailerSerializer(serializers.Serializer):
    site = serializers.CharField()
    key = serializers.CharField()
    url = serializers.URLField()


class MovieDetailSerializer(MovieSummarySerializer):
    tagline = serializers.CharField()
    runtime = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    imdb_id = serializers.CharField(allow_null=True)
    homepage = serializers.CharField()
    budget = serializers.IntegerField()
    revenue = serializers.IntegerField()
    cast = CastMemberSerializer(many=True, help_text="Top 10 billed")
    directors = DirectorSerializer(many=True)
    trailer = TrailerSerializer(allow_null=True)


MovieSummaryPageSerializer = page_serializer(MovieSummarySerializer, "MovieSummaryPage")

