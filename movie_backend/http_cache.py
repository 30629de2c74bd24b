"""
Cached answers as HTTP responses: rendered, tagged and compressed once, served without DRF.

When a public GET is answered from a fresh cache entry (movie_backend.cache), its response is kept
as well, in the `api` cache under the request's path and query: the JSON body, a strong ETag (a hash
of the body) and, for bodies over GZIP_MIN_BYTES, their gzip bytes, computed once when stored. The
copy expires when the answer stops being fresh. The next identical request (`public_fast_path`) is
served from it before DRF runs: one Redis round trip that counts the throttles and reads the copy
(movie_backend.throttling), no database query, no serializer, no JSON rendering, no compression.

HTTP caching, on every answer these helpers build:
- `ETag`, and `304 Not Modified` (no body) for a matching `If-None-Match` (weak comparison, lists, `*`);
- public answers: `Cache-Control: public, max-age=N`, N = what is left of the answer's freshness (a
  degraded answer's is short); stale answers and answers from our own database: `no-cache`;
- personal answers: `Cache-Control: private, no-cache` and `Vary: Authorization`;
- `Vary: Accept-Encoding`, and gzip only to a client that accepts it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.signals import setting_changed
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, ResolverMatch, get_resolver
from django.utils.http import parse_etags
from rest_framework.renderers import JSONRenderer

from movie_backend import metrics, resilience
from movie_backend.cache import HIT, MISS, Cached, local_store
from movie_backend.cache import _version_key as namespace_version_key
from movie_backend.throttling import COUNTS_ATTR, READ_ATTR, READ_VERSION_ATTR, Read, count_request

logger = logging.getLogger(__name__)

GZIP_MIN_BYTES = 1024
KEY_VERSION = "http:v1"
CONTENT_TYPE = "application/json"
PERSONAL_CACHE_CONTROL = "private, no-cache"
UNCACHEABLE_CACHE_CONTROL = "no-cache"
_HEADER_END = b"\n"

try:
    from redis.exceptions import RedisError

    _BACKEND_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
except ImportError:  # pragma: no cover - redis is in requirements.txt
    _BACKEND_ERRORS = (OSError,)


@dataclass(frozen=True)
class StoredAnswer:
    """A rendered answer: body, its ETag and gzip bytes (None under GZIP_MIN_BYTES), and until
    when (epoch seconds) it may be cached by anyone."""

    body: bytes
    etag: str
    gzipped: bytes | None
    fresh_until: float

    @classmethod
    def render(cls, data, *, fresh_until: float) -> StoredAnswer:
        body = JSONRenderer().render(data)
        gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) > GZIP_MIN_BYTES else None
        return cls(body, etag_of(body), gzipped, fresh_until)

    def pack(self) -> bytes:
        header = json.dumps([self.etag, self.fresh_until, len(self.body)]).encode()
        return header + _HEADER_END + self.body + (self.gzipped or b"")

    @classmethod
    def unpack(cls, raw: bytes) -> StoredAnswer:
        header, _, rest = raw.partition(_HEADER_END)
        etag, fresh_until, body_length = json.loads(header)
        return cls(rest[:body_length], etag, rest[body_length:] or None, fresh_until)


def etag_of(body: bytes) -> str:
    """A strong ETag: 128 bits of a hash of the exact bytes."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(request, etag: str) -> bool:
    """If-None-Match against `etag` with the weak comparison RFC 9110 prescribes for it."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    if tags == ["*"]:
        return True
    bare = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == bare for tag in tags)


def _accepts_gzip(request) -> bool:
    accepted = request.META.get("HTTP_ACCEPT_ENCODING", "")
    return "gzip" in accepted and "gzip;q=0" not in accepted.replace(" ", "")


def build_response(request, answer: StoredAnswer, *, cache_control: str, vary: str = "Accept-Encoding",
                   x_cache: str | None = None) -> HttpResponse:
    """The HTTP response for `answer`: 304 for a matching If-None-Match, else the body, gzipped
    when the client accepts it and gzip bytes exist."""
    if etag_matches(request, answer.etag):
        response = HttpResponseNotModified()
    elif answer.gzipped is not None and _accepts_gzip(request):
        response = HttpResponse(answer.gzipped, content_type=CONTENT_TYPE)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(answer.body, content_type=CONTENT_TYPE)
    response["ETag"] = answer.etag
    response["Cache-Control"] = cache_control
    response["Vary"] = vary
    if x_cache:
        response["X-Cache"] = x_cache
    return response


def public_cache_control(fresh_until: float | None, *, now: float | None = None) -> str:
    """`public, max-age=<seconds of freshness left>`, or no-cache when nothing is left."""
    if fresh_until is None:
        return UNCACHEABLE_CACHE_CONTROL
    left = int(fresh_until - (time.time() if now is None else now))
    return f"public, max-age={left}" if left > 0 else UNCACHEABLE_CACHE_CONTROL


# --- where the copies live ----------------------------------------------------------------------------


def _api_cache():
    return caches[settings.API_CACHE_ALIAS]


def _redis(alias: str):
    client = getattr(caches[alias], "client", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client is not None else None


def _same_redis() -> bool:
    """Whether the throttles' cache and the api cache are the same Redis (one script reads both)."""
    locations = {settings.CACHES[alias].get("LOCATION") for alias in (DEFAULT_CACHE_ALIAS, settings.API_CACHE_ALIAS)}
    return len(locations) == 1 and _redis(settings.API_CACHE_ALIAS) is not None


