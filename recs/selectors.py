"""Reads of the stored model: the active (newest complete) version and its neighbour rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Subquery

from recs.models import ModelVersion, Neighbor


def model_active() -> ModelVersion | None:
    """The newest version. Versions are committed with all their rows at once, so it is complete."""
    return ModelVersion.objects.order_by("-id").first()


def model_active_id() -> int | None:
    return ModelVersion.objects.order_by("-id").values_list("id", flat=True).first()


def neighbor_rows(*, version_id: int, movie_ids: Iterable[int]) -> list[tuple[int, int, float]]:
    """(movie, neighbour, weight) of the given movies in one version: one query."""
    return list(
        Neighbor.objects.filter(version_id=version_id, movie_id__in=list(movie_ids))
        .values_list("movie_id", "neighbor_id", "weight")
    )


def neighbors_of(*, version_id: int, movie_id: int) -> list[tuple[int, float]]:
    """A movie's neighbours in one version, strongest first: [] when the model does not know it."""
    return list(
        Neighbor.objects.filter(version_id=version_id, movie_id=movie_id)
        .order_by("-weight", "neighbor_id").values_list("neighbor_id", "weight")
    )


MODEL_NAMESPACE = "recs-model"  # cache namespace bumped by every new version, part of cached lists' keys


def active_neighbor_rows(*, movie_ids: Iterable[int]) -> list[tuple[int, int, float]]:
    """(movie, neighbour, weight) of the given movies in the newest version, in ONE query (the
    version is a subquery, so the rows always come from a single version); [] without a model."""
    newest = ModelVersion.objects.order_by("-id").values("id")[:1]
    return list(
        Neighbor.objects.filter(version_id=Subquery(newest), movie_id__in=list(movie_ids))
        .values_list("movie_id", "neighbor_id", "weight")
    )


def active_neighbors_of(*, movie_id: int, limit: int) -> list[tuple[int, float]]:
    """A movie's neighbours in the newest version, strongest first (one query); [] when unknown."""
    newest = ModelVersion.objects.order_by("-id").values("id")[:1]
    return list(
        Neighbor.objects.filter(version_id=Subquery(newest), movie_id=movie_id)
        .order_by("-weight", "neighbor_id").values_list("neighbor_id", "weight")[:limit]
    )
