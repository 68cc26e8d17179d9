"""The family sheet: one row per member of a case's household (a mother named on the rows of
two withdrawn siblings is one member, when the sheet gives her a number of her own). Written
through `families.services` (member_add, member_link, member_update, link_update), so the
household's rules (one centre, one main contact, the computed 80/50 flag) and the audit trail
apply as for a member added by hand."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case
from families import services as family_services
from families.models import FamilyMember, HouseholdLink
from records.importing import normalise as n
from records.importing.base import (
    Action,
    Cells,
    Planned,
    PlannerBase,
    digest,
    external_key,
    field_labels,
    full_clean,
    refuse_validation,
    require,
    write_each,
)
from records.importing.targets import FAMILY, target
from records.models import ImportedKey, ImportJob

ALIASES = {
    "full_name": ("family_name", "given_name"),
    "full_name_kana": ("family_name_kana", "given_name_kana"),
    "age": ("birth_year",),
}
LINK_FIELDS = ("relation", "lives_with_person", "person_aware", "is_primary_contact")
LIVES_WITH = ("同居", "同居中", "同")
LIVES_APART = ("別居", "別居中", "別")


class FamilyPlanner(PlannerBase):
    shape = FAMILY

    def __init__(
        self, *, job: ImportJob, columns: dict[int, str], headers: list[str], dry_run: bool
    ) -> None:
        super().__init__(job=job, columns=columns, headers=headers, dry_run=dry_run)
        # Member keys met in this file (the first row of each), and (case, member) pairs.
        self.members_seen: dict[str, int] = {}
        self.pairs_seen: dict[tuple[int, str], int] = {}

    def plan_chunk(self, rows: Sequence[tuple[int, list[Any]]]) -> list[Planned]:
        return [self.plan(line, row) for line, row in rows]

    def values(self, cells: Cells) -> tuple[dict[str, Any], dict[str, Any]]:
        member: dict[str, Any] = {}
        if full := cells.read("full_name", n.split_name):
            member.update(
                {k: v for k, v in zip(("family_name", "given_name"), full, strict=True) if v}
            )
        if full_kana := cells.read("full_name_kana", lambda v: n.split_name(n.kana(v))):
            member.update(
                {
                    k: v
                    for k, v in zip(("family_name_kana", "given_name_kana"), full_kana, strict=True)
                    if v
                }
            )
        for name in ("family_name", "given_name"):
            if text := cells.text(name):
                member[name] = text
        for name in ("family_name_kana", "given_name_kana"):
            if furigana := cells.read(name, n.kana):
                member[name] = furigana
        parsers = {
            "birth_date": n.day,
            "birth_year": n.birth_year,
            "age": lambda v: timezone.localdate().year - n.whole_number(v, suffixes=("歳", "才")),
            "phone": n.phone,
            "contact_consent": n.yes_no,
            "status": lambda v: n.MEMBER_STATUS(v, field=target(FAMILY, "status").label),
            "status_since": n.day,
        }
        for key, parse in parsers.items():
            value = cells.read(key, parse)
            if value is not None:
                member[{"age": "birth_year"}.get(key, key)] = value
        if not cells.blank("health_notes"):
            member["health_notes"] = str(cells.raw("health_notes")).strip()
        link: dict[str, Any] = {}
        words = {
            "relation": lambda v: n.RELATION(v, field=target(FAMILY, "relation").label),
            "lives_with_person": lambda v: n.yes_no(v, yes=LIVES_WITH, no=LIVES_APART),
            "person_aware": lambda v: n.PERSON_AWARE(v, field=target(FAMILY, "person_aware").label),
            "is_primary_contact": n.yes_no,
        }
        for key, parse in words.items():
            value = cells.read(key, parse)
            if value is not None:
                link[key] = value
        return member, link

    def plan(self, line: int, row: list[Any]) -> Planned:
        planned = Planned(line)
        cells = Cells(row, self.columns, self.headers, planned)
        present = [require(cells, target(FAMILY, key)) for key in ("case", "relation")]
        case_id = cells.read("case", self.refs.find)
        member_values, link_values = self.values(cells)
        if not all(present) or planned.action == Action.INVALID or case_id is None:
            planned.action = Action.INVALID
            return planned
        if not cells.blank("external_id"):
            key = "id:" + external_key(cells.raw("external_id"))
        else:
            key = "auto:" + digest(
                case_id,
                link_values["relation"],
                member_values.get("family_name", ""),
                member_values.get("given_name", ""),
            )
        if (case_id, key) in self.pairs_seen:
            planned.refuse(
                "",
                _("この家族は%(line)s行目にも同じケースで書かれています。")
                % {"line": self.pairs_seen[case_id, key]},
            )
            return planned
        self.pairs_seen[case_id, key] = line
        planned.key = key
        planned.values = member_values
        planned.extra = {"case_id": case_id, "link": link_values}
        labels = field_labels(FAMILY, cells.headers, ALIASES)
        member_id = (
            ImportedKey.objects.filter(centre=self.centre, shape=FAMILY, key=key)
            .values_list("object_id", flat=True)
            .first()
        )
        if member_id is None and key in self.members_seen:
            # Added by an earlier row of this file: this row puts her in another household.
            planned.extra["member_from_line"] = self.members_seen[key]
            self._check_link(planned, labels)
            return planned
        self.members_seen.setdefault(key, line)
        if member_id is None:
            self._check_new(planned, labels)
            return planned
        member = FamilyMember.objects.filter(pk=member_id, centre=self.centre).first()
        if member is None:
            planned.refuse("", _("この行の家族はつなぐで削除されています。取り込みません。"))
            return planned
        self._plan_known(planned, member, labels)
        return planned

    def _plan_known(self, planned: Planned, member: FamilyMember, labels: dict[str, str]) -> None:
        planned.obj = member
        link = HouseholdLink.objects.filter(case_id=planned.extra["case_id"], member=member).first()
        member_changes = {k: v for k, v in planned.values.items() if _current(member, k) != v}
        if member_changes:
            trial = copy.copy(member)
            for name, value in member_changes.items():
                setattr(trial, name, value)
            self._clean(planned, trial, None, labels)
        planned.values = member_changes
        if link is None:
            if planned.action != Action.INVALID:
                planned.action = Action.CREATE  # a new place in a household
            self._check_link(planned, labels)
            return
        link_changes = {k: v for k, v in planned.extra["link"].items() if getattr(link, k) != v}
        planned.extra.update(link_obj=link, link=link_changes)
        if planned.action == Action.INVALID:
            return
        planned.action = Action.UPDATE if member_changes or link_changes else Action.UNCHANGED
        if link_changes:
            trial_link = copy.copy(link)
            for name, value in link_changes.items():
                setattr(trial_link, name, value)
            self._clean(planned, None, trial_link, labels)

    def _check_new(self, planned: Planned, labels: dict[str, str]) -> None:
        member = FamilyMember(centre=self.centre, created_by=self.job.created_by, **planned.values)
        self._clean(planned, member, None, labels)
        self._check_link(planned, labels)

    def _check_link(self, planned: Planned, labels: dict[str, str]) -> None:
        link = HouseholdLink(
            case_id=planned.extra["case_id"],
            created_by=self.job.created_by,
            **planned.extra["link"],
        )
        self._clean(planned, None, link, labels)

    def _clean(
        self,
        planned: Planned,
        member: FamilyMember | None,
        link: HouseholdLink | None,
        labels: dict[str, str],
    ) -> None:
        """The checks the families services run (full_clean of the member and of the link)."""
        try:
            if member is not None:
                full_clean(member, exclude=["centre", "created_by", "contact_consent_recorded_by"])
            if link is not None:
                full_clean(link, exclude=["case", "member", "created_by"])
        except ValidationError as error:
            refuse_validation(planned, error, labels)

    def write_many(self, planned_rows: Sequence[Planned], *, by: User, ip: str | None) -> None:
        write_each(self, planned_rows, by=by, ip=ip)

    def write(self, planned: Planned, *, by: User, ip: str | None) -> None:
        case = Case.objects.select_related("centre").get(pk=planned.extra["case_id"])
        link_values = planned.extra["link"]
        if (
            planned.action == Action.CREATE
            and planned.obj is None
            and "member_from_line" not in planned.extra
        ):
            member = family_services.member_add(
                case=case, by=by, fields=planned.values, link_fields=link_values, ip=ip
            )
            ImportedKey.objects.create(
                centre=self.centre, shape=FAMILY, key=planned.key, object_id=member.pk, job=self.job
            )
            return
        member = planned.obj
        if member is None:  # written by an earlier row of this file
            member_id = ImportedKey.objects.get(
                centre=self.centre, shape=FAMILY, key=planned.key
            ).object_id
            member = FamilyMember.objects.get(pk=member_id)
        changes = {k: v for k, v in planned.values.items() if _current(member, k) != v}
        if changes:
            member = family_services.member_update(
                member=member, by=by, changes=changes, expected_version=member.version, ip=ip
            )
        if planned.action == Action.CREATE:
            family_services.member_link(member=member, case=case, by=by, fields=link_values, ip=ip)
        elif link_values:
            family_services.link_update(
                link=planned.extra["link_obj"], by=by, changes=link_values, ip=ip
            )


def _current(member: FamilyMember, name: str) -> Any:
    if name == "phone":
        return str(member.phone.as_e164) if member.phone else ""
    return getattr(member, name)
