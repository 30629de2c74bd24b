"""
The fault suite's harness: private servers it can break, HTTP timing helpers and the figures table.

Nothing here touches a shared server. `Stack` starts, on free 127.0.0.1 ports:
- a PostgreSQL cluster (initdb into a temp dir; as the `postgres` OS user when we are root, since
  PostgreSQL refuses to run as root), which a test can stop, start, hang (SIGSTOP of the postmaster
  and its backends) and resume;
- a redis-server without persistence, which a test can kill, restart, hang (SIGSTOP) and resume;
- the TMDb stub (tools/tmdb_stub), whose control API injects delays and error statuses and counts
  calls in flight;
- gunicorn serving the app against those three, as deployed (see `App.command`).
Every process runs in its own process group and is killed by `Stack.close()` (a fixture finalizer and
an atexit hook), whatever state a failed test left it in.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STUB_API_KEY = "stub-key"
JWT_SIGNING_KEY = "faults-" + secrets.token_urlsafe(48)
USER = {"username": "fault-alice", "email": "alice@example.com", "password": "fault-Alice-pass-93"}
ADMIN = {"username": "fault-admin", "email": "admin@example.com", "password": "fault-Admin-pass-93"}
GUNICORN_CONFIG_CANDIDATES = ("gunicorn.conf.py", "deploy/gunicorn.conf.py", "deploy/gunicorn.py")
# The documented command line (docs/deployment.md §4), used when the repo has no gunicorn config file.
DOCUMENTED_GUNICORN_ARGS = ("--threads", "4", "--timeout", "30", "--graceful-timeout", "10")
WORKERS = 2
# /healthz while the app is under a fault: every probe answered, 95% within 100 ms, none over 1 s.
HEALTHZ_WITHIN, HEALTHZ_CEILING = 0.1, 1.0
HEALTHZ_GOAL = f"p95 < {HEALTHZ_WITHIN * 1000:.0f} ms, all < {HEALTHZ_CEILING:.0f} s"
RELAXED_RATE = "1000000/min"  # the load loops come from one address; login/register/admin limits stay


class HarnessError(RuntimeError):
    """The harness itself could not set up (not a finding about the app)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll `check` until it is true; returns the seconds it took, raises HarnessError on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - started
        time.sleep(interval)
    raise HarnessError(f"{what} did not happen within {timeout}s")


def _kill_group(process: subprocess.Popen | None, sig: int = signal.SIGKILL) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGCONT)  # a stopped process does not act on SIGTERM
        os.killpg(process.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _children(pid: int) -> list[int]:
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.split("/")[2]))
    return found


def _make_run_gunicorn_args(makefile: Path) -> list[str] | None:
    """The gunicorn arguments of the Makefile's `run` recipe without the app, --bind and --workers;
    None when there is no such line or it uses a make variable we cannot resolve."""
    try:
        text = makefile.read_text()
    except OSError:
        return None
    recipe = re.search(r"^run:.*\n((?:\t.*\n?)+)", text, flags=re.MULTILINE)
    if recipe is None:
        return None
    joined = re.sub(r"\\\n\s*", " ", recipe.group(1))
    line = next((ln for ln in joined.splitlines() if "gunicorn " in ln), None)
    if line is None:
        return None
    tokens = shlex.split(line.split("gunicorn ", 1)[1], comments=True)
    args, skip = [], False
    for token in tokens:
        if skip:
            skip = False
        elif token in ("--bind", "-b", "--workers", "-w"):
            skip = True
        elif token.startswith(("--bind=", "--workers=")) or token.endswith(":application"):
            continue
        elif "$(" in token:
            return None
        else:
            args.append(token)
    return args


