"""Movies endpoints on the embedded default: no TMDb credentials, answers from the local catalogue."""

import datetime as dt

import pytest
from django.core.management import call_command

from tests.builders import make_movie, make_user
from users.models import Favorite

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [movie["id"] for movie in response.json()["results"]]


def test_trending_ranks_by_recent_favorites_then_popularity(api_client):
    popular = make_movie(title="Popular", popularity=90)
    liked = make_movie(title="Liked", popularity=10)
    quiet = make_movie(title="Quiet", popularity=50)
    Favorite.objects.create(user=make_user(), movie=liked)

    response = api_client.get("/api/movies/trending/")

    assert response.status_code == 200
    assert "X-Cache" not in response  # our own database, not a cache
    assert ids(response) == [liked.id, popular.id, quiet.id]
    assert (response.json()["total_results"], response.json()["total_pages"]) == (3, 1)


def test_trending_day_window_ignores_older_favorites(api_client):
    old_favorite = make_movie(popularity=1)
    popular = make_movie(popularity=90)
    favorite = Favorite.objects.create(user=make_user(), movie=old_favorite)
    Favorite.objects.filter(pk=favorite.pk).update(added_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=3))

    day = api_client.get("/api/movies/trending/", {"time_window": "day"})
    week = api_client.get("/api/movies/trending/", {"time_window": "week"})

    assert ids(day) == [popular.id, old_favorite.id]
    assert ids(week) == [old_favorite.id, popular.id]


def test_trending_pages_and_past_the_end(api_client):
    for n in range(25):
        make_movie(popularity=100 - n)

    second = api_client.get("/api/movies/trending/", {"page": 2})
    beyond = api_client.get("/api/movies/trending/", {"page": 3})

    assert (second.json()["page"], len(second.json()["results"]), second.json()["total_pages"]) == (2, 5, 2)
    assert beyond.json() == {"page": 3, "total_pages": 2, "total_results": 25, "results": []}


@pytest.mark.parametrize("count", [1, 30])
def test_trending_query_count_is_constant(api_client, django_assert_max_num_queries, count):
    for n in range(count):
        make_movie(genres=(18, 28), popularity=n)

    with django_assert_max_num_queries(3):  # count, page, genres prefetch
        response = api_client.get("/api/movies/trending/")

    assert len(response.json()["results"]) == min(count, 20)


def test_search_matches_titles_case_insensitively_with_year(api_client):
    alien = make_movie(title="Alien", original_title="Alien", release_date=dt.date(1979, 5, 25), popularity=50)
    aliens = make_movie(title="Aliens", original_title="Aliens", release_date=dt.date(1986, 7, 18), popularity=60)
    make_movie(title="Heat")
    amelie = make_movie(title="Amélie", original_title="Le Fabuleux Destin d'Amélie Poulain")

    assert ids(api_client.get("/api/movies/search/", {"q": "ALIEN"})) == [aliens.id, alien.id]
    assert ids(api_client.get("/api/movies/search/", {"q": "alien", "year": 1979})) == [alien.id]
    assert ids(api_client.get("/api/movies/search/", {"q": "fabuleux"})) == [amelie.id]
    assert api_client.get("/api/movies/search/", {"q": "zzz"}).json() == {
        "page": 1, "total_pages": 0, "total_results": 0, "results": []}


@pytest.mark.parametrize("count", [1, 30])
def test_search_query_count_is_constant(api_client, django_assert_max_num_queries, count):
    for _ in range(count):
        make_movie(title="Same title", genres=(18, 35))

    with django_assert_max_num_queries(3):
        assert api_client.get("/api/movies/search/", {"q": "same"}).status_code == 200


def test_detail_from_the_catalogue(api_client):
    movie = make_movie(id=603, title="The Matrix", genres=(28, 878), runtime=136, imdb_id="tt0133093")

    response = api_client.get("/api/movies/603/")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["title"], body["runtime"], body["imdb_id"]) == (movie.id, "The Matrix", 136, "tt0133093")
    assert body["genres"] == [{"id": 28, "name": "Action"}, {"id": 878, "name": "Science Fiction"}]
    assert (body["cast"], body["directors"], body["trailer"]) == ([], [], None)


def test_unknown_movie_is_404(api_client):
    response = api_client.get("/api/movies/424242/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Movie not found.", "code": "not_found"}
    assert api_client.get("/api/movies/424242/recommendations/").status_code == 404


