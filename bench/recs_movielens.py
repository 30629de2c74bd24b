"""
Offline evaluation of the personal list on MovieLens-100K, side by side with the field's baselines.

Protocol (issue 7): every rating is an implicit positive; each user's ratings are split at random
80/20 (per user, floor(0.2 * n) held out, as RecBole's ratio split), once per seed; every model
ranks ALL items with the user's training items removed, and the top 10 is scored on the held-out
items. Metrics, averaged over the users with at least one held-out item:

- NDCG@10   = DCG@10 / ideal DCG@10 (binary gains, ideal = min(10, |test|) hits at the top);
- Recall@10 = hits@10 / |test|  (RecBole's and the EASE paper's definition, not / min(10, |test|));
- Hit@10    = 1 if at least one held-out item is in the top 10.

Models, all trained on the same split in one run:

- MostPop: the training set's most rated items, for everyone;
- ItemKNN: cosine similarity on the binary user-item matrix; an item's score is the sum of its
  similarities to the user's training items among its 100 nearest neighbours (RecBole's ItemKNN);
- EASE (Steck 2019): dense closed form in float64 numpy, lambda 500 (--lambda);
- pipeline: the project's own code. The split's training data is loaded into a throwaway SQLite
  database (943 users, the 1,682 movies with MovieLens's genres as their genres and their training
  favorite count as popularity and vote count, every training rating a favorite with its real
  timestamp as added_at), TMDb off (the embedded default), `train_recommender` is run when the
  project has it, then `recommendations_build(user=...)` is called for every user and the movie
  ids are read in rank order. It prefers users.recommendations and falls back to users.selectors.

MovieLens-100K is read from the recbole==1.2.1 wheel (`pip download --no-deps`, no install, cached
in --data-dir). The script configures Django from the CURRENT directory, so it evaluates the code of
whichever worktree it is run from:

    make eval-recs                                   # all models, seeds 0-4
    .venv/bin/python bench/recs_movielens.py --seeds 0 --models ease,pipeline
    .venv/bin/python bench/recs_movielens.py --validate --models ease    # lambda sweep
    cd ../other-worktree && .venv/bin/python /path/to/bench/recs_movielens.py
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WHEEL_REQUIREMENT = "recbole==1.2.1"
WHEEL_NAME = "recbole-1.2.1-py3-none-any.whl"
DATASET_DIR = "recbole/dataset_example/ml-100k/"
K = 10
TEST_RATIO = 0.2
VALIDATION_SEED_OFFSET = 1000  # the validation split of seed s uses seed s + this offset
DEFAULT_LAMBDA = 500.0
LAMBDA_GRID = (100.0, 200.0, 300.0, 500.0, 800.0, 1000.0)
KNN_NEIGHBOURS = 100
MODELS = ("mostpop", "itemknn", "ease", "pipeline")
# MovieLens genre -> TMDb genre id (our Genre ids are TMDb's); Film-Noir has no TMDb twin.
GENRE_IDS = {
    "Action": 28, "Adventure": 12, "Animation": 16, "Children's": 10751, "Comedy": 35, "Crime": 80,
    "Documentary": 99, "Drama": 18, "Fantasy": 14, "Film-Noir": 90001, "Horror": 27, "Musical": 10402,
    "Mystery": 9648, "Romance": 10749, "Sci-Fi": 878, "Thriller": 53, "War": 10752, "Western": 37,
}
SCRIPT_ROOT = Path(__file__).resolve().parents[1]


# --- data ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratings:
    """Interactions as parallel arrays of dense indices, plus the MovieLens ids and item metadata."""

    user: np.ndarray  # int, index into user_ids
    item: np.ndarray  # int, index into item_ids
    timestamp: np.ndarray  # int, seconds
    user_ids: np.ndarray  # MovieLens user id per user index
    item_ids: np.ndarray  # MovieLens item id per item index
    titles: Sequence[str] = ()
    years: Sequence[int | None] = ()
    genres: Sequence[Sequence[str]] = ()

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


def _typed_table(text: str) -> list[dict[str, str]]:
    """RecBole's atomic file: tab-separated, header fields `name:type`."""
    lines = text.splitlines()
    names = [field.split(":")[0] for field in lines[0].split("\t")]
    return [dict(zip(names, line.split("\t"), strict=True)) for line in lines[1:] if line]


