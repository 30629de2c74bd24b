"""The app against a live TMDb-compatible server on 127.0.0.1 (tools/tmdb_stub), over real HTTP."""

import pytest

from tools.tmdb_stub.server import StubServer

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def stub():
    with StubServer(api_key="e2e-key", read_token="e2e-token") as server:
        yield server


@pytest.fixture
def live_tmdb(settings, stub):
    stub.reset()
    settings.TMDB_BASE_URL = stub.base_url
    settings.TMDB_API_KEY = ""
    settings.TMDB_READ_ACCESS_TOKEN = "e2e-token"
    settings.TMDB_BACKOFF_BASE = 0.01
    settings.TMDB_RETRY_BUDGET = 3.0
    settings.TMDB_TIMEOUT = 1.0
    return stub


def test_every_movies_endpoint_answers_from_the_stub(api_client, live_tmdb):
    paths = ["/api/movies/trending/", "/api/movies/trending/?time_window=week&page=2", "/api/movies/recommended/",
             "/api/movies/recommended/?genre=16", "/api/movies/search/?q=matrix", "/api/movies/genres/",
             "/api/movies/603/", "/api/movies/603/recommendations/"]

    responses = {path: api_client.get(path) for path in paths}

    assert {path: r.status_code for path, r in responses.items()} == dict.fromkeys(paths, 200)
    assert responses["/api/movies/603/"].json()["title"] == "The Matrix"
    assert responses["/api/movies/603/"].json()["trailer"]["site"] == "YouTube"
    assert "The Matrix" in [m["title"] for m in responses["/api/movies/search/?q=matrix"].json()["results"]]
    assert all(16 in m["genre_ids"] for m in responses["/api/movies/recommended/?genre=16"].json()["results"])
    assert live_tmdb.request_count("/3/movie/603") == 2  # details (one call) + recommendations


def test_repeated_calls_are_served_from_the_cache(api_client, live_tmdb):
    api_client.get("/api/movies/trending/")
    calls = live_tmdb.request_count()

    assert [api_client.get("/api/movies/trending/")["X-Cache"] for _ in range(3)] == ["HIT"] * 3
    assert live_tmdb.request_count() == calls


def test_stub_outage_gives_503_then_recovers(api_client, live_tmdb):
    live_tmdb.inject_fault(status=503, count=None, path_prefix="/3/movie/550")

    failing = api_client.get("/api/movies/550/")
    live_tmdb.clear_faults()
    recovered = api_client.get("/api/movies/550/")

    assert (failing.status_code, failing.json()["code"], failing["Retry-After"]) == (503, "upstream_unavailable", "30")
    assert recovered.status_code == 200


def test_slow_stub_gives_504_within_the_budget(api_client, live_tmdb, settings):
    settings.TMDB_TIMEOUT = 0.2
    settings.TMDB_RETRY_BUDGET = 0.5
    live_tmdb.inject_fault(delay=1.0, count=None, path_prefix="/3/movie/13")

    response = api_client.get("/api/movies/13/")

    assert (response.status_code, response.json()["code"]) == (504, "upstream_timeout")
    live_tmdb.clear_faults()


def test_rejected_credentials_give_503_misconfigured(api_client, live_tmdb, settings):
    settings.TMDB_READ_ACCESS_TOKEN = "wrong-token"

    response = api_client.get("/api/movies/trending/")

    assert (response.status_code, response.json()["code"]) == (503, "upstream_misconfigured")