def test_more_like_this_ranks_co_favorites_then_shared_genres(api_client):
    alien = make_movie(title="Alien", genres=(27, 878))
    aliens = make_movie(title="Aliens", genres=(28, 878))  # one shared genre, co-favorited twice
    thing = make_movie(title="The Thing", genres=(27, 878))  # two shared genres
    heat = make_movie(title="Heat", genres=(80,))  # co-favorited once, nothing shared
    make_movie(title="Unrelated", genres=(35,))
    fan1, fan2 = make_user(), make_user()
    Favorite.objects.bulk_create([
        Favorite(user=fan1, movie=alien), Favorite(user=fan1, movie=aliens), Favorite(user=fan1, movie=heat),
        Favorite(user=fan2, movie=alien), Favorite(user=fan2, movie=aliens),
        Favorite(user=make_user(), movie=thing),
    ])

    response = api_client.get(f"/api/movies/{alien.id}/recommendations/")

    assert response.status_code == 200
    assert ids(response) == [aliens.id, heat.id, thing.id]


@pytest.mark.parametrize("count", [1, 30])
def test_more_like_this_query_count_is_constant(api_client, django_assert_max_num_queries, count):
    target = make_movie(genres=(18,))
    for _ in range(count):
        Favorite.objects.create(user=make_user(), movie=make_movie(genres=(18,)))

    # model neighbours (none: no trained model), movie, genres, count, page with genres
    with django_assert_max_num_queries(6):
        assert api_client.get(f"/api/movies/{target.id}/recommendations/").status_code == 200


def test_recommended_ranks_by_weighted_rating_and_filters_by_genre(api_client):
    classic = make_movie(title="Classic", vote_average=8.7, vote_count=30000, genres=(18,))
    solid = make_movie(title="Solid", vote_average=8.1, vote_count=12000, genres=(16,))
    perfect_few = make_movie(title="Perfect few", vote_average=10.0, vote_count=3, genres=(16,))
    blockbuster = make_movie(title="Blockbuster", vote_average=6.9, vote_count=9000, genres=(28,))
    mediocre = make_movie(title="Mediocre", vote_average=6.0, vote_count=8000, genres=(16,))

    everyone = api_client.get("/api/movies/recommended/")
    animation = api_client.get("/api/movies/recommended/", {"genre": 16})

    assert ids(everyone) == [classic.id, solid.id, perfect_few.id, blockbuster.id, mediocre.id]
    assert ids(animation)[0] == solid.id
    assert set(ids(animation)) == {solid.id, perfect_few.id, mediocre.id}


def test_recommended_unknown_genre_matches_nothing(api_client):
    make_movie(genres=(18,))

    response = api_client.get("/api/movies/recommended/", {"genre": 4242})

    assert response.status_code == 200
    assert response.json() == {"page": 1, "total_pages": 0, "total_results": 0, "results": []}


def test_genres_from_the_catalogue(api_client):
    make_movie(genres=(18, 28))

    response = api_client.get("/api/movies/genres/")

    assert response.json() == {"results": [{"id": 28, "name": "Action"}, {"id": 18, "name": "Drama"}]}


def test_read_only_endpoints_refuse_other_methods(api_client):
    response = api_client.post("/api/movies/trending/", {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.', "code": "method_not_allowed"}


def test_seed_demo_is_idempotent_and_serves_trending(api_client):
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    from movies.models import Genre, Movie
    assert (Genre.objects.count(), Movie.objects.count()) == (19, 176)
    body = api_client.get("/api/movies/trending/").json()
    assert body["total_results"] == 176
    assert len(body["results"]) == 20
    matrix = api_client.get("/api/movies/603/").json()
    assert (matrix["title"], matrix["release_date"]) == ("The Matrix", "1999-03-31")
    assert [m["title"] for m in api_client.get("/api/movies/search/", {"q": "spirited"}).json()["results"]] == [
        "Spirited Away"]


@pytest.mark.parametrize("count", [1, 30])
def test_recommended_query_count_is_constant(api_client, django_assert_max_num_queries, count):
    for n in range(count):
        make_movie(genres=(18,), vote_count=100 * n, vote_average=5 + n / 10)

    with django_assert_max_num_queries(6):  # genre check, two ranking aggregates, count, page, prefetch
        response = api_client.get("/api/movies/recommended/", {"genre": 18})

    assert response.json()["total_results"] == count


def test_recommended_database_ranking_matches_the_ranking_module(api_client):
    from movies.ranking import rank_by_quality

    movies = [make_movie(vote_average=va, vote_count=vc, popularity=p)
              for va, vc, p in [(9.1, 12, 3), (8.2, 25000, 50), (7.4, 900, 70), (6.1, 40000, 90), (8.8, 3100, 10),
                                (5.0, 0, 99), (7.9, 15000, 20)]]
    expected = [m["id"] for m in rank_by_quality(
        [{"id": m.id, "vote_average": m.vote_average, "vote_count": m.vote_count, "popularity": m.popularity}
         for m in movies])]

    assert ids(api_client.get("/api/movies/recommended/")) == expected
