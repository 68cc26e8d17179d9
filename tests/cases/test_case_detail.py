"""The case page: what each role sees, the timeline, the audit of a view, and its query count."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases import services
from tests.factories import UserFactory, bulk_contacts, make_case, record_contact

pytestmark = pytest.mark.django_db


def test_staff_do_not_see_sensitive_fields_on_the_case_page(as_bob, as_alice, case):
    # The page never carries the diagnosis (issue 15): its tab loads it on demand.
    assert "うつ病" not in as_bob.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert as_bob.get(reverse("cases:sensitive_panel", args=[case.pk])).status_code == 403
    panel = as_alice.get(reverse("cases:sensitive_panel", args=[case.pk])).content.decode()
    assert "うつ病" in panel


def test_opening_the_case_page_is_a_view_only_and_ships_no_diagnosis(as_alice, alice, case):
    page = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "うつ病" not in page
    # The tab fetches its content (htmx, no inline script) from the sensitive route.
    panel_url = reverse("cases:sensitive_panel", args=[case.pk])
    assert f'data-hx-get="{panel_url}"' in page and 'data-testid="sensitive-tab"' in page
    seen = AuditEvent.objects.filter(case_id=case.pk, user=alice).exclude(action="create")
    assert list(seen.values_list("action", flat=True)) == [AuditAction.VIEW]
    as_alice.get(panel_url)
    event = AuditEvent.objects.filter(case_id=case.pk, user=alice).latest("id")
    assert (event.action, event.model) == (AuditAction.VIEW_SENSITIVE, "cases.casesensitiveinfo")


def test_the_case_page_shows_the_newest_plan_its_milestones_and_the_consents(
    as_alice, as_bob, alice, case, plan
):
    # Read as JSON columns of the case's own query: what the tabs show is unchanged.
    newer = services.plan_save(
        case=case,
        by=alice,
        fields={"goals": "週2回外出する", "review_on": dt.date(2027, 3, 31)},
    )
    later = services.milestone_add(
        plan=newer, by=alice, fields={"description": "図書館へ", "target_on": dt.date(2027, 2, 1)}
    )
    sooner = services.milestone_add(
        plan=newer, by=alice, fields={"description": "コンビニへ", "target_on": dt.date(2027, 1, 5)}
    )
    services.milestone_achieve(milestone=sooner, by=alice, on=dt.date(2027, 1, 6))
    old = services.consent_record(
        case=case,
        by=alice,
        fields={"scope": "share_agency", "given_by": "母", "given_on": dt.date(2026, 4, 1)},
    )
    services.consent_withdraw(consent=old, by=alice, on=dt.date(2026, 6, 1))
    services.consent_record(
        case=case,
        by=alice,
        fields={"scope": "share_agency", "given_by": "本人", "given_on": dt.date(2026, 9, 1)},
    )
    response = as_alice.get(reverse("cases:detail", args=[case.pk]))
    context, body = response.context, response.content.decode()
    assert context["plan"].pk == newer.pk and context["plan"].review_on == dt.date(2027, 3, 31)
    assert [m.pk for m in context["milestones"]] == [sooner.pk, later.pk]
    assert context["milestones"][0].achieved_on == dt.date(2027, 1, 6)
    assert "週2回外出する" in body and "居間に出てくる" not in body  # the older plan's step
    assert reverse("cases:milestone_achieve", args=[case.pk, later.pk]) in body
    assert reverse("cases:milestone_achieve", args=[case.pk, sooner.pk]) not in body
    assert [c.given_by for c in context["consents"]] == ["本人", "母"]
    assert context["consents"][1].withdrawn_on == dt.date(2026, 6, 1)
    assert body.index("2026年9月1日") < body.index("2026年4月1日")
    assert context["sees_sensitive"] is True and "sensitive" not in context
    assert as_bob.get(reverse("cases:detail", args=[case.pk])).context["sees_sensitive"] is False


def test_assessment_trend_chart_data_is_on_the_case_page(as_alice, alice, case):
    from cases import instruments

    for day, answers in (("2026-09-01", [3, 3, 3]), ("2026-10-01", [2, 2, 2])):
        services.assessment_record(
            case=case,
            by=alice,
            instrument=instruments.UCLA3_JP_GOV,
            answers=answers,
            assessed_on=dt.date.fromisoformat(day),
        )
    body = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    data = re.search(r'id="trend-data"[^>]*>(.*?)</script>', body).group(1)
    assert '"y": 9' in data and '"y": 6' in data and 'id="trend-charts"' in body
    assert data.index("2026-09-01") < data.index("2026-10-01")


def test_viewing_a_case_writes_an_audit_event(as_bob, bob, case):
    as_bob.get(reverse("cases:detail", args=[case.pk]), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(case_id=case.pk, action=AuditAction.VIEW)
    assert event.user == bob and event.ip_address == "10.1.2.3"


def test_who_viewed_tab_is_for_managers_only(as_bob, bob, as_mallory, as_alice, case):
    as_bob.get(reverse("cases:detail", args=[case.pk]))
    manager_page = as_mallory.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="viewers-tab"' in manager_page and str(bob) in manager_page
    counsellor_page = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="viewers-tab"' not in counsellor_page


def test_person_unaware_warning_is_visible(as_alice, centre_a, alice):
    unaware = make_case(centre_a, alice, person_aware="no")
    body = as_alice.get(reverse("cases:detail", args=[unaware.pk])).content.decode()
    assert 'data-testid="person-unaware"' in body


def test_a_truncated_timeline_says_so_and_links_to_the_whole_log(
    as_alice, alice, case, monkeypatch
):
    from cases import selectors

    monkeypatch.setattr(selectors, "TIMELINE_LIMIT", 5)
    bulk_contacts(case, alice, 7)
    page = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "種類ごとに新しい5件を表示しています" in page
    assert "記録005" in page and "記録006" not in page
    assert reverse("cases:contacts", args=[case.pk]) in page


# Session, user, the user's centres (ids and the menu's names), the case (centre, counsellor
# and creator joined; the
# current plan with its milestones and the consents as JSON columns of the same row; the
# sensitive information joined, casework roles only), the INSERT of the view into the audit
# trail, the timeline (contacts, status changes, assessments, milestones reached, referrals,
# changes of counsellor: one UNION ALL query, was one query each) and the page header (the
# inbox badge); the household panel that `families` adds (the members with
# their contacts counted: one; tests/families counts it with fifty members) and the ibasho
# panel that `outreach` adds (visits aggregated by month: one) and its home visits panel (the
# upcoming and recent visits: one). Was a budget of at most 30, then 21, 16 and 11.
CASE_PAGE_QUERIES = 10
# A manager also passes the second factor (their authenticator is read) and sees who viewed
# the case (one query, viewers joined); whether the sweep is running and whether a visit's
# check-out is overdue come with the page header's one statement (was + 4); and with whom the
# case's 要配慮個人情報 is shared (one query, users joined; issue 15).
CASE_PAGE_QUERIES_FOR_A_MANAGER = CASE_PAGE_QUERIES + 3
# The 要配慮個人情報 tab, loaded on demand: session, user, the user's centres, the case (the
# user's share as a column of its query), the sensitive record, the VIEW_SENSITIVE INSERT.
SENSITIVE_PANEL_QUERIES = 6


def test_case_page_query_count_does_not_grow_with_contacts(
    as_alice, alice, case, plan, django_assert_num_queries
):
    record_contact(case, alice)
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        as_alice.get(reverse("cases:detail", args=[case.pk]))
    for days in range(1, 50):
        record_contact(case, alice, at=timezone.now() - dt.timedelta(days=days))
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = as_alice.get(reverse("cases:detail", args=[case.pk]))
    assert len([i for i in response.context["timeline"] if i.kind == "contact"]) == 50


def test_case_page_query_count_for_a_manager_does_not_grow_with_viewers(
    as_mallory, centre_a, bob, case, plan, django_assert_num_queries
):
    services.case_view_record(case=case, by=bob)
    with django_assert_num_queries(CASE_PAGE_QUERIES_FOR_A_MANAGER):
        as_mallory.get(reverse("cases:detail", args=[case.pk]))
    viewers = UserFactory.create_batch(48, centre=centre_a)
    for viewer in viewers:
        services.case_view_record(case=case, by=viewer)
    with django_assert_num_queries(CASE_PAGE_QUERIES_FOR_A_MANAGER):
        response = as_mallory.get(reverse("cases:detail", args=[case.pk]))
    assert len(response.context["viewers"]) == 51  # bob, 48 others and mallory twice
    assert all(str(viewer) in response.content.decode() for viewer in viewers)


def test_sensitive_panel_query_count(as_alice, case, django_assert_num_queries):
    with django_assert_num_queries(SENSITIVE_PANEL_QUERIES):
        response = as_alice.get(reverse("cases:sensitive_panel", args=[case.pk]))
    assert "うつ病" in response.content.decode()
