PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := static/vendor
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Python packages come from uv.lock (exact versions, hashes checked), installed by this uv,
# which setup brings from PyPI into $(VENV). uv uses $(VENV)'s interpreter, made from
# $(PYTHON), and never downloads a Python of its own.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: setup lock run test lint browser bench bench-scale bench-instructions messages lighthouse

# Each language's catalogue, compiled from its messages.po (the .mo files are not committed).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locales/*/LC_MESSAGES/messages.po))

setup: $(VENV)/.installed $(VENDOR)/.installed $(CATALOGUES) locales/formats.pickle

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

# The few CLDR tables that dates and numbers need, per language (services/formats.py).
locales/formats.pickle: services/formats.py $(VENV)/.installed
	$(BIN)/python -m services.formats

# Extracts every word to translate from the code and templates, and updates each catalogue.
# New words arrive untranslated (tests/test_translations.py fails until they are translated).
messages: setup
	$(BIN)/pybabel extract -F pyproject.toml --add-comments=TRANSLATORS: --no-wrap --sort-by-file -o $(VENV)/messages.pot \
	  accounts routes services web templates partials
	$(BIN)/pybabel update --no-wrap --ignore-obsolete -i $(VENV)/messages.pot -d locales

# The stamp's name holds uv's version, so a new UV_VERSION installs that uv.
$(VENV)/.uv-$(UV_VERSION):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)" 2>&1 | grep -v "^WARNING: Location" || true
	test "$$($(UV) self version --short)" = "$(UV_VERSION)"
	rm -f $(VENV)/.uv-*
	touch $@

# Exactly what uv.lock holds, dev extras included (hashes checked); any other package is
# removed, save pip and uv themselves.
$(VENV)/.installed: pyproject.toml uv.lock $(VENV)/.uv-$(UV_VERSION)
	$(UV) sync --locked --compile-bytecode --extra dev --python $(BIN)/python \
	  || { echo "If uv.lock no longer matches pyproject.toml, run: make lock"; exit 1; }
	$(BIN)/python -c "import starlette, databases, pgserver, aiobotocore, moto, playwright"
	touch $@

# Refreshes uv.lock: every package to its newest release within pyproject.toml's bounds,
# for every Python that pyproject.toml allows. Then `make setup` installs it.
# `make lock UV_LOCK_ARGS=` only adds what pyproject.toml changed, keeping the other pins.
UV_LOCK_ARGS ?= --upgrade
lock: $(VENV)/.uv-$(UV_VERSION)
	$(UV) lock $(UV_LOCK_ARGS) --python $(BIN)/python

# --include=dev: the build tools (esbuild, purgecss) are devDependencies, even with NODE_ENV=production.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error --include=dev

# What vendor.mjs reads to decide which Bootstrap rules, components and icons to keep.
VENDOR_SOURCES := $(shell find templates partials static/js routes web accounts services \
  \( -name '*.html' -o -name '*.js' -o -name '*.py' \) 2>/dev/null)

# Also redone when this Makefile changes what it copies, or a template what it uses. Built aside
# and swapped in, so a running server never finds the folder half made.
$(VENDOR)/.installed: node_modules/.package-lock.json Makefile vendor.mjs $(VENDOR_SOURCES)
	rm -rf node_modules/.vendor
	mkdir -p node_modules/.vendor/htmx
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/.vendor/htmx/
	node vendor.mjs node_modules/.vendor
	touch node_modules/.vendor/.installed
	rm -rf $(VENDOR) && mv node_modules/.vendor $(VENDOR)

run: setup
	@echo "Open http://localhost:8000 (BASE_URL: passkeys need a host name, not 127.0.0.1)"
	APP_ENV=$${APP_ENV:-development} $(BIN)/uvicorn app:app --reload --host 127.0.0.1 --port 8000 --no-proxy-headers

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install chromium; the browser tests will fail."; \
	  else echo "chromium is missing: install it (apt-get install chromium); the browser tests will fail."; fi; }

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

test: setup browser lint
	$(BIN)/pytest

# A Debian package a benchmark runs: installed as root where apt-get exists, else named.
define debian_package
@command -v $(1) >/dev/null 2>&1 || { \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
  else echo "$(1) is missing: install it (apt-get install $(1))."; exit 1; fi; }
endef

bench: setup
	$(call debian_package,wrk)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The same measurements on an empty database and on a million accounts seeded by SQL, into
# bench/SCALE.md (about 15 minutes). Quicker: make bench-scale SCALE_ARGS='--accounts 100000'.
# Instructions per request, app and floor, under valgrind: the same figures whatever the load.
bench-instructions: setup
	$(call debian_package,valgrind)
	$(BIN)/python -m bench.instructions $(INSTRUCTIONS_ARGS)

bench-scale: setup
	$(call debian_package,wrk)
	$(BIN)/python -m bench.scale $(SCALE_ARGS)

# Lighthouse 12 (mobile) on the public pages and a member's profile: bench/LIGHTHOUSE.md.
# `npm exec` fetches lighthouse into npm's own cache; the site and make test never depend on it.
lighthouse: setup browser
	$(BIN)/python -m bench.lighthouse $(LIGHTHOUSE_ARGS)
