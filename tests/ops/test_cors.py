"""CORS: what a browser on an allowed origin may send and read."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

APP_ORIGIN = "https://app.example.com"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP_ORIGIN]


def test_allowed_origin_can_read_the_api_headers(api_client, allowed_origin):
    response = api_client.get("/api/movies/genres/", HTTP_ORIGIN=APP_ORIGIN)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP_ORIGIN
    exposed = [name.strip() for name in response["Access-Control-Expose-Headers"].split(",")]
    assert exposed == ["Retry-After", "X-Request-ID", "X-Cache", "ETag"]


def test_other_origin_gets_no_cors_headers(api_client, allowed_origin):
    response = api_client.get("/api/movies/genres/", HTTP_ORIGIN="https://evil.example.net")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Expose-Headers" not in response


@pytest.mark.parametrize("origin", [None, APP_ORIGIN, "https://evil.example.net"])
def test_every_answer_varies_by_origin_the_fast_path_and_the_slow_one(api_client, tmdb, allowed_origin, origin):
    """Whether CORS headers are sent depends on Origin, so caches must key on it, even for a request
    without one (movie_backend.middleware.CorsMiddleware skips corsheaders' work for those)."""
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    first = api_client.get("/api/movies/genres/", **headers)  # a miss: the view answers
    second = api_client.get("/api/movies/genres/", **headers)  # a hit: the fast path answers

    for response in (first, second):
        assert response.status_code == 200
        assert "origin" in [v.strip().lower() for v in response["Vary"].split(",")]
        assert response.get("Access-Control-Allow-Origin") == (APP_ORIGIN if origin == APP_ORIGIN else None)
    assert second["X-Cache"] == "HIT"


def _origins_under(env_overrides: dict[str, str]) -> list[str]:
    """CORS_ALLOWED_ORIGINS as settings.py computes it in a fresh process with this environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CORS_ALLOWED_ORIGINS")}
    env.update({"DJANGO_SETTINGS_MODULE": "movie_backend.settings", "DEBUG": "false",
                "SECRET_KEY": "x" * 50, "JWT_SIGNING_KEY": "y" * 50, **env_overrides})
    code = "import json; from django.conf import settings; print(json.dumps(settings.CORS_ALLOWED_ORIGINS))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


DEV_ORIGINS = ["http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:3000", "http://127.0.0.1:3000"]


def test_embedded_default_allows_the_usual_dev_server_origins():
    assert _origins_under({}) == DEV_ORIGINS


def test_a_database_url_means_a_deployment_with_no_origin_unless_listed():
    assert _origins_under({"DATABASE_URL": "postgres://db.example.com/app"}) == []
    assert _origins_under({"DATABASE_URL": "postgres://db.example.com/app",
                           "CORS_ALLOWED_ORIGINS": APP_ORIGIN}) == [APP_ORIGIN]


def test_listing_origins_on_the_embedded_default_replaces_the_dev_ones():
    assert _origins_under({"CORS_ALLOWED_ORIGINS": f"{APP_ORIGIN},http://localhost:8080"}) == [
        APP_ORIGIN, "http://localhost:8080"]


@pytest.mark.parametrize("origin", DEV_ORIGINS)
def test_dev_server_origin_preflight_is_allowed(api_client, settings, origin):
    settings.CORS_ALLOWED_ORIGINS = DEV_ORIGINS  # what the embedded default computes (tests above)

    response = api_client.options("/api/users/me/", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
                                  HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    assert "PATCH" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]
