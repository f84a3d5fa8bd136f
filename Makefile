# The two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# pytest workers: two cores here; override with `make test WORKERS=1`
WORKERS ?= 2

.PHONY: run dev test lint install bench bench-scale lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Links in emails and PDFs use LMS_BASE_URL: BASE_URL=... here, else the environment or
# instance/lms.toml, else http://HOST:PORT (which cannot be guessed when HOST is 0.0.0.0).
# gunicorn and the mail delivery worker run side by side; Ctrl-C (or a TERM to this shell)
# stops both, and when gunicorn exits, the worker is stopped with it.
BASE_URL ?=

run: install
	@url="$(BASE_URL)"; \
	[ -n "$$url" ] || url="$$($(BIN)/lms base-url 2>/dev/null)"; \
	if [ -z "$$url" ]; then \
	    case "$(HOST)" in 0.0.0.0|::) \
	        echo "HOST=$(HOST) listens on every address, so links cannot point at it: pass the address people open," >&2; \
	        echo "for example: make run HOST=$(HOST) BASE_URL=http://training.example.org:$(PORT)" >&2; exit 2;; \
	    esac; \
	    url="http://$(HOST):$(PORT)"; \
	fi; \
	export LMS_BASE_URL="$$url"; \
	$(BIN)/lms init || exit; \
	trap 'kill -TERM $$web $$mail 2>/dev/null' INT TERM; \
	$(BIN)/lms deliver-mail & mail=$$!; \
	$(BIN)/gunicorn -c python:lms.gunicorn_conf --bind "$(HOST):$(PORT)" & web=$$!; \
	wait $$web; status=$$?; \
	kill -TERM $$web $$mail 2>/dev/null; wait; exit $$status

# Flask's development server, reloading on every change.
dev: install
	@LMS_BASE_URL="$${LMS_BASE_URL:-http://$(HOST):$(PORT)}" $(BIN)/lms init
	LMS_BASE_URL="$${LMS_BASE_URL:-http://$(HOST):$(PORT)}" $(BIN)/flask --app lms run --debug --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check lms tests bench
	$(BIN)/bandit -q -c pyproject.toml -r lms -lll

bench: install
	$(BIN)/python bench/run.py

# 100,000 people and 1,000,000 attempts on PostgreSQL (LMS_BENCH_SCALE_DATABASE_URL).
bench-scale: install
	$(BIN)/python bench/scale.py

# Re-pin every dependency after changing pyproject.toml.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^lms' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
