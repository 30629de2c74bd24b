"""
The one caching helper of the API.

`cached_call(namespace, params, ttl=..., fetch=...)` owns:
- keys: `<namespace>:<namespace version>:<sha1 of the sorted params>`, so every parameter that changes
  the answer is in the key and a namespace is invalidated by bumping its version, never by a scan;
- freshness: an entry is fresh for `ttl` seconds and then kept `CACHE_STALE_GRACE` more seconds;
- time: the call runs under the request's deadline (movie_backend.resilience; REQUEST_DEADLINE when
  there is none yet), which every TMDb call of the fetch shares, however many it makes;
- single flight: on a cold or expired key one caller fetches, holding the key's lock until its
  deadline; the others get the previous copy at once when there is one, else wait for the holder's
  answer at most until the holder's deadline and then fail with 504 (never a second fetch);
- stale first: when TMDb is failing or slow (its breaker has seen failures), an expired copy is served
  at once (STALE) and refreshed by one background thread, under the same lock; otherwise the refresh
  of an expired copy gets CACHE_STALE_WAIT seconds, and the copy is served if that is not enough;
- stale on error: when the fetch raises an UpstreamError and a previous copy exists it is served as
  STALE instead of the error;
- Redis trouble: every cache operation goes through the Redis circuit breaker; a failure (timeouts are
  short, CACHE_SOCKET_TIMEOUT) moves the call, and the following ones while the breaker is open, to a
  small in-process LRU cache, so hot answers stay cached and the same rules hold per process.
Only successful fetches are stored; an answer a fetch marks `Degraded` (built while some of its
upstream parts failed, or ran out of time) is stored fresh for DEGRADED_TTL seconds only, so the whole
answer returns soon after the outage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections
from rest_framework.exceptions import APIException, NotFound

from movie_backend import exceptions as api_errors
from movie_backend import metrics, resilience
from movie_backend.resilience import CACHE_BACKEND_ERRORS, GuardedCache, StoreUnavailable

__all__ = [
    "CACHE_BACKEND_ERRORS", "Cached", "Degraded", "StoreUnavailable", "cached_call", "invalidate_namespace",
    "invalidate_namespaces",
]

logger = logging.getLogger(__name__)

HIT, MISS, STALE = "HIT", "MISS", "STALE"
KEY_SCHEMA_VERSION = "v1"
_POLL_INTERVAL = 0.05
# Waiters give the lock holder this long past its deadline to store what it fetched by then.
_HOLDER_GRACE = 0.5
_FAILURE_MEMORY = 2  # seconds waiters may reuse the failure of the fetch they waited for
DEGRADED_TTL = 60

# Failures a fetch may end with that waiters re-raise as their own (by code).
_SHAREABLE_FAILURES: dict[str, type[APIException]] = {
    cls.default_code: cls
    for cls in (
        NotFound,
        api_errors.UpstreamUnavailable,
        api_errors.UpstreamTimeout,
        api_errors.UpstreamRateLimited,
        api_errors.UpstreamMisconfigured,
        api_errors.UpstreamBadResponse,
    )
}

@dataclass(frozen=True)
class Cached:
    """A value and where it came from: HIT, MISS or STALE (the `X-Cache` header), or None when it
    did not go through the cache at all (answers computed from our own database)."""

    value: Any
    status: str | None
    # When a cached value stops being fresh (epoch seconds); None when not from a fresh cache entry.
    # movie_backend.http_cache bounds Cache-Control's max-age with it.
    fresh_until: float | None = field(default=None, compare=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Cache": self.status} if self.status else {}


@dataclass(frozen=True)
class Degraded:
    """What a fetch returns when it answered without some of its sources: served as usual, but
    fresh for DEGRADED_TTL seconds at most."""

    value: Any


class _LocalStore:
    """The in-process fallback while Redis is unreachable: a small LRU (Django's locmem backend) of
    hot answers, with the same operations as GuardedCache; it never fails. Per process, so a Redis outage
    costs each process its own misses, bounded by the per-process TMDb cap."""

    def __init__(self) -> None:
        self._cache = None
        self._lock = threading.Lock()

    @property
    def cache(self):
        if self._cache is None:
            with self._lock:
                if self._cache is None:
                    self._cache = LocMemCache(
                        "movie-backend-local", {"TIMEOUT": None, "OPTIONS": {"MAX_ENTRIES": settings.CACHE_LOCAL_ENTRIES}}
                    )
        return self._cache

    def call(self, operation: str, *args, **kwargs):
        return getattr(self.cache, operation)(*args, **kwargs)

    quiet = call

    def reset(self) -> None:
        """Forget every entry (locmem stores are shared by name, so clear before dropping ours)."""
        with self._lock:
            if self._cache is not None:
                self._cache.clear()
            self._cache = None


_local = _LocalStore()
local_store = _local  # for movie_backend.http_cache's copies while Redis is unreachable
class _ApiCache(GuardedCache):
    def reset(self) -> None:
        self.breaker.reset()
        _local.reset()


backend = _ApiCache(lambda: settings.API_CACHE_ALIAS, resilience.redis_breaker)


def _version_key(namespace: str) -> str:
    return f"{KEY_SCHEMA_VERSION}:nsver:{namespace}"


def _namespace_version(store, namespace: str) -> str:
    key = _version_key(namespace)
    version = store.call("get", key)
    if version is None:
        candidate = uuid.uuid4().hex[:12]
        store.call("add", key, candidate, None)
        version = store.call("get", key) or candidate
    return version


def namespace_version(namespace: str) -> str:
    """The current version token of a namespace; created on first use.

    Tokens are random, so a lost version key can never bring an old generation of entries back.
    """
    try:
        return _namespace_version(backend, namespace)
    except StoreUnavailable:
        return _namespace_version(_local, namespace)


def invalidate_namespace(namespace: str) -> None:
    """Make every entry of `namespace` unreachable at once (their keys expire on their own)."""
    backend.quiet("set", _version_key(namespace), uuid.uuid4().hex[:12], None)
    _local.call("set", _version_key(namespace), uuid.uuid4().hex[:12], None)


def invalidate_namespaces(namespaces: Iterable[str], *, batch: int = 1000) -> None:
    """invalidate_namespace for many namespaces, `batch` version keys per round trip."""
    pending = list(namespaces)
    for start in range(0, len(pending), batch):
        versions = {_version_key(n): uuid.uuid4().hex[:12] for n in pending[start:start + batch]}
        backend.quiet("set_many", versions, None)
        _local.call("set_many", versions, None)


def _make_key(store, namespace: str, params: dict[str, Any], versioned: bool) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()
    version = _namespace_version(store, namespace) if versioned else "0"
    return f"{KEY_SCHEMA_VERSION}:{namespace}:{version}:{digest}"


def make_key(namespace: str, params: dict[str, Any], *, versioned: bool = False) -> str:
    """The cache key of (namespace, params) in the shared cache."""
    return _make_key(backend, namespace, params, versioned)


def _store(store, key: str, value: Any, ttl: int, *, partial: bool = False) -> float:
    """Store the answer; returns when it stops being fresh (for HTTP max-age)."""
    # A little jitter so keys filled together (cache warming) do not all expire together.
    fresh_for = ttl * random.uniform(0.9, 1.0)
    entry = {"value": value, "fresh_until": time.time() + fresh_for}
    if partial:
        entry["partial"] = True
    timeout = int(ttl + settings.CACHE_STALE_GRACE)
    try:
        store.call("set", key, entry, timeout)
    except StoreUnavailable:  # Redis went away during the fetch: keep the answer in this process
        _local.call("set", key, entry, timeout)
    return entry["fresh_until"]


@metrics.counts_cache_results
def cached_call(
    namespace: str,
    params: dict[str, Any],
    *,
    ttl: int,
    fetch: Callable[[], Any],
    versioned: bool = False,
) -> Cached:
    """Return `fetch()`'s value through the cache; see the module docstring for the rules."""
    with resilience.deadline_scope(settings.REQUEST_DEADLINE):
        if backend.available():
            try:
                return _cached_call(backend, namespace, params, ttl=ttl, fetch=fetch, versioned=versioned)
            except StoreUnavailable:
                pass  # raised before any fetch started (after one, failures are absorbed)
        return _cached_call(_local, namespace, params, ttl=ttl, fetch=fetch, versioned=versioned)


def _cached_call(store, namespace: str, params: dict[str, Any], *, ttl: int, fetch: Callable[[], Any],
                 versioned: bool) -> Cached:
    key = _make_key(store, namespace, params, versioned)
    entry = store.call("get", key)
    if entry is not None and entry["fresh_until"] > time.time():
        return Cached(entry["value"], HIT, entry["fresh_until"])

    lock_key = f"{key}:lock"
    if entry is not None and resilience.tmdb_breaker.troubled():
        # Stale first: TMDb is failing or slow, so the user gets the previous copy now and one
        # background refresh (none while the breaker refuses calls) tries for a new one.
        if not resilience.tmdb_breaker.rejecting():
            _refresh_in_background(store, key, lock_key, ttl, fetch, previous=entry)
        return Cached(entry["value"], STALE)

    won = _fetch_if_lock_won(store, key, lock_key, ttl, fetch, previous=entry)
    if won is not None:
        return won
    if entry is not None:
        # Someone is already refreshing this key: the previous copy is good enough meanwhile.
        return Cached(entry["value"], STALE)
    return _wait_for_other_fetch(store, key, lock_key, ttl, fetch)


def _lock_value(seconds: float) -> tuple[dict, int]:
    """A lock owned by this caller until its deadline (wall clock, so waiters elsewhere can read it)."""
    return {"token": uuid.uuid4().hex, "until": time.time() + seconds}, math.ceil(seconds) + 1


def _release(store, lock_key: str, lock: dict) -> None:
    current = store.quiet("get", lock_key)
    if isinstance(current, dict) and current.get("token") == lock["token"]:
        store.quiet("delete", lock_key)


def _fetch_if_lock_won(store, key: str, lock_key: str, ttl: int, fetch: Callable[[], Any], *,
                       previous: dict | None) -> Cached | None:
    """Fetch and store if we win the key's lock (held for our deadline); None if another caller holds it.

    With a previous copy at hand the fetch gets CACHE_STALE_WAIT seconds at most: if it fails, or only
    a partial (Degraded) answer fits in that time, the previous copy is served (STALE) and a partial
    answer is replaced by one background refresh with a whole deadline."""
    lock, lock_timeout = _lock_value(resilience.time_left(settings.REQUEST_DEADLINE))
    if not store.call("add", lock_key, lock, lock_timeout):
        return None
    try:
        # Double check: a holder that finished between our read and our lock has left a fresh answer.
        current = store.quiet("get", key)
        if current is not None and current["fresh_until"] > time.time():
            return Cached(current["value"], HIT, current["fresh_until"])
        previous = current or previous
        if previous is None:
            return _fetch_and_store(store, key, ttl, fetch, previous=None)
        with resilience.deadline_scope(settings.CACHE_STALE_WAIT):
            result = _fetch_and_store(store, key, ttl, fetch, previous=previous, partial_ok=False)
    finally:
        _release(store, lock_key, lock)
    if result is None:
        _refresh_in_background(store, key, lock_key, ttl, fetch, previous=previous)
        return Cached(previous["value"], STALE)
    return result


def _refresh_in_background(store, key: str, lock_key: str, ttl: int, fetch: Callable[[], Any], *,
                           previous: dict) -> None:
    """Start one daemon thread refreshing `key` under its own deadline, unless a fetch is in flight."""
    lock, lock_timeout = _lock_value(settings.REQUEST_DEADLINE)
    try:
        if not store.call("add", lock_key, lock, lock_timeout):
            return
    except StoreUnavailable:
        return

    def refresh() -> None:
        try:
            with resilience.deadline_scope(settings.REQUEST_DEADLINE):
                _fetch_and_store(store, key, ttl, fetch, previous=previous)
        except APIException as exc:
            logger.warning("Background refresh of %s failed: %s", key, exc.default_code)
        except Exception:
            logger.exception("Background refresh of %s crashed", key)
        finally:
            _release(store, lock_key, lock)
            connections.close_all()  # this thread's own database connections
            with _refresh_lock:
                _refreshes.discard(threading.current_thread())

    thread = threading.Thread(target=refresh, name=f"cache-refresh:{key}", daemon=True)
    with _refresh_lock:
        _refreshes.add(thread)
    thread.start()


_refreshes: set[threading.Thread] = set()
_refresh_lock = threading.Lock()


def wait_for_background_refreshes(timeout: float) -> bool:
    """Join the background refreshes under way (tests, a graceful shutdown); True if all ended."""
    end = time.monotonic() + timeout
    with _refresh_lock:
        running = list(_refreshes)
    for thread in running:
        thread.join(max(0.0, end - time.monotonic()))
    return not any(thread.is_alive() for thread in running)


def _fetch_and_store(store, key: str, ttl: int, fetch: Callable[[], Any], *, previous: dict | None,
                     partial_ok: bool = True) -> Cached | None:
    """Fetch, store and return the answer; STALE `previous` on an upstream failure; None for a
    Degraded answer when `partial_ok` is false and `previous` is whole (the caller serves it instead)."""
    try:
        value = fetch()
    except APIException as exc:
        if isinstance(exc, api_errors.UpstreamError) and previous is not None:
            logger.warning("Serving a stale copy of %s: %s", key, exc.default_code)
            return Cached(previous["value"], STALE)
        if exc.default_code in _SHAREABLE_FAILURES:
            failure = {"code": exc.default_code, "detail": str(exc.detail), "retry_after": getattr(exc, "retry_after", None)}
            store.quiet("set", f"{key}:failed", failure, _FAILURE_MEMORY)
        raise
    partial = isinstance(value, Degraded)
    if partial:
        if not partial_ok and previous is not None and not previous.get("partial"):
            return None  # a whole previous copy beats a partial new one
        value, ttl = value.value, min(ttl, DEGRADED_TTL)
    return Cached(value, MISS, _store(store, key, value, ttl, partial=partial))


def _raise_shared_failure(failure: dict) -> None:
    exc_class = _SHAREABLE_FAILURES[failure["code"]]
    if issubclass(exc_class, api_errors.UpstreamError):
        raise exc_class(failure["detail"], retry_after=failure["retry_after"])
    raise exc_class(failure["detail"])


def _wait_for_other_fetch(store, key: str, lock_key: str, ttl: int, fetch: Callable[[], Any]) -> Cached:
    """Wait for the lock holder's answer, at most until the holder's deadline (or ours, if sooner);
    then 504. Never a second fetch while the holder may still answer."""
    lock = store.call("get", lock_key)
    own_end = time.monotonic() + resilience.time_left(settings.REQUEST_DEADLINE)
    holder_end = time.monotonic() + lock["until"] - time.time() if isinstance(lock, dict) else own_end
    end = min(own_end, holder_end) + _HOLDER_GRACE
    while time.monotonic() < end:
        time.sleep(_POLL_INTERVAL)
        entry = store.call("get", key)
        if entry is not None:
            return Cached(entry["value"], HIT, entry["fresh_until"])
        if store.call("get", lock_key) is not None:
            continue
        # The lock is gone. Its holder may have stored the answer since our read above.
        entry = store.call("get", key)
        if entry is not None:
            return Cached(entry["value"], HIT, entry["fresh_until"])
        failure = store.call("get", f"{key}:failed")
        if failure is not None:
            _raise_shared_failure(failure)
        # The holder ended without an answer (a crash, not an upstream error): take over, one of us.
        won = _fetch_if_lock_won(store, key, lock_key, ttl, fetch, previous=None)
        if won is not None:
            return won
    logger.warning("Gave up waiting for the fetch of %s in flight", key)
    raise api_errors.UpstreamTimeout()
