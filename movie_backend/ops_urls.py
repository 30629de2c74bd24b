"""Operations endpoints, mounted at the root: /healthz (liveness) and /readyz (readiness)."""

from django.urls import path

from movie_backend.ops import HealthzView, ReadyzView

urlpatterns = [
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("readyz", ReadyzView.as_view(), name="readyz"),
]
