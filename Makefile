# capex-abm: `make run` runs the default scenario, `make test` the whole suite.
# Both create .venv from setup.cfg when it is missing or stale.

SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

# The first of python3.13, python3.12, python3 that really is Python >= 3.12
# (pyenv shims exist for versions that are not selected, so each is run).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	echo $$p; break; fi; done)

.PHONY: run test lint bench bench-kernel bench-model clean venv

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "capex-abm needs Python >= 3.12 (Mesa 3 requires it)."; \
		echo "Install python3.12 or python3.13 (e.g. 'pyenv install 3.12'), or pass PYTHON=/path/to/python3.12."; \
		exit 1; fi
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "Removing $(VENV): it was built with a Python older than 3.12"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/capex-abm run

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check abm agents experiments tests
	$(BIN)/python -W error -c "import abm, agents"

bench: bench-kernel bench-model

bench-kernel: $(STAMP)
	$(BIN)/capex-abm bench kernel

bench-model: $(STAMP)
	$(BIN)/capex-abm bench model

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +
