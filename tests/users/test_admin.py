import pytest
from django.test import Client

from tests.builders import make_genres, make_movie, make_user
from users.models import Favorite, Profile

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


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/admin/users/user/", {"q": "alice", "is_staff__exact": "0"}),
        ("/admin/users/profile/", {"q": "alice", "preferred_genres__id__exact": "878"}),
        ("/admin/users/favorite/", {"q": "alien", "movie__genres__id__exact": "878"}),
    ],
)
def test_admin_changelists_search_and_filter(admin_client_logged_in, path, query):
    alice = make_user("alice")
    Profile.objects.create(user=alice).preferred_genres.set(make_genres(878))
    Favorite.objects.create(user=alice, movie=make_movie(id=348, title="Alien", genres=(878,)))

    response = admin_client_logged_in.get(path, query)

    assert response.status_code == 200
    assert b"alice" in response.content


def test_admin_user_page_shows_profile_inline(admin_client_logged_in):
    alice = make_user("alice")
    Profile.objects.create(user=alice)

    response = admin_client_logged_in.get(f"/admin/users/user/{alice.id}/change/")

    assert response.status_code == 200
    assert b'id="profile-0"' in response.content
