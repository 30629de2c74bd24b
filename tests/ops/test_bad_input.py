"""No input reaches a 500: every malformed body, header or token gets a 4xx in the one error shape."""

import json

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from movie_backend.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from tests.builders import make_user

pytestmark = pytest.mark.django_db

LOGIN, REGISTER, FAVORITES, ME, REFRESH = (
    "/api/auth/login/", "/api/auth/register/", "/api/users/favorites/", "/api/users/me/", "/api/auth/refresh/",
)
TOO_DEEP = {"detail": f"JSON nested deeper than {MAX_JSON_DEPTH} levels.", "code": "nesting_too_deep"}
SURROGATE = {"detail": "JSON string holds an unpaired surrogate (U+D800 to U+DFFF).", "code": "invalid_unicode"}
TOO_LARGE = {"detail": "Request body too large.", "code": "request_too_large"}
BAD_CLAIM = {"detail": "Token contained no recognizable user identification", "code": "token_not_valid"}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def alice():
    return make_user("alice")


def _post(client, path, body: str | bytes, *, token=None, content_type="application/json"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(token)}"} if token else {}
    if isinstance(body, bytes):  # sent as is, whatever charset the content type names
        return client.generic("POST", path, data=body, content_type=content_type, **headers)
    return client.post(path, data=body, content_type=content_type, **headers)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- nesting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 1000, 100_000])
def test_json_nested_too_deep_is_400(client, depth):
    body = '{"username": ' + _nested(depth) + ', "password": "x"}'  # the object itself is one level

    response = _post(client, LOGIN, body)

    assert response.status_code == 400
    assert response.json() == TOO_DEEP


def test_json_nested_to_the_limit_is_parsed(client):
    body = '{"username": ' + _nested(MAX_JSON_DEPTH - 1) + ', "password": "x"}'

    response = _post(client, LOGIN, body)

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid",
                               "errors": {"username": ["Not a valid string."]}}


def test_brackets_inside_strings_do_not_count_as_nesting(client, alice):
    body = json.dumps({"username": "alice", "password": "[{" * 1000 + '\\"[' * 10})

    response = _post(client, LOGIN, body)

    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"


@pytest.mark.parametrize(("text", "limit", "exceeds"), [
    ("[]", 0, True), ("[]", 1, False), ('{"a": [[1]]}', 2, True), ('{"a": [[1]]}', 3, False),
    ('["[[[[", "]]]]"]', 1, False), ('["\\"[[[[" ]', 1, False), ("[]" * 1000, 1, False),
    ("[" * 5 + "]" * 5, 4, True),
])
def test_json_depth_exceeds(text, limit, exceeds):
    assert json_depth_exceeds(text, limit) is exceeds


# --- size ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LOGIN, REGISTER, FAVORITES])
def test_body_over_the_upload_limit_is_413(client, alice, settings, path):
    body = json.dumps({"username": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    response = _post(client, path, body, token=alice if path == FAVORITES else None)

    assert response.status_code == 413
    assert response.json() == TOO_LARGE


def test_body_over_the_upload_limit_outside_drf_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/admin/login/", {"username": "root", "password": "x" * 2000})

    assert response.status_code == 413
    assert response.json() == TOO_LARGE


# --- unicode ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "body"), [
    (LOGIN, '{"username": "\\ud800", "password": "x"}'),
    (LOGIN, '{"username": "alice", "password": "ab\\udfffcd"}'),
    (LOGIN, '{"\\udc00": "alice", "password": "x"}'),
    (REGISTER, '{"username": "bob", "email": "bob@example.com", "password": "\\ud83d-long-Passphrase"}'),
    (REFRESH, '{"refresh": "\\ud800"}'),
])
def test_unpaired_surrogate_is_400(client, path, body):
    response = _post(client, path, body)

    assert response.status_code == 400
    assert response.json() == SURROGATE


def test_surrogate_pair_is_one_character_and_accepted(client, alice):
    response = _post(client, LOGIN, '{"username": "alice", "password": "\\ud83c\\udfac-wrong"}')

    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"


