"""The one caching helper: freshness, stale-on-error, single flight, invalidation, Redis outages."""

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import connections
from django.test import Client

from movie_backend import cache as api_cache
from movie_backend import resilience
from movie_backend.cache import HIT, MISS, STALE, cached_call, invalidate_namespace
from movie_backend.exceptions import UpstreamTimeout, UpstreamUnavailable
from tests.fakes import list_body, movie_item


class Counter:
    """A fetch function that counts its calls and answers `value` (or raises `error`)."""

    def __init__(self, value=None, *, error=None, delay=0.0):
        self.calls = 0
        self.value, self.error, self.delay = value, error, delay
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.value


def later(seconds: float):
    return time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=seconds))


def test_cached_call_misses_then_hits():
    fetch = Counter({"answer": 42})

    first = cached_call("unit", {"a": 1}, ttl=60, fetch=fetch)
    second = cached_call("unit", {"a": 1}, ttl=60, fetch=fetch)

    assert (first, second) == (api_cache.Cached({"answer": 42}, MISS), api_cache.Cached({"answer": 42}, HIT))
    assert fetch.calls == 1


def test_cached_call_params_are_part_of_the_key_in_any_order():
    fetch = Counter("x")

    cached_call("unit", {"a": 1, "b": 2}, ttl=60, fetch=fetch)
    same = cached_call("unit", {"b": 2, "a": 1}, ttl=60, fetch=fetch)
    other = cached_call("unit", {"a": 1, "b": 3}, ttl=60, fetch=fetch)

    assert (same.status, other.status, fetch.calls) == (HIT, MISS, 2)


def test_cached_call_does_not_store_failures():
    failing = Counter(error=UpstreamUnavailable())
    with pytest.raises(UpstreamUnavailable):
        cached_call("unit", {}, ttl=60, fetch=failing)

    result = cached_call("unit", {}, ttl=60, fetch=Counter("ok"))

    assert result.status == MISS


def test_cached_call_serves_stale_on_upstream_error_after_the_ttl():
    cached_call("unit", {}, ttl=60, fetch=Counter("old"))

    with later(61):
        stale = cached_call("unit", {}, ttl=60, fetch=Counter(error=UpstreamTimeout()))

    assert stale == api_cache.Cached("old", STALE)


def test_cached_call_keeps_entries_for_ttl_plus_grace(settings):
    cached_call("unit", {}, ttl=60, fetch=Counter("v"))
    key = api_cache.make_key("unit", {})

    cache = api_cache.backend.cache
    if hasattr(cache, "ttl"):  # django-redis
        remaining = cache.ttl(key)
    else:  # locmem keeps absolute expiry times
        remaining = cache._expire_info[cache.make_and_validate_key(key)] - time.time()

    assert 60 + settings.CACHE_STALE_GRACE - 5 <= remaining <= 60 + settings.CACHE_STALE_GRACE


def test_degraded_answers_are_fresh_only_briefly():
    cached_call("unit", {}, ttl=3600, fetch=Counter(api_cache.Degraded("partial")))
    hit = cached_call("unit", {}, ttl=3600, fetch=Counter("whole"))

    with later(api_cache.DEGRADED_TTL + 1):
        refreshed = cached_call("unit", {}, ttl=3600, fetch=Counter("whole"))

    assert (hit.value, hit.status) == ("partial", HIT)
    assert (refreshed.value, refreshed.status) == ("whole", MISS)


def test_versioned_namespace_is_invalidated_by_a_bump():
    fetch = Counter("v")
    cached_call("user-recs:7", {}, ttl=60, fetch=fetch, versioned=True)
    assert cached_call("user-recs:7", {}, ttl=60, fetch=fetch, versioned=True).status == HIT

    invalidate_namespace("user-recs:7")

    assert cached_call("user-recs:7", {}, ttl=60, fetch=fetch, versioned=True).status == MISS
    assert cached_call("user-recs:8", {}, ttl=60, fetch=fetch, versioned=True).status == MISS
    assert fetch.calls == 3


def _in_threads(count, target):
    results, errors = [None] * count, []
    start = threading.Barrier(count)

    def run(index):
        start.wait()
        try:
            results[index] = target()
        except Exception as exc:  # collected and asserted on by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_single_flight_for_concurrent_callers_on_a_cold_key():
    fetch = Counter("value", delay=0.2)

    results, errors = _in_threads(10, lambda: cached_call("unit", {}, ttl=60, fetch=fetch))

    assert errors == []
    assert fetch.calls == 1
    assert sorted(r.status for r in results) == [HIT] * 9 + [MISS]


def test_waiters_share_the_failure_of_the_one_fetch():
    fetch = Counter(error=UpstreamUnavailable(retry_after=30), delay=0.2)

    _, errors = _in_threads(6, lambda: cached_call("unit", {}, ttl=60, fetch=fetch))

    assert fetch.calls == 1
    assert len(errors) == 6
    assert {type(e) for e in errors} == {UpstreamUnavailable}
    assert {e.retry_after for e in errors} == {30}


def test_a_fetch_that_crashes_hands_over_to_one_waiter():
    fetches = Counter()

    def first_fetch_crashes():
        fetches()
        if fetches.calls == 1:
            time.sleep(0.2)
            raise RuntimeError("bug")
        return "ok"

    results, errors = _in_threads(5, lambda: cached_call("unit", {}, ttl=60, fetch=first_fetch_crashes))

    assert [type(e) for e in errors] == [RuntimeError]
    assert fetches.calls == 2
    assert sorted(r.status for r in results if r is not None) == [HIT, HIT, HIT, MISS]


