from django.apps import AppConfig


class MovieBackendConfig(AppConfig):
    """The project package as an app, for start-up work that belongs to no feature app."""

    name = "movie_backend"
    verbose_name = "Movie backend"

    def ready(self) -> None:
        from movie_backend.db import install_wait_deadline

        install_wait_deadline()  # every wait on PostgreSQL has a deadline
