"""The transfer screens: who may use them, the bulk preview and its confirmation, the
notifications to the new counsellors, and their query counts at 1× and 20× data."""

import pytest
from django.urls import reverse

from accounts.models import Role
from cases.models import Case, CaseAssignment
from reminders.models import Notification
from tests.factories import CentreFactory, UserFactory, client_for, make_case, make_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora(centre_a):
    return UserFactory(username="dora", display_name="Dora", role=Role.COUNSELLOR, centre=centre_a)


@pytest.fixture
def emil(centre_a):
    return UserFactory(username="emil", display_name="Emil", role=Role.COUNSELLOR, centre=centre_a)


@pytest.fixture
def case(centre_a, alice):
    return make_case(centre_a, alice, primary_counsellor=alice)


def _page(client, **params):
    return client.get(reverse("dashboards:caseload_transfer"), params)


def _confirm(client, response, reason="退職"):
    """Post the confirmation form exactly as the preview page rendered it."""
    plan = response.context["plan"]
    return client.post(
        reverse("dashboards:caseload_transfer"),
        {
            "centre": response.context["centre"].pk,
            "from_user": plan.from_user.pk,
            "to_users": [user.pk for user in plan.to_users],
            "fingerprint": plan.fingerprint,
            "reason": reason,
        },
    )


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboards:case_reassign", "dashboards:case_move"])
def test_case_screens_are_for_managers_of_the_case_centre(
    name, case, as_mallory, as_alice, as_bob, as_charlie
):
    url = reverse(name, args=[case.pk])
    assert as_mallory.get(url).status_code == 200
    assert as_alice.get(url).status_code == 403
    assert as_bob.get(url).status_code == 403
    assert as_charlie.get(url).status_code == 404


def test_the_bulk_screen_is_for_managers_of_the_centre(as_mallory, as_alice, as_bob, centre_a):
    assert _page(as_mallory).status_code == 200
    assert _page(as_alice).status_code == 403
    assert _page(as_bob).status_code == 403
    manager_b = UserFactory(role=Role.MANAGER, centre=CentreFactory())
    assert _page(client_for(manager_b), centre=centre_a.pk).status_code == 404


def test_the_case_page_offers_the_transfer_links_to_managers_only(case, as_mallory, as_alice):
    url = reverse("cases:detail", args=[case.pk])
    assert 'data-testid="reassign-link"' in as_mallory.get(url).content.decode()
    assert 'data-testid="reassign-link"' not in as_alice.get(url).content.decode()


# --- one case ---------------------------------------------------------------------------------


