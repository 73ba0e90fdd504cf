# Saphan: `make run` runs the whole system locally; `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test lint setup model lock bench-nlu bench-directory clean

setup: ## create/refresh both virtual environments (seconds when nothing changed)
	@scripts/ensure_env.sh app
	@scripts/ensure_env.sh rasa

run: setup ## migrate, load data, train if inputs changed, start rasa + actions + gateway
	@.venv/bin/saphan run

test: setup ## ruff + every test (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set)
	@.venv/bin/ruff check .
	@$(PY) -m pytest

lint:
	@.venv/bin/ruff check .

model: setup ## train the Rasa model if its inputs changed
	@.venv/bin/saphan model train

lock: ## re-resolve requirements/*.in into the pinned requirements/*.lock files
	@scripts/lock.sh

clean:
	rm -rf var models .pytest_cache .ruff_cache
