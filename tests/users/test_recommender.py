"""The ranking module on hand-built data: no database, no HTTP."""

import pytest

from users import recommender as r
from users.recommender import Reason, Source

LIKED_ALIEN = Reason(r.BECAUSE_YOU_LIKED, movie_id=348)
LIKED_HEAT = Reason(r.BECAUSE_YOU_LIKED, movie_id=949)
SCIFI = Reason(r.GENRE, genre_id=878)
POPULAR = Reason(r.POPULAR)


def test_seed_weights_decay_with_recency():
    assert r.seed_weights([3, 2, 1], decay=0.5) == {3: 1.0, 2: 0.5, 1: 0.25}


def test_co_occurrence_lists_rank_by_shared_fans_then_id():
    rows = [(1, 10, 2), (1, 11, 5), (1, 12, 2), (2, 10, 1), (2, 2, 9), (1, 13, 0)]

    assert r.co_occurrence_lists(rows) == {1: [11, 10, 12], 2: [10]}


def test_fuse_rewards_movies_recommended_from_several_seeds():
    fused = r.fuse([
        Source([100, 200], 1.0, LIKED_ALIEN),
        Source([300, 200], 1.0, LIKED_HEAT),
    ], k=60)

    assert fused[200][0] == pytest.approx(2 / 62)
    assert fused[100][0] == pytest.approx(1 / 61)
    assert fused[100][0] == fused[300][0] < fused[200][0]
    assert fused[200][1] == LIKED_ALIEN  # equal contributions: the first source keeps it


def test_fuse_reason_is_the_largest_contribution():
    fused = r.fuse([Source([1, 2, 3], 0.2, POPULAR), Source([3], 1.0, LIKED_HEAT)], k=0)

    assert fused[3] == (pytest.approx(0.2 / 3 + 1.0), LIKED_HEAT)
    assert fused[1] == (pytest.approx(0.2), POPULAR)


def test_fuse_counts_a_duplicate_within_one_source_once():
    fused = r.fuse([Source([5, 5, 5], 1.0, POPULAR)], k=0)

    assert fused == {5: (1.0, POPULAR)}


def test_recent_seed_outweighs_older_seed_at_same_rank():
    weights = r.seed_weights([348, 949])
    fused = r.fuse([Source([1], weights[348], LIKED_ALIEN), Source([2], weights[949], LIKED_HEAT)])

    assert fused[1][0] > fused[2][0]


def test_genre_affinity_mixes_preferences_and_favorite_shares():
    affinity = r.genre_affinity(preferred=[878, 878, 35], favorite_genre_counts={878: 2, 18: 4, 27: 0}, favorite_count=4)

    assert affinity == {878: pytest.approx(0.75), 35: pytest.approx(0.5), 18: pytest.approx(0.5)}
    assert r.top_genres(affinity, limit=2) == [878, 18]  # ties by id


def test_genre_affinity_without_favorites():
    assert r.genre_affinity(preferred=[], favorite_genre_counts={}, favorite_count=0) == {}


def test_genre_boost_uses_the_best_genre():
    assert r.genre_boost([18, 878], {878: 1.0, 18: 0.2}, boost=0.5) == pytest.approx(1.5)
    assert r.genre_boost([99], {878: 1.0}) == 1.0
    assert r.genre_boost([], {}) == 1.0


def test_rank_excludes_favorites_unknown_movies_and_applies_boost():
    sources = [Source([1, 2, 3, 4], 1.0, LIKED_ALIEN)]
    movie_genres = {1: [18], 2: [878], 3: [18]}  # 4 is not in the catalogue

    ranked = r.rank(sources, movie_genres=movie_genres, affinity={878: 1.0}, exclude=[1], limit=10)

    assert [item.movie_id for item in ranked] == [2, 3]
    assert ranked[0].score == pytest.approx(1.0 / (r.RRF_K + 2) * (1 + r.GENRE_BOOST))
    assert ranked[0].reason == LIKED_ALIEN


def test_rank_ties_break_by_tiebreak_then_id_and_limit():
    sources = [Source([1], 1.0, POPULAR), Source([2], 1.0, POPULAR), Source([3], 1.0, POPULAR)]
    genres = {1: [], 2: [], 3: []}

    ranked = r.rank(sources, movie_genres=genres, affinity={}, tiebreak={3: 9.0}, limit=2)

    assert [item.movie_id for item in ranked] == [3, 1]


def test_rank_hybrid_example():
    """Two seeds (Alien newest), co-occurrence, one genre list and the popular floor."""
    weights = r.seed_weights([348, 949])
    sources = [
        Source([10, 11, 12], r.TMDB_WEIGHT * weights[348], LIKED_ALIEN),
        Source([13, 11], r.TMDB_WEIGHT * weights[949], LIKED_HEAT),
        Source([14], r.CO_OCCURRENCE_WEIGHT * weights[949], LIKED_HEAT),
        Source([15, 10], r.GENRE_WEIGHT, SCIFI),
        Source([16, 348], r.POPULAR_WEIGHT, POPULAR),
    ]
    genres = {m: [18] for m in (10, 11, 12, 13, 14, 15, 16, 348)}

    ranked = r.rank(sources, movie_genres=genres, affinity={}, exclude=[348, 949])

    order = [item.movie_id for item in ranked]
    # 12 (3rd for the newest seed) still beats 13 and 14 (1st for the older seed): 1/63 > 0.85/61.
    assert order == [11, 10, 12, 13, 14, 15, 16]
    assert {item.movie_id: item.reason for item in ranked}[15] == SCIFI
    assert {item.movie_id: item.reason for item in ranked}[16] == POPULAR


