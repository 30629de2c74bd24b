"""
The trained recommendation model's math: pure numpy/scipy, no Django, unit-tested on hand-built
matrices (tests/recs/test_ease.py).

EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): for a binary user x item
matrix X, the item-to-item weights B minimise ||X - XB||² + λ||B||² with diag(B) = 0, and have a
closed form: G = XᵀX + λI, P = G⁻¹, B = -P / diag(P) (column j divided by P_jj), diag(B) = 0.
A user's score of item j is Σ_i x_ui B_ij: the sum of the weights from each of their favorites i.

The matrix is stored pruned: each item keeps its `k` strongest positive weights (its neighbours).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse

DTYPE = np.float32
_PRUNE_CHUNK = 1024  # rows pruned at a time: bounds the temporary memory to chunk x items


@dataclass(frozen=True)
class Interactions:
    """The training data: a binary user x item matrix and the item id of each column."""

    matrix: scipy.sparse.csr_matrix
    item_ids: np.ndarray  # column index -> movie id
    user_ids: np.ndarray  # row index -> user id
    user_count: int
    favorite_count: int


def interactions(
    pairs: Iterable[tuple[int, int]], *, max_items: int | None = None
) -> Interactions:
    """(user id, item id) pairs -> the binary matrix over the items with at least one favorite,
    capped at the `max_items` most favorited (ties by the smaller id). Duplicates count once."""
    data = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    data = np.unique(data, axis=0)
    users, user_index = np.unique(data[:, 0], return_inverse=True)
    items, item_index, counts = np.unique(data[:, 1], return_inverse=True, return_counts=True)
    if max_items is not None and len(items) > max_items:
        keep = np.sort(np.lexsort((items, -counts))[:max_items])  # most favorited, then smaller id
        column = np.full(len(items), -1, dtype=np.int64)
        column[keep] = np.arange(len(keep))
        item_index = column[item_index]
        kept = item_index >= 0
        user_index, item_index, items = user_index[kept], item_index[kept], items[keep]
    import scipy.sparse  # training only (see fit)

    matrix = scipy.sparse.csr_matrix(
        (np.ones(len(user_index), dtype=DTYPE), (user_index, item_index)), shape=(len(users), len(items))
    )
    return Interactions(matrix=matrix, item_ids=items, user_ids=users, user_count=len(users),
                        favorite_count=int(matrix.nnz))


def fit(matrix: scipy.sparse.spmatrix, *, lam: float) -> np.ndarray:
    """The dense EASE weights B (items x items, float32) of a binary user x item matrix.

    G is inverted through its Cholesky factor (G is symmetric positive definite for λ > 0): half
    the work of a general inverse, in place, so the peak memory is about one items² float32 matrix."""
    if lam <= 0:
        raise ValueError("lambda must be positive")
    gram = gram_matrix(matrix)
    gram[np.diag_indices_from(gram)] += DTYPE(lam)
    import scipy.linalg  # training only, like scipy.sparse: 250 ms of every web worker's start otherwise

    factor, info = scipy.linalg.lapack.spotrf(gram, lower=True, overwrite_a=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"Cholesky factorisation failed (info={info})")
    del gram
    inverse, info = scipy.linalg.lapack.spotri(factor, lower=True, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"inversion failed (info={info})")
    # spotri fills the lower triangle only: mirror it.
    upper = np.triu_indices_from(inverse, k=1)
    inverse[upper] = inverse.T[upper]
    diagonal = np.diag(inverse).copy()
    inverse /= -diagonal  # column j divided by -P_jj
    np.fill_diagonal(inverse, 0.0)
    return inverse


def gram_matrix(matrix: scipy.sparse.spmatrix, *, block: int = 2048) -> np.ndarray:
    """XᵀX as a dense float32 matrix, computed a block of columns at a time: the sparse product of
    the whole matrix can hold far more bytes than the dense result (20,000 popular items)."""
    import scipy.sparse  # training only (see fit)

    rows = scipy.sparse.csr_matrix(matrix, dtype=DTYPE)
    columns = rows.tocsc()
    transposed = rows.T.tocsr()
    n_items = rows.shape[1]
    gram = np.empty((n_items, n_items), dtype=DTYPE)
    for start in range(0, n_items, block):
        gram[:, start:start + block] = (transposed @ columns[:, start:start + block]).toarray()
    return gram


def fit_dense_reference(matrix: np.ndarray, *, lam: float) -> np.ndarray:
    """EASE in float64 with numpy's general inverse: the textbook formula, for tests and references."""
    gram = matrix.T.astype(np.float64) @ matrix.astype(np.float64) + lam * np.eye(matrix.shape[1])
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0.0)
    return weights


