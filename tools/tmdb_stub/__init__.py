"""A small TMDb v3 compatible stub HTTP server (stdlib only).

Used by end-to-end tests, the contract fuzzer and local development::

    python -m tools.tmdb_stub --port 8765
    TMDB_BASE_URL=http://127.0.0.1:8765/3

or from Python::

    from tools.tmdb_stub.server import StubServer

    with StubServer(api_key="k", read_token="t") as stub:
        stub.base_url  # "http://127.0.0.1:<port>/3"

See ``README.md`` for which module holds what: ``routes.py`` the endpoints under ``/3``,
``control.py`` the ``/__stub__`` control API, ``faults.py`` the fault rules, ``catalogue.py`` the data.
"""

from .server import StubServer

__all__ = ["StubServer"]
