# Two commands set everything up on a fresh Debian machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The interpreter the venv is made from. Debian's own python3.11, where it is
# installed with its venv module, is built with profile-guided and link-time
# optimisation, as the image's python:3.11 is; a python3 compiled without them
# (pyenv's default build) rendered the documents 11–15% slower on the benchmark
# machine (README, "Scaling out"). `make PYTHON=python3` picks another.
PYTHON ?= $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' 2>/dev/null && echo /usr/bin/python3.11 || echo python3)
# Debian packages the app needs at run time (PDF fonts and text extraction, Pango
# and HarfBuzz-Subset for WeasyPrint) and for the tests (Chromium for the browser
# tests).
RUN_PACKAGES := fonts-liberation2 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext
TEST_PACKAGES := chromium

.PHONY: run test lint setup system-packages test-packages worker messages

setup: system-packages $(VENV)/.installed node_modules/.installed

system-packages:
	@missing=$$(for p in $(RUN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@command -v npm >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }

test-packages:
	@missing=$$(for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) runserver 127.0.0.1:8000

test: setup test-packages
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

worker: setup
	$(VENV)/bin/celery -A kontum_review worker --loglevel=info

messages: setup
	$(MANAGE) makemessages -l vi --no-obsolete --ignore=.venv --ignore=node_modules --ignore=tests --ignore=staticfiles --ignore=locale --ignore=api
	# The api app keeps its own catalogue (api/locale), DRF's missing words too.
	cd api && ../$(PY) ../manage.py makemessages -l vi --no-obsolete
	$(MANAGE) compilemessages -l vi --ignore=.venv --ignore=node_modules