def test_reason_payloads():
    titles, genres = {348: "Alien"}, {878: "Science Fiction"}

    assert r.reason_payload(LIKED_ALIEN, movie_titles=titles, genre_names=genres) == {
        "kind": "because_you_liked", "movie_id": 348, "text": "Because you liked Alien"}
    assert r.reason_payload(SCIFI, movie_titles=titles, genre_names=genres) == {
        "kind": "genre", "text": "Because you like Science Fiction"}
    assert r.reason_payload(POPULAR, movie_titles=titles, genre_names=genres) == {
        "kind": "popular", "text": "Popular right now"}


def test_blend_lets_a_model_that_knows_every_favorite_lead():
    fused = [r.Ranked(7, 0.9, POPULAR), r.Ranked(8, 0.5, SCIFI), r.Ranked(9, 0.1, POPULAR)]
    model = {8: (2.0, 348), 9: (1.0, 949), 10: (-0.5, 348)}

    ranked = r.blend(fused, model=model, coverage=1.0, movie_genres={7: [], 8: [], 9: [], 10: []}, floor=0.0)

    assert [(x.movie_id, x.score) for x in ranked] == [(8, 1.0), (9, 0.5), (7, 0.0)]  # 10: negative only
    assert [x.reason for x in ranked] == [LIKED_ALIEN, LIKED_HEAT, POPULAR]


def test_blend_weighs_the_other_sources_by_what_the_model_does_not_know():
    fused = [r.Ranked(7, 1.0, SCIFI), r.Ranked(8, 0.5, POPULAR)]
    model = {8: (4.0, 348)}

    ranked = r.blend(fused, model=model, coverage=0.25, movie_genres={7: [], 8: []}, exclude=[9], floor=0.0)

    # 7: 0.75 x 1.0 from the genre list; 8: 0.25 x 1.0 from the model + 0.75 x 0.5 from popular
    assert [(x.movie_id, x.score) for x in ranked] == [(7, 0.75), (8, pytest.approx(0.625))]
    assert [x.reason for x in ranked] == [SCIFI, POPULAR]  # popular's part (0.375) beats the model's (0.25)


def test_blend_leaves_out_excluded_and_unknown_movies():
    fused = [r.Ranked(7, 1.0, SCIFI)]

    ranked = r.blend(fused, model={8: (1.0, 348), 11: (2.0, 348)}, coverage=1.0, movie_genres={7: [], 8: []},
                     exclude=[7], floor=0.0)

    assert [x.movie_id for x in ranked] == [8]  # 7 excluded, 11 not in the catalogue


def test_a_model_that_knows_every_favorite_and_fills_the_list_needs_no_other_source():
    model = {movie_id: (10.0 - movie_id / 10, 1) for movie_id in range(1, 6)}  # 5 positive scores
    others = r.rank(
        [r.Source([9, 8, 2], 1.0, r.Reason(r.POPULAR))],
        movie_genres={m: [18] for m in range(1, 10)}, affinity={}, limit=50,
    )
    genres = {m: [18] for m in range(1, 10)}

    assert r.model_fills_the_list(model, coverage=1.0, limit=5)
    assert not r.model_fills_the_list(model, coverage=0.9, limit=5)  # others still weigh
    assert not r.model_fills_the_list(model, coverage=1.0, limit=6)  # others would fill in
    assert not r.model_fills_the_list({**model, 5: (0.0, 1)}, coverage=1.0, limit=5)
    # What the shortcut relies on: with such a model the blend is the model's list alone...
    assert (r.blend(others, model=model, coverage=1.0, movie_genres=genres, limit=5)
            == r.blend([], model=model, coverage=1.0, movie_genres=genres, limit=5))
    # ...which model_list makes without the catalogue's rows.
    assert r.model_list(model, limit=5) == r.blend([], model=model, coverage=1.0, movie_genres=genres, limit=5)


def test_model_list_keeps_positive_scores_not_excluded_best_first_ties_by_id():
    model = {4: (2.0, 348), 3: (1.0, 949), 9: (2.0, 949), 5: (0.0, 348), 6: (-1.0, 348), 7: (3.0, 348)}

    ranked = r.model_list(model, exclude=[7], limit=3)

    assert [(x.movie_id, x.score) for x in ranked] == [(4, 1.0), (9, 1.0), (3, 0.5)]
    assert [x.reason for x in ranked] == [LIKED_ALIEN, LIKED_HEAT, LIKED_HEAT]
    assert r.model_list({}, exclude=[1]) == []
