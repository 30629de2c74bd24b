"""What every part of the stub shares: the URL prefixes, TMDb's error codes and how an answer is cut short.

``TMDB_ERRORS`` is TMDb's own table (contract §5): status code -> (HTTP status, verbatim message).
A handler that must answer at once (an unknown id, a bad key, an invalid page) raises ``Response``;
the request handler in ``server.py`` sends it.
"""

from __future__ import annotations

from typing import Any

API_PREFIX = "/3"
CONTROL_PREFIX = "/__stub__"

# TMDb status codes -> (HTTP status, verbatim message); contract §5.
TMDB_ERRORS: dict[int, tuple[int, str]] = {
    2: (501, "Invalid service: this service does not exist."),
    3: (401, "Authentication failed: You do not have permissions to access the service."),
    4: (405, "Invalid format: This service doesn't exist in that format."),
    5: (422, "Invalid parameters: Your request parameters are incorrect."),
    6: (404, "Invalid id: The pre-requisite id is invalid or not found."),
    7: (401, "Invalid API key: You must be granted a valid key."),
    9: (503, "Service offline: This service is temporarily offline, try again later."),
    10: (401, "Suspended API key: Access to your account has been suspended, contact TMDB."),
    11: (500, "Internal error: Something went wrong, contact TMDB."),
    18: (400, "Validation failed."),
    19: (406, "Invalid accept header."),
    20: (422, "Invalid date range: Should be a range no longer than 14 days."),
    22: (400, "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer."),
    23: (400, "Invalid date: Format needs to be YYYY-MM-DD."),
    24: (504, "Your request to the backend server timed out. Try again."),
    25: (429, "Your request count (41) is over the allowed limit of 40."),
    27: (400, "Too many append to response objects: The maximum number of remote calls is 20."),
    34: (404, "The resource you requested could not be found."),
    35: (401, "Invalid token."),
    43: (502, "Couldn't connect to the backend server."),
    44: (500, "The ID is invalid."),
    46: (503, "The API is undergoing maintenance. Try again later."),
    47: (400, "The input is not valid."),
}


def tmdb_error(code: int, message: str | None = None) -> tuple[int, dict[str, Any]]:
    """(HTTP status, TMDb error body) for a TMDb status code; unknown codes answer as code 11's 500."""
    http_status, default_message = TMDB_ERRORS.get(code, (500, TMDB_ERRORS[11][1]))
    body = {"status_code": code, "status_message": message or default_message, "success": False}
    return http_status, body


class Response(Exception):
    """Short-circuits handling with a ready response."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def not_found() -> Response:
    """TMDb's 404 (code 34), for unknown paths, ids and sub-resources."""
    return Response(*tmdb_error(34))


def int_or_none(value: str | None) -> int | None:
    """A query parameter or header as an int; None when absent or not a number."""
    if value is None:
        return None
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return None
