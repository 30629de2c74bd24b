"""Startup errors an operator meets: they must say what to do on a production server too."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _start_error(**env_overrides: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "movie_backend.settings", "DEBUG": "false", **env_overrides}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=REPO, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(("missing", "other"), [("SECRET_KEY", "JWT_SIGNING_KEY"), ("JWT_SIGNING_KEY", "SECRET_KEY")])
def test_missing_key_error_fits_production_and_development(missing, other):
    message = _start_error(**{missing: "", f"{missing}_FILE": "", other: "k" * 50})

    assert message.startswith(f"django.core.exceptions.ImproperlyConfigured: {missing} is not set. Production: ")
    assert "deploy/systemd/movie-backend.service" in message or "next to SECRET_KEY" in message
    assert "docs/deployment.md" in message
    assert message.endswith("Development: `make run` writes a .env with generated keys." if missing == "SECRET_KEY"
                            else "Development: `make run` writes a .env with one.")
