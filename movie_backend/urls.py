from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from movie_backend.ops import IndexView

urlpatterns = [
    path("", IndexView.as_view(schema=None), name="index"),  # the same as /api/, documented once
    path("api/", IndexView.as_view(), name="api-index"),
    path("api/movies/", include("movies.urls")),
    path("api/", include("users.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("movie_backend.ops_urls")),
    path("admin/", admin.site.urls),
]

handler400 = "movie_backend.exceptions.json_bad_request"
handler403 = "movie_backend.exceptions.json_permission_denied"
handler404 = "movie_backend.exceptions.json_not_found"
handler500 = "movie_backend.exceptions.json_server_error"
