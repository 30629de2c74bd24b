"""Movies endpoints with TMDb enabled (faked at the HTTP boundary)."""

import datetime as dt

import pytest
import requests
import time_machine
from django.conf import settings

from movies.models import Movie
from tests.fakes import error_body, list_body, movie_item

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {
    "id", "title", "original_title", "overview", "release_date", "genre_ids", "genres", "vote_average",
    "vote_count", "popularity", "original_language", "poster_path", "poster_url", "backdrop_path", "backdrop_url",
}


def test_trending_returns_summaries_in_the_envelope(api_client, tmdb):
    tmdb.add_list("/trending/movie/week", [
        movie_item(1, genre_ids=[878, 18], media_type="movie", title="Glass Harbor"),
        movie_item(2, poster_path=None, backdrop_path=None, release_date="", genre_ids=[]),
    ], total_pages=900, total_results=18000)

    response = api_client.get("/api/movies/trending/", {"time_window": "week"})

    assert response.status_code == 200
    assert response["X-Cache"] == "MISS"
    body = response.json()
    assert (body["page"], body["total_pages"], body["total_results"]) == (1, 500, 18000)
    first, second = body["results"]
    assert set(first) == SUMMARY_KEYS
    assert first == {
        "id": 1, "title": "Glass Harbor", "original_title": "Movie 1", "overview": "Overview of movie 1.",
        "release_date": "2020-01-01", "genre_ids": [878, 18],
        "genres": [{"id": 878, "name": "Science Fiction"}, {"id": 18, "name": "Drama"}],
        "vote_average": 7.0, "vote_count": 1000, "popularity": 50.0, "original_language": "en",
        "poster_path": "/p1.jpg", "poster_url": "https://image.tmdb.org/t/p/w500/p1.jpg",
        "backdrop_path": "/b1.jpg", "backdrop_url": "https://image.tmdb.org/t/p/w1280/b1.jpg",
    }
    assert (second["poster_url"], second["backdrop_url"], second["release_date"], second["genres"]) == (None, None, None, [])
    assert tmdb.upstream_calls()[0].request.params["page"] == "1"


def test_trending_second_call_is_a_cache_hit_with_no_upstream_call(api_client, tmdb):
    tmdb.add_list("/trending/movie/day", [movie_item(1)])

    first = api_client.get("/api/movies/trending/")
    second = api_client.get("/api/movies/trending/")

    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert second.json() == first.json()
    assert len(tmdb.upstream_calls("/trending/")) == 1


def test_cache_key_carries_every_parameter(api_client, tmdb):
    tmdb.add_list("/trending/movie/day", [movie_item(1)], page=1)
    tmdb.add_list("/trending/movie/day", [movie_item(2)], page=2)
    tmdb.add_list("/trending/movie/week", [movie_item(3)], page=1)

    ids = [api_client.get("/api/movies/trending/", query).json()["results"][0]["id"]
           for query in ({"page": 1}, {"page": 2}, {"time_window": "week"})]

    assert ids == [1, 2, 3]


@pytest.mark.parametrize(("query", "field"), [
    ({"page": 0}, "page"), ({"page": 501}, "page"), ({"page": "abc"}, "page"), ({"page": "-1"}, "page"),
    ({"time_window": "month"}, "time_window"), ({"time_window": ""}, "time_window"), ({"page": ""}, "page"),
])
def test_trending_rejects_bad_input_before_any_upstream_call(api_client, tmdb, query, field):
    response = api_client.get("/api/movies/trending/", query)

    assert response.status_code == 400
    body = response.json()
    assert (body["detail"], body["code"], list(body["errors"])) == ("Invalid input.", "invalid", [field])
    assert len(tmdb.calls) == 0  # not even reference data


