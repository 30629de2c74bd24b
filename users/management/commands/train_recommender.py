from django.core.management.base import BaseCommand

from users.training import TooFewUsers, recommender_train


class Command(BaseCommand):
    help = ("Train the recommendation model (EASE) on every user's favorites and switch to it atomically. "
            "Schedule it (e.g. nightly); see docs/deployment.md. Defaults come from the RECS_* settings.")

    def add_arguments(self, parser):
        parser.add_argument("--lambda", dest="ease_lambda", type=float, help="L2 weight (RECS_EASE_LAMBDA)")
        parser.add_argument("--neighbors", type=int, help="neighbours kept per movie (RECS_NEIGHBORS)")
        parser.add_argument("--max-items", type=int, help="most favorited movies trained on (RECS_MAX_ITEMS)")
        parser.add_argument("--min-users", type=int, help="refuse below this many users (RECS_MIN_USERS)")

    def handle(self, *args, ease_lambda=None, neighbors=None, max_items=None, min_users=None, **options):
        try:
            version = recommender_train(ease_lambda=ease_lambda, neighbors=neighbors, max_items=max_items,
                                        min_users=min_users)
        except TooFewUsers as exc:
            self.stdout.write(f"Not trained: {exc}. The personal list keeps working without a model.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Model version {version.pk}: {version.users} users, {version.movies} movies, "
            f"{version.favorites} favorites, lambda {version.ease_lambda:g}, {version.neighbors} neighbours "
            f"per movie ({version.neighbor_rows} rows), {version.duration:.1f} s"
        ))
