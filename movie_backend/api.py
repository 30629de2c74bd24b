"""
The one way views read their input: `validated_query` for query parameters, `validated_body` for the
JSON body. Each validates with an input serializer and raises its ValidationError (a 400 `invalid`
with per-field `errors`, see movie_backend.exceptions) on bad input.
"""

from rest_framework import serializers


def validated_query(serializer_class: type[serializers.Serializer], request) -> dict:
    """The request's query parameters validated by `serializer_class` (400 on bad input).

    Validated from a plain dict, not the QueryDict: DRF reads a QueryDict with HTML-form rules,
    under which a blank optional parameter (`?time_window=`) silently means "not given". In this
    API a blank value is bad input.
    """
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


def validated_body(serializer_class: type[serializers.Serializer], request, **context) -> dict:
    """The request's body validated by `serializer_class` (400 on bad input); `context` is passed to
    the serializer (e.g. `user=` for checks against the caller's own account)."""
    body = serializer_class(data=request.data, context=context)
    body.is_valid(raise_exception=True)
    return body.validated_data
