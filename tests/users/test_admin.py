import datetime as dt

import pytest
import time_machine
from django.test import Client

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
