"""The table of what each role may do, generated from accounts.access.PERMISSIONS for
docs/security.md (`manage.py permissions_table --write`); tests/accounts/test_security_doc.py
fails when the document and the code disagree."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from accounts.access import PERMISSIONS
from accounts.models import Role

DOC = Path(settings.BASE_DIR) / "docs" / "security.md"
START, END = "<!-- permissions:start -->", "<!-- permissions:end -->"


def permissions_table() -> str:
    roles = list(Role)
    header = "| action | " + " | ".join(f"{role.value}" for role in roles) + " |"
    rule = "| --- | " + " | ".join(":---:" for _ in roles) + " |"
    rows = [
        f"| `{action}` | " + " | ".join("✓" if role in allowed else "–" for role in roles) + " |"
        for action, allowed in PERMISSIONS.items()
    ]
    return "\n".join([header, rule, *rows])


def documented_table(text: str) -> str:
    start, end = text.index(START) + len(START), text.index(END)
    return text[start:end].strip()


def with_table(text: str) -> str:
    start, end = text.index(START) + len(START), text.index(END)
    return text[:start] + "\n" + permissions_table() + "\n" + text[end:]
