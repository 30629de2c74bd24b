"""A test-only root urlconf: the real one plus views that crash, to exercise the 500 handlers."""

from django.urls import path
from rest_framework.views import APIView

from movie_backend.urls import handler400, handler403, handler404, handler500
from movie_backend.urls import urlpatterns as root_urlpatterns


def django_boom(request):
    raise RuntimeError("secret-internal-detail: plain Django view crashed")


class ApiBoom(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise RuntimeError("secret-internal-detail: API view crashed")


urlpatterns = [
    path("boom", django_boom),
    path("api/boom/", ApiBoom.as_view()),
    *root_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
