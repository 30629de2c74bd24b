"""RequestLogMiddleware: request ids, one log line per request, nothing secret in it; JSON log format."""

import json
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from movie_backend.logging import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db

REQUEST_LOGGER = "movie_backend.request"


class WhoAmI(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"id": request.user.pk})


def _request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == REQUEST_LOGGER]


def test_request_id_is_generated_and_echoed(api_client, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    response = api_client.get("/healthz")

    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = _request_lines(caplog)
    assert line.request_id == request_id


def test_sane_incoming_request_id_is_honoured(api_client):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.2026:abc_DEF-1")

    assert response["X-Request-ID"] == "lb-7f3a.2026:abc_DEF-1"


@pytest.mark.parametrize("incoming", ["", "bad id with spaces", "x" * 129, "inject\nnewline", "<script>", "-leading"])
def test_insane_incoming_request_id_is_replaced(api_client, incoming):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_id_is_on_error_responses_too(api_client):
    response = api_client.get("/no/such/path", HTTP_X_REQUEST_ID="trace-404")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-404"


def test_one_line_per_request_with_fields_and_no_secrets(api_client, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    api_client.get(
        "/api/movies/search/?q=matrix&api_key=leaked-secret",
        HTTP_AUTHORIZATION="Bearer secret-token-value",
        HTTP_X_REQUEST_ID="req-1",
    )

    [line] = _request_lines(caplog)
    assert (line.method, line.path, line.status, line.request_id, line.user_id, line.error_code) == (
        "GET", "/api/movies/search/", 200, "req-1", None, None,
    )
    assert isinstance(line.duration_ms, float)
    assert line.getMessage().startswith("GET /api/movies/search/ 200 ")
    assert "leaked-secret" not in caplog.text
    assert "secret-token-value" not in caplog.text
    assert "matrix" not in caplog.text


def test_error_code_and_cache_status_are_logged(api_client, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    api_client.get("/api/movies/search/?page=0&q=x")
    api_client.get("/no/such/path")

    bad_page, not_found = _request_lines(caplog)
    assert (bad_page.status, bad_page.error_code, bad_page.cache) == (400, "invalid", None)
    assert (not_found.status, not_found.error_code) == (404, "not_found")
    assert bad_page.getMessage().endswith(" cache=- code=invalid")


def test_cache_status_is_logged(caplog):
    from django.http import JsonResponse
    from django.test import RequestFactory

    from movie_backend.middleware import RequestLogMiddleware

    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    RequestLogMiddleware(lambda request: JsonResponse({}, headers={"X-Cache": "HIT"}))(RequestFactory().get("/x"))

    [line] = _request_lines(caplog)
    assert line.cache == "HIT"


def test_control_characters_in_path_are_escaped(api_client, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    api_client.get("/api/x%0Afake-line")

    [line] = _request_lines(caplog)
    assert line.path == "/api/x%0Afake-line"
    assert "\n" not in line.getMessage()


def test_authenticated_user_id_is_logged(api_client, caplog, settings):
    urlconf = type("urlconf", (), {})
    from django.urls import path

    urlconf.urlpatterns = [path("whoami/", WhoAmI.as_view())]
    settings.ROOT_URLCONF = urlconf
    user = get_user_model().objects.create_user(username="logme", password="x-Long-Passw0rd")
    token = str(RefreshToken.for_user(user).access_token)
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    response = api_client.get("/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    [line] = _request_lines(caplog)
    assert line.user_id == user.pk
    assert f" user={user.pk} " in line.getMessage()
    assert token not in caplog.text


def test_server_errors_log_at_error_level(caplog):
    from django.http import HttpResponseServerError
    from django.test import RequestFactory

    from movie_backend.middleware import RequestLogMiddleware

    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    RequestLogMiddleware(lambda request: HttpResponseServerError("boom"))(RequestFactory().get("/x"))

    [line] = _request_lines(caplog)
    assert line.levelno == logging.ERROR


def test_json_formatter_emits_one_object_with_extras():
    record = logging.LogRecord("movie_backend.request", logging.INFO, __file__, 1, "GET %s 200", ("/healthz",), None)
    record.method, record.path, record.status, record.duration_ms, record.user_id = "GET", "/healthz", 200, 1.5, 7
    RequestIdFilter().filter(record)

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert {key: entry[key] for key in ("level", "logger", "message", "request_id", "method", "path", "status",
                                        "duration_ms", "user_id")} == {
        "level": "INFO", "logger": "movie_backend.request", "message": "GET /healthz 200", "request_id": "-",
        "method": "GET", "path": "/healthz", "status": 200, "duration_ms": 1.5, "user_id": 7,
    }
    assert entry["time"].endswith("+00:00")


def test_json_formatter_includes_exception_on_one_line():
    try:
        raise ValueError("kaput")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    entry = json.loads(JsonFormatter().format(record))

    assert "ValueError: kaput" in entry["exc_info"]
