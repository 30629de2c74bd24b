"""/healthz and /readyz."""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.dbfaults import closed_port, default_database, postgres_at

pytestmark = pytest.mark.django_db


class BrokenCache(LocMemCache):
    """A cache backend whose server is gone: every call fails like a refused Redis connection."""

    def _fail(self, *args, **kwargs):
        raise ConnectionRefusedError("Connection refused (test)")

    get = set = add = delete = get_many = set_many = _fail


def _with_api_cache(settings, cache_config: dict) -> None:
    settings.CACHES = {**settings.CACHES, settings.API_CACHE_ALIAS: cache_config}


def test_healthz_ok_without_touching_database(api_client):
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert len(queries) == 0


def test_healthz_ok_with_cache_down(api_client, settings):
    _with_api_cache(settings, {"BACKEND": "tests.ops.test_probes.BrokenCache"})

    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_ok_when_database_and_cache_answer(api_client):
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_readyz_503_names_cache_when_cache_raises(api_client, settings, caplog):
    _with_api_cache(settings, {"BACKEND": "tests.ops.test_probes.BrokenCache"})

    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "detail": "Not ready: cache unavailable.",
        "code": "dependency_unavailable",
        "checks": {"database": "ok", "cache": "unavailable"},
    }
    assert "Readiness: cache unavailable" in caplog.text


def test_readyz_503_when_redis_port_is_closed(api_client, settings):
    closed_port_cache = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5, "IGNORE_EXCEPTIONS": False},
    }
    # A context manager, not the `settings` fixture: the override must be gone before the autouse
    # fixture clears every configured cache at teardown.
    with override_settings(CACHES={**settings.CACHES, settings.API_CACHE_ALIAS: closed_port_cache}):
        response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable"}


def test_readyz_503_names_database_when_it_is_down(api_client):
    with default_database(postgres_at(closed_port())):  # a real PostgreSQL connection, refused
        response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "detail": "Not ready: database unavailable.",
        "code": "dependency_unavailable",
        "checks": {"database": "unavailable", "cache": "ok"},
    }


def test_probes_are_not_throttled(api_client, settings, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/min"})

    statuses = [api_client.get(path).status_code for path in ("/healthz", "/healthz", "/readyz", "/readyz")]

    assert statuses == [200, 200, 200, 200]


def test_probes_are_not_redirected_to_https(api_client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert api_client.get("/healthz").status_code == 200
    assert api_client.get("/readyz").status_code == 200
    assert api_client.get("/api/movies/genres/").status_code == 301
