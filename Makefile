# The two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# pytest workers: two cores here; override with `make test WORKERS=1`
WORKERS ?= 2

.PHONY: run test lint install bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/lms init --base-url http://$(HOST):$(PORT)
	$(BIN)/flask --app lms run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check lms tests bench
	$(BIN)/bandit -q -c pyproject.toml -r lms -lll

bench: install
	$(BIN)/python bench/run.py

# Re-pin every dependency after changing pyproject.toml.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^lms' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
