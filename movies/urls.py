from django.urls import path

from movies import views

# `tmdb_id` is movie_backend.converters', registered by the root URLconf.


app_name = "movies"
urlpatterns = [
    path("trending/", views.TrendingMoviesView.as_view(), name="trending"),
    path("recommended/", views.RecommendedMoviesView.as_view(), name="recommended"),
    path("search/", views.SearchMoviesView.as_view(), name="search"),
    path("genres/", views.GenreListView.as_view(), name="genres"),
    path("<tmdb_id:movie_id>/", views.MovieDetailView.as_view(), name="detail"),
    path("<tmdb_id:movie_id>/recommendations/", views.MovieRecommendationsView.as_view(), name="recommendations"),
]
