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

.PHONY: install run demo test lint typecheck unit docs-preview bench browser playground

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[$(FRAMEWORK)]'
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[aiogram,ptb,dev]'
	@touch $@

install: $(RUN_STAMP)

# With BOT_TOKEN set: the real bot (long polling). Without: the playground on
# http://127.0.0.1:8080 (the built-in fake Telegram, the real bot, its own ./data/playground/).
run: $(RUN_STAMP)
	$(BIN)/mitramedia run

playground: $(RUN_STAMP)
	$(BIN)/mitramedia playground

demo: $(RUN_STAMP)
	$(BIN)/mitramedia demo

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

# Includes tests/test_wheel.py: builds the wheel, installs it apart from the checkout and runs
# `mitramedia demo` from it.
unit: $(TEST_STAMP) browser
	$(BIN)/pytest -q -n 2 --dist loadfile

# The playground's browser test drives Debian's chromium (never a browser Playwright downloads);
# where it cannot be installed (not root, no apt-get) the test skips and says why.
browser:
	@command -v chromium >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium fonts-noto-color-emoji >/dev/null; } \
	      || echo "chromium could not be installed: the browser test skips"; \
	  else echo "chromium is not installed (apt-get install chromium): the browser test skips"; fi; }

test: lint typecheck unit

# Every record (receipt, disposition sheet, MoU/PKS, recap/SPJ, agenda) of a seeded case of each
# SOP, as files and PNG pages in data/docs-preview/ for a reviewer; pdftoppm is poppler-utils.
docs-preview: $(TEST_STAMP)
	@command -v pdftoppm >/dev/null || apt-get install -y poppler-utils
	PYTHONPATH=. $(BIN)/python tools/docs_preview.py data/docs-preview

# Issue 11's figures (BENCHMARKS.md), each bot its own process on the fake Bot API on
# 127.0.0.1: start-up and idle memory, closed and open loop beside bare aiogram/PTB echo bots,
# the outbox drained against Telegram's limits (about 6 minutes), whole Sanggau cases beside the
# echo bots (bench/cases.py), and with BENCH_POSTGRES_URL
# (a database named bench_*, emptied) the cases on PostgreSQL and the sweep and month report
# over 100,000 open tasks.
bench: $(TEST_STAMP)
	$(BIN)/python bench/bench_calendar.py
	$(BIN)/python bench/load.py startup
	$(BIN)/python bench/load.py closed
	$(BIN)/python bench/load.py open
	$(BIN)/python bench/drain.py
	$(BIN)/python bench/cases.py
	@if [ -n "$(BENCH_POSTGRES_URL)" ]; then $(BIN)/python bench/cases.py --postgres "$(BENCH_POSTGRES_URL)" \
		--bots mitra-aiogram mitra-ptb aiogram-echo; fi
	@if [ -n "$(BENCH_POSTGRES_URL)" ]; then $(BIN)/python bench/sweep.py --url "$(BENCH_POSTGRES_URL)" \
		&& $(BIN)/python bench/sweep.py --url "$(BENCH_POSTGRES_URL)" --tasks 10000 --now now --bot-memory; \
	else echo "BENCH_POSTGRES_URL not set: sweep/report and bot-memory benches skipped"; fi
