"""
Operations endpoints for load balancers and orchestrators, and the API index at `/` and `/api/`.

`/healthz` (liveness) answers from the process alone, never touching the database or the cache, so a
slow dependency cannot get healthy processes killed. `/readyz` (readiness) checks that the database
and the API cache answer, so an instance that cannot serve is taken out of rotation. The database
check has its own deadline (READYZ_DATABASE_TIMEOUT, on a private connection in a thread), so a hung
database makes /readyz answer 503 within about a second rather than wait for the connection timeouts.
"""

import logging
import threading
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from movie_backend.cache import CACHE_BACKEND_ERRORS

logger = logging.getLogger(__name__)

OK, UNAVAILABLE = "ok", "unavailable"
_READYZ_PROBE_TTL = 5  # seconds; the probe key expires by itself even if the delete is lost
READYZ_DATABASE_TIMEOUT = 1.0  # seconds the readiness probe waits for the database
# Held while a database probe is in flight: a probe stuck on a hung database is never joined by another.
_database_probe = threading.Lock()


# One enum for every probe state (ENUM_NAME_OVERRIDES names it ProbeStateEnum in the schema).
PROBE_STATES = [OK, UNAVAILABLE]


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PROBE_STATES, help_text="Always `ok`.")


class ReadinessChecksSerializer(serializers.Serializer):
    database = serializers.ChoiceField(choices=PROBE_STATES)
    cache = serializers.ChoiceField(choices=PROBE_STATES)


class ReadinessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PROBE_STATES, help_text="`ok`.")
    checks = ReadinessChecksSerializer()


class NotReadySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PROBE_STATES, help_text="`unavailable`.")
    detail = serializers.CharField(help_text="Human-readable message naming what is down.")
    code = serializers.CharField(help_text="`dependency_unavailable`.")
    checks = ReadinessChecksSerializer()


class OpsView(APIView):
    """Unauthenticated, unthrottled: probes come often, from one address, without credentials. They
    never answer `database_unavailable`: /healthz does not use the database, /readyz reports it."""

    uses_database = False  # for movie_backend.schema.AutoSchema
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class HealthzView(OpsView):
    @extend_schema(
        tags=["ops"], summary="Liveness probe", operation_id="ops_healthz",
        description="200 while the process can answer requests. Touches neither the database nor the cache.",
        responses={200: OpenApiResponse(HealthSerializer, examples=[
            OpenApiExample("up", response_only=True, value={"status": OK})])},
    )
    def get(self, request):
        return Response({"status": OK})


def _probe_database(settings_dict: dict, backend: type, result: dict) -> None:
    """`SELECT 1` on a private connection (created here: connections belong to their thread)."""
    probe = backend({**settings_dict}, "readyz")
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        result["state"] = OK
    except DatabaseError as exc:
        logger.warning("Readiness: database unavailable (%s: %s)", type(exc).__name__, str(exc).strip())
        result["state"] = UNAVAILABLE
    finally:
        try:
            probe.close()
        finally:
            _database_probe.release()


def check_database() -> str:
    """`ok` when the default database answers `SELECT 1` within READYZ_DATABASE_TIMEOUT."""
    if not _database_probe.acquire(blocking=False):
        logger.warning("Readiness: database unavailable (the previous probe is still waiting for it)")
        return UNAVAILABLE
    result: dict = {}
    default = connections[DEFAULT_DB_ALIAS]
    worker = threading.Thread(
        target=_probe_database, args=(default.settings_dict, type(default), result),
        name="readyz-database", daemon=True,
    )
    worker.start()
    worker.join(READYZ_DATABASE_TIMEOUT)
    if "state" not in result:
        logger.warning("Readiness: database unavailable (no answer within %.1f s)", READYZ_DATABASE_TIMEOUT)
        return UNAVAILABLE
    return result["state"]


def check_cache() -> str:
    """`ok` when the API cache completes a set/get round-trip (bounded by the backend's socket timeout)."""
    cache = caches[settings.API_CACHE_ALIAS]
    key, token = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, token, timeout=_READYZ_PROBE_TTL)
        answered = cache.get(key)
        cache.delete(key)
    except CACHE_BACKEND_ERRORS as exc:
        logger.warning("Readiness: cache unavailable (%s: %s)", type(exc).__name__, exc)
        return UNAVAILABLE
    if answered != token:
        logger.warning("Readiness: cache unavailable (set/get round-trip lost the value)")
        return UNAVAILABLE
    return OK