def _request_digest(request) -> str:
    query = "&".join(sorted(request.META.get("QUERY_STRING", "").split("&")))
    return hashlib.blake2b(f"{settings.TMDB_LANGUAGE} {request.path} {query}".encode(), digest_size=16).hexdigest()


def public_key(request) -> str:
    """The copy's key: path, query (parameters sorted) and language; the raw key on Redis."""
    return _api_cache().make_key(f"{KEY_VERSION}:public:{_request_digest(request)}")


def _guarded(operation: Callable[[], Any], default: Any = None) -> Any:
    """Run one response-cache operation behind the Redis breaker: `default` when the breaker is open
    or the operation fails (a lost copy only costs the next request the normal path)."""
    breaker = resilience.redis_breaker
    if not breaker.allow():
        return default
    try:
        result = operation()
    except _BACKEND_ERRORS as exc:
        breaker.record_failure()
        logger.warning("Response cache unavailable (%s: %s)", type(exc).__name__, exc)
        return default
    breaker.record_success()
    return result


def _read(key: str) -> bytes | None:
    client = _redis(settings.API_CACHE_ALIAS)
    return _guarded(lambda: client.get(key) if client is not None else _api_cache().get(key))


def _read_local(key: str) -> bytes | None:
    """The copy this process kept while Redis was unreachable (see _write)."""
    return local_store.call("get", key)


def _write(key: str, answer: StoredAnswer) -> None:
    """Keep the copy in Redis; while Redis is unreachable, in this process instead, so the fast path
    keeps serving hot answers through an outage (FastPathMiddleware reads it while the breaker is open)."""
    ttl = int(answer.fresh_until - time.time())
    if ttl <= 0:
        return
    client = _redis(settings.API_CACHE_ALIAS)
    if client is None:
        _guarded(lambda: _api_cache().set(key, answer.pack(), ttl))
    elif not _guarded(lambda: client.set(key, answer.pack(), ex=ttl) or True, default=False):
        local_store.call("set", key, answer.pack(), ttl)


# --- the two paths of a public answer -----------------------------------------------------------------


def public_response(request, result: Cached, *, params: Iterable[str] = ()) -> HttpResponse:
    """The response of a public GET from its answer. A fresh cached answer (HIT/MISS) is kept for
    the fast path when the query holds only the view's known `params` (junk parameters would each
    make a copy)."""
    django_request = getattr(request, "_request", request)
    fresh = result.status in (HIT, MISS) and result.fresh_until is not None
    answer = StoredAnswer.render(result.value, fresh_until=result.fresh_until if fresh else 0.0)
    if fresh and set(django_request.GET).issubset(params):
        _write(public_key(django_request), answer)
    cache_control = public_cache_control(result.fresh_until) if fresh else UNCACHEABLE_CACHE_CONTROL
    return build_response(django_request, answer, cache_control=cache_control, x_cache=result.status)


def personal_response(request, data, *, x_cache: str | None = None) -> HttpResponse:
    """The response of a personal GET: rendered per request, with an ETag (304 when it matches),
    `private, no-cache` and `Vary: Authorization`."""
    return _personal(request, StoredAnswer.render(data, fresh_until=0.0), x_cache=x_cache)


def _personal(request, answer: StoredAnswer, *, x_cache: str | None) -> HttpResponse:
    return build_response(
        getattr(request, "_request", request), answer, cache_control=PERSONAL_CACHE_CONTROL,
        vary="Accept-Encoding, Authorization", x_cache=x_cache,
    )


# --- personal copies: under the user's cache namespace version, so invalidating it drops them too --


