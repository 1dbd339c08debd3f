# Two commands for a fresh clone: `make run` serves the chat, `make test` runs every check.
# Both run `make setup` first, which is idempotent: a .venv/ with the project and its test tools,
# and the pinned front-end libraries copied into app/static/vendor/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := app/static/vendor
ADDRESS ?= 127.0.0.1:9000

.PHONY: setup run docs test lint format typecheck unit clean

setup: $(VENV)/.installed $(VENDOR)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENDOR)/.installed: package.json package-lock.json scripts/vendor.sh
	npm ci --no-audit --no-fund --loglevel=error
	sh scripts/vendor.sh
	touch $@

# settings.toml is not tracked: the first run writes it with defaults and a fresh SessionSecret.
run: setup
	$(BIN)/python -m app --address $(ADDRESS) --settings settings.toml

# The settings table in docs/settings.md and settings.example.toml, from app/settings/model.py.
docs: setup
	$(BIN)/python -m app.settings --write

lint: setup
	$(BIN)/ruff check app bench tests setup.py
	$(BIN)/ruff format --check app bench tests setup.py

format: setup
	$(BIN)/ruff format app bench tests setup.py

typecheck: setup
	$(BIN)/mypy

# Two runs of two workers each (pytest-xdist, a file per worker at a time): the suite is mostly
# waiting on sockets and browsers, so two cores run it in about half the time. The browser tests
# get a run of their own: Playwright's sync API leaves an event loop running in its process, and
# asyncio tests cannot start theirs after it (in one process, tests/conftest.py runs them last).
test: setup lint typecheck
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --ignore=tests/browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests/browser

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
