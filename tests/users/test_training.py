"""`manage.py train_recommender`: figures, neighbours, the atomic switch, failures, pruning, fallback."""

import io
import threading

import numpy as np
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from recs import ease
from recs import selectors as recs_selectors
from recs.models import ModelMovie, ModelVersion, Neighbor, UserScore
from tests.builders import make_movie, make_user
from tests.users.test_favorites import concurrent_database  # noqa: F401 - fixture
from users.models import Favorite, User

pytestmark = pytest.mark.django_db

# 4 users x 3 movies: 1 and 2 always go together, 3 is on its own (tests/recs/test_ease.py's X).
TASTES = [[1, 2], [1, 2], [3], [1, 2, 3]]


@pytest.fixture
def community(db):
    movies = {n: make_movie(id=n) for n in (1, 2, 3)}
    for index, liked in enumerate(TASTES):
        fan = make_user(f"fan{index}")
        for n in liked:
            Favorite.objects.create(user=fan, movie=movies[n])
    return movies


def train(**options) -> str:
    out = io.StringIO()
    call_command("train_recommender", **{"min_users": 1, "lambda": 1.0, **options}, stdout=out)
    return out.getvalue()


def neighbours(version: ModelVersion) -> dict[tuple[int, int], float]:
    rows = Neighbor.objects.filter(version=version).values_list("movie_id", "neighbor_id", "weight")
    return {(m, n): w for m, n, w in rows}


def test_train_stores_a_version_with_its_figures_and_neighbours(community):
    output = train(neighbors=1)

    version = ModelVersion.objects.get()
    assert output.startswith(f"Model version {version.pk}: 4 users, 3 movies, 8 favorites, lambda 1, 1 neighbours")
    assert (version.users, version.movies, version.favorites, version.neighbors) == (4, 3, 8, 1)
    assert (version.ease_lambda, version.neighbor_rows, version.user_rows) == (1.0, 3, 4)
    assert version.duration > 0
    # B from the worked example: 1 <-> 2 weigh 8/11 (above 1/7 to 3); 3 -> 1 and 3 -> 2 weigh 1/11
    # each, a tie that float32 rounding settles either way.
    rows = neighbours(version)
    assert {pair: weight for pair, weight in rows.items() if pair[0] != 3} == {
        (1, 2): pytest.approx(8 / 11), (2, 1): pytest.approx(8 / 11)}
    assert [weight for pair, weight in rows.items() if pair[0] == 3] == [pytest.approx(1 / 11)]


def test_train_stores_each_users_best_movies_by_the_full_model(community):
    train(neighbors=1)

    version = ModelVersion.objects.get()
    rows = UserScore.objects.filter(version=version).values_list("user_id", "movie_id", "score", "because_id")
    fans = dict(User.objects.values_list("username", "id"))
    # fan0 and fan1 (1, 2): 3 scores 1/7 + 1/7 from either; fan2 (3): 1 and 2 score 1/11 each, from 3;
    # fan3 has everything. The full model, not the pruned one: 3 is no kept neighbour of 1 or 2.
    assert sorted((u, m, round(s, 5)) for u, m, s, _ in rows) == sorted([
        (fans["fan0"], 3, round(2 / 7, 5)), (fans["fan1"], 3, round(2 / 7, 5)),
        (fans["fan2"], 1, round(1 / 11, 5)), (fans["fan2"], 2, round(1 / 11, 5))])
    assert {(u, b) for u, m, _, b in rows if u == fans["fan2"]} == {(fans["fan2"], 3)}
    assert version.user_rows == 4


def test_train_keeps_every_positive_weight_up_to_neighbors(community):
    train(neighbors=100)

    dense = ease.fit_dense_reference(np.array([[n in t for n in (1, 2, 3)] for t in TASTES], float), lam=1.0)
    expected = {(m + 1, n + 1): pytest.approx(dense[m, n], rel=1e-5) for m in range(3) for n in range(3) if dense[m, n] > 0}
    assert neighbours(ModelVersion.objects.get()) == expected


def test_train_caps_the_movies_at_max_items(community):
    train(max_items=2)

    version = ModelVersion.objects.get()
    assert (version.movies, version.favorites) == (2, 6)  # 1 and 2 (3 fans each); 3 (2 fans) is cut
    assert set(neighbours(version)) == {(1, 2), (2, 1)}


