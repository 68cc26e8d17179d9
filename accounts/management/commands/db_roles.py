"""Create or update the production database roles (accounts/db_roles.py, docs/security.md).
Run as a superuser (DATABASE_URL), after every `migrate`: `make db-roles`."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import BaseCommand, CommandParser
from django.db import connection, transaction

from accounts import db_roles


class Command(BaseCommand):
    help = "Create the owner and app database roles; the app role may only add to the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", default=os.environ.get("DB_OWNER_ROLE", "tsunagu_owner"))
        parser.add_argument("--app", default=os.environ.get("DB_APP_ROLE", "tsunagu_app"))

    def handle(self, *args: Any, owner: str, app: str, **options: Any) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            db_roles.apply(
                cursor,
                database=connection.settings_dict["NAME"],
                owner=owner,
                app=app,
                # From the environment only, never the command line (ps shows it).
                owner_password=os.environ.get("DB_OWNER_PASSWORD") or None,
                app_password=os.environ.get("DB_APP_PASSWORD") or None,
            )
        tables = ", ".join(db_roles.append_only_tables())
        self.stdout.write(
            self.style.SUCCESS(
                f"Roles {owner} (owner) and {app} (app) are set; append-only: {tables}"
            )
        )
