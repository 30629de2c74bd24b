"""The control API under ``/__stub__`` (no auth): what tests use to inject faults, read the request
log and the calls in flight, change the runtime configuration and reset it all.

    POST   /__stub__/faults    {"status": 503, "count": 2, "delay": 0.0, "retry_after": 1,
                                "path_prefix": "/3/movie"}      -> add a fault rule (faults.py)
    GET    /__stub__/faults                                     -> list active rules
    DELETE /__stub__/faults                                     -> clear all rules
    GET    /__stub__/requests[?path_prefix=/3/movie]            -> {"count": N, "paths": [...]}
    DELETE /__stub__/requests                                   -> reset the request log (and the calls)
    GET    /__stub__/calls      -> {"calls": {call: N}, "in_flight": {call: N}, "peak_in_flight": {call: N}}
                                   per call (path + sorted query without api_key), since the last reset:
                                   how many, how many unanswered now, and the most at once
    GET    /__stub__/config / POST /__stub__/config {"page_error_style": "errors"|"code22",
                                                     "inflate_total_pages": int|null,
                                                     "fill_pages": bool}
    POST   /__stub__/reset                                      -> faults, log and config reset
    GET    /__stub__/health                                     -> {"ok": true}
"""

from __future__ import annotations

import json
from typing import Any

from .faults import Fault
from .protocol import CONTROL_PREFIX, Response
from .state import StubState


def control(
    state: StubState, method: str, path: str, params: dict[str, str], raw: bytes
) -> tuple[int, Any, dict[str, str]]:
    """(status, body, headers) of a control request: 400 for an invalid body or value, 404 for an
    unknown endpoint, 405 for a method an endpoint does not take."""
    sub = path[len(CONTROL_PREFIX) :] or "/"

    def parse_json() -> Any:
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise Response(400, {"ok": False, "error": f"invalid JSON body: {exc}"}) from None

    try:
        if sub == "/faults":
            if method == "POST":
                state.add_fault(Fault.from_dict(parse_json()))
                return 200, {"ok": True, "faults": state.list_faults()}, {}
            if method == "DELETE":
                state.clear_faults()
                return 200, {"ok": True, "faults": []}, {}
            if method in ("GET", "HEAD"):
                return 200, {"faults": state.list_faults()}, {}
        elif sub == "/requests":
            if method == "DELETE":
                state.reset_requests()
                return 200, {"ok": True, "count": 0, "paths": []}, {}
            if method in ("GET", "HEAD"):
                prefix = params.get("path_prefix") or None
                return 200, {"count": state.request_count(prefix), "paths": state.request_paths()}, {}
        elif sub == "/calls" and method in ("GET", "HEAD"):
            return 200, state.calls(), {}
        elif sub == "/config":
            if method in ("POST", "PUT", "PATCH"):
                data = parse_json()
                if not isinstance(data, dict):
                    raise ValueError("config must be a JSON object")
                return 200, {"ok": True, **state.configure(**data)}, {}
            if method in ("GET", "HEAD"):
                with state.lock:
                    return 200, dict(state.config), {}
        elif sub == "/reset" and method in ("POST", "DELETE"):
            state.reset()
            return 200, {"ok": True}, {}
        elif sub == "/health" and method in ("GET", "HEAD"):
            return 200, {"ok": True}, {}
        else:
            return 404, {"ok": False, "error": f"unknown control endpoint {path}"}, {}
    except ValueError as exc:
        return 400, {"ok": False, "error": str(exc)}, {}
    return 405, {"ok": False, "error": f"{method} not allowed on {path}"}, {}