@pytest.mark.parametrize(("query", "field"), [
    ({}, "q"), ({"q": "   "}, "q"), ({"q": "x" * 201}, "q"), ({"q": "ok", "year": "19x9"}, "year"),
    ({"q": "ok", "year": 1500}, "year"), ({"q": "ok", "page": 501}, "page"), ({"q": "ok", "year": ""}, "year"),
])
def test_search_rejects_bad_input_before_any_upstream_call(api_client, tmdb, query, field):
    response = api_client.get("/api/movies/search/", query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert len(tmdb.calls) == 0


def test_search_trims_the_query_and_passes_the_year(api_client, tmdb):
    tmdb.add_list("/search/movie", [movie_item(348, title="Alien")])

    response = api_client.get("/api/movies/search/", {"q": "  alien ", "year": 1979})

    assert response.status_code == 200
    assert [m["title"] for m in response.json()["results"]] == ["Alien"]
    params = tmdb.upstream_calls("/search/")[0].request.params
    assert (params["query"], params["primary_release_year"]) == ("alien", "1979")


def test_search_with_no_hits_is_an_empty_page(api_client, tmdb):
    tmdb.add_json("/search/movie", {"page": 1, "results": [], "total_pages": 1, "total_results": 0})

    response = api_client.get("/api/movies/search/", {"q": "zzzz"})

    assert response.json() == {"page": 1, "total_pages": 1, "total_results": 0, "results": []}


def test_page_past_the_end_is_200_with_no_results(api_client, tmdb):
    tmdb.add_list("/trending/movie/day", [], page=3, total_pages=2, total_results=40)

    response = api_client.get("/api/movies/trending/", {"page": 3})

    assert response.status_code == 200
    assert response.json() == {"page": 3, "total_pages": 2, "total_results": 40, "results": []}


def test_detail_costs_one_upstream_call_and_has_the_contract_shape(api_client, tmdb):
    tmdb.add_details(1184001, title="Orbit of Silence")

    response = api_client.get("/api/movies/1184001/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SUMMARY_KEYS | {"tagline", "runtime", "status", "imdb_id", "homepage", "budget", "revenue",
                                        "cast", "directors", "trailer"}
    assert (body["title"], body["runtime"], body["imdb_id"], body["budget"]) == ("Orbit of Silence", 118, "tt9900123", 42_000_000)
    assert body["genres"] == [{"id": 878, "name": "Science Fiction"}, {"id": 18, "name": "Drama"}]
    assert len(body["cast"]) == 10
    assert body["cast"][:2] == [
        {"id": 5550000, "name": "Actor 0", "character": "Role 0", "profile_url": None},
        {"id": 5550001, "name": "Actor 1", "character": "Role 1", "profile_url": "https://image.tmdb.org/t/p/w185/c1.jpg"},
    ]
    assert body["directors"] == [{"id": 5559001, "name": "Tomas Reyes"}]
    assert body["trailer"] == {"site": "YouTube", "key": "AbCdEfGhIjK", "url": "https://www.youtube.com/watch?v=AbCdEfGhIjK"}
    calls = tmdb.upstream_calls()
    assert len(calls) == 1
    assert calls[0].request.params["append_to_response"] == "credits,videos"


def test_detail_is_upserted_into_the_catalogue(api_client, tmdb):
    tmdb.add_details(1184001, title="Orbit of Silence", release_date="2024-10-04")

    api_client.get("/api/movies/1184001/")

    movie = Movie.objects.get(pk=1184001)
    assert (movie.title, movie.release_date, movie.runtime, movie.details_fetched_at is not None) == (
        "Orbit of Silence", dt.date(2024, 10, 4), 118, True)
    assert sorted(movie.genres.values_list("id", flat=True)) == [18, 878]
    assert movie.directors == [{"id": 5559001, "name": "Tomas Reyes"}]


def test_detail_without_trailer_or_credits_has_nulls(api_client, tmdb):
    tmdb.add_details(5, credits={"cast": [], "crew": []}, videos={"results": []}, runtime=0, imdb_id=None)

    body = api_client.get("/api/movies/5/").json()

    assert (body["cast"], body["directors"], body["trailer"], body["runtime"], body["imdb_id"]) == ([], [], None, None, None)


def test_unknown_movie_is_404_not_found(api_client, tmdb):
    tmdb.add_error("/movie/424242", 404)

    response = api_client.get("/api/movies/424242/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Movie not found.", "code": "not_found"}


@pytest.mark.parametrize("path", ["/api/movies/abc/", "/api/movies/0/", "/api/movies/2147483648/",
                                  "/api/movies/..%2Fconfiguration/", "/api/movies/-5/"])
def test_malformed_movie_ids_are_404_without_upstream_call(api_client, tmdb, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert len(tmdb.calls) == 0


def test_movie_recommendations_pass_through_pages_and_404(api_client, tmdb):
    tmdb.add_list("/movie/603/recommendations", [movie_item(604, media_type="movie")], page=2, total_pages=2,
                  total_results=21)
    tmdb.add_error("/movie/777/recommendations", 404)

    ok = api_client.get("/api/movies/603/recommendations/", {"page": 2})
    missing = api_client.get("/api/movies/777/recommendations/")

    assert ok.status_code == 200
    assert (ok.json()["page"], [m["id"] for m in ok.json()["results"]]) == (2, [604])
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_genres_are_listed_and_stored(api_client, tmdb):
    response = api_client.get("/api/movies/genres/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 19
    assert results[0] == {"id": 28, "name": "Action"}
    assert [g["name"] for g in results] == sorted(g["name"] for g in results)
    from movies.models import Genre
    assert Genre.objects.count() == 19


# --- recommended ----------------------------------------------------------------------------------


def _register_recommended_sources(tmdb, top_rated, popular):
    for page in (1, 2, 3):
        tmdb.add_list("/movie/top_rated", top_rated if page == 1 else [], page=page)
        tmdb.add_list("/movie/popular", popular if page == 1 else [], page=page)


def test_recommended_blends_lists_and_ranks_by_weighted_rating(api_client, tmdb):
    few_votes_perfect = movie_item(1, vote_average=10.0, vote_count=3, popularity=5)
    classic = movie_item(2, vote_average=8.7, vote_count=30000, popularity=80)
    solid = movie_item(3, vote_average=8.1, vote_count=12000, popularity=60)
    blockbuster = movie_item(4, vote_average=6.9, vote_count=9000, popularity=500)
    mediocre = movie_item(5, vote_average=6.0, vote_count=8000, popularity=40)
    _register_recommended_sources(tmdb, top_rated=[few_votes_perfect, classic, solid],
                                  popular=[blockbuster, classic, mediocre])

    response = api_client.get("/api/movies/recommended/")

    assert response.status_code == 200
    body = response.json()
    # The 3-vote 10/10 is pulled to the pool's mean (7.94): below the well-voted good films.
    assert [m["id"] for m in body["results"]] == [2, 3, 1, 4, 5]
    assert (body["page"], body["total_pages"], body["total_results"]) == (1, 1, 5)
    assert len(tmdb.upstream_calls("/movie/(top_rated|popular)")) == 6


def test_recommended_filters_by_genre_and_asks_tmdb_for_that_genre(api_client, tmdb):
    _register_recommended_sources(tmdb, top_rated=[movie_item(1, genre_ids=[16]), movie_item(2, genre_ids=[18])],
                                  popular=[])
    tmdb.add_list("/discover/movie", [movie_item(3, genre_ids=[16, 10751], vote_average=8.0, vote_count=5000)])

    response = api_client.get("/api/movies/recommended/", {"genre": 16})

    assert [m["id"] for m in response.json()["results"]] == [3, 1]
    discover = tmdb.upstream_calls("/discover/")
    assert len(discover) == 2
    assert discover[0].request.params["with_genres"] == "16"


def test_recommended_unknown_genre_matches_nothing_without_asking_tmdb(api_client, tmdb):
    response = api_client.get("/api/movies/recommended/", {"genre": 4242, "page": 2})

    assert response.status_code == 200
    assert response.json() == {"page": 2, "total_pages": 0, "total_results": 0, "results": []}
    assert "X-Cache" not in response
    assert tmdb.upstream_calls() == []


def test_recommended_survives_some_failing_sources(api_client, tmdb):
    for page in (1, 2, 3):
        tmdb.add_list("/movie/top_rated", [movie_item(10 + page)], page=page)
        tmdb.add_error("/movie/popular", 500, params={"page": str(page)})

    response = api_client.get("/api/movies/recommended/")

    assert response.status_code == 200
    assert sorted(m["id"] for m in response.json()["results"]) == [11, 12, 13]
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=61)):
        assert api_client.get("/api/movies/recommended/")["X-Cache"] == "MISS"  # partial: kept 60 s only


# --- upstream failures ------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "headers", "expected_status", "code", "retry_after"), [
    (500, {}, 503, "upstream_unavailable", "30"),
    (502, {}, 503, "upstream_unavailable", "30"),
    (503, {"Retry-After": "0"}, 503, "upstream_unavailable", "30"),
    (504, {}, 504, "upstream_timeout", None),
    (429, {"Retry-After": "0"}, 503, "upstream_rate_limited", "30"),
    (401, {}, 503, "upstream_misconfigured", "300"),
])
def test_upstream_failures_map_to_our_errors(api_client, tmdb, status, headers, expected_status, code, retry_after):
    tmdb.add_error("/trending/movie/day", status, headers=headers)

    response = api_client.get("/api/movies/trending/")

    assert response.status_code == expected_status
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    assert response.get("Retry-After") == retry_after
    assert "X-Cache" not in response


