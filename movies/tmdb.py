"""
The TMDb API v3 client: the only code in the project that speaks HTTP to TMDb.

One pooled session per process; a timeout on every attempt; retries with exponential backoff and
jitter on connection errors, 5xx and 429 (honouring Retry-After), bounded by a total time budget and
by the request's deadline (movie_backend.resilience), whichever ends first, so the calls of one answer
share one budget; a per-process cap on outbound requests; the TMDb circuit breaker, which counts
failed attempts (timeouts, connection errors, 5xx, 429) and, while open, refuses calls at once with
503 `upstream_unavailable` and a Retry-After. Callers get Python data or one of our exceptions
(movie_backend.exceptions), never a `requests` object. Credentials are never logged or echoed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.core.signals import setting_changed
from requests.adapters import HTTPAdapter

from movie_backend import metrics, resilience
from movie_backend.exceptions import (
    MovieNotFound,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamMisconfigured,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 30  # seconds we ask our clients to wait when TMDb gives no hint
MISCONFIGURED_RETRY_AFTER = 300
# TMDb's trending windows, and the span each covers (the catalogue's own trending counts favorites in it).
TRENDING_WINDOWS = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}
DETAIL_APPENDS = "credits,videos"
MIN_ATTEMPT_TIME = 0.05  # seconds; with less left before the deadline no attempt is made
# A timeout of an attempt shorter than this (cut short by the deadline) says little about TMDb's
# health, so it does not count against the breaker.
BREAKER_MIN_TIMEOUT = 1.0


class _Retryable(Exception):
    """An attempt failed in a way a later attempt may not: carries the error to raise if none is left."""

    def __init__(self, failure: UpstreamError, retry_after: int | None = None):
        super().__init__(failure.default_code)
        self.failure = failure
        self.retry_after = retry_after


class RateLimiter:
    """A token bucket: at most `rate` requests a second from this process, bursts up to `rate`."""

    def __init__(self, rate: float):
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self, deadline: float) -> None:
        if self.rate <= 0:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            if time.monotonic() + wait > deadline:
                raise UpstreamRateLimited(retry_after=max(1, round(wait)))
            time.sleep(wait)


def _retry_after_seconds(value: str | None) -> int | None:
    """Retry-After as seconds, from either of its two forms (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, round(when.timestamp() - time.time()))


