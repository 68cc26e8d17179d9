"""Forms of the home-visit screens: planning a visit (with a manager's emergency override),
changing it, recording an announcement, calling it off, a manager's override of one rule,
the outcome and the report. The rules themselves live in outreach.services.visits: these
forms only read what was typed, and show the service's refusals on the right field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre, User
from cases.forms import DATETIME, VersionedForm
from families.models import FamilyMember, Relation
from outreach.forms.sessions import TIME, staff_choices
from outreach.models import (
    AnnouncementMethod,
    AnnouncementRecipient,
    AnnouncementResponse,
    EmergencyGround,
    HomeVisit,
    NextStep,
    VisitOutcome,
    VisitRule,
    VisitStatus,
)
from outreach.services.visits import OverrideRequest, earliest_start_day

# The rules a plan can set aside: the briefing gate is overridden on the visit, later.
PLAN_OVERRIDE_RULES = [
    (VisitRule.NOTICE_PERIOD.value, VisitRule.NOTICE_PERIOD.label),
    (VisitRule.PAIR.value, VisitRule.PAIR.label),
]
NO_GROUND = [("", _("（選んでください）"))]


def _radio(choices: Iterable[tuple[str, Any]], label: Any, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, **kwargs)


class VisitTimesMixin:
    """A visit's time as people plan it: a start (day and time) and an end time on the same
    day. The end is a time field named like the model's `ends_at`, so that the service's
    refusals about the end land on it."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    add_error: Any

    def _setup_times(self) -> None:
        self.fields["starts_at"].label = _("開始（日時）")
        self.fields["ends_at"] = forms.TimeField(label=_("終了時刻"), widget=TIME)

    def clean_times(self) -> None:
        starts, end = self.cleaned_data.get("starts_at"), self.cleaned_data.get("ends_at")
        if starts is None or end is None:
            return
        ends = timezone.make_aware(dt.datetime.combine(timezone.localdate(starts), end))
        if ends <= starts:
            self.add_error("ends_at", _("終了時刻は開始より後にしてください（同じ日の中で）。"))
            return
        self.cleaned_data["ends_at_datetime"] = ends

    def times(self) -> tuple[dt.datetime, dt.datetime]:
        return self.cleaned_data["starts_at"], self.cleaned_data["ends_at_datetime"]


def _staff_field(centre: Centre, *, keep: Iterable[int] = ()) -> forms.ModelMultipleChoiceField:
    field = forms.ModelMultipleChoiceField(
        label=_("訪問する職員"),
        queryset=staff_choices([centre], keep=keep),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("訪問する職員を選んでください。")},
    )
    if centre.pair_visit_required:
        field.help_text = _(
            "このセンターでは訪問は2名以上で行います（緊急時は所長の例外承認が必要です）。"
        )
    return field


