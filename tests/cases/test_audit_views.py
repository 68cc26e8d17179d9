"""The audit trail page, and audit events that cannot be edited."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from cases import services
from tests.factories import UserFactory, client_for

pytestmark = pytest.mark.django_db


def test_audit_events_cannot_be_edited_through_the_admin(centre_a, case):
    from accounts.models import Role

    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    event = AuditEvent.objects.filter(case_id=case.pk).first()
    client = client_for(admin)
    url = reverse("admin:accounts_auditevent_change", args=[event.pk])
    response = client.post(url, {"action": "view"})
    assert response.status_code == 403
    delete = reverse("admin:accounts_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_trail_page_is_paginated_for_managers(as_mallory, case):
    for _ in range(120):
        as_mallory.get(reverse("cases:detail", args=[case.pk]))
    response = as_mallory.get(reverse("cases:audit", args=[case.pk]))
    assert response.status_code == 200
    # 120 views, the creation, and this page itself (the trail shows the case: a view too)
    assert response.context["page"].paginator.count == 122
    assert len(response.context["events"]) == 100
    second = as_mallory.get(reverse("cases:audit", args=[case.pk]), {"page": 2})
    assert len(second.context["events"]) == 23  # and that page's own view


# Session, user, the manager's authenticator (second factor), the user's centres (ids and the
# menu's names), the case, the paginator's count, the page header (the inbox badge, the
# sweep's heartbeat and the overdue check-outs managers see: one statement) and the page of
# events (user joined), and opening the trail written to it (one INSERT: it shows the case).
AUDIT_TRAIL_QUERIES = 9


def test_audit_trail_query_count_does_not_grow_with_events(
    as_mallory, centre_a, alice, case, django_assert_num_queries
):
    url = reverse("cases:audit", args=[case.pk])
    assert AuditEvent.objects.filter(case_id=case.pk).count() == 1  # its creation
    with django_assert_num_queries(AUDIT_TRAIL_QUERIES):
        as_mallory.get(url)
    for viewer in UserFactory.create_batch(49, centre=centre_a):
        services.case_view_record(case=case, by=viewer)
    with django_assert_num_queries(AUDIT_TRAIL_QUERIES):
        response = as_mallory.get(url)
    assert len(response.context["events"]) == 52  # the creation, 49 viewers, two openings
