"""Every write to a household or a family programme goes through these functions. They keep the
household's rules (one centre, consent before the centre calls, the computed 80/50 flag) and
audit each write on every case it touches, like the case file's own writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Centre, User
from accounts.services import audit_record, centre_staff
from cases import services as case_services
from cases.choices import Channel, ContactSource, Counterpart
from cases.models import Case, ContactEntry
from families import risk_8050
from families.models import (
    AttendanceStatus,
    ContingencyPlan,
    Enrolment,
    FamilyMember,
    FamilyProgramme,
    HouseholdLink,
    MemberContact,
    MemberStatus,
    ProgrammeAttendance,
    ProgrammeSession,
    SessionContact,
)

# Channels by which the centre reaches out to someone: only to a member who has consented.
OUTBOUND_CHANNELS = frozenset({Channel.PHONE, Channel.LETTER, Channel.HOME_VISIT, Channel.EMAIL})


def _source_language(label: Any) -> str:
    """A choice label as the record keeps it, in the centre's language, whoever is signed in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(label())


def _linked_cases(member: FamilyMember) -> list[Case]:
    return _links_by_member([member.pk]).get(member.pk, [])


def _audit_on_cases(
    *,
    by: User,
    action: AuditAction,
    obj: Any,
    cases: Iterable[Case],
    ip: str | None,
    fields: Iterable[str] = (),
) -> None:
    for case in cases:
        case_services.case_audit_record(
            by=by, action=action, obj=obj, case=case, ip=ip, changed_fields=fields
        )


def _apply_consent(member: FamilyMember, *, by: User, on: dt.date | None) -> None:
    """Who recorded the consent (or its withdrawal), and when it was given."""
    member.contact_consent_recorded_by = by
    member.contact_consent_on = on or timezone.localdate()


# --- the household ---------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *,
    case: Case,
    by: User,
    fields: Mapping[str, Any],
    link_fields: Mapping[str, Any],
    ip: str | None = None,
) -> FamilyMember:
    """A new member of the case's household (of the case's centre)."""
    member = FamilyMember(centre=case.centre, created_by=by, **fields)
    if member.contact_consent or member.contact_consent_on:
        _apply_consent(member, by=by, on=member.contact_consent_on)
    member.search_text = case_services.name_search_text(member)
    member.full_clean(exclude=["centre", "created_by", "contact_consent_recorded_by"])
    member.save()
    case_services.case_audit_record(by=by, action=AuditAction.CREATE, obj=member, case=case, ip=ip)
    member_link(member=member, case=case, by=by, fields=link_fields, ip=ip)
    return member


def _lock_household(case: Case) -> None:
    """Household writes of one case one at a time: two submits of the same link, or two
    choices of the main contact, can't both pass their checks."""
    Case.objects.select_for_update(of=("self",)).filter(pk=case.pk).first()


def _save_link(link: HouseholdLink) -> None:
    """A case has one main contact: choosing a new one takes the mark off the previous."""
    if link.is_primary_contact:
        HouseholdLink.objects.filter(case_id=link.case_id, is_primary_contact=True).exclude(
            pk=link.pk
        ).update(is_primary_contact=False)
    link.save()


@transaction.atomic
def member_link(
    *,
    member: FamilyMember,
    case: Case,
    by: User,
    fields: Mapping[str, Any],
    ip: str | None = None,
) -> HouseholdLink:
    """Put a member in a case's household: a new one, or one already in the household of
    another case of the same centre (two withdrawn siblings, one mother)."""
    if member.centre_id != case.centre_id:
        raise ValidationError(_("他のセンターの家族は登録できません。"))
    _lock_household(case)  # a double submit waits here, then finds the link made
    if HouseholdLink.objects.filter(case=case, member=member).exists():
        raise ValidationError(_("この家族はすでにこのケースの世帯に登録されています。"))
    link = HouseholdLink(case=case, member=member, created_by=by, **fields)
    link.full_clean(exclude=["case", "member", "created_by"])
    _save_link(link)
    case_services.case_audit_record(by=by, action=AuditAction.CREATE, obj=link, case=case, ip=ip)
    risk_8050.refresh(case_ids=[case.pk])
    _resync_member_sessions(member, by=by, ip=ip)
    return link


