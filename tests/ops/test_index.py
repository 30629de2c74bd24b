"""The API index at / and /api/: the first URL `make run` prints."""

import pytest

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


@pytest.mark.parametrize("path", ["/", "/api/"])
def test_index_links_the_docs_schema_and_main_endpoints(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "title": "Movie Recommendation Backend API",
        "version": "1.0.0",
        "description": "Start with the docs: register, log in, then call the endpoints with the token.",
        "docs": {"swagger_ui": f"{BASE}/api/docs/", "redoc": f"{BASE}/api/redoc/",
                 "openapi_schema": f"{BASE}/api/schema/"},
        "endpoints": {
            "register": f"{BASE}/api/auth/register/", "login": f"{BASE}/api/auth/login/",
            "refresh": f"{BASE}/api/auth/refresh/", "me": f"{BASE}/api/users/me/",
            "favorites": f"{BASE}/api/users/favorites/",
            "my_recommendations": f"{BASE}/api/users/recommendations/",
            "trending": f"{BASE}/api/movies/trending/", "recommended": f"{BASE}/api/movies/recommended/",
            "search": f"{BASE}/api/movies/search/", "genres": f"{BASE}/api/movies/genres/",
        },
        "operations": {"healthz": f"{BASE}/healthz", "readyz": f"{BASE}/readyz"},
    }


def test_every_index_link_answers(api_client, settings):
    # The docs pages name hashed static files; without a collectstatic manifest, plain names.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    body = api_client.get("/api/").json()
    links = {**body["docs"], **body["endpoints"], **body["operations"]}

    statuses = {name: api_client.get(url.removeprefix(BASE)).status_code for name, url in links.items()}

    # GET on the POST-only auth endpoints is 405; the personal ones want a token.
    assert statuses == {
        "swagger_ui": 200, "redoc": 200, "openapi_schema": 200, "register": 405, "login": 405, "refresh": 405,
        "me": 401, "favorites": 401, "my_recommendations": 401, "trending": 200, "recommended": 200,
        "search": 400, "genres": 200, "healthz": 200, "readyz": 200,
    }


def test_index_is_documented_once_in_the_schema(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    assert paths["/api/"]["get"]["operationId"] == "api_index"
    assert "/" not in paths
