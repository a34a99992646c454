# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Emailed links and the Socket.IO origin check use HUB_BASE_URL; unless it is set, `make run` uses
# the address it serves (127.0.0.1 when listening on every interface).
HUB_BASE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
export FLASK_APP := wsgi

.PHONY: run test venv dev-deps translations extract-messages update-messages migrate demo assets api-client clean

$(BIN)/activate: requirements.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

venv: $(BIN)/activate

$(VENV)/.dev-deps: $(BIN)/activate requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

dev-deps: $(VENV)/.dev-deps

translations: venv
	$(BIN)/pybabel compile -d hub/translations

extract-messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output -o hub/translations/messages.pot .

# Creates the French catalog the first time (pybabel update needs an existing catalog), then merges.
update-messages: extract-messages
	test -f hub/translations/fr_CA/LC_MESSAGES/messages.po || $(BIN)/pybabel init -i hub/translations/messages.pot -d hub/translations -l fr_CA
	$(BIN)/pybabel update -i hub/translations/messages.pot -d hub/translations --no-fuzzy-matching --ignore-obsolete

migrate: venv
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask hub demo --if-empty

run: translations demo
	HOST=$(HOST) PORT=$(PORT) HUB_BASE_URL=$(HUB_BASE_URL) $(BIN)/flask hub serve

test: dev-deps translations
	$(BIN)/python -m pytest

# A typed Python client of /api/v1 generated from hub/api/openapi.json (tests generate their own copy).
api-client: dev-deps
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/openapi-python-client generate --path hub/api/openapi.json --meta none --output-path build/hub_client --overwrite

assets:
	npm ci
	npm run build

clean:
	rm -rf $(VENV) .pytest_cache build/hub_client
