import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from movies.models import Movie
from tests.builders import make_genres, make_movie, make_user
from users.models import Favorite, Profile, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(settings):
    # Admin pages link static files; the manifest exists only after collectstatic.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    admin = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def _row_owners(response) -> list[str]:
    """Whose rows the changelist shows (from the result list, not the page text, which echoes the
    search term back in the search box)."""
    changelist = response.context["cl"]
    return sorted(getattr(obj, "user", obj).username for obj in changelist.result_list)


@pytest.mark.parametrize(
    ("path", "query", "excluding_filter"),
    [
        ("/admin/users/user/", {"q": "alice", "is_staff__exact": "0"}, {"is_staff__exact": "1"}),
        ("/admin/users/profile/", {"q": "alice", "preferred_genres__id__exact": "878"},
         {"preferred_genres__id__exact": "27"}),
        ("/admin/users/favorite/", {"q": "alien", "movie__genres__id__exact": "878"},
         {"movie__genres__id__exact": "27"}),
    ],
)
def test_admin_changelists_search_and_filter(admin_client_logged_in, path, query, excluding_filter):
    make_genres(878, 27)
    alice, bob = make_user("alice"), make_user("bob")
    Profile.objects.create(user=alice).preferred_genres.set(make_genres(878))
    Profile.objects.create(user=bob).preferred_genres.set(make_genres(878))
    alien, heat = make_movie(id=348, title="Alien", genres=(878,)), make_movie(id=949, title="Heat", genres=(878,))
    Favorite.objects.create(user=alice, movie=alien)
    Favorite.objects.create(user=bob, movie=heat)

    found = admin_client_logged_in.get(path, query)
    filtered_out = admin_client_logged_in.get(path, {**query, **excluding_filter})
    unsearched = admin_client_logged_in.get(path, {k: v for k, v in query.items() if k != "q"})

    assert (found.status_code, filtered_out.status_code, unsearched.status_code) == (200, 200, 200)
    assert _row_owners(found) == ["alice"]
    assert found.context["cl"].result_count == 1
    assert _row_owners(filtered_out) == []  # although the page still shows the search term "alice"/"alien"
    assert query["q"].encode() in filtered_out.content
    assert "bob" in _row_owners(unsearched)


def test_admin_user_page_shows_profile_inline(admin_client_logged_in):
    alice = make_user("alice")
    Profile.objects.create(user=alice)

    response = admin_client_logged_in.get(f"/admin/users/user/{alice.id}/change/")

    assert response.status_code == 200
    assert b'id="profile-0"' in response.content


# --- issue 10: what an admin sees ----------------------------------------------------------------------


def test_api_login_updates_last_login(api_client):
    alice = make_user("alice")
    assert alice.last_login is None

    response = api_client.post("/api/auth/login/", {"username": "alice", "password": "correct-Horse-battery-9"},
                               format="json")

    alice.refresh_from_db()
    assert response.status_code == 200
    assert alice.last_login is not None
    assert (timezone.now() - alice.last_login).total_seconds() < 60


def test_failed_api_login_leaves_last_login_alone(api_client):
    alice = make_user("alice")

    response = api_client.post("/api/auth/login/", {"username": "alice", "password": "wrong-password-1"}, format="json")

    alice.refresh_from_db()
    assert response.status_code == 401
    assert alice.last_login is None


def test_movie_id_is_read_only_on_change_but_set_on_add(admin_client_logged_in):
    movie = make_movie(id=603, title="The Matrix")

    change = admin_client_logged_in.get(f"/admin/movies/movie/{movie.id}/change/")
    add = admin_client_logged_in.get("/admin/movies/movie/add/")

    assert change.status_code == 200 and add.status_code == 200
    assert b'name="id"' not in change.content
    assert b'name="id"' in add.content


def test_movie_id_cannot_be_changed_by_posting_it(admin_client_logged_in):
    movie = make_movie(id=603, title="The Matrix", genres=(18,))

    response = admin_client_logged_in.post(f"/admin/movies/movie/{movie.id}/change/", {
        "id": "604", "title": "The Matrix", "original_title": "The Matrix", "vote_average": "8", "vote_count": "1",
        "popularity": "1", "budget": "0", "revenue": "0", "cast": "[]", "directors": "[]", "trailer": "null",
        "genres": ["18"],
    })

    assert response.status_code == 302
    assert list(Movie.objects.values_list("id", "title")) == [(603, "The Matrix")]


def _filter_links(html: str, title: str) -> list[str]:
    block = re.search(rf'<details data-filter-title="{title}"(.*?)</details>', html, re.S)
    return re.findall(r'<a href="[^"]*">([^<]*)</a>', block.group(1)) if block else []


def test_movie_release_drill_down_is_decades_then_years(admin_client_logged_in):
    for movie_id, year in [(1, 1972), (2, 1979), (3, 1994), (4, 1999), (5, 1999), (6, 2010)]:
        make_movie(id=movie_id, release_date=dt.date(year, 6, 1))

    first = admin_client_logged_in.get("/admin/movies/movie/").content.decode()
    nineties = admin_client_logged_in.get("/admin/movies/movie/", {"released_decade": "1990"}).content.decode()
    one_year = admin_client_logged_in.get("/admin/movies/movie/", {"released_decade": "1990", "released_year": "1999"})

    assert _filter_links(first, "release decade") == ["All", "2010s", "1990s", "1970s"]
    assert _filter_links(first, "release year") == []  # offered once a decade is chosen
    assert "release_date__year=" not in first  # no date hierarchy with one link a year
    assert _filter_links(nineties, "release year") == ["All", "1999", "1994"]
    assert "3 movies" in nineties
    assert one_year.status_code == 200
    assert "2 movies" in one_year.content.decode()


def test_movie_filters_offer_real_choices_only(admin_client_logged_in):
    make_movie(id=1, status="", original_language="en")
    make_movie(id=2, status="", original_language="fr")

    html = admin_client_logged_in.get("/admin/movies/movie/").content.decode()

    assert _filter_links(html, "status") == []  # only blanks: no filter offering just "All"
    assert _filter_links(html, "original language") == ["All", "en", "fr"]


def test_movie_list_shows_favorites_count_in_one_query(admin_client_logged_in, django_assert_max_num_queries):
    movies = [make_movie(id=movie_id) for movie_id in (1, 2, 3)]
    for name in ("alice", "bob"):
        Favorite.objects.create(user=make_user(name), movie=movies[0])
    Favorite.objects.create(user=make_user("carol"), movie=movies[1])

    with django_assert_max_num_queries(10) as queries:  # session, user, count, page, filters: not one a row
        response = admin_client_logged_in.get("/admin/movies/movie/", {"o": "1"})
    few_rows = len(queries)
    for movie_id in range(4, 40):
        make_movie(id=movie_id)
    with django_assert_max_num_queries(few_rows):
        admin_client_logged_in.get("/admin/movies/movie/", {"o": "1"})

    assert response.status_code == 200
    counts = re.findall(r'<td class="field-favorites">(\d+)</td>', response.content.decode())
    assert counts == ["2", "1", "0"]


def test_profile_list_shows_preferred_genres_prefetched(admin_client_logged_in, django_assert_max_num_queries):
    make_genres(18, 878, 35)
    Profile.objects.create(user=make_user("alice")).preferred_genres.set([878, 18])
    Profile.objects.create(user=make_user("bob"))

    with django_assert_max_num_queries(12) as queries:
        response = admin_client_logged_in.get("/admin/users/profile/")
    few_rows = len(queries)
    for index in range(20):
        Profile.objects.create(user=make_user(f"user{index}")).preferred_genres.set([35])
    with django_assert_max_num_queries(few_rows):
        admin_client_logged_in.get("/admin/users/profile/")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'<td class="field-genres">([^<]*)</td>', html) == ["-", "Drama, Science Fiction"]


# --- the admin's login is rate-limited like the API login -------------------------------------------

ADMIN_LOGIN = "/admin/login/"
WINDOW_START = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def admin_pages(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    return Client()


def _admin_login(client, username, password="wrong-Password-1", ip="10.0.0.1"):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=ip)


@time_machine.travel(WINDOW_START, tick=False)
def test_admin_login_11th_attempt_from_one_ip_in_a_minute_is_refused(admin_pages):
    make_user("root", is_staff=True, is_superuser=True)

    wrong = [_admin_login(admin_pages, f"guess{n}") for n in range(10)]
    eleventh = _admin_login(admin_pages, "guess10")
    correct = _admin_login(admin_pages, "root", "correct-Horse-battery-9")

    assert [r.status_code for r in wrong] == [200] * 10  # the form again, "Please enter the correct..."
    assert all(r.context["form"].errors for r in wrong)
    assert (eleventh.status_code, correct.status_code) == (429, 429)
    assert eleventh["Retry-After"] == correct["Retry-After"] == "60"
    assert b"Too many login attempts" in eleventh.content
    assert "_auth_user_id" not in admin_pages.session


@time_machine.travel(WINDOW_START, tick=False)
def test_admin_login_per_username_limit_holds_across_ips(admin_pages):
    make_user("root", is_staff=True, is_superuser=True)

    wrong = [_admin_login(admin_pages, "root", ip=f"10.0.1.{n}").status_code for n in range(5)]
    sixth = _admin_login(admin_pages, " ROOT ", "correct-Horse-battery-9", ip="10.0.1.99")

    assert wrong == [200] * 5
    assert sixth.status_code == 429


@time_machine.travel(WINDOW_START, tick=False)
def test_admin_and_api_logins_share_one_budget_per_ip(admin_pages):
    api = Client()
    for n in range(10):
        api.post("/api/auth/login/", {"username": f"guess{n}", "password": "x"},
                 content_type="application/json", REMOTE_ADDR="10.0.2.1")

    response = _admin_login(admin_pages, "someone", ip="10.0.2.1")

    assert response.status_code == 429


@time_machine.travel(WINDOW_START, tick=False)
def test_admin_login_under_the_limit_logs_in_and_the_window_resets(admin_pages):
    make_user("root", is_staff=True, is_superuser=True)
    for n in range(10):
        _admin_login(admin_pages, f"guess{n}")
    assert _admin_login(admin_pages, "root", "correct-Horse-battery-9").status_code == 429

    with time_machine.travel(WINDOW_START + dt.timedelta(seconds=61), tick=False):
        response = _admin_login(admin_pages, "root", "correct-Horse-battery-9")

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert admin_pages.session["_auth_user_id"] == str(User.objects.get(username="root").pk)


def test_admin_login_page_is_not_counted(admin_pages):
    statuses = [admin_pages.get(ADMIN_LOGIN, REMOTE_ADDR="10.0.3.1").status_code for _ in range(15)]

    assert statuses == [200] * 15
