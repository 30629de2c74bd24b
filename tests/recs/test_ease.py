"""The model math on hand-built matrices: no database."""

import numpy as np
import pytest
import scipy.sparse

from recs import ease

# 4 users x 3 items: items 0 and 1 always go together, item 2 is on its own.
X = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=np.float32)


def test_fit_matches_the_closed_form_worked_by_hand():
    # G = XᵀX + I = [[4,3,1],[3,4,1],[1,1,3]]; det = 19; P = adj(G)/19:
    # P = [[11,-8,-1],[-8,11,-1],[-1,-1,7]] / 19 and B_ij = -P_ij / P_jj (the determinant cancels).
    weights = ease.fit(scipy.sparse.csr_matrix(X), lam=1.0)

    expected = np.array([[0, 8 / 11, 1 / 7], [8 / 11, 0, 1 / 7], [1 / 11, 1 / 11, 0]])
    assert weights.dtype == np.float32
    np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-6)


def test_fit_matches_the_dense_float64_reference_on_random_data():
    rng = np.random.default_rng(7)
    matrix = (rng.random((60, 25)) < 0.25).astype(np.float32)

    weights = ease.fit(scipy.sparse.csr_matrix(matrix), lam=3.0)

    np.testing.assert_allclose(weights, ease.fit_dense_reference(matrix, lam=3.0), atol=1e-5)
    assert np.all(np.diag(weights) == 0)


def test_fit_rejects_a_non_positive_lambda():
    with pytest.raises(ValueError, match="lambda must be positive"):
        ease.fit(scipy.sparse.csr_matrix(X), lam=0.0)


def test_interactions_index_items_and_cap_at_the_most_favorited():
    pairs = [(10, 7), (10, 5), (11, 5), (12, 5), (12, 9), (11, 9), (10, 7), (13, 3)]

    full = ease.interactions(pairs)
    capped = ease.interactions(pairs, max_items=2)

    assert full.item_ids.tolist() == [3, 5, 7, 9]
    assert (full.user_count, full.favorite_count) == (4, 7)  # the duplicate (10, 7) counts once
    assert capped.item_ids.tolist() == [5, 9]  # 5 has 3 fans, 9 has 2; 7 (1 fan) and 3 (1) are cut
    assert capped.matrix.toarray().tolist() == [[1, 0], [1, 1], [1, 1], [0, 0]]
    assert capped.favorite_count == 5


def test_prune_keeps_the_k_strongest_positive_weights_per_row():
    weights = np.array([
        [0.0, 0.5, -0.2, 0.1, 0.3],
        [0.2, 0.0, 0.2, -0.1, 0.0],
        [-0.1, -0.3, 0.0, -0.2, -0.4],
    ], dtype=np.float32)

    rows, columns, values = ease.prune(weights, k=2)

    assert rows.tolist() == [0, 0, 1, 1]
    assert columns.tolist() == [1, 4, 0, 2]  # row 1: a tie at 0.2 keeps both, by column
    np.testing.assert_allclose(values, [0.5, 0.3, 0.2, 0.2])


def test_prune_with_k_above_the_item_count_keeps_every_positive_weight():
    weights = np.array([[0.0, 0.4, 0.1], [0.3, 0.0, -0.1], [0.0, 0.0, 0.0]], dtype=np.float32)

    rows, columns, _ = ease.prune(weights, k=10)

    assert list(zip(rows.tolist(), columns.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 0)]


def test_pruned_scores_equal_the_dense_scores_when_nothing_is_cut():
    weights = ease.fit(scipy.sparse.csr_matrix(X), lam=1.0)
    rows, columns, values = ease.prune(weights, k=3)
    kept = list(zip(rows.tolist(), columns.tolist(), values.tolist(), strict=True))

    scores = ease.score([row for row in kept if row[0] in (0, 2)])  # a user who likes items 0 and 2

    dense = ease.dense_scores(weights, [0, 2])
    assert scores == {1: ease.Score(pytest.approx(dense[1]), 0), 0: ease.Score(pytest.approx(dense[0]), 2),
                      2: ease.Score(pytest.approx(dense[2]), 0)}
    assert dense[1] == pytest.approx(8 / 11 + 1 / 11)


def test_score_sums_weights_and_names_the_top_contributor():
    rows = [(1, 10, 0.2), (2, 10, 0.5), (3, 10, 0.1), (1, 11, 0.4), (2, 12, 0.3), (3, 12, 0.3), (1, 2, 0.9)]

    scores = ease.score(rows, exclude=[2])

    assert scores == {
        10: ease.Score(pytest.approx(0.8), 2),
        11: ease.Score(0.4, 1),
        12: ease.Score(pytest.approx(0.6), 2),  # a tie between favorites 2 and 3 names the smaller id
    }
    assert ease.top(scores, limit=2) == [10, 12]


def test_user_top_is_the_dense_ranking_without_the_users_own_items():
    rng = np.random.default_rng(3)
    matrix = (rng.random((40, 30)) < 0.2).astype(np.float32)
    weights = ease.fit(scipy.sparse.csr_matrix(matrix), lam=2.0)

    users, items, scores, because = ease.user_top(scipy.sparse.csr_matrix(matrix), weights, n=5, chunk=16)

    dense = matrix @ ease.fit_dense_reference(matrix, lam=2.0)
    for user in range(40):
        mine = items[users == user].tolist()
        candidates = [i for i in np.argsort(-dense[user], kind="stable") if matrix[user, i] == 0 and dense[user, i] > 0]
        assert mine == candidates[:5]
        np.testing.assert_allclose(scores[users == user], dense[user, mine], atol=1e-5)
        own = np.flatnonzero(matrix[user])
        expected_because = [own[np.argmax(weights[own, item])] for item in mine]
        assert because[users == user].tolist() == expected_because
