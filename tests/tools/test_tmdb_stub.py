"""Tests for the TMDb stub server (tools/tmdb_stub). Pure stdlib + pytest, no Django."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tools.tmdb_stub.server import CATALOGUE_PATH, FILL_ID_STEP, StubServer

API_KEY = "test-key"
READ_TOKEN = "test-read-token"
REPO_ROOT = Path(__file__).resolve().parents[2]

INVALID_KEY_BODY = {
    "status_code": 7,
    "status_message": "Invalid API key: You must be granted a valid key.",
    "success": False,
}
NOT_FOUND_BODY = {
    "status_code": 34,
    "status_message": "The resource you requested could not be found.",
    "success": False,
}


@pytest.fixture(scope="module")
def server():
    with StubServer(api_key=API_KEY, read_token=READ_TOKEN) as stub:
        yield stub


@pytest.fixture
def stub(server):
    server.reset()
    yield server
    server.reset()


def call(url, *, params=None, headers=None, method="GET", data=None, timeout=10):
    """Returns (status, headers, raw body bytes); never raises on HTTP errors."""
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def api(stub, path, **params):
    """GET an API path with the api_key; returns (status, headers, parsed JSON)."""
    status, headers, raw = call(stub.base_url + path, params={"api_key": API_KEY, **params})
    return status, headers, json.loads(raw)


# -- catalogue ----------------------------------------------------------------------------


def test_catalogue_file_is_valid():
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    genre_ids = [g["id"] for g in data["genres"]]
    assert len(genre_ids) == 19 and len(set(genre_ids)) == 19
    expected_keys = {
        "id",
        "title",
        "original_title",
        "original_language",
        "release_date",
        "genre_ids",
        "vote_average",
        "vote_count",
        "popularity",
        "runtime",
        "imdb_id",
    }
    ids = [m["id"] for m in data["movies"]]
    assert len(ids) == len(set(ids)) >= 100
    for movie in data["movies"]:
        assert set(movie) == expected_keys, movie["id"]
        assert set(movie["genre_ids"]) <= set(genre_ids), movie["id"]
        datetime.date.fromisoformat(movie["release_date"])
        assert movie["imdb_id"] is None or movie["imdb_id"].startswith("tt")
        assert len(movie["original_language"]) == 2
        assert movie["id"] < 9_000_000


# -- auth ---------------------------------------------------------------------------------


def test_auth_with_api_key_query_param(stub):
    status, headers, body = api(stub, "/configuration")
    assert status == 200
    assert headers["Content-Type"] == "application/json;charset=utf-8"
    assert body["images"]["secure_base_url"] == "https://image.tmdb.org/t/p/"
    assert body["images"]["poster_sizes"] == ["w92", "w154", "w185", "w342", "w500", "w780", "original"]


def test_auth_with_bearer_token(stub):
    status, _, raw = call(stub.base_url + "/genre/movie/list", headers={"Authorization": f"Bearer {READ_TOKEN}"})
    assert status == 200
    genres = json.loads(raw)["genres"]
    assert len(genres) == 19
    assert {"id": 878, "name": "Science Fiction"} in genres


@pytest.mark.parametrize(
    "params,headers",
    [
        ({}, {}),
        ({"api_key": "wrong"}, {}),
        ({}, {"Authorization": "Bearer wrong"}),
        ({}, {"Authorization": f"Basic {READ_TOKEN}"}),
    ],
)
def test_missing_or_bad_credentials_give_401(stub, params, headers):
    status, hdrs, raw = call(stub.base_url + "/movie/popular", params=params, headers=headers)
    assert status == 401
    assert hdrs["Content-Type"] == "application/json;charset=utf-8"
    assert json.loads(raw) == INVALID_KEY_BODY


# -- pagination ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page,message",
    [
        ("0", "page must be greater than 0"),
        ("-3", "page must be greater than 0"),
        ("501", "page must be less than or equal to 500"),
    ],
)
def test_page_out_of_range_gives_422_errors_shape(stub, page, message):
    for path in ("/movie/popular", "/trending/movie/day", "/discover/movie"):
        status, _, body = api(stub, path, page=page)
        assert status == 422
        assert body == {"errors": [message]}


def test_non_integer_page_and_code22_style(stub):
    status, _, body = api(stub, "/movie/popular", page="abc")
    assert (status, body["status_code"], body["success"]) == (400, 22, False)
    stub.configure(page_error_style="code22")
    status, _, body = api(stub, "/movie/top_rated", page="501")
    assert (status, body["status_code"]) == (400, 22)


def test_pages_and_past_end_page(stub):
    _, _, first = api(stub, "/movie/popular")
    assert first["page"] == 1 and len(first["results"]) == 20
    assert first["total_pages"] == -(-first["total_results"] // 20)
    pops = [m["popularity"] for m in first["results"]]
    assert pops == sorted(pops, reverse=True)
    _, _, second = api(stub, "/movie/popular", page=2)
    assert not {m["id"] for m in first["results"]} & {m["id"] for m in second["results"]}
    status, _, past = api(stub, "/movie/popular", page=first["total_pages"] + 1)
    assert status == 200
    assert past == {
        "page": first["total_pages"] + 1,
        "results": [],
        "total_pages": first["total_pages"],
        "total_results": first["total_results"],
    }


def test_list_items_have_awkward_shapes(stub):
    _, _, body = api(stub, "/movie/popular")
    items = body["results"]
    assert any(m["poster_path"] is None and m["backdrop_path"] is None for m in items)
    assert any(m["release_date"] == "" and m["genre_ids"] == [] for m in items)
    for item in items:
        assert "media_type" not in item
        assert item["adult"] is False and item["video"] is False
        assert set(item) >= {"id", "title", "original_title", "overview", "vote_average"}


def test_top_rated_order_and_threshold(stub):
    _, _, body = api(stub, "/movie/top_rated")
    votes = [m["vote_average"] for m in body["results"]]
    assert votes == sorted(votes, reverse=True)
    assert all(m["vote_count"] >= 100 for m in body["results"])


def test_inflated_total_pages(stub):
    stub.configure(inflate_total_pages=38020)
    _, _, body = api(stub, "/movie/popular", page=500)
    assert body["total_pages"] == 38020 and body["results"] == []


def test_filled_pages_past_the_catalogue(stub):
    stub.configure(inflate_total_pages=500, fill_pages=True)
    _, _, first = api(stub, "/trending/movie/day", page=1)
    _, _, far = api(stub, "/trending/movie/day", page=321)
    stub.configure(inflate_total_pages=None)
    _, _, past_real_end = api(stub, "/trending/movie/day", page=321)

    assert far["page"] == 321 and len(far["results"]) == 20
    assert len({m["id"] for m in far["results"]}) == 20
    assert all(m["id"] > FILL_ID_STEP for m in far["results"])  # new movies, not page 1's again
    assert len(first["results"]) == 20
    assert past_real_end["results"] == []


# -- details ------------------------------------------------------------------------------


def test_details_with_append_credits_and_videos(stub):
    status, _, body = api(stub, "/movie/550", append_to_response="credits,videos")
    assert status == 200
    assert body["id"] == 550 and body["title"] == "Fight Club"
    assert body["imdb_id"] == "tt0137523"
    assert body["genres"] == [{"id": 18, "name": "Drama"}]
    assert body["status"] == "Released" and body["tagline"] == ""
    assert isinstance(body["runtime"], int) and body["runtime"] > 0
    assert body["belongs_to_collection"] is None
    cast = body["credits"]["cast"]
    assert [c["order"] for c in cast] == list(range(len(cast))) and cast
    assert any(c["job"] == "Director" for c in body["credits"]["crew"])
    video = body["videos"]["results"][0]
    assert video["site"] == "YouTube" and video["type"] == "Trailer" and len(video["key"]) == 11
    assert "similar" not in body and "recommendations" not in body


def test_details_append_recommendations_similar_and_collection(stub):
    _, _, body = api(stub, "/movie/603", append_to_response="recommendations,similar,bogus")
    assert body["belongs_to_collection"]["id"] == 2344
    assert body["recommendations"]["page"] == 1
    assert body["recommendations"]["results"][0]["media_type"] == "movie"
    assert "media_type" not in body["similar"]["results"][0]
    assert 603 not in {m["id"] for m in body["similar"]["results"]}
    assert "bogus" not in body


def test_too_many_appends(stub):
    status, _, body = api(stub, "/movie/550", append_to_response=",".join(f"x{i}" for i in range(21)))
    assert (status, body["status_code"], body["success"]) == (400, 27, False)


@pytest.mark.parametrize(
    "path",
    [
        "/movie/1",
        "/movie/abc",
        "/movie/550abc",
        "/movie/99999999/similar",
        "/movie/99999999/recommendations",
        "/nope",
        "/trending/movie/month",
    ],
)
def test_unknown_resources_give_404_code_34(stub, path):
    status, _, body = api(stub, path)
    assert status == 404
    assert body == NOT_FOUND_BODY


def test_recommendations_endpoint(stub):
    status, _, body = api(stub, "/movie/155/recommendations")
    assert status == 200
    assert body["results"] and all(m["media_type"] == "movie" for m in body["results"])
    assert 155 not in {m["id"] for m in body["results"]}
    _, _, similar = api(stub, "/movie/155/similar", page=2)
    assert similar["page"] == 2



def test_custom_catalogue_without_synthetic_entries_recommends_same_genre_by_popularity(tmp_path):
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(json.dumps({
        "genres": [{"id": 1, "name": "One"}, {"id": 2, "name": "Two"}],
        "movies": [
            {"id": 10, "title": "Seed", "genre_ids": [1], "popularity": 1.0, "vote_count": 1, "vote_average": 5.0},
            {"id": 11, "title": "Quiet", "genre_ids": [1], "popularity": 2.0, "vote_count": 2, "vote_average": 5.0},
            {"id": 12, "title": "Loud", "genre_ids": [1, 2], "popularity": 9.0, "vote_count": 9, "vote_average": 5.0},
            {"id": 13, "title": "Other", "genre_ids": [2], "popularity": 50.0, "vote_count": 50, "vote_average": 5.0},
        ],
    }))
    with StubServer(api_key=API_KEY, read_token=READ_TOKEN, catalogue_path=catalogue, synthetic=False) as only:
        _, _, recommendations = api(only, "/movie/10/recommendations")
        _, _, popular = api(only, "/movie/popular")
        status, _, _ = api(only, "/movie/9000001")

    assert [m["id"] for m in recommendations["results"]] == [12, 11]
    assert [m["id"] for m in popular["results"]] == [13, 12, 11, 10]
    assert status == 404

# -- search / discover / trending ---------------------------------------------------------


def test_search_no_hits_literal_body(stub):
    status, _, raw = call(stub.base_url + "/search/movie", params={"api_key": API_KEY, "query": "zzqqxx no such film"})
    assert status == 200
    assert raw == b'{"page":1,"results":[],"total_pages":1,"total_results":0}'


@pytest.mark.parametrize("params", [{}, {"query": ""}, {"query": "   "}])
def test_search_requires_query(stub, params):
    status, _, body = api(stub, "/search/movie", **params)
    assert status == 422
    assert body == {"errors": ["query must be provided"]}


def test_search_matches_title_and_original_title(stub):
    _, _, body = api(stub, "/search/movie", query="MATRIX")
    assert {603, 604} <= {m["id"] for m in body["results"]}
    _, _, body = api(stub, "/search/movie", query="千と千尋")
    assert [m["id"] for m in body["results"]] == [129]
    _, _, body = api(stub, "/search/movie", query="matrix", primary_release_year="1999")
    assert [m["id"] for m in body["results"]] == [603]


def test_discover_genres_and_sort(stub):
    _, _, both = api(stub, "/discover/movie", with_genres="16,10751", sort_by="vote_count.desc")
    assert both["results"]
    assert all({16, 10751} <= set(m["genre_ids"]) for m in both["results"])
    counts = [m["vote_count"] for m in both["results"]]
    assert counts == sorted(counts, reverse=True)
    _, _, either = api(stub, "/discover/movie", with_genres="16|37")
    assert either["total_results"] > both["total_results"]
    assert all({16, 37} & set(m["genre_ids"]) for m in either["results"])
    _, _, year = api(stub, "/discover/movie", primary_release_year="1994", **{"vote_count.gte": "100"})
    assert year["results"] and all(m["release_date"].startswith("1994") for m in year["results"])


def test_trending_items_carry_media_type(stub):
    _, _, day = api(stub, "/trending/movie/day")
    _, _, week = api(stub, "/trending/movie/week")
    assert day["results"] and all(m["media_type"] == "movie" for m in day["results"])
    assert all(m["media_type"] == "movie" for m in week["results"])
    assert [m["id"] for m in day["results"]] != [m["id"] for m in week["results"]]


# -- faults and request log ---------------------------------------------------------------


def test_fault_injection_503_then_recovery(stub):
    stub.inject_fault(status=503, count=2, path_prefix="/3/movie")
    for _ in range(2):
        status, _, body = api(stub, "/movie/550")
        assert status == 503
        assert body == {
            "status_code": 9,
            "success": False,
            "status_message": "Service offline: This service is temporarily offline, try again later.",
        }
    status, _, _ = api(stub, "/configuration")  # other prefixes are untouched
    assert status == 200
    status, _, body = api(stub, "/movie/550")
    assert status == 200 and body["id"] == 550
    assert stub.request_count("/3/movie") == 3
    assert stub.request_count("/movie/550") == 3
    assert stub.request_count() == 4


def test_429_with_retry_after(stub):
    stub.inject_fault(status=429, count=1, retry_after=1)
    status, headers, raw = call(stub.base_url + "/movie/popular", params={"api_key": API_KEY})
    assert status == 429
    assert headers["Retry-After"] == "1"
    assert json.loads(raw) == {
        "status_code": 25,
        "success": False,
        "status_message": "Your request count (41) is over the allowed limit of 40.",
    }
    assert api(stub, "/movie/popular")[0] == 200


def test_fault_control_endpoints_over_http(stub):
    status, _, _ = call(
        stub.url + "/__stub__/faults", method="POST", data={"status": 502, "count": None, "path_prefix": "/search"}
    )
    assert status == 200
    for _ in range(3):
        status, _, body = api(stub, "/search/movie", query="heat")
        assert (status, body["status_code"]) == (502, 43)
    assert call(stub.url + "/__stub__/faults", method="DELETE")[0] == 200
    assert api(stub, "/search/movie", query="heat")[0] == 200

    status, _, raw = call(stub.url + "/__stub__/requests")
    log = json.loads(raw)
    assert log["count"] == 4 and log["paths"] == ["/3/search/movie"] * 4
    call(stub.url + "/__stub__/requests", method="DELETE")
    assert json.loads(call(stub.url + "/__stub__/requests")[2]) == {"count": 0, "paths": []}

    status, _, raw = call(stub.url + "/__stub__/faults", method="POST", data={"count": 1})
    assert status == 400 and "status" in json.loads(raw)["error"]


def test_delay_fault_slows_requests(stub):
    stub.inject_fault(delay=0.3, count=1)
    started = time.monotonic()
    assert api(stub, "/configuration")[0] == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert api(stub, "/configuration")[0] == 200
    assert time.monotonic() - started < 0.3


def test_calls_count_concurrent_identical_calls(stub):
    stub.inject_fault(delay=0.5, count=2, path_prefix="/movie/550")
    workers = [
        threading.Thread(target=api, args=(stub, "/movie/550"), kwargs={"language": "en-US"}) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    assert api(stub, "/movie/603", language="en-US")[0] == 200
    for worker in workers:
        worker.join()

    status, _, raw = call(stub.url + "/__stub__/calls")
    assert status == 200
    assert json.loads(raw) == {
        "calls": {"/3/movie/550?language=en-US": 2, "/3/movie/603?language=en-US": 1},
        "in_flight": {},
        "peak_in_flight": {"/3/movie/550?language=en-US": 2, "/3/movie/603?language=en-US": 1},
    }
    stub.reset_requests()
    assert stub.calls() == {"calls": {}, "in_flight": {}, "peak_in_flight": {}}


def test_delayed_call_ends_when_its_client_hangs_up(stub):
    stub.inject_fault(delay=5.0, count=1, path_prefix="/configuration")
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        call(stub.base_url + "/configuration", params={"api_key": API_KEY}, timeout=0.2)
    while stub.calls()["in_flight"] and time.monotonic() - started < 2:
        time.sleep(0.02)

    assert stub.calls()["in_flight"] == {}
    assert time.monotonic() - started < 2
    assert stub.calls()["peak_in_flight"] == {"/3/configuration": 1}


def test_auth_failure_fault_and_reset(stub):
    stub.inject_fault(status=401, count=None)
    status, _, body = api(stub, "/configuration")
    assert (status, body) == (401, INVALID_KEY_BODY)
    stub.reset()
    assert api(stub, "/configuration")[0] == 200
    assert stub.request_count() == 1


# -- command line -------------------------------------------------------------------------


def test_cli_port_zero_prints_base_url():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.tmdb_stub", "--port", "0", "--api-key", "cli-key"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("tmdb-stub listening on http://127.0.0.1:") and line.endswith("/3")
        base_url = line.rsplit(" ", 1)[1]
        status, _, raw = call(base_url + "/movie/13", params={"api_key": "cli-key"})
        assert status == 200 and json.loads(raw)["title"] == "Forrest Gump"
        status, _, _ = call(base_url + "/movie/13", headers={"Authorization": "Bearer stub-token"})
        assert status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    stderr = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert "cli-key" not in stderr


def test_keep_alive_requests_do_not_stall_on_nagle(stub):
    # Headers and body are two writes; with Nagle's algorithm on, each request over a reused
    # connection waited ~40 ms for a delayed ACK, so 10 requests took over 0.4 s.
    import http.client

    connection = http.client.HTTPConnection(stub.host, stub.port, timeout=5)
    statuses = []
    started = time.perf_counter()
    for _ in range(20):
        connection.request("GET", f"/3/genre/movie/list?api_key={API_KEY}")
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
    elapsed = time.perf_counter() - started
    connection.close()

    assert statuses == [200] * 20
    assert elapsed < 0.4
