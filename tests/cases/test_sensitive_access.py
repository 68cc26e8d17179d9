"""Who sees a case's 要配慮個人情報 (issue 15): the counsellors assigned to it (primary or
co-counsellor), those a manager shared it with, every counsellor where the centre opened it,
the centre's managers; nobody else of the centre. One rule (cases.access.can_see_sensitive)
behind the case page's tab, the sensitive page, the print and the household's health notes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, Role
from cases import access as case_access
from cases import services
from cases.models import Case, SensitiveShare
from records import case_record
from tests.factories import UserFactory, client_for, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(centre_a):
    """Another counsellor of centre A: the case is not hers."""
    return UserFactory(username="dana", role=Role.COUNSELLOR, centre=centre_a)


@pytest.fixture
def as_dana(dana):
    return client_for(dana)


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("centre").get(pk=case.pk)


def _panel(client, case):
    return client.get(reverse("cases:sensitive_panel", args=[case.pk]))


def test_the_assigned_counsellor_and_the_manager_see_it_another_counsellor_does_not(
    case, alice, mallory, dana, bob, as_alice, as_mallory, as_dana
):
    assert case_access.can_see_sensitive(alice, _fresh(case))
    assert case_access.can_see_sensitive(mallory, _fresh(case))
    assert not case_access.can_see_sensitive(dana, _fresh(case))
    assert not case_access.can_see_sensitive(bob, _fresh(case))
    assert "うつ病" in _panel(as_alice, case).content.decode()
    assert "うつ病" in _panel(as_mallory, case).content.decode()
    assert _panel(as_dana, case).status_code == 403
    assert as_dana.get(reverse("cases:sensitive_edit", args=[case.pk])).status_code == 403
    # She still sees the case itself, without the tab.
    page = as_dana.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200 and 'data-testid="sensitive-tab"' not in page.content.decode()


def test_the_co_counsellor_sees_it(case, dana, as_dana, alice):
    services.case_update(
        case=case, by=alice, changes={"co_counsellor": dana}, expected_version=case.version
    )
    assert "うつ病" in _panel(as_dana, case).content.decode()


def test_a_co_counsellor_must_be_another_owner_of_the_centre(case, alice, bob):
    from django.core.exceptions import ValidationError

    for who in (alice, bob):  # the primary counsellor; staff
        case.co_counsellor = who
        with pytest.raises(ValidationError):
            case.clean()


def test_a_manager_shares_it_with_a_counsellor_and_revokes_it(
    case, mallory, dana, as_mallory, as_dana
):
    url = reverse("cases:sensitive_shares", args=[case.pk])
    response = as_mallory.post(url, {"user": dana.pk})
    assert response.status_code == 302
    share = SensitiveShare.objects.get(case=case, user=dana, revoked_at__isnull=True)
    assert AuditEvent.objects.filter(
        case_id=case.pk, user=mallory, action=AuditAction.CREATE, model="cases.sensitiveshare"
    ).exists()
    assert "うつ病" in _panel(as_dana, case).content.decode()
    # The case page shows the managers whom it is shared with.
    page = as_mallory.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="shares-panel"' in page and str(dana) in page
    revoke = reverse("cases:sensitive_share_revoke", args=[case.pk, share.pk])
    assert as_mallory.post(revoke).status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None and share.revoked_by == mallory
    assert _panel(as_dana, case).status_code == 403
    assert AuditEvent.objects.filter(
        case_id=case.pk, action=AuditAction.CHANGE, model="cases.sensitiveshare"
    ).exists()


def test_only_a_manager_shares_and_only_with_a_counsellor_of_the_centre(
    case, alice, bob, charlie, dana, as_alice, as_mallory
):
    url = reverse("cases:sensitive_shares", args=[case.pk])
    assert as_alice.get(url).status_code == 403
    assert as_alice.post(url, {"user": dana.pk}).status_code == 403
    for outsider in (bob, charlie):  # staff; a counsellor of another centre
        assert as_mallory.post(url, {"user": outsider.pk}).status_code == 200
    assert not SensitiveShare.objects.exists()
    assert url not in as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_the_centre_setting_opens_it_to_every_counsellor_of_the_centre(
    case, centre_a, dana, bob, as_dana
):
    assert _panel(as_dana, case).status_code == 403
    centre_a.sensitive_open_to_centre = True
    centre_a.save(update_fields=["sensitive_open_to_centre"])
    assert "うつ病" in _panel(as_dana, case).content.decode()
    assert not case_access.can_see_sensitive(bob, _fresh(case))  # staff: never


def test_the_print_offers_and_prints_the_sensitive_sections_by_the_same_rule(
    case, alice, dana, as_dana
):
    offered = {s.key for s in case_record.sections_for(dana, _fresh(case))}
    assert case_record.SENSITIVE not in offered and case_record.FAMILY_HEALTH not in offered
    assert case_record.ASSESSMENTS in offered  # health data: the role's, as on the page
    assert case_record.SENSITIVE in {s.key for s in case_record.sections_for(alice, _fresh(case))}
    url = reverse("records:case_record_print", args=[case.pk])
    response = as_dana.get(url, {"sections": [case_record.SENSITIVE], "since": "2026-01-01"})
    assert response.status_code in (400, 403) and "うつ病" not in response.content.decode()


def test_household_health_notes_follow_the_rule(case, alice, dana, as_alice, as_dana):
    member = make_member(case, alice, health_notes="透析のため週3回通院")
    url = reverse("families:member_detail", args=[case.pk, member.pk])
    assert "透析" in as_alice.get(url).content.decode()
    page = as_dana.get(url)
    assert page.status_code == 200 and "透析" not in page.content.decode()
    panel = as_dana.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "透析" not in panel


def test_the_share_costs_no_query_per_timeline_row(case, dana, mallory, django_assert_num_queries):
    """The share is a column of the case's own query: asking again costs nothing."""
    from cases import selectors

    services.sensitive_share(case=case, by=mallory, user=dana)
    fetched = selectors.get_case_for_user(dana, case.pk)
    with django_assert_num_queries(0):
        for _ in range(50):
            assert case_access.can_see_sensitive(dana, fetched)


def test_the_demo_seeds_a_share_and_a_break_glass(centre_a, centre_b, alice, bob, mallory):
    from cases.demo import seed_demo_cases
    from cases.models import BreakGlassGrant

    UserFactory(username="dave", role=Role.MANAGER, centre=centre_b)
    assert seed_demo_cases(centre=centre_a, seed=65) > 0
    share = SensitiveShare.objects.get()
    assert (share.user, share.by, share.case.primary_counsellor) == (alice, mallory, None)
    grant = BreakGlassGrant.objects.get()
    assert grant.user.username == "dave" and grant.case.centre == centre_a
    assert not grant.is_active  # a closed window in the log, opening nothing
    assert AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS, case_id=grant.case_id).exists()
