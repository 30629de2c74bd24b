"""
The one caching helper of the API.

`cached_call(namespace, params, ttl=..., fetch=...)` owns:
- keys: `<namespace>:<namespace version>:<sha1 of the sorted params>`, so every parameter that changes
  the answer is in the key and a namespace is invalidated by bumping its version, never by a scan;
- freshness: an entry is fresh for `ttl` seconds and then kept `CACHE_STALE_GRACE` more seconds;
- single flight: on a cold or expired key one caller fetches (an `add` lock), the others wait for it
  (or get the previous copy at once when there is one);
- stale on error: when the fetch raises an UpstreamError and a previous copy exists it is served as
  STALE instead of the error;
- degrade: when the cache backend fails (Redis down) the call goes straight to `fetch`, with a warning,
  and the cache is skipped for a short while so one outage does not cost a timeout per call.
Only successful fetches are stored; an answer a fetch marks `Degraded` (built while some of its
upstream parts failed) is stored fresh for DEGRADED_TTL seconds only, so the whole answer returns
soon after the outage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.exceptions import APIException, NotFound

from movie_backend import exceptions as api_errors

logger = logging.getLogger(__name__)

HIT, MISS, STALE = "HIT", "MISS", "STALE"
KEY_SCHEMA_VERSION = "v1"
_POLL_INTERVAL = 0.05
_OUTAGE_BACKOFF = 5.0  # seconds the cache is bypassed after a backend error
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

try:  # django-redis re-raises the redis-py error when IGNORE_EXCEPTIONS is off
    from django_redis.exceptions import ConnectionInterrupted
    from redis.exceptions import RedisError

    CACHE_BACKEND_ERRORS: tuple[type[BaseException], ...] = (ConnectionInterrupted, RedisError, OSError)
except ImportError:  # pragma: no cover - redis extras always installed via requirements.txt
    CACHE_BACKEND_ERRORS = (OSError,)


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


class _Backend:
    """The `api` cache alias behind a small circuit breaker: errors are logged, never raised."""

    def __init__(self) -> None:
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def cache(self):
        return caches[settings.API_CACHE_ALIAS]

    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def call(self, operation: str, *args, default=None, **kwargs):
        if not self.available():
            return default
        try:
            return getattr(self.cache, operation)(*args, **kwargs)
        except CACHE_BACKEND_ERRORS as exc:
            with self._lock:
                self._down_until = time.monotonic() + _OUTAGE_BACKOFF
            logger.warning(
                "Cache backend unavailable (%s: %s); serving uncached for %ss",
                type(exc).__name__, exc, _OUTAGE_BACKOFF,
            )
            return default

    def reset(self) -> None:
        self._down_until = 0.0


backend = _Backend()


def _version_key(namespace: str) -> str:
    return f"{KEY_SCHEMA_VERSION}:nsver:{namespace}"


def namespace_version(namespace: str) -> str:
    """The current version token of a namespace; created on first use.

    Tokens are random, so a lost version key can never bring an old generation of entries back.
    """
    key = _version_key(namespace)
    version = backend.call("get", key)
    if version is None:
        candidate = uuid.uuid4().hex[:12]
        backend.call("add", key, candidate, None)
        version = backend.call("get", key) or candidate
    return version


def invalidate_namespace(namespace: str) -> None:
    """Make every entry of `namespace` unreachable at once (their keys expire on their own)."""
    backend.call("set", _version_key(namespace), uuid.uuid4().hex[:12], None)


def make_key(namespace: str, params: dict[str, Any], *, versioned: bool = False) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()
    version = namespace_version(namespace) if versioned else "0"
    return f"{KEY_SCHEMA_VERSION}:{namespace}:{version}:{digest}"


def _store(key: str, value: Any, ttl: int) -> float:
    # A little jitter so keys filled together (cache warming) do not all expire together.
    fresh_for = ttl * random.uniform(0.9, 1.0)
    entry = {"value": value, "fresh_until": time.time() + fresh_for}
    backend.call("set", key, entry, int(ttl + settings.CACHE_STALE_GRACE))
    return entry["fresh_until"]


def cached_call(
    namespace: str,
    params: dict[str, Any],
    *,
    ttl: int,
    fetch: Callable[[], Any],
    versioned: bool = False,
) -> Cached:
    """Return `fetch()`'s value through the cache; see the module docstring for the rules."""
    if not backend.available():
        return Cached(fetch(), MISS)

    key = make_key(namespace, params, versioned=versioned)
    entry = backend.call("get", key)
    if entry is not None and entry["fresh_until"] > time.time():
        return Cached(entry["value"], HIT, entry["fresh_until"])

    lock_key = f"{key}:lock"
    if not backend.available():  # the get above just failed
        return Cached(fetch(), MISS)
    won = _fetch_if_lock_won(key, lock_key, ttl, fetch, previous=entry)
    if won is not None:
        return won
    if entry is not None:
        # Someone is already refreshing this key: the previous copy is good enough meanwhile.
        return Cached(entry["value"], STALE)
    return _wait_for_other_fetch(key, lock_key, ttl, fetch)


