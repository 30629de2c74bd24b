"""
gunicorn settings for the API (`make run` and docs/deployment.md §4 use this file; command-line flags
override it). Each value can be set from the environment, as below.

Why gthread, and what caps a request: requests spend their time waiting on TMDb, Redis or PostgreSQL,
so threads are cheap concurrency, and a worker with free threads keeps answering `/healthz` while
others wait. gunicorn's `timeout` does NOT cap a request under gthread (it only restarts a worker
whose main loop stops, a wedged process); the app does: one REQUEST_DEADLINE (8 s) per request for
every TMDb call and wait, 100 ms Redis timeouts behind a breaker, and the database timeouts. `timeout`
stays well above REQUEST_DEADLINE as a watchdog. Slow clients are a proxy's job: run nginx (or any
buffering proxy) in front, so a worker thread only ever sees whole requests and hands off whole
responses (see deploy/ and docs/deployment.md).
The control socket and the Prometheus multi-process directory are per master (see below).
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # (2 x cores) + 1 in production
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A worker accepts no more connections than it has threads: when all its threads are busy (say, all
# waiting out a TMDb hang), new connections go to a worker with a free thread instead of queueing.
worker_connections = threads
keepalive = 0  # the proxy in front opens a connection per request; none lingers holding a slot

timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # watchdog for a wedged worker, not a request cap
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "10"))  # > REQUEST_DEADLINE: in-flight requests finish
# Recycling bounds slow memory growth, but a new worker costs about a second of a core (Django, DRF,
# numpy imports) while the others carry its load: at 2,000 a worker serving 700 cached hits a second
# restarted every 3 s (46 restarts in one `make bench`, a sixth of the CPU and p99s of 0.3-0.8 s).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "10000"))

# No access log: gunicorn's line holds the query string; the app logs each request (with its id).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Every module-level name that is a gunicorn setting is read as one (`config` too): keep helpers private.

# Gunicorn 27's control socket defaults to ~/.gunicorn/gunicorn.ctl, one path per user: a second
# gunicorn on the host would take it over from the first. Each master gets its own under var/run/
# unless the command line names one (the systemd unit puts it in its RuntimeDirectory).
_RUN_DIR = Path(__file__).resolve().parent / "var" / "run"
_RUN_DIR.mkdir(parents=True, exist_ok=True)
control_socket = str(_RUN_DIR / f"gunicorn-{os.getpid()}.ctl")

# Prometheus multi-process mode: each worker writes its metrics under this directory and /metrics adds
# them up. Set here, in the master, before any worker imports prometheus_client; one directory per
# master (like the control socket), emptied when it starts and removed when it exits.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_RUN_DIR / f"prometheus-{os.getpid()}")


def on_starting(server):
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if directory.exists():
        for stale in directory.glob("*.db"):
            stale.unlink()
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if directory.is_relative_to(_RUN_DIR):  # ours, not a directory the environment named
        shutil.rmtree(directory, ignore_errors=True)
