"""HTTP caching of the personal endpoints: ETag, 304, `private, no-cache`, `Vary: Authorization`, and
the stored copy of a personal recommendations page (read with the throttles, dropped on invalidation)."""

from io import StringIO

import pytest
import redis
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from rest_framework_simplejwt.tokens import AccessToken

from movie_backend import http_cache
from tests.builders import make_movie, make_user
from tests.users.conftest import bearer_client
from tests.users.test_throttling import rates
from users.admin import UserAdmin
from users.models import Favorite, User

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
def test_recommendations_hit_is_no_query_and_one_redis_round_trip(alice_client, community, monkeypatch,
                                                                    django_assert_num_queries):
    alice_client.get(RECS)  # computes and caches the list
    alice_client.get(RECS)  # keeps the copy (the namespace version now exists)
    sent = []
    original = redis.connection.Connection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    with django_assert_num_queries(0):  # the personal fast path: the token is checked, no row read
        response = alice_client.get(RECS)

    assert (response.status_code, response["X-Cache"]) == (200, "HIT")
    assert len(sent) == 1


@pytest.mark.skipif(not settings.REDIS_URL, reason="round trips are counted on the Redis backend")
@pytest.mark.parametrize(("path", "queries", "redis_commands"), [
    (ME, 3, 1),  # user, profile, preferred genres; throttles
    (FAVORITES, 4, 2),  # user, count, page, genres; throttles, TMDb image configuration
    (RECS, 0, 1),  # nothing; throttles + the stored page (the personal fast path)
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


redis_only = pytest.mark.skipif(not settings.REDIS_URL, reason="personal copies are kept on the Redis backend")


def _without(response, *names):
    return {key: value for key, value in response.headers.items() if key not in names}


@redis_only
def test_the_fast_path_answers_exactly_as_the_view_did(alice_client, community):
    alice_client.get(RECS)
    from_view = alice_client.get(RECS, HTTP_ACCEPT_ENCODING="gzip")  # keeps the copy
    from_copy = alice_client.get(RECS, HTTP_ACCEPT_ENCODING="gzip")

    assert from_copy.content == from_view.content
    assert _without(from_copy, "X-Request-ID") == _without(from_view, "X-Request-ID")
    assert from_copy.wsgi_request.resolver_match.url_name == from_view.wsgi_request.resolver_match.url_name
    assert alice_client.get(RECS, HTTP_IF_NONE_MATCH=from_view["ETag"]).status_code == 304


@redis_only
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic YWxpY2U6c2VjcmV0"])
def test_no_valid_token_never_reaches_a_stored_copy(alice_client, community, authorization):
    alice_client.get(RECS)
    alice_client.get(RECS)  # the copy is kept
    client = bearer_client(make_user("mallory"))
    client.credentials(**({"HTTP_AUTHORIZATION": authorization} if authorization else {}))

    response = client.get(RECS)

    assert response.status_code == 401
    assert response.json()["code"] in ("not_authenticated", "token_not_valid")


@redis_only
def test_another_users_token_gets_their_own_list_not_the_stored_copy(alice_client, community, user):
    alice_client.get(RECS)
    alices = alice_client.get(RECS)

    bobs = bearer_client(User.objects.get(username="bob")).get(RECS)

    assert bobs.status_code == 200
    assert bobs["ETag"] != alices["ETag"]


@redis_only
@pytest.mark.parametrize("how", ["deactivated", "deleted"])
def test_a_user_deactivated_or_deleted_in_the_admin_loses_the_copy_at_once(alice_client, community, user,
                                                                          admin_client, how):
    alice_client.get(RECS)
    assert alice_client.get(RECS).status_code == 200  # the copy is kept

    if how == "deactivated":
        user.is_active = False
        UserAdmin(type(user), admin.site).save_model(None, user, None, change=True)
    else:
        admin_client.post(f"/admin/users/user/{user.pk}/delete/", {"post": "yes"})

    response = alice_client.get(RECS)

    assert response.status_code == 401
    assert response.json()["code"] in ("user_inactive", "user_not_found", "token_not_valid", "authentication_failed")


@redis_only
def test_the_fast_path_counts_the_throttles_and_refuses_past_the_limit(alice_client, community):
    with rates(recommendations="4/min"):
        answers = [alice_client.get(RECS) for _ in range(6)]  # the second keeps the copy

    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429, 429]
    assert answers[2]["X-Cache"] == "HIT"
    assert answers[-1].json()["code"] == "throttled"


@redis_only
def test_a_new_model_drops_the_stored_copies_of_the_users_it_was_trained_on(alice_client, community):
    alice_client.get(RECS)
    assert alice_client.get(RECS)["X-Cache"] == "HIT"  # the copy is kept
    assert alice_client.get(RECS)["X-Cache"] == "HIT"  # and served

    call_command("train_recommender", min_users=1, stdout=StringIO())
    after = alice_client.get(RECS)

    assert (after.status_code, after["X-Cache"]) == (200, "MISS")  # ranked again, by the new model


@redis_only
@pytest.mark.parametrize("claim", [[1], "1 OR 1=1", True, 0])
def test_a_signed_token_with_a_malformed_user_id_never_reaches_a_stored_copy(alice_client, community, user, claim):
    alice_client.get(RECS)
    alice_client.get(RECS)  # the copy is kept
    token = AccessToken.for_user(user)
    token["user_id"] = claim
    client = bearer_client(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.get(RECS)

    assert (response.status_code, response.json()["code"]) == (401, "token_not_valid")
