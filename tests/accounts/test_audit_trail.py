"""An audit trail an auditor can trust: it names who did it by the username (which never
changes) next to the display name (which may), changes of accounts are on it themselves,
from the app and from the admin, and no SQL statement can empty it."""

from __future__ import annotations

import pytest
from django import forms
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, Centre, Role, SecurityEvent, User
from tests.factories import CentreFactory, UserFactory, client_for, make_case

pytestmark = pytest.mark.django_db


def account_events(user: User):
    return AuditEvent.objects.filter(model="accounts.user", object_id=user.pk).order_by("id")


def test_the_trail_names_the_username_next_to_the_display_name(centre_a, alice, as_mallory):
    case = make_case(centre_a, alice)
    alice.display_name = "佐藤 愛（旧姓）"
    alice.save(update_fields=["display_name"])
    body = as_mallory.get(reverse("cases:audit", args=[case.pk])).content.decode()
    assert "佐藤 愛（旧姓）" in body
    assert 'data-testid="audit-username">alice</code>' in body


def test_the_case_page_s_viewers_show_the_username_too(centre_a, alice, as_mallory, mallory):
    case = make_case(centre_a, alice)
    as_mallory.get(reverse("cases:detail", args=[case.pk]))
    body = as_mallory.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="audit-username">mallory</code>' in body


def test_a_display_name_changed_on_the_preferences_page_is_audited(alice, as_alice):
    response = as_alice.post(
        reverse("preferences"),
        {"display_name": "新しい名前", "language": "ja", "weekly_digest": "on"},
    )
    assert response.status_code == 302
    event = account_events(alice).get()
    assert event.action == AuditAction.CHANGE and event.user == alice
    assert event.changed_fields == ["display_name"]  # the field, never the value
    assert "新しい名前" not in str(event.changed_fields)


def test_saving_preferences_unchanged_writes_no_event(alice, as_alice):
    as_alice.post(
        reverse("preferences"),
        {"display_name": alice.display_name, "language": "ja", "weekly_digest": "on"},
    )
    assert not account_events(alice).exists()


# --- the admin ----------------------------------------------------------------------------


@pytest.fixture
def root(centre_a) -> User:
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


def admin_form_data(response) -> dict[str, object]:
    """What the admin's change form posts back untouched (its fields' current values)."""
    form = response.context["adminform"].form
    data: dict[str, object] = {"_save": "Save"}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, forms.MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else str(value)
    return data


def test_role_centres_and_active_flag_changed_in_the_admin_are_audited(root, alice, centre_b):
    client = client_for(root)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    data = admin_form_data(client.get(url))
    data.update(role=Role.MANAGER, centres=[str(centre_b.pk)], display_name="佐藤 所長")
    data.pop("is_active", None)  # unticked
    response = client.post(url, data, REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 302, response.context["adminform"].form.errors
    alice.refresh_from_db()
    assert (alice.role, alice.is_active) == (Role.MANAGER, False)
    event = account_events(alice).get()
    assert event.action == AuditAction.CHANGE and event.user == root
    assert event.changed_fields == ["centres", "display_name", "is_active", "role"]
    assert event.ip_address == "192.0.2.44"


def test_an_admin_save_that_changes_nothing_writes_no_event(root, alice):
    client = client_for(root)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    assert client.post(url, admin_form_data(client.get(url))).status_code == 302
    assert not account_events(alice).exists()


def test_the_username_cannot_be_changed_in_the_admin(root, alice):
    client = client_for(root)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    data = admin_form_data(client.get(url))
    assert "username" not in data  # read-only on the page
    data["username"] = "someone-else"
    client.post(url, data)
    alice.refresh_from_db()
    assert alice.username == "alice"


def test_an_account_created_in_the_admin_is_audited(root):
    client = client_for(root)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "password1": "a-long-unusual-passphrase-47",
            "password2": "a-long-unusual-passphrase-47",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    event = account_events(newcomer).get()
    assert event.action == AuditAction.CREATE and event.user == root


# --- append-only, even against TRUNCATE ----------------------------------------------------


@pytest.mark.parametrize("model", [AuditEvent, SecurityEvent])
def test_no_statement_empties_an_append_only_table(model, centre_a, alice):
    make_case(centre_a, alice)  # an audit event at least
    SecurityEvent.objects.create(kind="probing", user=alice, centre_ids=[centre_a.pk])
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # The test's own inserts leave deferred foreign-key checks pending, which would make
        # PostgreSQL refuse TRUNCATE for that reason before the trigger is asked.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    statements = [f"TRUNCATE {table}", f"TRUNCATE {table} CASCADE", f"DELETE FROM {table}"]  # noqa: S608
    for statement in statements:
        with (
            pytest.raises(DatabaseError, match="Cannot"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert model.objects.exists()


def test_flush_stops_at_the_audit_trail_unless_allowed(centre_a, alice, settings):
    """`manage.py flush` (TRUNCATE of every table) must not wipe the trail in production;
    the tests and development may (AUDIT_FLUSH_ALLOWED)."""
    make_case(centre_a, alice)
    settings.AUDIT_FLUSH_ALLOWED = False
    with pytest.raises(CommandError), transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.exists() and Centre.objects.exists()


def test_a_new_centre_is_not_an_account_change(centre_a):
    """Account events come from account changes only, not from every save in accounts."""
    CentreFactory()
    assert not AuditEvent.objects.filter(model="accounts.user").exists()
