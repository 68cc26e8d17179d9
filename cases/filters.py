from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre, User
from cases.choices import CaseStatus, Severity, SilenceStage, SupportStage
from cases.models import Case, case_owners
from cases.services import normalise_for_search

RISK_FILTERS = {
    "self_harm": ("risk_self_harm", _("自傷・自殺のおそれ")),
    "violence": ("risk_violence", _("家庭内暴力")),
    "8050": ("risk_8050", _("8050世帯")),
    "parent_ill": ("risk_parent_ill", _("親の病気・要介護")),
}
CASE_NUMBER = re.compile(r"^(?:[A-Za-zＡ-Ｚａ-ｚ]{1,4}[-‐－ー]?)?0*(\d{1,7})$")


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("検索（ケース番号・氏名・ふりがな）"), method="search")
    counsellor = django_filters.ModelChoiceFilter(
        label=_("担当者"), field_name="primary_counsellor", queryset=User.objects.none()
    )
    support_stage = django_filters.ChoiceFilter(label=_("支援段階"), choices=SupportStage.choices)
    status = django_filters.ChoiceFilter(label=_("状態"), choices=CaseStatus.choices)
    severity = django_filters.ChoiceFilter(label=_("程度"), choices=Severity.choices)
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

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if centres:
            self.filters["counsellor"].queryset = case_owners(*centres)

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
