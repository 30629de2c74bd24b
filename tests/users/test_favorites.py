import threading

import pytest
from django.core.management import call_command
from django.db import connection

from tests.builders import make_movie, make_user
from tests.users.conftest import bearer_client
from users.models import Favorite

pytestmark = pytest.mark.django_db

FAVORITES = "/api/users/favorites/"
IMAGE = "https://image.tmdb.org/t/p/"


def summary(movie, genres):
    return {
        "id": movie.id, "title": movie.title, "original_title": movie.original_title, "overview": "",
        "release_date": "2020-01-01", "genre_ids": [g[0] for g in genres],
        "genres": [{"id": g, "name": n} for g, n in genres], "vote_average": 7.0, "vote_count": 1000,
        "popularity": 10.0, "original_language": "en", "poster_path": None, "poster_url": None,
        "backdrop_path": None, "backdrop_url": None,
    }


def iso(value):
    return value.isoformat().replace("+00:00", "Z")


def test_add_favorite_201_then_200_same_body_no_duplicate(alice_client, user):
    movie = make_movie(id=603, genres=(878, 28))

    first = alice_client.post(FAVORITES, {"movie_id": 603}, format="json")
    second = alice_client.post(FAVORITES, {"movie_id": 603}, format="json")

    favorite = Favorite.objects.get(user=user)
    expected = {"movie": summary(movie, [(28, "Action"), (878, "Science Fiction")]), "added_at": iso(favorite.added_at)}
    assert first.status_code == 201
    assert first.json() == expected
    assert second.status_code == 200
    assert second.json() == expected
    assert Favorite.objects.count() == 1


def test_add_favorite_ignores_user_field(alice_client, user):
    bob = make_user("bob")
    make_movie(id=603)

    response = alice_client.post(FAVORITES, {"movie_id": 603, "user": bob.id}, format="json")

    assert response.status_code == 201
    assert list(Favorite.objects.values_list("user_id", flat=True)) == [user.id]


