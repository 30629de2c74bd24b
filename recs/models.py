"""
The trained recommendation model, stored as versions: per movie its strongest neighbours, and per
user their best movies by the full (unpruned) model. A version and all its rows are written in one
transaction, so a reader sees a version only once it is complete; readers take the
newest version and read rows by its id, so they never mix two models. Movie ids are plain integers
(no foreign key): the model is a snapshot, and a movie gone from the catalogue is skipped when read.
"""

from django.db import models


class ModelVersion(models.Model):
    """One training run's model and its figures."""

    created_at = models.DateTimeField(auto_now_add=True)
    users = models.PositiveIntegerField(help_text="Users with at least one favorite")
    movies = models.PositiveIntegerField(help_text="Movies the model knows (columns)")
    favorites = models.PositiveIntegerField(help_text="Favorites trained on (within those movies)")
    neighbor_rows = models.PositiveIntegerField(default=0)
    user_rows = models.PositiveIntegerField(default=0)
    favorites_read_at = models.DateTimeField(help_text="When the favorites were read: later ones are not in the user rows")
    ease_lambda = models.FloatField()
    neighbors = models.PositiveIntegerField(help_text="Neighbours kept per movie (at most)")
    duration = models.FloatField(help_text="Seconds the run took")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Model {self.pk} ({self.created_at:%Y-%m-%d %H:%M}, {self.movies} movies)"


class ModelMovie(models.Model):
    """A movie the version knows (one of its columns): looked up by the personal list for every
    favorite, so it is an index probe per movie, not a scan of the movie's neighbour rows."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    movie_id = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "movie_id"], name="recs_modelmovie_unique")]

    def __str__(self) -> str:
        return f"{self.movie_id} in model {self.version_id}"


class Neighbor(models.Model):
    """A kept EASE weight: liking `movie_id` adds `weight` to `neighbor_id`'s score."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    movie_id = models.PositiveIntegerField()
    neighbor_id = models.PositiveIntegerField()
    weight = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["version", "movie_id", "-weight"], name="recs_neighbor_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.movie_id} -> {self.neighbor_id} ({self.weight:.4f})"


class UserScore(models.Model):
    """One of a user's best movies by the dense model, computed at training time from the favorites
    they had then; `because_id` is the favorite whose weight contributed most."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    user_id = models.PositiveIntegerField()
    movie_id = models.PositiveIntegerField()
    score = models.FloatField()
    because_id = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["version", "user_id"], name="recs_userscore_lookup_idx")]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.movie_id} ({self.score:.4f})"
