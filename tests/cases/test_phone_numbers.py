"""Phone numbers: typed the Japanese way, stored as E.164, shown nationally."""

import pytest
from django.urls import reverse

from cases.models import Case
from tests.factories import intake_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("090-1234-5678", "+819012345678", "090-1234-5678"),
        ("０３－１２３４－５６７８", "+81312345678", "03-1234-5678"),  # as an IME types it
        ("0312345678", "+81312345678", "03-1234-5678"),
    ],
)
def test_phone_numbers_are_read_as_japanese_stored_e164_and_shown_nationally(
    as_bob, centre_a, typed, stored, shown
):
    as_bob.post(reverse("cases:intake"), intake_data({"case-phone": typed}))
    case = Case.objects.get(centre=centre_a)
    assert stored_phone(case) == stored
    assert shown in as_bob.get(reverse("cases:detail", args=[case.pk])).content.decode()


def stored_phone(case) -> str:
    """The column as stored, not as the field reads it back."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM cases_case WHERE id = %s", [case.pk])
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("03-1234-5678", "+81312345678"),
        ("090-1234-5678", "+819012345678"),
        ("03-1234-567", "03-1234-567"),
    ],
)
def test_phone_numbers_typed_before_are_converted_by_the_migration(case, before, after):
    import importlib

    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET phone = %s WHERE id = %s", [before, case.pk])
    migration = importlib.import_module("cases.migrations.0004_phone_number_field")
    migration.to_e164(apps, None)
    assert stored_phone(case) == after  # an invalid number is left for a person to fix
