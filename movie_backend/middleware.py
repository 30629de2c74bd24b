"""
RequestLogMiddleware: the outermost middleware. For every request it

- assigns a request id (a sane incoming `X-Request-ID`, else a new uuid4 hex), makes it available to
  every log record of the request and echoes it in the `X-Request-ID` response header;
- turns any error response that is not JSON (Django's 405 from a plain view, whitenoise's 405, a bare
  404/500) into the API's one error shape, with the status's generic error of movie_backend.errors,
  except under the admin, whose pages stay HTML;
- writes one log line: method, path (never the query string, never headers), status, duration_ms,
  request_id, the user id when the request was authenticated, the `X-Cache` value and, for errors,
  the error `code` (so upstream_* failures and the cache hit ratio can be counted from logs).
"""

import json
import logging
import re
import time
import uuid
from urllib.parse import quote

from corsheaders import middleware as corsheaders
from django.http import JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty

from movie_backend import errors, metrics
from movie_backend.logging import request_id_var

logger = logging.getLogger("movie_backend.request")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

# The admin's error pages stay HTML (API-CONTRACT: everything else answers JSON).
HTML_PATH_PREFIXES = ("/admin/",)
# Headers of the original error response that carry meaning and must survive the rewrite.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary", "Cache-Control", "X-Cache")


def request_id_from(request) -> str:
    """The caller's X-Request-ID when it is a short token of safe characters, else a new uuid4 hex."""
    # META, not request.headers: that would build a dict of every header on every request.
    incoming = request.META.get("HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_"), "")
    if _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _user_id(request) -> int | str | None:
    """The authenticated user's id, without triggering a session or database lookup to find out."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return None


def _error_code(response) -> str | None:
    """The `code` of an error answer (`upstream_timeout`, `throttled`, ...), for monitoring by code."""
    data = getattr(response, "data", None)  # DRF responses keep their data; no need to parse JSON
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        return data["code"]
    if response.get("Content-Type", "").startswith("application/json") and not response.streaming:
        try:
            parsed = json.loads(response.content)
        except ValueError:
            return None
        if isinstance(parsed, dict) and isinstance(parsed.get("code"), str):
            return parsed["code"]
    return None


def _is_json(response) -> bool:
    return "json" in response.get("Content-Type", "")


def _as_json_error(response, method: str):
    """The same error as the API's JSON shape, keeping status, meaningful headers and cookies."""
    error = errors.generic(response.status_code)
    body = error.body()
    if error is errors.METHOD_NOT_ALLOWED:
        body["detail"] = error.detail.format(method=method)
    replacement = JsonResponse(body, status=response.status_code)
    for header in _KEPT_HEADERS:
        if header in response:
            replacement[header] = response[header]
    replacement.cookies = response.cookies
    response.close()  # a streamed original (whitenoise's FileResponse) holds an open file
    return replacement


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request)
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            if (
                response.status_code >= 400
                and not _is_json(response)
                and not request.path.startswith(HTML_PATH_PREFIXES)
            ):
                response = _as_json_error(response, request.method)
            response[REQUEST_ID_HEADER] = request_id
            duration = time.perf_counter() - started
            self._log(request, response, duration_ms=duration * 1000)
            metrics.request_finished(request, response.status_code, duration)
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _log(request, response, *, duration_ms: float) -> None:
        status = response.status_code
        level = logging.ERROR if status >= 500 else logging.INFO
        if not logger.isEnabledFor(level):
            return
        path = quote(request.path, safe="/:@!$&'()*+,;=-._~")  # re-escape: no control characters in logs
        user_id = _user_id(request)
        cache = response.get("X-Cache")
        error_code = _error_code(response) if status >= 400 else None
        logger.log(
            level,
            "%s %s %s %.1fms user=%s cache=%s code=%s",
            request.method, path, status, duration_ms, user_id if user_id is not None else "-",
            cache or "-", error_code or "-",
            extra={
                "method": request.method,
                "path": path,
                "status": status,
                "duration_ms": round(duration_ms, 1),
                "user_id": user_id,
                "cache": cache,
                "error_code": error_code,
            },
        )


class CorsMiddleware(corsheaders.CorsMiddleware):
    """django-cors-headers' middleware, with its work skipped for a request that carries no Origin
    header (server-to-server calls, same-origin GETs, benchmarks): such a request gets no CORS
    headers from it anyway, only `Vary: Origin`, which is added here too. Looking for an Origin
    costs corsheaders a dict of every request header (`request.headers`) on each request, about a
    tenth of a cached answer's time. Preflights (OPTIONS) and requests with an Origin go through
    corsheaders unchanged."""

    def __call__(self, request):
        if request.method == "OPTIONS" or "HTTP_ORIGIN" in request.META:
            return super().__call__(request)
        response = self.get_response(request)
        if self.is_enabled(request):
            patch_vary_headers(response, ("origin",))
        return response
