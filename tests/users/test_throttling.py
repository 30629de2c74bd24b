"""Throttle rates are class attributes read at import: patch the shared rates dict, not settings."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from rest_framework.throttling import SimpleRateThrottle

from tests.builders import make_user

pytestmark = pytest.mark.django_db

LOGIN, REGISTER, REFRESH = "/api/auth/login/", "/api/auth/register/", "/api/auth/refresh/"
PASSWORD = "correct-Horse-battery-9"
NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
THROTTLED = {"detail": "Request was throttled. Expected available in 60 seconds.", "code": "throttled"}


def rates(**overrides):
    return mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, overrides)


def login(api_client, username, password="wrong-password-1", ip="10.0.0.1", **extra):
    return api_client.post(LOGIN, {"username": username, "password": password}, format="json",
                           REMOTE_ADDR=ip, **extra)


@time_machine.travel(NOW, tick=False)
def test_login_429_after_n_failures_even_with_correct_password(api_client):
    make_user("alice")
    with rates(login="3/min", login_username="100/min"):
        failures = [login(api_client, "alice").status_code for _ in range(3)]
        throttled = login(api_client, "alice")
        correct = login(api_client, "alice", PASSWORD)

    assert failures == [401, 401, 401]
    assert throttled.status_code == correct.status_code == 429
    assert throttled.json() == correct.json() == THROTTLED
    assert throttled["Retry-After"] == correct["Retry-After"] == "60"


@time_machine.travel(NOW, tick=False)
def test_login_bucket_resets_after_the_window(api_client):
    make_user("alice")
    with rates(login="2/min", login_username="100/min"):
        for _ in range(2):
            login(api_client, "alice")
        assert login(api_client, "alice", PASSWORD).status_code == 429
        with time_machine.travel(NOW + dt.timedelta(seconds=61), tick=False):
            assert login(api_client, "alice", PASSWORD).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_login_per_username_throttle_across_ips(api_client):
    make_user("alice")
    with rates(login="100/min", login_username="3/min"):
        failures = [login(api_client, "alice", ip=f"10.0.0.{n}").status_code for n in range(1, 4)]
        # Another IP, and the username in another case: same account, same bucket.
        throttled = login(api_client, " ALICE ", PASSWORD, ip="10.0.0.99")
        other_user = login(api_client, "bob", ip="10.0.0.99")

    assert failures == [401, 401, 401]
    assert throttled.status_code == 429
    assert throttled.json() == THROTTLED
    assert throttled["Retry-After"] == "60"
    assert other_user.status_code == 401


@time_machine.travel(NOW, tick=False)
def test_x_forwarded_for_does_not_reset_the_ip_bucket(api_client):
    with rates(login="3/min", login_username="100/min"):
        statuses = [
            login(api_client, f"user{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
        ]

    assert statuses == [401, 401, 401, 429]


@time_machine.travel(NOW, tick=False)
def test_register_throttled_per_ip(api_client):
    with rates(register="2/min"):
        statuses = [
            api_client.post(REGISTER, {"username": f"user{n}", "email": f"user{n}@example.com", "password": PASSWORD},
                            format="json", REMOTE_ADDR="10.0.0.5").status_code
            for n in range(3)
        ]
        other_ip = api_client.post(REGISTER, {"username": "zed", "email": "zed@example.com", "password": PASSWORD},
                                   format="json", REMOTE_ADDR="10.0.0.6")

    assert statuses == [201, 201, 429]
    assert other_ip.status_code == 201


@time_machine.travel(NOW, tick=False)
def test_refresh_throttled(api_client):
    with rates(token_refresh="2/min"):
        statuses = [api_client.post(REFRESH, {"refresh": "x"}, format="json").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


@time_machine.travel(NOW, tick=False)
def test_recommendations_throttled_per_user(client_of):
    alice, bob = make_user("alice"), make_user("bob")
    with rates(recommendations="2/min"):
        statuses = [client_of(alice).get("/api/users/recommendations/").status_code for _ in range(3)]
        bob_status = client_of(bob).get("/api/users/recommendations/").status_code

    assert statuses == [200, 200, 429]
    assert bob_status == 200
