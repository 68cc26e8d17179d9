"""The admin's change forms for centres and accounts refuse a save that would silently
overwrite someone else's (accounts.admin.NoOverwriteAdmin): two administrators editing one
centre's privacy switches, or one account's role and centres, at the same time. The refused
save keeps the input and says why; saving again, knowingly, goes through."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts import admin as admin_module
from accounts.models import Role, User
from tests.accounts.test_audit_trail import admin_form_data
from tests.factories import UserFactory, client_for, make_case

pytestmark = pytest.mark.django_db

STALE = "他の人が更新しました"


@pytest.fixture
def root(centre_a) -> User:
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def other_root(centre_a) -> User:
    return UserFactory(username="root2", role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_a_centre_saved_by_someone_else_meanwhile_is_not_overwritten(root, other_root, centre_a):
    url = reverse("admin:accounts_centre_change", args=[centre_a.pk])
    mine, theirs = client_for(root), client_for(other_root)
    my_form = admin_form_data(mine.get(url))
    their_form = admin_form_data(theirs.get(url))
    assert my_form["loaded_state"]  # the page carries what it showed

    their_form["risk_flag_visible_to_staff"] = "on"
    assert theirs.post(url, their_form).status_code == 302

    my_form["name"] = "センターA（改称）"
    response = mine.post(url, my_form)
    assert response.status_code == 200
    page = response.content.decode()
    assert STALE in page
    assert "センターA（改称）" in page  # what I typed is still there
    centre_a.refresh_from_db()
    assert centre_a.name == "センターA" and centre_a.risk_flag_visible_to_staff

    # Having seen the other change, saving again goes through (the form now carries it).
    again = admin_form_data(response)
    assert again["name"] == "センターA（改称）"
    assert mine.post(url, again).status_code == 302
    centre_a.refresh_from_db()
    assert centre_a.name == "センターA（改称）"


def test_an_intake_meanwhile_keeps_its_case_number(root, alice, centre_a, monkeypatch):
    """The centre's case-number counter is not on the form: a case opened while the admin
    saves the centre (after it read the row, before it locked it) neither blocks the edit
    nor has its number taken back (the next intake would then collide with it)."""
    url = reverse("admin:accounts_centre_change", args=[centre_a.pk])
    mine = client_for(root)
    my_form = admin_form_data(mine.get(url))
    opened = []
    check = admin_module._NoOverwriteForm.clean

    def intake_then_check(form):  # type: ignore[no-untyped-def]
        opened.append(make_case(centre_a, alice))  # the admin's save already read the row
        return check(form)

    monkeypatch.setattr(admin_module._NoOverwriteForm, "clean", intake_then_check)
    my_form["name"] = "センターA（改称）"
    assert mine.post(url, my_form).status_code == 302
    centre_a.refresh_from_db()
    assert centre_a.name == "センターA（改称）"
    assert centre_a.last_case_number == opened[0].number
    assert make_case(centre_a, alice).number == opened[0].number + 1
    # The admin's own history names what changed, not the form's fingerprint.
    history = LogEntry.objects.filter(object_id=str(centre_a.pk)).latest("action_time")
    assert json.loads(history.change_message) == [{"changed": {"fields": ["名称"]}}]


def test_an_account_s_centres_changed_meanwhile_are_not_overwritten(
    root, other_root, alice, centre_a, centre_b
):
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    mine = client_for(root)
    my_form = admin_form_data(mine.get(url))
    alice.centres.add(centre_b)  # someone else gave alice a second centre

    my_form["role"] = Role.MANAGER
    response = mine.post(url, my_form)
    assert response.status_code == 200 and STALE in response.content.decode()
    alice.refresh_from_db()
    assert alice.role == Role.COUNSELLOR
    assert set(alice.centres.values_list("pk", flat=True)) == {centre_a.pk, centre_b.pk}


def test_a_sign_in_meanwhile_is_not_a_conflict(root, alice):
    """The sign-in dates are read-only here: the user signing in while an administrator
    edits the account neither blocks the edit nor is overwritten by it."""
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    mine = client_for(root)
    my_form = admin_form_data(mine.get(url))
    signed_in = timezone.now()
    User.objects.filter(pk=alice.pk).update(last_login=signed_in)
    my_form["display_name"] = "佐藤 相談員"
    assert mine.post(url, my_form).status_code == 302
    alice.refresh_from_db()
    assert alice.display_name == "佐藤 相談員" and alice.last_login == signed_in


def test_an_add_form_carries_no_state(root):
    """Nothing can be overwritten yet: the add forms are the admin's own."""
    for name in ("admin:accounts_centre_add", "admin:accounts_user_add"):
        response = client_for(root).get(reverse(name))
        assert response.status_code == 200
        assert "loaded_state" not in response.context["adminform"].form.fields
