"""
Black-box evaluation of the personal list through the HTTP API, as a deployment would see it.

MovieLens-100K (seed 0 of bench/recs_movielens.py's per-user random 80/20 split) is played into a
real server: gunicorn (2 workers x 4 threads) on PostgreSQL + Redis, TMDb = the project's stub
(tools/tmdb_stub) serving the 1,682 MovieLens items as its catalogue (genres as TMDb genres,
popularity and vote count = training favorites) whose per-movie recommendations are content-only
(most shared genres, then popularity). The 943 people register through the API and favorite their
training items in timestamp order (8 clients at once); then `manage.py train_recommender` runs if the
project has it; then every person's `GET /api/users/recommendations/` first 10 are scored on their
held-out items (NDCG@10, Recall@10 = hits/|test|, Hit@10), beside MostPop and EASE (lambda 500)
computed on the same split in this process. Last, cold-list latency: 4 clients at once, each
request preceded by an invalidation of that user's cached list (TMDb answers stay cached).

It DROPS AND RECREATES the PostgreSQL database and FLUSHES the Redis db it is given: pass your own.
Throttles are set out of reach, the password hasher is a fast one (bench/api_eval_settings.py),
servers bind 127.0.0.1 on free ports and are stopped at the end or after --time-limit seconds.

    make eval-recs-api EVAL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> EVAL_REDIS_URL=redis://127.0.0.1:6379/<n>

`--latency-only` re-measures only the cold lists on a database a full run has loaded (same URLs):
nothing is dropped or flushed, migrations are applied, people log in instead of registering. Ten
minutes of loading become seconds, so a change to the serving path is timed right after it is made.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import requests

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import recs_movielens as ml  # noqa: E402 - beside this file, whichever project is evaluated

SEED = 0
STUB_KEY = "stub-key"
PASSWORD = "MovieLens-eval-2026!"
LOAD_CLIENTS = 8
LATENCY_CLIENTS = 4
REQUEST_TIMEOUT = 30
FORBIDDEN_DATABASES = {"movie_backend"}  # CI's
FORBIDDEN_REDIS_DBS = {"13", "14", "15"}  # CI's


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_catalogue(ratings: ml.Ratings, train_mask: np.ndarray, path: Path) -> None:
    """The MovieLens items as a TMDb stub catalogue; popularity and vote count = training favorites."""
    counts = np.bincount(ratings.item[train_mask], minlength=ratings.n_items)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "genres": [{"id": gid, "name": name} for name, gid in ml.GENRE_IDS.items()],
        "movies": [
            {
                "id": int(item_id), "title": ratings.titles[i], "original_title": ratings.titles[i],
                "original_language": "en", "release_date": f"{ratings.years[i]}-01-01" if ratings.years[i] else "",
                "genre_ids": [ml.GENRE_IDS[g] for g in ratings.genres[i]],
                "vote_average": 7.0, "vote_count": int(counts[i]), "popularity": float(counts[i]),
            }
            for i, item_id in enumerate(ratings.item_ids)
        ],
    }))


def reset_stores(database_url: str, redis_url: str) -> None:
    import psycopg2
    import redis

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                             password=parts.password, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    redis.Redis.from_url(redis_url).flushdb()  # this db only, never FLUSHALL


class Servers:
    """The TMDb stub and gunicorn as child processes; stop() ends both (and is safe to call twice)."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir, self.processes = env, log_dir, []

    def start_stub(self, catalogue: Path) -> str:
        stub = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "tools.tmdb_stub", "--port", "0", "--api-key", STUB_KEY,
             "--catalogue", str(catalogue), "--no-synthetic"],
            # The stub is a tool, not the code under evaluation: this script's own copy serves.
            cwd=BENCH_DIR.parent, stdout=subprocess.PIPE, stderr=open(self.log_dir / "stub.log", "w"), text=True,  # noqa: SIM115
        )
        self.processes.append(stub)
        line = stub.stdout.readline().strip()
        if not line.startswith("tmdb-stub listening on "):
            raise SystemExit(f"TMDb stub did not start: {line!r}")
        return line.rsplit(" ", 1)[1]

    def start_gunicorn(self, port: int) -> str:
        log = open(self.log_dir / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
        server = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "gunicorn", "movie_backend.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--timeout", "120", "--graceful-timeout", "5"],
            cwd=Path.cwd(), env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        self.processes.append(server)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return base
            if server.poll() is not None:
                break
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not come up; see {self.log_dir / 'gunicorn.log'}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes = []


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args], cwd=Path.cwd(), env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )


