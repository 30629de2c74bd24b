"""The quality ranking of `recommended`, on hand-built numbers."""

import pytest

from movies.ranking import mean_vote, min_votes, rank_by_quality, weighted_rating


def movie(movie_id, average, count, popularity=1.0):
    return {"id": movie_id, "vote_average": average, "vote_count": count, "popularity": popularity}


def test_weighted_rating_pulls_few_votes_to_the_mean():
    assert weighted_rating(10.0, 0, mean=7.0, minimum=100) == 7.0
    assert weighted_rating(10.0, 100, mean=7.0, minimum=100) == pytest.approx(8.5)
    assert weighted_rating(8.0, 1_000_000, mean=7.0, minimum=100) == pytest.approx(8.0, abs=0.001)


def test_mean_vote_is_weighted_by_votes_and_ignores_unvoted():
    assert mean_vote([(10.0, 1), (6.0, 99), (9.9, 0)]) == pytest.approx(6.04)
    assert mean_vote([]) == 0.0


def test_min_votes_is_a_quantile_and_at_least_one():
    assert min_votes([10, 20, 30, 40, 50]) == 30  # 0.6 quantile: index 2.4, the nearest rank
    assert min_votes([0, 0]) == 1
    assert min_votes([]) == 1


def test_rank_by_quality_orders_dedupes_and_breaks_ties_by_popularity():
    ranked = rank_by_quality([
        movie(1, 10.0, 3), movie(2, 8.7, 30000), movie(3, 8.1, 12000), movie(2, 8.7, 30000),
        movie(4, 6.9, 9000, popularity=500), movie(5, 6.9, 9000, popularity=600),
    ])

    assert [m["id"] for m in ranked] == [2, 3, 1, 5, 4]
