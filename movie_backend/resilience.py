"""
Bounded time for every request: one deadline per request and one circuit breaker class.

- The **deadline** is a contextvar: `RequestDeadlineMiddleware` opens one per request
  (`REQUEST_DEADLINE` seconds) and `deadline_scope` opens one wherever work starts outside a request
  (a background refresh, a management command). Every TMDb call and every wait for another request's
  fetch takes its time from what is left, so an answer built from several calls shares one budget.
- A **CircuitBreaker** counts consecutive failures of one dependency. After `threshold` of them it
  opens: callers are refused at once for an interval that starts at `open_min` seconds and doubles
  on every failed probe up to `open_max`. When the interval is over, one caller is let through (the
  half-open probe); its success closes the breaker, its failure opens it again for longer. Breakers
  take an injectable clock so tests move time instead of sleeping.

Three breakers exist per process: `tmdb` (the TMDb client), `redis` (the API cache and the rate-limit
counters, which share one Redis) and `database` (every wait on PostgreSQL, movie_backend.db). The
database's opens on one timed-out wait for a fixed DB_BREAKER_SECONDS (its `open_min` and `open_max`
are the same), and its callers ask `rejecting()` rather than `allow()`: once the interval is over every
wait goes through, not one probe, and the next timeout opens it again. A wait that answers while it is
open (one that began before it opened) does not close it (`record_success(unless_open=True)`).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_deadline", default=None)


@contextlib.contextmanager
def deadline_scope(seconds: float) -> Iterator[float]:
    """Run the block under a deadline `seconds` from now, or under the current one if it is sooner."""
    wanted = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(wanted if current is None else min(current, wanted))
    try:
        yield _deadline.get()
    finally:
        _deadline.reset(token)


def deadline() -> float | None:
    """The current deadline (a `time.monotonic()` value), or None outside any scope."""
    return _deadline.get()


def time_left(default: float) -> float:
    """Seconds left before the current deadline (never negative); `default` outside any scope."""
    current = _deadline.get()
    return default if current is None else max(0.0, current - time.monotonic())


class RequestDeadlineMiddleware:
    """Give each request one budget (REQUEST_DEADLINE) for every upstream call and wait it makes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with deadline_scope(settings.REQUEST_DEADLINE):
            return self.get_response(request)


CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    """Consecutive-failure breaker; thread-safe. See the module docstring for the states."""

    def __init__(
        self,
        name: str,
        *,
        threshold: Callable[[], int] | int,
        open_min: Callable[[], float] | float,
        open_max: Callable[[], float] | float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name = name
        # Settings are read on use (callables) so tests and a settings change apply without a restart.
        self._threshold, self._open_min, self._open_max = threshold, open_min, open_max
        self.clock = clock
        self._lock = threading.Lock()
        self.reset()

    @staticmethod
    def _value(knob):
        return knob() if callable(knob) else knob

    def reset(self) -> None:
        self._failures = 0
        self._opened = 0  # consecutive openings, for the growing interval
        self._open_until = 0.0
        self._probing = False
        self._probe_started = 0.0

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._failures < self._value(self._threshold) and not self._opened:
            return CLOSED
        if self._probing and self.clock() - self._probe_started > self._value(self._open_max):
            self._probing = False  # a probe that never reported back (a crash): allow another
        return OPEN if self._probing or self.clock() < self._open_until else HALF_OPEN

    def allow(self) -> bool:
        """May a call go through now? Closed: yes. Open: no. Half-open: yes for one probe at a time."""
        with self._lock:
            state = self._state()
            if state == CLOSED:
                return True
            if state == HALF_OPEN:
                self._probing, self._probe_started = True, self.clock()
                return True
            return False

    def rejecting(self) -> bool:
        """True while calls are refused (open, or half-open with its probe already out)."""
        with self._lock:
            return self._state() == OPEN

    def troubled(self) -> bool:
        """True after any failure not yet followed by a success: the dependency is failing or slow."""
        with self._lock:
            return self._failures > 0 or self._opened > 0

    def retry_after(self) -> int:
        """Whole seconds until the next probe may go through (at least 1)."""
        with self._lock:
            return max(1, math.ceil(self._open_until - self.clock()))

    def record_success(self, *, unless_open: bool = False) -> None:
        """The dependency answered: close the breaker. `unless_open`: not while the open interval
        runs (an answer to a call that began before the breaker opened says nothing of the others)."""
        if not (self._failures or self._opened or self._probing):
            return  # the common case, without the lock
        with self._lock:
            if unless_open and self.clock() < self._open_until:
                return
            if self._opened:
                logger.info("Circuit %s closed: the probe succeeded", self.name)
            self.reset()

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._probing = False
            if self._failures < self._value(self._threshold) and not self._opened:
                return
            if self.clock() < self._open_until:
                return  # a call that started before the breaker opened: already counted
            interval = min(self._value(self._open_max), self._value(self._open_min) * 2 ** self._opened)
            self._opened += 1
            self._open_until = self.clock() + interval
            logger.warning("Circuit %s open for %.1fs after %d consecutive failures", self.name, interval, self._failures)

    def release_probe(self) -> None:
        """The probe ended without a verdict (e.g. an answer that says nothing of the dependency)."""
        with self._lock:
            self._probing = False


try:  # django-redis re-raises the redis-py error when IGNORE_EXCEPTIONS is off
    from django_redis.exceptions import ConnectionInterrupted
    from redis.exceptions import RedisError

    CACHE_BACKEND_ERRORS: tuple[type[BaseException], ...] = (ConnectionInterrupted, RedisError, OSError)
except ImportError:  # pragma: no cover - redis extras always installed via requirements.txt
    CACHE_BACKEND_ERRORS = (OSError,)


class StoreUnavailable(Exception):
    """The cache backend failed (or its breaker is open): the caller moves to the local store."""


class GuardedCache:
    """A Django cache alias behind the Redis circuit breaker: a failed operation is logged, counted
    by the breaker and raised as StoreUnavailable; while the breaker is open nothing is attempted."""

    def __init__(self, alias: Callable[[], str], breaker: CircuitBreaker) -> None:
        self._alias = alias
        self.breaker = breaker

    @property
    def cache(self):
        return caches[self._alias()]

    def available(self) -> bool:
        return not self.breaker.rejecting()

    def call(self, operation: str, *args, **kwargs):
        if not self.breaker.allow():
            raise StoreUnavailable(self._alias())
        try:
            result = getattr(self.cache, operation)(*args, **kwargs)
        except CACHE_BACKEND_ERRORS as exc:
            self.breaker.record_failure()
            logger.warning(
                "Cache backend unavailable (%s: %s); its breaker decides when to try again",
                type(exc).__name__, exc,
            )
            raise StoreUnavailable(self._alias()) from None
        self.breaker.record_success()
        return result

    def quiet(self, operation: str, *args, default=None, **kwargs):
        """`call`, but a failure returns `default` (for writes whose loss only costs a later miss)."""
        try:
            return self.call(operation, *args, **kwargs)
        except StoreUnavailable:
            return default


tmdb_breaker = CircuitBreaker(
    "tmdb",
    threshold=lambda: settings.TMDB_BREAKER_FAILURES,
    open_min=lambda: settings.BREAKER_OPEN_MIN,
    open_max=lambda: settings.BREAKER_OPEN_MAX,
)
redis_breaker = CircuitBreaker(
    "redis",
    threshold=lambda: settings.REDIS_BREAKER_FAILURES,
    open_min=lambda: settings.BREAKER_OPEN_MIN,
    open_max=lambda: settings.BREAKER_OPEN_MAX,
)
database_breaker = CircuitBreaker(
    "database",
    threshold=1,
    open_min=lambda: settings.DB_BREAKER_SECONDS,
    open_max=lambda: settings.DB_BREAKER_SECONDS,
)


def reset_breakers() -> None:
    """Close every breaker (tests; a process that knows its dependencies are back)."""
    for breaker in (tmdb_breaker, redis_breaker, database_breaker):
        with breaker._lock:
            breaker.reset()


# Rate-limit counters (movie_backend.throttling): the `default` alias, on the same Redis and breaker.
counters = GuardedCache(lambda: "default", redis_breaker)
