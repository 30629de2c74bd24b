import pytest

from movies.models import Genre
from tests.builders import make_genres, make_user
from users.models import Profile

pytestmark = pytest.mark.django_db

ME = "/api/users/me/"


def me_body(user, genres=()):
    return {"id": user.id, "username": user.username, "email": user.email,
            "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"), "preferred_genres": list(genres)}


def test_me_returns_profile(alice_client, user):
    response = alice_client.get(ME)

    assert response.status_code == 200
    assert response.json() == me_body(user)


def test_me_creates_missing_profile_for_users_made_elsewhere(client_of):
    admin = make_user("root", is_staff=True, is_superuser=True)
    assert not Profile.objects.filter(user=admin).exists()

    response = client_of(admin).get(ME)

    assert response.status_code == 200
    assert response.json() == me_body(admin)
    assert Profile.objects.filter(user=admin).count() == 1


def test_patch_preferred_genres_and_email(alice_client, user):
    make_genres(18, 878, 35)

    response = alice_client.patch(ME, {"preferred_genres": [878, 18, 878], "email": "new@example.com"}, format="json")

    user.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == me_body(user, [18, 878])
    assert user.email == "new@example.com"
    assert alice_client.get(ME).json()["preferred_genres"] == [18, 878]


def test_patch_unknown_genre_400_names_the_id(alice_client, user):
    make_genres(18)

    response = alice_client.patch(ME, {"preferred_genres": [18, 424242]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid",
                               "errors": {"preferred_genres": ["Unknown genre id 424242."]}}
    assert alice_client.get(ME).json()["preferred_genres"] == []


def test_patch_email_taken_by_another_account_any_case(alice_client, user):
    make_user("bob", email="bob@example.com")

    response = alice_client.patch(ME, {"email": "BOB@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid",
                               "errors": {"email": ["A user with that email address already exists."]}}
    user.refresh_from_db()
    assert user.email == "alice@example.com"


def test_patch_own_email_in_other_case_is_fine(alice_client, user):
    response = alice_client.patch(ME, {"email": "ALICE@example.com"}, format="json")

    assert response.status_code == 200
    assert response.json()["email"] == "ALICE@example.com"


def test_patch_bad_email_400(alice_client):
    response = alice_client.patch(ME, {"email": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["Enter a valid email address."]}


def test_patch_ignores_mass_assignment(alice_client, user):
    response = alice_client.patch(
        ME, {"is_staff": True, "is_superuser": True, "id": 999, "username": "mallory", "date_joined": "2000-01-01"},
        format="json",
    )

    user.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == me_body(user)
    assert (user.is_staff, user.is_superuser, user.username) == (False, False, "alice")


def test_put_not_allowed(alice_client):
    response = alice_client.put(ME, {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.', "code": "method_not_allowed"}


def test_me_requires_auth(api_client):
    assert api_client.patch(ME, {"email": "x@example.com"}, format="json").status_code == 401


def test_patch_preferred_genres_on_a_fresh_tmdb_deployment_loads_the_served_list(alice_client, user, tmdb):
    # Nothing warmed: the genre table is empty until someone asks for the list the API serves.
    assert not Genre.objects.exists()

    response = alice_client.patch(ME, {"preferred_genres": [878, 53]}, format="json")

    assert response.status_code == 200
    assert response.json() == me_body(user, [53, 878])
    assert sorted(Genre.objects.filter(id__in=[53, 878]).values_list("id", "name")) == [
        (53, "Thriller"), (878, "Science Fiction")]
    assert len(tmdb.calls) == 1 and tmdb.calls[0].request.path_url.startswith("/3/genre/movie/list")


def test_patch_preferred_genres_cached_list_restores_missing_rows(alice_client, user, tmdb):
    alice_client.get("/api/movies/genres/")  # the list is now cached
    Genre.objects.all().delete()  # e.g. a database restored from before the first genre fetch

    response = alice_client.patch(ME, {"preferred_genres": [18]}, format="json")

    assert response.status_code == 200
    assert response.json() == me_body(user, [18])
    assert len(tmdb.calls) == 1


def test_patch_genre_tmdb_does_not_serve_is_400_with_tmdb(alice_client, user, tmdb):
    response = alice_client.patch(ME, {"preferred_genres": [878, 10770, 999999]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid",
                               "errors": {"preferred_genres": ["Unknown genre id 999999."]}}
