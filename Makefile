# Two commands on a fresh machine: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# `make run` installs only the framework it runs (BOT_FRAMEWORK from the environment, default
# aiogram); `make test` installs both, since every adapter test runs on each.
FRAMEWORK := $(or $(BOT_FRAMEWORK),aiogram)
RUN_STAMP := $(VENV)/.installed-$(FRAMEWORK)
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install run demo test lint typecheck unit docs-preview

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[$(FRAMEWORK)]'
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[aiogram,ptb,dev]'
	@touch $@

install: $(RUN_STAMP)

# With BOT_TOKEN set: the real bot (long polling). Without: the demo on the built-in fake
# server, in its own database under ./data/demo/ (never DATABASE_URL).
run: $(RUN_STAMP)
	$(BIN)/mitramedia run

demo: $(RUN_STAMP)
	$(BIN)/mitramedia demo

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

# Includes tests/test_wheel.py: builds the wheel, installs it apart from the checkout and runs
# `mitramedia demo` from it.
unit: $(TEST_STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

# Every record (receipt, disposition sheet, MoU/PKS, recap/SPJ, agenda) of a seeded case of each
# SOP, as files and PNG pages in data/docs-preview/ for a reviewer; pdftoppm is poppler-utils.
docs-preview: $(TEST_STAMP)
	@command -v pdftoppm >/dev/null || apt-get install -y poppler-utils
	PYTHONPATH=. $(BIN)/python tools/docs_preview.py data/docs-preview
