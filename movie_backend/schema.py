"""
OpenAPI pieces shared by every app: the one error shape, a helper that documents the error
responses an operation can give, and the AutoSchema that adds what a per-view list cannot know.
"""

from django.core.validators import RegexValidator
from drf_spectacular import openapi
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers

from movie_backend import errors


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Human-readable message.")
    code = serializers.CharField(help_text="Machine-readable code, e.g. `not_found`, `upstream_timeout`.")


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Messages per field (`non_field_errors` for the body as a whole): a list of messages, or "
                  "for list and nested fields an object keyed by index or sub-field. Absent when the body "
                  "could not be parsed at all (`code` is then `parse_error`, `nesting_too_deep` or "
                  "`invalid_unicode`).",
    )


# The example of each error status: the registry's error (movie_backend.errors), as an operation
# typically gives it. 400's example gets the operation's `errors`.
_EXAMPLES: dict[int, tuple[type[serializers.Serializer], errors.ApiError]] = {
    400: (ValidationErrorSerializer, errors.INVALID),
    401: (ErrorSerializer, errors.NOT_AUTHENTICATED),
    403: (ErrorSerializer, errors.PERMISSION_DENIED),
    404: (ErrorSerializer, errors.NOT_FOUND),
    405: (ErrorSerializer, errors.METHOD_NOT_ALLOWED._replace(
        detail=errors.METHOD_NOT_ALLOWED.detail.format(method="DELETE"))),
    413: (ErrorSerializer, errors.REQUEST_TOO_LARGE),
    # Inside DRF views the media type is named (DRF's wording); the registry's text is the middleware's.
    415: (ErrorSerializer, errors.UNSUPPORTED_MEDIA_TYPE._replace(
        detail=exceptions.UnsupportedMediaType.default_detail.format(media_type="text/plain"))),
    429: (ErrorSerializer, errors.THROTTLED._replace(
        detail=f"{errors.THROTTLED.detail} {exceptions.Throttled.extra_detail_plural.format(wait=42)}")),
    502: (ErrorSerializer, errors.UPSTREAM_BAD_RESPONSE),
    503: (ErrorSerializer, errors.UPSTREAM_UNAVAILABLE),
    504: (ErrorSerializer, errors.UPSTREAM_TIMEOUT),
}
_DESCRIPTIONS = {
    400: "Invalid input; `errors` names each bad field (`parse_error`: the body is not valid JSON; "
         "`nesting_too_deep`: arrays/objects nested over 400 levels; `invalid_unicode`: a string holds "
         "an unpaired surrogate such as `\\ud800`).",
    401: "Missing, invalid or expired access token.",
    403: "Authenticated but not allowed.",
    404: "No such object (or not yours).",
    405: "Method not allowed on this path.",
    413: "The body is larger than the server accepts (`request_too_large`; 2.5 MB).",
    415: "The request body is not `application/json`.",
    429: "Rate limited; see the `Retry-After` header.",
    502: "TMDb answered with something unreadable, or refused a request it should accept, such as a list "
         "it does not know (`upstream_bad_response`).",
    503: "TMDb is down, rate limiting us or rejecting our key (`upstream_unavailable`, "
         "`upstream_rate_limited`, `upstream_misconfigured`); see `Retry-After`.",
    504: "TMDb did not answer in time (`upstream_timeout`).",
}

UPSTREAM = (502, 503, 504)
# DRF's answer to a body that is not JSON (its JSONParser's wording).
_PARSE_ERROR = errors.ApiError(400, "parse_error", "JSON parse error - Expecting value: line 1 column 1 (char 0)")

# The 503 of every operation that reads or writes the database (movie_backend.exceptions.DatabaseUnavailable).
_DATABASE_503_DESCRIPTION = "The database is down, hung or too slow (`database_unavailable`); see `Retry-After`."


