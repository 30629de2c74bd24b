"""The stub's mutable state, shared by its handler threads under one lock: the API key and token, the
catalogue served, the fault rules, the request log, calls in flight and the runtime configuration
(page-error style, inflated total pages, filled pages)."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict
from typing import Any

from .catalogue import Catalogue
from .faults import Fault, normalise_prefix

REQUEST_LOG_SIZE = 200
PAGE_ERROR_STYLES = ("errors", "code22")


class StubState:
    """Mutable, lock-protected state shared by the handler threads."""

    def __init__(
        self,
        *,
        api_key: str,
        read_token: str,
        catalogue: Catalogue,
        verbose: bool = False,
        page_error_style: str = "errors",
        inflate_total_pages: int | None = None,
        fill_pages: bool = False,
    ):
        if page_error_style not in PAGE_ERROR_STYLES:
            raise ValueError(f"page_error_style must be one of {PAGE_ERROR_STYLES}")
        self.api_key = api_key
        self.read_token = read_token
        self.catalogue = catalogue
        self.verbose = verbose
        self.lock = threading.Lock()
        self._default_config = {
            "page_error_style": page_error_style, "inflate_total_pages": inflate_total_pages, "fill_pages": fill_pages,
        }
        self.config = dict(self._default_config)
        self.faults: list[Fault] = []
        self.total_requests = 0
        self.path_counts: Counter[str] = Counter()
        self.recent_paths: deque[str] = deque(maxlen=REQUEST_LOG_SIZE)
        self.call_counts: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()

    # request log
    def record(self, path: str) -> None:
        with self.lock:
            self.total_requests += 1
            self.path_counts[path] += 1
            self.recent_paths.append(path)

    def request_count(self, path_prefix: str | None = None) -> int:
        with self.lock:
            if path_prefix is None:
                return self.total_requests
            prefix = normalise_prefix(path_prefix)
            return sum(n for p, n in self.path_counts.items() if p.startswith(prefix))

    def request_paths(self) -> list[str]:
        with self.lock:
            return list(self.recent_paths)

    # calls in flight: one "call" is a path with its query minus the credentials
    def call_started(self, call: str) -> None:
        with self.lock:
            self.call_counts[call] += 1
            self.in_flight[call] += 1
            self.peak_in_flight[call] = max(self.peak_in_flight[call], self.in_flight[call])

    def call_ended(self, call: str) -> None:
        with self.lock:
            self.in_flight[call] -= 1
            if self.in_flight[call] <= 0:
                del self.in_flight[call]

    def calls(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return {
                "calls": dict(self.call_counts),
                "in_flight": dict(self.in_flight),
                "peak_in_flight": dict(self.peak_in_flight),
            }

    def reset_requests(self) -> None:
        with self.lock:
            self.total_requests = 0
            self.path_counts.clear()
            self.recent_paths.clear()
            self.call_counts.clear()
            # Calls still in flight stay counted, so their end cannot go negative; the peak restarts
            # from them.
            self.peak_in_flight = Counter(self.in_flight)

    # faults
    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def list_faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(f) for f in self.faults]

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.path_prefix):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    # config
    def configure(self, **changes: Any) -> dict[str, Any]:
        style = changes.get("page_error_style", self.config["page_error_style"])
        if style not in PAGE_ERROR_STYLES:
            raise ValueError(f"page_error_style must be one of {PAGE_ERROR_STYLES}")
        inflate = changes.get("inflate_total_pages", self.config["inflate_total_pages"])
        if inflate is not None and (isinstance(inflate, bool) or not isinstance(inflate, int) or inflate < 1):
            raise ValueError("inflate_total_pages must be a positive integer or null")
        fill = changes.get("fill_pages", self.config["fill_pages"])
        if not isinstance(fill, bool):
            raise ValueError("fill_pages must be a boolean")
        unknown = set(changes) - set(self.config)
        if unknown:
            raise ValueError(f"unknown config key(s): {sorted(unknown)}")
        with self.lock:
            self.config.update(page_error_style=style, inflate_total_pages=inflate, fill_pages=fill)
            return dict(self.config)

    def reset(self) -> None:
        self.clear_faults()
        self.reset_requests()
        with self.lock:
            self.config = dict(self._default_config)
