"""Editing a case: the basic-information form, sensitive information, the status form, and the
optimistic lock (a stale save is a 409 that keeps the input)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, Role
from cases.models import Case, CaseSensitiveInfo
from tests.factories import UserFactory, case_form_data, make_cases, record_contact

pytestmark = pytest.mark.django_db


def test_stale_edit_is_refused_with_a_clear_message_and_input_kept(as_alice, as_mallory, case):
    form = case_form_data(case, family_name="山田")
    first = as_mallory.post(
        reverse("cases:edit", args=[case.pk]), {**form, "given_name": "マネージャーの変更"}
    )
    assert first.status_code == 302
    second = as_alice.post(
        reverse("cases:edit", args=[case.pk]), {**form, "given_name": "アリスの変更"}
    )
    body = second.content.decode()
    assert second.status_code == 409
    assert "他の人が更新しました" in body and "アリスの変更" in body
    assert Case.objects.get(pk=case.pk).given_name == "マネージャーの変更"


def test_after_a_stale_edit_saving_again_knowingly_goes_through(as_alice, as_mallory, case):
    """The refused form carries the version saved since: it is not a dead end."""
    form = case_form_data(case, family_name="山田")
    url = reverse("cases:edit", args=[case.pk])
    assert as_mallory.post(url, {**form, "given_name": "マネージャーの変更"}).status_code == 302
    refused = as_alice.post(url, {**form, "given_name": "アリスの変更"})
    assert refused.status_code == 409
    current = Case.objects.get(pk=case.pk).version
    assert f'name="version" value="{current}"' in refused.content.decode()
    resent = refused.context["form"].data  # what the page now holds, as the browser resends it
    assert resent["version"] == str(current)
    assert resent["given_name"] == "アリスの変更"
    assert as_alice.post(url, dict(resent.items())).status_code == 302
    assert Case.objects.get(pk=case.pk).given_name == "アリスの変更"


def test_a_counsellor_of_another_centre_cannot_be_assigned(as_alice, case, charlie):
    form = case_form_data(case, primary_counsellor=str(charlie.pk))
    response = as_alice.post(reverse("cases:edit", args=[case.pk]), form)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.primary_counsellor != charlie


def test_a_cadence_of_zero_days_is_refused(as_alice, case):
    form = case_form_data(case, followup_interval_days="0")
    response = as_alice.post(reverse("cases:edit", args=[case.pk]), form)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.followup_interval_days is None


def test_stale_sensitive_info_edit_is_refused(as_alice, as_mallory, case):
    url = reverse("cases:sensitive_edit", args=[case.pk])
    data = {
        "conditions": "更新A",
        "medical_status": "",
        "disability_certificate": "",
        "version": "1",
    }
    assert as_mallory.post(url, data).status_code == 302
    response = as_alice.post(url, {**data, "conditions": "古い画面からの更新"})
    assert response.status_code == 409 and "古い画面からの更新" in response.content.decode()
    assert CaseSensitiveInfo.objects.get(case=case).conditions == "更新A"


def test_opening_sensitive_info_is_audited(as_alice, alice, case):
    as_alice.get(reverse("cases:sensitive_edit", args=[case.pk]))
    seen = AuditEvent.objects.filter(case_id=case.pk, user=alice, action__startswith="view")
    # Its own action, on the sensitive record: "saw the diagnosis", not "opened the case".
    assert [(e.action, e.model) for e in seen] == [
        (AuditAction.VIEW_SENSITIVE, "cases.casesensitiveinfo")
    ]


def test_close_and_reopen_from_the_browser(as_alice, case):
    url = reverse("cases:status", args=[case.pk])
    response = as_alice.post(url, {"to_status": "closed"})
    assert response.status_code == 200 and "終結理由" in response.content.decode()
    as_alice.post(url, {"to_status": "closed", "closure_reason": "moved"})
    as_alice.post(url, {"to_status": "open", "note": "再ひきこもり"})
    case.refresh_from_db()
    assert case.status == "open" and case.episode == 2


# Session, user, the user's centres (ids and the menu's names), the case (centre and
# counsellor joined), its VIEW on the audit trail (one INSERT), the page header (the inbox
# badge) and the counsellors to choose from (read through a server-side cursor). The form's
# defaults come from the case's centre, already joined. The co-counsellor (副担当, issue 15)
# is chosen from the same people: one more read of them.
CASE_EDIT_FORM_QUERIES = 8


def test_case_edit_form_query_count_does_not_grow_with_cases_contacts_or_counsellors(
    as_alice, centre_a, alice, case, django_assert_num_queries
):
    url = reverse("cases:edit", args=[case.pk])
    record_contact(case, alice)
    with django_assert_num_queries(CASE_EDIT_FORM_QUERIES):
        as_alice.get(url)
    make_cases(centre_a, alice, 49)
    for days in range(1, 50):
        record_contact(case, alice, at=timezone.now() - dt.timedelta(days=days))
    UserFactory.create_batch(49, centre=centre_a, role=Role.COUNSELLOR)
    with django_assert_num_queries(CASE_EDIT_FORM_QUERIES):
        response = as_alice.get(url)
    assert len(response.context["form"].fields["primary_counsellor"].queryset) == 50
    assert len(response.context["form"].fields["co_counsellor"].queryset) == 50