class ReadyzView(OpsView):
    @extend_schema(
        tags=["ops"], summary="Readiness probe", operation_id="ops_readyz",
        description="200 when the database (`SELECT 1`) and the API cache (a set/get round-trip) answer; "
                    "503 naming what is down otherwise.",
        responses={
            200: OpenApiResponse(ReadinessSerializer, examples=[OpenApiExample(
                "ready", response_only=True, value={"status": OK, "checks": {"database": OK, "cache": OK}})]),
            503: OpenApiResponse(
                NotReadySerializer, description="A dependency is down; `checks` names it.",
                examples=[OpenApiExample(
                    "cache down", response_only=True, status_codes=["503"],
                    value={"status": UNAVAILABLE, "detail": "Not ready: cache unavailable.",
                           "code": "dependency_unavailable", "checks": {"database": OK, "cache": UNAVAILABLE}},
                )],
            ),
        },
    )
    def get(self, request):
        checks = {"database": check_database(), "cache": check_cache()}
        down = [name for name, state in checks.items() if state != OK]
        if not down:
            return Response({"status": OK, "checks": checks})
        body = {
            "status": UNAVAILABLE,
            "detail": f"Not ready: {', '.join(down)} unavailable.",
            "code": "dependency_unavailable",
            "checks": checks,
        }
        return Response(body, status=503)


# --- the index: the first URL `make run` prints --------------------------------------------------------

# (name in the index, URL name): the docs, then the main endpoints in the order a client meets them.
INDEX_DOCS = [("swagger_ui", "swagger-ui"), ("redoc", "redoc"), ("openapi_schema", "schema")]
INDEX_ENDPOINTS = [
    ("register", "users:register"), ("login", "users:login"), ("refresh", "users:refresh"),
    ("me", "users:me"), ("favorites", "users:favorites"), ("my_recommendations", "users:recommendations"),
    ("trending", "movies:trending"), ("recommended", "movies:recommended"), ("search", "movies:search"),
    ("genres", "movies:genres"),
]
INDEX_OPS = [("healthz", "healthz"), ("readyz", "readyz")]


def _links(request, names: list[tuple[str, str]]) -> dict[str, str]:
    return {key: request.build_absolute_uri(reverse(url_name)) for key, url_name in names}


class IndexSerializer(serializers.Serializer):
    title = serializers.CharField()
    version = serializers.CharField()
    description = serializers.CharField()
    docs = serializers.DictField(child=serializers.URLField(), help_text="Swagger UI, ReDoc and the OpenAPI schema.")
    endpoints = serializers.DictField(child=serializers.URLField(), help_text="The main endpoints, by name.")
    operations = serializers.DictField(child=serializers.URLField(), help_text="Health probes.")


class IndexView(OpsView):
    @extend_schema(
        tags=["ops"], summary="API index", operation_id="api_index",
        description="Where to start: links to the interactive docs, the OpenAPI schema and the main "
                    "endpoints. Served at `/` and `/api/`.",
        responses={200: OpenApiResponse(IndexSerializer, examples=[OpenApiExample(
            "index", response_only=True, value={
                "title": "Movie Recommendation Backend API", "version": "1.0.0",
                "description": "Start with the docs: register, log in, then call the endpoints with the token.",
                "docs": {"swagger_ui": "http://127.0.0.1:8000/api/docs/", "redoc": "http://127.0.0.1:8000/api/redoc/",
                         "openapi_schema": "http://127.0.0.1:8000/api/schema/"},
                "endpoints": {"login": "http://127.0.0.1:8000/api/auth/login/",
                              "trending": "http://127.0.0.1:8000/api/movies/trending/"},
                "operations": {"healthz": "http://127.0.0.1:8000/healthz"},
            },
        )])},
    )
    def get(self, request):
        return Response({
            "title": settings.SPECTACULAR_SETTINGS["TITLE"],
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
            "description": "Start with the docs: register, log in, then call the endpoints with the token.",
            "docs": _links(request, INDEX_DOCS),
            "endpoints": _links(request, INDEX_ENDPOINTS),
            "operations": _links(request, INDEX_OPS),
        })
