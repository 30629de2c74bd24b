from django.db import models


class Genre(models.Model):
    """A TMDb movie genre; the id is TMDb's."""

    id = models.PositiveIntegerField(primary_key=True, help_text="TMDb genre id")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Movie(models.Model):
    """A movie of our catalogue: every movie the API has served, upserted from TMDb (or the demo seed).

    The primary key is the TMDb movie id, so ids are the same in our URLs, bodies and TMDb's.
    """

    id = models.PositiveIntegerField(primary_key=True, help_text="TMDb movie id")
    title = models.CharField(max_length=500)
    original_title = models.CharField(max_length=500, blank=True)
    overview = models.TextField(blank=True)
    release_date = models.DateField(null=True, blank=True)
    original_language = models.CharField(max_length=16, blank=True)
    vote_average = models.FloatField(default=0)
    vote_count = models.PositiveIntegerField(default=0)
    popularity = models.FloatField(default=0)
    # NULL, not "": the API contract says null for a missing path or id, and so does TMDb.
    poster_path = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    backdrop_path = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)

    # Detail fields: filled when the movie's details were fetched.
    tagline = models.CharField(max_length=500, blank=True)
    runtime = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True)
    imdb_id = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    homepage = models.CharField(max_length=500, blank=True)
    budget = models.BigIntegerField(default=0)
    revenue = models.BigIntegerField(default=0)
    cast = models.JSONField(default=list, blank=True, help_text="Top-billed cast as served by the API")
    directors = models.JSONField(default=list, blank=True)
    trailer = models.JSONField(null=True, blank=True)
    details_fetched_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["-popularity"], name="movie_popularity_idx"),
            models.Index(fields=["-vote_count"], name="movie_vote_count_idx"),
            models.Index(fields=["release_date"], name="movie_release_date_idx"),
            models.Index(fields=["title"], name="movie_title_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.release_date.year})" if self.release_date else self.title
