"""
simplejwt's Bearer authentication, strict about the user id claim.

A token is only as well-formed as whoever signed it: simplejwt passes the `user_id` claim of any
correctly signed token straight into `User.objects.get(id=...)`, so a list, an object or
"1 OR 1=1" ended in a 500 and `true` found user 1. Here the claim must be what we issue (the id as
digits, or an int); anything else is 401 `token_not_valid` before any query.
"""

from __future__ import annotations

import re

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

_DIGITS = re.compile(r"[0-9]{1,19}")
_MAX_ID = 2**63 - 1  # a BigAutoField
UNRECOGNISED_USER = "Token contained no recognizable user identification"


def token_user_id(payload) -> int:
    """The user id a token's payload names; InvalidToken (401) when the claim is missing or not an id."""
    value = payload.get(jwt_settings.USER_ID_CLAIM)
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if type(value) is not int or not 0 < value <= _MAX_ID:  # bool is an int subclass: refused too
        raise InvalidToken(UNRECOGNISED_USER)
    return value


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        token_user_id(validated_token)
        return super().get_user(validated_token)

    def user_id_without_lookup(self, request) -> int | None:
        """The user id of the request's valid access token (signature, expiry, type, id claim),
        without reading the user; None when there is no valid token. For movie_backend.http_cache's
        personal fast path only: whether the user is still active is for its caller to know."""
        header = self.get_header(request)
        raw = self.get_raw_token(header) if header is not None else None
        if raw is None:
            return None
        try:
            return token_user_id(self.get_validated_token(raw))
        except (InvalidToken, TokenError, AuthenticationFailed):
            return None


class JWTAuthenticationScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the class above: simplejwt's (`jwtAuth`, bearer JWT)."""

    target_class = "users.authentication.JWTAuthentication"
