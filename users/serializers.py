"""
Input and output serializers of the Auth and Users endpoints. Inputs list their fields explicitly,
so anything else in a body (is_staff, id, user, ...) is ignored: no mass assignment.
"""

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import ProhibitNullCharactersValidator

from movie_backend.converters import TMDB_ID_MAX
from movie_backend.pagination import PageQuerySerializer, page_serializer
from movies import services as movie_services
from movies.serializers import GenreIdField, MovieSummarySerializer
from users import recommender, services
from users.models import User

MAX_PREFERRED_GENRES = 50

# --- auth ---------------------------------------------------------------------------------------------


# minLength mirrors MinimumLengthValidator and the pattern NumericPasswordValidator (one character that
# is not a digit), so the schema states them; "not common" and "not too similar to the username" cannot
# be said in JSON Schema. The validators themselves still decide (users.serializers.validate).
@extend_schema_field({"type": "string", "format": "password", "minLength": 8, "maxLength": 128, "pattern": "\\D"})
class NewPasswordField(serializers.CharField):
    pass


class UsernameField(serializers.RegexField):
    """A new username: a JSON string only (DRF would turn the number 42 into "42"; the schema says string)."""

    default_error_messages = {"not_a_string": "Not a valid string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class RegisterInputSerializer(serializers.Serializer):
    username = UsernameField(UnicodeUsernameValidator.regex, max_length=150,
                                      help_text="Letters, digits and @/./+/-/_ only; unique regardless of case.")
    email = serializers.EmailField(max_length=254, help_text="Unique regardless of case.")
    password = NewPasswordField(
        write_only=True, trim_whitespace=False, min_length=8, max_length=128, style={"input_type": "password"},
        help_text="8 to 128 characters, not only digits; common passwords and passwords too similar to the "
                  "username or email are refused.",
    )

    def validate_username(self, value: str) -> str:
        if services.username_taken(username=value):
            raise serializers.ValidationError(services.USERNAME_TAKEN)
        return value

    def validate_email(self, value: str) -> str:
        if services.email_taken(email=value):
            raise serializers.ValidationError(services.EMAIL_TAKEN)
        return value

    def validate(self, attrs: dict) -> dict:
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Access token: send as `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(help_text="Refresh token: exchange at /api/auth/refresh/, revoke at logout.")


class RegisterOutputSerializer(TokenPairSerializer):
    user = AccountSerializer()


class LoginInputSerializer(serializers.Serializer):
    """The login body: a username (or the account's email) and its password."""

    username = serializers.CharField(help_text="The username, or the account's email address.")
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class TokenField(serializers.CharField):
    """A token string. Whatever it holds (a NUL character included) it is checked as a token, so a
    malformed one is a 401 `token_not_valid` like any other bad token, not a 400."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class RefreshInputSerializer(serializers.Serializer):
    refresh = TokenField(help_text="A refresh token, as returned by login, register or refresh.")


# --- profile ------------------------------------------------------------------------------------------


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    date_joined = serializers.DateTimeField()
    preferred_genres = serializers.ListField(child=serializers.IntegerField(), help_text="Genre ids.")


class MeUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    preferred_genres = serializers.ListField(
        child=GenreIdField(min_value=1, max_value=TMDB_ID_MAX), required=False,
        max_length=MAX_PREFERRED_GENRES, help_text="Genre ids (see /api/movies/genres/); replaces the list. An id that is no movie genre is a 400.",
    )

    def validate_email(self, value: str) -> str:
        user = self.context["user"]
        if services.email_taken(email=value, exclude_user_id=user.pk):
            raise serializers.ValidationError(services.EMAIL_TAKEN)
        return value

    def validate_preferred_genres(self, value: list[int]) -> list[int]:
        wanted = list(dict.fromkeys(value))
        unknown = movie_services.genres_unknown(genre_ids=wanted)
        if unknown:
            raise serializers.ValidationError([f"Unknown genre id {genre_id}." for genre_id in unknown])
        return wanted


# --- favorites ----------------------------------------------------------------------------------------


class FavoriteInputSerializer(serializers.Serializer):
    movie_id = serializers.IntegerField(min_value=1, max_value=TMDB_ID_MAX, help_text="TMDb movie id.")


class FavoriteSerializer(serializers.Serializer):
    movie = MovieSummarySerializer()
    added_at = serializers.DateTimeField()


FavoritePageSerializer = page_serializer(FavoriteSerializer, "FavoritePage")


class FavoriteListQuerySerializer(PageQuerySerializer):
    pass


# --- not interested -----------------------------------------------------------------------------------


class NotInterestedInputSerializer(serializers.Serializer):
    movie_id = serializers.IntegerField(min_value=1, max_value=TMDB_ID_MAX, help_text="TMDb movie id.")


class NotInterestedSerializer(serializers.Serializer):
    movie = MovieSummarySerializer()
    created_at = serializers.DateTimeField()


NotInterestedPageSerializer = page_serializer(NotInterestedSerializer, "NotInterestedPage")


class NotInterestedListQuerySerializer(PageQuerySerializer):
    pass


# --- recommendations ----------------------------------------------------------------------------------


class RecommendationReasonSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[recommender.BECAUSE_YOU_LIKED, recommender.GENRE, recommender.POPULAR])
    movie_id = serializers.IntegerField(required=False, help_text="The favorite this comes from (because_you_liked only).")
    text = serializers.CharField(help_text='e.g. "Because you liked Alien".')


class RecommendationSerializer(MovieSummarySerializer):
    reason = RecommendationReasonSerializer()


RecommendationPageSerializer = page_serializer(RecommendationSerializer, "RecommendationPage")


class RecommendationQuerySerializer(PageQuerySerializer):
    pass