def _tmdb_status_code(response: requests.Response) -> int | None:
    """TMDb's own `status_code` from either error shape ({"status_code",...} or {"errors": [...]})."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("status_code") if isinstance(body, dict) else None


class TMDbClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        read_token: str = "",
        language: str = "en-US",
        timeout: float = 5.0,
        retry_budget: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        max_requests_per_second: float = 20.0,
    ):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._read_token = read_token
        self.language = language
        self.timeout = timeout
        self.retry_budget = retry_budget
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self._limiter = RateLimiter(max_requests_per_second)
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers.update({"Accept": "application/json", "User-Agent": "movie-backend/1.0"})
        if read_token:
            self._session.headers["Authorization"] = f"Bearer {read_token}"

    def __repr__(self) -> str:  # never show credentials, even in a debugger or a traceback
        return f"TMDbClient(base_url={self.base_url!r})"

    @property
    def configured(self) -> bool:
        return bool(self._api_key or self._read_token)

    # --- the endpoints we use ---------------------------------------------------------------------

    def trending(self, *, time_window: str, page: int) -> dict:
        return self.get(f"/trending/movie/{time_window}", {"page": page})

    def popular(self, *, page: int) -> dict:
        return self.get("/movie/popular", {"page": page})

    def top_rated(self, *, page: int) -> dict:
        return self.get("/movie/top_rated", {"page": page})

    def discover(self, *, page: int, **filters: Any) -> dict:
        return self.get("/discover/movie", {"page": page, **filters})

    def search(self, *, query: str, page: int, year: int | None = None) -> dict:
        params: dict[str, Any] = {"query": query, "page": page, "include_adult": "false"}
        if year is not None:
            params["primary_release_year"] = year
        return self.get("/search/movie", params)

    def movie(self, movie_id: int) -> dict:
        return self.get(f"/movie/{int(movie_id)}", {"append_to_response": DETAIL_APPENDS}, not_found=MovieNotFound)

    def recommendations(self, movie_id: int, *, page: int) -> dict:
        return self.get(f"/movie/{int(movie_id)}/recommendations", {"page": page}, not_found=MovieNotFound)

    def genres(self) -> dict:
        return self.get("/genre/movie/list", {"language": self.language.split("-")[0]})

    def configuration(self) -> dict:
        return self.get("/configuration")

    # --- transport ------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None, *,
            not_found: type[MovieNotFound] | None = None) -> dict:
        """GET `path` (relative to the base URL) and return its JSON object, retrying what is worth it,
        within the retry budget and the request's deadline. A TMDb 404 raises `not_found` for paths that
        name something the client chose (a movie id); on any other path (a list, the genres) it is our
        bug, not the client's: UpstreamBadResponse (502)."""
        if not self.configured:
            raise UpstreamMisconfigured("No TMDb credentials are configured.")
        query = {"language": self.language, **(params or {})}
        if self._api_key and not self._read_token:
            query["api_key"] = self._api_key
        deadline = time.monotonic() + self.retry_budget
        request_deadline = resilience.deadline()
        if request_deadline is not None:
            deadline = min(deadline, request_deadline)
        breaker = resilience.tmdb_breaker
        attempt, failure = 0, None
        while True:
            attempt += 1
            if deadline - time.monotonic() < MIN_ATTEMPT_TIME:
                logger.warning("TMDb %s not attempted: the request's time is up", path)
                raise failure or UpstreamTimeout()
            self._limiter.acquire(deadline)
            if not breaker.allow():
                raise failure or UpstreamUnavailable(
                    "The movie data provider is failing; we are not asking it for a little while.",
                    retry_after=breaker.retry_after(),
                )
            try:
                return self._attempt(path, query, deadline, not_found)
            except _Retryable as retryable:
                failure, retry_after = retryable.failure, retryable.retry_after
            # Raised outside the except block so no `requests` exception (whose text holds the URL,
            # and so maybe the key) is chained to what callers see.
            if attempt > self.max_retries:
                raise failure
            delay = self.backoff_base * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
            if retry_after is not None:
                delay = max(delay, retry_after)
            if time.monotonic() + delay + MIN_ATTEMPT_TIME >= deadline:
                raise failure
            logger.info("TMDb %s failed (%s); retry %d in %.2fs", path, failure.default_code, attempt, delay)
            time.sleep(delay)

    def _attempt(self, path: str, query: dict, deadline: float, not_found) -> dict:
        """One HTTP attempt (connect and read each bounded by what is left of the budget): the body, or
        _Retryable, or our final exception for answers a retry cannot change. Tells the breaker."""
        breaker = resilience.tmdb_breaker
        timeout = min(self.timeout, max(MIN_ATTEMPT_TIME, deadline - time.monotonic()))
        started = time.monotonic()
        try:
            response = self._session.get(self.base_url + path, params=query, timeout=timeout, allow_redirects=False)
        except requests.Timeout:
            metrics.tmdb_call(path, "timeout", time.monotonic() - started)
            logger.warning("TMDb %s timed out after %.2fs", path, time.monotonic() - started)
            if timeout >= min(self.timeout, BREAKER_MIN_TIMEOUT):
                breaker.record_failure()
            else:
                breaker.release_probe()
            raise _Retryable(UpstreamTimeout()) from None
        except requests.RequestException as exc:
            metrics.tmdb_call(path, "connection_error", time.monotonic() - started)
            # Only the class name: requests' messages contain the URL, and the URL may contain the key.
            logger.warning("TMDb %s connection failed: %s", path, type(exc).__name__)
            breaker.record_failure()
            raise _Retryable(UpstreamUnavailable(retry_after=DEFAULT_RETRY_AFTER)) from None

        status = response.status_code
        metrics.tmdb_call(path, status, time.monotonic() - started)
        if status == 429 or status >= 500:
            breaker.record_failure()
        else:
            breaker.record_success()  # TMDb answered, even if the answer is an error of ours
        logger.debug("TMDb %s -> %s in %.3fs", path, status, time.monotonic() - started)
        if status == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                logger.error("TMDb %s answered 200 with a body that is not a JSON object", path)
                raise UpstreamBadResponse()
            return body
        if status == 404 and not_found is not None:
            raise not_found()
        if status == 401:
            code = _tmdb_status_code(response)
            logger.error(
                "TMDb rejected our credentials (HTTP 401, TMDb code %s). Check TMDB_API_KEY / "
                "TMDB_READ_ACCESS_TOKEN: the key may be wrong, revoked or suspended.", code,
            )
            raise UpstreamMisconfigured(retry_after=MISCONFIGURED_RETRY_AFTER)
        retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
        if status == 429:
            logger.warning("TMDb rate limited %s (Retry-After %s)", path, retry_after)
            raise _Retryable(UpstreamRateLimited(retry_after=retry_after or DEFAULT_RETRY_AFTER), retry_after)
        if status == 504:
            raise _Retryable(UpstreamTimeout(), retry_after)
        if status >= 500:
            raise _Retryable(UpstreamUnavailable(retry_after=retry_after or DEFAULT_RETRY_AFTER), retry_after)
        # Any other 4xx (a 404 on a path that always exists included) means we sent something TMDb
        # refuses: a bug on our side, not the caller's.
        logger.error("TMDb refused %s with HTTP %s (TMDb code %s)", path, status, _tmdb_status_code(response))
        raise UpstreamBadResponse()


_client: TMDbClient | None = None
_client_lock = threading.Lock()


def get_client() -> TMDbClient:
    """The process-wide client, built from settings on first use (and again after settings change)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = TMDbClient(
                    base_url=settings.TMDB_BASE_URL,
                    api_key=settings.TMDB_API_KEY,
                    read_token=settings.TMDB_READ_ACCESS_TOKEN,
                    language=settings.TMDB_LANGUAGE,
                    timeout=settings.TMDB_TIMEOUT,
                    retry_budget=settings.TMDB_RETRY_BUDGET,
                    max_retries=settings.TMDB_MAX_RETRIES,
                    backoff_base=settings.TMDB_BACKOFF_BASE,
                    max_requests_per_second=settings.TMDB_MAX_REQUESTS_PER_SECOND,
                )
    return _client


def tmdb_enabled() -> bool:
    """True when TMDb credentials are set; otherwise the API serves the local catalogue."""
    return bool(settings.TMDB_API_KEY or settings.TMDB_READ_ACCESS_TOKEN)


def _reset_client(*, setting: str, **kwargs) -> None:
    global _client
    if setting.startswith("TMDB_"):
        _client = None


setting_changed.connect(_reset_client)
