"""The printable case record (ケース記録票): what each role may choose and gets printed, the
period of the contact log, the footer, the audit of every print, and its query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases import instruments, services
from cases.models import CaseSensitiveInfo
from families import services as family_services
from records import case_record
from tests.factories import bulk_contacts, make_case, make_member, record_contact

pytestmark = pytest.mark.django_db

DIAGNOSIS = "うつ病の診断あり"
HEALTH_NOTE = "膝の手術後、通院中"
SENSITIVE_SECTIONS = {"family_health", "assessments", "sensitive"}


@pytest.fixture
def case(centre_a, alice):
    case = make_case(centre_a, alice, primary_counsellor=alice, person_aware="no")
    CaseSensitiveInfo.objects.filter(case=case).update(conditions=DIAGNOSIS)
    return case


def choose_url(case):
    return reverse("records:case_record", args=[case.pk])


def print_url(case):
    return reverse("records:case_record_print", args=[case.pk])


def query(*sections, since=None, until=None):
    today = timezone.localdate()
    return {
        "sections": list(sections),
        "since": (since or today - dt.timedelta(days=364)).isoformat(),
        "until": (until or today).isoformat(),
    }


def with_data(case, by, n):
    """n of everything a record prints: contacts in the period, household members (one an
    85-year-old mother at home: an 80/50 household), milestones, assessments, referrals."""
    bulk_contacts(case, by, n)
    make_member(case, by, birth_date=timezone.localdate() - dt.timedelta(days=85 * 366))
    for index in range(n - 1):
        make_member(case, by, relation="sibling", given_name=f"次郎{index}", health_notes="通院")
    case.refresh_from_db()
    family_services.contingency_plan_save(case=case, by=by, fields={"who_to_call": "叔母"})
    plan = services.plan_save(
        case=case, by=by, fields={"goals": "週1回外出する", "review_on": timezone.localdate()}
    )
    consent = services.consent_record(
        case=case,
        by=by,
        fields={"scope": "share_agency", "given_by": "本人", "given_on": timezone.localdate()},
    )
    for index in range(n):
        services.milestone_add(plan=plan, by=by, fields={"description": f"一歩{index}"})
        services.assessment_record(
            case=case,
            by=by,
            instrument=instruments.UCLA3_JP_GOV,
            answers=[3, 3, 3],
            assessed_on=timezone.localdate() - dt.timedelta(days=index),
        )
        services.referral_create(
            case=case,
            by=by,
            fields={
                "destination_kind": "saposte",
                "destination_name": f"サポステ{index}",
                "referred_on": timezone.localdate(),
                "consent": consent,
            },
        )


# --- choosing -------------------------------------------------------------------------------


def test_the_choose_page_offers_sensitive_sections_only_to_roles_that_may_see_them(
    as_alice, as_bob, case
):
    offered_alice = [
        key for key, _ in as_alice.get(choose_url(case)).context["form"].fields["sections"].choices
    ]
    offered_bob = [
        key for key, _ in as_bob.get(choose_url(case)).context["form"].fields["sections"].choices
    ]
    assert offered_alice == list(case_record.SECTION_KEYS)
    assert set(offered_bob) == {"facts", "household", "plan", "referrals", "contacts"}
    body = as_bob.get(choose_url(case)).content.decode()
    assert 'value="sensitive"' not in body and 'value="assessments"' not in body


def test_sensitive_sections_start_unticked_and_the_period_is_the_last_twelve_months(as_alice, case):
    form = as_alice.get(choose_url(case)).context["form"]
    today = timezone.localdate()
    assert set(form.initial["sections"]).isdisjoint(SENSITIVE_SECTIONS)
    assert "contacts" in form.initial["sections"]
    assert form.initial["until"] == today.isoformat()
    assert dt.date.fromisoformat(form.initial["since"]) == case_record.default_period(today)[0]
    assert case_record.default_period(dt.date(2028, 2, 29)) == (
        dt.date(2027, 3, 1),
        dt.date(2028, 2, 29),
    )


def test_the_case_page_links_to_the_case_record(as_bob, case):
    body = as_bob.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert choose_url(case) in body


# --- what is printed ------------------------------------------------------------------------


def test_a_counsellor_prints_the_diagnosis_and_scores_only_when_chosen(as_alice, alice, case):
    with_data(case, alice, 1)
    make_member(case, alice, relation="father", health_notes=HEALTH_NOTE)
    body = as_alice.get(print_url(case), query("facts", "household", "contacts")).content.decode()
    assert DIAGNOSIS not in body and "UCLA" not in body and HEALTH_NOTE not in body
    body = as_alice.get(
        print_url(case), query("facts", "sensitive", "assessments", "family_health")
    ).content.decode()
    assert DIAGNOSIS in body and HEALTH_NOTE in body
    assert "UCLA孤独感尺度" in body and "<td>9</td>" in body  # the total score


def test_staff_asking_for_sensitive_sections_is_refused_and_nothing_is_printed(
    as_bob, bob, alice, case
):
    with_data(case, alice, 1)
    for section in SENSITIVE_SECTIONS | {"contingency"}:
        response = as_bob.get(print_url(case), query("facts", section))
        assert response.status_code == 400, section
        body = response.content.decode()
        assert "選べない項目が含まれています。" in body
        assert DIAGNOSIS not in body and "叔母" not in body
    assert not AuditEvent.objects.filter(action=AuditAction.PRINT).exists()


def test_the_selector_refuses_a_section_the_role_may_not_print(bob, case):
    from django.core.exceptions import PermissionDenied

    printable = case_record.printable_case(bob, case.pk, with_sensitive=False)
    with pytest.raises(PermissionDenied):
        case_record.case_record(
            printable,
            user=bob,
            sections=["sensitive"],
            since=timezone.localdate(),
            until=timezone.localdate(),
        )


def test_staff_print_everything_they_may_see_and_no_sensitive_data(as_bob, bob, alice, case):
    with_data(case, alice, 2)
    response = as_bob.get(
        print_url(case), query("facts", "household", "plan", "referrals", "contacts")
    )
    body = response.content.decode()
    assert response.status_code == 200
    for expected in ("週1回外出する", "一歩1", "サポステ1", "記録001", "次郎0", "8050世帯"):
        assert expected in body, expected
    for hidden in (DIAGNOSIS, "通院", "叔母", "UCLA"):
        assert hidden not in body, hidden


def test_the_person_aware_warning_and_risk_flags_head_every_record(as_bob, as_alice, alice, case):
    make_member(case, alice, person_aware="no")
    case.risk_self_harm = case.risk_violence = True
    case.save(update_fields=["risk_self_harm", "risk_violence"])
    body = as_bob.get(print_url(case), query("plan")).content.decode()
    assert "注意：本人は家族が相談していることを知りません。" in body
    # The self-harm flag is health data (issue 15): as on the case page, casework roles only.
    assert "家庭内暴力" in body and "自傷・自殺のおそれ" not in body
    assert "自傷・自殺のおそれ" in as_alice.get(print_url(case), query("plan")).content.decode()
    body = as_bob.get(print_url(case), query("household")).content.decode()
    assert "本人は、母が相談していることを知りません。" in body


def test_the_contact_log_holds_the_chosen_period_only_in_wareki_oldest_first(as_alice, alice, case):
    at = timezone.make_aware(dt.datetime(2026, 4, 1, 10, 30))
    record_contact(case, alice, at=at, note="四月一日の相談")
    record_contact(case, alice, at=at + dt.timedelta(days=2), note="四月三日の相談")
    record_contact(case, alice, at=at - dt.timedelta(days=1), note="期間の前日")
    record_contact(case, alice, at=at + dt.timedelta(days=3), note="期間の翌日")
    body = as_alice.get(
        print_url(case),
        query("contacts", since=dt.date(2026, 4, 1), until=dt.date(2026, 4, 3)),
    ).content.decode()
    assert "四月一日の相談" in body and "四月三日の相談" in body
    assert "期間の前日" not in body and "期間の翌日" not in body
    assert body.index("四月一日の相談") < body.index("四月三日の相談")
    assert "令和8年4月1日" in body and "10:30" in body
    assert "令和8年4月1日〜令和8年4月3日" in body


def test_a_long_contact_log_is_cut_to_its_newest_entries_and_says_so(
    as_alice, alice, case, monkeypatch
):
    monkeypatch.setattr(case_record, "CONTACT_LIMIT", 5)
    bulk_contacts(case, alice, 8)
    body = as_alice.get(print_url(case), query("contacts")).content.decode()
    assert "新しい5件のみ" in body
    assert "記録001" in body and "記録005" in body and "記録006" not in body


def test_the_footer_names_the_centre_the_printing_user_and_the_time(as_bob, bob, case):
    body = as_bob.get(print_url(case), query("facts")).content.decode()
    footer = body[body.index('data-testid="case-record-footer"') :]
    assert "センターA" in footer and str(bob) in footer and case.case_number in footer
    assert "令和" in footer and "（日本時間）" in footer


def test_the_print_page_has_a_print_button_in_a_static_script_and_a4_css(as_bob, case):
    body = as_bob.get(print_url(case), query("facts")).content.decode()
    assert "js/case-record-print.js" in body and "css/print-case-record.css" in body
    assert "<script>" not in body and "style=" not in body
    assert "navbar" not in body  # no navigation chrome
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(finders.find("css/print-case-record.css")).read_text(encoding="utf-8")
    assert "size: A4" in css
    script = Path(finders.find("js/case-record-print.js")).read_text(encoding="utf-8")
    assert "window.print()" in script


def test_bad_dates_are_refused_with_a_message_and_the_input_kept(as_alice, case):
    response = as_alice.get(
        print_url(case),
        {"sections": ["contacts"], "since": "令和8年13月1日", "until": "2026-04-01"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "令和8年13月1日" in body
    response = as_alice.get(
        print_url(case), query("contacts", since=dt.date(2026, 5, 1), until=dt.date(2026, 4, 1))
    )
    assert response.status_code == 400
    assert "終了日は開始日より後の日付にしてください。" in response.content.decode()
    response = as_alice.get(print_url(case), {"since": "2026-04-01", "until": "2026-04-02"})
    assert "印刷する項目を一つ以上選んでください。" in response.content.decode()


def test_the_print_page_without_a_query_prints_the_default_sections(as_alice, alice, case):
    response = as_alice.get(print_url(case))
    assert response.status_code == 200
    assert response.context["record"].sections == tuple(
        key for key in case_record.SECTION_KEYS if key not in SENSITIVE_SECTIONS
    )


# --- access and audit -----------------------------------------------------------------------


def test_another_centres_case_is_not_found_whatever_is_asked(as_charlie, case):
    assert as_charlie.get(choose_url(case)).status_code == 404
    assert as_charlie.get(print_url(case), query("facts")).status_code == 404
    assert as_charlie.get(print_url(case), query("nonsense")).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.PRINT).exists()


def test_every_print_is_audited_with_the_section_names_only(as_alice, alice, case):
    as_alice.get(print_url(case), query("sensitive", "facts", "contacts"))
    as_alice.get(print_url(case), query("plan"))
    events = list(AuditEvent.objects.filter(action=AuditAction.PRINT).order_by("id"))
    assert [event.changed_fields for event in events] == [
        ["contacts", "facts", "sensitive"],
        ["plan"],
    ]
    assert all(
        event.case_id == case.pk
        and event.centre_id == case.centre_id
        and event.user == alice
        and event.model == "cases.case"
        for event in events
    )


# --- queries --------------------------------------------------------------------------------

# Session, user, the user's centres; the case (plan, milestones, consents and the sensitive
# record in its query); the referrals; the assessments; the household (its members, their
# contacts and other cases in one); the contingency plan; the period's contacts; the audit
# event. Every section chosen, an 80/50 household: the most a record costs.
CASE_RECORD_QUERIES = 10


@pytest.mark.parametrize("n", [1, 20])
def test_print_query_count_does_not_grow_with_the_case(
    as_alice, alice, case, n, django_assert_num_queries
):
    with_data(case, alice, n)
    with django_assert_num_queries(CASE_RECORD_QUERIES):
        response = as_alice.get(print_url(case), query(*case_record.SECTION_KEYS))
    record = response.context["record"]
    assert len(record.contacts) == n and len(record.household) == n
    assert len(record.assessments) == n and len(record.referrals) == n
    assert len(record.milestones) == n and record.contingency is not None
    assert response.content.decode().count("サポステ") == n


# Session, user, the user's centres, the case, its VIEW on the audit trail (one INSERT); the
# menu's one statement (the inbox badge).
CHOOSE_PAGE_QUERIES = 6


@pytest.mark.parametrize("n", [1, 20])
def test_choose_page_query_count_does_not_grow_with_the_case(
    as_alice, alice, case, n, django_assert_num_queries
):
    with_data(case, alice, n)
    with django_assert_num_queries(CHOOSE_PAGE_QUERIES):
        response = as_alice.get(choose_url(case))
    assert response.status_code == 200
