"""HTTP caching of the public answers (movie_backend.http_cache): ETag/304, Cache-Control bounded by
the answer's freshness, precompressed gzip, the fast path's round trips and queries."""

import datetime as dt
import gzip
import json
import time

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.test import RequestFactory

from movie_backend import http_cache
from tests.fakes import movie_item

pytestmark = pytest.mark.django_db

TRENDING = "/api/movies/trending/"


def on_redis() -> bool:
    return bool(settings.REDIS_URL)


@pytest.fixture
def trending(tmdb, settings):
    """A trending page of 20 movies (well over 1 KB) behind a one-hour TTL."""
    settings.CACHE_TTL_TRENDING = 3600
    tmdb.add_list("/trending/movie/day", [movie_item(i) for i in range(1, 21)])
    return tmdb


def stored_copy(response_request_path: str, query: str = "") -> http_cache.StoredAnswer:
    request = RequestFactory().get(response_request_path + (f"?{query}" if query else ""))
    key = http_cache.public_key(request)
    raw = http_cache._read(key)
    assert raw is not None
    return http_cache.StoredAnswer.unpack(raw)


def test_cached_answer_has_strong_etag_and_public_max_age_bounded_by_ttl(api_client, trending):
    response = api_client.get(TRENDING)

    assert response.status_code == 200
    assert response["ETag"].startswith('"') and not response["ETag"].startswith("W/")
    assert response["ETag"] == http_cache.etag_of(response.content)
    max_age = int(response["Cache-Control"].removeprefix("public, max-age="))
    assert 3600 * 0.9 - 2 <= max_age <= 3600
    assert "Accept-Encoding" in response["Vary"]
    assert "Authorization" not in response["Vary"]
    assert response["X-Cache"] == "MISS"


def test_max_age_is_what_is_left_of_the_ttl(api_client, trending):
    first = api_client.get(TRENDING)
    fresh_until = stored_copy(TRENDING).fresh_until

    with time_machine.travel(dt.datetime.fromtimestamp(fresh_until - 100.5, tz=dt.UTC), tick=False):
        later = api_client.get(TRENDING)

    assert later.status_code == 200
    assert later["X-Cache"] == "HIT"
    assert later["Cache-Control"] == "public, max-age=100"
    assert later.content == first.content


def test_matching_if_none_match_gets_304_without_body(api_client, trending):
    etag = api_client.get(TRENDING)["ETag"]
    upstream_calls = len(trending.upstream_calls())

    response = api_client.get(TRENDING, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"].startswith("public, max-age=")
    assert len(trending.upstream_calls()) == upstream_calls


@pytest.mark.parametrize("header", ['"other", {etag}', "W/{etag}", '"a",W/{etag} , "b"', "*"])
def test_weak_and_list_forms_of_if_none_match_match(api_client, trending, header):
    etag = api_client.get(TRENDING)["ETag"]

    response = api_client.get(TRENDING, HTTP_IF_NONE_MATCH=header.format(etag=etag))

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_non_matching_if_none_match_gets_the_body(api_client, trending):
    first = api_client.get(TRENDING)

    response = api_client.get(TRENDING, HTTP_IF_NONE_MATCH='"0123", W/"4567"')

    assert response.status_code == 200
    assert response.content == first.content
    assert len(response.json()["results"]) == 20


def test_gzip_only_when_accepted_and_it_is_the_stored_bytes(api_client, trending):
    plain = api_client.get(TRENDING)
    copy = stored_copy(TRENDING)
    # Mark the stored gzip bytes (another mtime and level): a per-request compression would differ.
    marked = gzip.compress(copy.body, compresslevel=1, mtime=12345)
    key = http_cache.public_key(RequestFactory().get(TRENDING))
    http_cache._write(key, http_cache.StoredAnswer(copy.body, copy.etag, marked, copy.fresh_until))

    zipped = api_client.get(TRENDING, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    refused = api_client.get(TRENDING, HTTP_ACCEPT_ENCODING="identity")

    assert "Content-Encoding" not in plain and "Content-Encoding" not in refused
    assert refused.content == plain.content
    assert zipped["Content-Encoding"] == "gzip"
    assert zipped.content == marked
    assert gzip.decompress(zipped.content) == plain.content == copy.body
    assert zipped["ETag"] == plain["ETag"]


def test_gzip_is_compressed_when_stored(api_client, trending):
    first = api_client.get(TRENDING, HTTP_ACCEPT_ENCODING="gzip")

    assert first["X-Cache"] == "MISS"
    assert first["Content-Encoding"] == "gzip"
    assert first.content == stored_copy(TRENDING).gzipped


def test_small_answers_are_not_gzipped(api_client, tmdb):
    tmdb.add_list("/trending/movie/day", [])

    empty = api_client.get(TRENDING, HTTP_ACCEPT_ENCODING="gzip")

    assert len(empty.content) < http_cache.GZIP_MIN_BYTES
    assert "Content-Encoding" not in empty
    assert json.loads(empty.content)["results"] == []


def test_cached_anonymous_hit_makes_no_database_query(api_client, trending, django_assert_num_queries):
    api_client.get(TRENDING)

    with django_assert_num_queries(0):
        response = api_client.get(TRENDING, {"time_window": "day"})  # the same answer, another URL: a copy
        again = api_client.get(TRENDING, {"time_window": "day"})

    assert response["X-Cache"] == "HIT"
    assert again["X-Cache"] == "HIT"
    assert again.content == response.content


def test_degraded_answer_is_cacheable_for_its_short_ttl_only(api_client, tmdb):
    for page in (1, 2, 3):
        tmdb.add_list("/movie/top_rated", [movie_item(10 + page)], page=page)
        tmdb.add_error("/movie/popular", 500, params={"page": str(page)})

    response = api_client.get("/api/movies/recommended/")

    assert response.status_code == 200
    max_age = int(response["Cache-Control"].removeprefix("public, max-age="))
    assert 0 < max_age <= 60


def test_stale_answer_is_not_cacheable(api_client, trending, settings):
    first = api_client.get(TRENDING)
    trending.add_error("/trending/movie/day", 503)

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=2)):
        stale = api_client.get(TRENDING)

    assert stale.status_code == 200
    assert stale["X-Cache"] == "STALE"
    assert stale["Cache-Control"] == "no-cache"
    assert stale.content == first.content


