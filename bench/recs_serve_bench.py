"""
Serving benchmark of the personal list: the cold list (cache miss) of users with 100 favorites,
with the trained model and, side by side in the same run, without it (the previous pipeline:
co-favorite counts of the latest 5 favorites and each seed's local "more like this"). TMDb off
(the embedded default's path; with TMDb on, its lists come from the cache).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/recs_serve_bench.py
    .venv/bin/python bench/recs_serve_bench.py          # SQLite file under var/

It creates and drops its own database (<db>_servebench, or var/servebench.sqlite3): a synthetic
community (BENCH_MOVIES movies in 10 genres, BENCH_USERS users with Zipf-distributed favorites,
about 50 each) plus 20 users with 100 favorites each, trains the model with the default settings,
then times `recommendations_for_user` after invalidating that user's cached list each time.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movie_backend.settings")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
os.environ.setdefault("JWT_SIGNING_KEY", "bench-jwt-key-" + "y" * 40)
os.environ["TMDB_API_KEY"] = os.environ["TMDB_READ_ACCESS_TOKEN"] = ""
os.environ.setdefault("LOG_LEVEL", "WARNING")

MOVIES = int(os.environ.get("BENCH_MOVIES", "5000"))
USERS = int(os.environ.get("BENCH_USERS", "3000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "100"))
HEAVY_USERS, HEAVY_FAVORITES = 20, 100
GENRES = [28, 12, 16, 35, 80, 18, 27, 878, 53, 10749]


def build_community(rng: np.random.Generator) -> list:
    from movies.models import Genre, Movie
    from users.models import Favorite, User

    Genre.objects.bulk_create([Genre(id=g, name=f"Genre {g}") for g in GENRES])
    Movie.objects.bulk_create([
        Movie(id=i, title=f"Movie {i}", vote_average=float(rng.uniform(4, 9)), vote_count=int(rng.integers(10, 20000)),
              popularity=float(rng.uniform(1, 500)))
        for i in range(1, MOVIES + 1)
    ], batch_size=2000)
    through = Movie.genres.through
    through.objects.bulk_create([
        through(movie_id=i, genre_id=g) for i in range(1, MOVIES + 1)
        for g in rng.choice(GENRES, size=int(rng.integers(1, 4)), replace=False).tolist()
    ], batch_size=5000)
    users = User.objects.bulk_create([User(username=f"u{n}", password="!") for n in range(USERS + HEAVY_USERS)],
                                     batch_size=2000)
    popularity = 1.0 / np.arange(1, MOVIES + 1) ** 0.8
    popularity /= popularity.sum()
    favorites = []
    for index, user in enumerate(users):
        count = HEAVY_FAVORITES if index >= USERS else int(rng.integers(10, 90))
        for movie_id in rng.choice(MOVIES, size=count, replace=False, p=popularity).tolist():
            favorites.append(Favorite(user=user, movie_id=movie_id + 1))
    Favorite.objects.bulk_create(favorites, batch_size=5000)
    return users[USERS:]


def time_cold_lists(users: list, rounds: int) -> list[float]:
    from movie_backend.cache import invalidate_namespace
    from users.recommendations import recommendations_for_user, user_recs_namespace

    timings = []
    for n in range(rounds):
        user = users[n % len(users)]
        invalidate_namespace(user_recs_namespace(user.id))
        start = time.perf_counter()
        result = recommendations_for_user(user=user, page=1)
        timings.append((time.perf_counter() - start) * 1000)
        assert result.status == "MISS" and result.value["results"], result
    return timings


def summary(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if connection.vendor == "sqlite":
        (ROOT / "var").mkdir(exist_ok=True)
        connection.settings_dict["TEST"]["NAME"] = str(ROOT / "var" / "servebench.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_servebench"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from recs.models import ModelVersion
        from users.training import recommender_train

        heavy = build_community(np.random.default_rng(0))
        version = recommender_train()
        print(f"{connection.vendor}; cache {os.environ.get('REDIS_URL') or 'in-process'}; TMDb off; "
              f"{MOVIES} movies, {version.users} users, {version.favorites} favorites; model: {version.movies} movies, "
              f"{version.neighbor_rows} neighbour rows, trained in {version.duration:.1f} s")
        print(f"cold personal list of a user with {HEAVY_FAVORITES} favorites, {ROUNDS} rounds (ms):")
        time_cold_lists(heavy, 5)  # warm-up: connections, imports
        with_model = time_cold_lists(heavy, ROUNDS)
        ModelVersion.objects.all().delete()
        time_cold_lists(heavy, 5)
        without_model = time_cold_lists(heavy, ROUNDS)
        (p50_new, p95_new), (p50_old, p95_old) = summary(with_model), summary(without_model)
        print(f"{'':34}{'p50':>8}{'p95':>8}")
        print(f"{'with the model (this code)':34}{p50_new:8.1f}{p95_new:8.1f}")
        print(f"{'without a model (previous pipeline)':34}{p50_old:8.1f}{p95_old:8.1f}")
        print(f"p95 ratio with / without: {p95_new / p95_old:.2f}x")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


if __name__ == "__main__":
    main()
