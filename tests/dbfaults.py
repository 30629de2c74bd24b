"""
A real broken database for tests, no mocking of our code: the request's default connection is
swapped for one to a PostgreSQL that is not there (a closed port), hangs (a TCP server that
accepts and never answers, like a stopped PostgreSQL) or stops answering mid-session (a proxy to the
real server that can be frozen). psycopg2 is installed in every setup, so these run on SQLite too.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import ConnectionHandler

from movie_backend.db import postgres_options


def _hang_up(sock: socket.socket) -> None:
    """Close a socket for real even while another thread is blocked reading it (close() alone waits)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_at(port: int, *, host: str = "127.0.0.1", name: str = "mrb_unreachable", user: str = "postgres") -> dict:
    """A DATABASES entry for a PostgreSQL at host:port, with the timeouts the settings give."""
    return {
        "ENGINE": "django.db.backends.postgresql", "HOST": host, "PORT": port, "NAME": name, "USER": user,
        "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
        "OPTIONS": postgres_options(connect_timeout=settings.DB_CONNECT_TIMEOUT,
                                    statement_timeout_ms=settings.DB_STATEMENT_TIMEOUT_MS),
    }


@contextlib.contextmanager
def default_database(entry: dict):
    """Within the block, this thread's default connection is a fresh one to `entry`."""
    wrapper = ConnectionHandler({DEFAULT_DB_ALIAS: entry})[DEFAULT_DB_ALIAS]
    original = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = wrapper
    try:
        yield wrapper
    finally:
        connections[DEFAULT_DB_ALIAS] = original
        wrapper.close()


class HungServer:
    """Accepts TCP connections on a loopback port and never sends a byte (a stopped PostgreSQL)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._stopped = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._accepted.append(conn)

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopped = True
        self._listener.close()
        for conn in self._accepted:
            _hang_up(conn)


class FreezableProxy:
    """A TCP proxy to a real server; `freeze()` stops forwarding in both directions (a server that
    hangs mid-session: its kernel still accepts the bytes, nothing answers), `thaw()` resumes."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._frozen = threading.Event()
        self._stopped = threading.Event()
        self._sockets: list[socket.socket] = []

    def freeze(self) -> None:
        self._frozen.set()

    def thaw(self) -> None:
        self._frozen.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self._frozen.is_set() and not self._stopped.is_set():
                    time.sleep(0.02)
                if self._stopped.is_set():
                    return
                sink.sendall(data)
        except OSError:
            return

    def __enter__(self) -> FreezableProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        self._listener.close()
        for sock in self._sockets:
            _hang_up(sock)
