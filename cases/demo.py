"""Realistic demo cases for `manage.py seed_demo`: families calling for months before the person
is met, home visits, letters left unanswered, assessments, a plan, a referral, silent cases."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases import instruments, services
from cases.access import break_glass_window
from cases.choices import (
    AgeBand,
    CaseStatus,
    Channel,
    ClosureReason,
    ConsentScope,
    Counterpart,
    DestinationKind,
    FirstContactBy,
    Gender,
    PersonAware,
    Severity,
    SupportStage,
)
from cases.models import BreakGlassGrant, Case, SensitiveShare

FAMILY_NAMES = [
    ("山田", "やまだ"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
    ("吉田", "よしだ"),
    ("山口", "やまぐち"),
    ("松本", "まつもと"),
    ("井上", "いのうえ"),
    ("木村", "きむら"),
    ("清水", "しみず"),
    ("森", "もり"),
    ("池田", "いけだ"),
]
GIVEN_NAMES = [
    ("健太", "けんた", "male"),
    ("翔", "しょう", "male"),
    ("美咲", "みさき", "female"),
    ("大輝", "だいき", "male"),
    ("葵", "あおい", "female"),
    ("拓也", "たくや", "male"),
    ("遥", "はるか", "female"),
    ("誠", "まこと", "male"),
]
NOTES = [
    "母より電話。本人は昼夜逆転の生活が続いている。家族の関わり方について相談。",
    "父母来所。本人は自室で過ごすことが多いが、食事は家族と一緒にとれる日もある。",
    "母より電話。先週、本人がコンビニまで外出できたとのこと。肯定的に声をかけるよう助言。",
    "本人と電話で短く話せた。居場所の案内を郵送することに同意。",
    "家族教室に母が参加。CRAFTの第3回。",
]


def _user(centre: Centre, role: str) -> User | None:
    return User.objects.filter(centres=centre, role=role).order_by("id").first()


@transaction.atomic
def seed_demo_cases(*, centre: Centre, seed: int, count: int = 14) -> int:
    if Case.objects.filter(centre=centre).exists():
        return 0
    rng = random.Random(seed)
    counsellor = _user(centre, Role.COUNSELLOR)
    assert counsellor is not None, "seed the demo users first"
    staff = _user(centre, Role.STAFF) or counsellor
    manager = _user(centre, Role.MANAGER) or counsellor
    now = timezone.now()
    for index in range(count):
        family, family_kana = FAMILY_NAMES[(index + seed) % len(FAMILY_NAMES)]
        given, given_kana, gender = GIVEN_NAMES[(index * 3 + seed) % len(GIVEN_NAMES)]
        name_known = index % 5 != 4  # some first calls don't give the person's name
        age = rng.choice([17, 22, 26, 31, 35, 38, 44, 49, 52, 55])
        started_days_ago = rng.randint(60, 420)
        started = now - dt.timedelta(days=started_days_ago)
        case = services.case_create(
            centre=centre,
            by=staff,
            fields=dict(
                family_name=family,
                given_name=given if name_known else "",
                family_name_kana=family_kana,
                given_name_kana=given_kana if name_known else "",
                birth_date=(now - dt.timedelta(days=age * 365 + rng.randint(0, 300))).date()
                if name_known
                else None,
                age_band=AgeBand.UNKNOWN,
                gender=gender if name_known else Gender.UNANSWERED,
                prefecture=centre.prefecture,
                municipality="中央区" if index % 2 else "北区",
                first_contact_date=timezone.localdate(started),
                first_contact_by=FirstContactBy.FAMILY if index % 4 else FirstContactBy.PERSON,
                withdrawal_since_year=timezone.localdate(now).year - rng.randint(1, 12),
                severity=rng.choice(list(Severity.values)),
                support_stage=rng.choice(list(SupportStage.values)),
                person_aware=rng.choice(list(PersonAware.values)),
                primary_counsellor=counsellor if index % 6 else None,
                risk_violence=index % 7 == 3,
                risk_parent_ill=index % 5 == 2,
                risk_self_harm=index % 9 == 5,
            ),
            sensitive={"conditions": "不安障害の疑い（本人未受診）" if index % 3 == 0 else ""},
        )
        Case.objects.filter(pk=case.pk).update(silence_clock_started_at=started)
        case.refresh_from_db()
        # Contacts over the months, the last one putting some cases into silence.
        quiet_days = [3, 12, 20, 33, 41, 50][index % 6]
        when = started
        last = now - dt.timedelta(days=quiet_days)
        while when < last:
            two_way = rng.random() > 0.2
            channel = (
                rng.choice([Channel.PHONE, Channel.PHONE, Channel.CENTRE_VISIT, Channel.HOME_VISIT])
                if two_way
                else Channel.LETTER
            )
            services.contact_record(
                case=case,
                by=counsellor,
                fields=dict(
                    occurred_at=when,
                    duration_minutes=rng.choice([15, 30, 45, 60]),
                    channel=channel,
                    counterpart=Counterpart.FAMILY if rng.random() > 0.3 else Counterpart.PERSON,
                    counterpart_detail="母" if rng.random() > 0.3 else "父",
                    two_way=two_way,
                    note=rng.choice(NOTES) if two_way else "手紙をポストに投函。返事なし。",
                    next_action="2週間後に電話" if two_way else "",
                ),
            )
            when += dt.timedelta(days=rng.randint(10, 35))
        services.contact_record(
            case=case,
            by=counsellor,
            fields=dict(
                occurred_at=last,
                duration_minutes=30,
                channel=Channel.PHONE,
                counterpart=Counterpart.FAMILY,
                counterpart_detail="母",
                two_way=True,
                note=NOTES[index % len(NOTES)],
                next_action="次回の電話を約束",
            ),
        )
        if index % 3 == 0:
            for months_ago, base in ((4, 2), (2, 1), (0, 1)):
                services.assessment_record(
                    case=case,
                    by=counsellor,
                    instrument=instruments.HQ25,
                    answers=[min(4, max(0, base + rng.randint(-1, 2))) for _ in range(25)],
                    assessed_on=timezone.localdate(now - dt.timedelta(days=30 * months_ago + 1)),
                )
            services.assessment_record(
                case=case,
                by=counsellor,
                instrument=instruments.UCLA3_JP_GOV,
                answers=[rng.randint(1, 4) for _ in range(3)],
                assessed_on=timezone.localdate(now - dt.timedelta(days=20)),
            )
        if index % 4 == 1:
            plan = services.plan_save(
                case=case,
                by=counsellor,
                fields=dict(
                    goals="家族以外の人と月1回話す機会をもつ。",
                    warning_signs="昼夜逆転、食事を自室でとるようになる",
                    what_helps="母からの短い声かけ、好きなゲームの話題",
                    who_to_call="担当相談員（平日）",
                    review_on=timezone.localdate(now + dt.timedelta(days=60)),
                ),
            )
            for text, achieved in (
                ("自室から居間に出てくる", True),
                ("電話に出る", True),
                ("居場所に一度来る", False),
            ):
                milestone = services.milestone_add(
                    plan=plan, by=counsellor, fields={"description": text}
                )
                if achieved:
                    services.milestone_achieve(
                        milestone=milestone,
                        by=counsellor,
                        on=timezone.localdate(now - dt.timedelta(days=rng.randint(5, 50))),
                    )
        if index % 5 == 0:
            consent = services.consent_record(
                case=case,
                by=counsellor,
                fields=dict(
                    scope=ConsentScope.SHARE_WITH_AGENCY,
                    detail="サポステへの情報提供",
                    given_by="本人",
                    given_on=timezone.localdate(now - dt.timedelta(days=40)),
                ),
            )
            referral = services.referral_create(
                case=case,
                by=counsellor,
                fields=dict(
                    destination_kind=DestinationKind.SAPOSTE,
                    destination_name="地域若者サポートステーション",
                    referred_on=timezone.localdate(now - dt.timedelta(days=35)),
                    consent=consent,
                    shared_information="氏名、連絡先、これまでの経過の概要",
                    follow_up_on=timezone.localdate(now + dt.timedelta(days=14)),
                ),
            )
            services.referral_mark_sent(referral=referral, by=counsellor)
        if index == count - 1:
            services.case_change_status(
                case=case,
                by=manager,
                to_status=CaseStatus.CLOSED,
                closure_reason=ClosureReason.REFERRED_ON,
                note="就労支援へ移行",
            )
        elif index == count - 2:
            services.case_change_status(
                case=case,
                by=counsellor,
                to_status=CaseStatus.PAUSED,
                paused_until=timezone.localdate(now + dt.timedelta(days=5)),
                note="家族の入院のため一時休止",
            )
    seed_demo_privacy(centre=centre)
    return count


def seed_demo_privacy(*, centre: Centre) -> None:
    """Issue 15 on day one: the manager shares the 要配慮個人情報 of a case without a counsellor
    with the centre's counsellor, and a manager of another centre has broken the glass on one
    case (the log on the security page shows it). Only where none exist yet."""
    counsellor = _user(centre, Role.COUNSELLOR)
    manager = _user(centre, Role.MANAGER)
    unassigned = Case.objects.filter(centre=centre, primary_counsellor__isnull=True).first()
    if counsellor and manager and unassigned and not SensitiveShare.objects.exists():
        services.sensitive_share(case=unassigned, by=manager, user=counsellor)
    outsider = (
        User.objects.filter(role=Role.MANAGER, is_active=True)
        .exclude(centres=centre)
        .order_by("id")
        .first()
    )
    case = Case.objects.filter(centre=centre).order_by("number").first()
    if outsider and case and not BreakGlassGrant.objects.exists():
        grant = services.break_glass_open(
            case=case,
            by=outsider,
            reason="移管の相談を受け、前のセンターでの支援経過を確認するため（デモ）",
        )
        # An old window, long closed: the log shows it, it opens nothing.
        BreakGlassGrant.objects.filter(pk=grant.pk).update(
            created_at=grant.created_at - dt.timedelta(days=3),
            expires_at=grant.created_at - dt.timedelta(days=3) + break_glass_window(),
        )
