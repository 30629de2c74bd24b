"""Swagger UI / ReDoc read like documentation: realistic examples for every operation, only errors
that operation can give, no raw regular expressions, and a getting-started description."""

import pytest
from rest_framework.test import APIClient

from movie_backend.schema import NOT_BLANK_WORDS

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _schema(path: str, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return APIClient().get(path, {"format": "json"}).json()


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    return _schema("/api/schema/", django_db_blocker)


@pytest.fixture(scope="module")
def docs_schema(django_db_blocker):
    return _schema("/api/schema/docs/", django_db_blocker)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _resolve(schema, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _examples(content: dict) -> list:
    json_content = content.get("application/json", {})
    return [example["value"] for example in json_content.get("examples", {}).values()]


def test_every_success_answer_and_request_body_has_an_example(schema):
    missing = []
    for name, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith("2") and "content" in response and not _examples(response["content"]):
                missing.append(f"{name} {status}")
        if "requestBody" in operation and not _examples(operation["requestBody"]["content"]):
            missing.append(f"{name} request")
    assert missing == []


def test_every_error_answer_has_an_example_of_its_own_status(schema):
    wrong = []
    for name, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if status[0] in "45" and name != "GET /readyz":  # readyz's 503 has a shape of its own
                values = _examples(response.get("content", {}))
                if not values or any(set(value) - {"detail", "code", "errors"} for value in values):
                    wrong.append(f"{name} {status}")
    assert wrong == []


def test_400_examples_name_only_fields_the_operation_has(schema):
    wrong = []
    for name, operation in _operations(schema):
        fields = {parameter["name"] for parameter in operation.get("parameters", [])}
        if "requestBody" in operation:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            fields |= set(_resolve(schema, body).get("properties", {}))
        for value in _examples(operation["responses"].get("400", {}).get("content", {})):
            if not set(value.get("errors", {})) <= fields | {"non_field_errors"}:
                wrong.append(f"{name}: {sorted(value['errors'])} not in {sorted(fields)}")
    assert wrong == []


def test_login_documents_its_own_errors(schema):
    responses = schema["paths"]["/api/auth/login/"]["post"]["responses"]

    assert _examples(responses["401"]["content"]) == [
        {"detail": "No active account found with the given credentials", "code": "no_active_account"}]
    assert _examples(responses["400"]["content"]) == [
        {"detail": "Invalid input.", "code": "invalid", "errors": {"password": ["This field is required."]}}]


def test_examples_are_realistic(schema):
    register = schema["paths"]["/api/auth/register/"]["post"]
    detail = schema["paths"]["/api/movies/{movie_id}/"]["get"]["responses"]["200"]
    trending = schema["paths"]["/api/movies/trending/"]["get"]["responses"]["200"]

    assert _examples(register["requestBody"]["content"])[0]["username"] == "alice"
    movie = _examples(detail["content"])[0]
    assert (movie["id"], movie["title"], movie["directors"][0]["name"]) == (603, "The Matrix", "Lana Wachowski")
    page = _examples(trending["content"])[0]
    assert [m["title"] for m in page["results"]] == ["The Matrix", "Interstellar", "Alien"]
    assert page["results"][0]["poster_url"].startswith("https://image.tmdb.org/t/p/")


def test_docs_schema_has_no_raw_regular_expressions_but_says_the_rules(schema, docs_schema):
    machine_patterns = str(schema).count("'pattern'")
    register = docs_schema["components"]["schemas"]["RegisterInputRequest"]["properties"]
    search_q = next(p for p in docs_schema["paths"]["/api/movies/search/"]["get"]["parameters"] if p["name"] == "q")

    assert machine_patterns >= 3  # the machine schema keeps them for validation
    assert "'pattern'" not in str(docs_schema)
    assert "Letters, digits and @/./+/-/_ only" in register["username"]["description"]
    assert "not only digits" in register["password"]["description"]
    assert search_q["description"].endswith(NOT_BLANK_WORDS)
    assert docs_schema["paths"].keys() == schema["paths"].keys()


def test_docs_pages_load_the_readers_schema(api_client, settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

    swagger = api_client.get("/api/docs/").content.decode()
    redoc = api_client.get("/api/redoc/").content.decode()

    assert "/api/schema/docs/" in swagger
    assert "/api/schema/docs/" in redoc


def test_description_walks_through_register_login_authorize_call(schema):
    text = schema["info"]["description"]

    steps = [text.index(step) for step in ("**Register**", "**Log in**", "**Authorize**", "**Call**")]
    assert steps == sorted(steps)
    assert "Authorization: Bearer <access>" in text
