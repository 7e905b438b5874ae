# The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test install install-test lint clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The validators of the gate (tests/gate): axe-core and the Nu Html Checker, pinned by the lock.
# No install scripts: vnu-jar's would fetch a Java runtime; the machine's Java runs it.
GATE = tests/gate
$(GATE)/node_modules/.package-lock.json: $(GATE)/package.json $(GATE)/package-lock.json
	cd $(GATE) && npm ci --ignore-scripts --no-audit --no-fund --prefer-offline
	touch $@

run: install
	$(BIN)/veilleur up

test: install-test $(GATE)/node_modules/.package-lock.json
	VENV=$(VENV) scripts/run-tests

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache

# Refresh the French catalog after changing user-visible text, then translate the new entries.
messages: install-test
	cd src/veilleur && ../../$(BIN)/django-admin makemessages -l fr --settings=veilleur.settings --no-obsolete
	cd src/veilleur && msgfmt --check -o locale/fr/LC_MESSAGES/django.mo locale/fr/LC_MESSAGES/django.po
