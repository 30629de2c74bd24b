from django.urls import path, register_converter

from movies import views


class TMDbIdConverter:
    """A TMDb id: a positive int32. Anything else does not match, so it is a 404 before any lookup."""

    regex = "[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= 2_147_483_647:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(TMDbIdConverter, "tmdb_id")

app_name = "movies"
urlpatterns = [
    path("trending/", views.TrendingMoviesView.as_view(), name="trending"),
    path("recommended/", views.RecommendedMoviesView.as_view(), name="recommended"),
    path("search/", views.SearchMoviesView.as_view(), name="search"),
    path("genres/", views.GenreListView.as_view(), name="genres"),
    path("<tmdb_id:movie_id>/", views.MovieDetailView.as_view(), name="detail"),
    path("<tmdb_id:movie_id>/recommendations/", views.MovieRecommendationsView.as_view(), name="recommendations"),
]
