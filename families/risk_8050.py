"""The 80/50 household (8050問題, domain rule 6): a parent (father or mother) aged at least the
centre's `elderly_parent_age` lives with the person, or the person is at least its
`senior_person_age`. Computed, never typed.

`reasons()` is the definition, in Python, with the words shown on the case header
("母 82歳・同居"). `refresh()` computes the same flag for many cases at once in SQL (after a
household change, and daily as people age); tests/families/test_risk_8050.py runs both on
the same households and requires the same answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import AgeBand
from cases.models import AGE_BAND_FLOOR, Case
from families.models import PARENT_RELATIONS, HouseholdLink, MemberStatus


def reasons(
    case: Case, links: Iterable[HouseholdLink], *, today: dt.date | None = None
) -> list[str]:
    """Why the case is an 80/50 household, one phrase per reason; empty when it is not.
    `links` are the case's household links with their members loaded."""
    today = today or timezone.localdate()
    centre = case.centre
    found: list[str] = []
    person_age = case.age_on(today)
    if person_age is not None:
        if person_age >= centre.senior_person_age:
            found.append(_("本人 %(age)s歳") % {"age": person_age})
    elif AGE_BAND_FLOOR.get(case.age_band, -1) >= centre.senior_person_age:
        found.append(_("本人 %(band)s") % {"band": AgeBand(case.age_band).label})
    parents = [link for link in links if link.relation in PARENT_RELATIONS]
    for link in parents:
        member = link.member
        age = member.age_on(today)
        if (
            link.lives_with_person
            and member.status == MemberStatus.ACTIVE
            and age is not None
            and age >= centre.elderly_parent_age
        ):
            found.append(
                _("%(relation)s %(age)s歳・同居")
                % {"relation": link.get_relation_display(), "age": age}
            )
    parent_ages_known = any(link.member.age_on(today) is not None for link in parents)
    if not found and case.risk_8050_unverified and not parent_ages_known:
        found.append(_("手入力（親の年齢が未登録）"))
    return found


# The same rule for many cases in one statement. Values come in as parameters.
_REFRESH_SQL = """
WITH computed AS (
    SELECT c.id,
           (
               -- the person, by birth date, or by age band when it is unknown
               (c.birth_date IS NOT NULL
                AND c.birth_date <= (%(today)s::date
                                     - make_interval(years => ce.senior_person_age))::date)
            OR (c.birth_date IS NULL
                AND EXISTS (SELECT 1 FROM unnest(%(bands)s::text[], %(floors)s::int[])
                                       AS band(name, floor)
                             WHERE band.name = c.age_band AND band.floor >= ce.senior_person_age))
               -- a parent living with the person, present, old enough (by the year alone:
               -- the age reached this year)
            OR EXISTS (
                SELECT 1
                  FROM families_householdlink l
                  JOIN families_familymember m ON m.id = l.member_id
                 WHERE l.case_id = c.id AND l.relation = ANY(%(parents)s::text[])
                   AND l.lives_with_person AND m.status = %(present)s
                   AND ((m.birth_date IS NOT NULL
                         AND m.birth_date <= (%(today)s::date
                                              - make_interval(years => ce.elderly_parent_age))::date)
                     OR (m.birth_date IS NULL AND m.birth_year IS NOT NULL
                         AND extract(year FROM %(today)s::date)::int - m.birth_year
                             >= ce.elderly_parent_age)))
               -- a box ticked before households were recorded, until a parent's age is known
            OR (c.risk_8050_unverified AND NOT EXISTS (
                SELECT 1
                  FROM families_householdlink l
                  JOIN families_familymember m ON m.id = l.member_id
                 WHERE l.case_id = c.id AND l.relation = ANY(%(parents)s::text[])
                   AND (m.birth_date IS NOT NULL OR m.birth_year IS NOT NULL)))
           ) AS flag
      FROM cases_case c
      JOIN accounts_centre ce ON ce.id = c.centre_id
     WHERE %(all)s OR c.id = ANY(%(case_ids)s::bigint[])
)
UPDATE cases_case c
   SET risk_8050 = computed.flag
  FROM computed
 WHERE c.id = computed.id AND c.risk_8050 IS DISTINCT FROM computed.flag
"""


def refresh(*, case_ids: Sequence[int] | None = None, today: dt.date | None = None) -> int:
    """Recompute the flag of these cases (all when None) as of `today`; returns how many
    changed. Only changed rows are written, so the daily run over every case is cheap."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            _REFRESH_SQL,
            {
                "today": today,
                "bands": list(AGE_BAND_FLOOR),
                "floors": list(AGE_BAND_FLOOR.values()),
                "parents": [str(relation) for relation in PARENT_RELATIONS],
                "present": MemberStatus.ACTIVE.value,
                "all": case_ids is None,
                "case_ids": list(case_ids or []),
            },
        )
        return cursor.rowcount
