"""The MovieLens evaluation's data reading, split, metrics and reference models, on hand-built data
(no download, no Django)."""

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

_SPEC = importlib.util.spec_from_file_location(
    "recs_movielens", Path(__file__).resolve().parents[2] / "bench" / "recs_movielens.py"
)
ev = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("recs_movielens", ev)  # dataclasses look their module up there
_SPEC.loader.exec_module(ev)

INTER = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n7\t20\t3\t100\n3\t10\t5\t90\n7\t10\t1\t80\n"
ITEM = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    "10\tToy Story\t1995\tAnimation Children's Comedy\n"
    "20\tunkonwn\tunkonwn\tunknown\n"
    "30\tLand Before Time III\tV\tFilm-Noir\n"
)


def test_parse_movielens_maps_ids_to_dense_indices_and_reads_metadata():
    ratings = ev.parse_movielens(INTER, ITEM)

    assert ratings.user_ids.tolist() == [3, 7]
    assert ratings.item_ids.tolist() == [10, 20, 30]  # every listed item, rated or not
    assert list(zip(ratings.user.tolist(), ratings.item.tolist(), ratings.timestamp.tolist(), strict=True)) == [
        (1, 1, 100), (0, 0, 90), (1, 0, 80)
    ]
    assert ratings.titles == ["Toy Story", "unkonwn", "Land Before Time III"]
    assert ratings.years == [1995, None, None]
    assert ratings.genres == [["Animation", "Children's", "Comedy"], [], ["Film-Noir"]]


def _users(counts):
    return np.repeat(np.arange(len(counts)), counts)


def test_split_per_user_holds_out_floor_of_a_fifth_of_each_user():
    user = _users([20, 4, 5, 11])

    test = ev.split_per_user(user, 4, seed=0)

    assert [int(test[user == u].sum()) for u in range(4)] == [4, 0, 1, 2]


def test_split_per_user_is_reproducible_per_seed_and_differs_between_seeds():
    user = _users([50, 50])

    first, again, other = (ev.split_per_user(user, 2, seed=s) for s in (3, 3, 4))

    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()


def test_split_per_user_ignores_the_order_of_the_rows():
    user = _users([10, 10])
    shuffled = np.array([1, 0] * 10)

    test = ev.split_per_user(shuffled, 2, seed=1)

    assert [int(test[shuffled == u].sum()) for u in range(2)] == [2, 2]
    assert int(ev.split_per_user(user, 2, seed=1).sum()) == 4


def test_ndcg_at_k_discounts_by_rank_and_normalises_by_the_ideal_list():
    # hits at ranks 2 and 4 of 2 relevant items: (1/log2(3) + 1/log2(5)) / (1 + 1/log2(3))
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))

    assert ev.ndcg_at_k([9, 1, 8, 2], {1, 2}, k=10) == pytest.approx(expected)
    assert ev.ndcg_at_k([1, 2], {1, 2}, k=10) == pytest.approx(1.0)
    assert ev.ndcg_at_k([9, 1, 8, 2], {1, 2}, k=1) == 0.0


def test_ndcg_at_k_ideal_is_capped_at_k_hits():
    assert ev.ndcg_at_k([1, 2], {1, 2, 3, 4}, k=2) == pytest.approx(1.0)


def test_recall_at_k_divides_the_hits_by_all_held_out_items():
    relevant = set(range(12))

    assert ev.recall_at_k(list(range(10)), relevant, k=10) == pytest.approx(10 / 12)
    assert ev.recall_at_k([0, 50, 1], {0, 1, 2, 3}, k=2) == pytest.approx(1 / 4)


def test_hit_at_k_is_one_when_any_held_out_item_is_in_the_top_k():
    assert ev.hit_at_k([5, 6, 7], {7}, k=3) == 1.0
    assert ev.hit_at_k([5, 6, 7], {7}, k=2) == 0.0


def test_evaluate_averages_over_users_with_held_out_items_only():
    held_out = {0: {1}, 1: {2, 3}, 2: set()}
    ranked = {0: [1, 9], 1: [9, 9], 2: [4]}

    result = ev.evaluate(ranked, held_out, k=2)

    assert result == {"ndcg": pytest.approx(0.5), "recall": pytest.approx(0.5), "hit": pytest.approx(0.5)}


def test_evaluate_counts_a_missing_list_as_empty():
    assert ev.evaluate({}, {0: {1}}, k=10) == {"ndcg": 0.0, "recall": 0.0, "hit": 0.0}


def test_top_k_excludes_training_items_and_breaks_ties_by_index():
    scores = np.array([[5.0, 5.0, 9.0, 1.0, 5.0]])
    train = np.array([[0, 0, 1, 0, 0]])

    assert ev.top_k(scores, train, k=3).tolist() == [[0, 1, 4]]


def test_most_pop_scores_every_user_by_training_counts():
    train = np.array([[1.0, 0, 1], [0, 0, 1]])

    assert ev.most_pop_scores(train).tolist() == [[1, 0, 2], [1, 0, 2]]


def test_item_knn_weights_are_cosine_pruned_to_each_items_nearest_neighbours():
    train = np.array([[1.0, 1, 0], [1, 1, 1], [0, 0, 1], [1, 0, 0]])
    # counts 3, 2, 2; co-counts (0,1)=2, (0,2)=1, (1,2)=1
    full = ev.item_knn_weights(train, neighbours=3)
    pruned = ev.item_knn_weights(train, neighbours=1)

    assert full == pytest.approx(np.array([
        [0, 2 / math.sqrt(6), 1 / math.sqrt(6)],
        [2 / math.sqrt(6), 0, 1 / 2],
        [1 / math.sqrt(6), 1 / 2, 0],
    ]))
    # column j keeps only item j's nearest neighbour: 0 -> 1, 1 -> 0, 2 -> 1
    assert (pruned > 0).astype(int).tolist() == [[0, 1, 0], [1, 0, 1], [0, 0, 0]]


def test_ease_weights_solve_the_constrained_ridge_regression_per_column():
    rng = np.random.default_rng(0)
    train = (rng.random((30, 6)) < 0.4).astype(float)
    lam = 2.0

    weights = ev.ease_weights(train, lam=lam)

    gram = train.T @ train
    assert np.diag(weights).tolist() == [0.0] * 6
    for j in range(6):
        others = [i for i in range(6) if i != j]
        expected = np.linalg.solve(gram[np.ix_(others, others)] + lam * np.eye(5), gram[others, j])
        assert weights[others, j] == pytest.approx(expected)


def test_seed_list_accepts_ranges_and_lists():
    assert ev._seed_list("0-4") == [0, 1, 2, 3, 4]
    assert ev._seed_list("0,3") == [0, 3]
