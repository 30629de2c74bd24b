import threading

import pytest
from django.db import connection

from tests.builders import make_movie, make_user
from tests.users.conftest import bearer_client
from tests.users.test_favorites import concurrent_database, iso, summary  # noqa: F401 - fixture
from users.models import NotInterested

pytestmark = pytest.mark.django_db

NOT_INTERESTED = "/api/users/not-interested/"
IMAGE = "https://image.tmdb.org/t/p/"


def test_mark_201_then_200_same_body_no_duplicate(alice_client, user):
    movie = make_movie(id=603, genres=(878, 28))

    first = alice_client.post(NOT_INTERESTED, {"movie_id": 603}, format="json")
    second = alice_client.post(NOT_INTERESTED, {"movie_id": 603}, format="json")

    mark = NotInterested.objects.get(user=user)
    expected = {"movie": summary(movie, [(28, "Action"), (878, "Science Fiction")]), "created_at": iso(mark.created_at)}
    assert first.status_code == 201
    assert first.json() == expected
    assert second.status_code == 200
    assert second.json() == expected
    assert NotInterested.objects.count() == 1


def test_mark_ignores_user_field(alice_client, user):
    bob = make_user("bob")
    make_movie(id=603)

    response = alice_client.post(NOT_INTERESTED, {"movie_id": 603, "user": bob.id}, format="json")

    assert response.status_code == 201
    assert list(NotInterested.objects.values_list("user_id", flat=True)) == [user.id]