def test_upstream_timeout_is_504(api_client, tmdb):
    tmdb.get(tmdb.url("/movie/603"), body=requests.exceptions.ConnectTimeout())

    response = api_client.get("/api/movies/603/")

    assert response.status_code == 504
    assert response.json() == {"detail": "The movie data provider did not answer in time. Try again later.",
                               "code": "upstream_timeout"}


def test_upstream_malformed_payload_is_502(api_client, tmdb):
    tmdb.add_json("/trending/movie/day", {"page": 1, "results": [{"title": "no id"}]})

    response = api_client.get("/api/movies/trending/")

    assert response.status_code == 502
    assert response.json()["code"] == "upstream_bad_response"


UPSTREAM_BAD_RESPONSE = {"detail": "The movie data provider sent an answer we could not read.",
                         "code": "upstream_bad_response"}


@pytest.mark.parametrize("path, query, upstream", [
    ("/api/movies/trending/", {"time_window": "week"}, ["/trending/movie/week"]),
    ("/api/movies/search/", {"q": "alien"}, ["/search/movie"]),
    ("/api/movies/recommended/", {}, ["/movie/top_rated", "/movie/popular"]),
])
def test_tmdb_404_on_a_list_is_502_not_404(api_client, tmdb, path, query, upstream):
    for upstream_path in upstream:
        tmdb.add_error(upstream_path, 404)

    response = api_client.get(path, query)

    assert response.status_code == 502
    assert response.json() == UPSTREAM_BAD_RESPONSE


