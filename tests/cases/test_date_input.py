"""Dates typed into the case forms in 和暦 or 西暦, full- or half-width, through the real views:
what is saved, and what the user sees (with their text kept) when the date is wrong."""

import datetime as dt
import inspect

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.fields import JapaneseDateField
from cases import forms as case_forms
from cases.models import Case
from families.forms import household as household_forms
from families.forms import programmes as programme_forms
from tests.factories import case_form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["昭和45年3月2日", "S45.3.2", "Ｓ４５．３．２", "1970-03-02"])
def test_a_birth_date_typed_in_wareki_or_western_form_is_saved(as_alice, case, typed):
    response = as_alice.post(
        reverse("cases:edit", args=[case.pk]), case_form_data(case, birth_date=typed)
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.birth_date == dt.date(1970, 3, 2)


def test_a_saved_birth_date_is_shown_as_iso_so_the_form_reads_it_back(as_alice, case):
    Case.objects.filter(pk=case.pk).update(birth_date=dt.date(1970, 3, 2))
    body = as_alice.get(reverse("cases:edit", args=[case.pk])).content.decode()
    assert 'name="birth_date" value="1970-03-02"' in body
    assert 'type="date"' not in body  # a browser date picker can't take 和暦


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("令和元年4月30日", "令和は元年5月1日（2019-05-01）からです。"),
        ("令和8年2月30日", "その日付は存在しません。"),
        ("あした", "日付として読み取れません。"),
    ],
)
def test_an_invalid_birth_date_shows_why_and_keeps_the_text(as_alice, case, typed, message):
    version = case.version
    response = as_alice.post(
        reverse("cases:edit", args=[case.pk]),
        case_form_data(case, birth_date=typed, family_name="佐藤"),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert f'value="{typed}"' in body and 'value="佐藤"' in body
    case.refresh_from_db()
    assert case.birth_date is None and case.family_name == "山田" and case.version == version


def test_an_invalid_birth_date_in_english_keeps_the_text_and_saves_nothing(as_alice, case):
    as_alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = as_alice.post(
        reverse("cases:edit", args=[case.pk]), case_form_data(case, birth_date="令和元年4月30日")
    )
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    body = response.content.decode()
    assert "The 令和 era began on 2019-05-01" in body
    assert 'value="令和元年4月30日"' in body
    case.refresh_from_db()
    assert case.birth_date is None


def test_a_counsellor_of_another_centre_cannot_edit_the_birth_date(as_charlie, case):
    response = as_charlie.post(
        reverse("cases:edit", args=[case.pk]), case_form_data(case, birth_date="S45.3.2")
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.birth_date is None


def test_other_case_forms_read_wareki_too(as_alice, case):
    as_alice.post(
        reverse("cases:plan_new", args=[case.pk]), {"goals": "外出", "review_on": "R9.1.10"}
    )
    assert case.plans.get().review_on == dt.date(2027, 1, 10)
    as_alice.post(
        reverse("cases:status", args=[case.pk]),
        {"to_status": "paused", "paused_until": "令和９年２月１日"},
    )
    case.refresh_from_db()
    assert case.status == "paused" and case.paused_until == dt.date(2027, 2, 1)


def test_an_empty_required_date_gets_the_usual_required_message():
    field = JapaneseDateField()
    for blank in ["", "  ", "\u3000"]:
        with pytest.raises(ValidationError) as raised:
            field.clean(blank)
        assert raised.value.code == "required"
    assert JapaneseDateField(required=False).clean("\u3000") is None


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (case_forms, {"CaseForm.birth_date", "StatusForm.paused_until"}),
        (household_forms, {"MemberForm.birth_date", "MemberForm.status_since"}),
        (programme_forms, {"ProgrammeForm.starts_on", "ProgrammeForm.ends_on"}),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_every_date_field_of_the_case_and_family_forms_reads_wareki(module, expected):
    form_classes = [
        form
        for _name, form in inspect.getmembers(module, inspect.isclass)
        if issubclass(form, forms.BaseForm) and form.__module__ == module.__name__
    ]
    date_fields = {
        f"{form.__name__}.{name}": type(field)
        for form in form_classes
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateField)
    }
    assert expected <= set(date_fields)
    assert set(date_fields.values()) == {JapaneseDateField}
