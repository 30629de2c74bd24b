"""Writes of the stored model: save a trained version atomically, keep the last few."""

from __future__ import annotations

import numpy as np
from django.db import connection, transaction

from recs.models import ModelMovie, ModelVersion, Neighbor, UserScore

BATCH_SIZE = 2000  # rows per INSERT: up to 10,000 parameters, within SQLite's and PostgreSQL's limits


@transaction.atomic
def model_version_save(
    *, figures: dict, known_ids: np.ndarray, movie_ids: np.ndarray, neighbor_ids: np.ndarray, weights: np.ndarray,
    user_scores: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], keep: int,
) -> ModelVersion:
    """Store a version, the movies it knows and its neighbour and user rows in ONE transaction (readers see it complete or not at
    all), then delete all but the `keep` newest versions. Any failure rolls the whole write back,
    so the previous version goes on serving."""
    version = ModelVersion.objects.create(**figures, neighbor_rows=len(weights), user_rows=len(user_scores[0]))
    _insert(ModelMovie, ("version", "movie_id"), version.pk, known_ids)
    _insert(Neighbor, ("version", "movie_id", "neighbor_id", "weight"), version.pk, movie_ids, neighbor_ids, weights)
    _insert(UserScore, ("version", "user_id", "movie_id", "score", "because_id"), version.pk, *user_scores)
    stale = list(ModelVersion.objects.order_by("-id").values_list("id", flat=True)[keep:])
    if stale:
        # One DELETE each (no cascade to collect).
        ModelMovie.objects.filter(version_id__in=stale).delete()
        Neighbor.objects.filter(version_id__in=stale).delete()
        UserScore.objects.filter(version_id__in=stale).delete()
        ModelVersion.objects.filter(id__in=stale).delete()
    return version


def _insert(model, fields: tuple[str, ...], version_id: int, *columns: np.ndarray) -> None:
    """Multi-row INSERTs of plain tuples, BATCH_SIZE rows each. Not bulk_create: building a model
    instance per row cost most of the training time (hundreds of thousands of rows; about 5x
    slower at MovieLens-100K's size), and these rows have no defaults, signals or relations to fill."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
    rows = list(zip(*(column.tolist() for column in columns), strict=True))
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start:start + BATCH_SIZE]
            params = [value for row in batch for value in (version_id, *row)]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {', '.join([placeholder] * len(batch))}", params)  # noqa: S608
