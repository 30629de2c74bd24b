# Two commands do all the set-up: `make run` serves the API, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test faults lint migrate seed warm-cache schema check-deploy deploy-check contract tmdb-stub bench eval-recs eval-recs-api clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# A local .env with generated keys, written once; the environment still overrides it.
.env:
	@$(PYTHON) -c "import secrets; print('# Written by make on first use; see .env.example for every setting.\n'\
	'SECRET_KEY=' + secrets.token_urlsafe(50) + '\nJWT_SIGNING_KEY=' + secrets.token_urlsafe(50))" > .env
	@echo "Wrote .env with generated SECRET_KEY and JWT_SIGNING_KEY"

migrate: $(VENV)/.installed .env  # no statement timeout: a migration may run long statements
	DB_STATEMENT_TIMEOUT_MS=0 $(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# `exec`: gunicorn replaces the recipe's shell, so the SIGTERM make forwards to its child when it is
# killed reaches gunicorn (otherwise the shell dies and gunicorn keeps serving). Settings: gunicorn.conf.py.
run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://$(HOST):$(PORT)/  (Swagger UI: http://$(HOST):$(PORT)/api/docs/)"
	exec $(VENV)/bin/gunicorn movie_backend.wsgi:application -c gunicorn.conf.py --bind $(HOST):$(PORT)

test: $(VENV)/.installed .env
	$(PY) -m pytest $(PYTEST_ARGS)

# The fault suite (tests/faults, docs/deployment.md "Fault suite"): it starts its own PostgreSQL, Redis,
# TMDb stub and gunicorn on free loopback ports, breaks them, and prints the figures (reports/faults.md).
# Nothing shared is used: DATABASE_URL and REDIS_URL are dropped so pytest itself stays on SQLite + locmem.
faults: $(VENV)/.installed .env
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest tests/faults -m faults $(PYTEST_ARGS)

lint: $(VENV)/.installed .env
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

warm-cache: migrate
	$(PY) manage.py warm_cache

# The OpenAPI schema, validated; any drf-spectacular warning fails. Written to reports/ for inspection.
schema: $(VENV)/.installed .env
	@mkdir -p reports
	$(PY) manage.py spectacular --validate --fail-on-warn --file reports/openapi.yaml
	@echo "Schema valid: reports/openapi.yaml"

# `check --deploy` under a production environment (throwaway keys; a real deployment sets its own,
# see docs/deployment.md). Any warning fails.
check-deploy: $(VENV)/.installed
	DEBUG=false \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	JWT_SIGNING_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	ALLOWED_HOSTS=api.example.com CSRF_TRUSTED_ORIGINS=https://api.example.com \
	SECURE_PROXY_SSL=true SECURE_SSL_REDIRECT=true \
	SECURE_HSTS_SECONDS=31536000 SECURE_HSTS_INCLUDE_SUBDOMAINS=true SECURE_HSTS_PRELOAD=true \
	SESSION_COOKIE_SECURE=true CSRF_COOKIE_SECURE=true LOG_FORMAT=json \
	$(PY) manage.py check --deploy --fail-level WARNING

# The files of deploy/ (systemd units, nginx site) run here: nginx (installed from Debian if missing)
# in front of gunicorn on loopback ports; see deploy/check.sh.
deploy-check: $(VENV)/.installed
	deploy/check.sh

# Schemathesis against a live server (TMDb stub, throwaway database); see tools/contract/run.sh.
contract: $(VENV)/.installed
	tools/contract/run.sh

# The hot paths against a bare-Django floor, measured in the same run (bench/bench.py; needs wrk).
# It drops and re-creates BENCH_DATABASE_URL's database and empties BENCH_REDIS_URL's Redis db.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mrb_h9perf_bench
BENCH_REDIS_URL    ?= redis://127.0.0.1:6379/7
bench: $(VENV)/.installed
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) $(PY) bench/bench.py

tmdb-stub: $(VENV)/.installed
	$(PY) -m tools.tmdb_stub --port 8765

# Offline evaluation on MovieLens-100K (bench/recs_movielens.py): MostPop, ItemKNN, EASE and the
# production pipeline side by side, seeds 0-4. Downloads the recbole wheel once into var/datasets.
# EVAL_ARGS passes options, e.g. EVAL_ARGS="--seeds 0 --validate".
eval-recs: $(VENV)/.installed .env
	$(PY) bench/recs_movielens.py $(EVAL_ARGS)

# The same data played through the HTTP API (gunicorn + PostgreSQL + Redis + the TMDb stub), seed 0,
# plus cold-list latency. It DROPS the database and FLUSHES the Redis db it is given: pass your own,
# e.g. make eval-recs-api EVAL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/recs_eval EVAL_REDIS_URL=redis://127.0.0.1:6379/5
eval-recs-api: $(VENV)/.installed .env
	$(PY) bench/recs_api_eval.py --database-url "$(EVAL_DATABASE_URL)" --redis-url "$(EVAL_REDIS_URL)" $(EVAL_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
