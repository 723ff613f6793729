# Quick start: `make demo` and `make test` each set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all bench lint model clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "triage needs Python 3.11 or newer (set PYTHON=...)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# uv installs the same pinned ranges in seconds where pip takes a minute of the
	@# three the quick start may take; pip does it where uv cannot be had or fails.
	$(PY) -m pip install --quiet --disable-pip-version-check uv \
	  && $(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev]' \
	  || $(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@$(PY) -m compileall -q triage  # bytecode even where PYTHONDONTWRITEBYTECODE is set
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m triage demo

# `make test` (CI): everything but the few long runs marked slow, which repeat the
# same checks at a larger size. `make test-all` runs those too, with more examples.
# Two test processes: the suite spends much of its time waiting on worker processes
# and subprocesses it starts, so a second one fills the other core.
XDIST := -n auto --maxprocesses 2

# Python's bytecode cache, even where PYTHONDONTWRITEBYTECODE turns it off: without it
# every process the suite starts compiles each module it imports again (1,800 of them
# for a test process: half a minute of a three-minute run). It is written beside the
# modules, as Python does by default (in .venv and the source tree; git ignores it).
CACHED := env -u PYTHONDONTWRITEBYTECODE

test: $(STAMP)
	$(CACHED) $(PY) -m pytest -q -m "not slow" $(XDIST)

test-all: $(STAMP)
	HYPOTHESIS_PROFILE=full $(CACHED) $(PY) -m pytest -q $(XDIST)

bench: $(STAMP)
	@mkdir -p .benchmarks
	$(CACHED) $(PY) -m pytest benchmarks -q --benchmark-enable --benchmark-columns=min,median,mean,max,ops --benchmark-sort=name --benchmark-json=.benchmarks/results.json
	$(PY) benchmarks/report.py .benchmarks/results.json

lint: $(STAMP)
	$(PY) -m ruff check triage tests benchmarks examples
	$(PY) -m ruff format --check triage tests benchmarks examples
	$(PY) -m mypy triage

model: $(STAMP)
	$(PY) -m triage model build-demo

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
