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
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) in the environment or in .env; "
            "`make run` writes a local .env with generated keys."
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
    "movies",
    "users",
    "recs",
]

MIDDLEWARE = [
    # Outermost: request id, one log line per request, JSON for any non-JSON error outside the admin.
    "movie_backend.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
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
DATABASES = {
    "default": dj_database_url.parse(
        config("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=config("DB_CONN_MAX_AGE", default=60, cast=int),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent requests write the catalogue: wait for the lock (busy timeout) instead of failing,
    # take it at BEGIN so two writers cannot deadlock on an upgrade, and let readers run beside a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set, else an in-process cache -----------------------------------
REDIS_URL = config("REDIS_URL", default="")
CACHE_SOCKET_TIMEOUT = config("CACHE_SOCKET_TIMEOUT", default=1.0, cast=float)
if REDIS_URL:
    _redis_options = {
        "SOCKET_CONNECT_TIMEOUT": CACHE_SOCKET_TIMEOUT,
        "SOCKET_TIMEOUT": CACHE_SOCKET_TIMEOUT,
        # TMDb payloads are JSON; JSON also keeps whoever can write to Redis from making us unpickle.
        "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
        "CONNECTION_POOL_KWARGS": {"max_connections": config("REDIS_MAX_CONNECTIONS", default=50, cast=int)},
    }
    CACHES = {
        # Throttles and anything else Django keeps here fail open when Redis is down.
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mrb",
            "OPTIONS": {**_redis_options, "IGNORE_EXCEPTIONS": True},
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
# How long a request waits for another request that is already fetching the same key.
CACHE_LOCK_WAIT = config("CACHE_LOCK_WAIT", default=12.0, cast=float)

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
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
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
            "JWT_SIGNING_KEY is not set. Set JWT_SIGNING_KEY (or JWT_SIGNING_KEY_FILE); it must differ from "
            "SECRET_KEY so tokens can be rotated on their own. `make run` writes a local .env with one."
        )
    JWT_SIGNING_KEY = "debug-only-jwt-signing-key-not-for-production"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=config("JWT_ACCESS_LIFETIME", default=300, cast=int)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=config("JWT_REFRESH_LIFETIME", default=86400, cast=int)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "CHECK_USER_IS_ACTIVE": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Movie Recommendation Backend API",
    "DESCRIPTION": "Trending movies, search, details and personalised recommendations, backed by TMDb.",
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
        "tmdb_id": {"type": "integer", "minimum": 1, "maximum": 2147483647, "example": 603},
    },
    "ENUM_NAME_OVERRIDES": {"ProbeStateEnum": "movie_backend.ops.PROBE_STATES"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "movie_backend.schema.add_links"],
}

CORS_ALLOWED_ORIGINS = config("CORS_ALLOWED_ORIGINS", default="", cast=Csv())

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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
