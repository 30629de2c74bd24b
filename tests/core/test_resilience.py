"""The request deadline, the circuit breaker, and the API cache and rate limits against a hung or dead Redis."""

import socket
import threading
import time

import pytest
from django.core.cache import caches
from django.test import override_settings
from prometheus_client import REGISTRY

from movie_backend import cache as api_cache
from movie_backend import resilience
from movie_backend.cache import HIT, MISS, cached_call
from movie_backend.resilience import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, deadline_scope, time_left
from tests.fakes import movie_item


class Clock:
    """A hand-moved monotonic clock for breakers."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


def breaker(clock, threshold=3):
    return CircuitBreaker("unit", threshold=threshold, open_min=1.0, open_max=4.0, clock=clock)


# --- the breaker --------------------------------------------------------------------------------------


def test_breaker_opens_after_threshold_consecutive_failures(clock):
    unit = breaker(clock)

    for _ in range(2):
        unit.record_failure()
    still_closed = (unit.state, unit.allow())
    unit.record_failure()

    assert still_closed == (CLOSED, True)
    assert (unit.state, unit.allow(), unit.retry_after()) == (OPEN, False, 1)


def test_breaker_success_resets_the_count_of_consecutive_failures(clock):
    unit = breaker(clock)

    unit.record_failure()
    unit.record_failure()
    unit.record_success()
    unit.record_failure()
    unit.record_failure()

    assert (unit.state, unit.troubled()) == (CLOSED, True)


def test_breaker_half_open_lets_one_probe_through_and_closes_on_success(clock):
    unit = breaker(clock, threshold=1)
    unit.record_failure()
    clock.advance(1.0)

    states = [unit.state]
    first, second = unit.allow(), unit.allow()
    unit.record_success()

    assert states == [HALF_OPEN]
    assert (first, second) == (True, False)
    assert (unit.state, unit.allow(), unit.troubled()) == (CLOSED, True, False)


def test_breaker_failed_probe_reopens_for_twice_as_long_up_to_the_maximum(clock):
    unit = breaker(clock, threshold=1)
    unit.record_failure()
    intervals = []
    for _ in range(4):
        opened_at = clock.now
        while unit.state == OPEN:
            clock.advance(0.5)
        intervals.append(clock.now - opened_at)
        assert unit.allow() is True  # the probe
        unit.record_failure()

    assert intervals == [1.0, 2.0, 4.0, 4.0]


def test_breaker_probe_that_never_reports_back_is_replaced(clock):
    unit = breaker(clock, threshold=1)
    unit.record_failure()
    clock.advance(1.0)
    assert unit.allow() is True

    clock.advance(4.5)  # longer than open_max: that probe is lost

    assert unit.allow() is True



def test_database_breaker_opens_on_one_timeout_for_db_breaker_seconds_then_lets_every_wait_through(
    clock, settings, monkeypatch
):
    settings.DB_BREAKER_SECONDS = 5
    unit = resilience.database_breaker
    monkeypatch.setattr(unit, "clock", clock)
    unit.record_failure()  # a wait ran out its deadline (movie_backend.db)
    while_open = (unit.rejecting(), unit.retry_after())
    clock.advance(5.0)

    after = [unit.rejecting() for _ in range(3)]  # no single probe: every wait goes through
    unit.record_failure()  # the server still hangs
    reopened = (unit.rejecting(), unit.retry_after())

    assert while_open == (True, 5)
    assert after == [False, False, False]
    assert reopened == (True, 5)  # the same interval again, not a doubled one


def test_database_breaker_answer_while_open_leaves_it_open_and_the_first_after_closes_it(
    clock, settings, monkeypatch
):
    settings.DB_BREAKER_SECONDS = 5
    unit = resilience.database_breaker
    monkeypatch.setattr(unit, "clock", clock)
    unit.record_failure()

    unit.record_success(unless_open=True)  # a query that began before the breaker opened
    still_open = unit.state
    clock.advance(5.0)
    unit.record_success(unless_open=True)

    assert still_open == OPEN
    assert (unit.state, unit.rejecting(), unit.troubled()) == (CLOSED, False, False)


# --- the deadline -------------------------------------------------------------------------------------


def test_deadline_scope_never_extends_an_enclosing_deadline():
    with deadline_scope(1.0):
        with deadline_scope(60.0):
            inner = time_left(99.0)
        outer = time_left(99.0)

    assert 0.9 < inner <= 1.0
    assert 0.9 < outer <= 1.0
    assert time_left(99.0) == 99.0


def test_requests_run_under_the_request_deadline(settings):
    settings.REQUEST_DEADLINE = 3.0
    seen = []
    middleware = resilience.RequestDeadlineMiddleware(lambda request: seen.append(time_left(99.0)))

    middleware(object())

    assert 2.9 < seen[0] <= 3.0


# --- Redis hung or dead -------------------------------------------------------------------------------


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections, reads what it is sent and never answers:
    a hung Redis. Counts the connections and bytes it received."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self.received = 0
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    def _drain(self, conn: socket.socket) -> None:
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.received += len(data)

    def close(self) -> None:
        self._listener.close()
        for conn in self._open:
            conn.close()


def redis_caches(location: str, *, timeout: float = 0.1) -> dict:
    options = {"SOCKET_CONNECT_TIMEOUT": timeout, "SOCKET_TIMEOUT": timeout, "IGNORE_EXCEPTIONS": False,
               "SERIALIZER": "django_redis.serializers.json.JSONSerializer"}
    return {alias: {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, "OPTIONS": options}
            for alias in ("default", "api")}


@pytest.fixture
def hung_redis():
    server = SilentServer()
    # Restored before the autouse cache fixture tears down (it clears every cache).
    with override_settings(CACHES=redis_caches(f"redis://127.0.0.1:{server.port}/0")):
        yield server
    server.close()
    api_cache.backend.reset()


@pytest.fixture
def dead_redis():
    with override_settings(CACHES=redis_caches("redis://127.0.0.1:1/0")):  # nothing listens on port 1
        yield
    api_cache.backend.reset()


def timed_get(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


@pytest.mark.django_db
def test_hung_redis_costs_one_request_one_timeout_then_nothing(api_client, tmdb, hung_redis):
    tmdb.add_list("/trending/movie/day", [movie_item(1)])

    first, first_time = timed_get(api_client, "/api/movies/trending/")
    contacts = (hung_redis.connections, hung_redis.received)
    later = [timed_get(api_client, "/api/movies/trending/") for _ in range(5)]

    assert (first.status_code, first["X-Cache"]) == (200, MISS)
    assert contacts[0] == 1 and contacts[1] > 0  # the one command that timed out
    assert first_time < 0.1 + 0.9  # one 100 ms socket timeout (plus a loaded machine's slack)
    assert [(r.status_code, r["X-Cache"]) for r, _ in later] == [(200, HIT)] * 5
    assert (hung_redis.connections, hung_redis.received) == contacts  # breaker open: Redis left alone
    assert max(t for _, t in later) < 0.1  # and no timeout paid any more
    assert len(tmdb.upstream_calls("/trending/")) == 1  # hot answers kept in process


@pytest.mark.django_db
def test_redis_dead_in_process_cache_serves_hot_answers(api_client, tmdb, dead_redis, caplog):
    tmdb.add_list("/trending/movie/day", [movie_item(1)])

    answers = [api_client.get("/api/movies/trending/") for _ in range(3)]

    assert [(r.status_code, r["X-Cache"]) for r in answers] == [(200, MISS), (200, HIT), (200, HIT)]
    assert [r.json()["results"][0]["id"] for r in answers] == [1, 1, 1]
    assert len(tmdb.upstream_calls("/trending/")) == 1
    assert "Circuit redis open" in caplog.text  # the first Redis call (the throttles' round trip) opened it


@pytest.mark.django_db
def test_redis_dead_fast_path_serves_hot_answers_from_this_process(api_client, tmdb, dead_redis):
    """With Redis gone the fast path keeps working from the process's own response copies: the
    repeats are answered before the view runs (counted as kind `response`), as fast as with Redis."""
    tmdb.add_list("/trending/movie/day", [movie_item(1)])

    def fast_path_hits():
        return REGISTRY.get_sample_value("movie_backend_cache_lookups_total", {"kind": "response", "result": "hit"}) or 0.0

    before = fast_path_hits()
    first = api_client.get("/api/movies/trending/")
    repeats = [api_client.get("/api/movies/trending/") for _ in range(3)]

    assert resilience.redis_breaker.state != CLOSED  # Redis really was unreachable
    assert (first.status_code, first["X-Cache"]) == (200, MISS)
    assert [(r.status_code, r["X-Cache"], r.content) for r in repeats] == [(200, HIT, first.content)] * 3
    assert fast_path_hits() - before == 3
    assert len(tmdb.upstream_calls("/trending/")) == 1


def test_rate_limits_fail_open_while_redis_is_hung(hung_redis, rf):
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from movie_backend.throttling import AnonRateThrottle

    def allowed():
        return AnonRateThrottle().allow_request(Request(rf.get("/", REMOTE_ADDR="10.0.0.9")), APIView())

    started = time.monotonic()
    results = [allowed() for _ in range(20)]
    elapsed = time.monotonic() - started

    assert results == [True] * 20
    assert hung_redis.connections == 1
    assert elapsed < 0.1 + 0.9


def test_redis_recovers_without_a_restart(dead_redis, clock, monkeypatch):
    monkeypatch.setattr(resilience.redis_breaker, "clock", clock)
    during = cached_call("unit", {}, ttl=60, fetch=lambda: "during the outage")

    with override_settings(CACHES=redis_caches("redis://127.0.0.1:1/0")):
        still_open = cached_call("unit", {"n": 2}, ttl=60, fetch=lambda: "still local")
    clock.advance(1.0)  # the breaker's first interval is over: the next call probes Redis
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                                   "api": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                           "LOCATION": "recovered"}}):
        after = cached_call("unit", {"n": 3}, ttl=60, fetch=lambda: "shared again")
        stored = caches["api"].get(api_cache.make_key("unit", {"n": 3}))

    assert (during.status, still_open.status, after.status) == (MISS, MISS, MISS)
    assert resilience.redis_breaker.state == CLOSED
    assert stored["value"] == "shared again"