def database_unavailable_response() -> OpenApiResponse:
    """The documented 503 `database_unavailable` of an operation that uses the database."""
    error = errors.DATABASE_UNAVAILABLE
    return OpenApiResponse(
        response=ErrorSerializer, description=_DATABASE_503_DESCRIPTION,
        examples=[OpenApiExample(error.code, value=error.body(), response_only=True, status_codes=["503"])],
    )


PAGE_INVALID = {"page": ["Ensure this value is less than or equal to 500."]}


def error_responses(
    *statuses: int, invalid: dict | None = None, details: dict[int, errors.ApiError] | None = None,
) -> dict[int, OpenApiResponse]:
    """`responses=` entries for the given error statuses, each with the one error shape and an example
    of that error as this operation gives it: `invalid` is the 400 example's `errors` (default: a bad
    `page`, for list operations), `details` replaces the registry error of other statuses' examples."""
    documented = {}
    for status in statuses:
        serializer, error = _EXAMPLES[status]
        error = (details or {}).get(status, error)
        code = error.code
        example = error.body()
        if status == 400:
            example["errors"] = invalid if invalid is not None else PAGE_INVALID
        documented[status] = OpenApiResponse(
            response=serializer,
            description=_DESCRIPTIONS[status],
            examples=[OpenApiExample(code, value=example, response_only=True, status_codes=[str(status)])],
        )
    return documented


# --- Responses every operation gets from the project's global machinery -------------------------------

