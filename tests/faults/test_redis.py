"""Redis hung (SIGSTOP) and killed under cached reads, then back, without restarting the app."""

from __future__ import annotations

import time

import pytest

from tests.faults.harness import WORKERS, Answer, Checks, Client, load, median, ms, secs

pytestmark = pytest.mark.faults

ADDED_LATENCY = 0.1  # the bound on what a Redis outage may add to a request
THROUGHPUT_RATIO = 0.5  # cached reads with Redis killed, as a share of the same loop with Redis up
RECOVERY_WITHIN = 30.0
SEQUENCE = 20  # sequential requests per latency pass
PASS_BUDGET = 8.0  # seconds a latency pass may take, whatever the app does
LOAD_SECONDS = 4.0
TMDB_CAP = 20.0  # TMDB_MAX_REQUESTS_PER_SECOND's default: the per-process cap on outbound TMDb calls
CACHED = [
    "/api/movies/603/",
    "/api/movies/trending/",
    "/api/movies/search/?q=matrix",
    "/api/movies/genres/",
    "/api/movies/recommended/",
]


def _warm(client: Client) -> dict[str, float]:
    """Fill the cache; returns each path's first time (a fetch from TMDb) with Redis up."""
    fetch_seconds = {}
    for path in CACHED:
        first = client.get(path)
        answer = client.get(path)
        assert (answer.status, answer.headers.get("X-Cache")) == (200, "HIT"), f"warming {path}: {answer}"
        fetch_seconds[path] = first.seconds
    return fetch_seconds


def _latency_pass(client: Client, token: str) -> list[tuple[str, Answer]]:
    """SEQUENCE requests one after another (cached reads and an authenticated one), within PASS_BUDGET."""
    paths = [*CACHED, "/api/users/me/"]
    answers, started = [], time.monotonic()
    while len(answers) < SEQUENCE and time.monotonic() - started < PASS_BUDGET:
        path = paths[len(answers) % len(paths)]
        answers.append((path, client.get(path, token=token if path == "/api/users/me/" else None)))
    return answers


def _slowest(answers: list[tuple[str, Answer]]) -> str:
    """The three slowest requests of a pass: their position in it (1-based), path, time and X-Cache."""
    ranked = sorted(enumerate(answers, 1), key=lambda item: -item[1][1].seconds)[:3]
    return ", ".join(f"#{n} {path} {ms(a.seconds)} {a.headers.get('X-Cache', '')}".rstrip()
                     for n, (path, a) in ranked)


