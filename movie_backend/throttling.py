"""
Rate limits as fixed-window counters, every counter of a request in ONE cache round trip.

DRF's SimpleRateThrottle keeps the timestamp of every request of the window in one cache entry and
reads and rewrites that whole list on each request: work and bytes grow with the rate, and
concurrent requests race (DRF's docs say so). Here each throttle that applies to a request names
one counter per window, and the first throttle DRF asks counts all of the view's counters at once
(`count_request`): on Redis one Lua script INCRements them (and sets the expiry of a window's first
count), atomically, so concurrent requests cannot slip past a limit. The same script can also read
one cache entry, so a cached answer costs one round trip with its throttling (movie_backend.http_cache).
Elsewhere (the in-process cache) each counter is an `add` or an `incr`, atomic under the cache's lock.

A fixed window admits up to twice the rate across a boundary; Retry-After is the time to the end of
the current window. The counters go through the Redis circuit breaker (movie_backend.resilience):
when Redis fails, requests are let through (as DRF's own throttles do), a hung Redis costs one short
socket timeout, and nothing at all while the breaker is open.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from rest_framework import throttling

from movie_backend import metrics
from movie_backend.resilience import counters as guarded_counters

logger = logging.getLogger(__name__)

COUNTS_ATTR = "_throttle_counts"  # on the request: {counter key: count or None}
READ_ATTR = "_throttle_read"  # on the request: the bytes the round trip read (None: absent)
READ_VERSION_ATTR = "_throttle_read_version"  # on the request: the version a versioned read went through

# KEYS: the n counters, then optionally the key to read. ARGV: n, the n expiries, then optionally
# a prefix and a suffix: the read key is then a version key, and what is read is prefix..version..suffix.
_SCRIPT = b"""
local n = tonumber(ARGV[1])
local out = {}
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], ARGV[i + 1]) end
  out[i] = count
end
local read = KEYS[n + 1]
if read then
  if ARGV[n + 2] then
    local version = redis.call('GET', read)
    if not version then out[n + 1] = false return out end
    read = ARGV[n + 2] .. version .. ARGV[n + 3]
    out[n + 2] = version
  end
  out[n + 1] = redis.call('GET', read)