_HEADERS = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": build_basic_type(OpenApiTypes.INT),
    },
    "WWW-Authenticate": {
        "description": 'The expected scheme: `Bearer realm="api"`.',
        "schema": build_basic_type(OpenApiTypes.STR),
    },
    "ETag": {
        "description": "A strong validator of the body; send it back in `If-None-Match` to get a `304`.",
        "schema": build_basic_type(OpenApiTypes.STR),
    },
    "Cache-Control": {
        "description": "Public answers: `public, max-age=N`, N being what is left of the answer's freshness "
                       "(short for an answer built while TMDb was partly failing), or `no-cache` for stale "
                       "answers and answers from our own catalogue. Personal answers: `private, no-cache`.",
        "schema": build_basic_type(OpenApiTypes.STR),
    },
    "Vary": {
        "description": "`Accept-Encoding` (gzip is sent to clients that accept it), plus `Authorization` on "
                       "personal answers.",
        "schema": build_basic_type(OpenApiTypes.STR),
    },
    "X-Cache": {
        "description": "`HIT`: served from cache; `MISS`: fetched from TMDb now; `STALE`: an older copy "
                       "served because TMDb is failing. Absent when the answer did not go through the cache.",
        "schema": {"type": "string", "enum": ["HIT", "MISS", "STALE"]},
    },
}
_BODY_METHODS = ("POST", "PUT", "PATCH")
# One character that Python's str.strip() keeps, spelled out: `\S` means different things in ECMA-262
# (what JSON Schema specifies) and Python regexes, and neither matches str.isspace() exactly.
NOT_BLANK_PATTERN = "[^\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses the project's global machinery can give
    on an operation, whatever the view's own `responses=` says:

    - 401 whenever the view has authenticators: an invalid or expired Bearer token is refused even
      on endpoints that allow anonymous access;
    - 429 whenever the view has throttles (they are global, see DEFAULT_THROTTLE_CLASSES);
    - 400, 413 and 415 on operations with a request body (malformed JSON, too large, another content
      type), and 400 on operations with query parameters (validated by a serializer);
    - 503 `database_unavailable` on every operation whose view uses the database (all but those that
      set `uses_database = False`, the probes), merged into the TMDb 503 where there is one;
    - 404 on operations with path parameters (the URL converter rejects the value, or no such object);
    - headers: `WWW-Authenticate` on 401, `Retry-After` on 429 and on 503 (TMDb's or the database's),
      and on operations that go upstream (those documenting 502 or 504), for GETs, `X-Cache` on 2xx.
    - on GETs of views with `http_cached = True`: the `If-None-Match` header, a `304` response, and
      `ETag`, `Cache-Control` and `Vary` on 2xx and 304.
    405 is not added: it answers methods an operation does not have, so it belongs to no operation
    (the contract run's `unsupported_method` check covers it: JSON body plus `Allow`).

    Views therefore declare only what is specific to them: statuses not implied here (502/503/504 of
    operations that go upstream, a 401 without authenticators, a 404 without a path parameter) and
    implied ones whose example they tailor (`invalid=` for a 400, MOVIE_NOT_FOUND for a 404).
    Responses are listed by status.
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """Request strings that DRF trims must contain a non-blank character: "   " is trimmed to "" and
        rejected as blank, which a bare `minLength: 1` does not say."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "enum" not in schema
            # A field with a pattern of its own (added after this method) says more than "not blank".
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NOT_BLANK_PATTERN
        return schema

    def _http_cached(self) -> bool:
        """A GET answered with ETag and Cache-Control (movie_backend.http_cache): the view says so."""
        return self.method == "GET" and getattr(self.view, "http_cached", False)

    def _get_parameters(self):
        parameters = super()._get_parameters()
        if self._http_cached():
            parameters.append({
                "in": "header", "name": "If-None-Match", "required": False,
                "description": "ETags of copies the client holds; a match answers `304` without a body.",
                "schema": build_basic_type(OpenApiTypes.STR),
            })
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        body = self.method in _BODY_METHODS and bool(self._get_request_body())
        if self._http_cached():
            responses["304"] = {"description": "Not Modified: the `If-None-Match` ETag is current; no body."}
        for status in self._implied_error_statuses():
            if str(status) not in responses:
                documented = error_responses(status)[status]
                if status == 400 and body:  # a body that is not JSON: no per-field errors
                    documented = OpenApiResponse(documented.response, documented.description, examples=[
                        OpenApiExample(_PARSE_ERROR.code, value=_PARSE_ERROR.body(),
                                       response_only=True, status_codes=["400"])])
                responses[str(status)] = self._get_response_for_code(
                    documented, str(status), media_types=["application/json"], direction=direction,
                )
        if self._uses_database():
            self._add_database_503(responses, direction)
        self._add_headers(responses)
        # By status, whichever were declared by the view and whichever implied here.
        return dict(sorted(responses.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 1000))

    def _uses_database(self) -> bool:
        return getattr(self.view, "uses_database", True)

    def _add_database_503(self, responses: dict, direction: str) -> None:
        database = self._get_response_for_code(
            database_unavailable_response(), "503", media_types=["application/json"], direction=direction,
        )
        existing = responses.get("503")
        if existing is None:
            responses["503"] = database
            return
        existing["description"] = f"{existing['description']} Also when the database is unavailable (`database_unavailable`)."
        examples = existing.get("content", {}).get("application/json", {}).get("examples")
        if examples is not None:
            examples.update(database["content"]["application/json"]["examples"])

    def _implied_error_statuses(self) -> list[int]:
        statuses = []
        if self.method in _BODY_METHODS and self._get_request_body():
            statuses += [400, 413, 415]
        elif any(parameter["in"] == "query" for parameter in self._get_parameters()):
            statuses.append(400)  # query parameters are validated by a serializer
        if self.view.get_authenticators():
            statuses.append(401)
        if "{" in self.path:
            statuses.append(404)  # a path parameter the URL converter rejects, or no such object
        if self.view.get_throttles():
            statuses.append(429)
        return statuses

    def _add_headers(self, responses: dict) -> None:
        # 502/504 only ever come from TMDb; readyz's 503 (a probe, uses_database False) has no Retry-After.
        goes_upstream = "502" in responses or "504" in responses
        cached_read = goes_upstream and self.method == "GET"
        for code, response in responses.items():
            wanted = []
            if code == "401":
                wanted.append("WWW-Authenticate")
            if code == "429" or (code == "503" and (goes_upstream or self._uses_database())):
                wanted.append("Retry-After")
            if cached_read and code.startswith("2"):
                wanted.append("X-Cache")
            if self._http_cached() and (code.startswith("2") or code == "304"):
                wanted += ["ETag", "Cache-Control", "Vary"]
            for name in wanted:
                response.setdefault("headers", {}).setdefault(name, dict(_HEADERS[name]))


# --- Links between operations (OpenAPI `links`), so clients and stateful fuzzing can follow ids -------

# (source path, method, status) -> {link name: (target path, method, {parameter: runtime expression})};
# the key "$request_body" gives the link's requestBody instead of a parameter. Links whose source or
# target operation is not in the schema are skipped.
LINKS = {
    ("/api/movies/{movie_id}/", "get", "200"): {
        "MovieRecommendations": ("/api/movies/{movie_id}/recommendations/", "get", {"movie_id": "$response.body#/id"}),
    },
    ("/api/users/favorites/", "post", "201"): {
        "RemoveFavorite": ("/api/users/favorites/{movie_id}/", "delete", {"movie_id": "$response.body#/movie/id"}),
        "FavoriteMovie": ("/api/movies/{movie_id}/", "get", {"movie_id": "$response.body#/movie/id"}),
    },
    ("/api/users/favorites/", "post", "200"): {
        "RemoveFavorite": ("/api/users/favorites/{movie_id}/", "delete", {"movie_id": "$response.body#/movie/id"}),
    },
    ("/api/auth/login/", "post", "200"): {
        "Refresh": ("/api/auth/refresh/", "post", {"$request_body": {"refresh": "$response.body#/refresh"}}),
        "Logout": ("/api/auth/logout/", "post", {"$request_body": {"refresh": "$response.body#/refresh"}}),
    },
    ("/api/auth/register/", "post", "201"): {
        "Refresh": ("/api/auth/refresh/", "post", {"$request_body": {"refresh": "$response.body#/refresh"}}),
        "Logout": ("/api/auth/logout/", "post", {"$request_body": {"refresh": "$response.body#/refresh"}}),
    },
    ("/api/auth/refresh/", "post", "200"): {
        "RefreshAgain": ("/api/auth/refresh/", "post", {"$request_body": {"refresh": "$response.body#/refresh"}}),
        "Logout": ("/api/auth/logout/", "post", {"$request_body": {"refresh": "$response.body#/refresh"}}),
    },
}


def add_links(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK: adds the LINKS that exist in this schema."""
    paths = result.get("paths", {})
    for (path, method, status), links in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        for name, (target_path, target_method, parameters) in links.items():
            target = paths.get(target_path, {}).get(target_method)
            if target is None:
                continue
            link = {"operationId": target["operationId"]}
            parameters = dict(parameters)
            if "$request_body" in parameters:
                link["requestBody"] = parameters.pop("$request_body")
            if parameters:
                link["parameters"] = parameters
            response.setdefault("links", {})[name] = link
    return result


# --- The schema the docs pages show (Swagger UI, ReDoc): the same, minus raw regular expressions ---------

NOT_BLANK_WORDS = "Must contain a character other than whitespace."


def for_readers(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK of /api/schema/docs/ only: every `pattern` is dropped, so the
    docs show no raw regular expressions. Each rule is said in words instead: the not-blank pattern
    becomes a sentence of the description; the others are in their fields' descriptions already
    (tests/ops/test_docs.py checks it). /api/schema/ keeps the patterns for machines."""

    def walk(node):
        if isinstance(node, dict):
            pattern = node.pop("pattern", None) if isinstance(node.get("pattern"), str) else None
            # A parameter's rule goes in the parameter's description, which is what readers see.
            if "in" in node and isinstance(node.get("schema"), dict) and isinstance(node["schema"].get("pattern"), str):
                pattern = node["schema"].pop("pattern")
            if pattern == NOT_BLANK_PATTERN:
                node["description"] = f"{node.get('description', '')} {NOT_BLANK_WORDS}".strip()
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
