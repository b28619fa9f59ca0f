# The two commands a newcomer needs: `make run` and `make test`. Both set up everything they use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Without DATABASE_URL, `make run` and `make demo` use a demo database of their own; a database named in
# DATABASE_URL is migrated and served as it is, and never gets demo data.
DEMO_DATABASE_URL := sqlite:///data/demo.db

.PHONY: run test install install-test migrate demo translations check-translations bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installed packages are the pinned ones from the lock files; the stamp files re-install when a lock changes.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements-test.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/portfolio migrate

# Loads 40 demo initiatives into a new, empty database, which becomes a demo database (data/demo.db unless
# DATABASE_URL names another). A demo database that has them already is left alone; any other database
# is refused and left unchanged.
demo: migrate
	$(BIN)/portfolio demo --initiatives 40 --if-empty

ifeq ($(strip $(DATABASE_URL)),)
run demo: export DATABASE_URL := $(DEMO_DATABASE_URL)
run: demo
else
run: migrate
endif
	$(BIN)/streamlit run portfolio/ui/server.py --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# The architecture contracts ([tool.importlinter] in pyproject.toml) are checked first; a broken one stops here.
test: install-test
	$(BIN)/lint-imports --no-cache --no-logo
	./scripts/ensure-test-system
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-extract UI strings into the catalogues after changing text (then translate the new entries).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Np_:1,2 -o portfolio/locale/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i portfolio/locale/messages.pot -d portfolio/locale --no-fuzzy-matching --omit-header --ignore-obsolete

bench: install-test
	./scripts/ensure-test-system
	$(BIN)/python bench/import_measurements.py
	$(BIN)/python bench/portfolio_reads.py
	$(BIN)/python bench/decision_during_import.py
	$(BIN)/python bench/stress.py
	$(BIN)/python bench/clicks.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/indicator_views.py
	$(BIN)/python bench/report.py

clean:
	rm -rf $(VENV) data .pytest_cache
