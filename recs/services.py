"""Writes of the stored model: save a trained version atomically, keep the last few."""

from __future__ import annotations

import numpy as np
from django.db import connection, transaction

from recs.models import ModelVersion, Neighbor

BATCH_SIZE = 2000  # rows per INSERT: 8,000 parameters, within SQLite's and PostgreSQL's limits


@transaction.atomic
def model_version_save(
    *, figures: dict, movie_ids: np.ndarray, neighbor_ids: np.ndarray, weights: np.ndarray, keep: int
) -> ModelVersion:
    """Store a version and its neighbour rows in ONE transaction (readers see it complete or not at
    all), then delete all but the `keep` newest versions. Any failure rolls the whole write back,
    so the previous version goes on serving."""
    version = ModelVersion.objects.create(**figures, neighbor_rows=len(weights))
    _insert_neighbors(version.pk, movie_ids, neighbor_ids, weights)
    stale = list(ModelVersion.objects.order_by("-id").values_list("id", flat=True)[keep:])
    if stale:
        Neighbor.objects.filter(version_id__in=stale).delete()  # one DELETE (no cascade to collect)
        ModelVersion.objects.filter(id__in=stale).delete()
    return version


def _insert_neighbors(version_id: int, movie_ids: np.ndarray, neighbor_ids: np.ndarray, weights: np.ndarray) -> None:
    """Multi-row INSERTs of plain tuples, BATCH_SIZE rows each. Not bulk_create: building a model
    instance per row cost most of the training time (hundreds of thousands of rows; about 5x
    slower at MovieLens-100K's size), and these rows have no defaults, signals or relations to fill."""
    table = connection.ops.quote_name(Neighbor._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(Neighbor._meta.get_field(name).column)
                        for name in ("version", "movie_id", "neighbor_id", "weight"))
    rows = list(zip(movie_ids.tolist(), neighbor_ids.tolist(), weights.tolist(), strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start:start + BATCH_SIZE]
            placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
            params = [value for m, n, w in batch for value in (version_id, m, n, w)]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {placeholders}", params)  # noqa: S608
