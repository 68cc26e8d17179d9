"""`manage.py seed_scale`: the shape of the data, its determinism, the silence fields as the
model computes them, the audit trigger untouched, and the app's pages working on the result."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.urls import reverse

from accounts.models import Centre, Role, User
from cases.choices import CaseStatus, SilenceStage
from cases.models import Case, ContactEntry, SupportPlan
from families.models import FamilyMember, HouseholdLink
from outreach.models import HomeVisit, IbashoAttendance, VisitStatus
from tests.factories import client_for, make_case

pytestmark = pytest.mark.django_db

CASES = 2000


def seed(cases: int = CASES, **options: object) -> str:
    out = io.StringIO()
    call_command("seed_scale", cases=cases, stdout=out, **options)
    return out.getvalue()


def digest() -> str:
    """Case numbers, names, dates, states and contact counts, in centre and number order (ids
    left out: they continue the sequences)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT md5(string_agg(concat_ws('|', ce.case_number_prefix, c.number, c.family_name,
                       c.given_name, c.given_name_kana, c.first_contact_date, c.status,
                       c.silence_stage, c.next_check_at, c.primary_counsellor_id IS NULL,
                       (SELECT count(*) FROM cases_contactentry e WHERE e.case_id = c.id),
                       (SELECT count(*) FROM outreach_homevisit v WHERE v.case_id = c.id)),
                       ',' ORDER BY ce.name, c.number))
              FROM cases_case c JOIN accounts_centre ce ON ce.id = c.centre_id
            """
        )
        return cursor.fetchone()[0]


def test_seed_scale_builds_the_shape_the_benchmarks_need() -> None:
    output = seed(centres=2)
    assert "cases_contactentry" in output and "done in" in output

    centres = list(Centre.objects.annotate(n=Count("cases")))
    assert len(centres) == 2
    for centre in centres:
        # numbers run 1..n per centre, and the centre's counter agrees (the next intake's)
        assert centre.last_case_number == centre.n == CASES // 2
        numbers = Case.objects.filter(centre=centre).aggregate(top=Max("number"))
        assert numbers["top"] == centre.n
        assert User.objects.filter(centres=centre, role=Role.MANAGER).count() == 1
        counsellors = User.objects.filter(centres=centre, role=Role.COUNSELLOR).count()
        open_cases = Case.objects.filter(centre=centre, status=CaseStatus.OPEN).count()
        assert open_cases / 160 <= counsellors <= open_cases / 80  # ~1 per 120 open cases

    assert Case.objects.count() == CASES
    contacts = ContactEntry.objects.count()
    assert 17 * CASES <= contacts <= 23 * CASES  # 20 per case
    heaviest = Case.objects.annotate(n=Count("contacts")).order_by("-n").first()
    assert heaviest is not None and heaviest.n >= 2000  # the case page benchmark's case
    assert 0.14 * CASES <= HomeVisit.objects.count() <= 0.26 * CASES  # 20k per 100k
    done = HomeVisit.objects.filter(status=VisitStatus.DONE)
    assert done.count() >= 0.75 * HomeVisit.objects.count()
    assert not done.filter(Q(outcome="") | Q(contact__isnull=True)).exists()
    for status in (VisitStatus.PLANNED, VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED):
        assert HomeVisit.objects.filter(status=status).exists()
    attendances = IbashoAttendance.objects.count()
    assert 2.2 * CASES <= attendances <= 3.8 * CASES  # 300k per 100k
    walk_ins = IbashoAttendance.objects.filter(case__isnull=True).count()
    assert 0.08 * attendances <= walk_ins <= 0.25 * attendances
    assert 0.4 * CASES <= FamilyMember.objects.count() <= 0.6 * CASES  # 50k per 100k
    assert HouseholdLink.objects.count() >= FamilyMember.objects.count()
    mix = dict(Case.objects.values_list("status").annotate(n=Count("id")))
    assert set(mix) == {CaseStatus.OPEN, CaseStatus.PAUSED, CaseStatus.CLOSED}
    assert mix[CaseStatus.OPEN] > mix[CaseStatus.CLOSED] > mix[CaseStatus.PAUSED]
    stages = set(
        Case.objects.filter(status=CaseStatus.OPEN).values_list("silence_stage", flat=True)
    )
    assert stages == set(SilenceStage.values)
    assert Case.objects.filter(risk_8050=True).exists()  # computed by families.risk_8050
    # the plans went in by COPY: each case carries its newest plan's review date, as
    # plan_save would have left it
    newest = SupportPlan.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id")
    drift = Case.objects.annotate(newest_review=Subquery(newest.values("review_on")[:1])).exclude(
        current_plan_review_on__isnull=True, newest_review__isnull=True
    )
    assert drift.exists()
    assert not drift.exclude(current_plan_review_on=F("newest_review")).exists()

    # the silence fields are what the model would set, from the log the seed wrote
    sample = Case.objects.select_related("centre").order_by("?")[:200]
    for case in sample:
        last = case.contacts.filter(two_way=True).aggregate(at=Max("occurred_at"))["at"]
        assert case.last_two_way_contact_at == last
        if last is not None:
            assert case.silence_clock_started_at == last
        assert case.next_check_at == case.next_silence_check_at()

    # the audit log's append-only trigger is still there and enabled
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = 'accounts_auditevent' AND t.tgname LIKE %s",
            ["%audit_append_only%"],
        )
        states = [state for (state,) in cursor.fetchall()]
    assert states and "D" not in states

    # the app works on the result: the case list, and the page of the case with most contacts
    manager = User.objects.get(centres=heaviest.centre, role=Role.MANAGER)
    client = client_for(manager)
    assert client.get(reverse("cases:list")).status_code == 200
    assert client.get(reverse("cases:detail", args=[heaviest.pk])).status_code == 200


def seeded_digest(seed_value: int) -> str:
    """Seed into an empty database, take the digest, and roll it all back."""
    with transaction.atomic():
        seed(cases=600, centres=2, seed=seed_value)
        result = digest()
        transaction.set_rollback(True)
    assert not Case.objects.exists()
    return result


def test_seed_scale_is_deterministic() -> None:
    first = seeded_digest(7)
    assert seeded_digest(8) != first  # the digest does see another seed's data
    assert seeded_digest(7) == first


def test_seed_scale_refuses_a_database_with_cases_unless_forced(
    centre_a: Centre, alice: User
) -> None:
    make_case(centre_a, alice)
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert Case.objects.count() == 1
    call_command("seed_scale", cases=50, force=True, stdout=io.StringIO())
    assert Case.objects.count() == 51  # nothing deleted, the seeded cases added
    assert Case.objects.filter(centre=centre_a).count() == 1
