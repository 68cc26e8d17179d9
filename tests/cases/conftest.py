"""Fixtures for the case pages' tests: one case of centre A (counsellor alice) with a
sensitive condition recorded, and the plan, consent and referral some pages need."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.models import CaseSensitiveInfo
from tests.factories import make_case


@pytest.fixture
def case(centre_a, alice):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    CaseSensitiveInfo.objects.filter(case=case).update(conditions="うつ病の診断あり")
    return case


@pytest.fixture
def plan(case, alice):
    plan = services.plan_save(
        case=case,
        by=alice,
        fields={
            "goals": "週1回外出する",
            "review_on": timezone.localdate() + dt.timedelta(days=30),
        },
    )
    services.milestone_add(plan=plan, by=alice, fields={"description": "居間に出てくる"})
    return plan


@pytest.fixture
def consent(case, alice):
    return services.consent_record(
        case=case,
        by=alice,
        fields={"scope": "share_agency", "given_by": "本人", "given_on": timezone.localdate()},
    )


@pytest.fixture
def referral(case, alice, consent):
    return services.referral_create(
        case=case,
        by=alice,
        fields={
            "destination_kind": "saposte",
            "destination_name": "サポステ",
            "referred_on": timezone.localdate(),
            "consent": consent,
        },
    )
