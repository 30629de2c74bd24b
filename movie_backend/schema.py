"""
OpenAPI pieces shared by every app: the one error shape and a helper that documents the error
responses an operation can give.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Human-readable message.")
    code = serializers.CharField(help_text="Machine-readable code, e.g. `not_found`, `upstream_timeout`.")


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (`non_field_errors` for the body as a whole).",
    )


_ERRORS = {
    400: (ValidationErrorSerializer, "Invalid input.", "invalid"),
    401: (ErrorSerializer, "Authentication credentials were not provided.", "not_authenticated"),
    403: (ErrorSerializer, "You do not have permission to perform this action.", "permission_denied"),
    404: (ErrorSerializer, "Not found.", "not_found"),
    405: (ErrorSerializer, 'Method "DELETE" not allowed.', "method_not_allowed"),
    429: (ErrorSerializer, "Request was throttled. Expected available in 42 seconds.", "throttled"),
    502: (ErrorSerializer, "The movie data provider sent an answer we could not read.", "upstream_bad_response"),
    503: (ErrorSerializer, "The movie data provider is unavailable. Try again later.", "upstream_unavailable"),
    504: (ErrorSerializer, "The movie data provider did not answer in time. Try again later.", "upstream_timeout"),
}
_DESCRIPTIONS = {
    400: "Invalid input; `errors` names each bad field.",
    401: "Missing, invalid or expired access token.",
    403: "Authenticated but not allowed.",
    404: "No such object (or not yours).",
    405: "Method not allowed on this path.",
    429: "Rate limited; see the `Retry-After` header.",
    502: "TMDb answered with something unreadable (`upstream_bad_response`).",
    503: "TMDb is down, rate limiting us or rejecting our key (`upstream_unavailable`, "
         "`upstream_rate_limited`, `upstream_misconfigured`); see `Retry-After`.",
    504: "TMDb did not answer in time (`upstream_timeout`).",
}

UPSTREAM = (502, 503, 504)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for the given error statuses, each with the one error shape and an example."""
    documented = {}
    for status in statuses:
        serializer, detail, code = _ERRORS[status]
        example = {"detail": detail, "code": code}
        if status == 400:
            example["errors"] = {"page": ["Ensure this value is less than or equal to 500."]}
        documented[status] = OpenApiResponse(
            response=serializer,
            description=_DESCRIPTIONS[status],
            examples=[OpenApiExample(code, value=example, response_only=True, status_codes=[str(status)])],
        )
    return documented
