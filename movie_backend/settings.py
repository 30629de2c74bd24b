"""
Settings for the Movie Recommendation Backend.

Every knob comes from the environment (or a `.env` file beside manage.py) through python-decouple.
With nothing set, the app runs on the embedded default: SQLite, an in-process cache and the local
demo catalogue instead of TMDb.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from decouple import Csv, config
from django.core.exceptions import ImproperlyConfigured

from movie_backend.converters import TMDB_ID_SCHEMA
from movie_backend.db import postgres_options

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = config("DEBUG", default=False, cast=bool)


def _read_secret(name: str) -> str:
    """A secret from `NAME`, or from the file named by `NAME_FILE` (container-secret style)."""
    value = config(name, default="")
    if not value:
        path = config(f"{name}_FILE", default="")
        if path:
            value = Path(path).read_text().strip()
    return value


SECRET_KEY = _read_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production: put SECRET_KEY (or SECRET_KEY_FILE) in the app's environment, "
            "e.g. the EnvironmentFile of deploy/systemd/movie-backend.service (docs/deployment.md §2). "
            "Development: `make run` writes a .env with generated keys."
        )
    SECRET_KEY = "django-insecure-debug-only-key"  # noqa: S105 - only ever used with DEBUG on

ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="localhost,127.0.0.1,[::1]", cast=Csv())
CSRF_TRUSTED_ORIGINS = config("CSRF_TRUSTED_ORIGINS", default="", cast=Csv())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "movie_backend.apps.MovieBackendConfig",
    "movies",
    "users",
    "recs",
]

MIDDLEWARE = [
    # Outermost: request id, one log line per request, JSON for any non-JSON error outside the admin.
    "movie_backend.middleware.RequestLogMiddleware",
    # One time budget per request, shared by every TMDb call and cache wait (movie_backend.resilience).
    "movie_backend.resilience.RequestDeadlineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-cors-headers' CorsMiddleware, skipping its work for requests without an Origin.
    "movie_backend.middleware.CorsMiddleware",
    # Anonymous cached GETs answered here from their stored response (movie_backend.http_cache).
    "movie_backend.http_cache.FastPathMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "movie_backend.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide template overrides (the ReDoc page without its CDN fonts).
        "DIRS": [BASE_DIR / "movie_backend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "movie_backend.wsgi.application"

# --- Database: DATABASE_URL (PostgreSQL in production), else a local SQLite file -------------------
DATABASE_URL = config("DATABASE_URL", default="")
# The embedded default: no DATABASE_URL, so SQLite beside manage.py; what a developer runs locally.
EMBEDDED_DEFAULT = not DATABASE_URL
# Every wait on the database is bounded (see movie_backend/db.py): connecting by DB_CONNECT_TIMEOUT,
# a statement by DB_STATEMENT_TIMEOUT_MS on the server plus a second of grace on the client (so a
# hung server costs a request ~4 s once, not forever); after such a timeout new connections fail at
# once for DB_BREAKER_SECONDS. Any of these failures is a 503 `database_unavailable`.
DB_CONNECT_TIMEOUT = config("DB_CONNECT_TIMEOUT", default=2.0, cast=float)  # seconds
DB_STATEMENT_TIMEOUT_MS = config("DB_STATEMENT_TIMEOUT_MS", default=3000, cast=int)  # 0: no limit
DB_BREAKER_SECONDS = config("DB_BREAKER_SECONDS", default=5, cast=int)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=config("DB_CONN_MAX_AGE", default=60, cast=int),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent requests write the catalogue: wait for the lock (busy timeout) instead of failing,
    # take it at BEGIN so two writers cannot deadlock on an upgrade, and let readers run beside a writer.
    # The busy timeout is SQLite's statement timeout: a lock held longer is a 503, not a hang.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": DB_STATEMENT_TIMEOUT_MS / 1000 if DB_STATEMENT_TIMEOUT_MS > 0 else 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {
        **postgres_options(connect_timeout=DB_CONNECT_TIMEOUT, statement_timeout_ms=DB_STATEMENT_TIMEOUT_MS),
        **DATABASES["default"].get("OPTIONS", {}),  # what DATABASE_URL's query string sets wins
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set, else an in-process cache -----------------------------------
REDIS_URL = config("REDIS_URL", default="")
# Short on purpose: a hung Redis costs a request one timeout, then the Redis breaker keeps us off it.
CACHE_SOCKET_TIMEOUT = config("CACHE_SOCKET_TIMEOUT", default=0.05, cast=float)  # seconds, per read
CACHE_CONNECT_TIMEOUT = config("CACHE_CONNECT_TIMEOUT", default=0.05, cast=float)  # seconds, per connect
if REDIS_URL:
    _redis_options = {
        "SOCKET_CONNECT_TIMEOUT": CACHE_CONNECT_TIMEOUT,
        "SOCKET_TIMEOUT": CACHE_SOCKET_TIMEOUT,
        # TMDb payloads are JSON; JSON also keeps whoever can write to Redis from making us unpickle.
        "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
        "CONNECTION_POOL_KWARGS": {"max_connections": config("REDIS_MAX_CONNECTIONS", default=50, cast=int)},
    }
    CACHES = {
        # Rate-limit counters. movie_backend.throttling calls it through the Redis breaker and fails
        # open, so its errors must surface (the breaker counts them).
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mrb",
            "OPTIONS": {**_redis_options, "IGNORE_EXCEPTIONS": False},
        },
        # The API response cache: movie_backend.cache handles Redis errors itself, so they must surface.
        "api": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mrb",
            "TIMEOUT": None,
            "OPTIONS": {**_redis_options, "IGNORE_EXCEPTIONS": False},
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "movie_backend.cache"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "api": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api",
            "TIMEOUT": None,
            "OPTIONS": {"MAX_ENTRIES": 10000},
        },
    }
API_CACHE_ALIAS = "api"

# Seconds an upstream answer is fresh, per kind of answer.
CACHE_TTL_TRENDING = config("CACHE_TTL_TRENDING", default=3600, cast=int)
CACHE_TTL_DETAILS = config("CACHE_TTL_DETAILS", default=86400, cast=int)
CACHE_TTL_SEARCH = config("CACHE_TTL_SEARCH", default=900, cast=int)
CACHE_TTL_RECOMMENDATIONS = config("CACHE_TTL_RECOMMENDATIONS", default=1800, cast=int)
CACHE_TTL_REFERENCE = config("CACHE_TTL_REFERENCE", default=259200, cast=int)  # genres, image config
# How long after its TTL a copy is kept to be served (X-Cache: STALE) while TMDb is failing.
CACHE_STALE_GRACE = config("CACHE_STALE_GRACE", default=86400, cast=int)
# Seconds the refresh of an expired answer may take before the expired copy is served instead (X-Cache:
# STALE) and the refresh finishes in the background.
CACHE_STALE_WAIT = config("CACHE_STALE_WAIT", default=0.5, cast=float)
# Hot answers kept in each process while Redis is unreachable (an LRU of this many entries).
CACHE_LOCAL_ENTRIES = config("CACHE_LOCAL_ENTRIES", default=500, cast=int)

# --- Time bounds and circuit breakers (movie_backend.resilience) ---------------------------------------
# Seconds one request may spend on TMDb calls and on waiting for another request's fetch, all together.
# Keep it well under gunicorn's timeout (gunicorn.conf.py).
REQUEST_DEADLINE = config("REQUEST_DEADLINE", default=8.0, cast=float)
TMDB_BREAKER_FAILURES = config("TMDB_BREAKER_FAILURES", default=5, cast=int)  # consecutive, to open
REDIS_BREAKER_FAILURES = config("REDIS_BREAKER_FAILURES", default=1, cast=int)
BREAKER_OPEN_MIN = config("BREAKER_OPEN_MIN", default=1.0, cast=float)  # seconds open, doubled per failed probe
BREAKER_OPEN_MAX = config("BREAKER_OPEN_MAX", default=30.0, cast=float)

# --- Trained recommendation model (manage.py train_recommender) --------------------------------------
# L2 weight of EASE. On MovieLens-100K validation splits (the evaluation's --validate, seeds 0-1)
# 300 and 500 tie (NDCG@10 0.2624 vs 0.2622, std 0.0015) and 100 or 1000 are worse; 500 is kept,
# since the validation split trains on less data than the real model and more data wants more λ.
RECS_EASE_LAMBDA = config("RECS_EASE_LAMBDA", default=500.0, cast=float)
# Neighbours kept per movie (its strongest positive weights).
RECS_NEIGHBORS = config("RECS_NEIGHBORS", default=100, cast=int)
# Movies trained on: the most favorited ones. At 5,000 (10,000 users, 462k favorites): 55 s and
# 451 MB for the fit and the rows on 2 shared cores (bench/train_bench.py); at 10,000 (20,000
# users): 5 min and 1.5 GB. Time grows as items³ (fit) and users x items (rows), memory as items².
RECS_MAX_ITEMS = config("RECS_MAX_ITEMS", default=5000, cast=int)
# Below this many users with favorites, training refuses and the list stays model-free.
RECS_MIN_USERS = config("RECS_MIN_USERS", default=20, cast=int)
# Versions kept in the database (the newest serves; older ones are for a quick look back).
RECS_KEEP_VERSIONS = config("RECS_KEEP_VERSIONS", default=3, cast=int)

# --- TMDb ---------------------------------------------------------------------------------------------
TMDB_API_KEY = _read_secret("TMDB_API_KEY")
TMDB_READ_ACCESS_TOKEN = _read_secret("TMDB_READ_ACCESS_TOKEN")
TMDB_BASE_URL = config("TMDB_BASE_URL", default="https://api.themoviedb.org/3").rstrip("/")
TMDB_IMAGE_BASE_URL = config("TMDB_IMAGE_BASE_URL", default="https://image.tmdb.org/t/p/")
TMDB_LANGUAGE = config("TMDB_LANGUAGE", default="en-US")
TMDB_TIMEOUT = config("TMDB_TIMEOUT", default=5.0, cast=float)  # seconds, per HTTP attempt
TMDB_RETRY_BUDGET = config("TMDB_RETRY_BUDGET", default=10.0, cast=float)  # seconds, all attempts
TMDB_MAX_RETRIES = config("TMDB_MAX_RETRIES", default=3, cast=int)
TMDB_BACKOFF_BASE = config("TMDB_BACKOFF_BASE", default=0.5, cast=float)  # seconds, doubled per retry
TMDB_MAX_REQUESTS_PER_SECOND = config("TMDB_MAX_REQUESTS_PER_SECOND", default=20.0, cast=float)

# --- REST framework, auth, docs ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # JWT first so an unauthenticated request gets 401 with WWW-Authenticate, not 403.
        # simplejwt's, refusing (401) a signed token whose user id claim is not an id.
        "users.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSONParser with a nesting limit and no unpaired surrogates (movie_backend/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["movie_backend.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "movie_backend.schema.AutoSchema",
    "EXCEPTION_HANDLER": "movie_backend.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [  # DRF's keys and scopes, counted with one cache increment a request
        "movie_backend.throttling.AnonRateThrottle",
        "movie_backend.throttling.UserRateThrottle",
        "movie_backend.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": config("THROTTLE_ANON", default="120/min"),
        "user": config("THROTTLE_USER", default="600/min"),
        "login": config("THROTTLE_LOGIN", default="10/min"),
        "login_username": config("THROTTLE_LOGIN_USERNAME", default="5/min"),
        "register": config("THROTTLE_REGISTER", default="10/hour"),
        "token_refresh": config("THROTTLE_REFRESH", default="30/min"),
        "recommendations": config("THROTTLE_RECOMMENDATIONS", default="60/min"),
    },
    # Exact number of trusted proxies in front of the app; 0 means REMOTE_ADDR is the client.
    "NUM_PROXIES": config("NUM_PROXIES", default=0, cast=int),
}

JWT_SIGNING_KEY = _read_secret("JWT_SIGNING_KEY")
if not JWT_SIGNING_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "JWT_SIGNING_KEY is not set. Production: put JWT_SIGNING_KEY (or JWT_SIGNING_KEY_FILE) in the app's "
            "environment next to SECRET_KEY, with a different value so tokens can be rotated on their own "
            "(docs/deployment.md §2). Development: `make run` writes a .env with one."
        )
    JWT_SIGNING_KEY = "debug-only-jwt-signing-key-not-for-production"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=config("JWT_ACCESS_LIFETIME", default=300, cast=int)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=config("JWT_REFRESH_LIFETIME", default=86400, cast=int)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,  # API logins show in the admin's user list
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "CHECK_USER_IS_ACTIVE": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Movie Recommendation Backend API",
    "DESCRIPTION": """Trending movies, search, details and personalised recommendations, backed by TMDb.