def parse_movielens(inter_text: str, item_text: str) -> Ratings:
    """The ml-100k.inter and ml-100k.item texts -> Ratings over every listed item (rated or not)."""
    items = _typed_table(item_text)
    item_ids = np.array(sorted(int(row["item_id"]) for row in items))
    by_id = {int(row["item_id"]): row for row in items}
    rows = _typed_table(inter_text)
    raw_users = np.array([int(row["user_id"]) for row in rows])
    raw_items = np.array([int(row["item_id"]) for row in rows])
    user_ids = np.unique(raw_users)
    return Ratings(
        user=np.searchsorted(user_ids, raw_users),
        item=np.searchsorted(item_ids, raw_items),
        timestamp=np.array([int(float(row["timestamp"])) for row in rows]),
        user_ids=user_ids,
        item_ids=item_ids,
        titles=[by_id[i]["movie_title"] for i in item_ids],
        years=[int(by_id[i]["release_year"]) if by_id[i]["release_year"].isdigit() else None for i in item_ids],
        genres=[[g for g in by_id[i]["class"].split() if g in GENRE_IDS] for i in item_ids],
    )


def default_data_dir() -> Path:
    """var/datasets under the current directory, else under this script's project if it has the wheel."""
    here = Path.cwd() / "var" / "datasets"
    fallback = SCRIPT_ROOT / "var" / "datasets"
    if not (here / WHEEL_NAME).exists() and (fallback / WHEEL_NAME).exists():
        return fallback
    return here


def load_movielens(data_dir: Path) -> Ratings:
    """MovieLens-100K from the recbole wheel in data_dir, downloaded there first if missing."""
    wheel = data_dir / WHEEL_NAME
    if not wheel.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"fetching {WHEEL_REQUIREMENT} (MovieLens-100K ships inside it) into {data_dir} ...", flush=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", WHEEL_REQUIREMENT, "-d", str(data_dir)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603 - fixed argv
        except subprocess.TimeoutExpired:
            done = None
        if done is None or done.returncode != 0 or not wheel.exists():
            detail = done.stderr.strip().splitlines()[-1:] if done is not None else ["timed out"]
            raise SystemExit(
                f"Could not download {WHEEL_REQUIREMENT} from the package index ({' '.join(detail)}). "
                f"Offline? Put {WHEEL_NAME} into {data_dir} by hand, or pass --data-dir."
            )
    with zipfile.ZipFile(wheel) as archive:
        inter = archive.read(DATASET_DIR + "ml-100k.inter").decode("utf-8")
        item = archive.read(DATASET_DIR + "ml-100k.item").decode("latin-1")
    return parse_movielens(inter, item)


# --- protocol -----------------------------------------------------------------------------------------


