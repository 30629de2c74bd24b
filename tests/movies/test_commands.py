"""warm_cache fills the cache it says it fills."""

import pytest
from django.core.management import call_command

from tests.fakes import movie_item

pytestmark = pytest.mark.django_db


def test_warm_cache_fills_lists_and_details_so_requests_hit(api_client, tmdb, capsys):
    tmdb.add_list("/trending/movie/day", [movie_item(1), movie_item(2)])
    tmdb.add_list("/trending/movie/week", [movie_item(2), movie_item(3)])
    for page in (1, 2, 3):
        tmdb.add_list("/movie/top_rated", [movie_item(4)] if page == 1 else [], page=page)
        tmdb.add_list("/movie/popular", [movie_item(1)] if page == 1 else [], page=page)
    for movie_id in (1, 2, 3, 4):
        tmdb.add_details(movie_id)

    call_command("warm_cache")

    out = capsys.readouterr().out
    assert "Warmed 4 lists and 4 movie details; 0 failures." in out
    before = len(tmdb.calls)
    for path in ("/api/movies/trending/", "/api/movies/trending/?time_window=week", "/api/movies/recommended/",
                 "/api/movies/genres/", "/api/movies/1/", "/api/movies/4/"):
        assert api_client.get(path)["X-Cache"] == "HIT", path
    assert len(tmdb.calls) == before


def test_warm_cache_without_tmdb_says_there_is_nothing_to_warm(capsys):
    call_command("warm_cache")

    assert "nothing to warm" in capsys.readouterr().out


def test_warm_cache_reports_failures(tmdb, capsys):
    tmdb.add_error("/trending/movie/day", 500)
    tmdb.add_list("/trending/movie/week", [])
    for page in (1, 2, 3):
        tmdb.add_list("/movie/top_rated", [], page=page)
        tmdb.add_list("/movie/popular", [], page=page)

    call_command("warm_cache")

    captured = capsys.readouterr()
    assert "trending/day p1: upstream_unavailable" in captured.err
    assert "1 failures" in captured.out
