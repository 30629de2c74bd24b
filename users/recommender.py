"""
Personalised ranking: pure functions over plain data (no database, no HTTP), so every rule is
unit-tested on hand-built numbers. users/selectors.py gathers the data and calls `rank`.

How a user's list is built:

1. **Sources** are ranked lists of movie ids, each with a weight and the reason it stands for:
   - one TMDb "recommendations" list per seed (the user's most recent favorites, at most SEED_LIMIT);
   - one co-occurrence list per seed: movies favorited by the people who favorited the seed here,
     most shared fans first (item-to-item collaborative filtering);
   - one list per top affinity genre (the catalogue's best-rated movies of that genre);
   - the everyone list ("popular") as a low-weight floor.
   A seed's weight decays with its recency rank (SEED_DECAY ** rank), so the latest favorite counts most.
2. **Reciprocal-rank fusion** (Cormack et al. 2009): a movie scores sum(weight / (RRF_K + rank))
   over the lists it appears in, so a movie recommended from several favorites rises above one that
   tops a single list. RRF needs no score calibration between TMDb and our own signals.
3. **Genre boost**: the fused score is multiplied by 1 + GENRE_BOOST * affinity, where a genre's
   affinity (0..1) is half "is a preferred genre" and half "share of the user's favorites in it".
4. Favorites are excluded, ids are unique, ties break by the tiebreak value (e.g. popularity), then id.
   The reason of a movie is the source that contributed most to its score.

With a trained model (recs.ease, `manage.py train_recommender`), the co-occurrence lists are replaced
by the model's scores summed over ALL the user's favorites, and the list is a score blend (`blend`):

    final = coverage x model / max(model) + (1 - coverage + OTHERS_FLOOR) x others / max(others)

where `others` is the fused, genre-boosted score of the TMDb, genre and popular lists above and
`coverage` (0..1) is the share of the user's favorites the model knows, i.e. how much the community
knows about this user's taste. When it knows all of them the model's order stands and the other
sources fill in after its candidates; the fewer it knows, the more the other sources weigh; when
it knows none, the list is the fusion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

SEED_LIMIT = 5  # most recent favorites used as seeds
SEED_DECAY = 0.85  # weight of the seed at recency rank r (0 = newest) is SEED_DECAY ** r
RRF_K = 60  # the usual RRF constant: damps the gap between the first ranks
TMDB_WEIGHT = 1.0
CO_OCCURRENCE_WEIGHT = 1.0
GENRE_WEIGHT = 0.5
POPULAR_WEIGHT = 0.2
GENRE_BOOST = 0.5  # a movie in a genre of affinity 1 scores 1.5x
TOP_GENRES = 3  # genres given their own candidate list
MAX_RESULTS = 200  # length of the final list (10 pages)
MODEL_CANDIDATES = 300  # the model's best candidates considered per user (the list keeps 200)
# Weight the other sources keep next to a model that knows every favorite. 0: then they only fill
# in after the model's candidates. On MovieLens-100K any positive value cost NDCG@10 (seed 0:
# 0.4450 at 0, 0.4448 at 0.002, 0.4447 at 0.01, 0.4425 at 0.05), since the genre and popular lists
# pull towards popular movies the model already weighs.
OTHERS_FLOOR = 0.0

BECAUSE_YOU_LIKED, GENRE, POPULAR = "because_you_liked", "genre", "popular"


@dataclass(frozen=True)
class Reason:
    kind: str  # BECAUSE_YOU_LIKED, GENRE or POPULAR
    movie_id: int | None = None  # the seed, for BECAUSE_YOU_LIKED
    genre_id: int | None = None  # for GENRE


@dataclass(frozen=True)
class Source:
    """A ranked list of movie ids (best first) that stands for one reason."""

    movie_ids: Sequence[int]
    weight: float
    reason: Reason


@dataclass(frozen=True)
class Ranked:
    movie_id: int
    score: float
    reason: Reason


def seed_weights(seed_ids: Sequence[int], *, decay: float = SEED_DECAY) -> dict[int, float]:
    """Weight per seed from its recency rank (`seed_ids` newest first): 1, decay, decay**2, ..."""
    return {seed_id: decay**rank for rank, seed_id in enumerate(seed_ids)}


def co_occurrence_lists(rows: Iterable[tuple[int, int, int]]) -> dict[int, list[int]]:
    """(seed id, movie id, shared fans) rows -> per seed, movie ids by shared fans desc, then id."""
    per_seed: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for seed_id, movie_id, shared in rows:
        if shared > 0 and movie_id != seed_id:
            per_seed[seed_id].append((shared, movie_id))
    return {seed: [movie for _, movie in sorted(pairs, key=lambda p: (-p[0], p[1]))] for seed, pairs in per_seed.items()}


def genre_affinity(
    *, preferred: Iterable[int], favorite_genre_counts: Mapping[int, int], favorite_count: int
) -> dict[int, float]:
    """Affinity 0..1 per genre: 0.5 if the user prefers it, plus 0.5 x the share of favorites in it."""
    affinity: dict[int, float] = defaultdict(float)
    for genre_id in set(preferred):
        affinity[genre_id] += 0.5
    if favorite_count > 0:
        for genre_id, count in favorite_genre_counts.items():
            affinity[genre_id] += 0.5 * min(count, favorite_count) / favorite_count
    return {genre_id: value for genre_id, value in affinity.items() if value > 0}


def top_genres(affinity: Mapping[int, float], *, limit: int = TOP_GENRES) -> list[int]:
    """The genres with the highest affinity (ties by id), best first."""
    return [genre_id for genre_id, _ in sorted(affinity.items(), key=lambda g: (-g[1], g[0]))[:limit]]


def genre_boost(movie_genres: Iterable[int], affinity: Mapping[int, float], *, boost: float = GENRE_BOOST) -> float:
    """The multiplier of a movie: 1 + boost x its best genre's affinity."""
    return 1.0 + boost * max((affinity.get(g, 0.0) for g in movie_genres), default=0.0)


