"""
One error format for the whole API: {"detail": str, "code": str} plus "errors" for validation. The
codes and texts come from the one registry, movie_backend.errors.

Upstream (TMDb) failures are APIExceptions of their own so that every layer above the TMDb client
sees our errors, never `requests`. A database that is down, hung or too slow (connection refused or
lost, connect or statement timeout) is a 503 `database_unavailable`, never a 500, on every path; a body
over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 `request_too_large`.
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from movie_backend import errors

logger = logging.getLogger(__name__)

# What django.db raises when the database cannot answer: refused, lost or closed connections, connect
# and statement timeouts (psycopg2's QueryCanceled is an OperationalError), a locked SQLite file.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


class RegisteredError(exceptions.APIException):
    """An APIException whose status, code and default detail come from the registry
    (movie_backend.errors): subclasses set `error`."""

    error: errors.ApiError

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "error" in cls.__dict__:
            cls.status_code, cls.default_code, cls.default_detail = cls.error


class UpstreamError(RegisteredError):
    """A failure of an upstream dependency (TMDb). `retry_after` (seconds) becomes a Retry-After header."""

    error = errors.UPSTREAM_UNAVAILABLE

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None):
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamUnavailable(UpstreamError):
    pass


class UpstreamTimeout(UpstreamError):
    error = errors.UPSTREAM_TIMEOUT


class UpstreamRateLimited(UpstreamError):
    error = errors.UPSTREAM_RATE_LIMITED


class UpstreamMisconfigured(UpstreamError):
    error = errors.UPSTREAM_MISCONFIGURED


class UpstreamBadResponse(UpstreamError):
    """TMDb answered something we cannot use: an unreadable body, or a 4xx to a request the client
    cannot have got wrong (a 404 on a list is our bug, not the client's)."""

    error = errors.UPSTREAM_BAD_RESPONSE


class MovieNotFound(RegisteredError, exceptions.NotFound):
    """A movie id neither TMDb nor the catalogue knows (404 `not_found`)."""

    error = errors.MOVIE_NOT_FOUND


class DatabaseUnavailable(RegisteredError):
    """The database is down, hung or too slow to answer. `Retry-After`: the breaker's interval (a hung
    database is not asked again sooner, see movie_backend/db.py)."""

    error = errors.DATABASE_UNAVAILABLE

    def __init__(self, detail: str | None = None):
        super().__init__(detail)
        self.retry_after = max(1, settings.DB_BREAKER_SECONDS)


class RequestTooLarge(RegisteredError):
    error = errors.REQUEST_TOO_LARGE


def _first_message(detail) -> str:
    """The first human message inside DRF's nested error detail."""
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
        return ""
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def _error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        field_errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return {**errors.INVALID.body(), "errors": field_errors}
    detail = exc.detail
    code = exc.get_codes() if not isinstance(detail, (dict, list)) else None
    if isinstance(detail, dict):
        # simplejwt's InvalidToken carries {"detail", "code", "messages"}.
        code = str(detail.get("code", exc.default_code))
        message = str(detail.get("detail", exc.default_detail))
    elif isinstance(detail, list):
        message = _first_message(detail)
        code = exc.default_code
    else:
        message = str(detail)
    if code == "authentication_failed" and exc.status_code == status.HTTP_401_UNAUTHORIZED:
        code = "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else code
    return {"detail": message, "code": str(code)}


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error, expected or not, leaves as the one JSON shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        _log_database_unavailable(exc)
        exc = DatabaseUnavailable()

    if not isinstance(exc, exceptions.APIException):
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "API view", exc_info=exc)
        return Response(errors.SERVER_ERROR.body(), status=errors.SERVER_ERROR.status)

    response = drf_exception_handler(exc, context)
    response.data = _error_body(exc)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _log_database_unavailable(exc: Exception) -> None:
    logger.error("Database unavailable (%s: %s)", type(exc).__name__, str(exc).strip())


def _error_json(exc: exceptions.APIException) -> JsonResponse:
    response = JsonResponse(_error_body(exc), status=exc.status_code)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


# --- Django-level handlers so paths outside DRF (unknown URLs, crashes) answer JSON too -----------


def registered_json(error: errors.ApiError) -> JsonResponse:
    """A registry error as a JSON response of its status."""
    return JsonResponse(error.body(), status=error.status)


def json_not_found(request, exception=None):
    """handler404: 404 `not_found`."""
    return registered_json(errors.NOT_FOUND)


def json_server_error(request):
    """handler500: 500 `server_error`, or 503 `database_unavailable` when the database failed."""
    # Django calls handler500 inside its `except` block: a database failure raised outside a DRF view
    # (a middleware, the admin, the session store) is still a 503, not a 500.
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        _log_database_unavailable(exc)
        return _error_json(DatabaseUnavailable())
    return registered_json(errors.SERVER_ERROR)


def json_bad_request(request, exception=None):
    """handler400: 400 `bad_request`, or 413 `request_too_large` for a body over the limit."""
    if isinstance(exception, RequestDataTooBig):  # a body read outside DRF (the admin's forms)
        return _error_json(RequestTooLarge())
    return registered_json(errors.BAD_REQUEST)


def json_permission_denied(request, exception=None):
    """handler403: 403 `permission_denied`."""
    return registered_json(errors.PERMISSION_DENIED)