@transaction.atomic
def member_update(
    *,
    member: FamilyMember,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int,
    ip: str | None = None,
) -> FamilyMember:
    """Save edited fields if nobody saved the member since `expected_version` was read. A
    change of consent records who recorded it and when; a death or a move is a status with
    its date (the member and their history stay)."""
    current = case_services.lock_current(FamilyMember.objects.all(), member.pk, expected_version)
    for name, value in changes.items():
        setattr(current, name, value)
    if "contact_consent" in changes:
        _apply_consent(current, by=by, on=changes.get("contact_consent_on"))
    current.search_text = case_services.name_search_text(current)
    current.version += 1
    current.full_clean(exclude=["centre", "created_by", "contact_consent_recorded_by"])
    current.save()
    cases = _linked_cases(current)
    _audit_on_cases(
        by=by, action=AuditAction.CHANGE, obj=current, cases=cases, ip=ip, fields=changes.keys()
    )
    if {"birth_date", "birth_year", "status"} & set(changes):
        risk_8050.refresh(case_ids=[case.pk for case in cases])
    return current


@transaction.atomic
def household_member_update(
    *,
    link: HouseholdLink,
    by: User,
    member_changes: Mapping[str, Any],
    link_changes: Mapping[str, Any],
    expected_version: int,
    ip: str | None = None,
) -> FamilyMember:
    """One edit form, two records: the member's own details (optimistically locked) and how
    they stand to this case's person."""
    member = member_update(
        member=link.member,
        by=by,
        changes=member_changes,
        expected_version=expected_version,
        ip=ip,
    )
    if link_changes:
        link_update(link=link, by=by, changes=link_changes, ip=ip)
    return member


@transaction.atomic
def link_update(
    *, link: HouseholdLink, by: User, changes: Mapping[str, Any], ip: str | None = None
) -> HouseholdLink:
    _lock_household(link.case)
    for name, value in changes.items():
        setattr(link, name, value)
    link.full_clean(exclude=["case", "member", "created_by"])
    _save_link(link)
    case_services.case_audit_record(
        by=by, action=AuditAction.CHANGE, obj=link, case=link.case, ip=ip, changed_fields=changes
    )
    if {"relation", "lives_with_person"} & set(changes):
        risk_8050.refresh(case_ids=[link.case_id])
    return link


@transaction.atomic
def member_unlink(*, link: HouseholdLink, by: User, ip: str | None = None) -> None:
    """Take a member out of a case's household when the link was a mistake (the wrong case,
    a duplicate). A member with contacts about this case stays: their history is kept, and
    a death or a move is a status instead."""
    if MemberContact.objects.filter(
        member_id=link.member_id, contact__case_id=link.case_id
    ).exists():
        raise ValidationError(
            _(
                "この家族との相談記録があるため、世帯から外せません。"
                "亡くなった・転出した場合は、状況を変更してください。"
            )
        )
    case = link.case
    case_services.case_audit_record(by=by, action=AuditAction.DELETE, obj=link, case=case, ip=ip)
    link.delete()
    risk_8050.refresh(case_ids=[case.pk])
    _resync_member_sessions(link.member, by=by, ip=ip)  # its family-class contacts go too


def member_sensitive_view_record(
    *, member: FamilyMember, case: Case, by: User, ip: str | None = None
) -> None:
    """Seeing a member's health and care notes is seeing the case's sensitive data: recorded
    as such (view_sensitive), apart from opening the case or the member's page."""
    case_services.case_audit_record(
        by=by, action=AuditAction.VIEW_SENSITIVE, obj=member, case=case, ip=ip
    )


# --- contacts with a member -----------------------------------------------------------------


def check_may_contact(member: FamilyMember, *, channel: str, outbound: bool) -> None:
    """The centre reaches out only to a member who consented, and never to one who died."""
    if not member.is_present and outbound:
        raise ValidationError(
            {"member": _("この家族は死亡・転出として記録されています。連絡先に選べません。")}
        )
    if outbound and channel in OUTBOUND_CHANNELS and not member.contact_consent:
        raise ValidationError(
            {
                "member": _(
                    "この家族はセンターからの連絡に同意していません。"
                    "センターからの電話・手紙・訪問・メールの相手には選べません。"
                    "家族から電話や来所があった記録なら、「センターから連絡した」を外してください。"
                )
            }
        )


