"""
Rate limits as fixed-window counters: one atomic cache increment per request.

DRF's SimpleRateThrottle keeps the timestamp of every request of the window in one cache entry and
reads and rewrites that whole list on each request: work and bytes grow with the rate, and
concurrent requests race (DRF's docs say so). Here a request costs an `add` (the first of its
window) or an `incr`; on Redis both are atomic, so concurrent requests cannot slip past the limit.
A fixed window admits up to twice the rate across a boundary; Retry-After is the time to the end of
the current window. The counters go through the Redis circuit breaker (movie_backend.resilience.counters):
when Redis fails, requests are let through (as DRF's own throttles do), a hung Redis costs one short
socket timeout, and nothing at all while the breaker is open.
"""

from rest_framework import throttling

from movie_backend import metrics
from movie_backend.resilience import StoreUnavailable, counters


class CounterRateThrottle(throttling.SimpleRateThrottle):
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        count = self._count(f"{self.key}:{window}", timeout=self.duration + 1)
        if count is not None and count > self.num_requests:
            metrics.throttled(self.scope)
            return False
        return True

    def _count(self, key: str, *, timeout: int) -> int | None:
        """This request's number in its window; None when the cache did not answer."""
        try:
            if counters.call("add", key, 1, timeout):
                return 1
            try:
                return counters.call("incr", key)
            except ValueError:  # the window's key expired between the add and the incr
                return 1 if counters.call("add", key, 1, timeout) else None
        except StoreUnavailable:
            return None

    def wait(self) -> float:
        return max(0.0, self.window_end - self.now)


class AnonRateThrottle(throttling.AnonRateThrottle, CounterRateThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, CounterRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, CounterRateThrottle):
    pass
