# Grandstand: two commands on a fresh clone.
#   make run   venv + install + demo data + the nightly job end to end (embedded DuckDB)
#   make test  venv + install + ruff + sqlfluff + pytest
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FANS ?= 5000
SEED ?= 42
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GRANDSTAND_HOME ?= $(CURDIR)/var
export GRANDSTAND_LANDING ?= $(GRANDSTAND_HOME)/landing

.PHONY: install run generate nightly ui test lint sqlfluff pytest bench clean

$(STAMP): pyproject.toml
	@echo "Installing Grandstand and its dependencies into $(VENV) (a few minutes on a fresh clone)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# A DuckDB 1.x client, as many BI tools embed: a test opens the published file with it
# (orchestration/publish.py writes the storage format DuckDB 1.1 and newer read).
READER_VENV := .venv-duckdb1
READER_STAMP := $(READER_VENV)/.installed
$(READER_STAMP):
	@echo "Installing a DuckDB 1.1 client into $(READER_VENV) (the published file's oldest reader)"
	@$(PYTHON) -m venv $(READER_VENV)
	@$(READER_VENV)/bin/pip install --quiet "duckdb==1.1.3"
	@touch $(READER_STAMP)

# Demo data is generated only when the landing folder is the demo one (never over real exports).
generate: $(STAMP)
	@if [ "$(GRANDSTAND_LANDING)" = "$(GRANDSTAND_HOME)/landing" ]; then \
		rm -rf "$(GRANDSTAND_LANDING)" && \
		$(BIN)/grandstand generate --fans $(FANS) --seed $(SEED) --out "$(GRANDSTAND_LANDING)"; \
	else echo "GRANDSTAND_LANDING=$(GRANDSTAND_LANDING): real exports, no demo data generated"; fi

nightly: $(STAMP)
	@$(BIN)/grandstand run

run: generate nightly

ui: $(STAMP)
	$(BIN)/grandstand ui

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The dbt templater compiles the project against a scratch DuckDB file, never the working one.
sqlfluff: $(STAMP)
	mkdir -p "$(GRANDSTAND_HOME)"
	cd dbt_project && GRANDSTAND_WAREHOUSE="$(GRANDSTAND_HOME)/sqlfluff.duckdb" \
		../$(BIN)/sqlfluff lint models tests macros

# Two workers: the suite's warehouses build in parallel on a 2-core box; tests that share a
# warehouse run on one worker, the longest groups first (tests/conftest.py,
# pytest_collection_modifyitems; --no-loadscope-reorder keeps that order).
PYTEST_WORKERS ?= 2
pytest: $(STAMP) $(READER_STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder

# Debian's chromium renders the KPI report in a test (tests/test_kpi_report.py): installed
# when missing and we are root; otherwise that test is skipped with its reason.
.PHONY: system-deps
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
		else echo "chromium missing and not root: the report rendering test will be skipped"; fi; \
	fi

test: system-deps lint sqlfluff pytest

bench: $(STAMP)
	$(BIN)/python -m tests.bench

clean:
	rm -rf var dbt_project/target dbt_project/logs $(READER_VENV)
