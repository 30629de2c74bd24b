"""The TMDb client against a fake TMDb at the HTTP boundary: auth modes, retries, error mapping."""

import logging

import pytest
import requests
import responses
from rest_framework.exceptions import NotFound

from movie_backend.exceptions import (
    MovieNotFound,
    UpstreamBadResponse,
    UpstreamMisconfigured,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from movies.tmdb import RateLimiter, TMDbClient, get_client
from tests.fakes import error_body, list_body, movie_item

BASE = "https://tmdb.test/3"
KEY = "secret-api-key-0123456789abcdef"
TOKEN = "eyJ.secret-read-token.sig"


def make_client(**overrides) -> TMDbClient:
    options = {"base_url": BASE, "api_key": KEY, "backoff_base": 0.0, "retry_budget": 5.0, "max_retries": 2,
               "max_requests_per_second": 0}
    return TMDbClient(**{**options, **overrides})


@responses.activate
def test_client_api_key_mode_sends_key_as_query_parameter():
    responses.get(f"{BASE}/movie/popular", json=list_body([movie_item(1)]))

    body = make_client().popular(page=2)

    assert body["results"][0]["id"] == 1
    request = responses.calls[0].request
    assert request.params == {"api_key": KEY, "language": "en-US", "page": "2"}
    assert "Authorization" not in request.headers


@responses.activate
def test_client_read_token_mode_sends_bearer_header_and_no_key():
    responses.get(f"{BASE}/movie/popular", json=list_body([]))

    make_client(api_key="", read_token=TOKEN).popular(page=1)

    request = responses.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "api_key" not in request.params


@responses.activate
def test_client_retries_5xx_then_returns_the_answer():
    responses.get(f"{BASE}/movie/popular", json=error_body(503), status=503)
    responses.get(f"{BASE}/movie/popular", json=error_body(502), status=502)
    responses.get(f"{BASE}/movie/popular", json=list_body([movie_item(7)]))

    body = make_client().popular(page=1)

    assert [m["id"] for m in body["results"]] == [7]
    assert len(responses.calls) == 3


@responses.activate
def test_client_5xx_after_retries_is_upstream_unavailable_with_retry_after():
    responses.get(f"{BASE}/movie/popular", json=error_body(500), status=500)

    with pytest.raises(UpstreamUnavailable) as raised:
        make_client().popular(page=1)

    assert raised.value.retry_after == 30
    assert raised.value.status_code == 503
    assert len(responses.calls) == 3  # first attempt + max_retries


@responses.activate
def test_client_429_honours_retry_after_then_succeeds(monkeypatch):
    slept = []
    monkeypatch.setattr("movies.tmdb.time.sleep", slept.append)
    responses.get(f"{BASE}/movie/popular", json=error_body(429), status=429, headers={"Retry-After": "2"})
    responses.get(f"{BASE}/movie/popular", json=list_body([movie_item(1)]))

    body = make_client().popular(page=1)

    assert body["page"] == 1
    assert slept == [2]


@responses.activate
def test_client_429_with_retry_after_beyond_budget_gives_up_at_once():
    responses.get(f"{BASE}/movie/popular", json=error_body(429), status=429, headers={"Retry-After": "60"})

    with pytest.raises(UpstreamRateLimited) as raised:
        make_client(retry_budget=5.0).popular(page=1)

    assert raised.value.retry_after == 60
    assert raised.value.get_codes() == "upstream_rate_limited"
    assert len(responses.calls) == 1


@responses.activate
def test_client_timeout_is_upstream_timeout():
    responses.get(f"{BASE}/movie/popular", body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(UpstreamTimeout):
        make_client().popular(page=1)

    assert len(responses.calls) == 3


@responses.activate
def test_client_504_from_tmdb_is_upstream_timeout():
    responses.get(f"{BASE}/movie/popular", json=error_body(504), status=504)

    with pytest.raises(UpstreamTimeout):
        make_client(max_retries=0).popular(page=1)


@responses.activate
def test_client_connection_error_is_unavailable_and_never_carries_the_key(caplog):
    failure = requests.exceptions.ConnectionError(f"Max retries exceeded with url: /3/movie/popular?api_key={KEY}")
    responses.get(f"{BASE}/movie/popular", body=failure)

    with caplog.at_level(logging.DEBUG), pytest.raises(UpstreamUnavailable) as raised:
        make_client().popular(page=1)

    assert KEY not in caplog.text
    assert KEY not in str(raised.value.detail)
    assert raised.value.__context__ is None and raised.value.__cause__ is None
    assert KEY not in repr(make_client())


@responses.activate
def test_client_rejected_key_is_misconfigured_with_an_operator_error_log(caplog):
    responses.get(f"{BASE}/movie/popular", json=error_body(401), status=401)

    with caplog.at_level(logging.ERROR), pytest.raises(UpstreamMisconfigured) as raised:
        make_client().popular(page=1)

    assert len(responses.calls) == 1  # a retry cannot fix a bad key
    assert raised.value.status_code == 503
    assert "TMDb rejected our credentials (HTTP 401, TMDb code 7)" in caplog.text
    assert "TMDB_API_KEY" in caplog.text
    assert KEY not in caplog.text


@responses.activate
def test_client_unknown_movie_is_movie_not_found():
    responses.get(f"{BASE}/movie/999", json=error_body(404), status=404)

    with pytest.raises(MovieNotFound) as raised:
        make_client().movie(999)

    assert isinstance(raised.value, NotFound)
    assert str(raised.value.detail) == "Movie not found."


@pytest.mark.parametrize("path, call", [
    ("/movie/popular", lambda client: client.popular(page=1)),
    ("/trending/movie/day", lambda client: client.trending(time_window="day", page=1)),
    ("/genre/movie/list", lambda client: client.genres()),
])
@responses.activate
def test_client_404_on_a_list_is_bad_response_not_not_found(path, call):
    responses.get(f"{BASE}{path}", json=error_body(404), status=404)

    with pytest.raises(UpstreamBadResponse) as raised:
        call(make_client())

    assert not isinstance(raised.value, NotFound)
    assert (raised.value.status_code, raised.value.default_code) == (502, "upstream_bad_response")
    assert len(responses.calls) == 1  # a retry cannot fix our own request


@responses.activate
def test_client_understands_the_422_errors_shape():
    responses.get(f"{BASE}/search/movie", json={"errors": ["query must be provided"]}, status=422)

    with pytest.raises(UpstreamBadResponse):
        make_client().search(query="x", page=1)

    assert len(responses.calls) == 1


@pytest.mark.parametrize("body", ["not json", "[1, 2]", "null"])
@responses.activate
def test_client_malformed_body_is_bad_response(body):
    responses.get(f"{BASE}/movie/popular", body=body, status=200, content_type="application/json")

    with pytest.raises(UpstreamBadResponse) as raised:
        make_client().popular(page=1)

    assert raised.value.status_code == 502


@responses.activate
def test_client_details_use_one_call_with_credits_and_videos_appended():
    responses.get(f"{BASE}/movie/603", json={"id": 603})

    make_client().movie(603)

    assert len(responses.calls) == 1
    assert responses.calls[0].request.params["append_to_response"] == "credits,videos"


@responses.activate
def test_client_search_sends_primary_release_year():
    responses.get(f"{BASE}/search/movie", json=list_body([]))

    make_client().search(query="alien", page=1, year=1979)

    params = responses.calls[0].request.params
    assert (params["query"], params["primary_release_year"], params["include_adult"]) == ("alien", "1979", "false")


def test_client_without_credentials_is_misconfigured():
    with pytest.raises(UpstreamMisconfigured):
        make_client(api_key="", read_token="").popular(page=1)


def test_rate_limiter_refuses_when_the_wait_passes_the_deadline():
    limiter = RateLimiter(rate=1.0)
    import time

    limiter.acquire(deadline=time.monotonic() + 1)  # the one token of the bucket

    with pytest.raises(UpstreamRateLimited) as raised:
        limiter.acquire(deadline=time.monotonic() + 0.01)
    assert raised.value.retry_after == 1


def test_rate_limiter_spaces_requests_at_the_rate():
    import time

    limiter = RateLimiter(rate=50.0)
    started = time.monotonic()
    for _ in range(60):  # 50 from the full bucket, 10 more at 50/s
        limiter.acquire(deadline=started + 5)
    elapsed = time.monotonic() - started
    assert 0.15 <= elapsed < 1.5


def test_get_client_is_rebuilt_when_settings_change(settings):
    settings.TMDB_BASE_URL = "https://one.test/3"
    first = get_client()
    settings.TMDB_BASE_URL = "https://two.test/3"
    second = get_client()

    assert (first.base_url, second.base_url) == ("https://one.test/3", "https://two.test/3")