def test_refresh_of_an_expired_key_serves_others_the_previous_copy():
    cached_call("unit", {}, ttl=60, fetch=Counter("old"))
    refresh = Counter("new", delay=0.3)

    with later(61):
        results, errors = _in_threads(5, lambda: cached_call("unit", {}, ttl=60, fetch=refresh))

    assert errors == []
    assert refresh.calls == 1
    assert sorted((r.status, r.value) for r in results) == [("MISS", "new")] + [("STALE", "old")] * 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_twenty_concurrent_cold_requests_make_one_upstream_call(tmdb, settings):
    # Single flight, not the stale wait, is under test: 20 threads sharing the GIL on a busy machine
    # can stretch the 0.2 s refresh past CACHE_STALE_WAIT, which serves the stale copy and refreshes again.
    settings.CACHE_STALE_WAIT = 5
    def slow_trending(request):
        time.sleep(0.2)
        import json
        return 200, {}, json.dumps(list_body([movie_item(1), movie_item(2)]))

    tmdb.add_callback("GET", tmdb.url("/trending/movie/day"), callback=slow_trending)
    Client().get("/api/movies/genres/")  # reference data in place, as in production

    def get_trending():
        response = Client().get("/api/movies/trending/")
        return response.status_code, response["X-Cache"], [m["id"] for m in response.json()["results"]]

    results, errors = _in_threads(20, get_trending)

    assert errors == []
    assert len(tmdb.upstream_calls("/trending/")) == 1
    assert all(status == 200 and ids == [1, 2] for status, _, ids in results)
    assert sorted(cache for _, cache, _ in results) == ["HIT"] * 19 + ["MISS"]

    with later(3601):  # the key expires: still one refresh, everyone answered
        results, errors = _in_threads(20, get_trending)

    assert errors == []
    assert len(tmdb.upstream_calls("/trending/")) == 2
    assert all(status == 200 for status, _, _ in results)


# --- deadlines and stale first (Redis outages: tests/core/test_resilience.py) -------------------------


def test_waiters_give_up_at_the_holders_deadline_without_a_second_fetch(settings):
    settings.REQUEST_DEADLINE = 0.5
    stuck = Counter("late", delay=2.0)  # a fetch that overruns its deadline (nothing bounds a sleep)
    started = time.monotonic()

    def call():
        try:
            return cached_call("unit", {}, ttl=60, fetch=stuck).status, time.monotonic() - started
        except UpstreamTimeout:
            return "504", time.monotonic() - started

    results, errors = _in_threads(4, call)

    assert (errors, stuck.calls) == ([], 1)
    assert sorted(status for status, _ in results) == ["504", "504", "504", MISS]
    # each waiter left at the holder's deadline plus the grace, long before the fetch ended (2 s)
    assert all(elapsed < 0.5 + api_cache._HOLDER_GRACE + 0.3 for status, elapsed in results if status == "504")


def test_stale_first_answers_at_once_and_refreshes_once_in_the_background():
    cached_call("unit", {}, ttl=60, fetch=Counter("old"))
    resilience.tmdb_breaker.record_failure()  # TMDb failed recently
    refresh = Counter("new", delay=0.5)

    with later(61):
        started = time.monotonic()
        results, errors = _in_threads(5, lambda: cached_call("unit", {}, ttl=60, fetch=refresh))
        answered_in = time.monotonic() - started
        assert api_cache.wait_for_background_refreshes(timeout=5)
        after = cached_call("unit", {}, ttl=60, fetch=refresh)

    assert errors == []
    assert [(r.status, r.value) for r in results] == [(STALE, "old")] * 5
    assert answered_in < 0.5  # nobody waited for the refresh
    assert refresh.calls == 1
    assert after == api_cache.Cached("new", HIT)


def test_stale_first_does_not_refresh_while_the_tmdb_breaker_refuses_calls(settings):
    settings.TMDB_BREAKER_FAILURES = 1
    cached_call("unit", {}, ttl=60, fetch=Counter("old"))
    resilience.tmdb_breaker.record_failure()
    refresh = Counter("new")

    with later(61):
        stale = cached_call("unit", {}, ttl=60, fetch=refresh)
        api_cache.wait_for_background_refreshes(timeout=5)

    assert (stale, refresh.calls) == (api_cache.Cached("old", STALE), 0)


def test_a_failed_background_refresh_keeps_the_stale_copy():
    cached_call("unit", {}, ttl=60, fetch=Counter("old"))
    resilience.tmdb_breaker.record_failure()
    failing = Counter(error=UpstreamUnavailable())

    with later(61):
        first = cached_call("unit", {}, ttl=60, fetch=failing)
        assert api_cache.wait_for_background_refreshes(timeout=5)
        second = cached_call("unit", {}, ttl=60, fetch=failing)
        assert api_cache.wait_for_background_refreshes(timeout=5)

    assert (first, second) == (api_cache.Cached("old", STALE), api_cache.Cached("old", STALE))
    assert failing.calls == 2  # one refresh per request that found no refresh in flight


def test_invalidate_namespaces_drops_every_entry_of_each_namespace_in_batches():
    namespaces = [f"user-recs:{n}" for n in range(5)]
    fetched = []

    def read(namespace):
        return cached_call(namespace, {}, ttl=60, fetch=lambda: fetched.append(namespace) or namespace, versioned=True)

    assert [read(n).status for n in namespaces] == [MISS] * 5
    assert [read(n).status for n in namespaces] == [HIT] * 5

    api_cache.invalidate_namespaces(namespaces[:3], batch=2)

    assert [read(n).status for n in namespaces] == [MISS, MISS, MISS, HIT, HIT]
    assert fetched == [*namespaces, *namespaces[:3]]
