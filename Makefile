# The two commands a newcomer needs are `make run` and `make test`; the rest are helpers.
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run serve test smoke migrate seed worker beat stop backup restore bench verify clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

migrate: install
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

run: seed serve

serve: install
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop; 'make stop' stops the embedded PostgreSQL)"
	$(MANAGE) runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

smoke: install
	$(PY) -m pytest -m smoke $(PYTEST_ARGS)

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=info

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=info

verify: install
	$(MANAGE) verify_ledger

stop: install
	$(PY) -m config.embedded_db stop

backup: install
	$(PY) -m config.backup dump $(FILE)

restore: install
	$(PY) -m config.backup restore $(FILE)

bench: install
	$(PY) bench/recipients.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles
