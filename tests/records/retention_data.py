"""A hand-made data set for the retention tests, across fiscal years 2019 and 2020, at
centre A (retention 5 years), the tests running on 30 November 2026 (Tokyo):

X   the case to dispose of: female, born 1999-06-15 (19 on 1 June 2019, 20 on 1 July 2019:
    her age band changes within fiscal year 2019), first contact 2019-05-10 by the family;
    contacts in FY2019 and FY2020 with notes that name her; sensitive information; an
    assessment, a plan, a consent and a referral (shared information); a done home visit
    with a report; ibasho attendance with a note, and a walk-in linked to her; her mother
    (only in X's household, at a CRAFT class with a note) and her father, shared with the
    open case W, who keeps his data; two notifications about her. Closed 2021-03-15.
W   open case sharing X's father; contacts in FY2020.
H   closed 2020-06-01 like X would be due, but under a legal hold.
Y   closed 2022-01-10: less than 5 years ago on 30 November 2026, not due.
Every personal text of X is one of SECRETS, so a search of the whole database finds any
that is left."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import time_machine
from django.apps import apps
from django.db import models
from django.db.models.functions import Cast

from accounts.models import Centre, User
from cases import services as case_services
from cases.models import Assessment, Case, CaseSensitiveInfo
from dashboards.statistics import TOKYO
from families import services as family_services
from outreach import services as outreach_services
from outreach.models import HomeVisit
from reminders.models import Notification
from tests.factories import make_case, make_member, record_contact

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO)

# What must be gone from every row of the database once X is disposed of.
SECRETS = (
    "消去山",  # family name
    "一之助",  # given name
    "しょうきょやま",  # furigana
    "いちのすけ",
    "9011112222",  # her phone (+819011112222)
    "緑町",  # her address
    "123-4567",
    "秘密の相談メモ",  # contact notes
    "次回は緑町",  # next action
    "診断名アルファ",  # sensitive
    "服薬ベータ",
    "ADLメモ",  # assessment notes
    "目標ガンマ",  # plan
    "同意デルタ",  # consent detail
    "提供情報イプシロン",  # referral's shared information
    "訪問記録ゼータ",  # visit report
    "訪問目的イータ",
    "居場所メモシータ",  # ibasho attendance note
    "ニックネームイオタ",  # the linked walk-in
    "母カッパ",  # the mother (only X's)
    "9033334444",  # the mother's phone
    "母の持病ラムダ",
    "出席メモミュー",  # her family-class note
)
# X's father is also W's (a live case): his data stay.
SHARED_FATHER = "共有父"


def jst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


@dataclass
class RetentionData:
    x: Case
    w: Case
    held: Case
    young: Case
    mother: Any
    father: Any


def _close(case: Case, by: User, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        case_services.case_change_status(
            case=case, by=by, to_status="closed", closure_reason="goal_reached"
        )


def _session(centre: Centre, by: User, start: dt.datetime) -> Any:
    return outreach_services.session_create(
        centre=centre,
        by=by,
        fields={
            "place": "居場所ルーム",
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=2),
        },
        staff=[by],
    )


def build(centre: Centre, alice: User, bob: User) -> RetentionData:
    x = make_case(
        centre,
        alice,
        family_name="消去山",
        given_name="一之助",
        family_name_kana="しょうきょやま",
        given_name_kana="いちのすけ",
        gender="female",
        birth_date=dt.date(1999, 6, 15),
        phone="090-1111-2222",
        postal_code="123-4567",
        prefecture="東京都",
        municipality="緑町",
        address_line="緑町1-2-3",
        first_contact_date=dt.date(2019, 5, 10),
        first_contact_by="family",
    )
    CaseSensitiveInfo.objects.filter(case=x).update(
        conditions="診断名アルファ", medical_status="服薬ベータ"
    )
    w = make_case(
        centre,
        alice,
        gender="male",
        age_band="30s",
        first_contact_date=dt.date(2020, 5, 1),
        first_contact_by="person",
    )
    held = make_case(
        centre,
        alice,
        family_name="保全谷",
        gender="male",
        birth_date=dt.date(1980, 2, 29),
        first_contact_date=dt.date(2019, 9, 1),
    )
    young = make_case(
        centre,
        alice,
        family_name="最近川",
        gender="unanswered",
        first_contact_date=dt.date(2020, 10, 1),
        first_contact_by="school",
    )

    def note(i: int) -> dict[str, str]:
        return {"note": f"秘密の相談メモ{i}: 消去山さん", "next_action": "次回は緑町で"}

    for i, (at, channel, counterpart) in enumerate(
        [
            (jst(2019, 5, 10), "phone", "family"),
            (jst(2019, 6, 20), "centre_visit", "person"),
            (jst(2019, 7, 1, 0), "email", "person"),
            (jst(2020, 3, 31, 23), "phone", "family"),
            (jst(2020, 4, 1, 0), "online", "both"),
            (jst(2020, 11, 5), "letter", "person"),
            (jst(2021, 2, 1), "phone", "agency"),
        ]
    ):
        record_contact(
            x,
            alice,
            at=at,
            channel=channel,
            counterpart=counterpart,
            two_way=channel != "letter",
            counterpart_detail="母カッパ",
            **note(i),
        )
    record_contact(w, alice, at=jst(2020, 5, 1), channel="phone", counterpart="person", note="W")
    record_contact(w, alice, at=jst(2020, 9, 1), channel="email", counterpart="family", note="W")
    record_contact(held, alice, at=jst(2019, 9, 1), channel="phone", note="保全谷のメモ")
    record_contact(young, alice, at=jst(2020, 10, 1), channel="phone", note="最近川のメモ")

    Assessment.objects.create(
        case=x,
        instrument="UCLA3",
        instrument_version="1-3",
        assessed_on=dt.date(2019, 8, 1),
        answers=[1, 2, 3],
        total_score=6,
        notes="ADLメモ",
        assessed_by=alice,
    )
    case_services.plan_save(
        case=x,
        by=alice,
        fields={"goals": "目標ガンマ", "review_on": dt.date(2020, 1, 1)},
    )
    share = case_services.consent_record(
        case=x,
        by=alice,
        fields={
            "scope": "share_agency",
            "detail": "同意デルタ",
            "given_by": "消去山一之助",
            "given_on": dt.date(2019, 8, 1),
        },
    )
    ibasho_consent = case_services.consent_record(
        case=x,
        by=alice,
        fields={"scope": "ibasho_record", "given_by": "本人", "given_on": dt.date(2019, 9, 1)},
    )
    for day, kind, outcome in (
        (dt.date(2019, 8, 5), "saposte", "accepted"),
        (dt.date(2020, 6, 1), "medical", "declined"),
    ):
        case_services.referral_create(
            case=x,
            by=alice,
            fields={
                "destination_kind": kind,
                "destination_name": "つなぎ先",
                "referred_on": day,
                "consent": share,
                "shared_information": "提供情報イプシロン: 消去山一之助",
                "outcome": outcome,
            },
        )

    for at, status, outcome in (
        (jst(2019, 11, 1), "done", "met_person"),
        (jst(2020, 7, 1), "cancelled", ""),
    ):
        HomeVisit.objects.create(
            centre=centre,
            case=x,
            starts_at=at,
            ends_at=at + dt.timedelta(hours=1),
            purpose="訪問目的イータ",
            status=status,
            outcome=outcome,
            status_reason="訪問目的イータの中止" if status == "cancelled" else "",
            report="訪問記録ゼータ: 消去山さんと話した",
            created_by=alice,
        )
    record_contact(x, alice, at=jst(2019, 11, 1), channel="home_visit", counterpart="person")

    s1 = _session(centre, bob, jst(2019, 10, 4, 14))
    attendance = outreach_services.check_in_case(
        session=s1, case=x, by=bob, at=jst(2019, 10, 4, 14, 5)
    )
    type(attendance).objects.filter(pk=attendance.pk).update(note="居場所メモシータ")
    s2 = _session(centre, bob, jst(2020, 1, 10, 14))
    walk_in = outreach_services.check_in_walk_in(
        session=s2,
        by=bob,
        client_key=uuid.uuid4(),
        nickname="ニックネームイオタ",
        walk_in=None,
        at=jst(2020, 1, 10, 14, 5),
    ).walk_in
    outreach_services.check_in_walk_in(
        session=s2,
        by=bob,
        client_key=uuid.uuid4(),
        nickname="ソラ",
        walk_in=None,
        at=jst(2020, 1, 10, 14, 6),
    )
    outreach_services.walk_in_link(walk_in=walk_in, case=x, consent=ibasho_consent, by=alice)

    mother = make_member(
        x,
        alice,
        relation="mother",
        family_name="母カッパ",
        given_name="花子",
        phone="090-3333-4444",
        health_notes="母の持病ラムダ",
    )
    father = make_member(x, alice, relation="father", family_name=SHARED_FATHER, given_name="父")
    _link(father, w, alice)
    created = family_services.programme_create(
        centre=centre,
        by=bob,
        fields={
            "kind": "craft",
            "title": "家族教室",
            "starts_on": dt.date(2019, 10, 1),
            "ends_on": dt.date(2020, 12, 31),
        },
        facilitators=[bob],
        sessions=[
            {"starts_at": s, "ends_at": s + dt.timedelta(hours=2)}
            for s in (jst(2019, 10, 19), jst(2020, 5, 16))
        ],
    )
    sessions = list(created.sessions.order_by("starts_at"))
    for member in (mother, father):
        family_services.programme_enrol(programme=created, member=member, by=bob)
    family_services.attendance_save(
        session=sessions[0],
        by=bob,
        marks={mother.pk: ("attended", "出席メモミュー"), father.pk: ("attended", "")},
    )
    family_services.attendance_save(
        session=sessions[1], by=bob, marks={father.pk: ("attended", "")}
    )

    for kind in ("silence_reminder", "silence_escalation"):
        Notification.objects.create(
            recipient=alice,
            centre=centre,
            case=x,
            channel="in_app",
            kind=kind,
            context={"case_number": x.case_number},
            dedupe_key=f"test-{kind}-{x.pk}",
        )
    Notification.objects.create(
        recipient=alice,
        centre=centre,
        case=w,
        channel="in_app",
        kind="silence_reminder",
        context={"case_number": w.case_number},
        dedupe_key=f"test-w-{w.pk}",
    )

    _close(x, alice, jst(2021, 3, 15))
    _close(held, alice, jst(2020, 6, 1))
    _close(young, alice, jst(2022, 1, 10))
    held.refresh_from_db()  # closed since: the hold is set on the version closing left
    case_services.case_legal_hold_set(
        case=held, by=alice, hold=True, expected_version=held.version, reason="訴訟の可能性"
    )
    for case in (x, w, held, young):
        case.refresh_from_db()
    mother.refresh_from_db()
    father.refresh_from_db()
    return RetentionData(x, w, held, young, mother, father)


def _link(member: Any, case: Case, by: User) -> None:
    family_services.member_link(
        member=member,
        case=case,
        by=by,
        fields={"relation": "father", "lives_with_person": True, "person_aware": "unknown"},
    )


def rows_containing(text: str) -> list[str]:
    """Every row of every table of the project's apps that holds `text` in a text column
    (CharField, TextField, JSONField as text): 'app.model#pk.field'."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in {
            "accounts",
            "cases",
            "reminders",
            "families",
            "outreach",
            "records",
        }:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                matches = model._base_manager.filter(**{f"{field.attname}__contains": text})
            elif isinstance(field, models.JSONField):
                matches = model._base_manager.annotate(
                    _as_text=Cast(field.attname, models.TextField())
                ).filter(_as_text__contains=text)
            else:
                continue
            found += [
                f"{model._meta.label_lower}#{pk}.{field.name}"
                for pk in matches.values_list("pk", flat=True)
            ]
    return found
