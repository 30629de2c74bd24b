# ruff: noqa: S603, S310 - fixed commands of this repository and loopback URLs, never user input
"""
`make bench`: the API's hot paths against a floor measured in the same run.

Starts, on loopback: the TMDb stub (pages filled, so every trending page is a real one), the project
under gunicorn on PostgreSQL + Redis, and the floor app (bench/floor/app.py: a bare Django view
returning the same bytes from django-redis) under the same gunicorn settings. Then, scenario by
scenario, runs wrk against the floor and right after against the project, and prints req/s, p50,
p99 and the ratio to the floor. Every server it starts is stopped at the end.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db>  (dropped and re-created)
    BENCH_REDIS_URL=redis://127.0.0.1:6379/<n>                  (this Redis db is emptied: FLUSHDB)
    BENCH_DURATION=4 BENCH_ROUNDS=3 BENCH_CONNECTIONS=64 BENCH_THREADS=2 BENCH_GUNICORN="--workers 2 --threads 4"

On a shared machine one run of wrk is noisy, so each scenario runs ROUNDS times as a pair (the floor,
then the project, back to back); the table shows the median of each and the median of the pairs'
ratios.

Needs wrk (Debian/Ubuntu: `apt-get install -y wrk`).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
PY = str(REPO / ".venv/bin/python")
GUNICORN = str(REPO / ".venv/bin/gunicorn")
CI_REDIS_DBS = {"13", "14", "15"}

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/movie_backend_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
DURATION = int(os.environ.get("BENCH_DURATION", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))  # floor then project, this many times per scenario
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
GUNICORN_ARGS = shlex.split(os.environ.get("BENCH_GUNICORN", "--workers 2 --threads 4"))
UPSTREAM_LATENCY = 0.030
COLD_CONNECTIONS = 8  # bounded so the cold run cannot use up its 1,000 distinct pages
COLD_DURATION = 3


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    headers: tuple[str, ...] = ()
    goal: float | None = None  # minimum ratio to the floor
    status: int = 200
    p99_goal: float | None = None  # maximum p99 in ms (the issue sets one for the anonymous hits)

    @property
    def slug(self) -> str:
        return self.name.replace(" ", "-")


@dataclass(frozen=True)
class Result:
    rps: float
    p50: str
    p99: str
    p99_ms: float
    requests: int
    bad: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, *, body: dict | None = None, headers: dict | None = None):
    """(status, headers, raw body) of one request; never raises on HTTP errors."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def wait_until_up(url: str, process: subprocess.Popen, label: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"bench: {label} exited early (status {process.returncode})")
        try:
            if http("GET", url)[0] < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"bench: {label} did not come up within 30 s")


def recreate_database() -> None:
    import psycopg2

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or name == "movie_backend":
        sys.exit(f"bench: refusing to drop database {name!r}")
    admin = parts._replace(path="/postgres").geturl()
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            cursor.execute(f"CREATE DATABASE {name}")
    finally:
        connection.close()


def redis_client():
    import redis

    db = urlsplit(REDIS_URL).path.lstrip("/") or "0"
    if db in CI_REDIS_DBS:
        sys.exit(f"bench: refusing to empty Redis db {db} (CI's)")
    return redis.Redis.from_url(REDIS_URL)


def wrk(url: str, *, headers=(), connections=CONNECTIONS, duration=DURATION, script: str | None = None) -> Result:
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Result(rps, p50, p99, to_ms(p99), requests, int(bad.group(1)) if bad else 0)


