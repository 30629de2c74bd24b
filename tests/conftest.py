"""
Shared fixtures. TMDb is faked at the HTTP boundary only (`responses`); the database and the cache
are the real configured backends (PostgreSQL and Redis in CI, SQLite and locmem by default).
"""

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from movie_backend import cache as api_cache
from movie_backend import resilience
from tests.fakes import FakeTMDb


@pytest.fixture(autouse=True)
def _fresh_caches(settings):
    """Every test starts with empty caches and closed circuit breakers."""
    for alias in settings.CACHES:
        caches[alias].clear()
    api_cache.backend.reset()
    resilience.reset_breakers()
    yield
    api_cache.wait_for_background_refreshes(timeout=10)
    for alias in settings.CACHES:
        caches[alias].clear()


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
