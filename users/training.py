"""
Training of the recommendation model from every user's favorites (implicit positive feedback):
`manage.py train_recommender` calls `recommender_train`. The math is recs/ease.py; the storage and
the atomic switch of versions recs/services.py. Lives in `users` because the favorites do: `recs`
imports neither `users` nor `movies`, so both can read the model.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone

from movie_backend.cache import invalidate_namespace, invalidate_namespaces
from recs import ease
from recs.models import ModelVersion
from recs.selectors import MODEL_NAMESPACE
from recs.services import model_version_save
from users.recommendations import user_recs_namespace
from users.selectors import favorite_pairs

USER_ROWS = 200  # each user's best movies stored from the full model: the personal list's length


class TooFewUsers(Exception):
    """Not enough people have favorites for a model worth serving; the previous state stays."""

    def __init__(self, users: int, minimum: int) -> None:
        super().__init__(f"{users} users have favorites; at least {minimum} are needed to train")
        self.users, self.minimum = users, minimum


def recommender_train(
    *,
    ease_lambda: float | None = None,
    neighbors: int | None = None,
    max_items: int | None = None,
    min_users: int | None = None,
    keep: int | None = None,
) -> ModelVersion:
    """Fit EASE on all favorites (the `max_items` most favorited movies), keep each movie's
    `neighbors` strongest weights and each user's USER_ROWS best movies by the full model, and
    store them as the new version in one transaction; then bump the personal lists' cache so
    users get the new model, and the namespaces of the users it was trained on, so their stored
    personal pages (served without recomputing, movie_backend.http_cache) go too. Raises TooFewUsers below `min_users`. Arguments default to the
    RECS_* settings. A favorite added while the favorites are read may count twice until the next
    run (in the stored rows and as "added since"); one missed entirely would be worse."""
    ease_lambda = settings.RECS_EASE_LAMBDA if ease_lambda is None else ease_lambda
    neighbors = settings.RECS_NEIGHBORS if neighbors is None else neighbors
    max_items = settings.RECS_MAX_ITEMS if max_items is None else max_items
    min_users = settings.RECS_MIN_USERS if min_users is None else min_users
    keep = settings.RECS_KEEP_VERSIONS if keep is None else keep

    start = time.perf_counter()
    read_at = timezone.now()
    data = ease.interactions(favorite_pairs(), max_items=max_items)
    if data.user_count < max(min_users, 1):
        raise TooFewUsers(data.user_count, min_users)
    weights = ease.fit(data.matrix, lam=ease_lambda)
    rows, columns, values = ease.prune(weights, k=neighbors)
    users, items, scores, because = ease.user_top(data.matrix, weights, n=USER_ROWS)
    del weights
    item_ids = data.item_ids
    figures = {
        "users": data.user_count, "movies": len(item_ids), "favorites": data.favorite_count,
        "ease_lambda": ease_lambda, "neighbors": neighbors, "duration": 0.0, "favorites_read_at": read_at,
    }
    version = model_version_save(
        figures=figures, known_ids=item_ids, movie_ids=item_ids[rows], neighbor_ids=item_ids[columns], weights=values,
        user_scores=(data.user_ids[users], item_ids[items], scores, item_ids[because]), keep=max(keep, 1),
    )
    version.duration = time.perf_counter() - start
    version.save(update_fields=["duration"])
    invalidate_namespace(MODEL_NAMESPACE)
    invalidate_namespaces(user_recs_namespace(int(user_id)) for user_id in data.user_ids)
    return version