# --- the servers ------------------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise HarnessError("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.dir)],
            stdout=(self.dir / "redis.log").open("a"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_until(self.ping, timeout=20, what="private redis-server answering PING")

    def ping(self, timeout: float = 0.5) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def answers(self) -> bool:
        """Whether PING gets PONG within 0.2 s (the control that an injected outage is real)."""
        try:
            return self.ping(timeout=0.2)
        except OSError:
            return False

    def command(self, *args: str) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            parts = [f"*{len(args)}\r\n".encode()] + [f"${len(a)}\r\n{a}\r\n".encode() for a in args]
            sock.sendall(b"".join(parts))
            sock.recv(64)

    def flush(self) -> None:
        """Forget every key (throttle counters included) of this private instance."""
        self.command("FLUSHALL")

    def kill(self) -> None:
        _kill_group(self.process)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def hang(self) -> None:
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        _kill_group(self.process)


class PrivatePostgres:
    """A throwaway cluster. As root, PostgreSQL's binaries run as the `postgres` OS user."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.dir = workdir / "pg"
        self.dir.mkdir()
        self.data = self.dir / "data"
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
        initdb = candidates[0] if candidates else shutil.which("initdb")
        if initdb is None:
            raise HarnessError("PostgreSQL's initdb was not found (/usr/lib/postgresql/*/bin or PATH)")
        self.bin = Path(initdb).parent
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/faults"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise HarnessError(f"{' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}")

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "faults")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "pg.log"),
                  "-w", "-t", "30", "start")

    def stop(self) -> None:
        self.resume()
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def _processes(self) -> list[int]:
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return []
        postmaster = int(pid_file.read_text().split()[0])
        return [postmaster, *_children(postmaster)]

    def hang(self) -> None:
        """SIGSTOP the postmaster then its backends: connections stay open and nothing answers."""
        for pid in self._processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in reversed(self._processes()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.resume()
        with contextlib.suppress(Exception):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "20", "stop")
        for pid in self._processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class Stub:
    """The TMDb stub in its own process (its sleeping fault threads must not share our GIL)."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.log = workdir / "tmdb-stub.log"
        self.process: subprocess.Popen | None = None

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.port}/__stub__"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/3"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.tmdb_stub", "--port", str(self.port), "--api-key", STUB_API_KEY],
            cwd=REPO, stdout=self.log.open("a"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_until(lambda: requests.get(self.control + "/health", timeout=1).ok, timeout=20, what="TMDb stub")

    def fault(self, *, status: int | None = None, delay: float = 0.0, retry_after: float | None = None,
              path_prefix: str = "/3") -> None:
        """Every call under `path_prefix` fails (or hangs `delay` seconds) until `clear()`."""
        body = {"status": status, "delay": delay, "count": None, "path_prefix": path_prefix}
        if retry_after is not None:
            body["retry_after"] = retry_after
        requests.post(self.control + "/faults", json=body, timeout=5).raise_for_status()

    def clear(self) -> None:
        requests.delete(self.control + "/faults", timeout=5).raise_for_status()

    def reset_counts(self) -> None:
        requests.delete(self.control + "/requests", timeout=5).raise_for_status()

    def calls(self) -> dict[str, dict[str, int]]:
        return requests.get(self.control + "/calls", timeout=5).json()

    def close(self) -> None:
        _kill_group(self.process)


class App:
    """gunicorn serving movie_backend.wsgi as deployed, pointed at the private servers."""

    def __init__(self, workdir: Path, *, database_url: str, redis_url: str, stub_url: str):
        self.workdir = workdir
        self.log = workdir / "app.log"
        self.base_env = {
            key: value for key, value in os.environ.items()
            if not key.startswith(("TMDB_", "THROTTLE_", "CACHE_", "DB_", "REDIS_", "DATABASE_", "JWT_"))
            and key not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "WEB_CONCURRENCY")
        }
        self.base_env.update({
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "JWT_SIGNING_KEY": JWT_SIGNING_KEY,
            "JWT_ACCESS_LIFETIME": "3600",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "TMDB_BASE_URL": stub_url,
            "TMDB_API_KEY": STUB_API_KEY,
            "TMDB_READ_ACCESS_TOKEN": "",
            "THROTTLE_ANON": RELAXED_RATE,
            "THROTTLE_USER": RELAXED_RATE,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": str(WORKERS),
            "PYTHONUNBUFFERED": "1",
        })
        self.overrides: dict[str, str] = {}
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.dirty = False  # a test left requests hanging inside: restart before the next one

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {**self.base_env, **self.overrides}

    @staticmethod
    def settings_args() -> tuple[list[str], str]:
        """gunicorn's arguments as `make run` passes them (bind and workers left out), and where
        they come from; FAULTS_GUNICORN_ARGS overrides. Falls back to a config file of the repo,
        then to the flags of docs/deployment.md §4."""
        override = os.environ.get("FAULTS_GUNICORN_ARGS")
        if override:
            return shlex.split(override), "FAULTS_GUNICORN_ARGS"
        parsed = _make_run_gunicorn_args(REPO / "Makefile")
        if parsed is not None:
            return parsed, "make run"
        for candidate in GUNICORN_CONFIG_CANDIDATES:
            if (REPO / candidate).is_file():
                return ["-c", candidate], candidate
        return list(DOCUMENTED_GUNICORN_ARGS), "docs/deployment.md"

    def command(self) -> list[str]:
        args, _ = self.settings_args()
        return [str(BIN / "gunicorn"), "movie_backend.wsgi:application", *args,
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS)]

    def describe(self) -> str:
        args, source = self.settings_args()
        return (f"gunicorn {' '.join(args)} --workers {WORKERS} (arguments from {source}), "
                "bound to 127.0.0.1 with no proxy in front")

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=self.env,
                                capture_output=True, text=True, timeout=180, check=False)
        if result.returncode != 0:
            raise HarnessError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self, **overrides: str) -> None:
        self.stop()
        self.overrides = dict(overrides)
        self.port = free_port()
        self.process = subprocess.Popen(self.command(), cwd=REPO, env=self.env, stdout=self.log.open("a"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: requests.get(self.url + "/healthz", timeout=1).status_code == 200,
                   timeout=60, what="gunicorn answering /healthz", interval=0.2)
        self.dirty = False

    def stop(self) -> None:
        _kill_group(self.process)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Stack:
    """The three private servers and the app; `close()` is safe to call twice."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="mrb-faults-"))
        os.chmod(self.workdir, 0o755)  # noqa: S103 - the postgres OS user must reach its sub-directory
        self.redis = PrivateRedis(self.workdir)
        self.postgres = PrivatePostgres(self.workdir)
        self.stub = Stub(self.workdir)
        self.app = App(self.workdir, database_url=self.postgres.url, redis_url=self.redis.url,
                       stub_url=self.stub.base_url)
        self.user_token = ""
        self.closed = False
        atexit.register(self.close)

    def start(self) -> None:
        self.redis.start()
        self.postgres.init()
        self.stub.start()
        self.app.manage("migrate", "--noinput", "--verbosity", "0")
        self.app.manage("collectstatic", "--noinput", "--verbosity", "0")  # as `make run`: the admin needs it
        self.app.manage("shell", "-c", _USERS_SCRIPT.format(user=USER, admin=ADMIN))
        self.app.start()
        client = Client(self.app)
        login = client.post("/api/auth/login/", json={"username": USER["username"], "password": USER["password"]})
        if login.status != 200:
            raise HarnessError(f"login of the fault user failed: {login.status} {login.body}")
        self.user_token = login.body["access"]
        for movie_id in (603, 680, 155):
            added = client.post("/api/users/favorites/", json={"movie_id": movie_id}, token=self.user_token)
            if added.status not in (200, 201):
                raise HarnessError(f"adding favorite {movie_id} failed: {added.status} {added.body}")

    def reset_between_tests(self) -> None:
        """Every test starts with TMDb healthy, an empty cache and counters, and a clean app."""
        self.stub.clear()
        self.postgres.resume()
        if not self.postgres.running():
            self.postgres.start()
        self.redis.resume()
        if not self.redis.alive():
            self.redis.start()
        self.redis.flush()
        self.stub.reset_counts()
        if self.app.dirty or self.app.overrides or not self.app.alive():
            self.app.start()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for part in (self.app.stop, self.stub.close, self.redis.close, self.postgres.close):
            with contextlib.suppress(Exception):
                part()
        if os.environ.get("FAULTS_KEEP_LOGS"):
            print(f"fault suite logs kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


_USERS_SCRIPT = """
from django.contrib.auth import get_user_model
User = get_user_model()
User.objects.create_user(username={user[username]!r}, email={user[email]!r}, password={user[password]!r})
User.objects.create_superuser(username={admin[username]!r}, email={admin[email]!r}, password={admin[password]!r})
"""


# --- HTTP --------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int | None  # None: no answer before the client's timeout (or the connection failed)
    seconds: float
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None

    def __str__(self) -> str:
        shown = self.status if self.status is not None else f"no answer ({self.error})"
        return f"{shown} in {self.seconds:.2f}s code={self.code}"


class Client:
    def __init__(self, app: App, *, timeout: float = 15.0, session: bool = False):
        self.app = app
        self.timeout = timeout
        self.session = requests.Session() if session else requests

    def request(self, method: str, path: str, *, token: str | None = None, timeout: float | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any) -> Answer:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.monotonic()
        try:
            response = self.session.request(method, self.app.url + path, headers=headers,
                                            timeout=timeout or self.timeout, **kwargs)
        except requests.RequestException as exc:
            return Answer(None, time.monotonic() - started, error=type(exc).__name__)
        seconds = time.monotonic() - started
        try:
            body = response.json()
        except ValueError:
            body = response.text[:200]
        return Answer(response.status_code, seconds, body, dict(response.headers))

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Answer:
        return self.request("POST", path, **kwargs)


def concurrently(calls: Iterable[Callable[[], Answer]]) -> list[Answer]:
    """Run every call in its own thread at once; answers in the order of `calls`."""
    calls = list(calls)
    answers: list[Answer | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Answer]) -> None:
        answers[index] = call()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers  # type: ignore[return-value]


class HealthProber:
    """Probes /healthz every `interval` seconds on a new connection each time (as a load balancer
    does) while the block runs; `latencies` are seconds, a probe without answer counts as `timeout`."""

    def __init__(self, app: App, *, interval: float = 0.1, timeout: float = 2.0):
        self.client = Client(app, timeout=timeout)
        self.interval, self.timeout = interval, timeout
        self.latencies: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            answer = self.client.get("/healthz")
            ok = answer.status == 200
            self.latencies.append(answer.seconds if ok else max(answer.seconds, self.timeout))
            self.failures += not ok
            self._stop.wait(self.interval)

    def __enter__(self) -> HealthProber:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout + 1)

    @property
    def worst(self) -> float:
        """The slowest probe in seconds; infinity when any probe went unanswered."""
        return float("inf") if self.failures else max(self.latencies, default=float("inf"))

    @property
    def p95(self) -> float:
        if self.failures or not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    def healthy(self) -> bool:
        """HEALTHZ_GOAL: one slow probe on a shared CI machine is noise; a starved worker misses the
        goal by seconds."""
        return self.p95 < HEALTHZ_WITHIN and self.worst < HEALTHZ_CEILING

    def summary(self) -> str:
        if self.failures:
            return f"{self.failures} of {len(self.latencies)} probes unanswered ({self.timeout:.0f} s timeout)"
        return f"p95 {ms(self.p95)}, slowest {ms(self.worst)} ({len(self.latencies)} probes)"


@dataclass
class LoadResult:
    seconds: float
    statuses: Counter
    latencies: list[float]

    @property
    def ok_per_second(self) -> float:
        return self.statuses.get(200, 0) / self.seconds

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("inf")


def load(app: App, paths: list[str], *, seconds: float, threads: int = 8, timeout: float = 10.0) -> LoadResult:
    """`threads` keep-alive clients cycle through `paths` for `seconds`; counts answers by status."""
    statuses: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(offset: int) -> None:
        client = Client(app, timeout=timeout, session=True)
        i = offset
        while time.monotonic() < deadline:
            answer = client.get(paths[i % len(paths)])
            i += 1
            with lock:
                statuses[answer.status] += 1
                latencies.append(answer.seconds)

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + timeout + 5)
    return LoadResult(time.monotonic() - started, statuses, latencies)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("inf")


def ms(seconds: float) -> str:
    return "no answer" if seconds == float("inf") else f"{seconds * 1000:.0f} ms"


def secs(seconds: float) -> str:
    return "no answer" if seconds == float("inf") else f"{seconds:.2f} s"


# --- figures -----------------------------------------------------------------------------------------


@dataclass
class Figure:
    fault: str
    measure: str
    goal: str
    value: str
    ok: bool


FIGURES: list[Figure] = []
DEPLOYMENT: list[str] = []


class Checks:
    """Measure everything first, then fail once with every missed goal (the figures table shows all)."""

    def __init__(self, fault: str):
        self.fault = fault
        self.missed: list[str] = []

    def expect(self, measure: str, value: str, goal: str, ok: bool) -> None:
        FIGURES.append(Figure(self.fault, measure, goal, value, ok))
        if not ok:
            self.missed.append(f"{measure}: {value} (goal: {goal})")

    def verify(self) -> None:
        assert not self.missed, f"{self.fault}: " + "; ".join(self.missed)


def figures_markdown() -> str:
    lines = [
        "# Fault suite figures",
        "",
        f"Measured by `make faults` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPU cores. Deployment under test: {'; '.join(DEPLOYMENT) or 'n/a'}.",
        "",
        "| fault | measure | goal | measured | |",
        "|---|---|---|---|---|",
    ]
    for f in FIGURES:
        lines.append(f"| {f.fault} | {f.measure} | {f.goal} | {f.value} | {'ok' if f.ok else 'MISSED'} |")
    return "\n".join(lines) + "\n"


def write_figures(path: Path) -> str:
    text = figures_markdown()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def worst(answers: list[Answer]) -> float:
    return max((a.seconds if a.status is not None else float("inf") for a in answers), default=0.0)


def statuses(answers: list[Answer]) -> str:
    """Answers by status, e.g. "503 (5), no answer (1)"."""
    counts = Counter("no answer" if a.status is None else a.status for a in answers)
    return ", ".join(f"{status} ({n})" for status, n in sorted(counts.items(), key=lambda kv: str(kv[0])))


def peak_in_flight(stub: Stub) -> tuple[int, int, str]:
    """(most concurrent identical TMDb calls, total TMDb calls, the calls that reached that peak when
    it is over 1) since the stub's last reset."""
    calls = stub.calls()
    peak = max(calls["peak_in_flight"].values(), default=0)
    over = sorted(call for call, n in calls["peak_in_flight"].items() if n == peak) if peak > 1 else []
    return peak, sum(calls["calls"].values()), ", ".join(over)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)
