"""
Offline evaluation of the personal recommender (users/recommender.py + users/selectors.py) on the
embedded default, against simple baselines, side by side in one run.

The community is synthetic (no real usage data ships with the project): users belong to latent taste
clusters over the demo catalogue, each cluster liking its own set of movies around two core genres;
a user favorites mostly from their cluster's set, some at random. Each user's latest favorite is held
out; a model scores a hit when the held-out movie is in its top K. What this measures is whether
the ranker recovers taste structure from co-favorites and genres; it is a regression harness for
changes to the ranking, not a claim about real users.

Its fair baselines are the most-favorited list and plain co-favorite counting (both printed): the
community is made of taste clusters, so counting co-favorites recovers it about as well as the
hybrid does. "Recommended for everyone" (a quality list unrelated to how the community was
generated) and random are floors, not baselines. Quality claims rest on MovieLens-100K instead
(bench/recs_movielens.py, `make eval-recs`).

    .venv/bin/python bench/recs_eval.py                 # USERS=300 by default
"""

import math
import os
import random
import sys
from collections import Counter
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movie_backend.settings")
os.environ.setdefault("SECRET_KEY", "eval-secret-key-" + "x" * 40)
os.environ.setdefault("JWT_SIGNING_KEY", "eval-jwt-key-" + "y" * 40)
for name in ("DATABASE_URL", "REDIS_URL", "TMDB_API_KEY", "TMDB_READ_ACCESS_TOKEN"):
    os.environ.pop(name, None)  # the embedded default: local signals only

USERS = int(os.environ.get("USERS", "300"))
CLUSTERS = 10
CLUSTER_SIZE = 22
IN_CLUSTER = 0.85  # share of a user's favorites drawn from their cluster's set
KS = (10, 20)
SEED = 7


def build_community(rng, movies, genres_of):
    """Clusters (core genres + liked movies) and users (cluster, favorites newest last, preferred)."""
    genre_counts = Counter(g for gs in genres_of.values() for g in gs)
    common = [g for g, n in genre_counts.items() if n >= 10]
    clusters = []
    for _ in range(CLUSTERS):
        core = rng.sample(common, 2)
        matching = [m for m in movies if set(genres_of[m]) & set(core)]
        liked = rng.sample(matching, min(len(matching), CLUSTER_SIZE - 4)) + rng.sample(movies, 4)
        clusters.append((core, list(dict.fromkeys(liked))))
    users = []
    for _ in range(USERS):
        core, liked = rng.choice(clusters)
        favorites: list[int] = []
        for _ in range(rng.randint(5, 12)):
            pool = liked if rng.random() < IN_CLUSTER else movies
            choice = rng.choice(pool)
            if choice not in favorites:
                favorites.append(choice)
        preferred = core if rng.random() < 0.5 else []
        users.append((favorites, preferred))
    return users


