"""`make run` as a developer uses it: `kill` stops the server; two gunicorns keep separate control sockets."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUNICORN = REPO / ".venv" / "bin" / "gunicorn"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "TMDB_"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}", "MAKEFLAGS": ""})
    return env


def _master_pids(port: int) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"gunicorn .*--bind 127.0.0.1:{port}"], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def test_kill_on_make_run_stops_gunicorn(tmp_path):
    port = _free_port()
    make = subprocess.Popen(["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"], cwd=REPO,
                            env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait(lambda: _answers(port), 90), "make run did not serve"

        make.send_signal(signal.SIGTERM)  # what `kill <pid of make>` sends

        make.wait(timeout=20)
        assert _wait(lambda: not _answers(port), 20), "gunicorn still serves after make was killed"
        assert _wait(lambda: _master_pids(port) == [], 10)
    finally:
        for pid in _master_pids(port):
            os.kill(pid, signal.SIGKILL)
        if make.poll() is None:
            make.kill()


def test_two_gunicorns_have_their_own_control_sockets(tmp_path):
    env = _env(tmp_path)
    subprocess.run([str(REPO / ".venv" / "bin" / "python"), "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env,
                   check=True)
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen([str(GUNICORN), "movie_backend.wsgi:application", "-c", "gunicorn.conf.py",
                          "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                         cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in ports
    ]
    try:
        assert all(_wait(lambda port=port: _answers(port), 60) for port in ports)
        sockets = [REPO / "var" / "run" / f"gunicorn-{server.pid}.ctl" for server in servers]

        assert [path.is_socket() for path in sockets] == [True, True]
        assert sockets[0] != sockets[1]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
    assert all(_answers(port) is False for port in ports)
