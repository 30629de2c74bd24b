"""
Races the services settle with database constraints, run for real: threads, each with its own
database connection, released together by a barrier (so the requests overlap), against the real
database (PostgreSQL in CI, SQLite by default).
"""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.builders import make_user
from tests.users.conftest import bearer_client
from users.models import User
from users.services import EMAIL_TAKEN, USERNAME_TAKEN

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THREADS = 6


def in_parallel(call, n: int = THREADS) -> list:
    """`call(i)` in n threads started together; their results in order. Each thread closes its own
    database connection (Django opens one per thread)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call(i)
        except Exception as exc:  # reported by the assertion below, not swallowed
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def _answer(response) -> tuple[int, dict]:
    return response.status_code, response.json()


def test_concurrent_refreshes_of_one_token_rotate_it_once():
    refresh = str(RefreshToken.for_user(make_user("alice")))

    answers = in_parallel(lambda i: _answer(APIClient().post(
        "/api/auth/refresh/", {"refresh": refresh}, format="json", REMOTE_ADDR=f"10.1.0.{i}")))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [401] * (THREADS - 1)
    [winner] = [body for status, body in answers if status == 200]
    assert set(winner) == {"access", "refresh"}
    assert [body for status, body in answers if status == 401] == [
        {"detail": "Token is blacklisted", "code": "token_not_valid"}] * (THREADS - 1)
    jti = RefreshToken(winner["refresh"]).payload["jti"]
    assert BlacklistedToken.objects.count() == 1
    assert not BlacklistedToken.objects.filter(token__jti=jti).exists()  # the new token is good


def test_concurrent_registrations_of_one_name_create_one_account():
    answers = in_parallel(lambda i: _answer(APIClient().post(
        "/api/auth/register/",
        {"username": "Neo" if i % 2 else "neo", "email": f"neo{i}@example.com", "password": "a-long-Passphrase-42"},
        format="json", REMOTE_ADDR=f"10.2.0.{i}")))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [400] * (THREADS - 1)
    assert [body for status, body in answers if status == 400] == [
        {"detail": "Invalid input.", "code": "invalid", "errors": {"username": [USERNAME_TAKEN]}}] * (THREADS - 1)
    assert User.objects.filter(username__iexact="neo").count() == 1


def test_concurrent_email_changes_to_one_address_give_it_to_one_user():
    users = [make_user(f"user{i}") for i in range(THREADS)]

    answers = in_parallel(lambda i: _answer(bearer_client(users[i]).patch(
        "/api/users/me/", {"email": "Shared@Example.com" if i % 2 else "shared@example.com"}, format="json")))

    statuses = [status for status, _ in answers]
    assert sorted(statuses) == [200] + [400] * (THREADS - 1)
    assert [body for status, body in answers if status == 400] == [
        {"detail": "Invalid input.", "code": "invalid", "errors": {"email": [EMAIL_TAKEN]}}] * (THREADS - 1)
    winner = users[statuses.index(200)]
    assert list(User.objects.filter(email__iexact="shared@example.com").values_list("pk", flat=True)) == [winner.pk]
    losers = User.objects.exclude(pk=winner.pk).order_by("username")
    assert [u.email for u in losers] == [f"{u.username}@example.com" for u in losers]  # unchanged
