"""
The trained recommendation model, stored as versions. A version and all its neighbour rows are
written in one transaction, so a reader sees a version only once it is complete; readers take the
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
    ease_lambda = models.FloatField()
    neighbors = models.PositiveIntegerField(help_text="Neighbours kept per movie (at most)")
    duration = models.FloatField(help_text="Seconds the run took")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Model {self.pk} ({self.created_at:%Y-%m-%d %H:%M}, {self.movies} movies)"


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
