"""
Reference data: the movie genres and TMDb's image configuration. From TMDb they are cached for
CACHE_TTL_REFERENCE and fall back (genres to the catalogue's, images to TMDB_IMAGE_BASE_URL) when TMDb
fails; while TMDb's circuit breaker (movie_backend.resilience.tmdb_breaker) is open the client refuses
at once, so a fallback costs no wait. Which source serves them is movies.sources' choice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings

from movie_backend.cache import Cached, cached_call
from movie_backend.exceptions import UpstreamError
from movies import catalogue, payloads, selectors
from movies.tmdb import get_client

logger = logging.getLogger(__name__)


def language_key() -> dict:
    """The cache-key part every TMDb answer varies by: the language we ask TMDb for."""
    return {"language": settings.TMDB_LANGUAGE}


def _with_fallback(namespace: str, fetch: Callable[[], object], fallback: Callable[[], object]):
    try:
        return cached_call(namespace, language_key(), ttl=settings.CACHE_TTL_REFERENCE, fetch=fetch).value
    except UpstreamError as exc:
        logger.warning("TMDb %s unavailable (%s); using the fallback", namespace, exc.default_code)
        return fallback()


def _fallback_images() -> dict:
    return {"base_url": settings.TMDB_IMAGE_BASE_URL}


def _fetch_image_config() -> dict:
    images = get_client().configuration().get("images")
    if not isinstance(images, dict):
        return _fallback_images()
    base_url = images.get("secure_base_url")
    if not isinstance(base_url, str) or not base_url.startswith("https://"):
        base_url = settings.TMDB_IMAGE_BASE_URL

    def size(kind: str, wanted: str) -> str:
        sizes = images.get(f"{kind}_sizes")
        return wanted if isinstance(sizes, list) and wanted in sizes else "original"

    return {
        "base_url": base_url,
        "poster_size": size("poster", payloads.ImageConfig.poster_size),
        "backdrop_size": size("backdrop", payloads.ImageConfig.backdrop_size),
        "profile_size": size("profile", payloads.ImageConfig.profile_size),
    }


def default_image_config() -> payloads.ImageConfig:
    """The image configuration without TMDb: TMDB_IMAGE_BASE_URL and our default sizes."""
    return payloads.ImageConfig(**_fallback_images())


def tmdb_image_config() -> payloads.ImageConfig:
    """TMDb's image configuration (cached), or the default one while TMDb fails."""
    return payloads.ImageConfig(**_with_fallback("tmdb-configuration", _fetch_image_config, _fallback_images))


def _fetch_genres() -> list[dict]:
    body = get_client().genres()
    raw = body.get("genres") if isinstance(body.get("genres"), list) else []
    genres = [
        {"id": g["id"], "name": g["name"]}
        for g in raw
        if isinstance(g, dict) and isinstance(g.get("id"), int) and isinstance(g.get("name"), str)
    ]
    catalogue.record(catalogue.genres_upsert, genres)
    return sorted(genres, key=lambda g: g["name"])


def tmdb_genres() -> Cached:
    """TMDb's movie genres by name (cached; upserted into the catalogue when fetched); raises UpstreamError."""
    return cached_call("genres", language_key(), ttl=settings.CACHE_TTL_REFERENCE, fetch=_fetch_genres)


def tmdb_genre_list() -> list[dict]:
    """TMDb's movie genres by name (cached), or the catalogue's while TMDb fails."""
    return _with_fallback("genres", _fetch_genres, selectors.genre_list)