@transaction.atomic
def member_contact_record(
    *,
    case: Case,
    member: FamilyMember,
    by: User,
    fields: Mapping[str, Any],
    outbound: bool,
    ip: str | None = None,
) -> ContactEntry:
    """A contact with one member of the case's household, written to the case's contact log
    (it moves the silence clock like any two-way contact with the family)."""
    link = HouseholdLink.objects.filter(case=case, member=member).first()
    if link is None:
        raise ValidationError({"member": _("このケースの世帯の家族を選んでください。")})
    check_may_contact(member, channel=fields.get("channel", ""), outbound=outbound)
    relation = _source_language(link.get_relation_display)  # kept as written: 「母」
    values = {"counterpart": Counterpart.FAMILY, "counterpart_detail": relation, **fields}
    entry = case_services.contact_record(case=case, by=by, fields=values, ip=ip)
    member_contact_link(contact=entry, member=member, outbound=outbound)
    return entry


def member_contact_link(
    *, contact: ContactEntry, member: FamilyMember, outbound: bool
) -> MemberContact:
    """Name the member a contact already in the log was with (the caller of an intake)."""
    if not HouseholdLink.objects.filter(case_id=contact.case_id, member=member).exists():
        raise ValidationError({"member": _("このケースの世帯の家族を選んでください。")})
    return MemberContact.objects.create(contact=contact, member=member, outbound=outbound)


# --- the contingency plan (80/50) ------------------------------------------------------------


@transaction.atomic
def contingency_plan_save(
    *,
    case: Case,
    by: User,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
    ip: str | None = None,
) -> ContingencyPlan:
    _lock_household(case)  # the first save of two at once: the second finds the first
    existing = ContingencyPlan.objects.filter(case=case).first()
    if existing is None:
        plan = ContingencyPlan(case=case, updated_by=by, **fields)
        plan.full_clean(exclude=["case", "updated_by"])
        plan.save()
        case_services.case_audit_record(
            by=by, action=AuditAction.CREATE, obj=plan, case=case, ip=ip
        )
        return plan
    plan = case_services.lock_current(ContingencyPlan.objects.all(), existing.pk, expected_version)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.updated_by = by
    plan.version += 1
    plan.full_clean(exclude=["case", "updated_by"])
    plan.save()
    case_services.case_audit_change(by=by, obj=plan, case=case, ip=ip, fields=fields.keys())
    return plan


# --- family programmes ------------------------------------------------------------------------


@transaction.atomic
def programme_create(
    *,
    centre: Centre,
    by: User,
    fields: Mapping[str, Any],
    facilitators: Iterable[User],
    sessions: Iterable[Mapping[str, Any]] = (),
    ip: str | None = None,
) -> FamilyProgramme:
    programme = FamilyProgramme(centre=centre, created_by=by, **fields)
    programme.full_clean(exclude=["centre", "created_by"])
    sessions = list(sessions)
    programme.check_sessions_within(session["starts_at"] for session in sessions)
    programme.save()
    programme.facilitators.set(centre_staff(centre, facilitators, field="facilitators"))
    for session in sessions:
        ProgrammeSession.objects.create(programme=programme, **session)
    audit_record(user=by, action=AuditAction.CREATE, obj=programme, centre_id=centre.pk, ip=ip)
    return programme


@transaction.atomic
def programme_update(
    *,
    programme: FamilyProgramme,
    by: User,
    fields: Mapping[str, Any],
    facilitators: Iterable[User],
    expected_version: int,
    ip: str | None = None,
) -> FamilyProgramme:
    """New dates, title, capacity or facilitators, if nobody saved the programme since
    `expected_version` was read. The sessions already planned must still fall within the
    dates (a course that runs longer is extended first)."""
    programme = case_services.lock_current(
        FamilyProgramme.objects.all(), programme.pk, expected_version
    )
    programme.version += 1
    for name, value in fields.items():
        setattr(programme, name, value)
    programme.full_clean(exclude=["centre", "created_by"])
    programme.check_sessions_within(programme.sessions.values_list("starts_at", flat=True))
    programme.save()
    programme.facilitators.set(centre_staff(programme.centre, facilitators, field="facilitators"))
    audit_record(
        user=by,
        action=AuditAction.CHANGE,
        obj=programme,
        centre_id=programme.centre_id,
        ip=ip,
        changed_fields=[*fields, "facilitators"],
    )
    return programme


