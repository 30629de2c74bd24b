"""Answers under TMDb faults: one deadline per request shared by every call of an answer, single flight
for multi-call answers, the TMDb breaker, stale first. Over real HTTP against tools/tmdb_stub (hangs
need real sockets and timeouts), or against `responses` where the clock matters more than the wire."""

import datetime as dt
import json
import threading
import time

import pytest
import time_machine
from django.db import connections
from django.test import Client

from movie_backend import cache as api_cache
from movie_backend import resilience
from tests.fakes import list_body, movie_item
from tools.tmdb_stub.server import StubServer

TMDB_LISTS = ("/3/movie/", "/3/discover/")


@pytest.fixture(scope="module")
def stub():
    with StubServer(api_key="resilience-key", read_token="resilience-token") as server:
        yield server


@pytest.fixture
def live_tmdb(settings, stub):
    """TMDb = the stub, with the request deadline (1 s) as the only bound on a hung call."""
    stub.reset()
    settings.TMDB_BASE_URL = stub.base_url
    settings.TMDB_API_KEY = ""
    settings.TMDB_READ_ACCESS_TOKEN = "resilience-token"
    settings.TMDB_BACKOFF_BASE = 0.01
    settings.TMDB_TIMEOUT = 5.0
    settings.TMDB_RETRY_BUDGET = 10.0
    settings.TMDB_MAX_REQUESTS_PER_SECOND = 0
    settings.REQUEST_DEADLINE = 1.0
    Client().get("/api/movies/trending/")  # reference data (genres, image configuration) in place
    stub.reset_requests()
    yield stub
    stub.clear_faults()


def list_calls(stub) -> int:
    return sum(stub.request_count(prefix) for prefix in TMDB_LISTS)


def timed(path):
    started = time.monotonic()
    response = Client().get(path)
    connections.close_all()
    return response, time.monotonic() - started


def concurrently(count, target):
    results = [None] * count
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait()
        results[index] = target()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_tmdb_hung_identical_multi_call_requests_make_one_call_and_504_within_the_deadline(live_tmdb):
    live_tmdb.inject_fault(delay=3.0, count=None)

    results = concurrently(4, lambda: timed("/api/movies/recommended/?genre=53"))

    assert [(r.status_code, r.json()["code"]) for r, _ in results] == [(504, "upstream_timeout")] * 4
    assert max(elapsed for _, elapsed in results) < 1.0 + api_cache._HOLDER_GRACE + 0.5
    assert list_calls(live_tmdb) == 1  # one fetch in flight; its later calls had no time left


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_slow_tmdb_multi_call_answer_shares_one_deadline_and_answers_with_what_it_has(live_tmdb):
    live_tmdb.inject_fault(delay=0.4, count=None)  # 6 lists x 0.4 s would take 2.4 s

    response, elapsed = timed("/api/movies/recommended/")

    assert (response.status_code, response["X-Cache"]) == (200, "MISS")
    assert response.json()["results"] != []
    assert elapsed < 1.0 + 0.5
    assert 2 <= list_calls(live_tmdb) <= 3  # ~1 s of 0.4 s calls: the rest were never made


@pytest.mark.django_db
def test_tmdb_breaker_open_answers_503_at_once_then_probes_and_closes(api_client, tmdb, settings, monkeypatch):
    settings.TMDB_BREAKER_FAILURES = 2
    clock = [1000.0]
    monkeypatch.setattr(resilience.tmdb_breaker, "clock", lambda: clock[0])
    tmdb.add_error("/movie/550", 500)
    tmdb.add_details(13)

    failing = api_client.get("/api/movies/550/")
    refused = api_client.get("/api/movies/13/")
    calls_while_open = len(tmdb.upstream_calls("/movie/13"))
    clock[0] += 1.0  # the first open interval (BREAKER_OPEN_MIN) is over: one probe goes through
    probe = api_client.get("/api/movies/13/")

    assert failing.status_code == 503
    assert (refused.status_code, refused.json()["code"], refused["Retry-After"]) == (503, "upstream_unavailable", "1")
    assert calls_while_open == 0
    assert (probe.status_code, probe.json()["id"]) == (200, 13)
    assert resilience.tmdb_breaker.state == resilience.CLOSED


