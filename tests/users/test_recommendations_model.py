"""The personal list and "more like this" with a trained model (manage.py train_recommender)."""

import io

import pytest
from django.core.management import call_command

from recs.models import ModelVersion
from tests.builders import make_movie, make_user
from tests.fakes import movie_item
from users.models import Favorite, NotInterested

pytestmark = pytest.mark.django_db

RECS, NOT_INTERESTED = "/api/users/recommendations/", "/api/users/not-interested/"


def ids(response):
    return [item["id"] for item in response.json()["results"]]


def reasons(response):
    return {item["id"]: item["reason"] for item in response.json()["results"]}


def liked(movie_id, title):
    return {"kind": "because_you_liked", "movie_id": movie_id, "text": f"Because you liked {title}"}


def train(**options):
    call_command("train_recommender", min_users=1, stdout=io.StringIO(), **options)


@pytest.fixture
def community(user):
    """Alice likes Alien (oldest) and Heat. Alien's fans also like 3, Heat's fans also like 4, and
    a crowd likes 5 with neither. 6 is liked by nobody (only the genre and popular lists know it)."""
    alien = make_movie(id=1, title="Alien", genres=(878,))
    heat = make_movie(id=2, title="Heat", genres=(80,))
    movies = {n: make_movie(id=n, genres=(18,), vote_average=6.0 + n / 10) for n in (3, 4, 5, 6)}
    Favorite.objects.create(user=user, movie=alien)
    Favorite.objects.create(user=user, movie=heat)
    for index in range(6):
        fan = make_user(f"alienfan{index}")
        Favorite.objects.bulk_create([Favorite(user=fan, movie=m) for m in (alien, movies[3])])
    for index in range(3):
        fan = make_user(f"heatfan{index}")
        Favorite.objects.bulk_create([Favorite(user=fan, movie=m) for m in (heat, movies[4])])
    for index in range(8):
        Favorite.objects.create(user=make_user(f"crowd{index}"), movie=movies[5])
    return movies


def test_the_model_leads_and_names_the_favorite_that_contributed_most(alice_client, community):
    without_model = alice_client.get(RECS)
    train(**{"lambda": 1.0})

    response = alice_client.get(RECS)

    assert response.status_code == 200
    assert response["X-Cache"] == "MISS"  # a new model reaches cached lists at once
    assert ids(response)[:2] == [3, 4]  # 6 fans of Alien like 3, 3 fans of Heat like 4
    assert reasons(response)[3] == liked(1, "Alien")  # not Heat, the latest favorite
    assert reasons(response)[4] == liked(2, "Heat")
    assert set(ids(response)) == {3, 4, 5, 6}  # the other sources still fill in after the model
    assert ids(without_model) != ids(response)


def test_favorites_added_after_training_count_at_once(client_of, community):
    train(**{"lambda": 1.0})
    newcomer = make_user("newcomer")  # no favorites when the model was trained
    client = client_of(newcomer)
    assert {r["kind"] for r in reasons(client.get(RECS)).values()} == {"popular"}  # cold start

    added = client.post("/api/users/favorites/", {"movie_id": 1}, format="json")
    response = client.get(RECS)

    assert added.status_code == 201
    assert ids(response)[0] == 3  # Alien's stored neighbour
    assert reasons(response)[3] == liked(1, "Alien")


def test_not_interested_movies_never_appear(alice_client, community):
    train(**{"lambda": 1.0})
    assert ids(alice_client.get(RECS))[0] == 3

    marked = alice_client.post(NOT_INTERESTED, {"movie_id": 3}, format="json")
    response = alice_client.get(RECS)

    assert marked.status_code == 201
    assert response["X-Cache"] == "MISS"
    assert 3 not in ids(response)
    assert ids(response)[0] == 4


def test_not_interested_movies_never_appear_without_a_model(alice_client, user, community):
    NotInterested.objects.create(user=make_user("bob"), movie=community[4])  # someone else's mark
    NotInterested.objects.create(user=user, movie=community[3])

    response = alice_client.get(RECS)

    assert not ModelVersion.objects.exists()
    assert 3 not in ids(response)
    assert 4 in ids(response)


def test_a_favorite_the_model_does_not_know_falls_back_to_co_favorites(alice_client, user, community):
    train(**{"lambda": 1.0, "max_items": 1})  # the model knows only movie 5, which Alice has not liked

    response = alice_client.get(RECS)

    assert ModelVersion.objects.get().movies == 1
    # as without a model: one co-favorite list per latest favorite, the newest (Heat) weighing most
    assert ids(response)[:2] == [4, 3]
    assert (reasons(response)[4], reasons(response)[3]) == (liked(2, "Heat"), liked(1, "Alien"))


