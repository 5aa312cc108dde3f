# Two entry points for a fresh machine: `make run` and `make test`. Both install what they need first.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run check test bench bench-api bench-screen clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

run: install
	$(BIN)/matcher standard validate
	$(BIN)/matcher index build
	$(BIN)/matcher serve  # http://127.0.0.1:8000/ (MATCHER_HOST, MATCHER_PORT)

# the fast loop: lint, layers, and every test not marked slow (real-model quality, parity and browser tests)
check: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q -m "not slow"

# everything: what the README's test command and .ci/run run
test: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/bench_match.py

bench-api: install
	$(BIN)/python bench/load_api.py

# CVs/s and peak RSS of match-batch, screen --workers 1/2, --ray and a warm vector cache (README, "Screening at scale")
bench-screen: install
	$(BIN)/python bench/bench_screen.py

clean:
	rm -rf $(VENV) index/*.faiss index/*.json index/*.npy
