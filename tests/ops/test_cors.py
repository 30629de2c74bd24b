"""CORS: what a browser on an allowed origin may send and read."""


import pytest

pytestmark = pytest.mark.django_db

APP_ORIGIN = "https://app.example.com"


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
