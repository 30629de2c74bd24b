"""
Benchmark: the API with its cache against the same API with the cache switched off (Django's
DummyCache on the `api` alias), both against the TMDb stub over loopback HTTP, side by side in one
run. Prints ratios, which are what to quote on a shared, noisy machine.

    .venv/bin/python bench/cache_bench.py                      # in-process cache
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/cache_bench.py   # Redis

Measures (1) sequential latency of repeated trending/detail/search requests and (2) how many
upstream calls 20 concurrent identical cold requests cause.
"""

import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movie_backend.settings")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
os.environ.setdefault("JWT_SIGNING_KEY", "bench-jwt-key-" + "y" * 40)
os.environ["THROTTLE_ANON"] = os.environ["THROTTLE_USER"] = "1000000/min"

from tools.tmdb_stub.server import StubServer  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
CONCURRENCY = 20


def main() -> None:
    with StubServer(api_key="bench-key", read_token="bench-token") as stub:
        os.environ.update(TMDB_BASE_URL=stub.base_url, TMDB_READ_ACCESS_TOKEN="bench-token",
                          TMDB_MAX_REQUESTS_PER_SECOND="0")
        import django

        django.setup()
        from django.conf import settings
        from django.core.cache import caches
        from django.db import connection, connections
        from django.test import Client, override_settings
        from django.test.utils import setup_test_environment

        setup_test_environment()
        if connection.vendor == "sqlite":  # a file, as the embedded default uses, not shared memory
            connection.settings_dict["TEST"]["NAME"] = str(ROOT / "var" / "bench.sqlite3")
            (ROOT / "var").mkdir(exist_ok=True)
        connection.creation.create_test_db(verbosity=0, keepdb=False)
        from django.core.management import call_command

        call_command("seed_demo", verbosity=0)
        from movie_backend import cache as api_cache

        paths = ["/api/movies/trending/", "/api/movies/603/", "/api/movies/search/?q=star"]
        dummy = {**settings.CACHES, "api": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

        def sequential(label: str) -> dict[str, float]:
            client = Client()
            results = {}
            for path in paths:
                client.get(path)  # first call fills the cache (when there is one)
                timings = []
                for _ in range(REQUESTS):
                    started = time.perf_counter()
                    response = client.get(path)
                    timings.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.content
                results[path] = statistics.median(timings) * 1000
            return results

        def stampede() -> int:
            caches["api"].clear()
            api_cache.backend.reset()
            stub.reset_requests()
            stub.inject_fault(delay=0.2, count=None, path_prefix="/3/trending")
            barrier = threading.Barrier(CONCURRENCY)
            statuses = []

            def one():
                barrier.wait()
                statuses.append(Client().get("/api/movies/trending/?time_window=week").status_code)
                connections.close_all()

            threads = [threading.Thread(target=one) for _ in range(CONCURRENCY)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            stub.clear_faults()
            assert statuses == [200] * CONCURRENCY, statuses
            return stub.request_count("/3/trending")

        caches["api"].clear()
        cached = sequential("cached")
        cached_stampede = stampede()
        with override_settings(CACHES=dummy):
            uncached = sequential("uncached")
            uncached_stampede = stampede()

        backend = "Redis" if settings.REDIS_URL else "in-process (locmem)"
        db = connection.vendor
        print(f"cache backend: {backend}; database: {db}; {REQUESTS} sequential requests per path; medians")
        print(f"{'path':40} {'cached ms':>10} {'uncached ms':>12} {'speed-up':>9}")
        for path in paths:
            print(f"{path:40} {cached[path]:10.2f} {uncached[path]:12.2f} {uncached[path] / cached[path]:8.1f}x")
        print(f"{CONCURRENCY} concurrent cold requests -> upstream calls: cached {cached_stampede}, "
              f"uncached {uncached_stampede} ({uncached_stampede / max(cached_stampede, 1):.0f}x fewer with the cache)")
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