def fuse(sources: Iterable[Source], *, k: int = RRF_K) -> dict[int, tuple[float, Reason]]:
    """Weighted reciprocal-rank fusion: movie id -> (score, reason of its largest contribution).
    A movie listed twice in one source counts once, at its best rank."""
    scores: dict[int, float] = defaultdict(float)
    best: dict[int, tuple[float, Reason]] = {}
    for source in sources:
        seen: set[int] = set()
        for rank, movie_id in enumerate(source.movie_ids, start=1):
            if movie_id in seen:
                continue
            seen.add(movie_id)
            contribution = source.weight / (k + rank)
            scores[movie_id] += contribution
            if movie_id not in best or contribution > best[movie_id][0]:
                best[movie_id] = (contribution, source.reason)
    return {movie_id: (score, best[movie_id][1]) for movie_id, score in scores.items()}


def rank(
    sources: Iterable[Source],
    *,
    movie_genres: Mapping[int, Iterable[int]],
    affinity: Mapping[int, float],
    exclude: Iterable[int] = (),
    tiebreak: Mapping[int, float] | None = None,
    limit: int = MAX_RESULTS,
) -> list[Ranked]:
    """The final list: fused, genre-boosted, without `exclude` and without movies missing from
    `movie_genres` (unknown to the catalogue); best first, at most `limit`."""
    excluded = set(exclude)
    tiebreak = tiebreak or {}
    ranked = [
        Ranked(movie_id, score * genre_boost(movie_genres[movie_id], affinity), reason)
        for movie_id, (score, reason) in fuse(sources).items()
        if movie_id not in excluded and movie_id in movie_genres
    ]
    ranked.sort(key=lambda r: (-r.score, -tiebreak.get(r.movie_id, 0.0), r.movie_id))
    return ranked[:limit]