def test_reassigning_a_case_notifies_the_new_counsellor_by_number_only(case, dora, as_mallory):
    response = as_mallory.post(
        reverse("dashboards:case_reassign", args=[case.pk]), {"to": dora.pk, "reason": "休職"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.primary_counsellor == dora
    notes = Notification.objects.filter(recipient=dora, kind="case_assigned")
    assert notes.count() == 2  # e-mail and in-app
    assert all(n.context == {"case_id": case.pk, "case_number": case.case_number} for n in notes)
    page = as_mallory.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="timeline-assignment"' in page and "休職" in page


def test_a_counsellor_of_another_centre_cannot_be_posted_for_one_case(
    case, charlie, alice, as_mallory
):
    response = as_mallory.post(
        reverse("dashboards:case_reassign", args=[case.pk]), {"to": charlie.pk}
    )
    assert response.status_code == 200 and response.context["form"].has_error("to")
    case.refresh_from_db()
    assert case.primary_counsellor == alice and not Notification.objects.exists()


# --- a caseload -------------------------------------------------------------------------------


def test_preview_then_confirm_applies_the_preview_and_notifies_once(
    alice, dora, emil, as_mallory, centre_a
):
    make_cases(centre_a, dora, 3)
    cases = make_cases(centre_a, alice, 7)
    preview = _page(as_mallory, centre=centre_a.pk, from_user=alice.pk, to_users=[dora.pk, emil.pk])
    assert preview.status_code == 200
    plan = preview.context["plan"]
    shown = {move.case.pk: move.to_user.pk for move in plan.moves}
    assert [(u.pk, before, after) for u, before, after in plan.loads()] == [
        (dora.pk, 3, 5),
        (emil.pk, 0, 5),
    ]
    body = preview.content.decode()
    assert all(case.case_number in body for case in cases)

    done = _confirm(as_mallory, preview)
    assert done.status_code == 302
    again = _confirm(as_mallory, preview)  # the same confirmation sent twice
    assert again.status_code == 409
    assert 'data-testid="transfer-refused"' in again.content.decode()

    result = dict(Case.objects.filter(pk__in=shown).values_list("pk", "primary_counsellor_id"))
    assert result == shown
    assert CaseAssignment.objects.filter(case__in=cases).count() == 7
    in_app = Notification.objects.filter(kind="case_assigned", channel="in_app")
    assert sorted(in_app.values_list("case_id", flat=True)) == sorted(shown)
    assert {n.recipient_id for n in in_app if n.case_id in shown} <= {dora.pk, emil.pk}
    assert all(in_app.get(case_id=pk).recipient_id == to for pk, to in shown.items())


def test_a_stale_preview_is_refused_with_the_new_preview(alice, dora, as_mallory, centre_a):
    make_cases(centre_a, alice, 2)
    preview = _page(as_mallory, centre=centre_a.pk, from_user=alice.pk, to_users=[dora.pk])
    make_case(centre_a, alice, primary_counsellor=alice)  # changed since the preview

    refused = _confirm(as_mallory, preview)

    assert refused.status_code == 409
    assert len(refused.context["plan"].moves) == 3  # the new preview, to confirm knowingly
    assert Case.objects.filter(primary_counsellor=alice).count() == 3
    assert not Notification.objects.exists()


def test_a_counsellor_of_another_centre_cannot_be_chosen(
    alice, dora, charlie, as_mallory, centre_a
):
    make_cases(centre_a, alice, 2)
    page = _page(as_mallory, centre=centre_a.pk)
    choices = [value for value, _label in page.context["form"].fields["to_users"].choices]
    assert dora.pk in choices and charlie.pk not in choices
    posted = as_mallory.post(
        reverse("dashboards:caseload_transfer"),
        {
            "centre": centre_a.pk,
            "from_user": alice.pk,
            "to_users": [charlie.pk],
            "fingerprint": "x",
        },
    )
    assert posted.status_code == 200 and posted.context["form"].has_error("to_users")
    assert Case.objects.filter(primary_counsellor=alice).count() == 2


# --- a move to another centre -----------------------------------------------------------------


def test_a_move_is_offered_to_the_user_s_other_centres_only(case, as_mallory, mallory, centre_b):
    assert as_mallory.get(reverse("dashboards:case_move", args=[case.pk])).context["centres"] == []
    url = reverse("dashboards:case_move_to", args=[case.pk, centre_b.pk])
    assert as_mallory.get(url).status_code == 404  # a centre mallory does not belong to
    mallory.centres.add(centre_b)
    assert as_mallory.get(url).status_code == 200


def test_a_move_links_both_case_pages(case, as_mallory, mallory, charlie, centre_b):
    mallory.centres.add(centre_b)
    response = as_mallory.post(
        reverse("dashboards:case_move_to", args=[case.pk, centre_b.pk]),
        {"counsellor": charlie.pk, "reason": "転居"},
    )
    new = Case.objects.get(centre=centre_b)
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[new.pk])
    new_page = as_mallory.get(response.url).content.decode()
    old_page = as_mallory.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="transferred-from"' in new_page and case.case_number in new_page
    assert 'data-testid="transferred-to"' in old_page and new.case_number in old_page
    assert Notification.objects.filter(recipient=charlie, case=new).count() == 2


# --- query counts -----------------------------------------------------------------------------

# The pages of a manager: session, user, their authenticator, their centres (ids and the
# menu's names) and the page header (inbox badge, sweep heartbeat, safety banner: one
# statement) (5); then each page's own reads, counted below. Equal at 1× and 20× data.
TRANSFER_PAGE_QUERIES = 8  # the centre, the people with their caseloads, the cases
# A page that shows a case also writes its VIEW on the audit trail (one INSERT).
REASSIGN_PAGE_QUERIES = 8  # the case, its VIEW, its centre's case owners
MOVE_CHOOSE_QUERIES = 8  # the case, its VIEW, the other centres
MOVE_FORM_QUERIES = 9  # the case, its VIEW, the centre, its case owners


def _grow(centre_a, centre_b, alice, mallory, case, factor):
    colleagues = UserFactory.create_batch(factor, role=Role.COUNSELLOR, centre=centre_a)
    for colleague in colleagues:
        make_cases(centre_a, colleague, 1)
    make_cases(centre_a, alice, factor)
    mallory.centres.add(centre_b)
    UserFactory.create_batch(factor, role=Role.COUNSELLOR, centre=centre_b)
    return colleagues


def test_transfer_pages_query_counts_do_not_grow(
    alice, mallory, as_mallory, centre_a, centre_b, case, django_assert_num_queries
):
    def pages(colleagues):
        return [
            (
                TRANSFER_PAGE_QUERIES,
                reverse("dashboards:caseload_transfer"),
                {
                    "centre": centre_a.pk,
                    "from_user": alice.pk,
                    "to_users": [c.pk for c in colleagues],
                },
            ),
            (REASSIGN_PAGE_QUERIES, reverse("dashboards:case_reassign", args=[case.pk]), {}),
            (MOVE_CHOOSE_QUERIES, reverse("dashboards:case_move", args=[case.pk]), {}),
            (
                MOVE_FORM_QUERIES,
                reverse("dashboards:case_move_to", args=[case.pk, centre_b.pk]),
                {},
            ),
        ]

    counts = []
    for factor in (1, 20):
        colleagues = _grow(centre_a, centre_b, alice, mallory, case, factor)
        for budget, url, params in pages(colleagues):
            with django_assert_num_queries(budget):
                response = as_mallory.get(url, params)
            assert response.status_code == 200
            counts.append(budget)
        assert len(response.context["form"].owners) >= factor
    assert max(counts) <= 12
