SHELL := /bin/bash
# uv must use the machine's Python 3.12 (pyenv here), never download one.
export UV_PYTHON_DOWNLOADS := never
export PATH := $(HOME)/.local/bin:$(PATH)
MANAGE := uv run python manage.py

.PHONY: run test fuzz setup services deps migrate messages lint typecheck bench bench-sweep clean backup restore db-roles

run: setup
	$(MANAGE) seed_demo
	$(MANAGE) sweep_silence
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.local} uv run honcho start -f Procfile

test: services deps
	DJANGO_SETTINGS_MODULE=config.settings.test uv run pytest -n auto

# Every form under hostile input with many more examples than `make test` runs (tests/fuzz/).
fuzz: services deps
	DJANGO_SETTINGS_MODULE=config.settings.test HYPOTHESIS_PROFILE=fuzz uv run pytest -n auto tests/fuzz

setup: services deps migrate

services:
	bash scripts/services.sh

deps:
	bash scripts/ensure-uv.sh
	uv sync --frozen
	bash scripts/ensure-node-tools.sh

migrate:
	$(MANAGE) compilemessages --ignore=.venv -v 0
	$(MANAGE) migrate --noinput

messages:
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=staticfiles --ignore=bench --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv

# The production database roles (docs/security.md): an owner that runs migrations and an
# app role that cannot rewrite the audit trail. Run as a superuser, after every migrate.
db-roles:
	bash scripts/db-roles.sh

# The whole database to backups/ (pg_dump, custom format, with a checksum file), and back
# into a database (refusing one that holds tables unless FORCE=1): README.md, "Backups".
backup:
	bash scripts/backup.sh

restore:
	bash scripts/restore.sh $(FILE)

lint:
	uv run ruff check .
	uv run ruff format --check .
	uv run lint-imports

typecheck:
	uv run mypy .

# Every page against its raw-SQL floor on seed_scale data (100k cases, built on the first run),
# then the load test against gunicorn: writes bench/results.md (bench/README.md).
bench: setup
	uv run python bench/pages.py $(ARGS)

bench-sweep: setup
	uv run python bench/sweep.py $(ARGS)
