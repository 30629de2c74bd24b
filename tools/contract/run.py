# ruff: noqa: S603 - every subprocess here is a fixed command of this repository, never user input
"""
Contract fuzzing: Schemathesis against a live server, the way a client sees the API.

1. starts the TMDb stub (tools/tmdb_stub) on a free port: never fuzz real TMDb;
2. prepares a throwaway database: a SQLite file, or when DATABASE_URL names a PostgreSQL server
   (CI), a fresh database on that server, dropped afterwards; migrate, seed_demo, a fuzz user.
   REDIS_URL, when set, is used as the cache;
3. starts gunicorn on a free 127.0.0.1 port with DEBUG off, TMDB_* pointed at the stub, throttles
   relaxed and a long access-token lifetime;
4. logs the fuzz user in through POST /api/auth/login/ (or, when that endpoint does not exist, mints a
   token with simplejwt directly) and runs `schemathesis run` with every check and the phases
   examples, coverage, fuzzing and stateful; configuration and the reasons for any exclusion live in
   tools/contract/schemathesis.toml;
5. runs a second, shorter pass with the stub failing every TMDb call (HTTP 500) over the operations
   that go upstream: they must answer their documented 502/503/504 (or a STALE copy), never a 500;
   configuration in tools/contract/degraded.toml (`--no-degraded` skips it);
6. always stops both servers; exits with Schemathesis' code (0 pass, 1 failures, 2 schema/config
   error; the first non-zero of the two passes) or 3 when the harness itself could not set up.

Usage: python tools/contract/run.py [--max-examples N] [--workers N] [--phases ...] [-- extra st args]
Reports land in reports/contract/: junit-{main,degraded}.xml, events-{main,degraded}.ndjson,
server.log (the app's JSON log lines) and tmdb-stub.log.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
DEGRADED_CONFIG = Path(__file__).resolve().parent / "degraded.toml"
REPORTS = REPO / "reports" / "contract"
BIN = Path(sys.executable).parent
FUZZ_USERNAME = "contract-fuzzer"
SETUP_FAILED = 3
RELAXED_RATE = "100000/min"
THROTTLE_VARS = (
    "THROTTLE_ANON", "THROTTLE_USER", "THROTTLE_LOGIN", "THROTTLE_LOGIN_USERNAME", "THROTTLE_REGISTER",
    "THROTTLE_REFRESH", "THROTTLE_RECOMMENDATIONS",
)


class SetupError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[contract] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, *, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"{url}: the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SetupError(f"{url} did not answer 200 within {timeout}s")


def stop(process: subprocess.Popen | None, name: str) -> None:
    """SIGTERM the process group we started, then SIGKILL after a grace period."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        return
    log(f"stopped {name}")


def start_stub(stub_log: Path) -> tuple[subprocess.Popen, str]:
    """The TMDb stub on a free port; returns the process and its base URL (…/3)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.tmdb_stub", "--port", str(port), "--api-key", "stub-key"],
        cwd=REPO, stdout=stub_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}/3"
    wait_for(f"http://127.0.0.1:{port}/__stub__/health", timeout=20, process=process)
    return process, base_url


class ThrowawayDatabase:
    """A database for one run: a SQLite file in `workdir`, or, when DATABASE_URL names a PostgreSQL
    server, a fresh database `<name>_contract_<random>` on that server, dropped afterwards."""

    def __init__(self, workdir: Path):
        self.server_url = os.environ.get("DATABASE_URL", "")
        self.name: str | None = None
        if self.server_url.startswith(("postgres://", "postgresql://")):
            base = self.server_url.rsplit("/", 1)[-1].split("?")[0] or "movie_backend"
            self.name = f"{base}_contract_{secrets.token_hex(4)}"
            self.url = self.server_url.rsplit("/", 1)[0] + f"/{self.name}"
        else:
            self.url = f"sqlite:///{workdir / 'contract.sqlite3'}"

    def _admin(self, sql: str) -> None:
        import psycopg2  # only needed, and only installed for sure, when PostgreSQL is in play

        admin_url = self.server_url.rsplit("/", 1)[0] + "/postgres"
        connection = psycopg2.connect(admin_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def create(self) -> None:
        if self.name:
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            log(f"dropped database {self.name}")


def app_environment(stub_url: str, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TMDB_", "THROTTLE_"))}
    env.update({
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "TMDB_BASE_URL": stub_url,
        "TMDB_API_KEY": "stub-key",
        "TMDB_READ_ACCESS_TOKEN": "",
        "TMDB_MAX_REQUESTS_PER_SECOND": "0",
        "TMDB_BACKOFF_BASE": "0.05",
        "JWT_ACCESS_LIFETIME": "7200",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **dict.fromkeys(THROTTLE_VARS, RELAXED_RATE),
    })
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise SetupError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


# Run inside `manage.py shell`: create or reset the fuzz user, print a JSON line with a token.
_FUZZ_USER_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import RefreshToken
User = get_user_model()
user, _ = User.objects.get_or_create(username={username!r}, defaults={{"email": "fuzz@example.com"}})
user.set_password({password!r}); user.is_active = True; user.save()
print("FUZZ_TOKEN=" + json.dumps({{"access": str(RefreshToken.for_user(user).access_token)}}))
"""


