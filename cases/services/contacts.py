"""The contact log: the one timeline of contact with a case, whatever app writes it (a
consultation, a home visit, ibasho attendance, a family class)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from accounts.models import AuditAction, User
from cases.choices import ContactSource
from cases.models import Case, ContactEntry
from cases.services.audit import case_audit_change, case_audit_record, case_audit_records
from cases.services.silence_clock import case_two_way_contact, case_two_way_contact_withdrawn


@transaction.atomic
def contact_record(
    *,
    case: Case,
    by: User,
    fields: Mapping[str, Any],
    source: str = ContactSource.MANUAL,
    ip: str | None = None,
) -> ContactEntry:
    """Log a contact. A two-way contact resets the silence clock in the same transaction; a
    one-way attempt (letter left, no answer) is logged but does not."""
    values = {"staff": by, **fields}
    entry = ContactEntry(
        case=case, centre_id=case.centre_id, created_by=by, source=source, **values
    )
    entry.full_clean(exclude=["case", "centre", "created_by", "staff"])
    entry.save()
    if entry.two_way:
        case_two_way_contact(case=case, at=entry.occurred_at)
    case_audit_record(by=by, action=AuditAction.CREATE, obj=entry, case=case, ip=ip)
    return entry


@transaction.atomic
def contact_retract(*, entry: ContactEntry, by: User, ip: str | None = None) -> None:
    """Take back a contact that a correction shows never happened (a family-class attendance
    corrected to absent). The deletion is on the audit trail, and the silence clock goes back
    as if the contact had never been recorded."""
    case = entry.case
    case_audit_record(by=by, action=AuditAction.DELETE, obj=entry, case=case, ip=ip)
    occurred_at, two_way = entry.occurred_at, entry.two_way
    entry.delete()
    if two_way:
        case_two_way_contact_withdrawn(case=case, at=occurred_at)


@transaction.atomic
def contact_correct(
    *, entry: ContactEntry, by: User, changes: Mapping[str, Any], ip: str | None = None
) -> ContactEntry:
    """Correct a contact that another record wrote (an ibasho attendance whose times were
    corrected): the silence clock follows as if it had been recorded so in the first place."""
    old_at, old_two_way = entry.occurred_at, entry.two_way
    for name, value in changes.items():
        setattr(entry, name, value)
    entry.full_clean(exclude=["case", "centre", "created_by", "staff"])
    entry.save()
    if old_two_way and (entry.occurred_at != old_at or not entry.two_way):
        case_two_way_contact_withdrawn(case=entry.case, at=old_at)
    if entry.two_way:
        case_two_way_contact(case=entry.case, at=entry.occurred_at)
    case_audit_change(by=by, obj=entry, case=entry.case, ip=ip, fields=changes.keys())
    return entry


@transaction.atomic
def contact_record_many(
    *,
    contacts: Sequence[tuple[Case, Mapping[str, Any]]],
    by: User,
    source: str = ContactSource.MANUAL,
    ip: str | None = None,
) -> list[ContactEntry]:
    """contact_record for many contacts at once (a centre's spreadsheet imported): each entry
    checked as contact_record checks it (its check constraints by the database, on the one
    INSERT: an entry refused there refuses the batch), the silence clock moved once per
    case to its latest two-way contact (the clock only moves forward, so that is where one
    call per contact would leave it), every entry audited. tests/records/
    test_import_bulk_agrees.py pins the result to contact_record's, contact by contact."""
    entries = []
    for case, fields in contacts:
        values = {"staff": by, **fields}
        entry = ContactEntry(
            case=case, centre_id=case.centre_id, created_by=by, source=source, **values
        )
        entry.full_clean(
            exclude=["case", "centre", "created_by", "staff"], validate_constraints=False
        )
        entries.append(entry)
    ContactEntry.objects.bulk_create(entries)
    latest: dict[int, ContactEntry] = {}
    for entry in entries:
        if entry.two_way and (
            entry.case_id not in latest or latest[entry.case_id].occurred_at < entry.occurred_at
        ):
            latest[entry.case_id] = entry
    for case_id in sorted(latest):  # row locks always taken in one order
        case_two_way_contact(case=latest[case_id].case, at=latest[case_id].occurred_at)
    case_audit_records(
        by=by, action=AuditAction.CREATE, objs=[(entry, entry.case) for entry in entries], ip=ip
    )
    return entries
