# Every target installs what it needs first, so each one works on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONCURRENCY ?= 4
POOL ?= prefork

.PHONY: install run test test-fast test-slow lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/celery -A collector.celery_app worker -Q collector -c $(CONCURRENCY) --pool $(POOL) --loglevel=INFO

# Fast tests first, two at a time (each test process has its own Redis database); then the
# slow ones, one at a time, since they kill and restart processes on a timetable. pytest exits
# 5 when a selection holds no test, which is no failure here.
test: install
	$(BIN)/pytest -m "not slow" -n 2
	$(BIN)/pytest -m slow || [ $$? -eq 5 ]

test-fast: install
	$(BIN)/pytest -m "not slow" -n 2

test-slow: install
	$(BIN)/pytest -m slow || [ $$? -eq 5 ]

lint: install
	$(BIN)/ruff check collector tests bench
	$(BIN)/ruff format --check collector tests bench
	$(BIN)/mypy collector

format: install
	$(BIN)/ruff format collector tests bench
	$(BIN)/ruff check --fix collector tests bench

bench: install
	$(BIN)/python -m bench.throughput

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
