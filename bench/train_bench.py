"""
Training benchmark: time and peak memory of the EASE fit, the top-k pruning and the users' best
movies (recs.ease; "rows" = neighbour rows + user rows, "rows s" = the time to compute them) on synthetic
favorites shaped like MovieLens-100K (943 users x 1,682 movies, ~80k favorites) and at 20,000
movies. Popularity is skewed (Zipf-like), as real favorites are.

    .venv/bin/python bench/train_bench.py                 # both sizes
    .venv/bin/python bench/train_bench.py --only-100k     # MovieLens-100K's size only
    .venv/bin/python bench/train_bench.py --items 10000   # one size (2 users per movie)

Peak memory is the process's maximum resident set size (ru_maxrss), measured in a fresh child
process per size so one size's peak does not hide the next. The database write of the rows is
not included (see `manage.py train_recommender`, which prints its own total duration).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

from recs import ease

SIZES = [(943, 1682, 100_000), (40_000, 20_000, 2_000_000)]  # users, items, favorite draws


def synthetic_pairs(users: int, items: int, favorites: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, items + 1) ** 0.8
    popularity /= popularity.sum()
    user_ids = rng.integers(0, users, size=favorites)
    item_ids = rng.choice(items, size=favorites, p=popularity)
    return np.stack([user_ids, item_ids + 1], axis=1)


def run(users: int, items: int, favorites: int, lam: float, k: int, queue) -> None:
    pairs = synthetic_pairs(users, items, favorites)
    start = time.perf_counter()
    data = ease.interactions(pairs.tolist(), max_items=items)
    built = time.perf_counter()
    weights = ease.fit(data.matrix, lam=lam)
    fitted = time.perf_counter()
    rows, _, _ = ease.prune(weights, k=k)
    users, _, _, _ = ease.user_top(data.matrix, weights, n=200)
    pruned = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((data.user_count, len(data.item_ids), data.favorite_count, len(rows) + len(users),
               built - start, fitted - built, pruned - fitted, peak_mb))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, help="only this many items (users and favorites scale with it)")
    parser.add_argument("--only-100k", action="store_true", help="only MovieLens-100K's size")
    parser.add_argument("--lam", type=float, default=500.0)
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args()
    sizes = SIZES[:1] if args.only_100k else SIZES
    if args.items is not None:
        sizes = [(max(943, args.items * 2), args.items, args.items * 100)]
    print(f"cores: {os.cpu_count()}  lambda: {args.lam}  neighbours: {args.k}")
    print(f"{'users':>7} {'movies':>7} {'favorites':>10} {'rows':>9} {'matrix s':>9} {'fit s':>7} "
          f"{'rows s':>8} {'total s':>8} {'peak MB':>8}")
    ctx = multiprocessing.get_context("spawn")
    for users, items, favorites in sizes:
        queue = ctx.Queue()
        child = ctx.Process(target=run, args=(users, items, favorites, args.lam, args.k, queue))
        child.start()
        u, m, f, rows, t_build, t_fit, t_prune, peak = queue.get()
        child.join()
        print(f"{u:>7} {m:>7} {f:>10} {rows:>9} {t_build:>9.2f} {t_fit:>7.2f} {t_prune:>8.2f} "
              f"{t_build + t_fit + t_prune:>8.2f} {peak:>8.0f}")


if __name__ == "__main__":
    main()