def prune(weights: np.ndarray, *, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's (item's) `k` largest positive weights: (row, column, weight) arrays, by row then
    weight desc (ties by column). Negative and zero weights are dropped: a neighbour only adds."""
    rows, columns, values = [], [], []
    n_items = weights.shape[1]
    take = min(k, n_items)
    for start in range(0, weights.shape[0], _PRUNE_CHUNK):
        chunk = weights[start:start + _PRUNE_CHUNK]
        if take < n_items:
            top = np.argpartition(-chunk, take - 1, axis=1)[:, :take]
        else:
            top = np.tile(np.arange(n_items), (chunk.shape[0], 1))
        top_values = np.take_along_axis(chunk, top, axis=1)
        # order each row by weight desc, then column asc
        order = np.lexsort((top, -top_values), axis=1)
        top = np.take_along_axis(top, order, axis=1)
        top_values = np.take_along_axis(top_values, order, axis=1)
        positive = top_values > 0
        row_index = np.broadcast_to(np.arange(start, start + chunk.shape[0])[:, None], top.shape)
        rows.append(row_index[positive])
        columns.append(top[positive])
        values.append(top_values[positive])
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, DTYPE)
    return np.concatenate(rows), np.concatenate(columns), np.concatenate(values).astype(DTYPE)


def user_top(
    matrix: scipy.sparse.spmatrix, weights: np.ndarray, *, n: int, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every user's `n` best items by the DENSE model (their own items excluded, positive scores
    only): (user row, item column, score, item column of the user's item that contributed most)
    arrays, by user then score desc. Users are scored `chunk` at a time to bound the memory."""
    import scipy.sparse  # training only (see fit)

    matrix = scipy.sparse.csr_matrix(matrix, dtype=DTYPE)
    n_items = weights.shape[1]
    take = min(n, n_items)
    out_user, out_item, out_score, out_because = [], [], [], []
    for start in range(0, matrix.shape[0], chunk):
        block = matrix[start:start + chunk]
        scores = np.asarray(block @ weights)
        scores[block.nonzero()] = -np.inf
        if take < n_items:
            top = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        else:
            top = np.tile(np.arange(n_items), (scores.shape[0], 1))
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.lexsort((top, -top_scores), axis=1)
        top, top_scores = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_scores, order, axis=1)
        for row in range(block.shape[0]):
            keep = top_scores[row] > 0
            items, item_scores = top[row][keep], top_scores[row][keep]
            own = block.indices[block.indptr[row]:block.indptr[row + 1]]
            if not len(items) or not len(own):
                continue
            contributions = weights[np.ix_(own, items)]  # own items x candidates
            best = own[np.argmax(contributions, axis=0)]  # first maximum: the smaller column
            out_user.append(np.full(len(items), start + row))
            out_item.append(items)
            out_score.append(item_scores)
            out_because.append(best)
    if not out_user:
        empty = np.empty(0, np.int64)
        return empty, empty, np.empty(0, DTYPE), empty
    return (np.concatenate(out_user), np.concatenate(out_item), np.concatenate(out_score).astype(DTYPE),
            np.concatenate(out_because))


@dataclass(frozen=True)
class Score:
    score: float
    because: int  # the favorite whose weight contributed most


def score(rows: Sequence[tuple[int, int, float]], *, exclude: Iterable[int] = ()) -> dict[int, Score]:
    """A user's scores from the neighbour rows (favorite, candidate, weight) of their favorites:
    candidate -> (sum of weights, the favorite of the largest weight; ties by the smaller id).
    Candidates in `exclude` (favorites, not interested) are left out. Vectorised: a user with 100
    favorites brings 100 x RECS_NEIGHBORS rows."""
    if not rows:
        return {}
    data = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    favorite, candidate, weight = data[:, 0].astype(np.int64), data[:, 1].astype(np.int64), data[:, 2]
    keep = ~np.isin(candidate, np.fromiter(exclude, dtype=np.int64))
    favorite, candidate, weight = favorite[keep], candidate[keep], weight[keep]
    if not len(candidate):
        return {}
    candidates, group = np.unique(candidate, return_inverse=True)
    totals = np.bincount(group, weights=weight, minlength=len(candidates))
    order = np.lexsort((favorite, -weight, group))  # per candidate: largest weight, then smaller id
    first = order[np.r_[True, group[order][1:] != group[order][:-1]]]
    because = np.empty(len(candidates), dtype=np.int64)
    because[group[first]] = favorite[first]
    return {int(c): Score(float(t), int(b)) for c, t, b in zip(candidates.tolist(), totals.tolist(), because.tolist(), strict=True)}


def top(scores: dict[int, Score], *, limit: int) -> list[int]:
    """The `limit` best-scored candidates, best first (ties by the smaller id)."""
    return [c for c, _ in sorted(scores.items(), key=lambda item: (-item[1].score, item[0]))[:limit]]


def dense_scores(weights: np.ndarray, user_items: Sequence[int]) -> np.ndarray:
    """A user's score of every item from dense weights (their items' rows summed)."""
    return weights[list(user_items)].sum(axis=0)
