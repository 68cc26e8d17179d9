"""What `outreach` adds to the case timeline through the hooks of `cases` (cases/hooks.py):
"discussed at a 支援会議 on <date>" for every meeting of the centre that discussed the case.

The branch reads the case's own links only (`DiscussedCase` rows of this case), so the entry
never names the meeting's other cases; it links to the meeting's page, where only the roles
that may see them find the others. It is read inside the timeline's one query. It is not a
contact: the person or the family was not consulted (docs/statistics.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.templatetags.tsunagu import jdate
from cases.hooks import TimelineBranch, TimelineEntry
from outreach.models import ActivityKind
from outreach.selectors.community import case_timeline_rows, local_noon


def discussed_entry(data: dict[str, Any]) -> TimelineEntry:
    held_on = dt.date.fromisoformat(data["activity__held_on"])
    starts_at = data["activity__starts_at"]
    kind = data["activity__kind"]
    label = ActivityKind(kind).label if kind in ActivityKind.values else kind
    return TimelineEntry(
        at=dt.datetime.fromisoformat(starts_at) if starts_at else local_noon(held_on),
        when=jdate(held_on),
        title=_("%(kind)sで検討") % {"kind": label},
        summary=data["activity__title"],
        url=reverse("outreach:community_detail", args=[data["activity_id"]]),
    )


DISCUSSED_AT_MEETING = TimelineBranch(
    kind="meeting",
    rows=case_timeline_rows,
    order=("-activity__held_on", "-id"),
    fields=(
        "id",
        "activity_id",
        "activity__kind",
        "activity__title",
        "activity__held_on",
        "activity__starts_at",
    ),
    entry=discussed_entry,
)