def split_per_user(user: np.ndarray, n_users: int, *, seed: int, ratio: float = TEST_RATIO) -> np.ndarray:
    """A boolean mask over the interactions, True = held out: per user, floor(ratio * n) of their
    interactions chosen at random (numpy's generator seeded with `seed`, users in index order)."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(user), dtype=bool)
    order = np.argsort(user, kind="stable")
    bounds = np.searchsorted(user[order], np.arange(n_users + 1))
    for u in range(n_users):
        rows = order[bounds[u]:bounds[u + 1]]
        n_test = int(ratio * len(rows))
        if n_test:
            test[rows[rng.permutation(len(rows))[:n_test]]] = True
    return test


def interaction_matrix(user: np.ndarray, item: np.ndarray, n_users: int, n_items: int) -> np.ndarray:
    """Dense binary user x item matrix (float64)."""
    matrix = np.zeros((n_users, n_items))
    matrix[user, item] = 1.0
    return matrix


def top_k(scores: np.ndarray, exclude: np.ndarray, k: int = K) -> np.ndarray:
    """Per row, the k best columns (score desc, then column index asc) among those not excluded."""
    masked = np.where(exclude > 0, -np.inf, scores)
    return np.argsort(-masked, axis=1, kind="stable")[:, :k]


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int = K) -> float:
    dcg = sum(1 / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int = K) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def hit_at_k(ranked: Sequence[int], relevant: set[int], k: int = K) -> float:
    return 1.0 if set(ranked[:k]) & relevant else 0.0


def evaluate(ranked: dict[int, Sequence[int]], held_out: dict[int, set[int]], k: int = K) -> dict[str, float]:
    """Mean NDCG/Recall/Hit@k over the users with at least one held-out item (a user missing from
    `ranked` counts as an empty list)."""
    users = [u for u, items in held_out.items() if items]
    if not users:
        return {"ndcg": 0.0, "recall": 0.0, "hit": 0.0}
    return {
        name: float(np.mean([metric(list(ranked.get(u, ())), held_out[u], k) for u in users]))
        for name, metric in (("ndcg", ndcg_at_k), ("recall", recall_at_k), ("hit", hit_at_k))
    }


def held_out_sets(user: np.ndarray, item: np.ndarray, mask: np.ndarray) -> dict[int, set[int]]:
    result: dict[int, set[int]] = {}
    for u, i in zip(user[mask].tolist(), item[mask].tolist(), strict=True):
        result.setdefault(u, set()).add(i)
    return result


# --- the reference models (pure numpy) ----------------------------------------------------------------


def most_pop_scores(train: np.ndarray) -> np.ndarray:
    return np.broadcast_to(train.sum(axis=0), train.shape)


def item_knn_weights(train: np.ndarray, *, neighbours: int = KNN_NEIGHBOURS) -> np.ndarray:
    """Cosine item-item similarity W (scores = X @ W) where each column keeps its `neighbours` largest
    entries: an item is scored from its own nearest neighbours only (classic item-based CF, as
    RecBole's ItemKNN)."""
    gram = train.T @ train
    norms = np.sqrt(np.diag(gram))
    norms[norms == 0] = 1.0
    similarity = gram / norms[:, None] / norms[None, :]
    np.fill_diagonal(similarity, 0.0)
    if neighbours < similarity.shape[1]:
        drop = np.argpartition(-similarity, neighbours, axis=1)[:, neighbours:]
        np.put_along_axis(similarity, drop, 0.0, axis=1)
    return similarity.T


def ease_weights(train: np.ndarray, *, lam: float = DEFAULT_LAMBDA) -> np.ndarray:
    """EASE's closed form: B = I - P diagMat(1 / diag(P)) with P = (X'X + lam I)^-1, diag(B) = 0."""
    gram = train.T @ train
    gram[np.diag_indices_from(gram)] += lam
    precision = np.linalg.inv(gram)
    weights = precision / -np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    return weights


def reference_rankings(name: str, train: np.ndarray, *, lam: float) -> tuple[np.ndarray, float]:
    """(top-K item indices per user, training seconds) of one reference model."""
    start = time.perf_counter()
    if name == "mostpop":
        scores = most_pop_scores(train)
    elif name == "itemknn":
        scores = train @ item_knn_weights(train)
    else:
        scores = train @ ease_weights(train, lam=lam)
    seconds = time.perf_counter() - start
    return top_k(scores, train), seconds


# --- the project's pipeline, through Django -----------------------------------------------------------


def django_setup(project_root: Path, db_path: Path) -> None:
    """Configure Django from project_root (the worktree under evaluation) on a fresh SQLite file,
    the in-process cache and no TMDb; migrate."""
    sys.path.insert(0, str(project_root))
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    # Set explicitly (not popped): the environment wins over the project's .env in python-decouple.
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "movie_backend.settings", "DATABASE_URL": f"sqlite:///{db_path}",
        "REDIS_URL": "", "TMDB_API_KEY": "", "TMDB_READ_ACCESS_TOKEN": "", "TMDB_API_KEY_FILE": "",
        "TMDB_READ_ACCESS_TOKEN_FILE": "", "DEBUG": "false", "LOG_LEVEL": "WARNING",
    })
    os.environ.setdefault("SECRET_KEY", "eval-secret-key-" + "x" * 40)
    os.environ.setdefault("JWT_SIGNING_KEY", "eval-jwt-key-" + "y" * 40)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextlib.contextmanager
