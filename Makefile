# The two commands a newcomer needs are `make run` and `make test`; the rest are helpers.
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails point at the server `make run` starts (the worker builds them, so it is told too).
SITE_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?=

.PHONY: install run serve test smoke migrate seed worker beat stop backup restore bench verify clean messages

# Translation catalogues are compiled (.po -> .mo, with Babel) on every install: cheap when up to date.
install: $(STAMP)
	@$(PY) -m core.i18n

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# Extract the strings marked for translation into each catalogue (docs/i18n.md). Extraction uses
# GNU gettext (xgettext, msgmerge: a translator's tool); compiling does not (`install` does it).
LANGS ?= fr
MESSAGES_IGNORE ?=
messages: install
	$(MANAGE) makemessages $(foreach lang,$(LANGS),-l $(lang)) --no-obsolete --ignore ".venv/*" --ignore "tests/*" \
		--ignore "bench/*" --ignore "static/*" --ignore "staticfiles/*" --ignore "*.egg-info/*" $(MESSAGES_IGNORE)
	$(MANAGE) makemessages -d djangojs $(foreach lang,$(LANGS),-l $(lang)) --no-obsolete --ignore ".venv/*" --ignore "tests/*" \
		--ignore "bench/*" --ignore "static/vendor/*" --ignore "staticfiles/*" --ignore "*.egg-info/*" $(MESSAGES_IGNORE)
	$(PY) -m core.i18n

migrate: install
	$(MANAGE) migrate --noinput

seed: migrate
	SITE_URL="$(SITE_URL)" $(MANAGE) seed_demo

# Web, worker and beat (the Procfile) under honcho; one Ctrl-C stops the three. Each carries
# GRATIA_RUN=<this clone> in its environment, by which `make stop` finds whatever is left.
run: seed serve

serve: install
	@mkdir -p .data
	@echo "Serving on $(SITE_URL)/ with a Celery worker and beat (Ctrl-C stops them; 'make stop' also stops Redis and PostgreSQL)"
	GRATIA_RUN="$(CURDIR)" SITE_URL="$(SITE_URL)" HOST="$(HOST)" PORT="$(PORT)" PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		$(VENV)/bin/honcho start --port $(PORT)

test: install
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

smoke: install
	$(PY) -m pytest -m smoke $(PYTEST_ARGS)

worker: install
	SITE_URL="$(SITE_URL)" PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start worker

beat: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start beat

verify: install
	$(MANAGE) verify_ledger

stop: install
	$(PY) -m config.stop

backup: install
	$(PY) -m config.backup dump $(FILE)

restore: install
	$(PY) -m config.backup restore $(FILE)

# `make bench QUICK=1`: 100,000 incentives instead of 1,000,000 (docs/benchmarks.md).
BENCH_ROWS := $(if $(QUICK),--rows 100000,)
bench: install
	$(PY) bench/recipients.py $(BENCH_ROWS) $(BENCH_ARGS)
	$(PY) bench/compare.py $(BENCH_ROWS) $(BENCH_ARGS)
	$(PY) bench/email_delivery.py $(if $(QUICK),--emails 500,)
	$(PY) bench/contention.py

clean:
	rm -rf $(VENV) staticfiles
