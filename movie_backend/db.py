"""
Bounded time for every wait on PostgreSQL.

libpq's `connect_timeout` and the server's `statement_timeout` cover a database that is down or slow,
but not one that hangs: a stopped server (or a partition where the kernel still answers TCP) leaves
a query waiting for an answer forever, and TCP keepalives cannot tell, because the peer's kernel
still acknowledges them. So every wait on a psycopg2 connection goes through a wait callback
(psycopg2's "green" mode, what gevent integrations use) that gives up after a deadline:
DB_CONNECT_TIMEOUT while connecting, DB_STATEMENT_TIMEOUT_MS plus a second of grace on a query (the
server normally cancels the query first). Giving up raises OperationalError, which the API answers
as 503 `database_unavailable`, and opens the `database` circuit breaker (movie_backend.resilience):
for DB_BREAKER_SECONDS every wait in the process (connecting, or a query on a connection kept from
before) fails at once instead of each request, on each thread's persistent connection, waiting out its
own timeout on the same hung server. The waits after the interval go through and open the breaker
again if the server still hangs; the first one answered closes it.
"""

from __future__ import annotations

import logging
import math
import select
import time

import psycopg2
from django.conf import settings
from psycopg2 import extensions

from movie_backend import resilience

logger = logging.getLogger(__name__)

STATEMENT_GRACE = 1.0  # seconds the client waits beyond the server's statement_timeout


def postgres_options(*, connect_timeout: float, statement_timeout_ms: int) -> dict:
    """OPTIONS of a PostgreSQL DATABASES entry: libpq's connect timeout (whole seconds, at least 2: its
    own rule; the wait callback enforces the exact value), the server-side statement timeout of every
    session (0 leaves the server's default), and keepalives that notice a dead peer."""
    options = {
        "connect_timeout": max(2, math.ceil(connect_timeout)),
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
    }
    if statement_timeout_ms > 0:
        options["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return options


def _limit(connecting: bool) -> float | None:
    if connecting:
        return settings.DB_CONNECT_TIMEOUT if settings.DB_CONNECT_TIMEOUT > 0 else None
    if settings.DB_STATEMENT_TIMEOUT_MS <= 0:
        return None
    return settings.DB_STATEMENT_TIMEOUT_MS / 1000 + STATEMENT_GRACE


def wait_with_deadline(conn) -> None:
    """psycopg2 wait callback: poll the connection until its operation completes, at most the deadline."""
    connecting = conn.status == extensions.STATUS_SETUP
    breaker = resilience.database_breaker
    if breaker.rejecting():
        raise psycopg2.OperationalError("database unavailable: a recent wait on it timed out (breaker open)")
    limit = _limit(connecting)
    deadline = None if limit is None else time.monotonic() + limit
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            breaker.record_success(unless_open=True)
            return
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            breaker.record_failure()
            what = "connecting" if connecting else "a query"
            logger.error("PostgreSQL did not answer %s within %.1f s; breaker open", what, limit)
            raise psycopg2.OperationalError(f"database did not answer {what} within {limit:.1f} s")
        fileno = conn.fileno()
        if state == extensions.POLL_READ:
            select.select([fileno], [], [], remaining)
        elif state == extensions.POLL_WRITE:
            select.select([], [fileno], [], remaining)
        else:
            raise psycopg2.OperationalError(f"bad state from poll: {state}")


def install_wait_deadline() -> None:
    """Route every psycopg2 wait in this process through wait_with_deadline (idempotent)."""
    extensions.set_wait_callback(wait_with_deadline)