def _recovered(app, client: Client) -> float:
    """Seconds until /readyz is 200 and a cached read is a HIT again (refilled after a MISS)."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_WITHIN:
        ready = client.get("/readyz", timeout=3)
        first = client.get(CACHED[0], timeout=5)
        second = client.get(CACHED[0], timeout=5)
        if ready.status == 200 and first.status == 200 and second.headers.get("X-Cache") == "HIT":
            return time.monotonic() - started
        time.sleep(0.5)
    return float("inf")


@pytest.mark.parametrize("fault", ["hung", "killed"])
def test_redis_outage_adds_little_latency_and_recovers(app, fault):
    client = Client(app.app, timeout=10)
    fetch_seconds = _warm(client)
    baseline = _latency_pass(client, app.user_token)

    if fault == "hung":
        app.redis.hang()
    else:
        app.redis.kill()
    app.app.dirty = True
    outage = _latency_pass(client, app.user_token)
    really_down = not app.redis.answers()

    if fault == "hung":
        app.redis.resume()
    else:
        app.redis.start()  # same port, empty: the cache refills from TMDb
    recovery = _recovered(app, client)

    # Like is compared with like: an answer served from a cache (or from no cache) with the slowest of
    # the Redis-up pass; an answer fetched again from TMDb (X-Cache: MISS: the in-process cache is
    # per worker) with the same path's fetch while warming with Redis up. Refetches are also counted:
    # at most once per key and worker.
    up_worst = max(a.seconds for _, a in baseline)
    added = [a.seconds - (fetch_seconds[path] if a.headers.get("X-Cache") == "MISS" else up_worst)
             for path, a in outage]
    refetched = [a for _, a in outage if a.headers.get("X-Cache") == "MISS"]
    added_worst = max(added, default=float("inf"))
    added_median = median([a.seconds for _, a in outage]) - median([a.seconds for _, a in baseline])
    if any(a.status is None for _, a in outage):
        added_worst = float("inf")
    checks = Checks(f"Redis {fault}")
    checks.expect("control: Redis answered no PING during the pass", str(really_down), "True", really_down)
    answered = sum(a.status == 200 for _, a in outage)
    checks.expect(f"sequential requests answered 200 within {PASS_BUDGET:.0f} s",
                  f"{answered} of {len(outage)} sent", f"{SEQUENCE} of {SEQUENCE}", answered == SEQUENCE)
    checks.expect("added latency, worst request (vs. Redis up: a HIT with a HIT, a MISS with a MISS)",
                  ms(added_worst), f"≤ {ms(ADDED_LATENCY)}", added_worst <= ADDED_LATENCY)
    checks.expect("added latency, median request", ms(added_median), f"≤ {ms(ADDED_LATENCY)}",
                  added_median <= ADDED_LATENCY)
    most_refetches = len(CACHED) * WORKERS
    checks.expect("answers refetched from TMDb (X-Cache: MISS)", f"{len(refetched)} of {len(outage)}",
                  f"≤ {most_refetches} (once per key and worker)", len(refetched) <= most_refetches)
    checks.expect("slowest requests, Redis up / down", f"{_slowest(baseline)} / {_slowest(outage)}", "(info)", True)
    checks.expect("recovery without restart (readyz 200, cache HIT again)", secs(recovery),
                  f"≤ {RECOVERY_WITHIN:.0f} s", recovery <= RECOVERY_WITHIN)
    checks.verify()


def test_redis_killed_keeps_half_the_cached_read_throughput(app):
    client = Client(app.app, timeout=10)
    _warm(client)
    normal = load(app.app, CACHED, seconds=LOAD_SECONDS)

    app.redis.kill()
    app.app.dirty = True
    app.stub.reset_counts()
    degraded = load(app.app, CACHED, seconds=LOAD_SECONDS)
    tmdb_calls = sum(app.stub.calls()["calls"].values())
    really_down = not app.redis.answers()
    app.redis.start()

    ratio = degraded.ok_per_second / normal.ok_per_second if normal.ok_per_second else 0.0
    checks = Checks("Redis killed, cached reads (8 clients)")
    checks.expect("control: Redis answered no PING during the loop", str(really_down), "True", really_down)
    checks.expect("throughput with Redis up", f"{normal.ok_per_second:.0f} req/s (p99 {ms(normal.p99)})", "(baseline)",
                  normal.statuses.get(200, 0) == sum(normal.statuses.values()))
    checks.expect("throughput with Redis killed", f"{degraded.ok_per_second:.0f} req/s (p99 {ms(degraded.p99)})",
                  f"≥ {THROUGHPUT_RATIO:.0%} of normal", ratio >= THROUGHPUT_RATIO)
    checks.expect("ratio killed / up", f"{ratio:.2f}", f"≥ {THROUGHPUT_RATIO}", ratio >= THROUGHPUT_RATIO)
    non_200 = {status: n for status, n in degraded.statuses.items() if status != 200}
    checks.expect("answers other than 200 with Redis killed", str(non_200 or 0), "0", not non_200)
    tmdb_rate = tmdb_calls / degraded.seconds
    checks.expect("TMDb calls with Redis killed", f"{tmdb_rate:.1f}/s",
                  f"≤ {TMDB_CAP * WORKERS:.0f}/s (per-process cap x {WORKERS} workers)", tmdb_rate <= TMDB_CAP * WORKERS)
    checks.verify()
