"""Walk-ins and linking one to the person's case, through the pages: the link needs an active
consent of scope "居場所の利用をケース記録に残す" (on file or recorded on the spot) and is on the
case's audit trail; the earlier visits become contacts dated when they happened; undoing the
link takes them back. Another centre's walk-in, case or consent is a 404 and changes nothing;
staff see walk-ins but linking is casework (403)."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases import services as case_services
from cases.choices import CaseStatus, ConsentScope, ContactSource
from cases.models import Case, Consent, ContactEntry
from outreach import services
from outreach.models import IbashoAttendance, IbashoSession, WalkIn
from tests.factories import make_case

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _session(centre, by, days_ago: int, hour: int = 14) -> IbashoSession:
    local = timezone.localtime() - dt.timedelta(days=days_ago)
    starts_at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return services.session_create(
        centre=centre,
        by=by,
        fields={
            "place": "フリースペース",
            "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(hours=2),
        },
        staff=[],
    )


def _visits(centre, by, nickname: str, days_ago: list[int]) -> WalkIn:
    """A walk-in who came on those days (at 14:10), checked in the way the door does it."""
    walk_in = None
    for days in days_ago:
        session = _session(centre, by, days)
        attendance = services.check_in_walk_in(
            session=session,
            by=by,
            client_key=uuid.uuid4(),
            walk_in=walk_in,
            nickname=nickname,
            at=session.starts_at + dt.timedelta(minutes=10),
        )
        walk_in = attendance.walk_in
    assert walk_in is not None
    return walk_in


def _consent(case, by, scope=ConsentScope.IBASHO_RECORD, **fields) -> Consent:
    values = {"scope": scope, "given_by": "本人", "given_on": timezone.localdate(), **fields}
    return case_services.consent_record(case=case, by=by, fields=values)


def _ibasho_contacts(case: Case) -> list[ContactEntry]:
    return list(
        ContactEntry.objects.filter(case=case, source=ContactSource.IBASHO).order_by("occurred_at")
    )


@pytest.fixture
def person(centre_a, alice):
    """A case opened 40 days ago and not heard from since: due for a check ten days ago."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=40)):
        return make_case(centre_a, alice, primary_counsellor=alice)


@pytest.fixture
def yu(centre_a, bob):
    return _visits(centre_a, bob, "ゆう", [10, 3])


@pytest.fixture
def outsider(centre_b, charlie):
    return make_case(centre_b, charlie, family_name="外部", family_name_kana="がいぶ")


def _link(client, walk_in, case, consent) -> object:
    url = reverse("outreach:walk_in_link", args=[walk_in.pk])
    return client.post(url, {"case": case.pk, "consent": consent})


# --- the list and the page ---------------------------------------------------------------------


def test_list_shows_the_centre_s_walk_ins_not_yet_linked_with_their_visits(
    as_bob, yu, centre_a, centre_b, bob, charlie, person, alice
):
    kuma = _visits(centre_a, bob, "くま", [5])
    _visits(centre_b, charlie, "よそ", [4])
    linked = _visits(centre_a, bob, "そら", [6])
    services.walk_in_link(walk_in=linked, case=person, consent=_consent(person, alice), by=alice)

    response = as_bob.get(reverse("outreach:walk_in_list"))

    assert [w.nickname for w in response.context["page"]] == ["ゆう", "くま"]  # latest first
    row = response.context["page"][0]
    assert (row.visits, row.first_visit_at, row.last_visit_at) == (
        2,
        yu.attendances.earliest("arrived_at").arrived_at,
        yu.attendances.latest("arrived_at").arrived_at,
    )
    body = response.content.decode()
    assert f'data-testid="walk-in-{kuma.pk}"' in body and "よそ" not in body and "そら" not in body
    linked_page = as_bob.get(reverse("outreach:walk_in_list") + "?linked=1")
    assert [w.nickname for w in linked_page.context["page"]] == ["そら"]
    assert person.case_number in linked_page.content.decode()


def test_list_query_count_does_not_grow_with_walk_ins(
    as_alice, centre_a, bob, django_assert_num_queries
):
    _visits(centre_a, bob, "ゆう", [3, 2])
    url = reverse("outreach:walk_in_list")
    # Session, user, the user's centres (ids and the menu's names), the count, the page
    # (visits aggregated) and the page header (the inbox badge).
    with django_assert_num_queries(6):
        as_alice.get(url)
    for n in range(20):
        _visits(centre_a, bob, f"来所者{n}", [4 + n])
    with django_assert_num_queries(6):
        response = as_alice.get(url)
    assert len(response.context["page"]) == 21