def test_mark_unknown_movie_404(alice_client):
    response = alice_client.post(NOT_INTERESTED, {"movie_id": 999999}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Movie not found.", "code": "not_found"}
    assert not NotInterested.objects.exists()


def test_mark_unknown_movie_404_with_tmdb(alice_client, tmdb):
    tmdb.add_error("/movie/999999", 404)

    response = alice_client.post(NOT_INTERESTED, {"movie_id": 999999}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_mark_movie_never_served_fetches_it_from_tmdb(alice_client, tmdb):
    tmdb.add_details(550, title="Fight Club")

    response = alice_client.post(NOT_INTERESTED, {"movie_id": 550}, format="json")

    assert response.status_code == 201
    assert response.json()["movie"]["title"] == "Fight Club"
    assert response.json()["movie"]["poster_url"] == f"{IMAGE}w500/p550.jpg"
    assert len(tmdb.upstream_calls(r"^/3/movie/550$")) == 1


@pytest.mark.parametrize(
    ("movie_id", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        ("abc", "A valid integer is required."),
        (2_147_483_648, "Ensure this value is less than or equal to 2147483647."),
        (None, "This field may not be null."),
    ],
)
def test_mark_invalid_id_400(alice_client, movie_id, message):
    response = alice_client.post(NOT_INTERESTED, {"movie_id": movie_id}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "errors": {"movie_id": [message]}}


def test_mark_requires_auth(api_client):
    post = api_client.post(NOT_INTERESTED, {"movie_id": 1}, format="json")
    get = api_client.get(NOT_INTERESTED)
    delete = api_client.delete(f"{NOT_INTERESTED}1/")

    assert post.status_code == get.status_code == delete.status_code == 401
    assert post["WWW-Authenticate"] == 'Bearer realm="api"'


def test_list_newest_first_only_mine(alice_client, user):
    old, new, bobs = make_movie(id=1), make_movie(id=2), make_movie(id=3)
    NotInterested.objects.create(user=user, movie=old)
    NotInterested.objects.create(user=user, movie=new)
    NotInterested.objects.create(user=make_user("bob"), movie=bobs)

    response = alice_client.get(NOT_INTERESTED)

    assert response.status_code == 200
    body = response.json()
    assert [item["movie"]["id"] for item in body["results"]] == [2, 1]
    assert {k: body[k] for k in ("page", "total_pages", "total_results")} == {"page": 1, "total_pages": 1, "total_results": 2}
    assert body["results"][0] == {"movie": summary(new, [(18, "Drama")]),
                                  "created_at": iso(NotInterested.objects.get(user=user, movie=new).created_at)}


def test_list_pagination_and_bad_page(alice_client, user):
    for n in range(25):
        NotInterested.objects.create(user=user, movie=make_movie(id=100 + n))

    page2 = alice_client.get(NOT_INTERESTED, {"page": 2}).json()
    past_end = alice_client.get(NOT_INTERESTED, {"page": 3}).json()
    bad = alice_client.get(NOT_INTERESTED, {"page": 501})

    assert [item["movie"]["id"] for item in page2["results"]] == [104, 103, 102, 101, 100]
    assert (page2["page"], page2["total_pages"], page2["total_results"]) == (2, 2, 25)
    assert past_end == {"page": 3, "total_pages": 2, "total_results": 25, "results": []}
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"page": ["Ensure this value is less than or equal to 500."]}


@pytest.mark.parametrize("count", [1, 25])
def test_list_constant_queries(alice_client, user, count, django_assert_max_num_queries):
    for n in range(count):
        NotInterested.objects.create(user=user, movie=make_movie(id=200 + n, genres=(18, 878)))

    # auth user, count, page slice with movie, genres prefetch
    with django_assert_max_num_queries(4):
        response = alice_client.get(NOT_INTERESTED)

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(count, 20)


def test_list_makes_no_upstream_call(alice_client, user, tmdb):
    NotInterested.objects.create(user=user, movie=make_movie(id=1))

    response = alice_client.get(NOT_INTERESTED)

    assert response.status_code == 200
    assert tmdb.upstream_calls() == []


def test_delete_mark_204(alice_client, user):
    NotInterested.objects.create(user=user, movie=make_movie(id=1))

    response = alice_client.delete(f"{NOT_INTERESTED}1/")

    assert response.status_code == 204
    assert not NotInterested.objects.exists()
    assert alice_client.delete(f"{NOT_INTERESTED}1/").status_code == 404


def test_delete_not_marked_404(alice_client):
    make_movie(id=1)

    response = alice_client.delete(f"{NOT_INTERESTED}1/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_delete_someone_elses_mark_404_row_untouched(alice_client):
    bob = make_user("bob")
    NotInterested.objects.create(user=bob, movie=make_movie(id=1))

    response = alice_client.delete(f"{NOT_INTERESTED}1/")
    unknown = alice_client.delete(f"{NOT_INTERESTED}2/")

    assert response.status_code == unknown.status_code == 404
    assert response.json() == unknown.json()
    assert NotInterested.objects.filter(user=bob, movie_id=1).exists()
    assert alice_client.get(NOT_INTERESTED).json()["results"] == []


def test_delete_invalid_id_404(alice_client):
    assert alice_client.delete(f"{NOT_INTERESTED}abc/").status_code == 404
    assert alice_client.delete(f"{NOT_INTERESTED}0/").status_code == 404


def test_marking_and_unmarking_change_the_cached_list_at_once(alice_client):
    make_movie(id=10, vote_average=7.0)
    make_movie(id=11, vote_average=8.0)
    before = alice_client.get("/api/users/recommendations/")
    cached = alice_client.get("/api/users/recommendations/")

    alice_client.post(NOT_INTERESTED, {"movie_id": 11}, format="json")
    marked = alice_client.get("/api/users/recommendations/")
    alice_client.delete(f"{NOT_INTERESTED}11/")
    unmarked = alice_client.get("/api/users/recommendations/")

    assert (before["X-Cache"], cached["X-Cache"], marked["X-Cache"], unmarked["X-Cache"]) == ("MISS", "HIT", "MISS", "MISS")
    assert [m["id"] for m in before.json()["results"]] == [11, 10]
    assert [m["id"] for m in marked.json()["results"]] == [10]
    assert [m["id"] for m in unmarked.json()["results"]] == [11, 10]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_marks_create_one_row(concurrent_database):  # noqa: F811
    user = make_user("racer")
    make_movie(id=603)
    barrier = threading.Barrier(30)
    statuses, errors = [], []

    def mark():
        client = bearer_client(user)
        try:
            barrier.wait()
            statuses.append(client.post(NOT_INTERESTED, {"movie_id": 603}, format="json").status_code)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=mark) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [200] * 29 + [201]
    assert NotInterested.objects.filter(user=user, movie_id=603).count() == 1
