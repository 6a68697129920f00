# The two commands a fresh clone needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint js-test vendor-msal install dev-install conformance screenshots bench bench-scale clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev-install: $(VENV)/.dev-installed

## run: set everything up from a fresh clone and serve on 127.0.0.1:$(PORT) (development mode, SQLite),
## with the job worker beside the web server (stopped with it)
run: install
	KINABASE_ENV=development $(BIN)/kinabase-m365 db upgrade
	KINABASE_ENV=development $(BIN)/kinabase-m365 demo
	KINABASE_ENV=development $(BIN)/kinabase-m365 worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	trap 'exit 130' INT TERM; \
	KINABASE_ENV=development SESSION_COOKIE_SECURE=$${SESSION_COOKIE_SECURE:-false} $(BIN)/kinabase-m365 serve --port $(PORT)

## lint: ruff and mypy
lint: dev-install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## test: lint, the task pane's JavaScript tests, then the whole suite (SQLite, plus PostgreSQL when
## TEST_DATABASE_URL is set)
test: lint js-test
	$(BIN)/pytest -q

# The task pane's npm dev dependencies (office-addin-mock, the MSAL.js build the pane serves),
# installed exactly as package-lock.json says.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## js-test: the Outlook task pane's JavaScript under Node's test runner
js-test: node_modules/.installed
	npm test

## vendor-msal: copy the locked @azure/msal-browser build to where the task pane loads it from
vendor-msal: node_modules/.installed
	cp node_modules/@azure/msal-browser/lib/msal-browser.min.js outlook/static/vendor/
	cp node_modules/@azure/msal-browser/LICENSE outlook/static/vendor/msal-browser.LICENSE.txt

## conformance: only the conformance suites: scim2-tester (against `kinabase-m365 serve`), Okta's
## SPEC test and runtime shapes, Entra's run, Microsoft's validator rules and Postman collection
## (SQLite, plus PostgreSQL with TEST_DATABASE_URL)
conformance: dev-install
	$(BIN)/pytest -q -m conformance

## screenshots: the browser tests, writing each console page's screenshot to docs/screenshots/
## (an ordinary test run writes them to a temporary directory; needs /usr/bin/chromium)
screenshots: dev-install
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest -q -p no:randomly tests/browser -k "sqlite"

BENCH_N ?= 2000
export BENCH_N

## bench: the Entra workload, side by side: ours (gunicorn; SQLite and PostgreSQL) and scim2-server;
## then the directory pull importing BENCH_PULL_N users from the Graph emulator as a job
BENCH_PULL_N ?= 10000
bench: dev-install
	$(BIN)/python -m benchmarks workload --n $(BENCH_N)
	$(BIN)/python -m benchmarks directory --n $(BENCH_PULL_N)

## bench-scale: single operations at 100,000 users and members vs at 1,000 users and 10 members
bench-scale: dev-install
	$(BIN)/python -m benchmarks scale

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache node_modules
