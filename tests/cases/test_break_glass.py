"""The administrator sees no case content by default; break-glass (issue 15): an administrator,
or a manager for a case of another centre, opens a case read-only for BREAK_GLASS_MINUTES by
giving a reason. Audited, shown to the case centre's managers, closed by time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, Role
from cases.models import BreakGlassGrant
from tests.factories import UserFactory, client_for

pytestmark = pytest.mark.django_db

REASON = "本人の家族から苦情があり、対応経過を確認するため"


@pytest.fixture
def admin(db):
    return UserFactory(username="root", role=Role.ADMIN)


@pytest.fixture
def as_admin(admin):
    return client_for(admin)


@pytest.fixture
def dave(centre_b):
    return UserFactory(username="dave", role=Role.MANAGER, centre=centre_b)


@pytest.fixture
def as_dave(dave):
    return client_for(dave)


def _break(client, case, reason=REASON):
    return client.post(
        reverse("cases:break_glass"),
        {"centre": case.centre_id, "case_number": case.case_number, "reason": reason},
    )


def test_the_administrator_sees_no_case_content_by_default(case, as_admin):
    assert as_admin.get(reverse("cases:detail", args=[case.pk])).status_code == 403
    assert as_admin.get(reverse("cases:list")).status_code == 403
    assert as_admin.get(reverse("cases:sensitive_panel", args=[case.pk])).status_code == 403
    assert as_admin.get(reverse("cases:contacts", args=[case.pk])).status_code == 403
    assert not AuditEvent.objects.filter(case_id=case.pk, action=AuditAction.VIEW).exists()


def test_break_glass_opens_the_case_read_only_and_is_audited(case, admin, as_admin):
    response = _break(as_admin, case)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    grant = BreakGlassGrant.objects.get()
    assert (grant.user, grant.case_id, grant.reason) == (admin, case.pk, REASON)
    assert grant.expires_at - grant.created_at == dt.timedelta(hours=2)
    event = AuditEvent.objects.get(case_id=case.pk, action=AuditAction.BREAK_GLASS)
    assert event.user == admin and event.model == "cases.breakglassgrant"
    page = as_admin.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200 and 'data-testid="break-glass-banner"' in page.content.decode()
    assert (
        "うつ病" in as_admin.get(reverse("cases:sensitive_panel", args=[case.pk])).content.decode()
    )
    # Reading only: no edit, not even of the sensitive record.
    assert as_admin.get(reverse("cases:edit", args=[case.pk])).status_code == 403
    assert as_admin.get(reverse("cases:sensitive_edit", args=[case.pk])).status_code == 403
    actions = set(
        AuditEvent.objects.filter(case_id=case.pk, user=admin).values_list("action", flat=True)
    )
    assert actions == {AuditAction.BREAK_GLASS, AuditAction.VIEW, AuditAction.VIEW_SENSITIVE}


def test_the_window_closes_after_two_hours(case, as_admin):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _break(as_admin, case)
    with time_machine.travel(start + dt.timedelta(hours=1, minutes=59), tick=False):
        assert as_admin.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=2, minutes=1), tick=False):
        assert as_admin.get(reverse("cases:detail", args=[case.pk])).status_code == 403
        panel = as_admin.get(reverse("cases:sensitive_panel", args=[case.pk]))
        assert panel.status_code == 403


def test_the_window_is_a_setting(case, as_admin, settings):
    settings.BREAK_GLASS_MINUTES = 15
    _break(as_admin, case)
    grant = BreakGlassGrant.objects.get()
    assert grant.expires_at - grant.created_at == dt.timedelta(minutes=15)


def test_a_reason_is_required(case, as_admin):
    for reason in ("", "確認"):
        response = _break(as_admin, case, reason=reason)
        assert response.status_code == 200 and response.context["form"].errors
    assert not BreakGlassGrant.objects.exists()
    assert as_admin.get(reverse("cases:detail", args=[case.pk])).status_code == 403


def test_a_manager_breaks_the_glass_on_another_centres_case_only(
    case, centre_b, as_dave, as_mallory
):
    assert as_dave.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert _break(as_dave, case).status_code == 302
    assert as_dave.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert (
        "うつ病" in as_dave.get(reverse("cases:sensitive_panel", args=[case.pk])).content.decode()
    )
    # A manager's own centre needs no glass broken.
    assert _break(as_mallory, case).status_code == 200
    assert BreakGlassGrant.objects.count() == 1


def test_counsellors_and_staff_cannot_break_the_glass(case, as_alice, as_bob, as_charlie):
    for client in (as_alice, as_bob, as_charlie):
        assert client.get(reverse("cases:break_glass")).status_code == 403
        assert _break(client, case).status_code == 403
    assert not BreakGlassGrant.objects.exists()


def test_the_case_centres_managers_see_each_break_glass(
    case, as_admin, as_mallory, as_dave, as_bob
):
    _break(as_admin, case)
    log = reverse("cases:break_glass_log")
    page = as_mallory.get(log).content.decode()
    assert REASON in page and "root" in page and case.case_number in page
    assert REASON not in as_dave.get(log).content.decode()  # another centre's manager
    assert as_bob.get(log).status_code == 403
    assert log in as_mallory.get(reverse("security_events")).content.decode()


def test_break_glass_query_count(case, as_admin, django_assert_max_num_queries):
    """The window is a column of the case's own query: the page costs what a manager's
    does (no viewers tab, no shares panel for an administrator)."""
    _break(as_admin, case)
    with django_assert_max_num_queries(13):
        assert as_admin.get(reverse("cases:detail", args=[case.pk])).status_code == 200
