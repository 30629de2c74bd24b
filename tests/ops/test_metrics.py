"""Prometheus metrics: the endpoint's access rule and what each hook counts."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

import pytest
from prometheus_client import REGISTRY
from rest_framework.throttling import SimpleRateThrottle

from tests.fakes import movie_details

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"
REPO = Path(__file__).resolve().parents[2]


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def test_metrics_is_404_when_no_token_is_configured(api_client, settings):
    settings.METRICS_TOKEN = ""

    response = api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_metrics_without_the_token_is_403(api_client, metrics_token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = api_client.get("/metrics", **extra)

    assert response.status_code == 403
    assert response.json() == {"detail": "A valid metrics token is required.", "code": "permission_denied"}
    assert "movie_backend_" not in response.content.decode()


def test_metrics_with_the_token_is_prometheus_text(api_client, metrics_token):
    api_client.get("/healthz")

    response = api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    assert '# TYPE movie_backend_http_request_duration_seconds histogram' in body
    assert re.search(r'movie_backend_http_request_duration_seconds_count\{method="GET",route="/healthz",'
                     r'status="200"\} \d', body)


def test_metrics_is_not_in_the_api_schema(api_client):
    assert "/metrics" not in api_client.get("/api/schema/?format=json").json()["paths"]


def test_request_latency_is_labelled_by_route_pattern_not_raw_path(api_client):
    route = "/api/movies/<tmdb_id:movie_id>/"
    before = sample("movie_backend_http_request_duration_seconds_count", method="GET", route=route, status="404")

    for movie_id in (9001, 9002, 9003):
        assert api_client.get(f"/api/movies/{movie_id}/").status_code == 404
    api_client.get("/no/such/path")

    after = sample("movie_backend_http_request_duration_seconds_count", method="GET", route=route, status="404")
    assert after - before == 3
    assert sample("movie_backend_http_request_duration_seconds_count",
                  method="GET", route="/api/movies/9001/", status="404") == 0
    assert sample("movie_backend_http_request_duration_seconds_count",
                  method="GET", route="unmatched", status="404") >= 1


def test_tmdb_calls_counted_by_endpoint_and_status_with_latency(api_client, tmdb):
    tmdb.add_json("/movie/603", movie_details(603))
    tmdb.add_error("/movie/604", 429, headers={"Retry-After": "0"})
    labels_ok = {"endpoint": "/movie/{id}", "status": "200"}
    labels_429 = {"endpoint": "/movie/{id}", "status": "429"}
    before = (sample("movie_backend_tmdb_requests_total", **labels_ok),
              sample("movie_backend_tmdb_requests_total", **labels_429),
              sample("movie_backend_tmdb_request_duration_seconds_count", endpoint="/movie/{id}"))

    assert api_client.get("/api/movies/603/").status_code == 200
    assert api_client.get("/api/movies/604/").status_code == 503  # 1 try + 2 retries, all 429

    after = (sample("movie_backend_tmdb_requests_total", **labels_ok),
             sample("movie_backend_tmdb_requests_total", **labels_429),
             sample("movie_backend_tmdb_request_duration_seconds_count", endpoint="/movie/{id}"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 3, 4]


def test_cache_results_counted_by_kind(api_client, tmdb):
    """The first answer is a miss of its kind; the repeat is served by the fast path from the stored
    response, counted as kind `response`."""
    def count(kind, result):
        return sample("movie_backend_cache_lookups_total", kind=kind, result=result)
    before = (count("genres", "miss"), count("response", "hit"))

    first = api_client.get("/api/movies/genres/")
    second = api_client.get("/api/movies/genres/")

    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert (count("genres", "miss") - before[0], count("response", "hit") - before[1]) == (1, 1)


def test_a_fast_path_answer_is_labelled_by_its_route(api_client, tmdb):
    api_client.get("/api/movies/genres/")
    labels = {"method": "GET", "route": "/api/movies/genres/", "status": "200"}
    before = sample("movie_backend_http_request_duration_seconds_count", **labels)

    hit = api_client.get("/api/movies/genres/")

    assert hit["X-Cache"] == "HIT"
    assert sample("movie_backend_http_request_duration_seconds_count", **labels) - before == 1


def test_throttled_requests_counted_by_scope(api_client):
    before = sample("movie_backend_throttled_requests_total", scope="anon")

    with mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, anon="2/min"):
        statuses = [api_client.get("/api/movies/genres/").status_code for _ in range(4)]

    assert statuses == [200, 200, 429, 429]
    assert sample("movie_backend_throttled_requests_total", scope="anon") - before == 2


# --- multi-process mode under gunicorn ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _healthz_count(base: str) -> float:
    """The 200 answers to /healthz that /metrics reports, added up over the workers."""
    status, body = _get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    line = re.search(r'movie_backend_http_request_duration_seconds_count\{method="GET",route="/healthz",'
                     r'status="200"\} (\S+)', body)
    assert line
    return float(line.group(1))


@pytest.mark.slow
def test_gunicorn_workers_metrics_are_added_up(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "REDIS_URL", "TMDB_", "PROMETHEUS_MULTIPROC_DIR"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'metrics.sqlite3'}", "METRICS_TOKEN": TOKEN})
    port = _free_port()
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "gunicorn"), "movie_backend.wsgi:application", "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "3", "--threads", "1"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    multiproc_dir = REPO / "var" / "run" / f"prometheus-{server.pid}"
    try:
        deadline = time.monotonic() + 60
        while _get(f"{base}/healthz")[0] != 200:
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.2)
        # Counted from here: a start-up probe the client gave up on may still have been answered.
        before = _healthz_count(base)
        with ThreadPoolExecutor(6) as pool:  # concurrent: spread over the workers
            assert list(pool.map(lambda _: _get(f"{base}/healthz")[0], range(30))) == [200] * 30

        assert _healthz_count(base) - before == 30.0
        writers = {path.stem.rsplit("_", 1)[-1] for path in multiproc_dir.glob("*.db")}
        assert len(writers) >= 1  # the workers write their own files; /metrics added them up (which
        # worker takes a connection is the kernel's choice: on a busy machine one may take them all)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not multiproc_dir.exists()
