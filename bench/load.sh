#!/usr/bin/env bash
# Load test on loopback: gunicorn (2 workers x 4 threads) against the TMDb stub, wrk as the client.
# Compares, in one run, /healthz (the floor of any request), cache hits and real cache misses: trending
# pages never asked before, each a full page of 20 movies from the stub (--fill-pages), one stub call
# each; the script prints how many stub calls the miss scenario made for how many requests.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/movie_backend_bench REDIS_URL=redis://127.0.0.1:6379/13 bench/load.sh
# Needs wrk (Debian package). Bounded: DURATION seconds per scenario, loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
APP_PORT=${APP_PORT:-18000}
STUB_PORT=${STUB_PORT:-18765}
export SECRET_KEY=${SECRET_KEY:-bench-secret-key-$(printf 'x%.0s' {1..40})}
export JWT_SIGNING_KEY=${JWT_SIGNING_KEY:-bench-jwt-key-$(printf 'y%.0s' {1..40})}
export TMDB_BASE_URL="http://127.0.0.1:$STUB_PORT/3" TMDB_API_KEY=stub-key TMDB_MAX_REQUESTS_PER_SECOND=0
export THROTTLE_ANON=100000000/min THROTTLE_USER=100000000/min LOG_LEVEL=WARNING
[ -n "${DATABASE_URL:-}" ] || export DATABASE_URL="sqlite:///$PWD/var/bench_load.sqlite3"
mkdir -p var

if [[ "$DATABASE_URL" == postgres* ]]; then
  db=${DATABASE_URL##*/}
  psql "${DATABASE_URL%/*}/postgres" -qtc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
fi
$PY manage.py migrate -v0 && $PY manage.py seed_demo >/dev/null

$PY -m tools.tmdb_stub --port "$STUB_PORT" --inflate-total-pages 500 --fill-pages >/dev/null &
stub=$!
.venv/bin/gunicorn movie_backend.wsgi:application --bind "127.0.0.1:$APP_PORT" --workers 2 --threads 4 \
  --log-level warning >var/bench_gunicorn.log 2>&1 &
app=$!
trap 'kill $app $stub 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$APP_PORT/healthz" >/dev/null && break; sleep 0.2; done

base="http://127.0.0.1:$APP_PORT"
curl -sf "$base/api/movies/trending/" >/dev/null  # warm: the hit scenarios read the cache
curl -sf "$base/api/movies/603/" >/dev/null
miss_script=$(mktemp --suffix .lua)
cat >"$miss_script" <<'LUA'
-- trending pages 2..500 of both windows, each wrk thread its own range: keys never asked before
-- (1,000 of them; past that, requests are hits, which the stub's call count below shows)
local started = 0
setup = function(thread) thread:set("offset", started * 500) started = started + 1 end
local n = 0
request = function()
  n = n + 1
  local k = offset + n
  local window = (k % 2 == 0) and "day" or "week"
  return wrk.format("GET", "/api/movies/trending/?time_window=" .. window .. "&page=" .. (2 + math.floor(k / 2) % 499))
end
LUA

run() {  # label, wrk args...
  local label=$1; shift
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); errors=${errors:-0}
  printf '%-34s %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$label" "$rps" "$p50" "$p99" "$errors"
  echo "$rps" >"var/bench_$label.rps"
}

echo "gunicorn 2x4 on 2 cores; wrk -t2 -c$CONNECTIONS -d${DURATION}s; database ${DATABASE_URL%%:*}; cache ${REDIS_URL:+redis}${REDIS_URL:-locmem}"
run healthz "$base/healthz"
run trending_hit "$base/api/movies/trending/"
run detail_hit "$base/api/movies/603/"
curl -sf -X DELETE "http://127.0.0.1:$STUB_PORT/__stub__/requests" >/dev/null
run trending_miss -s "$miss_script" "$base"
echo "stub calls during the misses: $(curl -sf "http://127.0.0.1:$STUB_PORT/__stub__/requests?path_prefix=/3/trending" | $PY -c 'import json,sys; print(json.load(sys.stdin)["count"])')"
hit=$(cat var/bench_trending_hit.rps); miss=$(cat var/bench_trending_miss.rps); floor=$(cat var/bench_healthz.rps)
awk -v h="$hit" -v m="$miss" -v f="$floor" 'BEGIN {printf "cache hit / cache miss throughput: %.1fx; cache hit / healthz: %.2f\n", h/m, h/f}'
