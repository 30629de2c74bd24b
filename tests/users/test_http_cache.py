"""HTTP caching of the personal endpoints: ETag, 304, `private, no-cache`, `Vary: Authorization`, and
the stored copy of a personal recommendations page (read with the throttles, dropped on invalidation)."""

import pytest
import redis
from django.conf import settings

from movie_backend import http_cache
from tests.builders import make_movie, make_user
from tests.users.conftest import bearer_client
from users.models import Favorite

pytestmark = pytest.mark.django_db

RECS, FAVORITES, ME = "/api/users/recommendations/", "/api/users/favorites/", "/api/users/me/"


@pytest.fixture
def community(user):
    alien = make_movie(id=348, title="Alien", genres=(878, 27))
    other = make_movie(id=1, title="One", genres=(18,))
    make_movie(id=2, title="Two", genres=(18,))
    bob = make_user("bob")
    Favorite.objects.create(user=user, movie=alien)
    for movie in (alien, other):
        Favorite.objects.create(user=bob, movie=movie)


@pytest.mark.parametrize("path", [RECS, FAVORITES, ME])
def test_personal_answers_are_private_no_cache_with_etag_and_vary_authorization(alice_client, path):
    response = alice_client.get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert response["ETag"] == http_cache.etag_of(response.content)
    assert "Authorization" in response["Vary"]


@pytest.mark.parametrize("path", [RECS, FAVORITES, ME])
def test_personal_revalidation_gets_304(alice_client, path):
    first = alice_client.get(path)

    response = alice_client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    changed = alice_client.get(path, HTTP_IF_NONE_MATCH='"not-it"')

    assert response.status_code == 304
    assert response.content == b""
    assert response["Cache-Control"] == "private, no-cache"
    assert changed.status_code == 200
    assert changed.content == first.content


def test_another_user_never_gets_the_copy(alice_client, community):
    alice = alice_client.get(RECS)
    carol = bearer_client(make_user("carol")).get(RECS)

    assert carol.status_code == 200
    assert alice.content != carol.content
    assert 348 not in [m["id"] for m in alice.json()["results"]]  # alice's favorite
    assert 348 in [m["id"] for m in carol.json()["results"]]


def test_adding_a_favorite_drops_the_stored_copy(alice_client, community):
    alice_client.get(RECS)
    before = alice_client.get(RECS)  # on Redis, this one's copy is kept
    assert [m["id"] for m in before.json()["results"]][:1] == [1]

    alice_client.post(FAVORITES, {"movie_id": 1}, format="json")
    after = alice_client.get(RECS)

    assert after.status_code == 200
    assert 1 not in [m["id"] for m in after.json()["results"]]
    assert after["ETag"] != before["ETag"]


@pytest.mark.skipif(not settings.REDIS_URL, reason="round trips are counted on the Redis backend")
def test_recommendations_hit_is_one_query_and_one_redis_round_trip(alice_client, community, monkeypatch,
                                                                    django_assert_num_queries):
    alice_client.get(RECS)  # computes and caches the list
    alice_client.get(RECS)  # keeps the copy (the namespace version now exists)
    sent = []
    original = redis.connection.Connection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    with django_assert_num_queries(1):  # the token's user
        response = alice_client.get(RECS)

    assert (response.status_code, response["X-Cache"]) == (200, "HIT")
    assert len(sent) == 1


@pytest.mark.skipif(not settings.REDIS_URL, reason="round trips are counted on the Redis backend")
@pytest.mark.parametrize(("path", "queries", "redis_commands"), [
    (ME, 3, 1),  # user, profile, preferred genres; throttles
    (FAVORITES, 4, 2),  # user, count, page, genres; throttles, TMDb image configuration
    (RECS, 1, 1),  # user; throttles + the stored page
])
def test_warm_authenticated_reads_cost_constant_round_trips(alice_client, community, tmdb, monkeypatch,
                                                           django_assert_num_queries, path, queries, redis_commands):
    for _ in range(3):
        alice_client.get(path)
    sent = []
    original = redis.connection.Connection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    with django_assert_num_queries(queries):
        response = alice_client.get(path)

    assert response.status_code == 200
    assert len(sent) == redis_commands