class VisitPlanForm(VisitTimesMixin, forms.Form):
    """Plan a visit from the case page. It shows the earliest day the notice period allows
    (and why); a manager can set the notice period or the pair rule aside for an emergency,
    with the ground and the reason. Anyone else who sends override fields is refused by the
    service, and told so on the form."""

    starts_at = forms.DateTimeField(widget=DATETIME)
    purpose = forms.CharField(
        label=HomeVisit._meta.get_field("purpose").verbose_name,
        max_length=300,
        help_text=_("本人・家族に伝えたとおりに書きます（例: 近況をうかがい、居場所を紹介する）。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_rules = forms.MultipleChoiceField(
        label=_("例外とするルール"),
        choices=PLAN_OVERRIDE_RULES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    override_ground = forms.ChoiceField(
        label=_("緊急の事由"), choices=NO_GROUND + EmergencyGround.choices, required=False
    )
    override_reason = forms.CharField(
        label=_("例外とする理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("記録され、訪問のページと操作の記録に強調して表示されます。"),
    )

    def __init__(self, *args: Any, centre: Centre, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_times()
        self.fields["staff"] = _staff_field(centre)
        self.earliest = earliest_start_day(centre, None)
        self.notice_days = centre.visit_notice_days
        if not self.is_bound:
            start = timezone.make_aware(dt.datetime.combine(self.earliest, dt.time(10)))
            self.initial.setdefault("starts_at", start)
            self.initial.setdefault("ends_at", dt.time(11))
            if centre.members.filter(pk=user.pk).exists():
                self.initial.setdefault("staff", [user.pk])
        self.order_fields(["starts_at", "ends_at", "purpose", "staff"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        self.clean_times()
        if not data.get("override_rules") and (
            data.get("override_ground") or (data.get("override_reason") or "").strip()
        ):
            self.add_error("override_rules", _("例外とするルールを選んでください。"))
        return data

    def overrides(self) -> list[OverrideRequest]:
        data = self.cleaned_data
        return [
            OverrideRequest(
                rule=rule, reason=data.get("override_reason", ""), ground=data["override_ground"]
            )
            for rule in data.get("override_rules", [])
        ]


class VisitEditForm(VisitTimesMixin, VersionedForm):
    """Change the time, the purpose or the staff (a postponed visit gets its new date here).
    It carries the visit's version: a save over a colleague's change is refused, the input
    kept."""

    class Meta(VersionedForm.Meta):
        model = HomeVisit
        fields = ["starts_at", "purpose"]
        widgets = {"starts_at": DATETIME, "purpose": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visit: HomeVisit = self.instance
        self._setup_times()
        self.fields["staff"] = _staff_field(visit.centre, keep=[user.pk for user in staff])
        if not self.is_bound:
            self.initial["starts_at"] = timezone.localtime(visit.starts_at)
            self.initial["ends_at"] = timezone.localtime(visit.ends_at).time()
            self.initial["staff"] = [user.pk for user in staff]
        self.order_fields(["starts_at", "ends_at", "purpose", "staff"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        self.clean_times()
        return data


PERSON = "person"
MEMBER_PREFIX = "member-"


def member_label(member: FamilyMember) -> str:
    relation = getattr(member, "relation", "")
    label = Relation(relation).label if relation in Relation.values else ""
    return f"{label} {member.display_name}".strip()


class AnnounceForm(forms.Form):
    """How the visit was announced, when, to whom (the person or a household member) and what
    they said. After a refusal the visit is cancelled and the next step chosen here is
    offered."""

    method = _radio(AnnouncementMethod.choices, _("予告の方法"))
    made_at = forms.DateTimeField(label=_("予告した日時"), widget=DATETIME)
    recipient = forms.ChoiceField(label=_("予告した相手"))
    response = _radio(AnnouncementResponse.choices, _("返答"))
    note = forms.CharField(
        label=_("メモ"),
        max_length=300,
        required=False,
        help_text=_("返答の様子など（本人の言葉はそのまま）。"),
    )
    next_step = _radio(
        NextStep.choices,
        _("断られた場合の次の対応"),
        required=False,
        initial=NextStep.LETTER,
        help_text=_("無理に訪問せず、別の方法でつながりを保ちます。"),
    )

    def __init__(self, *args: Any, members: Mapping[int, FamilyMember], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "announce")
        super().__init__(*args, **kwargs)
        recipient = self.fields["recipient"]
        assert isinstance(recipient, forms.ChoiceField)
        # Only members who agreed to be contacted by the centre can be announced to.
        recipient.choices = [(PERSON, AnnouncementRecipient.PERSON.label)] + [
            (f"{MEMBER_PREFIX}{pk}", member_label(member))
            for pk, member in members.items()
            if member.contact_consent
        ]
        if not self.is_bound:
            self.initial["made_at"] = timezone.localtime().replace(second=0, microsecond=0)
            self.initial["recipient"] = PERSON

    def announcement_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        member_id = None
        recipient = AnnouncementRecipient.PERSON
        if data["recipient"].startswith(MEMBER_PREFIX):
            recipient = AnnouncementRecipient.HOUSEHOLD
            member_id = int(data["recipient"].removeprefix(MEMBER_PREFIX))
        return {
            "method": data["method"],
            "made_at": data["made_at"],
            "recipient": recipient,
            "recipient_member_id": member_id,
            "response": data["response"],
            "note": data["note"],
            "next_step": data["next_step"] if data["response"] == "refused" else "",
        }


CALL_OFF_STATUSES = [
    (VisitStatus.CANCELLED.value, _("中止")),
    (VisitStatus.POSTPONED.value, _("延期（新しい日程は後で決める）")),
    (VisitStatus.MISSED.value, _("未実施（行けなかった）")),
]


class CallOffForm(forms.Form):
    status = _radio(CALL_OFF_STATUSES, _("中止・延期・未実施"))
    reason = forms.CharField(label=_("理由"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "calloff")
        super().__init__(*args, **kwargs)


class OverrideForm(forms.Form):
    """A manager sets one rule aside for this visit: the ground (for the notice period) and
    the reason are recorded and shown."""

    override_rule = _radio(VisitRule.choices, _("例外とするルール"))
    override_ground = forms.ChoiceField(
        label=_("緊急の事由"),
        choices=NO_GROUND + EmergencyGround.choices,
        required=False,
        help_text=_("予告期間を例外とするときは必須です。"),
    )
    override_reason = forms.CharField(
        label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, taken: Iterable[str] = (), **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "override")
        super().__init__(*args, **kwargs)
        rule = self.fields["override_rule"]
        assert isinstance(rule, forms.ChoiceField)
        rule.choices = [(v, label) for v, label in VisitRule.choices if v not in set(taken)]


class OutcomeForm(forms.Form):
    outcome = _radio(VisitOutcome.choices, _("訪問の結果"))
    report = forms.CharField(
        label=_("訪問記録"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("後から書くこともできます（2日たっても未記入ならリマインドします）。"),
    )
    next_step = _radio(
        NextStep.choices, _("断られた場合の次の対応"), required=False, initial=NextStep.LETTER
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "outcome")
        super().__init__(*args, **kwargs)


class ReportForm(VersionedForm):
    """The report after the visit; version-locked like every edit."""

    class Meta(VersionedForm.Meta):
        model = HomeVisit
        fields = ["report"]
        widgets = {"report": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "report")
        super().__init__(*args, **kwargs)
        self.fields["report"].required = True
        self.fields["report"].error_messages["required"] = _("訪問記録を入力してください。")
