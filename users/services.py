"""
Writes of the Auth and Users use cases: registration, tokens, profile, favorites, not-interested marks.

Races are settled by database constraints (unique username/email, one favorite or mark per user and movie),
never by check-then-insert alone. Every change that can alter a user's recommendations invalidates
that user's cached list at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import IntegrityError, transaction
from django.db.models import Q
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from movie_backend import errors
from movie_backend.cache import invalidate_namespace
from movies.services import movie_ensure
from users.authentication import token_user_id
from users.models import Favorite, NotInterested, Profile, User
from users.recommendations import user_recs_namespace

USERNAME_TAKEN = "A user with that username already exists."
EMAIL_TAKEN = "A user with that email address already exists."


# --- accounts and tokens ------------------------------------------------------------------------------


def username_taken(*, username: str) -> bool:
    """Whether an account already has this username, ignoring case."""
    return User.objects.filter(username__iexact=username).exists()


def email_taken(*, email: str, exclude_user_id: int | None = None) -> bool:
    """Whether another account (not `exclude_user_id`) already has this email, ignoring case."""
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_user_id).exists()


def tokens_for_user(*, user: User) -> dict[str, str]:
    """A fresh refresh token (recorded as outstanding) and its access token."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def user_register(*, username: str, email: str, password: str) -> User:
    """Create an account and its profile. The serializer has validated the input; a concurrent
    registration of the same username or email loses on the database constraint and gets a 400."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            Profile.objects.create(user=user)
    except IntegrityError:
        errors = {}
        if username_taken(username=username):
            errors["username"] = [USERNAME_TAKEN]
        if email_taken(email=email):
            errors["email"] = [EMAIL_TAKEN]
        raise ValidationError(errors or {"non_field_errors": ["This account could not be created."]}) from None
    return user


def login_user_lookup(*, identifier: str) -> User | None:
    """The account a login identifier names: a username (any case) first, else an email (any case)."""
    matches = list(User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))[:2])
    for user in matches:
        if user.username.casefold() == identifier.casefold():
            return user
    return matches[0] if matches else None


def user_login(*, request, username: str, password: str) -> dict[str, str]:
    """Log in with a username (any case) or the account's email: a fresh token pair. An unknown
    account, a wrong password and an inactive account all raise the same 401 `no_active_account`."""
    user = login_user_lookup(identifier=username)
    # An unknown identifier is still run through authenticate(), which hashes the password anyway,
    # so the answer takes as long as for a wrong password.
    candidate = user.get_username() if user is not None else username
    user = authenticate(request=request, username=candidate, password=password)
    if user is None or not user.is_active:
        raise AuthenticationFailed(errors.NO_ACTIVE_ACCOUNT.detail, errors.NO_ACTIVE_ACCOUNT.code)
    if jwt_settings.UPDATE_LAST_LOGIN:  # what simplejwt's own login does; the admin shows it
        update_last_login(None, user)
    return tokens_for_user(user=user)


def _blacklist(token: RefreshToken, *, user: User) -> bool:
    """Put a refresh token on the blacklist; False when it already was (the unique token link of
    BlacklistedToken decides between racing requests)."""
    with transaction.atomic():
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=token.payload[jwt_settings.JTI_CLAIM],
            defaults={"user": user, "created_at": token.current_time, "token": str(token),
                      "expires_at": datetime_from_epoch(token.payload["exp"])},
        )
        _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: the given one is blacklisted (exactly once, even when two requests
    race with it) and a new pair is returned. Raises InvalidToken (401) for any bad token."""
    try:
        token = RefreshToken(refresh)  # checks signature, expiry, type and the blacklist
    except TokenError as exc:
        raise InvalidToken(exc.args[0]) from exc
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: token_user_id(token.payload)}).first()
    if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
        raise AuthenticationFailed(errors.NO_ACTIVE_ACCOUNT_FOR_TOKEN.detail, errors.NO_ACTIVE_ACCOUNT_FOR_TOKEN.code)
    if not _blacklist(token, user=user):  # another request rotated this token first
        raise InvalidToken(errors.TOKEN_BLACKLISTED.detail)
    return tokens_for_user(user=user)