_local = threading.local()
STOP = threading.Event()  # set when --time-limit is reached: clients stop sending


def run_parallel(function, items: list, clients: int) -> list:
    """function(item) for every item on `clients` threads, results in order; on any failure (or the
    time limit) the queued work is cancelled and the clients stop, instead of draining the queue."""
    pool = cf.ThreadPoolExecutor(clients)
    try:
        return list(pool.map(function, items))
    except BaseException:
        STOP.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def register(base: str, username: str) -> tuple[int, str]:
    response = session().post(f"{base}/api/auth/register/", json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD,
    }, timeout=REQUEST_TIMEOUT)
    if response.status_code != 201:
        raise RuntimeError(f"register {username}: {response.status_code} {response.text[:200]}")
    body = response.json()
    return body["user"]["id"], body["access"]


def login(base: str, username: str) -> tuple[int, str]:
    response = session().post(f"{base}/api/auth/login/", json={"username": username, "password": PASSWORD},
                              timeout=REQUEST_TIMEOUT)
    if response.status_code != 200:
        raise RuntimeError(f"login {username}: {response.status_code} {response.text[:200]}")
    access = response.json()["access"]
    me = session().get(f"{base}/api/users/me/", headers={"Authorization": f"Bearer {access}"}, timeout=REQUEST_TIMEOUT)
    return me.json()["id"], access


def favorite_all(base: str, token: str, movie_ids: list[int]) -> int:
    """POST every movie in order; returns the number of answers other than 200/201."""
    failures = 0
    headers = {"Authorization": f"Bearer {token}"}
    for movie_id in movie_ids:
        if STOP.is_set():
            raise TimeoutError("stopped")
        response = session().post(f"{base}/api/users/favorites/", json={"movie_id": movie_id},
                                  headers=headers, timeout=REQUEST_TIMEOUT)
        failures += response.status_code not in (200, 201)
    return failures


ERRORS: list[str] = []  # answers other than 200 to GET recommendations (scored as empty lists)


