"""A database that is down or hung is a 503 `database_unavailable` with Retry-After, never a 500,
and never a hang. The database is really broken (tests/dbfaults.py), nothing of ours is mocked."""

import time

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from tests.builders import make_user
from tests.dbfaults import FreezableProxy, HungServer, closed_port, default_database, postgres_at
from tests.fakes import movie_item

pytestmark = pytest.mark.django_db

DATABASE_UNAVAILABLE = {"detail": "The database is unavailable. Try again later.", "code": "database_unavailable"}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def bearer(db):
    return f"Bearer {AccessToken.for_user(make_user('alice'))}"


def _assert_database_unavailable(response, *, retry_after: str = "5"):
    assert response.status_code == 503
    assert response.json() == DATABASE_UNAVAILABLE
    assert response["Retry-After"] == retry_after  # DB_BREAKER_SECONDS


def test_database_down_is_503_on_an_authenticated_endpoint(client, bearer):
    with default_database(postgres_at(closed_port())):
        response = client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer)

    _assert_database_unavailable(response)


@pytest.mark.parametrize(("path", "body"), [
    ("/api/auth/login/", {"username": "alice", "password": "correct-Horse-battery-9"}),
    ("/api/auth/register/", {"username": "bob", "email": "bob@example.com", "password": "a-long-Passphrase-42"}),
])
def test_database_down_is_503_on_auth_endpoints(client, path, body):
    with default_database(postgres_at(closed_port())):
        response = client.post(path, body, content_type="application/json")

    _assert_database_unavailable(response)


def test_database_down_is_503_on_the_local_catalogue(client):
    with default_database(postgres_at(closed_port())):
        response = client.get("/api/movies/trending/")

    _assert_database_unavailable(response)


def test_database_down_is_503_outside_drf_views(client, settings):
    """The admin's login is a plain Django view: the failure reaches Django's handler500."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with default_database(postgres_at(closed_port())):
        response = client.post("/admin/login/", {"username": "root", "password": "wrong-Password-1"})

    _assert_database_unavailable(response)


def test_database_hung_while_connecting_is_503_within_the_connect_timeout(client, bearer, settings):
    settings.DB_CONNECT_TIMEOUT = 1.0  # under libpq's 2 s minimum: the wait callback enforces it
    with HungServer() as server, default_database(postgres_at(server.port)):
        started = time.monotonic()
        first = client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer)
        first_took = time.monotonic() - started
        started = time.monotonic()
        second = client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer)
        second_took = time.monotonic() - started

    _assert_database_unavailable(first)
    _assert_database_unavailable(second)
    assert 0.9 < first_took < 3.0
    assert second_took < 0.5  # the breaker is open: no second wait on the same hung server


@pytest.mark.slow
def test_database_hung_mid_session_is_503_within_the_statement_deadline_then_recovers(client, bearer, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs the PostgreSQL server of the run to proxy to")
    settings.DB_STATEMENT_TIMEOUT_MS = 500
    settings.DB_BREAKER_SECONDS = 1
    real = connection.settings_dict
    with FreezableProxy(real["HOST"] or "127.0.0.1", int(real["PORT"] or 5432)) as proxy:
        entry = postgres_at(proxy.port, host="127.0.0.1", name=real["NAME"], user=real["USER"])
        with default_database(entry):
            # alice exists only inside the test's transaction, on the other connection: 401 here.
            assert client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer).status_code == 401
            proxy.freeze()  # the established connection now gets no answer, as from a stopped server
            started = time.monotonic()
            hung = client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer)
            took = time.monotonic() - started
            started = time.monotonic()
            while_open = client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer)
            took_while_open = time.monotonic() - started
            proxy.thaw()
            time.sleep(1.1)  # the breaker's interval
            close_old_connections()  # what Django runs at every request's start (the test client does not)
            recovered = client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer)

    _assert_database_unavailable(hung, retry_after="1")
    assert took < 3.0  # the 0.5 s statement deadline plus 1 s grace, not forever
    assert while_open.status_code == 503
    assert took_while_open < 0.5  # the breaker is open: no second wait
    assert recovered.status_code == 401  # answered by the database again (see above), no restart


def test_readyz_503_within_two_seconds_when_database_hangs(client):
    with HungServer() as server, default_database(postgres_at(server.port)):
        started = time.monotonic()
        response = client.get("/readyz")
        took = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "detail": "Not ready: database unavailable.",
        "code": "dependency_unavailable",
        "checks": {"database": "unavailable", "cache": "ok"},
    }
    assert took < 2.0


def test_readyz_503_when_database_is_down(client):
    with default_database(postgres_at(closed_port())):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unavailable", "cache": "ok"}


def test_cache_miss_is_served_when_the_catalogue_upsert_fails(client, tmdb, caplog):
    tmdb.add_list("/trending/movie/day", [movie_item(1, title="Glass Harbor")])

    with default_database(postgres_at(closed_port())):
        response = client.get("/api/movies/trending/")

    assert response.status_code == 200
    assert response["X-Cache"] == "MISS"
    assert [movie["title"] for movie in response.json()["results"]] == ["Glass Harbor"]
    assert "Catalogue not updated: database unavailable" in caplog.text


def test_database_back_again_is_served_without_a_restart(client, bearer):
    with default_database(postgres_at(closed_port())):
        assert client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer).status_code == 503

    response = client.get("/api/users/me/", HTTP_AUTHORIZATION=bearer)

    assert response.status_code == 200
    assert response.json()["username"] == "alice"
