"""
TMDb hung, measured on a live server: gunicorn + the TMDb stub (tools/tmdb_stub) on loopback.

For each gunicorn configuration, side by side in one run: the old command line (2 workers x 4
threads, default connections) and gunicorn.conf.py. The stub then delays every answer by 30 s and:
  1. cold: 8 concurrent identical `GET /api/movies/recommended/?genre=53` (no cached copy);
  2. stale: the same after a cached copy expired (CACHE_TTL_RECOMMENDATIONS=2), two waves of 8.
Meanwhile `/healthz` is probed every 100 ms. Prints statuses, latencies, TMDb list calls and the
probes' worst latency. Each configuration uses keys of its own (other genres), so one run does not
warm the other's.

    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/tmdb_hang.py
(REDIS_URL optional; without it each worker has its own in-process cache, so single flight is per
worker.) Bounded: about 70 s, loopback only, every process stopped at the end.
"""

# ruff: noqa: S310, S603 - loopback URLs and our own executables only
from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv/bin/python")
GUNICORN = str(ROOT / ".venv/bin/gunicorn")
# name -> (flags, the genre of the cold key, the genre of the stale key): keys of their own per run.
CONFIGS = {
    "old flags (2x4)": (["--workers", "2", "--threads", "4", "--timeout", "30"], 53, 35),
    "gunicorn.conf.py": (["-c", str(ROOT / "gunicorn.conf.py")], 80, 18),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 30.0) -> tuple[int, float, str]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, cache = response.status, response.headers.get("X-Cache", "-")
    except urllib.error.HTTPError as exc:
        status, cache = exc.code, "-"
    except OSError:
        status, cache = 0, "-"
    return status, time.monotonic() - started, cache


def post_json(url: str, body: dict | None = None, method: str = "POST") -> None:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


def stub_count(stub: str) -> int:
    with urllib.request.urlopen(f"{stub}/__stub__/requests", timeout=5) as response:
        paths = json.load(response)["paths"]
    return sum(1 for p in paths if p.startswith(("/3/movie/", "/3/discover/")))


def recommended(genre: int) -> str:
    return f"/api/movies/recommended/?genre={genre}"


def wave(base: str, count: int, path: str) -> list[tuple[int, float, str]]:
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = get(base + path)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class Prober(threading.Thread):
    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.times, self.failed, self.stop = base, [], 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            status, elapsed, _ = get(self.base + "/healthz", timeout=15)
            self.times.append(elapsed)
            self.failed += status != 200
            time.sleep(0.1)


def describe(label: str, results) -> str:
    times = sorted(t for _, t, _ in results)
    statuses = sorted(f"{s}{'/' + c if c != '-' else ''}" for s, _, c in results)
    return f"  {label}: statuses {statuses}; latency median {statistics.median(times):.2f}s, max {times[-1]:.2f}s"


def run_config(name: str, flags: list[str], cold: str, stale: str, env: dict, stub: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = subprocess.Popen([GUNICORN, "movie_backend.wsgi:application", *flags, "--bind", f"127.0.0.1:{port}"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if get(base + "/healthz", timeout=1)[0] == 200:
                break
            time.sleep(0.1)
        post_json(f"{stub}/__stub__/reset")
        get(base + "/api/movies/genres/")
        get(base + "/api/movies/trending/")  # reference data in place, as in production
        print(f"{name}:")

        post_json(f"{stub}/__stub__/requests", method="DELETE")
        post_json(f"{stub}/__stub__/faults", {"delay": 30, "count": None})
        prober = Prober(base)
        prober.start()
        print(describe("cold, 8 at once", wave(base, 8, cold)) + f"; TMDb list calls {stub_count(stub)}")
        prober.stop.set()
        prober.join()
        print(f"  /healthz during it: {len(prober.times)} probes, max {max(prober.times) * 1000:.0f} ms, "
              f"{prober.failed} failed")

        post_json(f"{stub}/__stub__/faults", method="DELETE")
        for _ in range(4):  # a copy in each worker (with Redis: one shared copy)
            get(base + stale)
        time.sleep(2.5)  # CACHE_TTL_RECOMMENDATIONS=2: the copy is now stale
        post_json(f"{stub}/__stub__/requests", method="DELETE")
        post_json(f"{stub}/__stub__/faults", {"delay": 30, "count": None})
        prober = Prober(base)
        prober.start()
        first = [get(base + stale)]
        print(describe("stale copy, first request", first))
        print(describe("stale copy, then 8 at once", wave(base, 8, stale)) + f"; TMDb list calls {stub_count(stub)}")
        prober.stop.set()
        prober.join()
        print(f"  /healthz during it: {len(prober.times)} probes, max {max(prober.times) * 1000:.0f} ms, "
              f"{prober.failed} failed")
        post_json(f"{stub}/__stub__/faults", method="DELETE")
    finally:
        app.terminate()
        app.wait(timeout=20)


def main() -> int:
    workdir = tempfile.mkdtemp(prefix="tmdb_hang_")
    stub_port = free_port()
    stub = f"http://127.0.0.1:{stub_port}"
    env = {
        **os.environ,
        "SECRET_KEY": "bench-" + "x" * 50, "JWT_SIGNING_KEY": "bench-" + "y" * 50,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3"),
        "TMDB_BASE_URL": f"{stub}/3", "TMDB_API_KEY": "stub-key", "TMDB_MAX_REQUESTS_PER_SECOND": "0",
        "THROTTLE_ANON": "100000000/min", "LOG_LEVEL": "WARNING", "CACHE_TTL_RECOMMENDATIONS": "2",
    }
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    stub_process = subprocess.Popen([PY, "-m", "tools.tmdb_stub", "--port", str(stub_port)], cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if get(f"{stub}/__stub__/health", timeout=1)[0] == 200:
                break
            time.sleep(0.1)
        print(f"TMDb hung (30 s delay); REQUEST_DEADLINE={env.get('REQUEST_DEADLINE', '8.0 (default)')}; "
              f"Redis: {'yes' if env.get('REDIS_URL') else 'no (per-process cache)'}")
        for name, (flags, cold_genre, stale_genre) in CONFIGS.items():
            run_config(name, flags, recommended(cold_genre), recommended(stale_genre), env, stub)
    finally:
        stub_process.terminate()
        stub_process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
