"""The counter-based throttles: limits, windows, Retry-After, atomicity under concurrency, cache down."""

import datetime as dt
import threading
from unittest import mock

import pytest
import time_machine
from django.test import override_settings
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from movie_backend.throttling import AnonRateThrottle, ScopedRateThrottle

NOW = dt.datetime(2026, 1, 1, 12, 0, 15, tzinfo=dt.UTC)  # 15 s into a minute window


class ScopedView(APIView):
    throttle_scope = "unit"


def allowed(throttle_class, *, ip="10.0.0.1", view=None) -> tuple[bool, float]:
    throttle = throttle_class()
    request = Request(APIRequestFactory().get("/", REMOTE_ADDR=ip))
    ok = throttle.allow_request(request, view or APIView())
    return ok, throttle.wait()


@time_machine.travel(NOW, tick=False)
def test_anon_limit_per_ip_and_retry_after_is_the_rest_of_the_window():
    with mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, anon="3/min"):
        results = [allowed(AnonRateThrottle)[0] for _ in range(4)]
        other_ip = allowed(AnonRateThrottle, ip="10.0.0.2")[0]
        refused, wait = allowed(AnonRateThrottle)

    assert results == [True, True, True, False]
    assert other_ip is True
    assert (refused, wait) == (False, 45.0)


def test_next_window_starts_a_new_count():
    with mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, anon="1/min"), time_machine.travel(NOW, tick=False):
        assert [allowed(AnonRateThrottle)[0] for _ in range(2)] == [True, False]
        with time_machine.travel(NOW + dt.timedelta(seconds=45), tick=False):
            assert allowed(AnonRateThrottle)[0] is True


def test_scoped_throttle_uses_the_view_scope():
    with mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, unit="2/hour"):
        results = [allowed(ScopedRateThrottle, view=ScopedView())[0] for _ in range(3)]

    assert results == [True, True, False]


@pytest.mark.slow
def test_concurrent_requests_cannot_pass_the_limit():
    results, barrier = [], threading.Barrier(20)

    def hit():
        barrier.wait()
        results.append(allowed(AnonRateThrottle)[0])

    with mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, anon="5/min"):
        threads = [threading.Thread(target=hit) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert results.count(True) == 5


def test_cache_down_lets_requests_through():
    dead = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2}}}
    with override_settings(CACHES=dead), mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, anon="1/min"):
        assert [allowed(AnonRateThrottle)[0] for _ in range(3)] == [True, True, True]