def _fetch_if_lock_won(key: str, lock_key: str, ttl: int, fetch: Callable[[], Any], *, previous: dict | None) -> Cached | None:
    """Fetch and store if we win the key's lock; None if another caller holds it."""
    token = uuid.uuid4().hex
    lock_timeout = int(settings.TMDB_RETRY_BUDGET + settings.TMDB_TIMEOUT + 5)
    if not backend.call("add", lock_key, token, lock_timeout):
        return None
    try:
        # Double check: a holder that finished between our read and our lock has left a fresh answer.
        current = backend.call("get", key)
        if current is not None and current["fresh_until"] > time.time():
            return Cached(current["value"], HIT, current["fresh_until"])
        return _fetch_and_store(key, ttl, fetch, previous=current or previous)
    finally:
        if backend.call("get", lock_key) == token:
            backend.call("delete", lock_key)


def _fetch_and_store(key: str, ttl: int, fetch: Callable[[], Any], *, previous: dict | None) -> Cached:
    try:
        value = fetch()
    except APIException as exc:
        if isinstance(exc, api_errors.UpstreamError) and previous is not None:
            logger.warning("Serving a stale copy of %s: %s", key, exc.default_code)
            return Cached(previous["value"], STALE)
        if exc.default_code in _SHAREABLE_FAILURES:
            failure = {"code": exc.default_code, "detail": str(exc.detail), "retry_after": getattr(exc, "retry_after", None)}
            backend.call("set", f"{key}:failed", failure, _FAILURE_MEMORY)
        raise
    if isinstance(value, Degraded):
        value, ttl = value.value, min(ttl, DEGRADED_TTL)
    return Cached(value, MISS, _store(key, value, ttl))


def _raise_shared_failure(failure: dict) -> None:
    exc_class = _SHAREABLE_FAILURES[failure["code"]]
    if issubclass(exc_class, api_errors.UpstreamError):
        raise exc_class(failure["detail"], retry_after=failure["retry_after"])
    raise exc_class(failure["detail"])


def _wait_for_other_fetch(key: str, lock_key: str, ttl: int, fetch: Callable[[], Any]) -> Cached:
    deadline = time.monotonic() + settings.CACHE_LOCK_WAIT
    while time.monotonic() < deadline:
        time.sleep(_POLL_INTERVAL)
        entry = backend.call("get", key)
        if entry is not None:
            return Cached(entry["value"], HIT)
        if not backend.available():
            break
        if backend.call("get", lock_key) is not None:
            continue
        # The lock is gone. Its holder may have stored the answer since our read above.
        entry = backend.call("get", key)
        if entry is not None:
            return Cached(entry["value"], HIT)
        failure = backend.call("get", f"{key}:failed")
        if failure is not None:
            _raise_shared_failure(failure)
        # The holder ended without an answer (a crash, not an upstream error): take over, one of us.
        won = _fetch_if_lock_won(key, lock_key, ttl, fetch, previous=None)
        if won is not None:
            return won
    # Waited too long, or the cache went away: answer by ourselves rather than fail.
    return _fetch_and_store(key, ttl, fetch, previous=None)