def test_answers_from_our_database_carry_an_etag_but_must_revalidate(api_client):
    response = api_client.get(TRENDING)

    assert response.status_code == 200
    assert response["ETag"] == http_cache.etag_of(response.content)
    assert response["Cache-Control"] == "no-cache"
    assert api_client.get(TRENDING, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_unknown_query_parameters_are_not_kept(api_client, trending):
    api_client.get(TRENDING, {"junk": "1"})

    key = http_cache.public_key(RequestFactory().get(TRENDING + "?junk=1"))
    assert http_cache._read(key) is None


def test_throttled_fast_path_answers_429(api_client, trending, settings):
    from rest_framework.throttling import SimpleRateThrottle

    api_client.get(TRENDING)  # fills the copy; counts 1
    original = dict(SimpleRateThrottle.THROTTLE_RATES)
    SimpleRateThrottle.THROTTLE_RATES.update(anon="2/min")
    try:
        statuses = [api_client.get(TRENDING).status_code for _ in range(2)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES.clear()
        SimpleRateThrottle.THROTTLE_RATES.update(original)

    assert statuses == [200, 429]


@pytest.mark.skipif(not on_redis(), reason="round trips are counted on the Redis backend")
def test_cached_hit_is_one_redis_round_trip(api_client, trending, monkeypatch):
    api_client.get(TRENDING)  # fills the answer and its copy
    api_client.get(TRENDING)  # loads the throttle script on the server
    sent = []
    original = redis.connection.Connection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    response = api_client.get(TRENDING)
    not_modified = api_client.get(TRENDING, HTTP_IF_NONE_MATCH=response["ETag"])

    assert (response.status_code, response["X-Cache"], not_modified.status_code) == (200, "HIT", 304)
    assert len(sent) == 2  # one command each: the script that counts the throttles and reads the copy
    assert all(b"EVALSHA" in b"".join(command) if isinstance(command, list) else b"EVALSHA" in command
               for command in sent)


@pytest.mark.skipif(not on_redis(), reason="the copy lives in Redis with its own expiry")
def test_copy_expires_with_the_answer(api_client, trending):
    api_client.get(TRENDING)
    key = http_cache.public_key(RequestFactory().get(TRENDING))
    client = caches[settings.API_CACHE_ALIAS].client.get_client(write=True)
    ttl = client.ttl(key)

    assert 0 < ttl <= int(stored_copy(TRENDING).fresh_until - time.time()) + 1


def test_fast_path_answer_has_the_headers_of_a_full_answer(api_client, trending):
    full = api_client.get(TRENDING, HTTP_ORIGIN="http://spa.example")

    fast = api_client.get(TRENDING, HTTP_ORIGIN="http://spa.example")

    assert (full["X-Cache"], fast["X-Cache"]) == ("MISS", "HIT")
    assert set(fast.headers) == set(full.headers)
    same = {"Allow", "Content-Type", "ETag", "Vary", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"}
    assert {name: fast[name] for name in same} == {name: full[name] for name in same}
    assert fast.content == full.content
