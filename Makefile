# Two entry points for a fresh machine: `make run` and `make test`. Both install what they need first.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

run: install
	$(BIN)/matcher standard validate
	$(BIN)/matcher index build
	$(BIN)/matcher match examples/cv_ru_interpreter.txt --top 3

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/bench_match.py

clean:
	rm -rf $(VENV) index/*.faiss index/*.json index/*.npy