# --- tokens -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", [[1], {"id": 1}, "1 OR 1=1", "", "-1", "1.0", 1.0, True, None, 0, -5, 2**70, "9" * 30])
def test_signed_token_with_a_malformed_user_id_is_401(client, alice, claim):
    token = AccessToken.for_user(alice)
    token["user_id"] = claim

    response = client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response.json() == BAD_CLAIM
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("claim", [[1], {"id": 1}, "1 OR 1=1", True])
def test_signed_refresh_token_with_a_malformed_user_id_is_401(client, alice, claim):
    token = RefreshToken.for_user(alice)
    token["user_id"] = claim

    response = _post(client, REFRESH, json.dumps({"refresh": str(token)}))

    assert response.status_code == 401
    assert response.json() == BAD_CLAIM


@pytest.mark.parametrize("as_text", [True, False])
def test_token_with_the_user_id_as_digits_or_int_still_authenticates(client, alice, as_text):
    token = AccessToken.for_user(alice)
    token["user_id"] = str(alice.id) if as_text else alice.id

    response = client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


# --- passwords ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", [" " * 8, "\t" * 10, " \n \u3000 \u2003 \r\n  "])
def test_whitespace_only_password_is_refused_at_registration(client, password):
    body = json.dumps({"username": "bob", "email": "bob@example.com", "password": password})

    response = _post(client, REGISTER, body)

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid",
                               "errors": {"password": ["This password is entirely whitespace."]}}


def test_whitespace_only_password_is_refused_by_the_admin_password_change(client, settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    root = make_user("root", is_staff=True, is_superuser=True)
    bob = make_user("bob")
    client.force_login(root)

    response = client.post(f"/admin/users/user/{bob.id}/password/",
                           {"password1": " " * 12, "password2": " " * 12, "usable_password": "true"})

    assert response.status_code == 200  # the form again, with the error
    assert response.context["form"].errors == {"password2": ["This password is entirely whitespace."]}
    bob.refresh_from_db()
    assert bob.check_password("correct-Horse-battery-9")


# --- other malformed bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    ('{"movie_id": ' + "9" * 5000 + "}", "application/json", 400, "parse_error"),
    ('{"movie_id": 1e400}', "application/json", 400, "invalid"),
    ('{"movie_id": 99999999999999999999}', "application/json", 400, "invalid"),
    ('{"movie_id": NaN}', "application/json", 400, "parse_error"),
    ('{"movie_id": "1\\u0000"}', "application/json", 400, "invalid"),
    ('[{"movie_id": 1}]', "application/json", 400, "invalid"),
    ('"movie_id"', "application/json", 400, "invalid"),
    ("null", "application/json", 400, "invalid"),
    ("", "application/json", 400, "invalid"),
    (b'{"movie_id": "\xff\xfe"}', "application/json", 400, "parse_error"),
    ("movie_id=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("movie_id=1", "text/plain", 415, "unsupported_media_type"),
])
def test_malformed_bodies_are_4xx(client, alice, body, content_type, status, code):
    response = _post(client, FAVORITES, body, token=alice, content_type=content_type)

    assert response.status_code == status
    assert response.json()["code"] == code


def test_huge_number_message_names_the_limit(client, alice):
    response = _post(client, FAVORITES, '{"movie_id": ' + "9" * 5000 + "}", token=alice)

    assert response.json() == {"detail": "JSON parse error - a number longer than 4300 digits.", "code": "parse_error"}


@pytest.mark.parametrize("query", [
    {"page": "9" * 5000}, {"page": "1e999"}, {"page": "\x00"}, {"page": "-0"}, {"time_window": "\x00"},
])
def test_malformed_query_parameters_are_400(client, query):
    response = client.get("/api/movies/trending/", query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("raw_query", ["page=%ED%A0%80", "page=%FF%FE", "time_window=%ED%A0%80"])
def test_query_parameters_that_are_not_utf8_are_400(client, raw_query):
    response = client.get(f"/api/movies/trending/?{raw_query}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("query", [{"q": "\x00"}, {"q": "a", "year": "9" * 5000}, {"q": "a", "page": "9" * 40}])
def test_malformed_search_parameters_are_400(client, query):
    response = client.get("/api/movies/search/", query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
