"""
Gunicorn settings shared by `make run`, the contract run and the systemd unit (deploy/); the command
line overrides any of them. Gunicorn reads ./gunicorn.conf.py by default, so run it from here.
"""

import os
import shutil
from pathlib import Path

# Every module-level name that is a gunicorn setting is read as one (`config` too): keep helpers private.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
graceful_timeout = 10
accesslog = None  # the app logs one line per request, with its request id

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