def dcg_at(rank: int | None, k: int) -> float:
    return 1 / math.log2(rank + 1) if rank is not None and rank <= k else 0.0


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    (ROOT / "var").mkdir(exist_ok=True)
    connection.settings_dict["TEST"]["NAME"] = str(ROOT / "var" / "recs_eval.sqlite3")
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    call_command("seed_demo", verbosity=0)

    from movies import selectors as movie_selectors
    from movies.models import Movie
    from users import recommender
    from users.models import Favorite, Profile, User
    from users.recommendations import recommendations_build

    rng = random.Random(SEED)
    movies = sorted(Movie.objects.values_list("id", flat=True))
    genres_of = {m.id: [g.id for g in m.genres.all()] for m in Movie.objects.prefetch_related("genres")}
    community = build_community(rng, movies, genres_of)

    held_out: dict[int, int] = {}
    favorite_rows = []
    for index, (favorites, preferred) in enumerate(community):
        user = User.objects.create(username=f"eval{index}")
        profile = Profile.objects.create(user=user)
        profile.preferred_genres.set(preferred)
        *train, test = favorites
        held_out[user.id] = test
        favorite_rows += [Favorite(user=user, movie_id=m) for m in train]
    # added_at is stamped at insert; recency ties break by id, i.e. insertion order, newest last.
    Favorite.objects.bulk_create(favorite_rows)

    everyone = _full_quality_order(movie_selectors, movies)

    def hybrid(user):
        return [item["id"] for item in recommendations_build(user=user)]

    def without_co_occurrence(user):
        with mock.patch.object(recommender, "CO_OCCURRENCE_WEIGHT", 0.0):
            return hybrid(user)

    def genres_only(user):
        with mock.patch.object(recommender, "CO_OCCURRENCE_WEIGHT", 0.0), \
                mock.patch.object(recommender, "TMDB_WEIGHT", 0.0):
            return hybrid(user)

    def quality_for_everyone(user):
        return everyone

    fans: dict[int, set[int]] = {}
    for user_id, movie_id in Favorite.objects.values_list("user_id", "movie_id"):
        fans.setdefault(movie_id, set()).add(user_id)
    most_favorited = sorted(movies, key=lambda m: (-len(fans.get(m, ())), m))

    def most_favorited_list(user):
        return most_favorited

    def co_favorite_counts(user):
        """Per movie, how many (training favorite, other fan) pairs it shares with the user."""
        counts: Counter = Counter()
        for seed in train_of.get(user.id, ()):
            for fan in fans.get(seed, set()) - {user.id}:
                counts.update(train_of[fan])
        return [m for m, _ in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))]

    def shuffled(user):
        ids = movies[:]
        random.Random(user.id).shuffle(ids)
        return ids

    models = {
        "hybrid (ours)": hybrid,
        "ours without co-occurrence": without_co_occurrence,
        "ours, genre signals only": genres_only,
        "most favorited (fair)": most_favorited_list,
        "co-favorite counts (fair)": co_favorite_counts,
        "recommended for everyone": quality_for_everyone,
        "random": shuffled,
    }
    users = list(User.objects.filter(pk__in=held_out).order_by("pk"))
    train_of = {}
    for user_id, movie_id in Favorite.objects.values_list("user_id", "movie_id"):
        train_of.setdefault(user_id, set()).add(movie_id)

    print(f"synthetic community: {len(users)} users, {CLUSTERS} taste clusters, {len(movies)} movies, "
          f"{len(favorite_rows)} training favorites; held out: each user's latest favorite")
    header = f"{'model':30}" + "".join(f"{'HR@' + str(k):>8}" for k in KS) + f"{'NDCG@20':>9}{'MRR':>7}"
    print(header)
    results = {}
    for name, model in models.items():
        hits = dict.fromkeys(KS, 0)
        ndcg = mrr = 0.0
        for user in users:
            ranked = [m for m in model(user) if m not in train_of.get(user.id, ())]
            target = held_out[user.id]
            rank = ranked.index(target) + 1 if target in ranked else None
            for k in KS:
                hits[k] += rank is not None and rank <= k
            ndcg += dcg_at(rank, 20)
            mrr += 1 / rank if rank else 0.0
        n = len(users)
        results[name] = hits[20] / n
        print(f"{name:30}" + "".join(f"{hits[k] / n:8.3f}" for k in KS) + f"{ndcg / n:9.3f}{mrr / n:7.3f}")
    ours = results["hybrid (ours)"]
    print(f"HR@20 of ours / most favorited: {ours / max(results['most favorited (fair)'], 1e-9):.2f}x; "
          f"/ co-favorite counts: {ours / max(results['co-favorite counts (fair)'], 1e-9):.2f}x; "
          f"/ recommended-for-everyone: {ours / max(results['recommended for everyone'], 1e-9):.2f}x")
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def _full_quality_order(movie_selectors, movies) -> list[int]:
    order: list[int] = []
    page = 1
    while len(order) < len(movies):
        results = movie_selectors.catalogue_ranked(page=page, genre=None)["results"]
        if not results:
            break
        order += [m.id for m in results]
        page += 1
    return order


if __name__ == "__main__":
    main()
