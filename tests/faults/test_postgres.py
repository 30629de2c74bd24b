"""PostgreSQL stopped (pg_ctl stop) and hung (SIGSTOP), then back, without restarting the app."""

from __future__ import annotations

import secrets
import time

import pytest

from tests.faults.harness import USER, Checks, Client, concurrently, secs, statuses, worst

pytestmark = pytest.mark.faults

UNAVAILABLE_WITHIN = 5.0  # the issue: 503 within 5 s
READYZ_WITHIN = 2.0  # the issue: /readyz answers 503 within 2 s when PostgreSQL hangs
RECOVERY_WITHIN = 30.0


def _requests(client: Client, token: str) -> dict[str, callable]:
    """Eight requests (one per gunicorn thread): six need the database, two need only TMDb and the cache."""
    name = "fault-" + secrets.token_hex(4)
    return {
        "GET /api/users/me/": lambda: client.get("/api/users/me/", token=token),
        "GET /api/users/favorites/": lambda: client.get("/api/users/favorites/", token=token),
        "GET /api/users/recommendations/": lambda: client.get("/api/users/recommendations/", token=token),
        "POST /api/auth/login/": lambda: client.post(
            "/api/auth/login/", json={"username": USER["username"], "password": USER["password"]}),
        "POST /api/auth/register/": lambda: client.post(
            "/api/auth/register/", json={"username": name, "email": f"{name}@example.com", "password": "Pass-Word-93!"}),
        "GET /readyz": lambda: client.get("/readyz"),
        "GET /api/movies/550/ (cache miss)": lambda: client.get("/api/movies/550/"),
        "GET /api/movies/trending/ (cache hit)": lambda: client.get("/api/movies/trending/"),
    }


def _recovered(client: Client, token: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_WITHIN:
        me = client.get("/api/users/me/", token=token, timeout=5)
        ready = client.get("/readyz", timeout=5)
        if me.status == 200 and ready.status == 200:
            return time.monotonic() - started
        time.sleep(0.5)
    return float("inf")


@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_postgres_outage_answers_503_never_500_and_recovers(app, fault):
    client = Client(app.app, timeout=10)
    for path in ("/api/movies/trending/", "/api/users/me/"):  # warm: a cached answer, open connections
        assert client.get(path, token=app.user_token).status == 200
    calls = _requests(client, app.user_token)

    if fault == "stopped":
        app.postgres.stop()
    else:
        app.postgres.hang()
    app.app.dirty = True
    answers = dict(zip(calls, concurrently(calls.values()), strict=True))

    if fault == "stopped":
        app.postgres.start()
    else:
        app.postgres.resume()
    recovery = _recovered(client, app.user_token)

    needs_db = {name: a for name, a in answers.items() if "cache" not in name}
    no_db = {name: a for name, a in answers.items() if "cache" in name}
    checks = Checks(f"PostgreSQL {fault}")
    checks.expect("HTTP 500 answers (8 requests)", str(sum(a.status == 500 for a in answers.values())), "0",
                  not any(a.status == 500 for a in answers.values()))
    api = {name: a for name, a in needs_db.items() if name != "GET /readyz"}
    checks.expect("5 database endpoints: slowest", secs(worst(list(api.values()))), f"≤ {UNAVAILABLE_WITHIN:.0f} s",
                  worst(list(api.values())) <= UNAVAILABLE_WITHIN)
    checks.expect("5 database endpoints: statuses", statuses(list(api.values())),
                  "503 database_unavailable (5), each with Retry-After",
                  all(a.status == 503 and a.code == "database_unavailable" and "Retry-After" in a.headers
                      for a in api.values()))
    readyz = answers["GET /readyz"]
    checks.expect("/readyz", str(readyz).split(" code")[0], f"503 within {READYZ_WITHIN:.0f} s",
                  readyz.status == 503 and readyz.seconds <= READYZ_WITHIN)
    checks.expect("cache miss (TMDb answer, upsert fails) and cache hit", statuses(list(no_db.values())),
                  "200 (2)", all(a.status == 200 for a in no_db.values()))
    checks.expect("recovery without restart (/users/me/ and /readyz 200)", secs(recovery),
                  f"≤ {RECOVERY_WITHIN:.0f} s", recovery <= RECOVERY_WITHIN)
    checks.verify()
