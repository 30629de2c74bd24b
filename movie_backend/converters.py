"""
URL path converters, registered by the root URLconf (movie_backend/urls.py) before any app's URLs
are included, so every app may use them; and the id ceiling they share with the serializers.
"""

TMDB_ID_MAX = 2_147_483_647  # TMDb ids are positive int32s (and our primary keys hold them)


class TMDbIdConverter:
    """A TMDb id: a positive int32. Anything else does not match, so it is a 404 before any lookup."""

    regex = "[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= TMDB_ID_MAX:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


# drf-spectacular's description of the `tmdb_id` converter (SPECTACULAR_SETTINGS' PATH_CONVERTER_OVERRIDES).
TMDB_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": TMDB_ID_MAX, "example": 603}