def test_train_refuses_below_min_users_and_keeps_the_old_model(community):
    train()
    old = ModelVersion.objects.get()

    output = train(min_users=5)

    assert output == ("Not trained: 4 users have favorites; at least 5 are needed to train. "
                      "The personal list keeps working without a model.\n")
    assert list(ModelVersion.objects.all()) == [old]


def test_train_with_no_favorites_at_all_refuses(db):
    output = train(min_users=0)

    assert output.startswith("Not trained: 0 users have favorites; at least 0 are needed")
    assert not ModelVersion.objects.exists()


def test_a_failed_run_leaves_the_old_version_serving(community):
    train()
    old = ModelVersion.objects.get()
    old_rows = neighbours(old)
    Favorite.objects.create(user=make_user("late"), movie=community[3])

    def fail_on_neighbour_rows(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "recs_neighbor"'):
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_on_neighbour_rows), pytest.raises(DatabaseError, match="disk full"):
        train()

    assert list(ModelVersion.objects.all()) == [old]
    assert recs_selectors.model_active() == old
    assert neighbours(old) == old_rows
    assert Neighbor.objects.count() == len(old_rows)
    assert set(ModelMovie.objects.values_list("version_id", flat=True)) == {old.pk}


def test_only_the_last_versions_are_kept(community, settings):
    settings.RECS_KEEP_VERSIONS = 2
    train()
    train()
    train()

    versions = list(ModelVersion.objects.order_by("id"))
    assert len(versions) == 2
    assert set(Neighbor.objects.values_list("version_id", flat=True)) == {v.pk for v in versions}
    assert set(ModelMovie.objects.values_list("version_id", flat=True)) == {v.pk for v in versions}
    assert recs_selectors.model_active() == versions[-1]


def test_a_version_knows_exactly_the_movies_it_was_trained_on(community):
    make_movie(id=4)  # in the catalogue, favorited by nobody
    train()
    version = ModelVersion.objects.get()

    assert set(ModelMovie.objects.filter(version=version).values_list("movie_id", flat=True)) == {1, 2, 3}
    assert recs_selectors.known_movie_ids(version_id=version.pk, movie_ids=[2, 4, 3, 99]) == {2, 3}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_readers_see_the_old_version_until_the_new_one_is_complete(concurrent_database):  # noqa: F811
    movies = {n: make_movie(id=n) for n in (1, 2, 3)}
    for index, liked in enumerate(TASTES):
        fan = make_user(f"fan{index}")
        for n in liked:
            Favorite.objects.create(user=fan, movie=movies[n])
    train(neighbors=2)
    old = ModelVersion.objects.get()
    Favorite.objects.filter(movie_id=3).delete()  # the next model differs: no movie 3
    seen = []

    def read_from_another_connection():
        try:
            version = recs_selectors.model_active()
            seen.append((version.pk, sorted(recs_selectors.neighbor_rows(version_id=version.pk, movie_ids=[1, 2, 3]))))
        finally:
            connection.close()

    def read_while_rows_are_written(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "recs_neighbor"'):  # the new rows are written, not committed
            reader = threading.Thread(target=read_from_another_connection)
            reader.start()
            reader.join()
        return result

    with connection.execute_wrapper(read_while_rows_are_written):
        train(neighbors=2)

    new = ModelVersion.objects.order_by("-id").first()
    assert new.pk != old.pk
    assert seen == [(old.pk, [
        (1, 2, pytest.approx(8 / 11)), (1, 3, pytest.approx(1 / 7)), (2, 1, pytest.approx(8 / 11)),
        (2, 3, pytest.approx(1 / 7)), (3, 1, pytest.approx(1 / 11)), (3, 2, pytest.approx(1 / 11))])]
    # the new model: 3 people like 1 and 2; G = [[4, 3], [3, 4]], so B = 3/4 both ways
    assert sorted(recs_selectors.neighbor_rows(version_id=new.pk, movie_ids=[1, 2, 3])) == [
        (1, 2, pytest.approx(3 / 4)), (2, 1, pytest.approx(3 / 4))]
