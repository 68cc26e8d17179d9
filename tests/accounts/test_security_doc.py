"""docs/security.md's table of what each role may do is the code's (accounts.access)."""

from accounts import security_doc
from accounts.access import PERMISSIONS


def test_the_role_table_in_the_document_matches_the_permissions():
    documented = security_doc.documented_table(security_doc.DOC.read_text(encoding="utf-8"))
    assert documented == security_doc.permissions_table(), (
        "docs/security.md is out of date: run `manage.py permissions_table --write`"
    )


def test_the_table_has_a_row_per_action():
    table = security_doc.permissions_table()
    for action in PERMISSIONS:
        assert f"| `{action}` |" in table