def test_walk_in_page_query_count_does_not_grow_with_visits(
    as_alice, centre_a, bob, django_assert_num_queries
):
    walk_in = _visits(centre_a, bob, "ゆう", [2])
    url = reverse("outreach:walk_in_detail", args=[walk_in.pk])
    # Session, user, the user's centres (ids and names), the walk-in (case, consent and linker
    # joined), the count, the page of visits (sessions joined) and the page header.
    with django_assert_num_queries(7):
        as_alice.get(url)
    for days in range(3, 33):
        session = _session(centre_a, bob, days)
        services.check_in_walk_in(
            session=session,
            by=bob,
            client_key=uuid.uuid4(),
            walk_in=walk_in,
            at=session.starts_at + dt.timedelta(minutes=10),
        )
    with django_assert_num_queries(7):
        response = as_alice.get(url)
    assert len(response.context["visits"]) == 31


def test_staff_see_a_walk_in_and_its_visits_but_not_the_link_flow(as_bob, yu):
    response = as_bob.get(reverse("outreach:walk_in_detail", args=[yu.pk]))
    assert response.status_code == 200
    assert len(response.context["visits"]) == 2
    body = response.content.decode()
    assert "ゆう" in body and 'data-testid="case-search-form"' not in body
    assert "ケースへの結びつけは相談員・所長が行います。" in body


def test_a_counsellor_sees_the_case_search_on_an_unlinked_walk_in(as_alice, yu):
    body = as_alice.get(reverse("outreach:walk_in_detail", args=[yu.pk])).content.decode()
    assert 'data-testid="case-search-form"' in body


# --- searching and choosing the case ----------------------------------------------------------


def test_case_search_is_posted_and_folds_furigana_and_reads_case_numbers(
    as_alice, yu, centre_a, alice, outsider
):
    yamada = make_case(centre_a, alice)  # やまだ たろう
    closed = make_case(centre_a, alice, family_name_kana="やまだ", given_name_kana="じろう")
    case_services.case_change_status(
        case=closed, by=alice, to_status=CaseStatus.CLOSED, closure_reason="moved", note=""
    )
    url = reverse("outreach:walk_in_case_search", args=[yu.pk])
    assert as_alice.get(url, {"q": "やまだ"}).status_code == 405  # a name never in a URL

    found = as_alice.post(url, {"q": "ﾔﾏﾀﾞ"}, **HTMX).context["found"]  # half-width katakana
    assert found == [yamada]
    by_number = as_alice.post(url, {"q": yamada.case_number}, **HTMX).context["found"]
    assert by_number == [yamada]
    assert as_alice.post(url, {"q": "がいぶ"}, **HTMX).context["found"] == []  # centre B's


def test_search_without_htmx_shows_the_results_on_the_page(as_alice, yu, person):
    url = reverse("outreach:walk_in_case_search", args=[yu.pk])
    response = as_alice.post(url, {"q": "たろう"})
    assert response.status_code == 200 and response.context["found"] == [person]
    assert f'data-testid="found-{person.pk}"' in response.content.decode()


def test_choosing_a_case_offers_only_its_active_ibasho_consents(as_alice, yu, person, alice):
    _consent(person, alice, scope=ConsentScope.HOME_VISIT)
    withdrawn = _consent(person, alice, given_on=timezone.localdate() - dt.timedelta(days=9))
    case_services.consent_withdraw(
        consent=withdrawn, by=alice, on=timezone.localdate() - dt.timedelta(days=1)
    )
    active = _consent(person, alice, given_by="母")

    url = reverse("outreach:walk_in_choose_case", args=[yu.pk])
    response = as_alice.post(url, {"case": person.pk}, **HTMX)

    form = response.context["form"]
    assert form.consents == [active]
    assert form["consent"].value() == str(active.pk)  # the one on file is preselected
    body = response.content.decode()
    assert f'id="consent-{active.pk}"' in body and f'id="consent-{withdrawn.pk}"' not in body


def test_without_a_consent_on_file_recording_one_is_preselected(as_alice, yu, person):
    url = reverse("outreach:walk_in_choose_case", args=[yu.pk])
    form = as_alice.post(url, {"case": person.pk}, **HTMX).context["form"]
    assert form.consents == [] and form["consent"].value() == "new"


# --- linking -----------------------------------------------------------------------------------