def recommendations(base: str, token: str) -> tuple[list[int], float]:
    if STOP.is_set():
        raise TimeoutError("stopped")
    start = time.perf_counter()
    response = session().get(f"{base}/api/users/recommendations/", headers={"Authorization": f"Bearer {token}"},
                             timeout=REQUEST_TIMEOUT)
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        ERRORS.append(f"{response.status_code} {response.text[:120]}")
        return [], seconds
    return [movie["id"] for movie in response.json()["results"]], seconds


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def cold_lists(env: dict[str, str], base: str, accounts: dict[int, tuple[int, str]], timed: list[int]) -> list[float]:
    """Seconds of each user's list right after an invalidation of their cached list (TMDb answers
    stay cached), LATENCY_CLIENTS at once. Invalidates through the project's own cache helpers."""
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    sys.path.insert(0, str(Path.cwd()))
    import django

    django.setup()
    from movie_backend.cache import invalidate_namespace
    try:
        from users.recommendations import user_recs_namespace
    except ImportError:
        from users.selectors import user_recs_namespace

    def cold(u: int) -> float:
        invalidate_namespace(user_recs_namespace(accounts[u][0]))
        return recommendations(base, accounts[u][1])[1]

    return run_parallel(cold, timed, LATENCY_CLIENTS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("EVAL_DATABASE_URL"),
                        help="PostgreSQL database to DROP and recreate (default $EVAL_DATABASE_URL)")
    parser.add_argument("--redis-url", default=os.environ.get("EVAL_REDIS_URL"),
                        help="Redis db to FLUSH (default $EVAL_REDIS_URL)")
    parser.add_argument("--users", type=int, default=0, help="only the first N users (0 = all 943)")
    parser.add_argument("--latency-users", type=int, default=400, help="cold lists timed (default 400)")
    parser.add_argument("--time-limit", type=int, default=3600, help="seconds before everything is stopped")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--latency-only", action="store_true",
                        help="only the cold lists, on the database a full run loaded (nothing is wiped)")
    args = parser.parse_args(argv)
    if not args.database_url or not args.redis_url:
        parser.error("pass --database-url and --redis-url (or EVAL_DATABASE_URL / EVAL_REDIS_URL): your own, "
                     "they are wiped")
    if urlsplit(args.database_url).path.lstrip("/") in FORBIDDEN_DATABASES or \
            urlsplit(args.redis_url).path.lstrip("/") in FORBIDDEN_REDIS_DBS:
        parser.error("that database or Redis db is CI's; use your own")

    def _time_up(signum, frame):
        STOP.set()
        raise TimeoutError(f"--time-limit {args.time_limit}s reached")

    signal.signal(signal.SIGALRM, _time_up)
    signal.alarm(args.time_limit)

    ratings = ml.load_movielens(args.data_dir or ml.default_data_dir())
    test_mask = ml.split_per_user(ratings.user, ratings.n_users, seed=SEED)
    held_out = ml.held_out_sets(ratings.user, ratings.item, test_mask)
    users = list(range(ratings.n_users))[: args.users or None]
    work_dir = Path.cwd() / "var" / "recs_api_eval"
    catalogue = work_dir / "catalogue.json"
    write_catalogue(ratings, ~test_mask, catalogue)

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path.cwd()), str(BENCH_DIR)]),
        "DJANGO_SETTINGS_MODULE": "api_eval_settings",
        "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
        "TMDB_API_KEY": STUB_KEY, "TMDB_READ_ACCESS_TOKEN": "", "TMDB_MAX_REQUESTS_PER_SECOND": "10000",
        "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
        "JWT_ACCESS_LIFETIME": str(args.time_limit + 600),
        **{f"THROTTLE_{scope}": "1000000/min" for scope in
           ("ANON", "USER", "LOGIN", "LOGIN_USERNAME", "REGISTER", "REFRESH", "RECOMMENDATIONS")},
    }
    servers = Servers(env, work_dir)
    try:
        env["TMDB_BASE_URL"] = servers.start_stub(catalogue)
        if not args.latency_only:
            reset_stores(args.database_url, args.redis_url)
        migrated = manage(env, "migrate", "--noinput")
        if migrated.returncode:
            raise SystemExit(f"migrate failed:\n{migrated.stderr[-2000:]}")
        base = servers.start_gunicorn(free_port())
        print(f"server {base} (project {Path.cwd()}), TMDb stub {env['TMDB_BASE_URL']}, "
              f"{len(users)} users, seed {SEED}", flush=True)
        if args.latency_only:
            wanted = [u for u in users if held_out.get(u)][: args.latency_users]
            accounts = dict(zip(wanted, run_parallel(lambda u: login(base, f"ml{int(ratings.user_ids[u])}"), wanted,
                                                     LOAD_CLIENTS), strict=True))
            cold_latencies = cold_lists(env, base, accounts, wanted)
            print(f"cold lists ({LATENCY_CLIENTS} clients, user's cached list invalidated before each, TMDb answers "
                  f"cached): {len(cold_latencies)} requests, p50 {percentile(cold_latencies, 50):.0f} ms, "
                  f"p95 {percentile(cold_latencies, 95):.0f} ms")
            return

        start = time.perf_counter()
        accounts = dict(zip(users, run_parallel(lambda u: register(base, f"ml{int(ratings.user_ids[u])}"), users,
                                                LOAD_CLIENTS), strict=True))
        register_seconds = time.perf_counter() - start

        train_rows = np.flatnonzero(~test_mask)
        train_rows = train_rows[np.lexsort((ratings.item[train_rows], ratings.timestamp[train_rows]))]
        per_user: dict[int, list[int]] = {u: [] for u in users}
        for u, i in zip(ratings.user[train_rows].tolist(), ratings.item[train_rows].tolist(), strict=True):
            if u in per_user:
                per_user[u].append(int(ratings.item_ids[i]))
        start = time.perf_counter()
        failures = sum(run_parallel(lambda u: favorite_all(base, accounts[u][1], per_user[u]), users, LOAD_CLIENTS))
        favorite_seconds = time.perf_counter() - start
        favorites = sum(len(v) for v in per_user.values())
        print(f"registered {len(users)} users in {register_seconds:.1f}s; {favorites} favorites in "
              f"{favorite_seconds:.1f}s ({favorites / favorite_seconds:.0f}/s, {LOAD_CLIENTS} clients), "
              f"{failures} failed", flush=True)

        commands = manage(env, "help", "--commands").stdout.split()
        train_seconds = None
        if "train_recommender" in commands:
            start = time.perf_counter()
            trained = manage(env, "train_recommender")
            train_seconds = time.perf_counter() - start
            if trained.returncode:
                raise SystemExit(f"train_recommender failed:\n{trained.stderr[-2000:]}")
            print(f"train_recommender: {train_seconds:.1f}s", flush=True)
        else:
            print("train_recommender: not in this project (lists come from the untrained pipeline)", flush=True)

        wanted = [u for u in users if held_out.get(u)]
        position = {int(item_id): i for i, item_id in enumerate(ratings.item_ids)}
        start = time.perf_counter()
        lists = dict(zip(wanted, run_parallel(lambda u: recommendations(base, accounts[u][1]), wanted, LATENCY_CLIENTS),
                         strict=True))
        first_seconds = time.perf_counter() - start
        api_ranked = {u: [position[m] for m in ids[: ml.K] if m in position] for u, (ids, _) in lists.items()}
        first_latencies = [seconds for _, seconds in lists.values()]

        cold_latencies = cold_lists(env, base, accounts, wanted[: args.latency_users])
    finally:
        servers.stop()
        signal.alarm(0)

    loaded = ~test_mask & np.isin(ratings.user, users)  # the baselines learn from what the server was given
    train = ml.interaction_matrix(ratings.user[loaded], ratings.item[loaded], ratings.n_users, ratings.n_items)
    scored = {u: held_out[u] for u in wanted}
    rows = {"personal list (API)": ml.evaluate(api_ranked, scored)}
    for name, label in (("mostpop", "MostPop"), ("ease", f"EASE (lambda {ml.DEFAULT_LAMBDA:g})")):
        top, _ = ml.reference_rankings(name, train, lam=ml.DEFAULT_LAMBDA)
        rows[label] = ml.evaluate({u: top[u].tolist() for u in wanted}, scored)
    ease = rows[f"EASE (lambda {ml.DEFAULT_LAMBDA:g})"]["ndcg"]
    print(f"\n{len(wanted)} users scored on their held-out items (seed {SEED}); Recall@10 = hits/|test|")
    print(f"{'model':24}{'NDCG@10':>9}{'Recall@10':>11}{'Hit@10':>8}{'/ EASE':>8}")
    for label, values in rows.items():
        print(f"{label:24}{values['ndcg']:9.4f}{values['recall']:11.4f}{values['hit']:8.4f}{values['ndcg'] / ease:7.2f}x")
    if ERRORS:
        print(f"\n{len(ERRORS)} recommendation requests failed (scored as empty lists; see "
              f"var/recs_api_eval/gunicorn.log), e.g. {ERRORS[0]}")
    print(f"\nfirst lists (TMDb answers still being fetched): {len(first_latencies)} in {first_seconds:.1f}s, "
          f"p50 {percentile(first_latencies, 50):.0f} ms, p95 {percentile(first_latencies, 95):.0f} ms")
    print(f"cold lists ({LATENCY_CLIENTS} clients, user's cached list invalidated before each, TMDb answers cached): "
          f"{len(cold_latencies)} requests, p50 {percentile(cold_latencies, 50):.0f} ms, "
          f"p95 {percentile(cold_latencies, 95):.0f} ms")


if __name__ == "__main__":
    main()
