# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?= -n auto
HOST ?= 127.0.0.1

.PHONY: run test install install-dev migrate demo serve worker lint typecheck format check-migrations messages compilemessages bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo --scale demo --if-empty

## make run: install, migrate the SQLite database, load the demo data once, serve with a task worker
## and the sweep (service desk deadlines and callbacks, stalled jobs, expired job files) every five minutes.
## The demo's admins need no two-factor login (TWO_FACTOR_ROLES empty); production requires it of them.
run: demo
	@$(BIN)/python manage.py demo_logins
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@$(BIN)/python manage.py db_worker --interval 2 --no-reload -v 0 & worker=$$!; \
	 (while true; do $(BIN)/python manage.py servicedesk_sweep -v 0; sleep 300; done) & sweeper=$$!; \
	 trap 'kill $$worker $$sweeper 2>/dev/null' EXIT INT TERM; \
	 TWO_FACTOR_ROLES= $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: install the dev dependencies and run the whole suite, one worker a core (DATABASE_URL selects
## PostgreSQL; PYTEST_ARGS replaces the worker count and adds selections, e.g. PYTEST_ARGS="-n 0 -x").
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: install
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --no-location --no-wrap --ignore=.venv --ignore=var --ignore=bench
	$(BIN)/python manage.py makemessages -l zh_Hans -d djangojs --no-obsolete --no-location --ignore=.venv --ignore=var --ignore='dangjian/static/vendor/*'

compilemessages: install
	$(BIN)/python manage.py compilemessages --ignore=.venv

bench: install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
