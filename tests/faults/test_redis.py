"""Redis hung (SIGSTOP) and killed under cached reads, then back, without restarting the app."""

from __future__ import annotations

import time

import pytest

from tests.faults.harness import WORKERS, Checks, Client, load, median, ms, secs

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


def _warm(client: Client) -> None:
    for path in CACHED:
        client.get(path)
        answer = client.get(path)
        assert (answer.status, answer.headers.get("X-Cache")) == (200, "HIT"), f"warming {path}: {answer}"


def _latency_pass(client: Client, token: str) -> list:
    """SEQUENCE requests one after another (cached reads and an authenticated one), within PASS_BUDGET."""
    paths = [*CACHED, "/api/users/me/"]
    answers, started = [], time.monotonic()
    while len(answers) < SEQUENCE and time.monotonic() - started < PASS_BUDGET:
        path = paths[len(answers) % len(paths)]
        answers.append(client.get(path, token=token if path == "/api/users/me/" else None))
    return answers


def _slowest(answers: list) -> str:
    """The three slowest requests of a pass: their position in it (1-based), path and time."""
    paths = [*CACHED, "/api/users/me/"]
    ranked = sorted(enumerate(answers), key=lambda pair: -pair[1].seconds)[:3]
    return ", ".join(f"#{n + 1} {paths[n % len(paths)]} {ms(a.seconds)}" for n, a in ranked)


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
    _warm(client)
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

    # An answer the app had to fetch again from TMDb (X-Cache: MISS) costs TMDb's time, not Redis':
    # those are counted (at most once per key and worker), the rest must not be slower.
    refetched = [a for a in outage if a.headers.get("X-Cache") == "MISS"]
    served = [a for a in outage if a.headers.get("X-Cache") != "MISS"]
    added_worst = max((a.seconds for a in served), default=0.0) - max(a.seconds for a in baseline)
    added_median = median([a.seconds for a in outage]) - median([a.seconds for a in baseline])
    if any(a.status is None for a in outage):
        added_worst = float("inf")
    checks = Checks(f"Redis {fault}")
    checks.expect("control: Redis answered no PING during the pass", str(really_down), "True", really_down)
    checks.expect(f"sequential requests answered 200 within {PASS_BUDGET:.0f} s",
                  f"{sum(a.status == 200 for a in outage)} of {len(outage)} sent", f"{SEQUENCE} of {SEQUENCE}",
                  sum(a.status == 200 for a in outage) == SEQUENCE)
    checks.expect("added latency, worst request not refetched (vs. worst with Redis up)", ms(added_worst),
                  f"≤ {ms(ADDED_LATENCY)}", added_worst <= ADDED_LATENCY)
    checks.expect("added latency, median request", ms(added_median), f"≤ {ms(ADDED_LATENCY)}",
                  added_median <= ADDED_LATENCY)
    most_refetches = len(CACHED) * WORKERS
    checks.expect("answers refetched from TMDb (X-Cache: MISS)",
                  f"{len(refetched)} of {len(outage)}, slowest {ms(max((a.seconds for a in refetched), default=0.0))}",
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
