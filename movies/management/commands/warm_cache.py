from django.core.management.base import BaseCommand, CommandError

from movie_backend.exceptions import MovieNotFound, UpstreamError
from movies import services
from movies.sources import movie_source
from movies.tmdb import TRENDING_WINDOWS


class Command(BaseCommand):
    help = (
        "Fill the cache: genres, trending (day and week), recommended, and the details of the movies on "
        "those lists. Run it after deploys and on a schedule shorter than CACHE_TTL_TRENDING."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pages", type=int, default=1, help="Pages of each list to warm (default 1).")

    def handle(self, *args, pages: int, **options):
        if not movie_source().cached:
            self.stdout.write("No TMDb credentials: answers come from the local catalogue; nothing to warm.")
            return
        movie_ids: set[int] = set()
        failures = 0
        steps = [("genres", services.genres_all)]
        for page in range(1, pages + 1):
            for window in TRENDING_WINDOWS:
                steps.append((f"trending/{window} p{page}",
                              lambda w=window, p=page: services.trending_movies(time_window=w, page=p)))
            steps.append((f"recommended p{page}", lambda p=page: services.recommended_movies(page=p)))
        for label, step in steps:
            try:
                result = step()
            except UpstreamError as exc:
                failures += 1
                self.stderr.write(f"{label}: {exc.default_code}")
                continue
            if isinstance(result.value, dict):
                movie_ids.update(movie["id"] for movie in result.value["results"])
            self.stdout.write(f"{label}: {result.status}")
        for movie_id in sorted(movie_ids):
            try:
                services.movie_detail(movie_id=movie_id)
            except (UpstreamError, MovieNotFound) as exc:
                failures += 1
                self.stderr.write(f"movie {movie_id}: {exc.default_code}")
        self.stdout.write(f"Warmed {len(steps)} lists and {len(movie_ids)} movie details; {failures} failures.")
        if failures and failures >= len(steps) + len(movie_ids):
            raise CommandError("Every request failed; is TMDb reachable and the key valid?")