def test_tmdb_404_on_the_genre_list_is_502_not_404(api_client, tmdb):
    tmdb.replace("GET", tmdb.url("/genre/movie/list"), json=error_body(404), status=404)

    response = api_client.get("/api/movies/genres/")

    assert response.status_code == 502
    assert response.json() == UPSTREAM_BAD_RESPONSE


def test_tmdb_404_on_movie_details_stays_404_beside_a_list_404(api_client, tmdb):
    tmdb.add_error("/movie/424242", 404)
    tmdb.add_error("/trending/movie/day", 404)

    details = api_client.get("/api/movies/424242/")
    trending = api_client.get("/api/movies/trending/")

    assert (details.status_code, details.json()) == (404, {"detail": "Movie not found.", "code": "not_found"})
    assert (trending.status_code, trending.json()) == (502, UPSTREAM_BAD_RESPONSE)


def test_errors_are_not_cached(api_client, tmdb):
    tmdb.add_error("/trending/movie/day", 500)
    assert api_client.get("/api/movies/trending/").status_code == 503
    tmdb.replace("GET", tmdb.url("/trending/movie/day"), json=list_body([movie_item(1)]))

    response = api_client.get("/api/movies/trending/")

    assert (response.status_code, response["X-Cache"]) == (200, "MISS")


def test_stale_copy_is_served_when_tmdb_fails_after_the_ttl(api_client, tmdb):
    tmdb.add_list("/trending/movie/day", [movie_item(1)])
    fresh = api_client.get("/api/movies/trending/")
    tmdb.replace("GET", tmdb.url("/trending/movie/day"), json=error_body(503), status=503)

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=settings.CACHE_TTL_TRENDING + 1)):
        stale = api_client.get("/api/movies/trending/")

    assert (stale.status_code, stale["X-Cache"]) == (200, "STALE")
    assert stale.json() == fresh.json()


def test_expired_copy_is_refreshed_when_tmdb_answers(api_client, tmdb):
    tmdb.add_list("/trending/movie/day", [movie_item(1)])
    api_client.get("/api/movies/trending/")
    tmdb.replace("GET", tmdb.url("/trending/movie/day"), json=list_body([movie_item(2)]))

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=settings.CACHE_TTL_TRENDING + 1)):
        refreshed = api_client.get("/api/movies/trending/")

    assert (refreshed["X-Cache"], refreshed.json()["results"][0]["id"]) == ("MISS", 2)