def _explicit_added_at() -> Iterator[None]:
    """Let bulk_create keep the favorites' own added_at (MovieLens timestamps) instead of now()."""
    from users.models import Favorite

    field = Favorite._meta.get_field("added_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


class Pipeline:
    """The production pipeline on a throwaway database, reloaded for every split."""

    def __init__(self, ratings: Ratings, *, project_root: Path, db_path: Path, memo: bool = True) -> None:
        self.ratings = ratings
        self.memo = memo
        self.db_path = db_path
        django_setup(project_root, db_path)
        from django.core.management import get_commands

        try:
            from users.recommendations import recommendations_build
            self.module = "users.recommendations"
        except ImportError:
            from users.selectors import recommendations_build
            self.module = "users.selectors"
        self.build = recommendations_build
        self.has_training = "train_recommender" in get_commands()
        self._load_catalogue()

    @property
    def label(self) -> str:
        trained = "train_recommender + " if self.has_training else "no train_recommender; "
        memo = "catalogue reads memoised per split" if self.memo else "no memo"
        return f"{trained}{self.module}.recommendations_build ({memo})"

    def _load_catalogue(self) -> None:
        from movies.models import Genre, Movie

        Genre.objects.bulk_create([Genre(id=gid, name=name) for name, gid in GENRE_IDS.items()])
        r = self.ratings
        Movie.objects.bulk_create([
            Movie(id=int(item_id), title=r.titles[i][:500],
                  release_date=dt.date(r.years[i], 1, 1) if r.years[i] else None)
            for i, item_id in enumerate(r.item_ids)
        ], batch_size=500)
        through = Movie.genres.through
        through.objects.bulk_create([
            through(movie_id=int(item_id), genre_id=GENRE_IDS[name])
            for i, item_id in enumerate(r.item_ids) for name in r.genres[i]
        ], batch_size=1000)

    def load_split(self, train_mask: np.ndarray) -> dict[int, object]:
        """Replace the users and favorites by the split's training part; popularity and vote count
        become the training favorite counts (vote average stays 0: the weighted rating is popularity)."""
        from django.core.cache import caches

        from movies.models import Movie
        from users.models import Favorite, Profile, User

        r = self.ratings
        User.objects.all().delete()
        users = User.objects.bulk_create(
            [User(username=f"ml{int(uid)}", password="!") for uid in r.user_ids], batch_size=500
        )
        Profile.objects.bulk_create([Profile(user=user) for user in users], batch_size=500)
        rows = np.flatnonzero(train_mask)
        rows = rows[np.lexsort((r.item[rows], r.user[rows], r.timestamp[rows]))]  # ids follow time
        utc = dt.UTC
        with _explicit_added_at():
            Favorite.objects.bulk_create([
                Favorite(user_id=users[u].id, movie_id=int(r.item_ids[i]),
                         added_at=dt.datetime.fromtimestamp(int(ts), tz=utc))
                for u, i, ts in zip(r.user[rows].tolist(), r.item[rows].tolist(), r.timestamp[rows].tolist(), strict=True)
            ], batch_size=2000)
        counts = np.bincount(r.item[rows], minlength=r.n_items)
        movies = list(Movie.objects.order_by("id"))
        position = {int(item_id): i for i, item_id in enumerate(r.item_ids)}
        for movie in movies:
            movie.popularity = movie.vote_count = int(counts[position[movie.id]])
        Movie.objects.bulk_update(movies, ["popularity", "vote_count"], batch_size=500)
        for cache in caches.all():
            cache.clear()  # only in-process caches here (REDIS_URL is empty)
        return dict(enumerate(users))

    def train(self) -> float:
        if not self.has_training:
            return 0.0
        from django.core.management import call_command

        start = time.perf_counter()
        call_command("train_recommender", verbosity=0)
        return time.perf_counter() - start

    def rankings(self, users: dict[int, object], wanted: list[int], k: int = K) -> tuple[dict[int, list[int]], float]:
        """Top-k item indices per wanted user index from the pipeline's list, and seconds spent."""
        from movie_backend.cache import Degraded

        position = {int(item_id): i for i, item_id in enumerate(self.ratings.item_ids)}
        start = time.perf_counter()
        ranked: dict[int, list[int]] = {}
        with self._memoised_catalogue_reads():
            for u in wanted:
                result = self.build(user=users[u])
                if isinstance(result, Degraded):
                    result = result.value
                ranked[u] = [position[m["id"]] for m in result[:k] if m["id"] in position]
        return ranked, time.perf_counter() - start

    @contextlib.contextmanager
    def _memoised_catalogue_reads(self) -> Iterator[None]:
        """With memo on, the catalogue-wide reads the pipeline repeats for every user ("more like
        this" of a movie, the catalogue's ranked list of a genre) are computed once per split. They
        are pure reads of a database that does not change while the lists are built, so every list
        is the same as without the memo; with TMDb on, production caches the same reads per movie."""
        if not self.memo:
            yield
            return
        from unittest import mock

        from movies import selectors as movie_selectors
        from movies import services as movie_services

        def memoised(function: Callable) -> Callable:
            answers: dict = {}

            def wrapper(**kwargs):
                key = tuple(sorted(kwargs.items()))
                if key not in answers:
                    answers[key] = function(**kwargs)
                return answers[key]
            return wrapper

        with mock.patch.object(movie_services, "movie_recommendations", memoised(movie_services.movie_recommendations)), \
                mock.patch.object(movie_selectors, "catalogue_ranked", memoised(movie_selectors.catalogue_ranked)):
            yield

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)