@pytest.mark.parametrize("count", [1, 100])
def test_query_count_is_constant_in_the_number_of_favorites(alice_client, user, count, django_assert_max_num_queries):
    movies = [make_movie(genres=(18, 878)) for _ in range(count + 5)]
    Favorite.objects.bulk_create([Favorite(user=user, movie=m) for m in movies[:count]])
    for index in range(5):
        peer = make_user(f"peer{index}")
        Favorite.objects.bulk_create([Favorite(user=peer, movie=m) for m in movies])
    train(**{"lambda": 1.0})

    # auth, favorites, marks, preferred genres, genre counts, the model (version, known favorites,
    # the user's stored best movies, neighbours of favorites added since: 4 whatever the count),
    # 2 genre lists + popular (3 each: catalogue ranking, cached afterwards), candidates' popularity
    # and genres, genre names, the page's 20 movies and their genres; no per-seed local list (the
    # model stands for it without TMDb)
    with django_assert_max_num_queries(22):
        response = alice_client.get(RECS)

    assert response.status_code == 200
    assert set(ids(response)) == {m.id for m in movies[count:]}


def test_a_page_of_a_ranked_list_reads_only_its_own_movies(alice_client, user, django_assert_num_queries):
    movies = [make_movie(genres=(18,)) for _ in range(45)]
    for index in range(3):
        peer = make_user(f"peer{index}")
        Favorite.objects.bulk_create([Favorite(user=peer, movie=m) for m in movies])
    Favorite.objects.create(user=user, movie=movies[0])
    alice_client.get(RECS)  # ranks the whole list and caches it

    with django_assert_num_queries(3):  # auth, then the page's movies and their genres
        page_3 = alice_client.get(RECS, {"page": 3})

    assert page_3.status_code == 200
    body = page_3.json()
    assert (body["page"], body["total_results"], body["total_pages"]) == (3, 44, 3)
    assert len(body["results"]) == 4
    assert {"title", "genres", "poster_url", "reason"} <= body["results"][0].keys()


def test_a_movie_gone_from_the_catalogue_since_the_ranking_is_left_out_of_its_page(alice_client, community):
    first = alice_client.get(RECS)
    gone = ids(first)[0]
    community[gone].delete()

    again = alice_client.get(RECS, {"page": 1, "ranked": "again"})  # not the stored page: read afresh

    assert again.status_code == 200
    assert ids(again) == ids(first)[1:]


def test_more_like_this_uses_the_model_neighbours(api_client, community):
    before = api_client.get("/api/movies/1/recommendations/")
    train(**{"lambda": 1.0})

    response = api_client.get("/api/movies/1/recommendations/")

    assert response.status_code == 200
    assert ids(response)[0] == 3  # Alien's model neighbour, then the catalogue's own list
    assert 1 not in ids(response)
    assert response.json()["total_results"] == len(ids(response))
    assert ids(before)[0] == 3  # co-favorites said so too; the model keeps it first


def test_more_like_this_of_a_movie_the_model_does_not_know_is_unchanged(api_client, community):
    before = api_client.get("/api/movies/6/recommendations/").json()
    train(**{"lambda": 1.0})

    assert api_client.get("/api/movies/6/recommendations/").json() == before


def test_more_like_this_blends_the_model_with_tmdb(api_client, community, tmdb):
    train(**{"lambda": 1.0})
    tmdb.add_list("/movie/1/recommendations", [movie_item(900, genre_ids=[878]), movie_item(3, genre_ids=[18])])

    response = api_client.get("/api/movies/1/recommendations/")

    assert response.status_code == 200
    # Alien's model neighbours: 3 (its fans' other movie), then 2 (Alice likes both). Reciprocal
    # ranks, model weight 1 and TMDb 0.5: 3 = 1/61 + 0.5/62, 2 = 1/62, 900 = 0.5/61.
    assert ids(response) == [3, 2, 900]
    assert response.json()["total_results"] == 3


def test_more_like_this_serves_the_model_alone_when_tmdb_fails(api_client, community, tmdb):
    train(**{"lambda": 1.0})
    tmdb.add_error("/movie/1/recommendations", 503)

    response = api_client.get("/api/movies/1/recommendations/")

    assert response.status_code == 200
    assert ids(response) == [3, 2]