def median(results: list[Result]) -> Result:
    """The run with the median throughput, its latencies with it."""
    return sorted(results, key=lambda result: result.rps)[len(results) // 2]


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class Servers:
    """The stub, the project and the floor, started on free loopback ports; stopped on exit."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []
        self.logs = Path(tempfile.mkdtemp(prefix="bench-"))
        self.stub_port, self.app_port, self.floor_port = free_port(), free_port(), free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "DEBUG": "false",
            "SECRET_KEY": "bench-secret-key-" + "x" * 40, "JWT_SIGNING_KEY": "bench-jwt-key-" + "y" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING", "JWT_ACCESS_LIFETIME": "3600",
            "TMDB_BASE_URL": f"http://127.0.0.1:{self.stub_port}/3", "TMDB_API_KEY": "stub-key",
            "TMDB_READ_ACCESS_TOKEN": "", "TMDB_MAX_REQUESTS_PER_SECOND": "0",
            # Throttles count every request as usual, with limits no benchmark reaches.
            **{f"THROTTLE_{scope}": "1000000000/min" for scope in ("ANON", "USER", "REGISTER", "RECOMMENDATIONS")},
        }

    def start(self, label: str, command: list[str], health: str, *, cwd: Path = REPO) -> None:
        log = (self.logs / f"{label}.log").open("w")
        process = subprocess.Popen(command, cwd=cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append(process)
        wait_until_up(health, process, label)

    def stop(self) -> None:
        """The last started first, each gone before the next (the project's last requests still
        reach the stub)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    @property
    def app(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def stub(self) -> str:
        return f"http://127.0.0.1:{self.stub_port}"

    @property
    def floor(self) -> str:
        return f"http://127.0.0.1:{self.floor_port}"


def prepare(servers: Servers) -> tuple[list[Scenario], dict[str, bytes]]:
    """Warm the scenarios' answers; return the scenarios and the body each must match."""
    app = servers.app
    status, _, raw = http("POST", f"{app}/api/auth/register/", body={
        "username": "bench", "email": "bench@example.com", "password": "bench-password-123",
    })
    if status != 201:
        sys.exit(f"bench: register answered {status}: {raw[:200]!r}")
    bearer = f"Bearer {json.loads(raw)['access']}"
    for movie_id in (603, 155):
        http("POST", f"{app}/api/users/favorites/", body={"movie_id": movie_id}, headers={"Authorization": bearer})

    scenarios = [
        Scenario("trending hit", "/api/movies/trending/", goal=0.85, p99_goal=50),
        Scenario("details hit", "/api/movies/603/", goal=0.85, p99_goal=50),
        Scenario("search hit", "/api/movies/search/?q=matrix", goal=0.85, p99_goal=50),
        Scenario("recommended hit", "/api/movies/recommended/", goal=0.85, p99_goal=50),
        Scenario("trending 304", "/api/movies/trending/", goal=1.0, status=304),
        Scenario("my recommendations hit", "/api/users/recommendations/", (f"Authorization: {bearer}",), goal=0.6),
    ]
    bodies, ready = {}, []
    for scenario in scenarios:
        headers = dict(h.split(": ", 1) for h in scenario.headers)
        for _ in range(3):  # a miss, then the hits that keep the stored copies
            status, response_headers, body = http("GET", app + scenario.path, headers=headers)
        if status != 200 or response_headers.get("X-Cache") != "HIT":
            sys.exit(f"bench: {scenario.path} answered {status} X-Cache={response_headers.get('X-Cache')}")
        if scenario.status == 304:
            scenario = Scenario(scenario.name, scenario.path, (f"If-None-Match: {response_headers['ETag']}",),
                                scenario.goal, 304, scenario.p99_goal)
            if http("GET", app + scenario.path, headers={"If-None-Match": response_headers["ETag"]})[0] != 304:
                sys.exit("bench: the revalidation did not answer 304")
        bodies[scenario.slug] = body
        ready.append(scenario)
    return ready, bodies


# Trending pages 2..500 of both windows, each wrk thread its own range: keys never asked before.
COLD_LUA = """
local started = 0
setup = function(thread) thread:set('offset', started * 500) started = started + 1 end
local n = 0
request = function()
  n = n + 1
  local k = offset + n
  local window = (k % 2 == 0) and 'day' or 'week'
  local page = 2 + math.floor(k / 2) % 499
  return wrk.format('GET', '/api/movies/trending/?time_window=' .. window .. '&page=' .. page)
end
"""


def cold_script() -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(COLD_LUA)
    return script.name


def main() -> int:
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed. On Debian/Ubuntu: sudo apt-get install -y wrk", file=sys.stderr)
        return 2
    recreate_database()
    redis_client().flushdb()
    servers = Servers()
    try:
        subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=REPO, env=servers.env, check=True, timeout=300)
        subprocess.run([PY, "manage.py", "seed_demo"], cwd=REPO, env=servers.env, check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
        servers.start("stub", [PY, "-m", "tools.tmdb_stub", "--port", str(servers.stub_port),
                               "--inflate-total-pages", "500", "--fill-pages"], f"{servers.stub}/__stub__/health")
        bind = ["--log-level", "warning", *GUNICORN_ARGS]
        servers.start("app", [GUNICORN, "movie_backend.wsgi:application", "--bind", f"127.0.0.1:{servers.app_port}",
                              *bind], f"{servers.app}/healthz")
        servers.start("floor", [GUNICORN, "--chdir", str(REPO / "bench/floor"), "app:application",
                                "--bind", f"127.0.0.1:{servers.floor_port}", *bind], f"{servers.floor}/floor/none")
        scenarios, bodies = prepare(servers)
        floor_redis = redis_client()
        for slug, body in bodies.items():
            floor_redis.set(f"floor:1:{slug}", pickle.dumps(body))
        for scenario in scenarios:
            if http("GET", f"{servers.floor}/floor/{scenario.slug}")[2] != bodies[scenario.slug]:
                sys.exit(f"bench: the floor of {scenario.name} serves other bytes")

        print(f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s, {ROUNDS} rounds of floor + project per scenario; gunicorn {' '.join(GUNICORN_ARGS)} for the project "
              f"and the floor; PostgreSQL + Redis; {os.cpu_count()} CPUs (shared)")
        header = f"{'scenario':<24} {'req/s':>8} {'p50':>8} {'p99':>8} {'floor req/s':>12} {'ratio':>6} {'goal':>6}"
        print(header)
        print("-" * len(header))
        failures = []
        for scenario in scenarios:
            pairs = []
            for _ in range(ROUNDS):
                floor_run = wrk(f"{servers.floor}/floor/{scenario.slug}")
                pairs.append((floor_run, wrk(servers.app + scenario.path, headers=scenario.headers)))
            floor = median([pair[0] for pair in pairs])
            result = median([pair[1] for pair in pairs])
            ratio = statistics.median(app_run.rps / floor_run.rps for floor_run, app_run in pairs)
            missed = [what for what, ok in (("ratio", scenario.goal is None or ratio >= scenario.goal),
                                            ("p99", scenario.p99_goal is None or result.p99_ms < scenario.p99_goal),
                                            ("answers", result.bad == 0)) if not ok]
            if missed:
                failures.append(f"{scenario.name} ({', '.join(missed)})")
            goal = f"{scenario.goal:.2f}" if scenario.goal else "-"
            print(f"{scenario.name:<24} {result.rps:>8.0f} {result.p50:>8} {result.p99:>8} {floor.rps:>12.0f} "
                  f"{ratio:>6.2f} {goal:>6}  {'missed: ' + ', '.join(missed) if missed else 'met'}"
                  f"{f' ({result.bad} bad answers)' if result.bad else ''}")

        http("DELETE", f"{servers.stub}/__stub__/requests")
        http("POST", f"{servers.stub}/__stub__/faults",
             body={"delay": UPSTREAM_LATENCY, "count": None, "path_prefix": "/3/trending"})
        floor = wrk(f"{servers.floor}/floor/trending-hit", connections=COLD_CONNECTIONS, duration=COLD_DURATION)
        cold = wrk(servers.app + "/api/movies/trending/", connections=COLD_CONNECTIONS, duration=COLD_DURATION,
                   script=cold_script())
        upstream = json.loads(http("GET", f"{servers.stub}/__stub__/requests?path_prefix=/3/trending")[2])["count"]
        print(f"{'trending cold (30 ms)':<24} {cold.rps:>8.0f} {cold.p50:>8} {cold.p99:>8} {floor.rps:>12.0f} "
              f"{cold.rps / floor.rps:>6.2f} {'-':>6}  (-c{COLD_CONNECTIONS}; {upstream} TMDb calls for "
              f"{cold.requests} requests)")
        print("goals: ratio >= goal, and p99 < 50 ms for the anonymous hits;", "all met" if not failures else f"missed: {'; '.join(failures)}")
        return 0
    finally:
        servers.stop()


if __name__ == "__main__":
    raise SystemExit(main())
