# Passerelle: `make run` serves the app, `make test` runs the whole suite. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test bench i18n i18n-compile migrate seed lint chromium pgbouncer nginx clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml $(BIN)/activate
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

i18n-compile: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d locales -D messages 2>&1 | grep -v '^$$' || true

## Extract messages, merge them into de/fr catalogs, compile. Idempotent: on a clean tree it changes
## nothing (the template keeps its POT-Creation-Date, which the catalogs copy, unless a message changed).
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --width 100 -k N_ -k ntranslate:2,3 -o locales/messages.pot.new .
	@if diff -q -I '^"POT-Creation-Date: ' locales/messages.pot locales/messages.pot.new >/dev/null 2>&1; \
	then rm locales/messages.pot.new; else mv locales/messages.pot.new locales/messages.pot; fi
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete --width 100
	$(MAKE) i18n-compile

migrate: $(VENV)/.installed
	$(PY) -m backend db upgrade

seed: migrate
	$(PY) -m backend demo seed --if-empty

run: i18n-compile seed
	$(PY) -m backend vapid init
	$(PY) -m backend serve --host $(HOST) --port $(PORT)

chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'"; exit 1; \
	fi

# Debian's PgBouncer for tests/api/test_pgbouncer.py (transaction pooling); ~10 s to install.
# Without it (and without root) that test is skipped, saying so.
pgbouncer:
	@if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
		echo "installing Debian's pgbouncer for the connection-pooling test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; \
	else \
		echo "pgbouncer is missing: 'sudo apt-get install pgbouncer' runs the pooling test too (skipped now)"; \
	fi

# Debian's nginx for tests/ops/test_deploy_files.py (deploy/nginx/passerelle.conf checked with
# `nginx -t` and started in front of a test server). Without it (and without root) that part is skipped.
nginx:
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
		echo "installing Debian's nginx for the reverse-proxy test"; \
		apt-get update -qq && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 \
			|| DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }; \
	else \
		echo "nginx is missing: 'sudo apt-get install nginx' runs the reverse-proxy test too (skipped now)"; \
	fi

# Two pytest processes (TEST_PROCESSES): the suite waits on servers, browsers and databases more than
# it computes, so two halve its time on two cores. A module stays in one process (--dist loadfile),
# so a module's server is started once.
TEST_PROCESSES ?= 2
test: lint chromium pgbouncer nginx i18n-compile
	$(PY) -m pytest -m "not bench" -n $(TEST_PROCESSES) --dist loadfile --durations=15

bench: $(VENV)/.installed-test i18n-compile
	$(PY) -m pytest tests/benchmarks -m bench -s

lint: $(VENV)/.installed-test
	$(BIN)/ruff check backend tests
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var/test-* .pytest_cache
