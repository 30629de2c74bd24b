"""Command line entry point: ``python -m tools.tmdb_stub``."""

from .server import main

if __name__ == "__main__":  # pragma: no cover - exercised via subprocess
    raise SystemExit(main())