def test_linking_moves_the_earlier_visits_to_the_case_as_contacts_dated_when_they_happened(
    as_alice, yu, person, alice
):
    consent = _consent(person, alice)
    person.refresh_from_db()
    assert person.last_two_way_contact_at is None and person.next_check_at < timezone.now()

    response = _link(as_alice, yu, person, consent.pk)

    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:walk_in_detail", args=[yu.pk])
    yu.refresh_from_db()
    assert (yu.case, yu.consent, yu.linked_by) == (person, consent, alice)
    visits = list(yu.attendances.order_by("arrived_at"))
    assert all(visit.case == person for visit in visits)
    contacts = _ibasho_contacts(person)
    assert [c.occurred_at for c in contacts] == [v.arrived_at for v in visits]
    assert [c.pk for c in contacts] == [v.contact_id for v in visits]
    person.refresh_from_db()  # the silence clock: the last visit, three days ago
    assert person.last_two_way_contact_at == visits[-1].arrived_at
    assert person.next_check_at == visits[-1].arrived_at + dt.timedelta(days=30)
    assert AuditEvent.objects.filter(
        case_id=person.pk, model="outreach.walkin", object_id=yu.pk, action=AuditAction.CHANGE
    ).exists()
    page = as_alice.get(response["Location"]).content.decode()
    assert 'data-testid="walk-in-linked"' in page and person.case_number in page
    assert 'data-testid="unlink"' in page


def test_linking_needs_an_active_ibasho_consent(as_alice, yu, person, alice):
    other_scope = _consent(person, alice, scope=ConsentScope.SHARE_WITH_AGENCY)
    withdrawn = _consent(person, alice, given_on=timezone.localdate() - dt.timedelta(days=9))
    case_services.consent_withdraw(
        consent=withdrawn, by=alice, on=timezone.localdate() - dt.timedelta(days=1)
    )
    for consent in (other_scope, withdrawn):
        response = _link(as_alice, yu, person, consent.pk)
        assert response.status_code == 200 and response.context["form"].errors["consent"]
    response = _link(as_alice, yu, person, "")
    assert response.context["form"].errors["consent"]
    yu.refresh_from_db()
    assert yu.case is None and _ibasho_contacts(person) == []
    assert not IbashoAttendance.objects.filter(case=person).exists()


def test_a_consent_recorded_on_the_spot_is_the_ibasho_scope_and_links_in_one_step(
    as_alice, yu, person, alice
):
    url = reverse("outreach:walk_in_link", args=[yu.pk])
    response = as_alice.post(
        url,
        {
            "case": person.pk,
            "consent": "new",
            "given_by": "本人",
            "given_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(case=person)
    assert (consent.scope, consent.given_by, consent.recorded_by) == (
        ConsentScope.IBASHO_RECORD,
        "本人",
        alice,
    )
    yu.refresh_from_db()
    assert yu.case == person and yu.consent == consent
    assert AuditEvent.objects.filter(
        case_id=person.pk, model="cases.consent", action=AuditAction.CREATE
    ).exists()


@pytest.mark.parametrize(
    "given",
    [
        {"given_by": "", "given_on": "2026-01-05"},
        {"given_by": "本人", "given_on": ""},
        {"given_by": "本人", "given_on": "2999-01-01"},
    ],
)
def test_an_incomplete_consent_records_nothing_and_keeps_the_input(as_alice, yu, person, given):
    url = reverse("outreach:walk_in_link", args=[yu.pk])
    response = as_alice.post(url, {"case": person.pk, "consent": "new", **given}, **HTMX)
    assert response.status_code == 200 and response.context["form"].errors
    assert 'data-testid="link-confirm"' in response.content.decode()
    assert not Consent.objects.filter(case=person).exists()
    yu.refresh_from_db()
    assert yu.case is None


def test_a_refused_link_takes_back_the_consent_recorded_with_it(
    as_alice, yu, person, alice, centre_a
):
    sibling = make_case(centre_a, alice, given_name="次郎", given_name_kana="じろう")
    services.walk_in_link(walk_in=yu, case=sibling, consent=_consent(sibling, alice), by=alice)
    url = reverse("outreach:walk_in_link", args=[yu.pk])
    today = timezone.localdate().isoformat()
    response = as_alice.post(
        url, {"case": person.pk, "consent": "new", "given_by": "本人", "given_on": today}
    )
    assert "すでにケースに結びつけられています" in str(response.context["form"].non_field_errors())
    assert not Consent.objects.filter(case=person).exists()  # both, or neither
    yu.refresh_from_db()
    assert yu.case == sibling


# --- undoing the link --------------------------------------------------------------------------


def test_undo_restores_the_walk_in_and_takes_the_contacts_back(as_alice, yu, person, alice):
    _link(as_alice, yu, person, _consent(person, alice).pk)
    assert len(_ibasho_contacts(person)) == 2

    response = as_alice.post(reverse("outreach:walk_in_unlink", args=[yu.pk]))

    assert response.status_code == 302
    yu.refresh_from_db()
    assert (yu.case, yu.consent, yu.linked_at) == (None, None, None)
    assert list(yu.attendances.values_list("case", "contact")) == [(None, None), (None, None)]
    assert _ibasho_contacts(person) == []
    person.refresh_from_db()
    assert person.last_two_way_contact_at is None  # as if the visits had never been recorded
    assert (
        AuditEvent.objects.filter(
            case_id=person.pk, model="outreach.walkin", action=AuditAction.CHANGE
        ).count()
        == 2
    )
    assert as_alice.get(reverse("outreach:walk_in_list")).context["page"][0] == yu
    assert as_alice.get(reverse("outreach:walk_in_unlink", args=[yu.pk])).status_code == 405


def test_undoing_a_walk_in_that_is_not_linked_says_so(as_alice, yu):
    response = as_alice.post(reverse("outreach:walk_in_unlink", args=[yu.pk]), follow=True)
    assert "この来所者はケースに結びつけられていません。" in response.content.decode()


# --- authorisation -----------------------------------------------------------------------------


def _every_view(walk_in, case, consent) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("outreach:walk_in_detail", args=[walk_in.pk]), {}),
        ("post", reverse("outreach:walk_in_case_search", args=[walk_in.pk]), {"q": "やまだ"}),
        ("post", reverse("outreach:walk_in_choose_case", args=[walk_in.pk]), {"case": case.pk}),
        (
            "post",
            reverse("outreach:walk_in_link", args=[walk_in.pk]),
            {"case": case.pk, "consent": consent.pk},
        ),
        ("post", reverse("outreach:walk_in_unlink", args=[walk_in.pk]), {}),
    ]


