"""
What the cache claims about time, run against the clock (time-machine): an entry is a HIT until
just before its TTL (stored fresh for 90-100% of it: a little jitter spreads expiries), and every
endpoint's entry follows its own TTL setting, not another endpoint's.
"""

import datetime as dt

import pytest
import time_machine

from tests.builders import make_user
from tests.fakes import movie_item
from tests.users.conftest import bearer_client

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
TTL_SETTINGS = ["CACHE_TTL_TRENDING", "CACHE_TTL_DETAILS", "CACHE_TTL_SEARCH", "CACHE_TTL_RECOMMENDATIONS",
                "CACHE_TTL_REFERENCE"]
OWN_TTL, OTHER_TTL = 1000, 500  # seconds
SURELY_FRESH = 0.9  # the jitter keeps an entry fresh for at least 90% of its TTL


def _register_everything(tmdb):
    """Every list and detail the endpoints below ask for (any page)."""
    for path in ("/trending/movie/day", "/search/movie", "/movie/348/recommendations", "/movie/top_rated",
                 "/movie/popular"):
        tmdb.add_list(path, [movie_item(348, title="Alien"), movie_item(679, title="Aliens")])
    tmdb.add_details(348)


# (what, request, the TTL setting its entry must follow)
ENDPOINTS = [
    ("trending", lambda client: client.get("/api/movies/trending/"), "CACHE_TTL_TRENDING"),
    ("details", lambda client: client.get("/api/movies/348/"), "CACHE_TTL_DETAILS"),
    ("search", lambda client: client.get("/api/movies/search/", {"q": "alien"}), "CACHE_TTL_SEARCH"),
    ("more like this", lambda client: client.get("/api/movies/348/recommendations/"), "CACHE_TTL_RECOMMENDATIONS"),
    ("recommended", lambda client: client.get("/api/movies/recommended/"), "CACHE_TTL_RECOMMENDATIONS"),
    ("personal", lambda client: client.get("/api/users/recommendations/"), "CACHE_TTL_RECOMMENDATIONS"),
    ("genres", lambda client: client.get("/api/movies/genres/"), "CACHE_TTL_REFERENCE"),
]


class _Client:
    """Requests as alice with an access token minted at the (travelling) clock's now: a token from
    before the jump would be expired after it."""

    def __init__(self) -> None:
        self.user = make_user("alice")

    def get(self, *args, **kwargs):
        return bearer_client(self.user).get(*args, **kwargs)


@pytest.fixture
def client():
    return _Client()


@pytest.mark.parametrize(("what", "get", "own_setting"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_each_endpoint_entry_follows_its_own_ttl_setting(client, tmdb, settings, what, get, own_setting):
    """Its own TTL long, every other TTL short: a HIT after the others ran out proves it does not
    follow them; a refetch after its own ran out proves it follows its own."""
    _register_everything(tmdb)
    for name in TTL_SETTINGS:
        setattr(settings, name, OWN_TTL if name == own_setting else OTHER_TTL)

    with time_machine.travel(T0, tick=False) as clock:
        first = get(client)
        clock.move_to(T0 + dt.timedelta(seconds=OWN_TTL * SURELY_FRESH - 1))  # others long expired
        before = get(client)
        clock.move_to(T0 + dt.timedelta(seconds=OWN_TTL + 1))
        after = get(client)

    assert (first.status_code, before.status_code, after.status_code) == (200, 200, 200)
    assert (first["X-Cache"], before["X-Cache"]) == ("MISS", "HIT")
    assert before.json() == first.json()
    assert after["X-Cache"] in ("MISS", "STALE")  # expired: fetched again (or served stale while it is)


@pytest.mark.parametrize("ttl", [60, 3600])
def test_an_entry_is_a_hit_until_just_before_its_ttl(client, tmdb, settings, ttl):
    _register_everything(tmdb)
    settings.CACHE_TTL_TRENDING = ttl

    with time_machine.travel(T0, tick=False) as clock:
        first = client.get("/api/movies/trending/")
        clock.move_to(T0 + dt.timedelta(seconds=ttl * SURELY_FRESH - 0.5))
        just_before = client.get("/api/movies/trending/")
        clock.move_to(T0 + dt.timedelta(seconds=ttl + 0.5))
        just_after = client.get("/api/movies/trending/")

    assert [r["X-Cache"] for r in (first, just_before)] == ["MISS", "HIT"]
    assert just_after["X-Cache"] in ("MISS", "STALE")
    assert len(tmdb.upstream_calls("/trending/")) == 2  # one fetch per TTL, none in between
