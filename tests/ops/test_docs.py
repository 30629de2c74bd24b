"""The OpenAPI schema, and the Swagger UI / ReDoc pages served from bundled assets with DEBUG off."""

import json
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


class _AssetCollector(HTMLParser):
    """Every URL a page makes the browser load: script src, link href, img src."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory, django_db_blocker):
    """collectstatic into a throwaway STATIC_ROOT with the production storage (hashed, compressed)."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production_client(collected_static, settings):
    settings.DEBUG = False
    settings.STATIC_ROOT = collected_static
    return Client()  # a new client builds a new WhiteNoiseMiddleware, which indexes STATIC_ROOT


def test_schema_is_yaml_by_default(api_client):
    response = api_client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/healthz", "/readyz", "/api/movies/trending/"} <= set(schema["paths"])


def test_schema_is_json_with_format_json(api_client):
    response = api_client.get("/api/schema/?format=json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    assert schema["paths"]["/healthz"]["get"]["tags"] == ["ops"]
    assert set(schema["paths"]["/readyz"]["get"]["responses"]) == {"200", "503"}


@pytest.mark.slow
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_page_loads_only_local_assets_that_exist(production_client, page):
    response = production_client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    collector = _AssetCollector()
    collector.feed(html)
    assert collector.urls, "the page loads no assets at all"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "an asset comes from another host"
    for url in collector.urls:
        assert url.startswith("/static/"), url
        asset = production_client.get(url)
        assert asset.status_code == 200, url
        asset.close()


@pytest.mark.slow
def test_swagger_ui_keeps_authorization_and_points_at_the_schema(production_client):
    html = production_client.get("/api/docs/").content.decode()  # the init script is inlined

    assert '"persistAuthorization": true' in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    assert "/api/schema/" in html


@pytest.mark.slow
def test_static_asset_wrong_method_is_json_405(production_client, collected_static):
    html = production_client.get("/api/docs/").content.decode()
    collector = _AssetCollector()
    collector.feed(html)

    response = production_client.post(collector.urls[0])

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.', "code": "method_not_allowed"}


# Hosts the bundled docs assets were seen to load from (ReDoc's footer logo) or that such bundles use.
# (Swagger UI's bundle names validator.swagger.io as a default that the page's settings turn off.)
CDN_HOSTS = ("cdn.redoc.ly", "fonts.googleapis.com", "fonts.gstatic.com", "unpkg.com", "cdn.jsdelivr.net",
             "cdnjs.cloudflare.com")


@pytest.mark.slow
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_page_and_its_assets_name_no_cdn(production_client, page):
    html = production_client.get(page).content.decode()
    collector = _AssetCollector()
    collector.feed(html)
    scripts = [url for url in collector.urls if url.endswith((".js", ".css"))]

    bodies = {page: html}
    for url in scripts:
        asset = production_client.get(url)
        bodies[url] = b"".join(asset.streaming_content).decode()
        asset.close()

    assert any("redoc" in url for url in scripts) == (page == "/api/redoc/")
    found = {url: [host for host in CDN_HOSTS if host in body] for url, body in bodies.items()}
    assert found == {url: [] for url in bodies}
