"""A TMDb API v3 compatible stub server (stdlib only): the HTTP server, the ``StubServer`` that runs it
in a thread, and the command line (``python -m tools.tmdb_stub``).

Follows ``/work/shared/tmdb-contract.md`` (copied into the repo docs by the lead). Where the rest lives:

- ``catalogue.py``: the movies and genres served, and every payload generated from them;
- ``routes.py``: the API under ``/3``, one table from path to handler, grouped by endpoint family;
- ``faults.py``: fault rules (error statuses, latency, hangs) and how a delay is held;
- ``control.py``: the ``/__stub__`` control API (faults, request log, calls, config, reset);
- ``state.py``: the state the handler threads share; ``protocol.py``: prefixes and TMDb's errors.

``--catalogue FILE`` serves another catalogue of the same shape and ``--no-synthetic`` leaves the
synthetic entries out (bench/recs_api_eval.py serves MovieLens that way). A movie's
recommendations are content-only: most shared genres first, then popularity.

API endpoints (GET, under ``/3``; auth via ``api_key`` query param or ``Authorization: Bearer``)::

    /configuration                    /genre/movie/list
    /trending/movie/{day|week}        /movie/popular            /movie/top_rated
    /movie/{id}[?append_to_response=credits,videos,recommendations,similar,...]
    /movie/{id}/recommendations       /movie/{id}/similar
    /movie/{id}/{credits|videos|images|keywords|release_dates|external_ids|watch/providers}
    /search/movie                     /discover/movie

Control endpoints (outside ``/3``, no auth): see ``control.py``. Before a route answers, a matching
fault rule may delay or fail the call (``faults.py``).

The names tests and tools import from here (``CATALOGUE_PATH``, ``CONFIGURATION``, ``TMDB_ERRORS``,
``DEFAULT_CODE_FOR_STATUS``, ``FILL_ID_STEP``, ``load_catalogue``, ``StubServer``, ``main``) stay
importable from ``tools.tmdb_stub.server``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .catalogue import CATALOGUE_PATH, CONFIGURATION, Catalogue, load_catalogue
from .control import control
from .faults import DEFAULT_CODE_FOR_STATUS, ClientGone, Fault, hold
from .protocol import API_PREFIX, CONTROL_PREFIX, TMDB_ERRORS, Response, int_or_none, not_found, tmdb_error
from .routes import FILL_ID_STEP, route
from .state import PAGE_ERROR_STYLES, StubState

__all__ = [
    "CATALOGUE_PATH", "CONFIGURATION", "DEFAULT_CODE_FOR_STATUS", "FILL_ID_STEP", "TMDB_ERRORS",
    "Catalogue", "StubServer", "load_catalogue", "main",
]

CONTENT_TYPE = "application/json;charset=utf-8"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_API_KEY = "stub-key"
DEFAULT_READ_TOKEN = "stub-token"  # noqa: S105 - public stub default, not a secret

_SECRET_PARAM = re.compile(r"(api_key=)[^&\s\"]*", re.IGNORECASE)


class StubRequestHandler(BaseHTTPRequestHandler):
    server_version = "tmdb-stub/1.0"
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections are dropped after this many seconds
    # The headers and the body go out in two writes. With Nagle's algorithm on, the body waits for
    # the ACK of the headers, which a client on a reused connection delays (~40 ms): every
    # keep-alive request stalled that long. TCP_NODELAY sends each write at once.
    disable_nagle_algorithm = True

    @property
    def state(self) -> StubState:
        return self.server.state  # type: ignore[attr-defined]

    def version_string(self) -> str:
        return self.server_version

    # -- logging -------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        if not self.state.verbose:
            return
        message = format % args
        message = _SECRET_PARAM.sub(r"\1***", message)
        for secret in (self.state.api_key, self.state.read_token):
            if secret:
                message = message.replace(secret, "***")
        sys.stderr.write(f"tmdb-stub {self.address_string()} - {message}\n")

    # -- plumbing ------------------------------------------------------------------------
    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _read_body(self) -> bytes:
        length = int_or_none(self.headers.get("Content-Length")) or 0
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        try:
            body = self._read_body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else b""
            split = urlsplit(self.path)
            path = split.path or "/"
            if len(path) > 1:
                path = path.rstrip("/") or "/"
            params = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
                status, payload, headers = control(self.state, self.command, path, params, body)
            else:
                query = urlencode(sorted((k, v) for k, v in params.items() if k != "api_key"))
                call = f"{path}?{query}" if query else path
                self.state.call_started(call)
                try:
                    status, payload, headers = self._api(path, params)
                finally:
                    self.state.call_ended(call)
        except Response as response:
            status, payload, headers = response.status, response.body, response.headers
        except ClientGone:
            self.close_connection = True
            return
        except Exception:  # pragma: no cover - defensive; never leave a client hanging
            if self.state.verbose:
                traceback.print_exc()
            status, payload = tmdb_error(11)
            headers = {}
        try:
            self._send_json(status, payload, headers)
        except (BrokenPipeError, ConnectionResetError):  # client went away (e.g. timeout test)
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    # -- TMDb API ------------------------------------------------------------------------
    def _authorised(self, params: dict[str, str]) -> bool:
        state = self.state
        if "api_key" in params and params["api_key"] == state.api_key:
            return True
        scheme, _, token = (self.headers.get("Authorization") or "").strip().partition(" ")
        return scheme.lower() == "bearer" and token.strip() == state.read_token

    def _api(self, path: str, params: dict[str, str]):
        state = self.state
        state.record(path)
        fault = state.take_fault(path)
        if fault is not None:
            if fault.delay:
                hold(self.connection, fault.delay)
            if fault.status is not None:
                return fault.response()
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            raise not_found()
        if not self._authorised(params):
            raise Response(*tmdb_error(7))
        if self.command not in ("GET", "HEAD"):
            raise not_found()
        segments = [s for s in path[len(API_PREFIX) :].split("/") if s]
        status, body = route(state, segments, params)
        return status, body, {}


class _StubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: StubState):
        self.state = state
        super().__init__(address, StubRequestHandler)

    def handle_error(self, request, client_address) -> None:  # quiet unless verbose
        if self.state.verbose:
            super().handle_error(request, client_address)


class StubServer:
    """A TMDb stub running in a daemon thread.

    >>> with StubServer(api_key="k", read_token="t") as stub:
    ...     stub.base_url            # "http://127.0.0.1:<port>/3"
    ...     stub.inject_fault(status=503, count=2)
    ...     stub.request_count("/3/movie")
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        read_token: str = DEFAULT_READ_TOKEN,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        catalogue_path: str | Path | None = None,
        synthetic: bool = True,
        verbose: bool = False,
        page_error_style: str = "errors",
        inflate_total_pages: int | None = None,
        fill_pages: bool = False,
    ):
        self.state = StubState(
            api_key=api_key,
            read_token=read_token,
            catalogue=load_catalogue(str(catalogue_path) if catalogue_path else None, synthetic=synthetic),
            verbose=verbose,
            page_error_style=page_error_style,
            inflate_total_pages=inflate_total_pages,
            fill_pages=fill_pages,
        )
        self._host = host
        self._requested_port = port
        self._httpd: _StubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def bind(self) -> StubServer:
        if self._httpd is None:
            self._httpd = _StubHTTPServer((self._host, self._requested_port), self.state)
        return self

    def start(self) -> StubServer:
        """Bind (if needed) and serve from a daemon thread; returns self."""
        self.bind()
        if self._thread is None:
            assert self._httpd is not None
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"tmdb-stub:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Bind (if needed) and serve in the calling thread (used by the CLI)."""
        self.bind()
        assert self._httpd is not None
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        if thread is not None:
            httpd.shutdown()
            thread.join(timeout=5)
        httpd.server_close()
        self._httpd = self._thread = None

    close = stop

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # addresses
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("StubServer is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Server root, e.g. ``http://127.0.0.1:8765`` (control endpoints live here)."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """TMDb API base, e.g. ``http://127.0.0.1:8765/3`` (use as TMDB_BASE_URL)."""
        return self.url + API_PREFIX

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def read_token(self) -> str:
        return self.state.read_token

    # request log
    def request_count(self, path_prefix: str | None = None) -> int:
        """API requests seen (control endpoints excluded), optionally only those whose path
        starts with ``path_prefix`` ("/movie/550" and "/3/movie/550" are equivalent)."""
        return self.state.request_count(path_prefix)

    def request_paths(self) -> list[str]:
        """The last 200 request paths (no query strings), oldest first."""
        return self.state.request_paths()

    def calls(self) -> dict[str, dict[str, int]]:
        """Per call (path + sorted query without api_key): how many since the last reset, how many
        are unanswered now, and the most that were unanswered at once (see ``/__stub__/calls``)."""
        return self.state.calls()

    def reset_requests(self) -> None:
        self.state.reset_requests()

    # faults
    def inject_fault(
        self,
        status: int | None = None,
        count: int | None = 1,
        delay: float = 0.0,
        retry_after: float | None = None,
        path_prefix: str | None = None,
        *,
        status_code: int | None = None,
        status_message: str | None = None,
        body: Any = None,
    ) -> None:
        """Make the next ``count`` requests under ``path_prefix`` (default: all of ``/3``)
        fail with ``status`` and/or be delayed by ``delay`` seconds. ``count=None`` keeps the
        fault until :meth:`clear_faults`."""
        data: dict[str, Any] = {
            "status": status,
            "count": count,
            "delay": delay,
            "retry_after": retry_after,
            "path_prefix": path_prefix,
            "status_code": status_code,
            "status_message": status_message,
            "body": body,
        }
        self.state.add_fault(Fault.from_dict(data))

    def clear_faults(self) -> None:
        self.state.clear_faults()

    def faults(self) -> list[dict[str, Any]]:
        return self.state.list_faults()

    # config
    def configure(self, *, page_error_style: str | None = None, inflate_total_pages: Any = ...,
                  fill_pages: bool | None = None) -> dict[str, Any]:
        """Change behaviour at runtime. ``page_error_style``: "errors" (422 {"errors": [...]},
        the default) or "code22" (400 code 22). ``inflate_total_pages``: report at least this
        many pages on trending/popular/top_rated/discover (None switches it off)."""
        changes: dict[str, Any] = {}
        if page_error_style is not None:
            changes["page_error_style"] = page_error_style
        if inflate_total_pages is not ...:
            changes["inflate_total_pages"] = inflate_total_pages
        if fill_pages is not None:
            changes["fill_pages"] = fill_pages
        return self.state.configure(**changes)

    def reset(self) -> None:
        """Clear faults, the request log and runtime configuration."""
        self.state.reset()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.tmdb_stub", description="TMDb v3 compatible stub server")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--read-token", default=DEFAULT_READ_TOKEN)
    parser.add_argument("--catalogue", default=None, help=f"default: {CATALOGUE_PATH}")
    parser.add_argument(
        "--no-synthetic",
        action="store_true",
        help="serve only the catalogue file's movies (no synthetic awkward-shape entries 9000001+)",
    )
    parser.add_argument(
        "--page-errors",
        choices=PAGE_ERROR_STYLES,
        default="errors",
        help='shape of out-of-range page errors (default: 422 {"errors": [...]})',
    )
    parser.add_argument(
        "--inflate-total-pages",
        type=int,
        default=None,
        metavar="N",
        help="report at least N total_pages on the big list endpoints",
    )
    parser.add_argument(
        "--fill-pages",
        action="store_true",
        help="with --inflate-total-pages, fill the pages past the catalogue with its movies again",
    )
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)

    try:
        stub = StubServer(
            args.api_key,
            args.read_token,
            host=args.host,
            port=args.port,
            catalogue_path=args.catalogue,
            synthetic=not args.no_synthetic,
            verbose=args.verbose,
            page_error_style=args.page_errors,
            inflate_total_pages=args.inflate_total_pages,
            fill_pages=args.fill_pages,
        ).bind()
    except (OSError, ValueError) as exc:
        print(f"tmdb-stub: cannot start: {exc}", file=sys.stderr, flush=True)
        return 1

    def _terminate(signum, frame):  # turn SIGTERM into a clean shutdown
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    print(f"tmdb-stub listening on {stub.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stub.serve_forever()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