@transaction.atomic
def programme_session_add(
    *, programme: FamilyProgramme, by: User, fields: Mapping[str, Any], ip: str | None = None
) -> ProgrammeSession:
    """A one-off extra session (a make-up class, a follow-up meeting)."""
    session = ProgrammeSession(programme=programme, **fields)
    session.full_clean(exclude=["programme"])
    programme.check_sessions_within([session.starts_at])
    session.save()
    audit_record(
        user=by,
        action=AuditAction.CREATE,
        obj=session,
        centre_id=programme.centre_id,
        ip=ip,
    )
    return session


def weekly_sessions(
    *, first_start: dt.datetime, minutes: int, count: int, place: str = ""
) -> list[dict[str, Any]]:
    """A weekly series in one step: the same weekday and time, `count` weeks running (in Tokyo
    time, so a session stays at 14:00 whatever UTC says)."""
    local = timezone.localtime(first_start)
    starts = [local + dt.timedelta(weeks=week) for week in range(count)]
    return [
        {"starts_at": start, "ends_at": start + dt.timedelta(minutes=minutes), "place": place}
        for start in starts
    ]


@transaction.atomic
def programme_enrol(
    *, programme: FamilyProgramme, member: FamilyMember, by: User, ip: str | None = None
) -> Enrolment:
    if member.centre_id != programme.centre_id:
        raise ValidationError(_("他のセンターの家族は登録できません。"))
    if member.status == MemberStatus.DECEASED:
        raise ValidationError(_("亡くなった家族は登録できません。"))
    # Enrolments one at a time, so two at the last place can't both take it.
    FamilyProgramme.objects.select_for_update().filter(pk=programme.pk).first()
    if programme.capacity and programme.members.count() >= programme.capacity:
        raise ValidationError(_("定員に達しています。"))
    enrolment, created = Enrolment.objects.get_or_create(
        programme=programme, member=member, defaults={"enrolled_by": by}
    )
    if created:
        _audit_on_cases(
            by=by, action=AuditAction.CREATE, obj=enrolment, cases=_linked_cases(member), ip=ip
        )
    return enrolment


@transaction.atomic
def attendance_save(
    *,
    session: ProgrammeSession,
    by: User,
    marks: Mapping[int, tuple[str, str]],
    seen: Mapping[int, tuple[str, str]] | None = None,
    ip: str | None = None,
) -> None:
    """The register of one session: {member id: (status, note)} for the rows the user
    changed. Each case of a member who attended gets one two-way contact with the family for
    the session (the silence clock resets once, however many of its members came and however
    often the register is saved); a correction that leaves a case with nobody attending
    takes its contact back.

    `seen` is what the user's page showed for those rows ("" for none yet): a row saved by
    someone else since (another tablet) is not overwritten: StaleEdit, nothing saved."""
    # One register saved at a time (two tablets): the second waits and then sees the first.
    session = (
        ProgrammeSession.objects.select_for_update().select_related("programme").get(pk=session.pk)
    )
    if not session.register_is_open():
        raise ValidationError(_("まだ始まっていない回の出欠は記録できません。"))
    enrolled = set(
        Enrolment.objects.filter(programme_id=session.programme_id).values_list(
            "member_id", flat=True
        )
    )
    if set(marks) - enrolled:
        raise ValidationError(_("このプログラムに登録されていない家族が含まれています。"))
    existing = {a.member_id: a for a in ProgrammeAttendance.objects.filter(session=session)}
    if seen is not None:
        now_shown = {
            member_id: (row.status, row.note) if (row := existing.get(member_id)) else ("", "")
            for member_id in marks
        }
        if any(now_shown[member_id] != seen.get(member_id, ("", "")) for member_id in marks):
            raise case_services.StaleEdit
    links = _links_by_member(marks)
    for member_id, (status, note) in marks.items():
        if status not in AttendanceStatus.values:
            raise ValidationError(_("出欠を選んでください。"))
        row = existing.get(member_id)
        if row is None:
            row = ProgrammeAttendance.objects.create(
                session=session, member_id=member_id, status=status, note=note, recorded_by=by
            )
        elif (row.status, row.note) != (status, note):
            row.status, row.note, row.recorded_by = status, note, by
            row.save(update_fields=["status", "note", "recorded_by", "recorded_at"])
        else:
            continue
        _audit_on_cases(
            by=by,
            action=AuditAction.CHANGE if member_id in existing else AuditAction.CREATE,
            obj=row,
            cases=links.get(member_id, []),
            ip=ip,
        )
    _sync_session_contacts(session=session, by=by, ip=ip)


