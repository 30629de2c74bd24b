"""Every path answers errors as JSON in the one shape, without leaking internals."""

import json

import pytest
from django.http import HttpResponseNotAllowed
from django.test import Client, RequestFactory

from movie_backend.middleware import RequestLogMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """A plain Django client that returns 500 responses instead of re-raising the view's exception."""
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", ["/nope", "/api/nope/", "/static/missing.css", "/healthz/extra"])
def test_unknown_path_is_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_path_404_with_debug_on_is_still_json(client, settings):
    settings.DEBUG = True

    response = client.get("/nope")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_disallowed_host_is_json_400(client):
    response = client.get("/healthz", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/api/movies/genres/", "/api/schema/"])
def test_wrong_method_is_json_405_with_allow(client, path):
    response = client.delete(path)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": 'Method "DELETE" not allowed.', "code": "method_not_allowed"}
    assert "GET" in response["Allow"]


def test_405_from_plain_django_response_is_rewritten_as_json():
    """whitenoise answers POST to a static file with a text/plain 405; it must leave as JSON."""
    middleware = RequestLogMiddleware(lambda request: HttpResponseNotAllowed(["GET", "HEAD"]))
    request = RequestFactory().post("/static/app.css")

    response = middleware(request)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "GET, HEAD"
    assert json.loads(response.content) == {"detail": 'Method "POST" not allowed.', "code": "method_not_allowed"}


@pytest.mark.urls("tests.ops.urls_boom")
@pytest.mark.parametrize("path", ["/boom", "/api/boom/"])
def test_crash_is_json_500_without_traceback(client, path, caplog):
    response = client.get(path)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal server error.", "code": "server_error"}
    body = response.content.decode()
    assert "Traceback" not in body
    assert "secret-internal-detail" not in body
    assert "secret-internal-detail" in caplog.text  # the traceback goes to the log instead