def personal_read(request, namespace: str) -> Read | None:
    """What the throttles' round trip should read for a personal copy of this request: the copy
    under the current version of `namespace` (Redis only; None elsewhere)."""
    if not _same_redis():
        return None
    api = _api_cache()
    return Read(
        api.make_key(namespace_version_key(namespace)),
        prefix=api.make_key(f"{KEY_VERSION}:personal:{namespace}:"),
        suffix=f":{_request_digest(getattr(request, '_request', request))}",
    )


def personal_copy_response(request) -> HttpResponse | None:
    """The response from the personal copy the throttles' round trip read, if it is there and fresh."""
    raw = getattr(request, READ_ATTR, None)
    if raw is None:
        return None
    answer = StoredAnswer.unpack(raw)
    if answer.fresh_until <= time.time():
        return None
    return _personal(request, answer, x_cache=HIT)


def personal_cached_response(request, namespace: str, data, result: Cached, *, params: Iterable[str] = ()) -> HttpResponse:
    """personal_response, keeping a copy for personal_copy_response when the answer is a fresh
    cached one and the query holds only known `params`. The copy goes under the namespace version
    the throttles' round trip saw, before the answer was computed: an invalidation since then has
    made that version, and the copy with it, unreachable already."""
    fresh = result.status in (HIT, MISS) and result.fresh_until is not None
    answer = StoredAnswer.render(data, fresh_until=result.fresh_until if fresh else 0.0)
    read = personal_read(request, namespace)
    version = getattr(request, READ_VERSION_ATTR, None)
    ttl = int(answer.fresh_until - time.time())
    if fresh and read is not None and version is not None and ttl > 0 and set(request.GET).issubset(params):
        client = _redis(settings.API_CACHE_ALIAS)
        _guarded(lambda: client.set(read.prefix.encode() + version + read.suffix.encode(), answer.pack(), ex=ttl))
    return _personal(request, answer, x_cache=result.status)


class _Headers:
    """`request.headers.get` over META, without building Django's HttpHeaders of every header."""

    __slots__ = ("meta",)

    def __init__(self, meta):
        self.meta = meta

    def get(self, name: str, default=None):
        return self.meta.get("HTTP_" + name.upper().replace("-", "_"), default)


class _AnonymousCaller:
    """What the throttles read of a request to an unauthenticated view, before DRF wraps it."""

    __slots__ = ("META", "headers", "user", COUNTS_ATTR, READ_ATTR, READ_VERSION_ATTR)

    def __init__(self, request):
        self.META = request.META
        self.headers = _Headers(request.META)
        self.user = _ANONYMOUS


_ANONYMOUS = AnonymousUser()


class _Memo:
    """Per-process facts about the cache set-up, recomputed when a test overrides CACHES."""

    def __init__(self) -> None:
        self.reset()

    def reset(self, **kwargs) -> None:
        self._same_redis: bool | None = None
        self._public_prefix: str | None = None

    @property
    def same_redis(self) -> bool:
        if self._same_redis is None:
            self._same_redis = _same_redis()
        return self._same_redis

    @property
    def public_prefix(self) -> str:
        if self._public_prefix is None:
            self._public_prefix = _api_cache().make_key(f"{KEY_VERSION}:public:")
        return self._public_prefix


_memo = _Memo()
setting_changed.connect(_memo.reset, dispatch_uid="http_cache_memo")


def _view_for_fast_path(view_class):
    """An instance of the view for its throttles, and the `Allow` header DRF would send."""
    view = view_class()
    if hasattr(view, "get") and not hasattr(view, "head"):
        view.head = view.get  # as View.setup does, so `Allow` lists HEAD as DRF's answers do
    return view, ", ".join(view.allowed_methods)


def _servable(raw: bytes | None, caller, view, throttles) -> StoredAnswer | None:
    """The stored answer in `raw` if there is one, it is fresh and the throttles (already counted)
    let the request through; None sends the request on to the view (which answers a 429 itself)."""
    if raw is None:
        return None
    answer = StoredAnswer.unpack(raw)
    if answer.fresh_until <= time.time():  # the copy's own expiry is the backstop, not the clock
        return None
    if not all(throttle.allow_request(caller, view) for throttle in throttles):
        return None
    return answer


