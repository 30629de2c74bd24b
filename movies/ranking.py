"""
Quality ranking for the "recommended for everyone" list.

A movie's score is its vote-count-weighted rating (the Bayesian average IMDb popularised):

    WR = v / (v + m) * R + m / (v + m) * C

R is the movie's average vote, v its vote count, C the mean vote across the pool (weighted by votes,
so a handful of 10/10s from three voters cannot lift it) and m the vote count a movie needs before
its own average outweighs the pool's (a quantile of the pool's vote counts). A 10/10 from three
votes is pulled to C; an 8.5 from 30 000 votes keeps about its 8.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MIN_VOTES_QUANTILE = 0.6


def quantile_index(size: int, *, quantile: float = MIN_VOTES_QUANTILE) -> int:
    """The position of the quantile in a sorted sequence of `size` items (nearest rank)."""
    return min(size - 1, int(quantile * (size - 1) + 0.5))


def min_votes(vote_counts: Sequence[int], *, quantile: float = MIN_VOTES_QUANTILE) -> float:
    """The `m` of the formula: the given quantile of the pool's vote counts (at least 1)."""
    if not vote_counts:
        return 1.0
    return float(max(1, sorted(vote_counts)[quantile_index(len(vote_counts), quantile=quantile)]))


def mean_vote(pairs: Iterable[tuple[float, int]]) -> float:
    """The `C` of the formula: the pool's mean vote, each movie weighted by its vote count."""
    pairs = list(pairs)
    total = sum(count for _, count in pairs if count > 0)
    return sum(average * count for average, count in pairs if count > 0) / total if total else 0.0


def weighted_rating(vote_average: float, vote_count: int, *, mean: float, minimum: float) -> float:
    """The vote-count-weighted rating (IMDb's formula): few votes pull a movie towards `mean`."""
    total = vote_count + minimum
    if total <= 0:
        return mean
    return vote_count / total * vote_average + minimum / total * mean


def rank_by_quality(movies: Iterable[dict]) -> list[dict]:
    """Movie summaries sorted best first by weighted rating (popularity breaks ties); dedupes by id."""
    unique = list({m["id"]: m for m in movies}.values())
    pairs = [(m["vote_average"], m["vote_count"]) for m in unique]
    c, m = mean_vote(pairs), min_votes([count for _, count in pairs])
    return sorted(
        unique,
        key=lambda movie: (
            -weighted_rating(movie["vote_average"], movie["vote_count"], mean=c, minimum=m),
            -movie["popularity"],
            movie["id"],
        ),
    )


MODEL_LIST_WEIGHT = 1.0  # "more like this": the trained model's neighbours
OTHER_LIST_WEIGHT = 0.5  # ... blended with TMDb's (or the catalogue's) list
BLEND_K = 60  # reciprocal-rank constant, as in the personal list's fusion


def blend_lists(model_ids: Sequence[int], other_ids: Sequence[int], *, k: int = BLEND_K,
                model_weight: float = MODEL_LIST_WEIGHT, other_weight: float = OTHER_LIST_WEIGHT) -> list[int]:
    """Weighted reciprocal-rank blend of two ranked id lists (duplicates count once, at their best
    rank): a movie in both rises; ties keep the model's order, then the other list's."""
    scores: dict[int, float] = {}
    first_seen: dict[int, int] = {}
    for weight, ids in ((model_weight, model_ids), (other_weight, other_ids)):
        seen: set[int] = set()
        for rank, movie_id in enumerate(ids, start=1):
            if movie_id in seen:
                continue
            seen.add(movie_id)
            scores[movie_id] = scores.get(movie_id, 0.0) + weight / (k + rank)
            first_seen.setdefault(movie_id, len(first_seen))
    return sorted(scores, key=lambda movie_id: (-scores[movie_id], first_seen[movie_id]))
