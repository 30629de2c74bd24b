import datetime as dt

import pytest
import time_machine

from movie_backend import resilience
from movie_backend.cache import DEGRADED_TTL
from tests.builders import make_movie, make_user
from tests.fakes import list_body, movie_item
from tests.users.test_favorites import summary
from users.models import Favorite

pytestmark = pytest.mark.django_db

RECS, FAVORITES, ME = "/api/users/recommendations/", "/api/users/favorites/", "/api/users/me/"
LIKED_ALIEN = {"kind": "because_you_liked", "movie_id": 348, "text": "Because you liked Alien"}
POPULAR = {"kind": "popular", "text": "Popular right now"}
SCIFI = {"kind": "genre", "text": "Because you like Science Fiction"}


def ids(response):
    return [item["id"] for item in response.json()["results"]]


def reasons(response):
    return {item["id"]: item["reason"] for item in response.json()["results"]}


@pytest.fixture
def community(user):
    """Alien, favorited by alice, bob and carol; bob and carol also like 1, carol also likes 2."""
    alien = make_movie(id=348, title="Alien", genres=(878, 27))
    movies = {n: make_movie(id=n, genres=(18,), vote_average=7.0 - n / 10) for n in (1, 2, 3)}
    bob, carol = make_user("bob"), make_user("carol")
    for fan, liked in ((user, [alien]), (bob, [alien, movies[1]]), (carol, [alien, movies[1], movies[2]])):
        for movie in liked:
            Favorite.objects.create(user=fan, movie=movie)
    return movies


def test_recommendations_require_auth(api_client):
    response = api_client.get(RECS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_co_occurrence_and_popular_on_the_embedded_default(alice_client, community):
    response = alice_client.get(RECS)

    assert response.status_code == 200
    assert ids(response) == [1, 2, 3]  # 1 has two shared fans, 2 one, 3 only the popular floor
    assert reasons(response) == {1: LIKED_ALIEN, 2: LIKED_ALIEN, 3: POPULAR}
    assert response.json()["results"][0] == {**summary(community[1], [(18, "Drama")]), "vote_average": 6.9,
                                             "reason": LIKED_ALIEN}
    assert {k: response.json()[k] for k in ("page", "total_pages", "total_results")} == {
        "page": 1, "total_pages": 1, "total_results": 3}


def test_never_includes_favorites_or_duplicates(alice_client, user, community):
    Favorite.objects.create(user=user, movie=community[2])

    response = alice_client.get(RECS)

    assert ids(response) == [1, 3]
    assert len(set(ids(response))) == len(ids(response))


def test_recommendations_change_right_after_adding_a_favorite(alice_client, community):
    before = alice_client.get(RECS)
    cached = alice_client.get(RECS)

    added = alice_client.post(FAVORITES, {"movie_id": 1}, format="json")
    after = alice_client.get(RECS)

    assert (before["X-Cache"], cached["X-Cache"]) == ("MISS", "HIT")
    assert ids(before) == ids(cached) == [1, 2, 3]
    assert added.status_code == 201
    assert after["X-Cache"] == "MISS"
    assert ids(after) == [2, 3]
    assert reasons(after)[2] == {"kind": "because_you_liked", "movie_id": 1, "text": "Because you liked Movie 1"}


def test_recommendations_change_right_after_removing_a_favorite(alice_client, community):
    assert ids(alice_client.get(RECS)) == [1, 2, 3]

    assert alice_client.delete(f"{FAVORITES}348/").status_code == 204
    after = alice_client.get(RECS)

    assert after["X-Cache"] == "MISS"
    assert reasons(after) == dict.fromkeys(ids(after), POPULAR)  # cold start: no favorites left
    assert set(ids(after)) == {1, 2, 3, 348}


def test_cold_start_without_preferences_is_popular(alice_client):
    good = make_movie(id=10, vote_average=7.0)
    make_movie(id=11, vote_average=8.0)

    response = alice_client.get(RECS)

    assert response.status_code == 200
    assert ids(response) == [11, 10]
    assert response.json()["results"][1] == {**summary(good, [(18, "Drama")]), "reason": POPULAR}


def test_cold_start_uses_preferred_genres_and_changes_with_them(alice_client):
    make_movie(id=20, genres=(878,), vote_average=8.0)
    make_movie(id=21, genres=(878,), vote_average=6.0)
    make_movie(id=22, genres=(18,), vote_average=9.0)
    assert ids(alice_client.get(RECS)) == [22, 20, 21]

    patched = alice_client.patch(ME, {"preferred_genres": [878]}, format="json")
    response = alice_client.get(RECS)

    assert patched.status_code == 200
    assert response["X-Cache"] == "MISS"
    assert ids(response) == [20, 21, 22]
    assert reasons(response) == {20: SCIFI, 21: SCIFI, 22: POPULAR}


def test_genre_signal_for_users_with_favorites(alice_client, user):
    alien = make_movie(id=348, title="Alien", genres=(878,))
    Favorite.objects.create(user=user, movie=alien)
    make_movie(id=30, genres=(878,), vote_average=6.5)
    make_movie(id=31, genres=(18,), vote_average=8.5)

    response = alice_client.get(RECS)

    # Alien's own "more like this" (shared genre), the genre list and the boost lift 30 over the
    # better-rated 31; the strongest contribution names the liked movie.
    assert ids(response) == [30, 31]
    assert reasons(response) == {
        30: {"kind": "because_you_liked", "movie_id": 348, "text": "Because you liked Alien"}, 31: POPULAR}


def test_pagination_and_bad_page(alice_client):
    for n in range(25):
        make_movie(id=500 + n, vote_average=5.0 + n / 10)

    page2 = alice_client.get(RECS, {"page": 2}).json()
    bad = alice_client.get(RECS, {"page": 0})

    # Cold start takes two pages (40) of the everyone list: all 25 here.
    assert (page2["page"], page2["total_pages"], page2["total_results"], len(page2["results"])) == (2, 2, 25, 5)
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"page": ["Ensure this value is greater than or equal to 1."]}


