"""Reads for the tablet at the ibasho's door: which session opens by default, who is in the
room, and who a few typed characters may be. Each runs a fixed number of queries, however
many people came."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts import access
from accounts.models import User
from cases.choices import CaseStatus
from cases.filters import CASE_NUMBER
from cases.models import Case
from cases.services import normalise_for_search
from outreach.models import IbashoAttendance, IbashoSession, WalkIn

SEARCH_LIMIT = 12
# Two characters are enough at the door ("やま", "12"): one would list half the centre.
SEARCH_MIN_CHARS = 2
# Only people who are being supported can be checked in by name: a closed case's person
# who comes back is checked in by nickname (or their case is reopened first).
CHECKIN_STATUSES = (CaseStatus.OPEN, CaseStatus.PAUSED)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def is_on_today(session: IbashoSession) -> bool:
    """The session takes place (at least partly) today, Tokyo time: the door is open for it.
    Check-in stamps the present moment, so an earlier or later day would get wrong times
    (those are corrected on the session's page)."""
    start, end = _day_bounds(timezone.localdate())
    return session.starts_at < end and session.ends_at > start


def todays_sessions(user: User) -> list[IbashoSession]:
    """Every session of the user's centres that takes place today, cancelled ones too (one
    query)."""
    start, end = _day_bounds(timezone.localdate())
    return list(
        access.scoped(IbashoSession.objects.all(), user)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .select_related("centre")
        .order_by("starts_at", "id")
    )


def default_session(sessions: list[IbashoSession]) -> IbashoSession | None:
    """Of today's sessions: the one running now, else the next one today."""
    now = timezone.now()
    held = [s for s in sessions if not s.is_cancelled]
    running = [s for s in held if s.starts_at <= now < s.ends_at]
    if running:
        return running[0]
    return next((s for s in held if s.starts_at > now), None)


def visitor_name(attendance: IbashoAttendance) -> str:
    """The person's name, or the walk-in's nickname (a linked walk-in is the person)."""
    if attendance.case is not None:
        return attendance.case.display_name
    assert attendance.walk_in is not None
    return attendance.walk_in.nickname


@dataclass(frozen=True)
class Visit:
    attendance: IbashoAttendance
    name: str


@dataclass(frozen=True)
class Room:
    """Who came to a session: those still in the room first (in order of arrival), then
    those who left."""

    attendances: list[IbashoAttendance]
    capacity: int | None

    @property
    def present(self) -> list[Visit]:
        return [Visit(a, visitor_name(a)) for a in self.attendances if a.in_room]

    @property
    def gone(self) -> list[Visit]:
        return [Visit(a, visitor_name(a)) for a in self.attendances if not a.in_room]

    @property
    def in_room(self) -> int:
        return len(self.present)

    @property
    def came(self) -> int:
        return len(self.attendances)

    @property
    def walk_ins(self) -> int:
        return sum(1 for a in self.attendances if a.is_walk_in)

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.in_room > self.capacity


def room(session: IbashoSession) -> Room:
    """Everyone checked in to the session (one query: cases with their centre for the case
    number, and walk-ins, joined)."""
    attendances = list(
        session.attendances.select_related("case__centre", "walk_in").order_by("arrived_at", "id")
    )
    return Room(attendances=attendances, capacity=session.capacity)


@dataclass(frozen=True)
class Candidate:
    """A search result at the door: a registered person (`case`) or an earlier walk-in."""

    case: Case | None = None
    walk_in: WalkIn | None = None
    # Checked in to this session already: shown as such, without a button.
    checked_in: bool = False


@dataclass(frozen=True)
class Found:
    candidates: list[Candidate]
    searched: bool  # enough was typed to search at all
    more: bool  # there were more than the limit


def _case_number(text: str) -> int | None:
    match = CASE_NUMBER.match(text.replace(" ", ""))
    return int(match.group(1)) if match else None


def checkin_candidates(session: IbashoSession, text: str, *, limit: int = SEARCH_LIMIT) -> Found:
    """Open or paused cases of the session's centre whose name or furigana (hiragana and
    katakana alike) contains the text, or whose case number it is (K-0012, 12), then earlier
    walk-ins not linked to a case, by nickname. Two queries, at most `limit` results."""
    plain = unicodedata.normalize("NFKC", text or "").strip()
    needle = normalise_for_search(plain)
    if len(needle) < SEARCH_MIN_CHARS:
        return Found(candidates=[], searched=False, more=False)
    here = IbashoAttendance.objects.filter(session=session)
    matches = Q(search_text__contains=needle)
    number = _case_number(plain)
    if number is not None:
        matches |= Q(number=number)
    cases: QuerySet[Case] = (
        Case.objects.filter(matches, centre_id=session.centre_id, status__in=CHECKIN_STATUSES)
        .select_related("centre")
        .annotate(checked_in=Exists(here.filter(case_id=OuterRef("pk"))))
        .order_by("family_name_kana", "given_name_kana", "number")
    )
    found = [Candidate(case=c, checked_in=c.checked_in) for c in cases[: limit + 1]]  # type: ignore[attr-defined]
    if len(found) <= limit:
        walk_ins = (
            WalkIn.objects.filter(
                centre_id=session.centre_id, case__isnull=True, search_text__contains=needle
            )
            .annotate(
                checked_in=Exists(here.filter(walk_in_id=OuterRef("pk"))),
                last_visit=Max("attendances__arrived_at"),
            )
            .order_by(F("last_visit").desc(nulls_last=True), "nickname", "id")
        )
        room_left = limit + 1 - len(found)
        found += [Candidate(walk_in=w, checked_in=w.checked_in) for w in walk_ins[:room_left]]  # type: ignore[attr-defined]
    return Found(candidates=found[:limit], searched=True, more=len(found) > limit)