# --- runs ---------------------------------------------------------------------------------------------


def _mean_std(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values):.4f}"


def run_test(ratings: Ratings, *, seeds: list[int], models: list[str], lam: float, pipeline_factory: Callable[[], Pipeline]) -> dict:
    results: dict[str, dict[str, list[float]]] = {m: {"ndcg": [], "recall": [], "hit": [], "train": [], "serve": []} for m in models}
    pipeline = pipeline_factory() if "pipeline" in models else None
    if pipeline is not None:
        print(f"pipeline: {pipeline.label} (project: {Path.cwd()})", flush=True)
    try:
        for seed in seeds:
            test_mask = split_per_user(ratings.user, ratings.n_users, seed=seed)
            train = interaction_matrix(ratings.user[~test_mask], ratings.item[~test_mask], ratings.n_users, ratings.n_items)
            held_out = held_out_sets(ratings.user, ratings.item, test_mask)
            line = [f"seed {seed}:"]
            for name in models:
                if name == "pipeline":
                    load_start = time.perf_counter()
                    users = pipeline.load_split(~test_mask)
                    load_seconds = time.perf_counter() - load_start
                    train_seconds = pipeline.train()
                    ranked, serve_seconds = pipeline.rankings(users, sorted(held_out))
                    line.append(f"pipeline (load {load_seconds:.1f}s, train {train_seconds:.1f}s, "
                                f"{len(ranked)} lists {serve_seconds:.1f}s)")
                else:
                    top, train_seconds = reference_rankings(name, train, lam=lam)
                    ranked = {u: top[u].tolist() for u in held_out}
                    serve_seconds = 0.0
                scores = evaluate(ranked, held_out)
                for metric, value in scores.items():
                    results[name][metric].append(value)
                results[name]["train"].append(train_seconds)
                results[name]["serve"].append(serve_seconds)
                line.append(f"{name} {scores['ndcg']:.4f}")
            print("  ".join(line), flush=True)
    finally:
        if pipeline is not None:
            pipeline.close()
    return results


LABELS = {
    "mostpop": "MostPop",
    "itemknn": f"ItemKNN (cosine, {KNN_NEIGHBOURS} nb)",
    "ease": "EASE (lambda {lam:g}, dense)",
    "pipeline": "production pipeline",
}