def test_add_unknown_movie_404(alice_client):
    response = alice_client.post(FAVORITES, {"movie_id": 999999}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Favorite.objects.exists()


def test_add_unknown_movie_404_with_tmdb(alice_client, tmdb):
    tmdb.add_error("/movie/999999", 404)

    response = alice_client.post(FAVORITES, {"movie_id": 999999}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_add_movie_never_served_fetches_it_from_tmdb(alice_client, tmdb):
    tmdb.add_details(550, title="Fight Club")

    response = alice_client.post(FAVORITES, {"movie_id": 550}, format="json")

    assert response.status_code == 201
    assert response.json()["movie"]["title"] == "Fight Club"
    assert response.json()["movie"]["poster_url"] == f"{IMAGE}w500/p550.jpg"
    assert len(tmdb.upstream_calls(r"^/3/movie/550$")) == 1


@pytest.mark.parametrize(
    ("movie_id", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (-5, "Ensure this value is greater than or equal to 1."),
        ("abc", "A valid integer is required."),
        (2_147_483_648, "Ensure this value is less than or equal to 2147483647."),
        (None, "This field may not be null."),
    ],
)
def test_add_invalid_id_400(alice_client, movie_id, message):
    response = alice_client.post(FAVORITES, {"movie_id": movie_id}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "errors": {"movie_id": [message]}}


def test_add_requires_auth(api_client):
    response = api_client.post(FAVORITES, {"movie_id": 1}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_list_newest_first_only_mine(alice_client, user, client_of):
    old, new, bobs = make_movie(id=1), make_movie(id=2), make_movie(id=3)
    Favorite.objects.create(user=user, movie=old)
    Favorite.objects.create(user=user, movie=new)
    Favorite.objects.create(user=make_user("bob"), movie=bobs)

    response = alice_client.get(FAVORITES)

    assert response.status_code == 200
    body = response.json()
    assert [item["movie"]["id"] for item in body["results"]] == [2, 1]
    assert {k: body[k] for k in ("page", "total_pages", "total_results")} == {"page": 1, "total_pages": 1, "total_results": 2}
    assert body["results"][0] == {"movie": summary(new, [(18, "Drama")]),
                                  "added_at": iso(Favorite.objects.get(user=user, movie=new).added_at)}


def test_list_pagination_and_bad_page(alice_client, user):
    for n in range(25):
        Favorite.objects.create(user=user, movie=make_movie(id=100 + n))

    page2 = alice_client.get(FAVORITES, {"page": 2}).json()
    past_end = alice_client.get(FAVORITES, {"page": 3}).json()
    bad = alice_client.get(FAVORITES, {"page": 501})

    assert [item["movie"]["id"] for item in page2["results"]] == [104, 103, 102, 101, 100]
    assert (page2["page"], page2["total_pages"], page2["total_results"]) == (2, 2, 25)
    assert past_end == {"page": 3, "total_pages": 2, "total_results": 25, "results": []}
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"page": ["Ensure this value is less than or equal to 500."]}


@pytest.mark.parametrize("count", [1, 25])
def test_list_constant_queries(alice_client, user, count, django_assert_max_num_queries):
    for n in range(count):
        Favorite.objects.create(user=user, movie=make_movie(id=200 + n, genres=(18, 878)))

    # auth user, count, page slice with movie, genres prefetch
    with django_assert_max_num_queries(4):
        response = alice_client.get(FAVORITES)

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(count, 20)


def test_list_makes_no_upstream_call(alice_client, user, tmdb):
    Favorite.objects.create(user=user, movie=make_movie(id=1))

    response = alice_client.get(FAVORITES)

    assert response.status_code == 200
    assert tmdb.upstream_calls() == []


def test_delete_favorite_204(alice_client, user):
    Favorite.objects.create(user=user, movie=make_movie(id=1))

    response = alice_client.delete(f"{FAVORITES}1/")

    assert response.status_code == 204
    assert not Favorite.objects.exists()
    assert alice_client.delete(f"{FAVORITES}1/").status_code == 404


def test_delete_not_a_favorite_404(alice_client):
    make_movie(id=1)

    response = alice_client.delete(f"{FAVORITES}1/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_delete_someone_elses_favorite_404_row_untouched(alice_client):
    bob = make_user("bob")
    Favorite.objects.create(user=bob, movie=make_movie(id=1))

    response = alice_client.delete(f"{FAVORITES}1/")
    unknown = alice_client.delete(f"{FAVORITES}2/")

    assert response.status_code == unknown.status_code == 404
    assert response.json() == unknown.json()
    assert Favorite.objects.filter(user=bob, movie_id=1).exists()
    assert alice_client.get(FAVORITES).json()["results"] == []


def test_delete_invalid_id_404(alice_client):
    assert alice_client.delete(f"{FAVORITES}abc/").status_code == 404
    assert alice_client.delete(f"{FAVORITES}0/").status_code == 404


@pytest.fixture
def concurrent_database(tmp_path):
    """The real database, able to take concurrent writers. PostgreSQL as configured. On SQLite,
    pytest-django's shared-cache in-memory database answers concurrent writers with "table is locked"
    instead of waiting, so the test runs on a fresh SQLite file, like the embedded default's db.sqlite3."""
    if connection.vendor != "sqlite":
        yield
        return
    settings_dict = connection.settings_dict  # the same dict the threads' new connections read
    original_name, in_memory = settings_dict["NAME"], connection.connection
    # Closing an in-memory SQLite connection would drop the test database: park it instead.
    connection.connection = None
    settings_dict["NAME"] = str(tmp_path / "concurrent.sqlite3")
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = original_name
        connection.connection = in_memory


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_adds_create_one_row(concurrent_database):
    user = make_user("racer")
    make_movie(id=603)
    barrier = threading.Barrier(30)
    statuses, errors = [], []

    def add():
        client = bearer_client(user)
        try:
            barrier.wait()
            statuses.append(client.post(FAVORITES, {"movie_id": 603}, format="json").status_code)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [200] * 29 + [201]
    assert Favorite.objects.filter(user=user, movie_id=603).count() == 1