def public_fast_path(view_class, drf_view):
    """Attach to a public view (no authentication) the fast path FastPathMiddleware serves from:
    a GET whose response copy exists is answered from it in one round trip; None means "go on to
    the view", with the request already counted by the throttles. Returns `drf_view`."""
    view, allow = _view_for_fast_path(view_class)

    def fast_path(request, *args, **kwargs):
        if request.method != "GET":
            return None
        key = _memo.public_prefix + _request_digest(request)
        caller = _AnonymousCaller(request)
        throttles = view.get_throttles()
        if _memo.same_redis:
            count_request(caller, view, read=Read(key), throttles=throttles)
            raw = getattr(caller, READ_ATTR)
        else:
            count_request(caller, view, throttles=throttles)
            raw = _read(key)
        setattr(request, COUNTS_ATTR, getattr(caller, COUNTS_ATTR))
        if raw is None and resilience.redis_breaker.rejecting():
            raw = _read_local(key)  # Redis is out: this process's own copy, if it made one meanwhile
        answer = _servable(raw, caller, view, throttles)
        if answer is None:
            return None
        response = build_response(request, answer, cache_control=public_cache_control(answer.fresh_until), x_cache=HIT)
        response["Allow"] = allow
        metrics.fast_path_hit()
        return response

    drf_view.fast_path = fast_path
    return drf_view


class _TokenUser:
    """Who a valid access token names, as the throttles see a user (no database row read)."""

    __slots__ = ("id", "pk")
    is_authenticated = True
    is_anonymous = False

    def __init__(self, user_id: int) -> None:
        self.pk = self.id = user_id


class _TokenCaller(_AnonymousCaller):
    """What the throttles read of a request with a valid access token, before DRF wraps it."""

    def __init__(self, request, user_id: int):
        super().__init__(request)
        self.user = _TokenUser(user_id)


def _token_user_id(authenticators, request) -> int | None:
    """The user id a valid access token of the request names, from the first of the view's
    authenticators that can tell without reading the user (`user_id_without_lookup`), or None:
    then the view's own authentication answers (401 for a bad token)."""
    for authenticator in authenticators:
        user_id_of = getattr(authenticator, "user_id_without_lookup", None)
        if user_id_of is not None:
            return user_id_of(request)
    return None


def personal_fast_path(view_class, drf_view, namespace: Callable[[int], str]):
    """Attach to a personal view the fast path FastPathMiddleware serves from: a GET with a valid
    access token whose personal copy (personal_cached_response) exists under the current version of
    the user's `namespace` is answered from it in one round trip (throttles counted, copy read), with
    no database query. The user row is not read: a copy is only ever stored for an active user, and
    deactivating or deleting one bumps their namespaces (users.services.user_copies_revoke), which
    makes their copies unreachable. None means "go on to the view", the request already counted.
    Returns `drf_view`."""
    view, allow = _view_for_fast_path(view_class)
    authenticators = view.get_authenticators()

    def fast_path(request, *args, **kwargs):
        if request.method != "GET" or not _memo.same_redis:
            return None
        user_id = _token_user_id(authenticators, request)
        if user_id is None:
            return None
        caller = _TokenCaller(request, user_id)
        throttles = view.get_throttles()
        count_request(caller, view, read=personal_read(request, namespace(user_id)), throttles=throttles)
        for attr in (COUNTS_ATTR, READ_VERSION_ATTR):
            setattr(request, attr, getattr(caller, attr, None))
        answer = _servable(getattr(caller, READ_ATTR, None), caller, view, throttles)
        if answer is None:
            return None
        response = _personal(request, answer, x_cache=HIT)
        response["Allow"] = allow
        request.user = caller.user  # for the request log's user id
        return response

    drf_view.fast_path = fast_path
    return drf_view


@functools.lru_cache(maxsize=2048)
def _resolve(path: str) -> ResolverMatch:
    """The URLconf's match of a path, remembered: the hot paths are few and resolving them is a
    good part of a stored answer's cost. A match is only read, never changed, so one serves all."""
    return get_resolver().resolve(path)


def _forget_resolved(**kwargs) -> None:
    _resolve.cache_clear()


setting_changed.connect(_forget_resolved, dispatch_uid="http_cache_resolved")


class FastPathMiddleware:
    """Serves the views that have a `fast_path` (public_fast_path) before the middleware after it
    runs: sessions, CSRF, authentication and messages have nothing to do for an anonymous cached GET.
    Place it after the middleware whose headers every answer needs (security, CORS); it adds
    X-Frame-Options itself, as XFrameOptionsMiddleware would."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET":
            try:
                match = _resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)
            fast_path = getattr(match.func, "fast_path", None)
            if fast_path is not None:
                response = fast_path(request, *match.args, **match.kwargs)
                if response is not None:
                    request.resolver_match = match  # the request log and metrics name the route
                    response.xframe_options_exempt = True
                    response["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()
                    response["Content-Length"] = str(len(response.content))
                    return response
        return self.get_response(request)