@pytest.mark.django_db(transaction=True)
def test_expired_answer_is_served_stale_at_once_while_tmdb_fails_then_refreshed_once(tmdb, settings):
    tmdb.add_list("/trending/movie/day", [movie_item(1)])
    Client().get("/api/movies/trending/")
    tmdb.add_error("/movie/550", 500)
    Client().get("/api/movies/550/")  # TMDb is failing: its breaker has seen failures

    def slow_new_list(request):
        time.sleep(0.5)
        return 200, {}, json.dumps(list_body([movie_item(2)]))

    tmdb.remove(tmdb.GET, tmdb.url("/trending/movie/day"))
    tmdb.add_callback("GET", tmdb.url("/trending/movie/day"), callback=slow_new_list)

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=settings.CACHE_TTL_TRENDING + 1)):
        results = concurrently(3, lambda: timed("/api/movies/trending/"))
        assert api_cache.wait_for_background_refreshes(timeout=5)
        after = Client().get("/api/movies/trending/")

    assert [(r.status_code, r["X-Cache"], r.json()["results"][0]["id"]) for r, _ in results] == [(200, "STALE", 1)] * 3
    assert max(elapsed for _, elapsed in results) < 0.5  # nobody waited for TMDb
    assert len(tmdb.upstream_calls("/trending/")) == 2  # the first fill and ONE background refresh
    assert (after["X-Cache"], after.json()["results"][0]["id"]) == ("HIT", 2)


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_tmdb_hung_personal_recommendations_answer_from_local_signals_within_the_deadline(live_tmdb):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from tests.builders import make_movie, make_user
    from users.models import Favorite

    alice, bob = make_user("alice"), make_user("bob")
    seeds = [make_movie(id=n, title=f"Seed {n}", genres=(18,)) for n in (348, 949, 603)]
    liked_by_fans = make_movie(id=7, title="Liked by fans", genres=(18,))
    for movie in seeds:
        Favorite.objects.create(user=alice, movie=movie)
    Favorite.objects.create(user=bob, movie=seeds[0])
    Favorite.objects.create(user=bob, movie=liked_by_fans)
    live_tmdb.inject_fault(delay=3.0, count=None)

    started = time.monotonic()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(alice).access_token}")
    response = client.get("/api/users/recommendations/")
    elapsed = time.monotonic() - started

    assert (response.status_code, response["X-Cache"]) == (200, "MISS")
    assert response.json()["results"][0]["id"] == 7  # co-favorites still count
    assert elapsed < 1.0 + 0.5
    assert live_tmdb.request_count("/3/movie/") == 1  # the first seed's list; no time for the others


def after_ttl(settings):
    return time_machine.travel(
        dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=settings.CACHE_TTL_RECOMMENDATIONS + 1))


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_tmdb_newly_hung_an_expired_copy_is_served_within_the_stale_wait(live_tmdb, settings):
    settings.REQUEST_DEADLINE = 5.0
    first, _ = timed("/api/movies/recommended/")
    live_tmdb.reset_requests()
    live_tmdb.inject_fault(delay=10.0, count=None)

    with after_ttl(settings):
        response, elapsed = timed("/api/movies/recommended/")

    assert resilience.tmdb_breaker.state == resilience.CLOSED  # nothing told us TMDb was down before
    assert (response.status_code, response["X-Cache"]) == (200, "STALE")
    assert response.json() == first.json()
    assert elapsed < settings.CACHE_STALE_WAIT + 1.0
    assert list_calls(live_tmdb) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_slow_refresh_of_a_multi_call_answer_serves_the_copy_and_finishes_in_the_background(live_tmdb, settings):
    settings.REQUEST_DEADLINE = 5.0
    first, _ = timed("/api/movies/recommended/")
    live_tmdb.reset_requests()
    live_tmdb.inject_fault(delay=0.4, count=None)  # 6 lists: 2.4 s, more than CACHE_STALE_WAIT (0.5 s)

    with after_ttl(settings):
        response, elapsed = timed("/api/movies/recommended/")
        assert api_cache.wait_for_background_refreshes(timeout=10)
        after, _ = timed("/api/movies/recommended/")

    assert (response.status_code, response["X-Cache"], elapsed < settings.CACHE_STALE_WAIT + 1.0) == (200, "STALE", True)
    assert (after["X-Cache"], after.json()) == ("HIT", first.json())  # the whole list again, not a part
    assert list_calls(live_tmdb) >= 2 + 6  # the cut-short refresh, then all six lists in the background
