import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases import services
from cases.models import Case, CaseSensitiveInfo, ContactEntry, Milestone, SupportPlan
from tests.conftest import client_for
from tests.factories import UserFactory, make_case

pytestmark = pytest.mark.django_db


def case_form_data(case, **overrides):
    """What the edit form posts for an untouched case, plus the given changes."""
    return {
        "version": str(case.version),
        "first_contact_date": case.first_contact_date.isoformat(),
        "first_contact_by": "family",
        "age_band": "unknown",
        "gender": "unanswered",
        "support_stage": "family",
        "person_aware": "unknown",
        **overrides,
    }


def intake_data(overrides):
    """What the intake page posts for a first call from a family member, plus changes."""
    return {
        "case-first_contact_by": "family",
        "case-age_band": "unknown",
        "case-gender": "unanswered",
        "case-person_aware": "unknown",
        "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contact-duration_minutes": "10",
        "contact-channel": "phone",
        "contact-counterpart": "family",
        "contact-two_way": "on",
        **overrides,
    }


@pytest.fixture
def case(centre_a, alice):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    CaseSensitiveInfo.objects.filter(case=case).update(conditions="うつ病の診断あり")
    return case


@pytest.fixture
def plan(case, alice):
    plan = services.plan_save(
        case=case,
        by=alice,
        fields={
            "goals": "週1回外出する",
            "review_on": timezone.localdate() + dt.timedelta(days=30),
        },
    )
    services.milestone_add(plan=plan, by=alice, fields={"description": "居間に出てくる"})
    return plan


@pytest.fixture
def consent(case, alice):
    return services.consent_record(
        case=case,
        by=alice,
        fields={"scope": "share_agency", "given_by": "本人", "given_on": timezone.localdate()},
    )


@pytest.fixture
def referral(case, alice, consent):
    return services.referral_create(
        case=case,
        by=alice,
        fields={
            "destination_kind": "saposte",
            "destination_name": "サポステ",
            "referred_on": timezone.localdate(),
            "consent": consent,
        },
    )


# (url name, extra kwargs, who may: 'all' = every role of the centre, 'casework' = not staff,
#  'oversight' = managers only)
GET_VIEWS = [
    ("cases:list", None, "all"),
    ("cases:intake", None, "all"),
    ("cases:detail", {}, "all"),
    ("cases:edit", {}, "casework"),
    ("cases:sensitive_edit", {}, "casework"),
    ("cases:status", {}, "casework"),
    ("cases:assessment_add", {}, "casework"),
    ("cases:plan_new", {}, "casework"),
    ("cases:plan_edit", {"plan_id": None}, "casework"),
    ("cases:milestone_add", {"plan_id": None}, "casework"),
    ("cases:consent_add", {}, "casework"),
    ("cases:referral_add", {}, "casework"),
    ("cases:referral_outcome", {"referral_id": None}, "casework"),
    ("cases:audit", {}, "oversight"),
]
ALLOWED = {
    "all": {"alice", "bob", "mallory"},
    "casework": {"alice", "mallory"},
    "oversight": {"mallory"},
}


def _url(name, kwargs, case, referral, plan):
    if kwargs is None:
        return reverse(name)
    filled = {"pk": case.pk}
    if "referral_id" in kwargs:
        filled["referral_id"] = referral.pk
    if "plan_id" in kwargs:
        filled["plan_id"] = plan.pk
    return reverse(name, kwargs=filled)


@pytest.mark.parametrize(("name", "kwargs", "who"), GET_VIEWS)
def test_every_case_view_is_authorised_by_role_and_centre(
    name, kwargs, who, case, plan, referral, alice, bob, charlie, mallory
):
    url = _url(name, kwargs, case, referral, plan)
    for user in (alice, bob, mallory, charlie):
        status = client_for(user).get(url).status_code
        if user.username == "charlie":
            expected = 200 if kwargs is None else 404  # own centre's list/intake; others' 404
        else:
            expected = 200 if user.username in ALLOWED[who] else 403
        assert status == expected, (name, user.username, status)


POST_VIEWS = [
    ("cases:contact_add", {}, "all"),
    ("cases:milestone_achieve", {"milestone_id": None}, "casework"),
    ("cases:consent_withdraw", {"consent_id": None}, "casework"),
    ("cases:referral_send", {"referral_id": None}, "casework"),
]


