"""The served OpenAPI schema documents every error an operation can give, in the one error shape."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ERROR_REFS = {"#/components/schemas/Error", "#/components/schemas/ValidationError"}
UNTHROTTLED = {("/healthz", "get"), ("/readyz", "get"), ("/api/", "get")}  # ops views: probes and the index
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def schema(api_client):
    return json.loads(api_client.get("/api/schema/?format=json").content)


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def _requires_auth(operation) -> bool:
    security = operation.get("security", [])
    return bool(security) and {} not in security


def test_every_error_response_uses_the_error_component(schema):
    wrong = [
        (method, path, status)
        for path, method, operation in _operations(schema)
        for status, response in operation["responses"].items()
        if status.startswith(("4", "5")) and not (path == "/readyz" and status == "503")
        and response["content"]["application/json"]["schema"].get("$ref") not in ERROR_REFS
    ]

    assert wrong == []


def test_every_throttled_operation_documents_429_with_retry_after(schema):
    missing = [
        (method, path)
        for path, method, operation in _operations(schema)
        if (path, method) not in UNTHROTTLED
        and "Retry-After" not in operation["responses"].get("429", {}).get("headers", {})
    ]

    assert missing == []


def test_every_protected_operation_documents_401_with_www_authenticate(schema):
    protected = [(path, method, op) for path, method, op in _operations(schema) if _requires_auth(op)]
    missing = [
        (method, path) for path, method, op in protected
        if "WWW-Authenticate" not in op["responses"].get("401", {}).get("headers", {})
    ]

    assert missing == []
    assert all(op["security"] == [{"jwtAuth": []}] for _, _, op in protected)


def test_every_operation_with_a_body_documents_400_and_415(schema):
    missing = [
        (method, path)
        for path, method, operation in _operations(schema)
        if "requestBody" in operation and not {"400", "415"} <= set(operation["responses"])
    ]

    assert missing == []


def test_every_operation_with_a_body_documents_413(schema):
    missing = [
        (method, path) for path, method, operation in _operations(schema)
        if "requestBody" in operation and operation["responses"].get("413", {}).get("content", {})
        .get("application/json", {}).get("examples", {}).get("RequestTooLarge", {}).get("value")
        != {"detail": "Request body too large.", "code": "request_too_large"}
    ]

    assert missing == []


def test_every_operation_but_the_probes_documents_database_unavailable_with_retry_after(schema):
    documented = {
        (method, path): operation["responses"].get("503", {})
        for path, method, operation in _operations(schema)
    }
    missing = [
        key for key, response in documented.items()
        if key[1] not in ("/healthz", "/readyz", "/api/")  # the probes and the index touch no database
        and not (
            "database_unavailable" in response.get("description", "")
            and response["content"]["application/json"]["examples"]["DatabaseUnavailable"]["value"]
            == {"detail": "The database is unavailable. Try again later.", "code": "database_unavailable"}
            and "Retry-After" in response.get("headers", {})
        )
    ]

    assert len(documented) > 10
    assert missing == []


def test_path_parameters_imply_404_and_query_parameters_400(schema):
    missing = [
        (method, path, status)
        for path, method, operation in _operations(schema)
        for status, applies in (
            ("404", "{" in path),
            ("400", any(p["in"] == "query" for p in operation.get("parameters", []))),
        )
        if applies and status not in operation["responses"]
    ]

    assert missing == []


def test_upstream_reads_document_x_cache(schema):
    detail = schema["paths"]["/api/movies/{movie_id}/"]["get"]["responses"]

    assert detail["200"]["headers"]["X-Cache"]["schema"] == {"type": "string", "enum": ["HIT", "MISS", "STALE"]}
    assert "Retry-After" in detail["503"]["headers"]
    assert "headers" not in schema["paths"]["/readyz"]["get"]["responses"]["503"]


def test_movie_id_path_parameter_is_a_positive_int32(schema):
    [parameter] = [p for p in schema["paths"]["/api/movies/{movie_id}/"]["get"]["parameters"] if p["in"] == "path"]

    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2147483647, "example": 603}


def test_ops_probes_are_documented_without_auth(schema):
    healthz = schema["paths"]["/healthz"]["get"]
    readyz = schema["paths"]["/readyz"]["get"]

    assert (healthz["tags"], healthz["security"], set(healthz["responses"])) == (["ops"], [{}], {"200"})
    assert (readyz["tags"], readyz["security"], set(readyz["responses"])) == (["ops"], [{}], {"200", "503"})


def test_jwt_bearer_scheme_is_declared(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
    }


@pytest.mark.slow
def test_spectacular_validate_fail_on_warn_passes():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull],
        cwd=REPO, capture_output=True, text=True, check=False,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_check_deploy_passes_with_production_environment():
    env = {
        **os.environ,
        "DEBUG": "false", "SECRET_KEY": "s" * 20 + "a-long-production-secret-key-0123456789",
        "JWT_SIGNING_KEY": "j" * 20 + "a-long-production-jwt-key-0123456789",
        "ALLOWED_HOSTS": "api.example.com", "SECURE_PROXY_SSL": "true", "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true", "SESSION_COOKIE_SECURE": "true", "CSRF_COOKIE_SECURE": "true",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )

    assert result.returncode == 0, result.stderr


def test_not_blank_pattern_rejects_exactly_what_drf_trims_to_blank():
    import re

    from movie_backend.schema import NOT_BLANK_PATTERN

    whitespace = [chr(code) for code in range(0x110000) if chr(code).isspace()]

    assert [ch for ch in whitespace if re.search(NOT_BLANK_PATTERN, ch)] == []
    assert re.search(NOT_BLANK_PATTERN, "  x  ")


def test_trimmed_request_strings_document_the_not_blank_pattern(schema):
    from movie_backend.schema import NOT_BLANK_PATTERN

    [q] = [p for p in schema["paths"]["/api/movies/search/"]["get"]["parameters"] if p["name"] == "q"]

    assert q["schema"]["pattern"] == NOT_BLANK_PATTERN


HTTP_CACHED_GETS = {
    "/api/movies/trending/", "/api/movies/recommended/", "/api/movies/search/", "/api/movies/genres/",
    "/api/movies/{movie_id}/", "/api/movies/{movie_id}/recommendations/",
    "/api/users/me/", "/api/users/favorites/", "/api/users/not-interested/", "/api/users/recommendations/",
}


def test_http_cached_reads_document_304_etag_and_if_none_match(schema):
    documented = {
        path for path, method, operation in _operations(schema)
        if method == "get" and "304" in operation["responses"]
        and {"ETag", "Cache-Control", "Vary"} <= set(operation["responses"]["304"]["headers"])
        and {"ETag", "Cache-Control", "Vary"} <= set(operation["responses"]["200"]["headers"])
        and any(p["in"] == "header" and p["name"] == "If-None-Match" for p in operation["parameters"])
    }

    assert documented == HTTP_CACHED_GETS
