"""
The API's error vocabulary, in one place: every error the project answers by itself, as (status, code,
detail). The exception classes and Django-level handlers (movie_backend.exceptions), the middleware
(error answers produced outside DRF) and the OpenAPI schema (movie_backend.schema) all read it.

Errors DRF raises itself keep DRF's wording; where we answer them outside DRF (the middleware) the
entry reads DRF's text, so there is still one source for it.
"""

from typing import NamedTuple

from rest_framework import exceptions


class ApiError(NamedTuple):
    status: int
    code: str
    detail: str

    def body(self) -> dict[str, str]:
        """The error's JSON body: {"detail", "code"}."""
        return {"detail": self.detail, "code": self.code}


INVALID = ApiError(400, "invalid", "Invalid input.")
BAD_REQUEST = ApiError(400, "bad_request", "Bad request.")
NOT_AUTHENTICATED = ApiError(401, "not_authenticated", str(exceptions.NotAuthenticated.default_detail))
PERMISSION_DENIED = ApiError(403, "permission_denied", "Permission denied.")
NOT_FOUND = ApiError(404, "not_found", str(exceptions.NotFound.default_detail))
MOVIE_NOT_FOUND = ApiError(404, "not_found", "Movie not found.")
# DRF's wording, with a `{method}` placeholder.
METHOD_NOT_ALLOWED = ApiError(405, "method_not_allowed", str(exceptions.MethodNotAllowed.default_detail))
NOT_ACCEPTABLE = ApiError(406, "not_acceptable", str(exceptions.NotAcceptable.default_detail))
REQUEST_TOO_LARGE = ApiError(413, "request_too_large", "Request body too large.")
UNSUPPORTED_MEDIA_TYPE = ApiError(415, "unsupported_media_type", "Unsupported media type in request.")
THROTTLED = ApiError(429, "throttled", str(exceptions.Throttled.default_detail))
SERVER_ERROR = ApiError(500, "server_error", "Internal server error.")
BAD_GATEWAY = ApiError(502, "bad_gateway", "Bad gateway.")
SERVICE_UNAVAILABLE = ApiError(503, "service_unavailable", "Service unavailable.")
GATEWAY_TIMEOUT = ApiError(504, "gateway_timeout", "Gateway timeout.")

# TMDb's failures (movie_backend.exceptions.Upstream*): TMDb is down, slow, limiting us, refusing our
# key, or answering something we cannot use (an unreadable body, or a 4xx to a request that cannot be
# wrong from the client's side, such as a 404 on a list).
UPSTREAM_UNAVAILABLE = ApiError(503, "upstream_unavailable", "The movie data provider is unavailable. Try again later.")
UPSTREAM_TIMEOUT = ApiError(504, "upstream_timeout", "The movie data provider did not answer in time. Try again later.")
UPSTREAM_RATE_LIMITED = ApiError(503, "upstream_rate_limited", "The movie data provider is rate limiting us. Try again later.")
UPSTREAM_MISCONFIGURED = ApiError(503, "upstream_misconfigured", "The movie data provider rejected this service's credentials.")
UPSTREAM_BAD_RESPONSE = ApiError(502, "upstream_bad_response", "The movie data provider sent an answer we could not read.")

# Auth failures: simplejwt's codes, in simplejwt's wording.
NO_ACTIVE_ACCOUNT = ApiError(401, "no_active_account", "No active account found with the given credentials")
NO_ACTIVE_ACCOUNT_FOR_TOKEN = ApiError(401, "no_active_account", "No active account found for the given token.")
TOKEN_BLACKLISTED = ApiError(401, "token_not_valid", "Token is blacklisted")
TOKEN_INVALID = ApiError(401, "token_not_valid", "Token is invalid")

DATABASE_UNAVAILABLE = ApiError(503, "database_unavailable", "The database is unavailable. Try again later.")

# Status -> the error answered for an error response of that status that is not JSON (produced
# outside DRF's exception handler: Django's 405 of a plain view, whitenoise's 405, a bare 404/500).
GENERIC: dict[int, ApiError] = {
    error.status: error
    for error in (
        BAD_REQUEST, NOT_AUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, METHOD_NOT_ALLOWED, NOT_ACCEPTABLE,
        REQUEST_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, THROTTLED, SERVER_ERROR, BAD_GATEWAY, SERVICE_UNAVAILABLE,
        GATEWAY_TIMEOUT,
    )
}
# Any other error status.
UNKNOWN = ApiError(0, "error", "Request failed.")


def generic(status: int) -> ApiError:
    """The generic error of an HTTP error status (UNKNOWN's code and detail for a status not listed)."""
    return GENERIC.get(status) or UNKNOWN._replace(status=status)
