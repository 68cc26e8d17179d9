from __future__ import annotations

import datetime as dt
import re
from typing import Any

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre, User
from accounts.plain_forms import Control, controls
from cases.choices import CaseStatus, Severity, SilenceStage, SupportStage
from cases.models import Case, case_owners
from cases.services import normalise_for_search

RISK_FILTERS = {
    "self_harm": ("risk_self_harm", _("自傷・自殺のおそれ")),
    "violence": ("risk_violence", _("家庭内暴力")),
    "8050": ("risk_8050", _("8050世帯")),
    "parent_ill": ("risk_parent_ill", _("親の病気・要介護")),
}
# Health data (cases.access): offered, and shown in the list, to roles with case.view_health.
HEALTH_RISK_FILTERS = frozenset({"self_harm"})
CASE_NUMBER = re.compile(r"^(?:[A-Za-zＡ-Ｚａ-ｚ]{1,4}[-‐－ー]?)?0*(\d{1,7})$")

# Extra values of existing filters (the plain values keep their meaning): a case not yet
# closed (open or paused, as the 80/50 list counts them) and a severity not yet judged.
STATUS_ACTIVE = "active"
SEVERITY_NONE = "none"
PLAN_REVIEW_OVERDUE = "overdue"
CONTINGENCY_MISSING = "missing"
MONTH = RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", _("年月は 2026-04 の形式で入力してください。"))


def plan_review_overdue(today: dt.date) -> Q:
    """The case's current plan (its newest, as the case page shows it) was due for review
    before `today`. One definition for this filter and the managers' dashboard, which counts
    it with the same expression."""
    return Q(current_plan_review_on__lt=today)


def month_bounds(value: str) -> tuple[dt.date, dt.date]:
    """The month "2026-04" → the first day of that month and of the next."""
    year, month = (int(part) for part in value.split("-"))
    first = dt.date(year, month, 1)
    return first, dt.date(year + month // 12, month % 12 + 1, 1)


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("検索（ケース番号・氏名・ふりがな）"), method="search")
    centre = django_filters.ChoiceFilter(label=_("センター"), method="by_centre")
    counsellor = django_filters.ModelChoiceFilter(
        label=_("担当者"),
        field_name="primary_counsellor",
        queryset=User.objects.none(),
        null_label=_("未割当"),
    )
    support_stage = django_filters.ChoiceFilter(label=_("支援段階"), choices=SupportStage.choices)
    status = django_filters.ChoiceFilter(
        label=_("状態"),
        choices=[*CaseStatus.choices, (STATUS_ACTIVE, _("対応中・休止中"))],
        method="by_status",
    )
    severity = django_filters.ChoiceFilter(
        label=_("程度"),
        choices=[*Severity.choices, (SEVERITY_NONE, _("未評価"))],
        method="by_severity",
    )
    silence_stage = django_filters.ChoiceFilter(
        label=_("連絡途絶の段階"), choices=SilenceStage.choices
    )
    plan_review = django_filters.ChoiceFilter(
        label=_("支援計画の見直し"),
        choices=[(PLAN_REVIEW_OVERDUE, _("見直し日を過ぎた"))],
        method="by_plan_review",
    )
    contingency = django_filters.ChoiceFilter(
        label=_("緊急時の備え"),
        choices=[(CONTINGENCY_MISSING, _("未作成"))],
        method="by_contingency",
    )
    opened = django_filters.CharFilter(
        label=_("初回相談の月"),
        method="by_opened",
        validators=[MONTH],
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    risk = django_filters.ChoiceFilter(
        label=_("リスク"), choices=[(k, v[1]) for k, v in RISK_FILTERS.items()], method="by_risk"
    )
    silent = django_filters.BooleanFilter(
        label=_("連絡が途絶えている"),
        method="by_silence",
        widget=forms.Select(
            choices=[("", _("すべて")), ("true", _("はい")), ("false", _("いいえ"))]
        ),
    )
    sort = django_filters.OrderingFilter(
        label=_("並び順"),
        fields=(
            ("number", "number"),
            ("updated_at", "updated"),
            ("last_two_way_contact_at", "last_contact"),
            ("next_check_at", "next_check"),
        ),
        field_labels={
            "number": _("ケース番号"),
            "updated_at": _("更新日"),
            "last_two_way_contact_at": _("最終連絡"),
            "next_check_at": _("次の確認"),
        },
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(
        self, *args: Any, centres: list[Centre], health: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not health:  # filtering by the self-harm flag would show it (cases.access)
            self.filters["risk"].extra["choices"] = [
                (k, v[1]) for k, v in RISK_FILTERS.items() if k not in HEALTH_RISK_FILTERS
            ]
        if centres:
            self.filters["counsellor"].queryset = self._counsellors(centres)
        if len(centres) > 1:
            self.filters["centre"].extra["choices"] = [(str(c.pk), c.name) for c in centres]
        else:
            del self.filters["centre"]  # one centre: nothing to choose

    def controls(self) -> list[Control]:
        return controls(self.form)

    def _counsellors(self, centres: list[Centre]) -> QuerySet[User]:
        """Who may own a case, plus the one asked for if they no longer may (left, on
        leave, another role) but still hold cases here: their cases must stay findable."""
        owners = case_owners(*centres)
        chosen = (self.data or {}).get("counsellor", "")
        if isinstance(chosen, str) and chosen.isdigit():
            former = User.objects.filter(pk=int(chosen), centres__in=centres).distinct()
            owners = owners | former
        return owners

    def by_centre(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(centre_id=int(value))

    def by_status(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if value == STATUS_ACTIVE:
            return queryset.exclude(status=CaseStatus.CLOSED)
        return queryset.filter(status=value)

    def by_severity(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(severity="" if value == SEVERITY_NONE else value)

    def by_plan_review(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(plan_review_overdue(timezone.localdate()))

    def by_contingency(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        # The plan lives in `families` (a layer above): the reverse relation is named, not
        # imported, as the 80/50 list counts it (families.selectors.missing_contingency_count).
        return queryset.filter(contingency_plan__isnull=True)

    def by_opened(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        """First contact (the case's intake) in that month: the dashboard's new cases."""
        first, following = month_bounds(value)
        return queryset.filter(first_contact_date__gte=first, first_contact_date__lt=following)

    def search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        value = value.strip()
        if not value:
            return queryset
        condition = Q(search_text__contains=normalise_for_search(value))
        number = CASE_NUMBER.match(value.replace(" ", ""))
        if number:
            condition |= Q(number=int(number.group(1)))
        return queryset.filter(condition)

    def by_risk(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(**{RISK_FILTERS[value][0]: True})

    def by_silence(self, queryset: QuerySet[Case], name: str, value: bool | None) -> QuerySet[Case]:
        if value is None:
            return queryset
        silent = Q(silence_stage__in=[SilenceStage.REMINDED, SilenceStage.ESCALATED])
        return queryset.filter(silent if value else ~silent)
