"""
The floor of `make bench`: a bare Django view returning bytes it reads from django-redis, one GET a
request, no DRF, no throttling, no logging. The project's cached reads are measured against it in
the same run, under the same gunicorn settings, with the same bytes stored under `floor:1:<name>`
(pickled, as django-redis stores values).

FLOOR_MIDDLEWARE=default (the default) runs the middleware `django-admin startproject` writes, as a
plain Django project would; FLOOR_MIDDLEWARE=none runs none at all (a stricter floor).

    REDIS_URL=redis://127.0.0.1:6379/7 gunicorn --chdir bench/floor app:application
"""

import os

import django
from django.conf import settings

# What `django-admin startproject` (Django 5.2) writes.
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-floor-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                    "django.contrib.messages"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},  # never queried
    MIDDLEWARE=STARTPROJECT_MIDDLEWARE if os.environ.get("FLOOR_MIDDLEWARE", "default") == "default" else [],
    CACHES={
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "floor",
        }
    },
)
django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def answer(request, name: str):
    return HttpResponse(cache.get(name), content_type="application/json")


urlpatterns = [path("floor/<str:name>", answer)]
application = get_wsgi_application()