def test_reference_data_failure_falls_back_instead_of_failing(api_client, tmdb):
    tmdb.replace("GET", tmdb.url("/configuration"), json=error_body(500), status=500)
    tmdb.add_list("/trending/movie/day", [movie_item(1)])

    response = api_client.get("/api/movies/trending/")

    assert response.status_code == 200
    assert response.json()["results"][0]["poster_url"] == "https://image.tmdb.org/t/p/w500/p1.jpg"


# --- catalogue upserts --------------------------------------------------------------------------------


def test_listed_movies_are_upserted_with_genres(api_client, tmdb):
    Movie.objects.create(id=1, title="Old title")
    tmdb.add_list("/trending/movie/day", [movie_item(1, title="New title", genre_ids=[18, 28]), movie_item(2)])

    api_client.get("/api/movies/trending/")

    assert dict(Movie.objects.values_list("id", "title")) == {1: "New title", 2: "Movie 2"}
    assert sorted(Movie.objects.get(pk=1).genres.values_list("id", flat=True)) == [18, 28]


def test_upsert_query_count_does_not_grow_with_the_page(api_client, tmdb, django_assert_max_num_queries):
    tmdb.add_list("/trending/movie/day", [movie_item(1)], page=1)
    tmdb.add_list("/trending/movie/day", [movie_item(100 + n, genre_ids=[18, 28, 35]) for n in range(20)], page=2)
    api_client.get("/api/movies/genres/")  # reference data stored first; it is cached from then on

    with django_assert_max_num_queries(10):
        assert api_client.get("/api/movies/trending/", {"page": 1}).status_code == 200
    with django_assert_max_num_queries(10):
        assert api_client.get("/api/movies/trending/", {"page": 2}).status_code == 200
    assert Movie.objects.count() == 21


def test_changed_genres_replace_old_links(tmdb):
    from movies.catalogue import catalogue_upsert, genres_upsert

    genres_upsert([{"id": 18, "name": "Drama"}, {"id": 28, "name": "Action"}, {"id": 35, "name": "Comedy"}])
    base = {"title": "T", "original_title": "T", "overview": "", "release_date": None, "original_language": "en",
            "vote_average": 1.0, "vote_count": 1, "popularity": 1.0, "poster_path": None, "backdrop_path": None}
    catalogue_upsert([{"id": 1, **base, "genre_ids": [18, 28]}])
    catalogue_upsert([{"id": 1, **base, "genre_ids": [28, 35, 99999]}])

    assert sorted(Movie.objects.get(pk=1).genres.values_list("id", flat=True)) == [28, 35]


def test_read_token_mode_end_to_end(api_client, tmdb, settings):
    settings.TMDB_API_KEY = ""
    settings.TMDB_READ_ACCESS_TOKEN = "read-token"
    tmdb.add_list("/trending/movie/day", [movie_item(1)])

    response = api_client.get("/api/movies/trending/")

    assert response.status_code == 200
    call = tmdb.upstream_calls()[0]
    assert call.request.headers["Authorization"] == "Bearer read-token"
    assert "api_key" not in call.request.params


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_overlapping_pages_do_not_deadlock():
    import threading

    from django.db import connection

    from movies.catalogue import catalogue_upsert, genres_upsert

    if connection.vendor != "postgresql":
        pytest.skip("row-lock deadlocks are PostgreSQL's; the test database of SQLite is in memory, one writer")
    genres_upsert([{"id": 18, "name": "Drama"}])
    base = {"title": "T", "original_title": "T", "overview": "", "release_date": None, "original_language": "en",
            "vote_average": 1.0, "vote_count": 1, "popularity": 1.0, "poster_path": None, "backdrop_path": None,
            "genre_ids": [18]}
    pages = [[{"id": i, **base} for i in range(1, 41)], [{"id": i, **base} for i in range(40, 0, -1)]]
    errors, barrier = [], threading.Barrier(2)

    def upsert(page):
        try:
            for _ in range(15):
                barrier.wait(timeout=10)
                catalogue_upsert(page)
        except Exception as exc:  # a deadlock aborts one upsert: the test reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upsert, args=(page,)) for page in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Movie.objects.count() == 40