@pytest.mark.parametrize(("name", "kwargs", "who"), POST_VIEWS)
def test_post_only_views_are_authorised_and_outsiders_get_404(
    name, kwargs, who, case, plan, consent, referral, alice, bob, charlie
):
    filled = {"pk": case.pk}
    if "milestone_id" in kwargs:
        filled["milestone_id"] = Milestone.objects.get(plan=plan).pk
    if "consent_id" in kwargs:
        filled["consent_id"] = consent.pk
    if "referral_id" in kwargs:
        filled["referral_id"] = referral.pk
    url = reverse(name, kwargs=filled)
    assert client_for(charlie).post(url).status_code == 404
    assert client_for(bob).post(url).status_code in ({200, 302} if who == "all" else {403})
    assert client_for(alice).post(url).status_code in {200, 302}


def test_case_list_never_shows_sensitive_fields(as_alice, case):
    body = as_alice.get(reverse("cases:list")).content.decode()
    assert case.case_number in body
    assert "うつ病" not in body


def test_staff_do_not_see_sensitive_fields_on_the_case_page(as_bob, as_alice, case):
    assert "うつ病" not in as_bob.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "うつ病" in as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()


@pytest.mark.parametrize(
    "query", ["やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "まだ", "山田", "K-0001", "k-1", "0001"]
)
def test_search_by_number_name_or_furigana(as_alice, centre_a, alice, query):
    make_case(centre_a, alice)
    make_case(
        centre_a,
        alice,
        family_name="佐々木",
        given_name="花子",
        family_name_kana="ささき",
        given_name_kana="はなこ",
    )
    response = as_alice.post(reverse("cases:list"), {"q": query}, follow=True)
    body = response.content.decode()
    assert "K-0001" in body
    assert "K-0002" not in body


def test_list_filters_by_silence_and_risk(as_alice, centre_a, alice):
    quiet = make_case(centre_a, alice, risk_8050=True)
    make_case(centre_a, alice)
    Case.objects.filter(pk=quiet.pk).update(silence_stage="reminded")
    body = as_alice.get(reverse("cases:list"), {"silent": "true"}).content.decode()
    assert "K-0001" in body and "K-0002" not in body
    body = as_alice.get(reverse("cases:list"), {"risk": "8050"}).content.decode()
    assert "K-0001" in body and "K-0002" not in body


def test_list_with_a_bad_filter_value_is_not_a_500(as_alice, case):
    response = as_alice.get(reverse("cases:list"), {"status": "nonsense", "page": "x"})
    assert response.status_code == 200


def test_intake_creates_case_and_first_contact_without_a_name(as_bob, bob, centre_a):
    response = as_bob.post(
        reverse("cases:intake"),
        intake_data(
            {
                "case-age_band": "30s",
                "case-person_aware": "no",
                "contact-duration_minutes": "30",
                "contact-counterpart_detail": "母",
                "contact-note": "母より初回の電話",
            }
        ),
    )
    case = Case.objects.get(centre=centre_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.family_name == "" and case.first_contact_date == timezone.localdate()
    entry = ContactEntry.objects.get(case=case)
    assert entry.source == "intake" and entry.staff == bob
    assert case.last_two_way_contact_at is not None


def test_intake_with_bad_input_keeps_what_was_typed(as_bob):
    response = as_bob.post(
        reverse("cases:intake"),
        {
            "case-family_name": "中村",
            "case-phone": "12345",
            "case-first_contact_by": "family",
            "contact-occurred_at": "not a date",
            "contact-note": "長い相談内容をここに書いた",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "長い相談内容をここに書いた" in body and 'value="中村"' in body
    assert "電話番号は" in body
    assert not Case.objects.exists()


def test_quick_add_contact_with_htmx_returns_the_panel_and_the_new_timeline(as_alice, case):
    response = as_alice.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "15",
            "channel": "phone",
            "counterpart": "family",
            "two_way": "on",
            "note": "電話で近況を聞いた",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="contact-panel"' in body and 'hx-swap-oob="true"' in body
    assert "電話で近況を聞いた" in body
    assert ContactEntry.objects.filter(case=case).count() == 1


def test_quick_add_contact_with_bad_input_keeps_the_note(as_alice, case):
    response = as_alice.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": "2099-01-01T10:00",
            "channel": "phone",
            "counterpart": "family",
            "note": "消えてはいけないメモ",
            "duration_minutes": "10",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "消えてはいけないメモ" in body and "未来の日時" in body
    assert not ContactEntry.objects.exists()


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


def test_assessment_is_scored_on_save(as_alice, case):
    url = reverse("cases:assessment_add", args=[case.pk]) + "?instrument=ucla3:jp-gov"
    response = as_alice.post(
        url, {"assessed_on": "2026-11-01", "item_1": "4", "item_2": "3", "item_3": "2"}
    )
    assert response.status_code == 302
    assessment = case.assessments.get()
    assert assessment.total_score == 9 and assessment.answers == [4, 3, 2]


def test_out_of_range_assessment_answer_is_rejected_and_input_kept(as_alice, case):
    url = reverse("cases:assessment_add", args=[case.pk]) + "?instrument=ucla3:hughes2004"
    response = as_alice.post(
        url, {"assessed_on": "2026-11-01", "item_1": "2", "item_2": "7", "item_3": "1"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "項目2" in body and 'value="7"' in body
    assert not case.assessments.exists()


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


def test_audit_events_cannot_be_edited_through_the_admin(centre_a, case):
    from accounts.models import Role

    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    event = AuditEvent.objects.filter(case_id=case.pk).first()
    client = client_for(admin)
    url = reverse("admin:accounts_auditevent_change", args=[event.pk])
    response = client.post(url, {"action": "view"})
    assert response.status_code == 403
    delete = reverse("admin:accounts_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_person_unaware_warning_is_visible(as_alice, centre_a, alice):
    unaware = make_case(centre_a, alice, person_aware="no")
    body = as_alice.get(reverse("cases:detail", args=[unaware.pk])).content.decode()
    assert 'data-testid="person-unaware"' in body


def test_close_and_reopen_from_the_browser(as_alice, case):
    url = reverse("cases:status", args=[case.pk])
    response = as_alice.post(url, {"to_status": "closed"})
    assert response.status_code == 200 and "終結理由" in response.content.decode()
    as_alice.post(url, {"to_status": "closed", "closure_reason": "moved"})
    as_alice.post(url, {"to_status": "open", "note": "再ひきこもり"})
    case.refresh_from_db()
    assert case.status == "open" and case.episode == 2


def test_plan_with_milestones_and_stale_plan_edit(as_alice, as_mallory, case, plan):
    data = {"goals": "新しい目標", "review_on": "2027-01-10", "version": "1"}
    url = reverse("cases:plan_edit", args=[case.pk, plan.pk])
    assert as_mallory.post(url, data).status_code == 302
    response = as_alice.post(url, {**data, "goals": "古い画面からの目標"})
    assert response.status_code == 409
    assert SupportPlan.objects.get(pk=plan.pk).goals == "新しい目標"


def test_editing_a_plan_never_overwrites_a_newer_plan(as_alice, as_mallory, case, plan):
    """Alice opened plan 1; meanwhile Mallory started plan 2. Alice's save stays on plan 1."""
    as_mallory.post(
        reverse("cases:plan_new", args=[case.pk]),
        {"goals": "新しい計画", "review_on": "2027-02-01"},
    )
    newer = case.plans.exclude(pk=plan.pk).get()
    as_alice.post(
        reverse("cases:plan_edit", args=[case.pk, plan.pk]),
        {"goals": "計画1の修正", "review_on": "2027-01-10", "version": "1"},
    )
    assert SupportPlan.objects.get(pk=plan.pk).goals == "計画1の修正"
    assert SupportPlan.objects.get(pk=newer.pk).goals == "新しい計画"


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


def test_stale_referral_outcome_is_refused(as_alice, as_mallory, case, referral):
    url = reverse("cases:referral_outcome", args=[case.pk, referral.pk])
    assert as_mallory.post(url, {"outcome": "accepted", "version": "1"}).status_code == 302
    response = as_alice.post(url, {"outcome": "declined", "version": "1"})
    assert response.status_code == 409
    referral.refresh_from_db()
    assert referral.outcome == "accepted"


def test_opening_sensitive_info_is_audited(as_alice, alice, case):
    as_alice.get(reverse("cases:sensitive_edit", args=[case.pk]))
    assert AuditEvent.objects.filter(case_id=case.pk, action=AuditAction.VIEW, user=alice).exists()


def test_another_cases_records_cannot_be_reached_through_my_case(
    as_alice, centre_a, alice, case, consent, referral, plan
):
    other = make_case(centre_a, alice)
    for url in (
        reverse("cases:consent_withdraw", args=[other.pk, consent.pk]),
        reverse("cases:referral_send", args=[other.pk, referral.pk]),
        reverse("cases:milestone_achieve", args=[other.pk, plan.milestones.get().pk]),
    ):
        assert as_alice.post(url).status_code == 404
    assert as_alice.get(reverse("cases:plan_edit", args=[other.pk, plan.pk])).status_code == 404


def test_a_counsellor_of_another_centre_cannot_be_assigned(as_alice, case, charlie):
    form = case_form_data(case, primary_counsellor=str(charlie.pk))
    response = as_alice.post(reverse("cases:edit", args=[case.pk]), form)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.primary_counsellor != charlie


def test_consent_of_another_case_cannot_back_a_referral(as_alice, centre_a, alice, consent):
    other = make_case(centre_a, alice)
    response = as_alice.post(
        reverse("cases:referral_add", args=[other.pk]),
        {
            "destination_kind": "saposte",
            "destination_name": "サポステ",
            "referred_on": "2026-11-01",
            "consent": str(consent.pk),
        },
    )
    assert response.status_code == 200
    assert not other.referrals.exists()


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "0026-11-01T10:00", "2099-01-01T10:00"])
def test_absurd_contact_dates_are_refused_not_stored(as_alice, case, when):
    response = as_alice.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": when,
            "channel": "phone",
            "counterpart": "family",
            "duration_minutes": "10",
            "note": "残すメモ",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "残すメモ" in response.content.decode()
    assert not ContactEntry.objects.exists()


def test_a_cadence_of_zero_days_is_refused(as_alice, case):
    form = case_form_data(case, followup_interval_days="0")
    response = as_alice.post(reverse("cases:edit", args=[case.pk]), form)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.followup_interval_days is None


def test_huge_assessment_answer_is_a_clear_error_not_a_500(as_alice, case):
    url = reverse("cases:assessment_add", args=[case.pk]) + "?instrument=gaf:dsm-iv-tr"
    response = as_alice.post(url, {"assessed_on": "2026-11-01", "item_1": "9" * 5000})
    assert response.status_code == 200 and "項目1" in response.content.decode()


# --- query budgets ---------------------------------------------------------------------


def _cases(centre, by, n):
    return [make_case(centre, by, primary_counsellor=by) for _ in range(n)]


def test_case_list_query_count_does_not_grow_with_cases(
    as_alice, centre_a, alice, django_assert_max_num_queries
):
    _cases(centre_a, alice, 1)
    with django_assert_max_num_queries(12) as one:
        as_alice.get(reverse("cases:list"))
    _cases(centre_a, alice, 49)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = as_alice.get(reverse("cases:list"))
    assert response.context["page"].paginator.count == 50


def test_case_page_query_count_does_not_grow_with_contacts(
    as_alice, alice, case, plan, django_assert_max_num_queries
):
    from tests.cases.test_services import contact

    contact(case, alice)
    with django_assert_max_num_queries(30) as one:
        as_alice.get(reverse("cases:detail", args=[case.pk]))
    for days in range(1, 50):
        contact(case, alice, at=timezone.now() - dt.timedelta(days=days))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = as_alice.get(reverse("cases:detail", args=[case.pk]))
    assert len([i for i in response.context["timeline"] if i.kind == "contact"]) == 50


def test_sending_a_referral_without_consent_shows_why_and_changes_nothing(as_alice, alice, case):
    referral = services.referral_create(
        case=case,
        by=alice,
        fields={
            "destination_kind": "hello_work",
            "destination_name": "ハローワーク",
            "referred_on": timezone.localdate(),
        },
    )
    response = as_alice.post(
        reverse("cases:referral_send", args=[case.pk, referral.pk]), follow=True
    )
    assert "有効な同意" in response.content.decode()
    referral.refresh_from_db()
    assert referral.sent_at is None


def test_search_text_never_appears_in_a_url(as_alice, centre_a, alice):
    for _ in range(30):
        make_case(centre_a, alice)
    response = as_alice.post(reverse("cases:list"), {"q": "やまだ", "status": "open"})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:list") + "?status=open"
    body = as_alice.get(response["Location"]).content.decode()
    assert "page=2" in body and "やまだ" not in body.split('name="q"')[0]
    assert not re.search(r'href="[^"]*(%E3%82%84|やまだ)', body)
    # An old bookmark with ?q= is moved into the session and stripped from the address.
    old = as_alice.get(reverse("cases:list"), {"q": "やまだ"})
    assert old.status_code == 302 and "q=" not in old["Location"]
    cleared = as_alice.get(reverse("cases:list"), {"clear": "1"}, follow=True)
    assert cleared.context["filter"].form["q"].value() == ""


def test_audit_trail_page_is_paginated_for_managers(as_mallory, case):
    for _ in range(120):
        as_mallory.get(reverse("cases:detail", args=[case.pk]))
    response = as_mallory.get(reverse("cases:audit", args=[case.pk]))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 121  # 120 views and the creation
    assert len(response.context["events"]) == 100
    second = as_mallory.get(reverse("cases:audit", args=[case.pk]), {"page": 2})
    assert len(second.context["events"]) == 21


def test_staff_of_two_centres_choose_where_an_intake_is_filed(centre_a, centre_b, charlie):
    from accounts.models import Role

    both = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    both.centres.add(centre_b)
    client = client_for(both)
    page = client.get(reverse("cases:intake")).content.decode()
    assert "受付センター" in page
    response = client.post(
        reverse("cases:intake"),
        intake_data(
            {"case-filing_centre": str(centre_b.pk), "case-primary_counsellor": str(charlie.pk)}
        ),
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.centre == centre_b and case.case_number == "S-0001"
    assert case.primary_counsellor == charlie


def test_single_centre_staff_see_no_centre_choice(as_bob):
    assert "受付センター" not in as_bob.get(reverse("cases:intake")).content.decode()


def test_intake_refuses_a_counsellor_of_the_other_centre_and_keeps_the_input(
    centre_a, centre_b, charlie
):
    from accounts.models import Role

    both = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    both.centres.add(centre_b)
    response = client_for(both).post(
        reverse("cases:intake"),
        intake_data(
            {
                "case-filing_centre": str(centre_a.pk),
                "case-primary_counsellor": str(charlie.pk),
                "contact-note": "残る相談内容",
            }
        ),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "担当者はこのセンターの職員から選んでください" in body and "残る相談内容" in body
    assert not Case.objects.exists()


def _bulk_contacts(case, staff, n):
    """n contacts, one a day back from yesterday, written in one go (no silence logic)."""
    now = timezone.now()
    ContactEntry.objects.bulk_create(
        ContactEntry(
            case=case,
            occurred_at=now - dt.timedelta(days=day),
            channel="phone",
            counterpart="family",
            staff=staff,
            created_by=staff,
            note=f"記録{day:03d}",
        )
        for day in range(1, n + 1)
    )


def test_the_contact_log_pages_through_every_contact_newest_first(
    as_alice, alice, case, django_assert_max_num_queries
):
    _bulk_contacts(case, alice, 3)
    url = reverse("cases:contacts", args=[case.pk])
    with django_assert_max_num_queries(20) as few:
        as_alice.get(url)
    _bulk_contacts(case, alice, 117)  # 120 in all
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = as_alice.get(url)
    notes = re.findall(r"記録(\d{3})", first.content.decode())
    assert len(notes) == 50 and notes == sorted(notes)  # day 1 (newest) first
    last = as_alice.get(url, {"page": 3}).content.decode()
    assert "3 / 3" in last and "記録117" in last and "記録001" not in last
    assert AuditEvent.objects.filter(case_id=case.pk, action=AuditAction.VIEW, user=alice).exists()


def test_the_contact_log_of_another_centre_is_not_found(as_charlie, case):
    assert as_charlie.get(reverse("cases:contacts", args=[case.pk])).status_code == 404


def test_a_truncated_timeline_says_so_and_links_to_the_whole_log(
    as_alice, alice, case, monkeypatch
):
    from cases import selectors

    monkeypatch.setattr(selectors, "TIMELINE_LIMIT", 5)
    _bulk_contacts(case, alice, 7)
    page = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "種類ごとに新しい5件を表示しています" in page
    assert "記録005" in page and "記録006" not in page
    assert reverse("cases:contacts", args=[case.pk]) in page


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
