"""Issue 10 #8: every schema-valid request is accepted, or the schema states the rule that refuses it."""

import re

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from movies.serializers import MOVIE_GENRE_IDS
from tests.fakes import GENRES

pytestmark = pytest.mark.django_db

REGISTER, REFRESH, LOGOUT, ME = "/api/auth/register/", "/api/auth/refresh/", "/api/auth/logout/", "/api/users/me/"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/?format=json").json()


@pytest.mark.parametrize("token", ["abc\x00def", "\x00", f"{'x' * 20}.\x00.{'y' * 20}"])
def test_refresh_token_with_a_nul_is_an_invalid_token_401(api_client, token):
    response = api_client.post(REFRESH, {"refresh": token}, format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token is invalid", "code": "token_not_valid"}


def test_logout_with_a_nul_in_the_token_is_401(api_client, user):
    access = RefreshToken.for_user(user).access_token

    response = api_client.post(LOGOUT, {"refresh": "abc\x00def"}, format="json", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token is invalid", "code": "token_not_valid"}


def test_schema_states_the_password_is_not_only_digits(schema):
    password = schema["components"]["schemas"]["RegisterInputRequest"]["properties"]["password"]

    assert (password["minLength"], password["maxLength"], password["pattern"]) == (8, 128, "\\D")
    assert re.search(password["pattern"], "12345678") is None
    assert re.search(password["pattern"], "1234567a") is not None


def test_all_digit_password_is_still_refused(api_client):
    response = api_client.post(REGISTER, {"username": "alice", "email": "alice@example.com",
                                          "password": "80417395223"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"password": ["This password is entirely numeric."]}


def test_schema_states_preferred_genres_are_tmdb_genre_ids(schema):
    items = schema["components"]["schemas"]["PatchedMeUpdateRequest"]["properties"]["preferred_genres"]["items"]

    assert items["allOf"] == [{"$ref": "#/components/schemas/GenreIdEnum"}]
    assert schema["components"]["schemas"]["GenreIdEnum"]["enum"] == list(MOVIE_GENRE_IDS)
    # The ids the schema states are exactly the genres TMDb (and the demo catalogue) serve.
    assert sorted(MOVIE_GENRE_IDS) == sorted(genre["id"] for genre in GENRES)


def test_preferred_genre_outside_the_stated_ids_is_400(alice_client):
    response = alice_client.patch(ME, {"preferred_genres": [2147483646]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid",
                               "errors": {"preferred_genres": ["Unknown genre id 2147483646."]}}


@pytest.mark.parametrize("username", [0, 42, 1.5, True])
def test_register_username_must_be_a_json_string(api_client, username):
    response = api_client.post(REGISTER, {"username": username, "email": "n@example.com",
                                          "password": "correct-Horse-battery-9"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"username": ["Not a valid string."]}