def model_fills_the_list(model: Mapping[int, tuple[float, int]], *, coverage: float, limit: int = MAX_RESULTS) -> bool:
    """Whether `blend` would return the model's movies alone: it knows every favorite (coverage 1,
    so the other sources weigh OTHERS_FLOOR) and has at least `limit` movies of positive score."""
    return coverage >= 1.0 and OTHERS_FLOOR == 0 and sum(1 for score, _ in model.values() if score > 0) >= limit


def model_list(model: Mapping[int, tuple[float, int]], *, exclude: Iterable[int] = (),
               limit: int = MAX_RESULTS) -> list[Ranked]:
    """The list `blend` makes when `model_fills_the_list`: the model's movies of positive score
    alone, best first (ties by id), each because of the favorite that contributed most. It needs no
    catalogue rows: a movie gone from the catalogue is left out when its page is read."""
    excluded = set(exclude)
    kept = {m: v for m, v in model.items() if v[0] > 0 and m not in excluded}
    top = max((score for score, _ in kept.values()), default=0.0)
    result = [Ranked(m, score / top, Reason(BECAUSE_YOU_LIKED, movie_id=because)) for m, (score, because) in kept.items()]
    result.sort(key=lambda r: (-r.score, r.movie_id))
    return result[:limit]


def blend(
    ranked: Sequence[Ranked],
    *,
    model: Mapping[int, tuple[float, int]],
    coverage: float,
    movie_genres: Mapping[int, Iterable[int]],
    exclude: Iterable[int] = (),
    tiebreak: Mapping[int, float] | None = None,
    limit: int = MAX_RESULTS,
    floor: float | None = None,
) -> list[Ranked]:
    """Blend the model's scores (movie id -> (score, favorite that contributed most)) with the
    fused list `ranked` (from `rank`, unlimited); see the module docstring. Movies missing from
    `movie_genres` (unknown to the catalogue), in `exclude` or with a non-positive model score
    only are left out. The reason is the side that contributed more: "because you liked" the top
    contributor for the model."""
    excluded = set(exclude)
    tiebreak = tiebreak or {}
    floor = OTHERS_FLOOR if floor is None else floor
    coverage = min(max(coverage, 0.0), 1.0)
    model = {m: v for m, v in model.items() if v[0] > 0 and m not in excluded and m in movie_genres}
    model_max = max((score for score, _ in model.values()), default=0.0)
    others_max = max((item.score for item in ranked), default=0.0)
    others = {item.movie_id: item for item in ranked if item.movie_id not in excluded}
    model_weight, others_weight = coverage, 1.0 - coverage + floor
    result = []
    for movie_id in model.keys() | others.keys():
        model_part = model_weight * model[movie_id][0] / model_max if movie_id in model else 0.0
        other = others.get(movie_id)
        others_part = others_weight * other.score / others_max if other is not None and others_max > 0 else 0.0
        if model_part >= others_part and movie_id in model:
            reason = Reason(BECAUSE_YOU_LIKED, movie_id=model[movie_id][1])
        else:
            reason = other.reason
        result.append(Ranked(movie_id, model_part + others_part, reason))
    result.sort(key=lambda r: (-r.score, -tiebreak.get(r.movie_id, 0.0), r.movie_id))
    return result[:limit]


def reason_payload(reason: Reason, *, movie_titles: Mapping[int, str], genre_names: Mapping[int, str]) -> dict:
    """The contract's `reason` object."""
    if reason.kind == BECAUSE_YOU_LIKED and reason.movie_id is not None:
        title = movie_titles.get(reason.movie_id, "a movie you liked")
        return {"kind": BECAUSE_YOU_LIKED, "movie_id": reason.movie_id, "text": f"Because you liked {title}"}
    if reason.kind == GENRE and reason.genre_id is not None:
        name = genre_names.get(reason.genre_id, "this genre")
        return {"kind": GENRE, "text": f"Because you like {name}"}
    return {"kind": POPULAR, "text": "Popular right now"}
