"""Fault injection: a rule that makes matching API calls fail (an error status, TMDb's or a raw body),
wait first (latency) or never answer while the client waits (a hang), and how a delay is held.

A rule is added with ``POST /__stub__/faults`` (see ``control.py``) or ``StubServer.inject_fault``,
matches every API path under its ``path_prefix`` and is used up after ``count`` calls (None: until
cleared). The rules themselves are kept in ``StubState`` (``state.py``).
"""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass
from typing import Any

from .protocol import API_PREFIX, TMDB_ERRORS

# Which TMDb code an injected HTTP status answers with.
DEFAULT_CODE_FOR_STATUS = {
    400: 47,
    401: 7,
    404: 34,
    405: 4,
    406: 19,
    422: 5,
    429: 25,
    500: 11,
    501: 2,
    502: 43,
    503: 9,
    504: 24,
}


def normalise_prefix(prefix: str | None) -> str:
    """``None``/"" -> "/3"; "/movie" -> "/3/movie"; "/3/movie" unchanged."""
    if not prefix:
        return API_PREFIX
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    if prefix == API_PREFIX or prefix.startswith(API_PREFIX + "/"):
        return prefix
    return API_PREFIX + prefix


@dataclass
class Fault:
    status: int | None = None
    count: int | None = 1  # None = until cleared
    delay: float = 0.0
    retry_after: float | None = None
    path_prefix: str = API_PREFIX
    status_code: int | None = None  # TMDb code override (e.g. 46 for a 503)
    status_message: str | None = None
    body: Any = None  # raw JSON body override

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        if not isinstance(data, dict):
            raise ValueError("fault must be a JSON object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault field(s): {sorted(unknown)}")
        status = data.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599):
            raise ValueError("status must be an integer HTTP error status (400-599)")
        count = data.get("count", 1)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer or null (= until cleared)")
        delay = data.get("delay") or 0.0
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError("delay must be a non-negative number of seconds")
        retry_after = data.get("retry_after")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)) or retry_after < 0
        ):
            raise ValueError("retry_after must be a non-negative number of seconds")
        if status is None and not delay:
            raise ValueError("a fault needs a status, a delay, or both")
        status_code = data.get("status_code")
        if status_code is not None and (isinstance(status_code, bool) or not isinstance(status_code, int)):
            raise ValueError("status_code must be an integer TMDb code")
        status_message = data.get("status_message")
        if status_message is not None and not isinstance(status_message, str):
            raise ValueError("status_message must be a string")
        path_prefix = data.get("path_prefix")
        if path_prefix is not None and not isinstance(path_prefix, str):
            raise ValueError("path_prefix must be a string")
        return cls(
            status=status,
            count=count,
            delay=float(delay),
            retry_after=retry_after,
            path_prefix=normalise_prefix(path_prefix),
            status_code=status_code,
            status_message=status_message,
            body=data.get("body"),
        )

    def response(self) -> tuple[int, Any, dict[str, str]]:
        assert self.status is not None
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            value = self.retry_after
            headers["Retry-After"] = str(int(value)) if float(value).is_integer() else str(value)
        if self.body is not None:
            return self.status, self.body, headers
        code = self.status_code
        if code is None:
            code = DEFAULT_CODE_FOR_STATUS.get(self.status, 47 if self.status < 500 else 11)
        message = self.status_message or TMDB_ERRORS.get(code, TMDB_ERRORS[11])[1]
        return self.status, {"status_code": code, "status_message": message, "success": False}, headers


class ClientGone(Exception):
    """The client closed its connection while a delay fault held the answer."""


def hold(connection: socket.socket, seconds: float) -> None:
    """Hold the answer `seconds`, like a hung TMDb; raises ClientGone as soon as the client hangs
    up (its timeout), so a call counts as in flight only while a client still waits for it."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([connection], [], [], min(remaining, 0.05))
        if not readable:
            continue
        try:
            gone = connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            gone = True
        if gone:
            raise ClientGone()
        time.sleep(max(0.0, deadline - time.monotonic()))  # a pipelined request: just wait