def test_charlie_of_centre_b_gets_404_for_centre_a_s_walk_in_and_sees_none_listed(
    as_charlie, yu, person, alice
):
    consent = _consent(person, alice)
    for method, url, data in _every_view(yu, person, consent):
        assert getattr(as_charlie, method)(url, data).status_code == 404, url
    assert list(as_charlie.get(reverse("outreach:walk_in_list")).context["page"]) == []
    yu.refresh_from_db()
    assert yu.case is None and not Consent.objects.exclude(pk=consent.pk).exists()


def test_posting_centre_b_s_case_to_centre_a_s_walk_in_is_404_and_changes_nothing(
    as_alice, yu, outsider, charlie
):
    consent = _consent(outsider, charlie)
    choose = reverse("outreach:walk_in_choose_case", args=[yu.pk])
    assert as_alice.post(choose, {"case": outsider.pk}, **HTMX).status_code == 404
    assert _link(as_alice, yu, outsider, consent.pk).status_code == 404
    url = reverse("outreach:walk_in_link", args=[yu.pk])
    today = timezone.localdate().isoformat()
    data = {"case": outsider.pk, "consent": "new", "given_by": "本人", "given_on": today}
    assert as_alice.post(url, data).status_code == 404
    yu.refresh_from_db()
    assert yu.case is None
    assert list(Consent.objects.filter(case=outsider)) == [consent]
    assert not ContactEntry.objects.filter(case=outsider, source=ContactSource.IBASHO).exists()


def test_posting_centre_b_s_consent_with_a_case_of_centre_a_is_404(
    as_alice, yu, person, outsider, charlie
):
    assert _link(as_alice, yu, person, _consent(outsider, charlie).pk).status_code == 404
    yu.refresh_from_db()
    assert yu.case is None


def test_a_consent_of_another_case_of_the_centre_is_not_a_choice(
    as_alice, yu, person, alice, centre_a
):
    sibling = make_case(centre_a, alice, given_name="次郎", given_name_kana="じろう")
    response = _link(as_alice, yu, person, _consent(sibling, alice).pk)
    assert response.status_code == 200 and response.context["form"].errors["consent"]
    yu.refresh_from_db()
    assert yu.case is None


def test_staff_may_see_walk_ins_but_not_link_them(as_bob, yu, person, alice):
    consent = _consent(person, alice)
    detail, *linking = _every_view(yu, person, consent)
    assert as_bob.get(detail[1]).status_code == 200
    for method, url, data in linking:
        assert getattr(as_bob, method)(url, data).status_code == 403, url
    yu.refresh_from_db()
    assert yu.case is None


def test_staff_may_not_undo_a_link(as_bob, yu, person, alice):
    services.walk_in_link(walk_in=yu, case=person, consent=_consent(person, alice), by=alice)
    assert as_bob.post(reverse("outreach:walk_in_unlink", args=[yu.pk])).status_code == 403
    yu.refresh_from_db()
    assert yu.case == person
    page = as_bob.get(reverse("outreach:walk_in_detail", args=[yu.pk])).content.decode()
    assert 'data-testid="walk-in-linked"' in page and 'data-testid="unlink"' not in page


def test_a_manager_can_link(as_mallory, yu, person, alice):
    assert _link(as_mallory, yu, person, _consent(person, alice).pk).status_code == 302
    yu.refresh_from_db()
    assert yu.case == person


def test_signed_out_visitors_are_sent_to_log_in(client, yu):
    response = client.get(reverse("outreach:walk_in_list"))
    assert response.status_code == 302 and "login" in response["Location"]
