"""
Prometheus metrics: what TMDb costs us, how the cache and the rate limits behave, and how long
requests take by route.

The hooks are one-liners in the code they measure (movies/tmdb.py, movie_backend/cache.py,
movie_backend/throttling.py, the request middleware). Under gunicorn, gunicorn.conf.py sets
PROMETHEUS_MULTIPROC_DIR before any worker imports this module, so every worker writes its values to
that directory and `/metrics` adds them up (prometheus_client's multi-process mode); without it (tests,
`manage.py` commands) the process's own registry is served.

`/metrics` is not public: it answers 404 unless METRICS_TOKEN is set, and then only to
`Authorization: Bearer <METRICS_TOKEN>` (403 otherwise). The nginx site also limits it to loopback.
"""

from __future__ import annotations

import functools
import hmac
import os
import re
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

TMDB_REQUESTS = Counter(
    "movie_backend_tmdb_requests_total",
    "HTTP requests sent to TMDb (each retry counts), by endpoint and outcome: the HTTP status, or "
    "`timeout` / `connection_error`. status=\"429\" is TMDb rate limiting us.",
    ["endpoint", "status"],
)
TMDB_LATENCY = Histogram(
    "movie_backend_tmdb_request_duration_seconds", "Time of one HTTP request to TMDb.", ["endpoint"],
    buckets=_LATENCY_BUCKETS,
)
CACHE_LOOKUPS = Counter(
    "movie_backend_cache_lookups_total",
    "Answers of the API cache by kind (namespace) and result: hit, miss (fetched now) or stale "
    "(an older copy served while TMDb fails or another request refreshes it). Kind `response`: a "
    "repeated public GET answered by the fast path from its stored response (movie_backend.http_cache).",
    ["kind", "result"],
)
THROTTLED = Counter(
    "movie_backend_throttled_requests_total", "Requests refused by a rate limit (429), by throttle scope.",
    ["scope"],
)
REQUEST_LATENCY = Histogram(
    "movie_backend_http_request_duration_seconds",
    "Time to answer a request, by method, route pattern (not the raw path) and status.",
    ["method", "route", "status"], buckets=_LATENCY_BUCKETS,
)

_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")
_KIND_SUFFIX = re.compile(r":.*$")


def tmdb_endpoint(path: str) -> str:
    """A TMDb path with its ids as `{id}`: `/movie/603/recommendations` -> `/movie/{id}/recommendations`."""
    return _ID_SEGMENT.sub("/{id}", path)


def tmdb_call(path: str, status: int | str, seconds: float) -> None:
    endpoint = tmdb_endpoint(path)
    TMDB_REQUESTS.labels(endpoint, str(status)).inc()
    TMDB_LATENCY.labels(endpoint).observe(seconds)


def counts_cache_results(cached_call: Callable) -> Callable:
    """Decorates movie_backend.cache.cached_call: counts each answer by kind and X-Cache status."""

    @functools.wraps(cached_call)
    def counted(namespace: str, *args, **kwargs):
        result = cached_call(namespace, *args, **kwargs)
        if result.status:
            # Per-user namespaces (`user-recs:42`) count under their kind, never one series a user.
            CACHE_LOOKUPS.labels(_KIND_SUFFIX.sub("", namespace), result.status.lower()).inc()
        return result

    return counted


@functools.lru_cache(maxsize=1024)
def _child(metric, *labels: str):
    """metric.labels(*labels), remembered: a cached answer costs about 300 us, and `labels` (checks,
    a lock, a lookup) a few of them each time. Label values are few (routes, not raw paths); past
    1,024 combinations the least used are looked up again, as before."""
    return metric.labels(*labels)


def fast_path_hit() -> None:
    """A public answer served from its stored response (movie_backend.http_cache's fast path)."""
    _child(CACHE_LOOKUPS, "response", "hit").inc()


def throttled(scope: str | None) -> None:
    THROTTLED.labels(scope or "unknown").inc()


def request_finished(request, status: int, seconds: float) -> None:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        route = "/" + match.route
    elif request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        route = "static"  # served by whitenoise before URL resolution
    else:
        route = "unmatched"
    _child(REQUEST_LATENCY, request.method, route, str(status)).observe(seconds)


def _exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@require_GET
def metrics_view(request):
    """GET /metrics: the Prometheus text format, for `Authorization: Bearer <METRICS_TOKEN>` only."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return JsonResponse({"detail": "A valid metrics token is required.", "code": "permission_denied"}, status=403)
    response = HttpResponse(_exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
