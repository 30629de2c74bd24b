"""Settings of bench/recs_api_eval.py's server: the project's own, with a fast password hasher, so that
registering MovieLens's 943 people through the API costs seconds, not minutes of PBKDF2 (what is
measured is the recommendations, not the sign-up)."""

from movie_backend.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
