"""Outbound texts. Each kind declares the only context keys it may carry; none of them can
hold a name, a note or a diagnosis, so a message can't leak one even by mistake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from cases.choices import SilenceStage


@dataclass(frozen=True)
class MessageKind:
    template: str
    allowed_keys: frozenset[str]


# owner: the recipient is the case's responsible counsellor (the text differs for managers).
_CASE_KEYS = frozenset({"case_id", "case_number", "days", "owner"})
KINDS: dict[str, MessageKind] = {
    "silence_reminded": MessageKind("reminders/notifications/silence_reminded.txt", _CASE_KEYS),
    "silence_escalated": MessageKind("reminders/notifications/silence_escalated.txt", _CASE_KEYS),
    "weekly_digest": MessageKind(
        "reminders/notifications/weekly_digest.txt",
        frozenset({"silent", "escalated", "pausing_soon", "scope", "week"}),
    ),
    # Hooks for visits and the ibasho (outreach): referenced by case number and ids only.
    "visit_announcement_due": MessageKind(
        "reminders/notifications/visit_announcement_due.txt",
        frozenset({"case_id", "case_number", "visit_id", "visit_date"}),
    ),
    "visit_briefing_unacknowledged": MessageKind(
        "reminders/notifications/visit_briefing_unacknowledged.txt",
        frozenset({"case_id", "case_number", "visit_id", "visit_date"}),
    ),
    "visit_report_due": MessageKind(
        "reminders/notifications/visit_report_due.txt",
        frozenset({"case_id", "case_number", "visit_id", "visit_date"}),
    ),
    "visit_checkout_overdue": MessageKind(
        "reminders/notifications/visit_checkout_overdue.txt",
        frozenset({"case_id", "case_number", "visit_id", "minutes_overdue"}),
    ),
    # A case handed to a new counsellor (dashboards: reassignment, caseload transfer, a move
    # to another centre): the number only, never the name or the manager's reason.
    "case_assigned": MessageKind(
        "reminders/notifications/case_assigned.txt", frozenset({"case_id", "case_number"})
    ),
}


# The kinds the silence sweep queues, by the stage a case has reached.
SILENCE_KINDS: dict[str, str] = {
    SilenceStage.REMINDED: "silence_reminded",
    SilenceStage.ESCALATED: "silence_escalated",
}


class UnsafeContext(ValueError):
    """A notification context carried a key its kind does not allow."""


def check_context(kind: str, context: dict[str, Any]) -> None:
    if kind not in KINDS:
        raise UnsafeContext(f"unknown notification kind {kind!r}")
    extra = set(context) - KINDS[kind].allowed_keys
    if extra:
        raise UnsafeContext(f"{kind} may not carry {sorted(extra)}")


def message_path(context: dict[str, Any]) -> str | None:
    """Where the message leads, by ids only: the visit it is about, else its case. (A plain
    path: `reminders` sits below `outreach` and doesn't reverse its URLs.)"""
    if context.get("visit_id"):
        return f"/outreach/visits/{context['visit_id']}/"
    if context.get("case_id"):
        return f"/cases/{context['case_id']}/"
    return None


def message_url(context: dict[str, Any]) -> str:
    return f"{settings.SITE_URL}{message_path(context) or '/'}"


def render(kind: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    """(subject, body) in the given language. The first line of the template is the subject."""
    with translation.override(language):
        text = render_to_string(
            KINDS[kind].template,
            {**context, "url": message_url(context), "site": settings.SITE_URL},
        )
    subject, _sep, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"
