# market-intel: two commands on a fresh machine.
#   make run   set-up + the nightly run on the embedded synthetic market
#   make test  set-up + the whole test suite (.ci/run calls exactly this)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export PREFECT_LOGGING_LEVEL ?= WARNING

.PHONY: setup run test bench browser-deps clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Chromium for the browser test of the report pages (Debian packages).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "warning: could not install chromium; the browser test will fail"; \
	  else echo "warning: not root, chromium not installed"; fi; \
	fi

run: setup
	$(PY) -m market_intel.cli run-default

test: setup browser-deps
	$(PY) -m pytest -q

bench: setup
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	$(PY) -m benchmarks

clean:
	rm -rf outputs .prefect data/raw
