# pmbot: two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-dates lint typecheck unit bench reliability install clean postgres

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/pmbot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

# The whole suite with the clock moved (tests/conftest.py): no test may depend on today's date.
test-dates: $(STAMP)
	PMBOT_TEST_TODAY=2027-06-01 $(BIN)/python -m pytest -q -p no:cacheprovider
	PMBOT_TEST_TODAY=2030-02-28 $(BIN)/python -m pytest -q -p no:cacheprovider

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python -m bench

reliability: $(STAMP)
	$(BIN)/python -m bench.reliability

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
