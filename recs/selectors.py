"""Reads of the stored model: the active (newest) version and its rows, always by version id, so
one list is never built from two versions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Subquery

from recs.models import ModelMovie, ModelVersion, Neighbor, UserScore

MODEL_NAMESPACE = "recs-model"  # cache namespace bumped by every new version, part of cached lists' keys


def model_active() -> ModelVersion | None:
    """The newest version. Versions are committed with all their rows at once, so it is complete."""
    return ModelVersion.objects.order_by("-id").first()


def neighbor_rows(*, version_id: int, movie_ids: Iterable[int]) -> list[tuple[int, int, float]]:
    """(movie, neighbour, weight) of the given movies in one version: one query."""
    return list(
        Neighbor.objects.filter(version_id=version_id, movie_id__in=list(movie_ids))
        .values_list("movie_id", "neighbor_id", "weight")
    )


def known_movie_ids(*, version_id: int, movie_ids: Iterable[int]) -> set[int]:
    """Those of `movie_ids` the version knows (its columns): one query, an index probe per movie."""
    return set(ModelMovie.objects.filter(version_id=version_id, movie_id__in=list(movie_ids))
               .values_list("movie_id", flat=True))


def user_scores(*, version_id: int, user_id: int) -> list[tuple[int, float, int]]:
    """(movie, score, because favorite) of the user's best movies stored by the version: one query."""
    return list(UserScore.objects.filter(version_id=version_id, user_id=user_id)
                .values_list("movie_id", "score", "because_id"))


def active_neighbors_of(*, movie_id: int, limit: int) -> list[tuple[int, float]]:
    """A movie's neighbours in the newest version, strongest first (one query); [] when unknown."""
    newest = ModelVersion.objects.order_by("-id").values("id")[:1]
    return list(
        Neighbor.objects.filter(version_id=Subquery(newest), movie_id=movie_id)
        .order_by("-weight", "neighbor_id").values_list("neighbor_id", "weight")[:limit]
    )
