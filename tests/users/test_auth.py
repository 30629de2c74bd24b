import datetime as dt
from unittest.mock import ANY

import jwt
import pytest
import time_machine
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import RefreshToken

from tests.builders import make_user
from users import services
from users.models import Profile, User

pytestmark = pytest.mark.django_db

REGISTER, LOGIN, REFRESH, LOGOUT, ME = "/api/auth/register/", "/api/auth/login/", "/api/auth/refresh/", "/api/auth/logout/", "/api/users/me/"
PASSWORD = "correct-Horse-battery-9"
BAD_LOGIN = {"detail": "No active account found with the given credentials", "code": "no_active_account"}
NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}
TOKEN_NOT_VALID = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}
BLACKLISTED = {"detail": "Token is blacklisted", "code": "token_not_valid"}


def register(api_client, **overrides):
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD, **overrides}
    return api_client.post(REGISTER, body, format="json")


def login(api_client, username="alice", password=PASSWORD, **extra):
    return api_client.post(LOGIN, {"username": username, "password": password}, format="json", **extra)


def me_with(api_client, access):
    return api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")


# --- register -----------------------------------------------------------------------------------------


def test_register_creates_user_profile_and_tokens(api_client):
    response = register(api_client)

    user = User.objects.get(username="alice")
    assert response.status_code == 201
    assert response.json() == {
        "user": {"id": user.id, "username": "alice", "email": "alice@example.com"}, "access": ANY, "refresh": ANY,
    }
    assert user.check_password(PASSWORD)
    assert Profile.objects.filter(user=user).exists()
    assert me_with(api_client, response.json()["access"]).json()["username"] == "alice"


def test_register_ignores_mass_assignment(api_client):
    response = register(api_client, is_staff=True, is_superuser=True, id=999)

    assert response.status_code == 201
    user = User.objects.get(username="alice")
    assert (user.is_staff, user.is_superuser, user.id == 999) == (False, False, False)


def test_register_taken_username_and_email_any_case(api_client):
    make_user("alice", email="alice@example.com")

    response = register(api_client, username="ALICE", email="Alice@Example.COM")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.", "code": "invalid",
        "errors": {"username": ["A user with that username already exists."],
                   "email": ["A user with that email address already exists."]},
    }


def test_register_weak_password(api_client):
    response = register(api_client, password="12345678")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.", "code": "invalid",
        "errors": {"password": ["This password is too common.", "This password is entirely numeric."]},
    }
    assert not User.objects.exists()


def test_register_password_similar_to_username(api_client):
    response = register(api_client, username="bartholomew", email="b@example.com", password="bartholomew1")

    assert response.status_code == 400
    assert response.json()["errors"] == {"password": ["The password is too similar to the username."]}