end
return out
"""
_SCRIPT_SHA = hashlib.sha1(_SCRIPT, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Read:
    """A raw Redis key to read along with the counters; with `prefix`/`suffix`, `key` is a version
    key and the entry read is `prefix + <its value> + suffix`."""

    key: str
    prefix: str | None = None
    suffix: str | None = None


def _redis_client(cache=None):
    """The redis-py client behind the throttles' cache, or None when it is not django-redis."""
    client = getattr(cache if cache is not None else caches[DEFAULT_CACHE_ALIAS], "client", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client is not None else None


try:
    from redis.exceptions import NoScriptError, RedisError

    _REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
except ImportError:  # pragma: no cover - redis is in requirements.txt
    NoScriptError = RedisError = OSError
    _REDIS_ERRORS = (OSError,)


def redis_round_trip(counters: Sequence[tuple[str, int]], read: Read | None = None, *, client=None):
    """The one function that talks to Redis for throttling: count `counters` ((raw key, expiry)
    pairs) and read `read`, in one script call. Returns (counts, read bytes or None, version read
    or None); raises the Redis error when Redis fails."""
    client = client or _redis_client()
    keys = [key for key, _ in counters]
    args: list = [len(counters), *(expiry for _, expiry in counters)]
    if read is not None:
        keys.append(read.key)
        if read.prefix is not None:
            args += [read.prefix, read.suffix or ""]
    try:
        reply = client.evalsha(_SCRIPT_SHA, len(keys), *keys, *args)
    except NoScriptError:  # first call on this server: EVAL loads the script for the next EVALSHAs
        reply = client.eval(_SCRIPT, len(keys), *keys, *args)
    counts = [int(count) for count in reply[: len(counters)]]
    value = reply[len(counters)] if len(reply) > len(counters) else None
    version = reply[len(counters) + 1] if len(reply) > len(counters) + 1 else None
    return counts, value, version


def _count_in_process(cache, key: str, timeout: int) -> int | None:
    """One counter on a cache without scripts: an `add` (the window's first) or an `incr`."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window's key expired between the add and the incr
        return 1 if cache.add(key, 1, timeout) else None


def count_request(request, view, *, extra: Sequence[tuple[str, int]] = (), read: Read | None = None,
                  throttles: Sequence | None = None) -> dict:
    """Count this request against every counter of `view`'s throttles (and `extra`), once, and
    remember the counts on the request for the throttles to check. With `read`, also read that
    key in the same round trip (kept on the request as READ_ATTR; Redis only); a view with a
    `throttle_read(request)` method names that key itself. A request already counted only counts
    `extra`."""
    counted = getattr(request, COUNTS_ATTR, None)
    counters: dict[str, int] = {}
    if read is None and counted is None and hasattr(view, "throttle_read"):
        read = view.throttle_read(request)  # what the view will want from the cache, read now
    if counted is None:
        for throttle in view.get_throttles() if throttles is None else throttles:
            if isinstance(throttle, CounterRateThrottle):
                key = throttle.counter(request, view)
                if key is not None:
                    counters[key] = throttle.duration + 1
    counters.update((key, timeout) for key, timeout in extra if counted is None or key not in counted)
    cache = caches[DEFAULT_CACHE_ALIAS]
    made = {cache.make_key(key): key for key in counters}
    counts: dict[str, int | None]
    value = version = None
    client = _redis_client(cache)
    breaker = guarded_counters.breaker
    if client is None:
        counts = {key: _count_in_process(cache, key, timeout) for key, timeout in counters.items()}
    elif not breaker.allow():  # Redis failed lately: no call at all until the breaker's probe
        counts = dict.fromkeys(counters)
    else:
        try:
            numbers, value, version = redis_round_trip(
                [(raw, counters[key]) for raw, key in made.items()], read, client=client
            )
            counts = dict(zip(made.values(), numbers, strict=True))
            breaker.record_success()
        except _REDIS_ERRORS as exc:
            breaker.record_failure()
            logger.warning("Throttle counters unavailable (%s: %s); letting the request through", type(exc).__name__, exc)
            counts = dict.fromkeys(counters)
    if counted is not None:
        counts = {**counted, **counts}
    else:
        setattr(request, READ_ATTR, value)
        setattr(request, READ_VERSION_ATTR, version)
    setattr(request, COUNTS_ATTR, counts)
    return counts


class CounterRateThrottle(throttling.SimpleRateThrottle):
    _counted: tuple[object, str | None] | None = None

    def counter(self, request, view) -> str | None:
        """counter_key, worked out once per request: count_request and allow_request both ask."""
        if self._counted is None or self._counted[0] is not request:
            self._counted = (request, self.counter_key(request, view))
        return self._counted[1]

    def counter_key(self, request, view) -> str | None:
        """This request's counter (the key of its window), or None when this throttle does not
        apply; sets the window's end for `wait`."""
        if self.rate is None:
            return None
        key = self.get_cache_key(request, view)
        if key is None:
            return None
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        return f"{key}:{window}"

    def allow_request(self, request, view) -> bool:
        counter = self.counter(request, view)
        if counter is None:
            return True
        counts = getattr(request, COUNTS_ATTR, None)
        if counts is None or counter not in counts:  # the first throttle asked counts them all
            # No view (the admin's login): only this counter; else every counter of the view's throttles.
            counts = count_request(request, view, extra=[(counter, self.duration + 1)],
                                   throttles=() if view is None else None)
        count = counts[counter]
        if count is not None and count > self.num_requests:
            metrics.throttled(self.scope)
            return False
        return True

    def wait(self) -> float:
        return max(0.0, self.window_end - self.now)


class AnonRateThrottle(throttling.AnonRateThrottle, CounterRateThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, CounterRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, CounterRateThrottle):
    def counter_key(self, request, view) -> str | None:
        # DRF's scoped throttle learns its scope and rate from the view in allow_request; the
        # counters of a request are gathered before that, so learn them here too.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return None
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().counter_key(request, view)
