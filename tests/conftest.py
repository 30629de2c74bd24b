"""
Shared fixtures. TMDb is faked at the HTTP boundary only (`responses`); the database and the cache
are the real configured backends (PostgreSQL and Redis in CI, SQLite and locmem by default).
"""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from movie_backend import cache as api_cache
from movie_backend import resilience
from tests.fakes import FakeTMDb


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Creating, migrating and dropping the test database are not requests: no statement deadline
    for them (on a busy machine DROP DATABASE alone can take seconds), nor for the race tests' lock
    waits. Tests of the deadline set
    DB_STATEMENT_TIMEOUT_MS themselves (tests/dbfaults.py builds its connections from it).

    On SQLite the test database is a file, like the embedded default's, not Django's shared-cache
    in-memory database: that one refuses concurrent writers at once ("database table is locked")
    instead of waiting on the busy timeout, so the race tests could not run on it."""
    from django.conf import settings as django_settings
    from django.db import connections

    django_settings.DB_STATEMENT_TIMEOUT_MS = 0
    in_memory_fs = "/dev/shm" if Path("/dev/shm").is_dir() else None  # a file, but not on disk
    test_db = Path(tempfile.mkdtemp(prefix="mrb-tests-", dir=in_memory_fs)) / "test.sqlite3"
    for settings_dict in (django_settings.DATABASES["default"], connections["default"].settings_dict):
        settings_dict.get("OPTIONS", {}).pop("options", None)
        if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
            settings_dict.setdefault("TEST", {})["NAME"] = str(test_db)
            settings_dict["OPTIONS"]["timeout"] = 20  # the busy timeout is SQLite's statement deadline
    yield
    shutil.rmtree(test_db.parent, ignore_errors=True)  # after the test database's own teardown


@pytest.fixture(autouse=True)
def _fresh_caches(settings):
    """Every test starts with empty caches and closed cache, TMDb, Redis and database circuit breakers."""
    for alias in settings.CACHES:
        caches[alias].clear()
    api_cache.backend.reset()
    resilience.reset_breakers()
    yield
    api_cache.wait_for_background_refreshes(timeout=10)
    for alias in settings.CACHES:
        caches[alias].clear()
    resilience.reset_breakers()  # the database's above all: a test that opened it must not fail the teardown


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.2 s a user on this machine; tests need no real key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _embedded_default(settings):
    """Tests run on the local catalogue unless they ask for the `tmdb` fixture."""
    settings.TMDB_API_KEY = ""
    settings.TMDB_READ_ACCESS_TOKEN = ""


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def tmdb(settings):
    """TMDb enabled (api_key mode) and faked with `responses`; yields a FakeTMDb to register answers."""
    settings.TMDB_API_KEY = FakeTMDb.API_KEY
    settings.TMDB_READ_ACCESS_TOKEN = ""
    settings.TMDB_BASE_URL = FakeTMDb.BASE_URL
    settings.TMDB_BACKOFF_BASE = 0.0
    settings.TMDB_RETRY_BUDGET = 5.0
    settings.TMDB_MAX_RETRIES = 2
    settings.TMDB_MAX_REQUESTS_PER_SECOND = 0  # no outbound cap in unit tests
    with FakeTMDb() as fake:
        yield fake
