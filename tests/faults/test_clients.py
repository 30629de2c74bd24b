"""Hostile clients: slow headers, bodies built to break the parser, forged tokens, admin password guessing."""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import threading
import time

import jwt
import pytest
import requests

from tests.faults.harness import (
    ADMIN,
    HEALTHZ_GOAL,
    JWT_SIGNING_KEY,
    Checks,
    Client,
    HealthProber,
)

pytestmark = pytest.mark.faults

SLOW_CLIENTS = 12
SLOW_SECONDS = 10.0
ADMIN_LIMIT = 10  # wrong passwords a minute that may still be judged; the 11th is refused


def _slow_header_client(port: int, stop: threading.Event, started: list) -> None:
    """A request line and a header that never end: one byte every half second until `stop`. The server
    may close the connection at any time: that is a fine outcome, not an error."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        started.append(True)
        while not stop.wait(0.5):
            sock.sendall(b"a")


def test_slow_header_clients_do_not_starve_health_probes(app):
    stop, started = threading.Event(), []
    clients = [threading.Thread(target=_slow_header_client, args=(app.app.port, stop, started), daemon=True)
               for _ in range(SLOW_CLIENTS)]
    for thread in clients:
        thread.start()
    app.app.dirty = True
    time.sleep(0.5)  # every slow client is connected and has started its request
    try:
        with HealthProber(app.app, interval=0.2, timeout=2.0) as probe:
            time.sleep(SLOW_SECONDS)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=5)

    checks = Checks(f"{SLOW_CLIENTS} slow-header clients, {SLOW_SECONDS:.0f} s")
    checks.expect("control: slow clients connected and started a request", str(len(started)), str(SLOW_CLIENTS),
                  len(started) == SLOW_CLIENTS)
    checks.expect("/healthz probes", probe.summary(), HEALTHZ_GOAL, probe.healthy())
    checks.verify()


def _token(user_id) -> str:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": secrets.token_hex(16), "user_id": user_id}
    return jwt.encode(claims, JWT_SIGNING_KEY, algorithm="HS256")


def test_bad_input_never_answers_500(app):
    client = Client(app.app, timeout=30)
    me = client.get("/api/users/me/", token=app.user_token)
    assert me.status == 200, me
    json_headers = {"Content-Type": "application/json"}
    deep = '{"username": ' + "[" * 1000 + "]" * 1000 + ', "password": "x"}'
    huge = '{"username": "' + "a" * (10 * 1024 * 1024) + '", "password": "x"}'
    surrogate = '{"username": "\\ud800", "password": "x", "email": "s@example.com"}'
    name = "fault-" + secrets.token_hex(4)
    cases = {
        # name: (answer, expected status, expected code or None for "any")
        "login, 1000-deep nesting (2 KB)": (
            client.post("/api/auth/login/", data=deep, headers=json_headers), 400, None),
        "login, 10 MB body": (client.post("/api/auth/login/", data=huge, headers=json_headers), 413, "request_too_large"),
        "register, 10 MB body": (
            client.post("/api/auth/register/", data=huge, headers=json_headers), 413, "request_too_large"),
        "favorites, 10 MB body": (
            client.post("/api/users/favorites/", data=huge, headers=json_headers, token=app.user_token),
            413, "request_too_large"),
        "login, lone surrogate \\ud800": (
            client.post("/api/auth/login/", data=surrogate, headers=json_headers), 400, None),
        "register, lone surrogate \\ud800": (
            client.post("/api/auth/register/", data=surrogate, headers=json_headers), 400, None),
        "register, password of eight spaces": (
            client.post("/api/auth/register/", json={"username": name, "email": f"{name}@example.com",
                                                     "password": " " * 8}), 400, None),
    }
    for label, user_id in (("a list", [me.body["id"]]), ("an object", {"id": me.body["id"]}),
                           ("'1 OR 1=1'", "1 OR 1=1")):
        cases[f"/users/me/, signed JWT whose user_id is {label}"] = (
            client.get("/api/users/me/", token=_token(user_id)), 401, None)
    # The control: the same forging with the real id is accepted, so the 401s above are about the claim.
    control = client.get("/api/users/me/", token=_token(str(me.body["id"])))

    checks = Checks("bad input")
    answers = [answer for answer, _, _ in cases.values()]
    checks.expect(f"HTTP 500 answers ({len(answers)} requests)", str(sum(a.status == 500 for a in answers)), "0",
                  not any(a.status == 500 for a in answers))
    for label, (answer, status, code) in cases.items():
        wanted = f"{status} {code}" if code else str(status)
        got = f"{answer.status} {answer.code}" if answer.code else str(answer.status)
        checks.expect(label, got, wanted, answer.status == status and (code is None or answer.code == code)
                      and isinstance(answer.body, dict) and "detail" in answer.body)
    checks.expect("control: forged JWT with the real user_id", str(control.status), "200", control.status == 200)
    checks.verify()


def _admin_attempt(session: requests.Session, base: str, password: str) -> requests.Response:
    page = session.get(base + "/admin/login/", timeout=10)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    csrf = match.group(1) if match else session.cookies.get("csrftoken", "")
    return session.post(
        base + "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": csrf, "username": ADMIN["username"], "password": password, "next": "/admin/"},
        headers={"Referer": base + "/admin/login/"}, allow_redirects=False, timeout=10,
    )


def _refused(response: requests.Response) -> bool:
    """Refused by a limit: 403/429 that is not Django's CSRF failure page, or the form saying so."""
    if response.status_code in (403, 429):
        return "CSRF verification failed" not in response.text
    return response.status_code == 200 and "too many" in response.text.lower()


def test_admin_login_refuses_the_eleventh_wrong_password_in_a_minute(app):
    base = app.app.url
    session = requests.Session()
    attempts = [_admin_attempt(session, base, f"wrong-{n}") for n in range(ADMIN_LIMIT + 1)]
    right = _admin_attempt(session, base, ADMIN["password"])

    judged = attempts[0].status_code == 200 and "correct username and password" in attempts[0].text
    refused = [n + 1 for n, r in enumerate(attempts) if _refused(r)]
    checks = Checks(f"admin login, {ADMIN_LIMIT + 1} wrong passwords in a minute")
    checks.expect("attempt 1 judged (the form again, with its error)", str(attempts[0].status_code),
                  "200 wrong password", judged)
    checks.expect("statuses of attempts 1..11", ", ".join(str(r.status_code) for r in attempts),
                  "11th refused", _refused(attempts[-1]))
    checks.expect("first refused attempt", str(refused[0]) if refused else "none", "≤ 11", bool(refused))
    checks.expect("wrong passwords let in", str(sum(r.status_code == 302 for r in attempts)), "0",
                  not any(r.status_code == 302 for r in attempts))
    checks.expect("the right password right after", str(right.status_code), "refused too", _refused(right))
    checks.verify()