def token_revoke(*, user: User, refresh: str) -> None:
    """Log out: blacklist the caller's refresh token. Someone else's token, or a bad one, is a 401
    exactly like an invalid token (it does not reveal whose it is)."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidToken(exc.args[0]) from exc
    if str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(getattr(user, jwt_settings.USER_ID_FIELD)):
        raise InvalidToken(errors.TOKEN_INVALID.detail)
    _blacklist(token, user=user)


# --- profile ------------------------------------------------------------------------------------------


def profile_ensure(*, user: User) -> Profile:
    """The user's profile, created on the spot for accounts made outside registration (createsuperuser)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_update(*, user: User, email: str | None = None, preferred_genres: Iterable[int] | None = None) -> Profile:
    """Change the email and/or the preferred genres (ids already validated) in one transaction.
    New preferred genres invalidate the user's cached recommendations."""
    profile = profile_ensure(user=user)
    try:
        with transaction.atomic():
            if email is not None and email != user.email:
                user.email = email
                user.save(update_fields=["email"])
            if preferred_genres is not None:
                profile.preferred_genres.set(list(preferred_genres))
                profile.save(update_fields=["updated_at"])
    except IntegrityError:  # lost a race for this email against another account
        user.refresh_from_db(fields=["email"])
        raise ValidationError({"email": [EMAIL_TAKEN]}) from None
    if preferred_genres is not None:
        invalidate_namespace(user_recs_namespace(user.id))
    return profile


def user_copies_revoke(*, user_ids) -> None:
    """Make the stored personal answers of these users unreachable (their cache namespaces are
    bumped). Call it whenever a user is deactivated or deleted: the personal fast path
    (movie_backend.http_cache) serves a stored answer to a valid access token without reading the
    user's row, trusting that only an active user's answers are reachable."""
    for user_id in user_ids:
        invalidate_namespace(user_recs_namespace(user_id))


# --- favorites and not-interested marks: one (user, movie) row each, the same rules ----------------------


def _movie_mark_add(model: type[Favorite] | type[NotInterested], *, user: User, movie_id: int):
    """Create the user's (user, movie) row of `model`; idempotent: (row, created). Concurrent adds of
    the same movie create one row: the losers hit the unique constraint inside a savepoint and read
    the winner's row. A new row changes the personal list, so its cache is invalidated."""
    movie = movie_ensure(movie_id=movie_id)
    try:
        with transaction.atomic():
            row = model.objects.create(user=user, movie=movie)
        created = True
    except IntegrityError:
        row = model.objects.get(user=user, movie=movie)
        created = False
    if created:
        invalidate_namespace(user_recs_namespace(user.id))
    return row, created


def _movie_mark_remove(model: type[Favorite] | type[NotInterested], *, user: User, movie_id: int) -> None:
    deleted, _ = model.objects.filter(user=user, movie_id=movie_id).delete()
    if not deleted:
        raise NotFound()
    invalidate_namespace(user_recs_namespace(user.id))


def favorite_add(*, user: User, movie_id: int) -> tuple[Favorite, bool]:
    """Add a movie to the user's favorites; idempotent: (favorite, created). Raises MovieNotFound
    (404) for an id neither the catalogue nor TMDb knows; concurrent adds create one row."""
    return _movie_mark_add(Favorite, user=user, movie_id=movie_id)


def favorite_remove(*, user: User, movie_id: int) -> None:
    """Remove a movie from the user's favorites; NotFound when it is not one of theirs."""
    _movie_mark_remove(Favorite, user=user, movie_id=movie_id)


def not_interested_add(*, user: User, movie_id: int) -> tuple[NotInterested, bool]:
    """Mark a movie as not interesting to the user, so it never appears in their personal list;
    idempotent: (mark, created). Raises MovieNotFound (404) for an unknown id; concurrent marks
    create one row."""
    return _movie_mark_add(NotInterested, user=user, movie_id=movie_id)


def not_interested_remove(*, user: User, movie_id: int) -> None:
    """Take a not-interested mark back; NotFound when the user has not marked that movie."""
    _movie_mark_remove(NotInterested, user=user, movie_id=movie_id)