The **movies** endpoints are public: try `GET /api/movies/trending/` right away. The **users**
endpoints (profile, favorites, recommendations for you) need an access token:

1. **Register**: `POST /api/auth/register/` with `{"username": "alice", "email": "alice@example.com",
   "password": "correct-Horse-battery-9"}`. The answer already holds an `access` and a `refresh` token.
2. **Log in** (any later time): `POST /api/auth/login/` with `{"username": "alice", "password": "…"}`
   (the username may also be the email) returns a new `access` / `refresh` pair.
3. **Authorize**: click *Authorize* (top right in Swagger UI) and paste the `access` token, without the
   word "Bearer". Other clients send `Authorization: Bearer <access>`.
4. **Call** the users endpoints, e.g. `POST /api/users/favorites/` with `{"movie_id": 348}`, then
   `GET /api/users/recommendations/`.

An access token lasts 5 minutes: exchange the refresh token at `POST /api/auth/refresh/` for a new pair
(the old refresh token then stops working); `POST /api/auth/logout/` revokes it.

Every error is JSON: `{"detail": "…", "code": "…"}`, plus `errors` per field for invalid input. Lists are
pages of 20: `{"page", "total_pages", "total_results", "results"}`. Movie ids are TMDb's. Rate limits
answer 429 with `Retry-After`.""",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl None: Swagger UI would otherwise load a validity badge from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "validatorUrl": None},
    # movies.urls' `tmdb_id` converter: a positive int32 (anything else is a 404 before any lookup).
    "PATH_CONVERTER_OVERRIDES": {
        "tmdb_id": TMDB_ID_SCHEMA,
    },
    "ENUM_NAME_OVERRIDES": {
        "ProbeStateEnum": "movie_backend.ops.PROBE_STATES",
        "GenreIdEnum": "movies.serializers.MOVIE_GENRE_CHOICES",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "movie_backend.schema.add_links"],
}

# The usual frontend dev-server origins (Vite, create-react-app/Next.js), allowed without configuration
# on the embedded default (no DATABASE_URL: a developer's machine). A deployment lists its origins.
LOCAL_DEV_ORIGINS = [
    "http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:3000", "http://127.0.0.1:3000",
]
# Setting CORS_ALLOWED_ORIGINS replaces this default (list the dev origins too if you still want them).
CORS_ALLOWED_ORIGINS = config(
    "CORS_ALLOWED_ORIGINS", default=",".join(LOCAL_DEV_ORIGINS) if EMBEDDED_DEFAULT else "", cast=Csv(),
)
# Response headers a browser lets the frontend's JavaScript read (besides the CORS-safelisted ones).
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID", "X-Cache", "ETag"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "users.validators.NotBlankPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_FINDERS = [
    "movie_backend.staticfiles.PatchedAssetsFinder",  # first: third-party assets without external loads
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Production hardening (all overridable; `check --deploy` passes with DEBUG off) -------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if config("SECURE_PROXY_SSL", default=False, cast=bool) else None
SECURE_SSL_REDIRECT = config("SECURE_SSL_REDIRECT", default=False, cast=bool)
# Probes come from the load balancer over plain HTTP inside the network: never redirect them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = config("SECURE_HSTS_SECONDS", default=0, cast=int)
SECURE_HSTS_INCLUDE_SUBDOMAINS = config("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False, cast=bool)
SECURE_HSTS_PRELOAD = config("SECURE_HSTS_PRELOAD", default=False, cast=bool)
SESSION_COOKIE_SECURE = config("SESSION_COOKIE_SECURE", default=False, cast=bool)
CSRF_COOKIE_SECURE = config("CSRF_COOKIE_SECURE", default=False, cast=bool)
X_FRAME_OPTIONS = "DENY"

# Bearer token Prometheus sends to scrape /metrics; empty: /metrics answers 404 (see movie_backend/metrics.py).
METRICS_TOKEN = _read_secret("METRICS_TOKEN")

LOG_LEVEL = config("LOG_LEVEL", default="INFO")
LOG_FORMAT = config("LOG_FORMAT", default="plain")  # "plain" or "json" (one object per line)
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "movie_backend.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "movie_backend.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # urllib3 logs full URLs at DEBUG, and a URL may carry the TMDb api_key.
        "urllib3": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
        # movie_backend.request already writes one line per request; keep Django's own request logger
        # for 5xx (with their tracebacks) and drop its duplicate "Not Found: /path" warnings.
        "django.request": {"level": "ERROR"},
    },
}

AUTH_USER_MODEL = "users.User"