def _links_by_member(member_ids: Iterable[int]) -> dict[int, list[Case]]:
    """Each member's cases, for all of them in one query."""
    cases: dict[int, list[Case]] = {}
    for link in HouseholdLink.objects.filter(member_id__in=list(member_ids)).select_related(
        "case__centre"
    ):
        cases.setdefault(link.member_id, []).append(link.case)
    return cases


def _resync_member_sessions(member: FamilyMember, *, by: User, ip: str | None) -> None:
    """The member joined or left a household: the family-class contacts of every session
    they attended follow (one per case and session, written or taken back)."""
    for session in ProgrammeSession.objects.filter(
        attendance__member=member, attendance__status=AttendanceStatus.ATTENDED
    ).select_related("programme"):
        _sync_session_contacts(session=session, by=by, ip=ip)


def _sync_session_contacts(*, session: ProgrammeSession, by: User, ip: str | None) -> None:
    attended_cases = set(
        HouseholdLink.objects.filter(
            member__attendance__session=session,
            member__attendance__status=AttendanceStatus.ATTENDED,
        ).values_list("case_id", flat=True)
    )
    recorded = {sc.case_id: sc for sc in SessionContact.objects.filter(session=session)}
    programme = session.programme
    for case in Case.objects.filter(pk__in=attended_cases - set(recorded)).select_related("centre"):
        entry = case_services.contact_record(
            case=case,
            by=by,
            fields={
                "occurred_at": session.starts_at,
                "duration_minutes": int((session.ends_at - session.starts_at).seconds // 60),
                "channel": Channel.FAMILY_CLASS,
                "counterpart": Counterpart.FAMILY,
                "counterpart_detail": _source_language(programme.get_kind_display)[:60],
                "two_way": True,
            },
            source=ContactSource.FAMILY_CLASS,
            ip=ip,
        )
        SessionContact.objects.create(session=session, case=case, contact=entry)
    for case_id in set(recorded) - attended_cases:
        case_services.contact_retract(entry=recorded[case_id].contact, by=by, ip=ip)


# --- retention (APPI) -------------------------------------------------------------------------

# A member's personal details: blanked once no case they belong to is kept any longer.
MEMBER_BLANKED_FIELDS: tuple[str, ...] = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "search_text",
    "phone",
    "health_notes",
)


def household_blank_personal_data(*, case: Case) -> dict[str, int]:
    """A case's household after its retention period (records.retention): the members
    linked only to this case (or to cases already disposed of) lose their personal data and
    their attendance notes; a member shared with another case still kept keeps theirs. The
    contingency plan goes. The links, contacts and family-class attendance stay: the
    statistics count them. Runs inside the caller's transaction."""
    kept_elsewhere = HouseholdLink.objects.filter(
        member_id=OuterRef("member_id"), case__disposed_at__isnull=True
    ).exclude(case=case)
    member_ids = list(
        HouseholdLink.objects.filter(case=case)
        .exclude(Exists(kept_elsewhere))
        .values_list("member_id", flat=True)
    )
    blanked = FamilyMember.objects.filter(pk__in=member_ids).update(
        **dict.fromkeys(MEMBER_BLANKED_FIELDS, ""), birth_date=None, birth_year=None
    )
    return {
        "family_members": blanked,
        "family_attendance_notes": ProgrammeAttendance.objects.filter(member_id__in=member_ids)
        .exclude(note="")
        .update(note=""),
        "contingency_plans": ContingencyPlan.objects.filter(case=case).delete()[0],
    }
