"""Community work: recording a lecture, an awareness event, a training or a meeting with other
agencies, editing it (optimistic lock), and linking the cases a meeting discussed.

A case may be discussed only at a meeting of its own centre, and only with a basis for sharing
its information (domain rule 7): the meeting is a statutory support conference (its members
are bound to confidentiality), or the case has a consent to sharing with agencies in force on
the meeting's day. An edit that would leave a linked case without that basis is refused.
Linking and unlinking are on the case's audit trail; neither writes a contact (a meeting about
a person is not a consultation of the person: docs/statistics.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Centre, User
from accounts.services import audit_record, centre_staff
from cases.choices import ConsentScope
from cases.models import Case, Consent
from cases.services import case_audit_record, lock_current
from outreach.models import ACTIVITY_FIELDS, CommunityActivity, DiscussedCase, SharingBasis

_CHECKED_ELSEWHERE = ["centre", "created_by", "updated_by"]


def sharing_consents(day: dt.date) -> Q:
    """Consents to sharing with agencies in force on `day`: `Consent.is_active_on` as a
    filter (tests/outreach pins the two together)."""
    in_force = Q(given_on__lte=day) & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
    return Q(scope=ConsentScope.SHARE_WITH_AGENCY) & in_force


def _basis_refusal(activity: CommunityActivity) -> str | None:
    """Why no case may be discussed at this activity at all, if so."""
    if not activity.is_meeting:
        return _("検討したケースを記録できるのは、支援会議・ネットワーク会議だけです。")
    if not activity.sharing_basis:
        return _(
            "先に、会議で個人情報を共有する根拠（支援会議の法的根拠、または本人・家族の同意）を記録してください。"
        )
    return None


def _check_links_kept(activity: CommunityActivity) -> None:
    """After an edit (under the activity's lock, before it is saved), every linked case still
    has its basis: the activity is still a meeting with a basis, and under consent each case
    has one in force on the (perhaps new) day. Refused on the field that would break it."""
    links = activity.discussions.all()
    if not links.exists():
        return
    if not activity.is_meeting:
        raise ValidationError(
            {"kind": _("検討したケースが記録されている間は、会議以外の種類にできません。")}
        )
    if not activity.sharing_basis:
        raise ValidationError(
            {"sharing_basis": _("検討したケースが記録されている間は、根拠を空欄にできません。")}
        )
    if activity.sharing_basis == SharingBasis.CONSENT:
        consents = Consent.objects.filter(sharing_consents(activity.held_on), case=OuterRef("case"))
        if links.filter(~Exists(consents)).exists():
            raise ValidationError(
                {
                    "sharing_basis": _(
                        "検討したケースの中に、開催日に有効な「関係機関への情報提供」の同意がないケースがあります。"
                    )
                }
            )


@transaction.atomic
def community_activity_create(
    *,
    centre: Centre,
    by: User,
    fields: Mapping[str, Any],
    staff: Iterable[User] = (),
    ip: str | None = None,
) -> CommunityActivity:
    activity = CommunityActivity(centre=centre, created_by=by, updated_by=by, **fields)
    activity.full_clean(exclude=_CHECKED_ELSEWHERE)
    staff = centre_staff(centre, staff, field="staff")
    activity.save()
    activity.staff.set(staff)
    audit_record(user=by, action=AuditAction.CREATE, obj=activity, centre_id=centre.pk, ip=ip)
    return activity


@transaction.atomic
def community_activity_update(
    *,
    activity: CommunityActivity,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int,
    staff: Iterable[User] | None = None,
    ip: str | None = None,
) -> CommunityActivity:
    """Save what changed. Refused (`StaleEdit`) if someone saved the activity since
    `expected_version` was read, and (ValidationError) if a case discussed at it would be
    left without a basis for sharing. Nothing changed is nothing done."""
    current = lock_current(
        CommunityActivity.objects.select_related("centre"), activity.pk, expected_version
    )
    changes = {
        name: value
        for name, value in changes.items()
        if name in ACTIVITY_FIELDS and getattr(current, name) != value
    }
    new_staff = None
    if staff is not None:
        new_staff = centre_staff(current.centre, staff, field="staff")
        if {user.pk for user in new_staff} == set(current.staff.values_list("pk", flat=True)):
            new_staff = None
    if not changes and new_staff is None:
        return current
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean(exclude=_CHECKED_ELSEWHERE)
    _check_links_kept(current)
    current.version += 1
    current.updated_by = by
    current.save()
    if new_staff is not None:
        current.staff.set(new_staff)
    audit_record(
        user=by,
        action=AuditAction.CHANGE,
        obj=current,
        centre_id=current.centre_id,
        ip=ip,
        changed_fields=[*changes, *(["staff"] if new_staff is not None else [])],
    )
    return current


def _lock(activity: CommunityActivity) -> CommunityActivity:
    """The activity as saved, locked: an edit of its kind, day or basis and a change of its
    cases happen one after the other, and the later one sees the earlier."""
    return CommunityActivity.objects.select_for_update().get(pk=activity.pk)


@transaction.atomic
def community_case_link(
    *, activity: CommunityActivity, case: Case, by: User, ip: str | None = None
) -> DiscussedCase:
    """Record that the meeting discussed the case. A case of another centre is refused (never
    linked), as is a meeting without a basis for sharing, or, when the basis is consent, a
    case without a consent to sharing with agencies in force on the meeting's day. Linking a
    case already linked is no change."""
    activity = _lock(activity)
    if case.centre_id != activity.centre_id:
        raise ValidationError(
            {"case_number": _("他のセンターのケースは、この会議に結びつけられません。")}
        )
    refusal = _basis_refusal(activity)
    under_consent = refusal is None and activity.sharing_basis == SharingBasis.CONSENT
    if under_consent and not case.consents.filter(sharing_consents(activity.held_on)).exists():
        refusal = _(
            "%(number)s には、会議の日（%(day)s）に有効な「関係機関への情報提供」の同意がありません。"
        ) % {"number": case.case_number, "day": f"{activity.held_on:%Y-%m-%d}"}
    if refusal is not None:
        raise ValidationError({"case_number": refusal})
    link, created = DiscussedCase.objects.get_or_create(
        activity=activity, case=case, defaults={"added_by": by}
    )
    if created:
        case_audit_record(by=by, action=AuditAction.CREATE, obj=link, case=case, ip=ip)
    return link


@transaction.atomic
def community_case_unlink(
    *, activity: CommunityActivity, case: Case, by: User, ip: str | None = None
) -> bool:
    """Take the case off the meeting (recorded by mistake). False if it was not on it."""
    _lock(activity)
    link = DiscussedCase.objects.filter(activity=activity, case=case).first()
    if link is None:
        return False
    # Audited first: the event names the link's id, which the delete takes away.
    case_audit_record(by=by, action=AuditAction.DELETE, obj=link, case=case, ip=ip)
    link.delete()
    return True
