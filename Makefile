# Two entry points (see README Quickstart): `make run` and `make test`. Both create .venv on first use.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-all bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q -c constraints.txt -e '.[dev,validation]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/codesign run

test: $(STAMP)
	$(VENV)/bin/python -m pytest

test-all: $(STAMP)
	$(VENV)/bin/python -m pytest -m ''

bench: $(STAMP)
	$(VENV)/bin/codesign bench

clean:
	rm -rf $(VENV) runs .pytest_cache
