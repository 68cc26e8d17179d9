"""Demo households and a running CRAFT course for `manage.py seed_demo`: an 80/50 household
still without a contingency plan, two withdrawn siblings sharing their mother, parents who
have or have not consented to be called, and a weekly family course with its attendance."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases import services as case_services
from cases.choices import CaseStatus, Channel, PersonAware
from cases.models import Case
from families import services
from families.models import AttendanceStatus, FamilyMember, MemberStatus, ProgrammeKind


def _years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=days)


@transaction.atomic
def seed_demo_families(*, centre: Centre) -> int:
    """Households for the centre's first open cases, and one CRAFT course. Idempotent."""
    if FamilyMember.objects.filter(centre=centre).exists():
        return 0
    cases = list(
        Case.objects.filter(centre=centre, status=CaseStatus.OPEN)
        .select_related("centre")
        .order_by("number")[:6]
    )
    staff = User.objects.filter(centres=centre, role=Role.STAFF).first()
    counsellor = User.objects.filter(centres=centre, role=Role.COUNSELLOR).first()
    if len(cases) < 6 or counsellor is None:
        return 0
    by = staff or counsellor
    family = cases[0].family_name or "山田"
    kana = cases[0].family_name_kana or "やまだ"

    # An 80/50 household: the mother, 83, alone with her son since the father died.
    mother = services.member_add(
        case=cases[0],
        by=by,
        fields={
            "family_name": family,
            "given_name": "トシ子",
            "family_name_kana": kana,
            "given_name_kana": "としこ",
            "birth_date": _years_ago(83, 40),
            "contact_consent": True,
            "health_notes": "膝の手術後、通院中。買い物は近所の姪が手伝っている。",
        },
        link_fields={
            "relation": "mother",
            "person_aware": PersonAware.YES,
            "is_primary_contact": True,
        },
    )
    services.member_add(
        case=cases[0],
        by=by,
        fields={
            "family_name": family,
            "given_name": "正",
            "family_name_kana": kana,
            "given_name_kana": "ただし",
            "birth_year": timezone.localdate().year - 88,
            "status": MemberStatus.DECEASED,
            "status_since": _years_ago(2),
        },
        link_fields={"relation": "father"},
    )

    # Two withdrawn siblings, one mother: she is linked to both cases, not copied. (The demo
    # cases were named one by one: the younger sibling takes the family's name.)
    if cases[2].family_name != cases[1].family_name:
        case_services.case_update(
            case=cases[2],
            by=by,
            changes={
                "family_name": cases[1].family_name,
                "family_name_kana": cases[1].family_name_kana,
            },
            expected_version=cases[2].version,
        )
    sibling_mother = services.member_add(
        case=cases[1],
        by=by,
        fields={
            "family_name": cases[1].family_name or "中村",
            "given_name": "恵子",
            "family_name_kana": cases[1].family_name_kana or "なかむら",
            "given_name_kana": "けいこ",
            "birth_date": _years_ago(71, 100),
            "contact_consent": True,
        },
        link_fields={
            "relation": "mother",
            "person_aware": PersonAware.NO,
            "is_primary_contact": True,
        },
    )
    services.member_link(
        member=sibling_mother,
        case=cases[2],
        by=by,
        fields={"relation": "mother", "person_aware": PersonAware.UNKNOWN},
    )
    # A father who calls but has not agreed to be called back.
    services.member_add(
        case=cases[1],
        by=by,
        fields={
            "family_name": cases[1].family_name or "中村",
            "given_name": "博",
            "birth_year": timezone.localdate().year - 74,
        },
        link_fields={"relation": "father"},
    )

    # A parent for each of the other cases, some consenting.
    parents = [mother, sibling_mother]
    for index, case in enumerate(cases[3:], start=3):
        parents.append(
            services.member_add(
                case=case,
                by=by,
                fields={
                    "family_name": case.family_name or "佐々木",
                    "given_name": ["洋子", "和夫", "美智子"][index % 3],
                    "birth_year": timezone.localdate().year - (58 + index * 3),
                    "contact_consent": index % 2 == 1,
                },
                link_fields={
                    "relation": "mother" if index % 3 != 1 else "father",
                    "person_aware": PersonAware.UNKNOWN,
                    "is_primary_contact": True,
                },
            )
        )

    # The mothers' calls, on the contact log and on their own page.
    now = timezone.now()
    for weeks, (case, member) in enumerate([(cases[0], mother), (cases[1], sibling_mother)]):
        services.member_contact_record(
            case=case,
            member=member,
            by=counsellor,
            fields={
                "occurred_at": now - dt.timedelta(days=10 + 7 * weeks, hours=3),
                "duration_minutes": 30,
                "channel": Channel.PHONE,
                "two_way": True,
                "note": "母親から電話。本人の昼夜逆転が続いている。",
            },
            outbound=False,
        )

    _seed_craft_course(centre=centre, by=counsellor, parents=parents)
    return len(parents)


def _seed_craft_course(*, centre: Centre, by: User, parents: list[FamilyMember]) -> None:
    """A weekly CRAFT course that started five weeks ago: eight sessions, five held."""
    local_now = timezone.localtime()
    first = (local_now - dt.timedelta(weeks=5)).replace(hour=14, minute=0, second=0, microsecond=0)
    programme = services.programme_create(
        centre=centre,
        by=by,
        fields={
            "kind": ProgrammeKind.CRAFT,
            "title": "CRAFT家族教室（秋期）",
            "starts_on": first.date(),
            "ends_on": (first + dt.timedelta(weeks=7)).date(),
            "capacity": 12,
        },
        facilitators=[by],
        sessions=services.weekly_sessions(
            first_start=first, minutes=120, count=8, place="センター2階 研修室"
        ),
    )
    for member in parents:
        services.programme_enrol(programme=programme, member=member, by=by)
    held = programme.sessions.filter(starts_at__lt=timezone.now()).order_by("starts_at")
    for number, session in enumerate(held):
        marks = {
            member.pk: (
                AttendanceStatus.ABSENT
                if (member.pk + number) % 4 == 0
                else AttendanceStatus.ATTENDED,
                "",
            )
            for member in parents
        }
        services.attendance_save(session=session, by=by, marks=marks)
