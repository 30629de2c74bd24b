from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from movie_backend.converters import TMDbIdConverter
from movie_backend.ops import IndexView
from users.admin import admin_login

register_converter(TMDbIdConverter, "tmdb_id")  # before the apps' URLs: movies and users both use it

urlpatterns = [
    path("", IndexView.as_view(schema=None), name="index"),  # the same as /api/, documented once
    path("api/", IndexView.as_view(), name="api-index"),
    path("api/movies/", include("movies.urls")),
    path("api/", include("users.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # What the docs pages load: the same schema with its rules in words, no raw regular expressions.
    path("api/schema/docs/", SpectacularAPIView.as_view(custom_settings={
        "POSTPROCESSING_HOOKS": [*settings.SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"], "movie_backend.schema.for_readers"],
    }), name="schema-docs"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema-docs"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema-docs"), name="redoc"),
    path("", include("movie_backend.ops_urls")),
    path("admin/login/", admin_login),  # the admin's own login, rate-limited like the API login
    path("admin/", admin.site.urls),
]

handler400 = "movie_backend.exceptions.json_bad_request"
handler403 = "movie_backend.exceptions.json_permission_denied"
handler404 = "movie_backend.exceptions.json_not_found"
handler500 = "movie_backend.exceptions.json_server_error"