def test_register_bad_email_and_missing_fields(api_client):
    response = api_client.post(REGISTER, {"username": "bob", "email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.", "code": "invalid",
        "errors": {"email": ["Enter a valid email address."], "password": ["This field is required."]},
    }


# --- login --------------------------------------------------------------------------------------------


def test_login_by_username_and_by_email_any_case(api_client):
    make_user("alice", email="alice@example.com")

    for identifier in ("alice", "ALICE", "alice@example.com", "Alice@Example.com"):
        response = login(api_client, identifier)
        assert response.status_code == 200, identifier
        assert response.json() == {"access": ANY, "refresh": ANY}
        assert me_with(api_client, response.json()["access"]).status_code == 200


def test_login_unknown_user_and_wrong_password_same_401(api_client):
    make_user("alice")

    wrong_password = login(api_client, "alice", "wrong-password-1")
    unknown_user = login(api_client, "nobody", PASSWORD)

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json() == BAD_LOGIN
    assert wrong_password["WWW-Authenticate"] == unknown_user["WWW-Authenticate"] == 'Bearer realm="api"'


def test_login_inactive_user_401(api_client):
    make_user("alice", is_active=False)

    response = login(api_client)

    assert response.status_code == 401
    assert response.json() == BAD_LOGIN


def test_login_records_last_login(api_client):
    user = make_user("alice")
    assert user.last_login is None

    response = login(api_client, "alice@example.com")

    user.refresh_from_db()
    assert response.status_code == 200
    assert user.last_login is not None


def test_user_login_service_returns_a_working_pair_or_raises_no_active_account():
    make_user("alice")

    tokens = services.user_login(request=None, username="ALICE", password=PASSWORD)
    with pytest.raises(AuthenticationFailed) as raised:
        services.user_login(request=None, username="alice", password="wrong-password-1")

    assert set(tokens) == {"access", "refresh"}
    assert RefreshToken(tokens["refresh"])["user_id"] == str(User.objects.get(username="alice").pk)
    assert (str(raised.value.detail), raised.value.get_codes()) == (BAD_LOGIN["detail"], BAD_LOGIN["code"])


def test_login_missing_password_400(api_client):
    response = api_client.post(LOGIN, {"username": "alice"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid",
                               "errors": {"password": ["This field is required."]}}


# --- protected endpoints and token validation ---------------------------------------------------------


def test_protected_endpoint_without_token_401_with_www_authenticate(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_garbage_token_401(api_client):
    response = me_with(api_client, "not.a.jwt")

    assert response.status_code == 401
    assert response.json() == TOKEN_NOT_VALID
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_refresh_token_used_as_access_401(api_client, user):
    response = me_with(api_client, str(RefreshToken.for_user(user)))

    assert response.status_code == 401
    assert response.json() == TOKEN_NOT_VALID


def test_token_signed_with_other_key_401(api_client, user):
    token = RefreshToken.for_user(user).access_token
    forged = jwt.encode(token.payload, "another-signing-key-of-enough-length-0123456789", algorithm="HS256")

    response = me_with(api_client, forged)

    assert response.status_code == 401
    assert response.json() == TOKEN_NOT_VALID


def test_expired_access_token_401(api_client, user):
    access = str(RefreshToken.for_user(user).access_token)
    assert me_with(api_client, access).status_code == 200

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        response = me_with(api_client, access)

    assert response.status_code == 401
    assert response.json() == TOKEN_NOT_VALID


# --- refresh ------------------------------------------------------------------------------------------


def test_refresh_rotates_and_old_token_stops_working(api_client, user):
    old = str(RefreshToken.for_user(user))

    first = api_client.post(REFRESH, {"refresh": old}, format="json")
    reuse = api_client.post(REFRESH, {"refresh": old}, format="json")

    assert first.status_code == 200
    assert first.json() == {"access": ANY, "refresh": ANY}
    assert first.json()["refresh"] != old
    assert me_with(api_client, first.json()["access"]).status_code == 200
    assert reuse.status_code == 401
    assert reuse.json() == BLACKLISTED
    assert reuse["WWW-Authenticate"] == 'Bearer realm="api"'
    # The rotated token works, once.
    second = api_client.post(REFRESH, {"refresh": first.json()["refresh"]}, format="json")
    assert second.status_code == 200


def test_refresh_with_access_token_401(api_client, user):
    response = api_client.post(REFRESH, {"refresh": str(RefreshToken.for_user(user).access_token)}, format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token has wrong type", "code": "token_not_valid"}


def test_refresh_expired_401(api_client, user):
    refresh = str(RefreshToken.for_user(user))

    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        response = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_of_deleted_user_401(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    user.delete()

    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found for the given token.", "code": "no_active_account"}


def test_refresh_missing_body_400(api_client):
    response = api_client.post(REFRESH, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid",
                               "errors": {"refresh": ["This field is required."]}}


# --- logout -------------------------------------------------------------------------------------------


def test_logout_revokes_refresh_token(api_client, user):
    refresh = RefreshToken.for_user(user)

    response = api_client.post(LOGOUT, {"refresh": str(refresh)}, format="json",
                               HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    reuse = api_client.post(REFRESH, {"refresh": str(refresh)}, format="json")

    assert response.status_code == 204
    assert response.content == b""
    assert reuse.status_code == 401
    assert reuse.json() == BLACKLISTED


def test_logout_without_auth_401(api_client, user):
    response = api_client.post(LOGOUT, {"refresh": str(RefreshToken.for_user(user))}, format="json")

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_logout_with_someone_elses_refresh_401_and_token_untouched(api_client, user):
    bob_refresh = str(RefreshToken.for_user(make_user("bob")))

    response = api_client.post(LOGOUT, {"refresh": bob_refresh}, format="json",
                               HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token is invalid", "code": "token_not_valid"}
    assert api_client.post(REFRESH, {"refresh": bob_refresh}, format="json").status_code == 200


def test_full_flow_register_login_refresh_logout(api_client):
    assert register(api_client).status_code == 201
    tokens = login(api_client).json()
    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").json()

    logout = api_client.post(LOGOUT, {"refresh": rotated["refresh"]}, format="json",
                             HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")

    assert logout.status_code == 204
    assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}, format="json").status_code == 401
