from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """The account. Usernames and emails are unique regardless of case."""

    email = models.EmailField("email address", blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), name="user_email_ci_unique", condition=~models.Q(email="")
            ),
        ]


class Profile(models.Model):
    """Per-user preferences; one per user, created with the account."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    preferred_genres = models.ManyToManyField("movies.Genre", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Favorite(models.Model):
    """A movie a user keeps. One row per (user, movie), enforced by the database."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="favorites")
    movie = models.ForeignKey("movies.Movie", on_delete=models.CASCADE, related_name="favorited_by")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "movie"], name="favorite_user_movie_unique")]
        indexes = [
            models.Index(fields=["user", "-added_at"], name="favorite_user_added_idx"),
            models.Index(fields=["movie", "user"], name="favorite_movie_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.movie_id}"


class NotInterested(models.Model):
    """A movie a user asked never to be recommended. One row per (user, movie), enforced by the database."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="not_interested")
    movie = models.ForeignKey("movies.Movie", on_delete=models.CASCADE, related_name="not_interested_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "not-interested mark"
        constraints = [models.UniqueConstraint(fields=["user", "movie"], name="not_interested_user_movie_unique")]
        indexes = [models.Index(fields=["user", "-created_at"], name="not_interested_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} ✗ {self.movie_id}"