def prepare_database(env: dict[str, str], password: str) -> str:
    """migrate, seed_demo and the fuzz user; returns a minted access token (the fallback)."""
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo")
    out = manage(env, "shell", "-c", _FUZZ_USER_SCRIPT.format(username=FUZZ_USERNAME, password=password))
    line = next(line for line in out.splitlines() if line.startswith("FUZZ_TOKEN="))
    return json.loads(line.removeprefix("FUZZ_TOKEN="))["access"]


def start_app(env: dict[str, str], port: int, app_log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "movie_backend.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--timeout", "60", "--graceful-timeout", "5",
         # No request-line/header size limits: fuzzed query strings run past gunicorn's 4 KiB default,
         # and its HTML 414/400 would test gunicorn, not the API. Production limits are the proxy's
         # and gunicorn's business (docs/deployment.md).
         "--limit-request-line", "0", "--limit-request-field_size", "0"],
        cwd=REPO, env=env, stdout=app_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", timeout=60, process=process)
    return process


def login(base: str, password: str) -> str | None:
    """An access token from POST /api/auth/login/, or None when the endpoint does not exist (yet)."""
    body = json.dumps({"username": FUZZ_USERNAME, "password": password}).encode()
    request = urllib.request.Request(
        f"{base}/api/auth/login/", data=body, headers={"Content-Type": "application/json"}, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["access"]
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 405):
            return None
        raise SetupError(f"login as the fuzz user failed: {exc.code} {exc.read()[:500]!r}") from exc


def run_schemathesis(base: str, token: str, args: argparse.Namespace, *, degraded: bool = False) -> int:
    name = "degraded" if degraded else "main"
    selection = (
        # What calls TMDb: the movies endpoints, adding a favorite (it looks the movie up) and the
        # personal recommendations (seeded from TMDb).
        ["--include-tag", "movies", "--include-name", "POST /api/users/favorites/",
         "--include-name", "GET /api/users/recommendations/",
         "--phases", "examples,coverage,fuzzing", "--max-examples", str(max(args.max_examples // 5, 5))]
        if degraded else
        ["--phases", args.phases, "--max-examples", str(args.max_examples)]
    )
    command = [
        str(BIN / "schemathesis"), "--config-file", str(DEGRADED_CONFIG if degraded else CONFIG),
        "run", f"{base}/api/schema/?format=json",
        "--checks", "all",
        *selection,
        "--workers", str(args.workers),
        "--report", "junit,ndjson",
        "--report-junit-path", str(REPORTS / f"junit-{name}.xml"),
        "--report-ndjson-path", str(REPORTS / f"events-{name}.ndjson"),
        *(["--seed", str(args.seed)] if args.seed is not None else []),
        *args.extra,
    ]
    log("$ " + " ".join(command))
    env = {**os.environ, "CONTRACT_ACCESS_TOKEN": token, "CONTRACT_CACHE_DIR": str(REPORTS / ".schemathesis")}
    started = time.monotonic()
    code = subprocess.run(command, cwd=REPO, env=env, check=False).returncode
    log(f"schemathesis ({name} pass) finished in {time.monotonic() - started:.0f}s with exit code {code}")
    return code


def break_tmdb(stub_url: str) -> None:
    """From now on the stub answers every TMDb call with HTTP 500 (until it stops)."""
    control = stub_url.removesuffix("/3") + "/__stub__/faults"
    body = json.dumps({"status": 500, "count": None}).encode()
    request = urllib.request.Request(control, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        if response.status >= 300:
            raise SetupError(f"could not inject the TMDb fault: {response.status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("CONTRACT_MAX_EXAMPLES", 100)))
    parser.add_argument("--workers", default=os.environ.get("CONTRACT_WORKERS", "2"))
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-degraded", dest="degraded", action="store_false",
                        help="skip the second pass with TMDb failing")
    parser.add_argument("extra", nargs="*", help="after `--`: passed to `schemathesis run` as is")
    args = parser.parse_args(argv)

    REPORTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="contract-"))
    stub = app = None
    app_log = REPORTS / "server.log"
    database = ThrowawayDatabase(workdir)
    try:
        stub, stub_url = start_stub(REPORTS / "tmdb-stub.log")
        log(f"TMDb stub on {stub_url}")
        database.create()
        env = app_environment(stub_url, database.url)
        password = secrets.token_urlsafe(24)
        minted = prepare_database(env, password)
        log(f"database ready ({database.url.split('@')[-1]})")
        port = free_port()
        app = start_app(env, port, app_log)
        base = f"http://127.0.0.1:{port}"
        log(f"app on {base} (log: {app_log.relative_to(REPO)})")
        token = login(base, password)
        log("token from POST /api/auth/login/" if token else "no login endpoint; token minted with simplejwt")
        code = run_schemathesis(base, token or minted, args)
        if not args.degraded:
            return code
        break_tmdb(stub_url)
        log("TMDb stub now fails every call (HTTP 500): the degraded pass")
        degraded_code = run_schemathesis(base, token or minted, args, degraded=True)
        return code or degraded_code
    except SetupError as exc:
        log(f"setup failed: {exc}")
        if app_log.exists():
            log("last lines of the server log:\n" + "\n".join(app_log.read_text().splitlines()[-30:]))
        return SETUP_FAILED
    finally:
        stop(app, "app")
        stop(stub, "TMDb stub")
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
