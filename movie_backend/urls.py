from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from users.admin import admin_login

urlpatterns = [
    path("api/movies/", include("movies.urls")),
    path("api/", include("users.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("movie_backend.ops_urls")),
    path("admin/login/", admin_login),  # the admin's own login, rate-limited like the API login
    path("admin/", admin.site.urls),
]

handler400 = "movie_backend.exceptions.json_bad_request"
handler403 = "movie_backend.exceptions.json_permission_denied"
handler404 = "movie_backend.exceptions.json_not_found"
handler500 = "movie_backend.exceptions.json_server_error"
