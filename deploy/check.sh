#!/usr/bin/env bash
# Proves the files of deploy/ work as shipped, on this machine, without touching the system's nginx
# or systemd: `make deploy-check`.
#
# 1. installs nginx from Debian when it is missing (nginx-light; needs root and the Debian mirror);
# 2. `systemd-analyze verify` on the units and timers (paths rewritten to this checkout), if available;
# 3. starts the TMDb stub and gunicorn with the unit's ExecStart and an EnvironmentFile built from
#    deploy/env.example (a throwaway SQLite database, the stub as TMDb, loopback ports);
# 4. writes a self-signed certificate, rewrites the site's ports, paths and upstream, runs `nginx -t`
#    and starts nginx with its own prefix, pid file and 127.0.0.1 ports (not the system service);
# 5. through nginx over TLS: /healthz, the docs page and one of its static files, a movie page twice
#    (MISS then HIT), the request id, the HTTP->HTTPS redirect, /metrics, and nginx's JSON 503 once
#    gunicorn is gone. Exits non-zero on the first failure; everything it started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${PYTHON:-$REPO/.venv/bin/python}
HOST=api.example.com

say() { printf '[deploy-check] %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  say "nginx missing: installing nginx-light from Debian"
  [ "$(id -u)" = 0 ] || fail "nginx is not installed and this is not root: apt-get install nginx-light"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

WORK=$(mktemp -d /tmp/deploy-check.XXXXXX)
PIDS=()
cleanup() {
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- systemd units -------------------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$WORK/units"
  for unit in deploy/systemd/*; do
    sed -e "s#/srv/movie-backend#$REPO#g" -e "s#/etc/movie-backend/env#$WORK/env#g" "$unit" \
      > "$WORK/units/$(basename "$unit")"
  done
  : > "$WORK/env"
  # User= names an account made at install time; verify everything else.
  if out=$(cd "$WORK/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./*.service ./*.timer 2>&1 \
      | grep -v -e "Failed to resolve user" -e "user movie-backend" -e "^$" ); [ -n "$out" ]; then
    printf '%s\n' "$out"; fail "systemd-analyze verify"
  fi
  say "systemd-analyze verify: ok ($(ls deploy/systemd | wc -l) units)"
else
  say "systemd-analyze not available: units not verified"
fi

# --- the app, as the unit starts it ----------------------------------------------------------------------
APP_PORT=$(free_port); HTTPS_PORT=$(free_port); HTTP_PORT=$(free_port); STUB_PORT=$(free_port)
"$PY" -m tools.tmdb_stub --port "$STUB_PORT" --api-key stub-key >"$WORK/stub.log" 2>&1 &
PIDS+=($!)

TOKEN=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
{
  grep -v -E '^(SECRET_KEY|JWT_SIGNING_KEY|ALLOWED_HOSTS|DATABASE_URL|REDIS_URL|TMDB_READ_ACCESS_TOKEN|METRICS_TOKEN)=' \
    deploy/env.example
  echo "SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
  echo "JWT_SIGNING_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
  echo "ALLOWED_HOSTS=$HOST"
  echo "DATABASE_URL=sqlite:///$WORK/db.sqlite3"
  echo "TMDB_API_KEY=stub-key"
  echo "TMDB_BASE_URL=http://127.0.0.1:$STUB_PORT/3"
  echo "METRICS_TOKEN=$TOKEN"
} > "$WORK/env"
set -a; . "$WORK/env"; set +a
unset REDIS_URL TMDB_READ_ACCESS_TOKEN  # one worker below: the in-process cache is enough to see a HIT

"$PY" manage.py check --deploy --fail-level WARNING >/dev/null || fail "check --deploy with deploy/env.example"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py collectstatic --noinput -v 0
say "environment from deploy/env.example: check --deploy ok, migrated, static collected"

EXEC=$(sed -n '/^ExecStart=/,/[^\\]$/p' deploy/systemd/movie-backend.service | sed -e 's/^ExecStart=//' -e 's/\\$//' | tr -s ' \n' ' ')
EXEC=${EXEC//\/srv\/movie-backend/$REPO}
EXEC=${EXEC//127.0.0.1:8000/127.0.0.1:$APP_PORT}
EXEC=${EXEC//--workers 5/--workers 1}
EXEC=${EXEC//\/run\/movie-backend/$WORK}
export PROMETHEUS_MULTIPROC_DIR=$WORK/prometheus
say "gunicorn: $EXEC"
# shellcheck disable=SC2086  # the unit's command line, split as systemd splits it
$EXEC >"$WORK/gunicorn.log" 2>&1 &
GUNICORN=$!
PIDS+=($GUNICORN)
for _ in $(seq 100); do curl -fs -o /dev/null -H "Host: $HOST" "http://127.0.0.1:$APP_PORT/healthz" && break; sleep 0.3; done \
  || { tail -20 "$WORK/gunicorn.log"; fail "gunicorn did not start"; }

# --- nginx with the shipped site ---------------------------------------------------------------------
mkdir -p "$WORK/nginx/snippets" "$WORK/nginx/logs" "$WORK/nginx/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
  -keyout "$WORK/nginx/privkey.pem" -out "$WORK/nginx/fullchain.pem" 2>/dev/null
sed -e "s#include /etc/nginx/snippets/#include $WORK/nginx/snippets/#" \
    -e "s#/etc/letsencrypt/live/$HOST/#$WORK/nginx/#" \
    -e "s#/srv/movie-backend/staticfiles/#$REPO/staticfiles/#" \
    -e "s#/var/log/nginx/#$WORK/nginx/logs/#" \
    -e "s#server 127.0.0.1:8000;#server 127.0.0.1:$APP_PORT;#" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:$HTTPS_PORT ssl http2;#" \
    -e "s#listen 80;#listen 127.0.0.1:$HTTP_PORT;#" \
    -e "/listen \[::\]/d" \
    deploy/nginx/movie-backend.conf > "$WORK/nginx/site.conf"
cp deploy/nginx/movie-backend-proxy.conf "$WORK/nginx/snippets/"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    access_log $WORK/nginx/logs/access.log;
    include $WORK/nginx/site.conf;
}
CONF
"$NGINX" -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" || fail "nginx -t"
say "nginx -t: ok"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
for _ in $(seq 50); do [ -s "$WORK/nginx/nginx.pid" ] && break; sleep 0.1; done

# --- through nginx -------------------------------------------------------------------------------------
BASE="https://$HOST:$HTTPS_PORT"
CURL=(curl -sS --cacert "$WORK/nginx/fullchain.pem" --resolve "$HOST:$HTTPS_PORT:127.0.0.1" --max-time 30)
expect() {  # expect <what> <wanted> <got>
  [ "$2" = "$3" ] || fail "$1: wanted '$2', got '$3'"
  say "$1: $3"
}
header() { grep -i "^$1:" "$2" | tail -1 | cut -d' ' -f2- | tr -d '\r'; }

"${CURL[@]}" -D "$WORK/h" -o "$WORK/b" -H "X-Request-ID: deploy-check-1" "$BASE/healthz"
expect "GET /healthz" '200 {"status":"ok"}' "$(head -1 "$WORK/h" | cut -d' ' -f2) $(cat "$WORK/b")"
expect "request id echoed once" "deploy-check-1" "$(grep -ci '^x-request-id:' "$WORK/h" | sed 's/^1$//')$(header X-Request-ID "$WORK/h")"
grep -q 'request_id=deploy-check-1' "$WORK/nginx/logs/movie-backend.access.log" || fail "request id not in nginx's log"
expect "HSTS (proxy headers reach Django: X-Forwarded-Proto https)" "max-age=31536000; includeSubDomains; preload" \
  "$(header Strict-Transport-Security "$WORK/h")"

"${CURL[@]}" -D "$WORK/h" -o "$WORK/docs.html" "$BASE/api/docs/"
expect "GET /api/docs/" "200" "$(head -1 "$WORK/h" | cut -d' ' -f2)"
ASSET=$(grep -o 'src="/static/[^"]*\.js"' "$WORK/docs.html" | head -1 | cut -d'"' -f2)
[ -n "$ASSET" ] || fail "the docs page names no static script"
"${CURL[@]}" -D "$WORK/h" -o /dev/null -H "Accept-Encoding: gzip" "$BASE$ASSET"
expect "GET $ASSET (nginx, from STATIC_ROOT)" "200 public, max-age=31536000, immutable gzip" \
  "$(head -1 "$WORK/h" | cut -d' ' -f2) $(header Cache-Control "$WORK/h") $(header Content-Encoding "$WORK/h")"
"${CURL[@]}" -o "$WORK/b" -w '%{http_code}' "$BASE/static/no-such-file.js" > "$WORK/code"
expect "GET /static/no-such-file.js (falls through to the app)" '404 {"detail": "Not found.", "code": "not_found"}' \
  "$(cat "$WORK/code") $(cat "$WORK/b")"

"${CURL[@]}" -D "$WORK/h1" -o "$WORK/movie1" "$BASE/api/movies/603/"
"${CURL[@]}" -D "$WORK/h2" -o "$WORK/movie2" "$BASE/api/movies/603/"
expect "GET /api/movies/603/ twice" "200 MISS 200 HIT" \
  "$(head -1 "$WORK/h1" | cut -d' ' -f2) $(header X-Cache "$WORK/h1") $(head -1 "$WORK/h2" | cut -d' ' -f2) $(header X-Cache "$WORK/h2")"
"$PY" -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); assert a==b and a["id"]==603, a' \
  "$WORK/movie1" "$WORK/movie2" || fail "the cached movie page differs"

code=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/api/movies/603/?x=1")
expect "plain HTTP" "301 https://$HOST/api/movies/603/?x=1" "$code"

"${CURL[@]}" -o "$WORK/metrics" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/metrics" > "$WORK/code"
expect "GET /metrics with the token (from loopback)" "200" "$(cat "$WORK/code")"
grep -q 'movie_backend_tmdb_requests_total{endpoint="/movie/{id}",status="200"} 1.0' "$WORK/metrics" \
  || fail "/metrics does not count the TMDb call"
expect "GET /metrics without the token" "403" "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/metrics")"

kill "$GUNICORN"; wait "$GUNICORN" 2>/dev/null || true
"${CURL[@]}" -D "$WORK/h" -o "$WORK/b" "$BASE/api/movies/603/"
expect "gunicorn stopped" '503 30 {"detail": "Service unavailable. Try again later.", "code": "service_unavailable"}' \
  "$(head -1 "$WORK/h" | cut -d' ' -f2) $(header Retry-After "$WORK/h") $(cat "$WORK/b")"
say "all checks passed"