def print_table(results: dict, *, lam: float, seeds: list[int]) -> None:
    print(f"\nNDCG@{K}, Recall@{K} (hits/|test|), Hit@{K}: mean ± std over seeds {seeds}; "
          "train = model fit seconds per split (pipeline: train_recommender), serve = all users' lists")
    print(f"{'model':30}{'NDCG@10':>18}{'Recall@10':>18}{'Hit@10':>18}{'train s':>9}{'serve s':>9}")
    for name, values in results.items():
        label = LABELS[name].format(lam=lam)
        print(f"{label:30}{_mean_std(values['ndcg']):>18}{_mean_std(values['recall']):>18}"
              f"{_mean_std(values['hit']):>18}{np.mean(values['train']):9.2f}{np.mean(values['serve']):9.1f}")
    if "ease" in results:
        ease = np.mean(results["ease"]["ndcg"])
        for name in results:
            if name != "ease":
                print(f"NDCG@10 {LABELS[name].format(lam=lam)} / EASE: {np.mean(results[name]['ndcg']) / ease:.3f}x")


def run_validation(ratings: Ratings, *, seeds: list[int], lambdas: Sequence[float]) -> None:
    """Sweep EASE's lambda on a validation split carved out of each seed's training part (80/20
    again), so the test items never choose lambda."""
    print(f"\nEASE lambda on validation (training part of each seed split 80/20 again, seed + {VALIDATION_SEED_OFFSET}):")
    print(f"{'lambda':>8}{'NDCG@10':>18}{'Recall@10':>18}{'Hit@10':>18}")
    per_lambda: dict[float, dict[str, list[float]]] = {lam: {"ndcg": [], "recall": [], "hit": []} for lam in lambdas}
    for seed in seeds:
        test_mask = split_per_user(ratings.user, ratings.n_users, seed=seed)
        user, item = ratings.user[~test_mask], ratings.item[~test_mask]
        valid_mask = split_per_user(user, ratings.n_users, seed=seed + VALIDATION_SEED_OFFSET)
        train = interaction_matrix(user[~valid_mask], item[~valid_mask], ratings.n_users, ratings.n_items)
        held_out = held_out_sets(user, item, valid_mask)
        for lam in lambdas:
            top, _ = reference_rankings("ease", train, lam=lam)
            for metric, value in evaluate({u: top[u].tolist() for u in held_out}, held_out).items():
                per_lambda[lam][metric].append(value)
    best = max(lambdas, key=lambda lam: np.mean(per_lambda[lam]["ndcg"]))
    for lam in lambdas:
        values = per_lambda[lam]
        mark = "  <- best" if lam == best else ""
        print(f"{lam:8g}{_mean_std(values['ndcg']):>18}{_mean_std(values['recall']):>18}{_mean_std(values['hit']):>18}{mark}")


def _seed_list(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    return seeds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,2 (default 0-4)")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    parser.add_argument("--lambda", dest="lam", type=float, default=DEFAULT_LAMBDA, help="EASE reference's L2 weight")
    parser.add_argument("--validate", action="store_true",
                        help=f"also sweep EASE's lambda over {','.join(f'{x:g}' for x in LAMBDA_GRID)} on a validation split")
    parser.add_argument("--no-memo", action="store_true",
                        help="pipeline: recompute the per-movie and per-genre catalogue reads for every user (slow)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where the recbole wheel is cached (default var/datasets)")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {MODELS}")
    seeds = _seed_list(args.seeds)

    ratings = load_movielens(args.data_dir or default_data_dir())
    print(f"MovieLens-100K: {ratings.n_users} users, {ratings.n_items} items, {len(ratings.user)} ratings "
          f"(all implicit positives); per-user random {1 - TEST_RATIO:.0%}/{TEST_RATIO:.0%} split, seeds {seeds}; "
          f"full ranking over all items minus the user's training items", flush=True)
    if args.validate:
        run_validation(ratings, seeds=seeds, lambdas=LAMBDA_GRID)
    if models:
        root = Path.cwd()
        results = run_test(ratings, seeds=seeds, models=models, lam=args.lam, pipeline_factory=lambda: Pipeline(
            ratings, project_root=root, db_path=root / "var" / f"recs_movielens_{os.getpid()}.sqlite3",
            memo=not args.no_memo))
        print_table(results, lam=args.lam, seeds=seeds)


if __name__ == "__main__":
    main()
