"""Operations endpoints, mounted at the root: /healthz (liveness), /readyz (readiness), /metrics."""

from django.urls import path

from movie_backend.metrics import metrics_view
from movie_backend.ops import HealthzView, ReadyzView

urlpatterns = [
    path("metrics", metrics_view, name="metrics"),  # Prometheus; not in the API schema, token only
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("readyz", ReadyzView.as_view(), name="readyz"),
]