# --- with TMDb ----------------------------------------------------------------------------------------


def test_tmdb_seed_lists_are_used_and_cached(alice_client, user, tmdb):
    Favorite.objects.create(user=user, movie=make_movie(id=348, title="Alien", genres=(878,)))
    tmdb.add_list("/movie/348/recommendations", [
        movie_item(679, title="Aliens", genre_ids=[878]), movie_item(8077, title="Alien 3", genre_ids=[878]),
        movie_item(348, title="Alien"),
    ])

    first = alice_client.get(RECS)
    second = alice_client.get(RECS)

    assert first.status_code == 200
    assert ids(first)[:2] == [679, 8077]
    assert 348 not in ids(first)
    assert reasons(first)[679] == LIKED_ALIEN
    item = first.json()["results"][0]
    assert (item["title"], item["genres"], item["poster_url"]) == (
        "Aliens", [{"id": 878, "name": "Science Fiction"}], "https://image.tmdb.org/t/p/w500/p679.jpg")
    assert second["X-Cache"] == "HIT"
    assert second.json() == first.json()
    assert len(tmdb.upstream_calls(r"^/3/movie/348/recommendations$")) == 1


def test_movie_liked_from_several_seeds_rises(alice_client, user, tmdb):
    Favorite.objects.create(user=user, movie=make_movie(id=348, title="Alien"))
    Favorite.objects.create(user=user, movie=make_movie(id=949, title="Heat"))  # newest seed
    tmdb.add_list("/movie/949/recommendations", [movie_item(n) for n in (1, 2, 3, 4)])
    tmdb.add_list("/movie/348/recommendations", [movie_item(n) for n in (5, 6, 4)])

    response = alice_client.get(RECS)

    assert ids(response)[:2] == [4, 1]
    assert reasons(response)[4] == {"kind": "because_you_liked", "movie_id": 949, "text": "Because you liked Heat"}


def test_tmdb_failure_for_a_seed_degrades_to_the_other_signals(alice_client, user, tmdb):
    Favorite.objects.create(user=user, movie=make_movie(id=348, title="Alien"))
    Favorite.objects.create(user=user, movie=make_movie(id=949, title="Heat"))
    tmdb.add_error("/movie/949/recommendations", 500)
    tmdb.add_list("/movie/348/recommendations", [movie_item(679)])

    response = alice_client.get(RECS)

    assert response.status_code == 200
    assert ids(response) == [679]
    assert reasons(response)[679] == LIKED_ALIEN


def test_a_list_built_during_an_outage_is_rebuilt_soon(alice_client, user, tmdb):
    Favorite.objects.create(user=user, movie=make_movie(id=949, title="Heat"))
    tmdb.add_error("/movie/949/recommendations", 500)
    assert alice_client.get(RECS)["X-Cache"] == "MISS"
    assert alice_client.get(RECS)["X-Cache"] == "HIT"
    tmdb.replace("GET", tmdb.url("/movie/949/recommendations"), json=list_body([movie_item(680)]))

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=DEGRADED_TTL + 1)):
        recovered = alice_client.get(RECS)

    assert recovered["X-Cache"] == "MISS"
    assert ids(recovered) == [680]


def test_recommendations_of_one_user_are_not_served_to_another(client_of, community, user):
    assert ids(client_of(user).get(RECS)) == [1, 2, 3]

    dave = client_of(make_user("dave")).get(RECS)

    assert dave["X-Cache"] == "MISS"
    assert all(reason == POPULAR for reason in reasons(dave).values())


def test_new_user_recommendations_while_tmdb_is_down_degrade_then_recover(alice_client, tmdb):
    """A new user (no favorites, no genres) gets the everyone list, which needs TMDb. While TMDb
    fails the answer is an empty page, never an error, kept only DEGRADED_TTL; then the real list."""
    for path in ("/movie/top_rated", "/movie/popular"):
        tmdb.add_error(path, 500)

    down = alice_client.get(RECS)
    again = alice_client.get(RECS)
    for path in ("/movie/top_rated", "/movie/popular"):
        tmdb.replace("GET", tmdb.url(path), json=list_body([movie_item(278, title="The Shawshank Redemption")]))
    resilience.reset_breakers()  # the TMDb breaker's open interval runs on the monotonic clock, not travelled
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=DEGRADED_TTL + 1)):
        recovered = alice_client.get(RECS)

    assert (down.status_code, down["X-Cache"]) == (200, "MISS")
    assert down.json() == {"page": 1, "total_pages": 0, "total_results": 0, "results": []}
    assert (again.status_code, again["X-Cache"]) == (200, "HIT")
    assert (recovered.status_code, recovered["X-Cache"]) == (200, "MISS")
    assert ids(recovered) == [278]
    assert reasons(recovered)[278]["kind"] == "popular"
