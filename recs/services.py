"""Writes of the stored model: save a trained version atomically, keep the last few."""

from __future__ import annotations

import numpy as np
from django.db import transaction

from recs.models import ModelVersion, Neighbor

BATCH_SIZE = 5000


@transaction.atomic
def model_version_save(
    *, figures: dict, movie_ids: np.ndarray, neighbor_ids: np.ndarray, weights: np.ndarray, keep: int
) -> ModelVersion:
    """Store a version and its neighbour rows in ONE transaction (readers see it complete or not at
    all), then delete all but the `keep` newest versions. Any failure rolls the whole write back,
    so the previous version goes on serving."""
    version = ModelVersion.objects.create(**figures, neighbor_rows=len(weights))
    rows = (
        Neighbor(version=version, movie_id=int(m), neighbor_id=int(n), weight=float(w))
        for m, n, w in zip(movie_ids.tolist(), neighbor_ids.tolist(), weights.tolist(), strict=True)
    )
    while True:
        batch = [row for _, row in zip(range(BATCH_SIZE), rows, strict=False)]
        if not batch:
            break
        Neighbor.objects.bulk_create(batch, batch_size=BATCH_SIZE)
    stale = list(ModelVersion.objects.order_by("-id").values_list("id", flat=True)[keep:])
    if stale:
        Neighbor.objects.filter(version_id__in=stale).delete()  # one DELETE (no cascade to collect)
        ModelVersion.objects.filter(id__in=stale).delete()
    return version
