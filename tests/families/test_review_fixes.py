"""Found by a review of the families code: two tablets on one register, late enrolees on an
old register, household changes after a family class, names in cookies, the member page's
audit, double submits, and far-future dates."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, Role
from cases.models import ContactEntry
from families import services
from families.models import FamilyProgramme, MemberStatus, ProgrammeAttendance, SessionContact
from tests.factories import UserFactory, make_case, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(centre_a, alice):
    """A weekly course that started two weeks ago; two mothers enrolled."""
    first = timezone.localtime().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=14)
    programme = services.programme_create(
        centre=centre_a,
        by=alice,
        fields={
            "kind": "craft",
            "title": "CRAFT",
            "starts_on": first.date(),
            "ends_on": first.date() + dt.timedelta(days=30),
        },
        facilitators=[alice],
        sessions=services.weekly_sessions(first_start=first, minutes=90, count=3),
    )
    x_case, y_case = make_case(centre_a, alice), make_case(centre_a, alice)
    x, y = make_member(x_case, alice, given_name="X"), make_member(y_case, alice, given_name="Y")
    for member in (x, y):
        services.programme_enrol(programme=programme, member=member, by=alice)
    session = programme.sessions.order_by("starts_at").first()
    return {"programme": programme, "session": session, "x": x, "y": y, "y_case": y_case}


def register_data(response, **changes: str) -> dict[str, object]:
    """What the browser posts back: every field as the page rendered it, then the changes."""
    form = response.context["form"]
    data: dict[str, object] = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list):
            data[name] = [str(item) for item in value]
        elif value is not None:
            data[name] = str(value)
    return {**data, **changes}


def family_class_contacts(case) -> int:
    return ContactEntry.objects.filter(case=case, source="family_class").count()


def test_a_stale_tablet_does_not_undo_a_row_it_did_not_change(as_alice, as_bob, course):
    session, x, y = course["session"], course["x"], course["y"]
    url = reverse("families:attendance_register", args=[session.pk])
    first_save = as_alice.post(url, register_data(as_alice.get(url)))
    assert first_save.status_code == 302
    tablet_a, tablet_b = as_alice.get(url), as_bob.get(url)
    assert (
        as_alice.post(url, register_data(tablet_a, **{f"status-{y.pk}": "absent"})).status_code
        == 302
    )
    # Tablet B, opened before A's save, only adds a note for X.
    response = as_bob.post(url, register_data(tablet_b, **{f"note-{x.pk}": "笑顔が多かった"}))
    assert response.status_code == 302
    assert ProgrammeAttendance.objects.get(session=session, member=y).status == "absent"
    assert ProgrammeAttendance.objects.get(session=session, member=x).note == "笑顔が多かった"
    assert family_class_contacts(course["y_case"]) == 0


def test_two_tablets_changing_the_same_row_the_second_is_told_and_keeps_its_choice(
    as_alice, as_bob, course
):
    session, y = course["session"], course["y"]
    url = reverse("families:attendance_register", args=[session.pk])
    as_alice.post(url, register_data(as_alice.get(url)))
    tablet_a, tablet_b = as_alice.get(url), as_bob.get(url)
    as_alice.post(url, register_data(tablet_a, **{f"status-{y.pk}": "absent"}))
    refused = as_bob.post(url, register_data(tablet_b, **{f"status-{y.pk}": "excused"}))
    assert refused.status_code == 409
    assert "他の人が保存しました" in refused.content.decode()
    assert ProgrammeAttendance.objects.get(session=session, member=y).status == "absent"
    # Knowingly, after looking: the page now carries what is saved, and the save goes through.
    assert as_bob.post(url, register_data(refused)).status_code == 302
    assert ProgrammeAttendance.objects.get(session=session, member=y).status == "excused"


def test_re_saving_an_old_register_does_not_tick_someone_who_joined_since(
    as_alice, alice, centre_a, course
):
    session = course["session"]
    url = reverse("families:attendance_register", args=[session.pk])
    as_alice.post(url, register_data(as_alice.get(url)))
    late_case = make_case(centre_a, alice)
    late = make_member(late_case, alice, given_name="遅")
    services.programme_enrol(programme=course["programme"], member=late, by=alice)
    page = as_alice.get(url)
    assert page.context["form"][f"status-{late.pk}"].value() in ("", None)
    response = as_alice.post(url, register_data(page, **{f"note-{course['x'].pk}": "追記"}))
    assert response.status_code == 302
    assert not ProgrammeAttendance.objects.filter(member=late).exists()
    assert family_class_contacts(late_case) == 0


@pytest.mark.django_db(transaction=True)
def test_two_tablets_saving_at_once_make_one_attendance_and_one_contact(centre_a):
    alice = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    first = timezone.localtime().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    programme = services.programme_create(
        centre=centre_a,
        by=alice,
        fields={"kind": "craft", "title": "C", "starts_on": first.date(), "ends_on": first.date()},
        facilitators=[alice],
        sessions=services.weekly_sessions(first_start=first, minutes=60, count=1),
    )
    case = make_case(centre_a, alice)
    mother = make_member(case, alice)
    services.programme_enrol(programme=programme, member=mother, by=alice)
    session = programme.sessions.get()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def save() -> None:
        try:
            start.wait(timeout=10)
            services.attendance_save(session=session, by=alice, marks={mother.pk: ("attended", "")})
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert ProgrammeAttendance.objects.filter(session=session).count() == 1
    assert SessionContact.objects.filter(session=session).count() == 1
    assert family_class_contacts(case) == 1


def test_a_member_taken_out_of_a_household_takes_the_family_class_contacts_along(
    alice, centre_a, course
):
    session, y, y_case = course["session"], course["y"], course["y_case"]
    services.attendance_save(session=session, by=alice, marks={y.pk: ("attended", "")})
    assert family_class_contacts(y_case) == 1
    sibling = make_case(centre_a, alice)
    services.member_link(member=y, case=sibling, by=alice, fields={"relation": "mother"})
    assert family_class_contacts(sibling) == 1  # the class she came to counts for both
    link = y.links.get(case=y_case)
    services.member_unlink(link=link, by=alice)
    assert family_class_contacts(y_case) == 0
    assert not SessionContact.objects.filter(case=y_case).exists()


def test_flash_messages_naming_a_member_stay_on_the_server(as_alice, alice, centre_a):
    case = make_case(centre_a, alice)
    response = as_alice.post(
        reverse("families:member_add", args=[case.pk]),
        {
            "member-relation": "mother",
            "member-person_aware": "unknown",
            "member-status": "active",
            "member-family_name": "秘密",
            "member-given_name": "花子",
        },
    )
    assert response.status_code == 302
    assert "messages" not in response.cookies


def test_the_member_page_is_a_view_of_the_case_on_the_audit_trail(as_bob, alice, centre_a):
    case = make_case(centre_a, alice)
    mother = make_member(case, alice)
    as_bob.get(reverse("families:member_detail", args=[case.pk, mother.pk]))
    assert AuditEvent.objects.filter(
        case_id=case.pk, action=AuditAction.VIEW, user__username="bob"
    ).exists()


def test_a_double_submit_of_a_link_is_refused_not_a_500(alice, centre_a):
    case, sibling = make_case(centre_a, alice), make_case(centre_a, alice)
    mother = make_member(case, alice)
    services.member_link(member=mother, case=sibling, by=alice, fields={"relation": "mother"})
    with pytest.raises(ValidationError):
        services.member_link(member=mother, case=sibling, by=alice, fields={"relation": "mother"})


def test_a_deceased_member_is_not_enrolled(alice, centre_a, course):
    case = make_case(centre_a, alice)
    gone = make_member(case, alice, given_name="故")
    gone.status, gone.status_since = MemberStatus.DECEASED, timezone.localdate()
    gone.save()
    with pytest.raises(ValidationError):
        services.programme_enrol(programme=course["programme"], member=gone, by=alice)


@pytest.mark.parametrize(
    ("field", "value"), [("ends_on", "9999-12-31"), ("first_start", "9999-12-31T23:00")]
)
def test_far_future_dates_are_a_clear_error_not_a_500(as_alice, alice, field, value):
    today = timezone.localdate()
    data = {
        "kind": "craft",
        "title": "未来",
        "facilitators": [str(alice.pk)],
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
        "first_start": f"{today.isoformat()}T14:00",
        "minutes": "90",
        "weeks": "4",
        field: value,
    }
    response = as_alice.post(reverse("families:programme_create"), data)
    assert response.status_code == 200
    assert "2年先まで" in response.content.decode()
    assert not FamilyProgramme.objects.exists()


def test_a_stale_programme_edit_is_refused_and_the_other_change_survives(as_alice, as_bob, course):
    programme = course["programme"]
    url = reverse("families:programme_edit", args=[programme.pk])
    page_a, page_b = as_alice.get(url), as_bob.get(url)
    assert as_alice.post(url, register_data(page_a, title="新しい名前")).status_code == 302
    refused = as_bob.post(url, register_data(page_b, capacity="8"))
    assert refused.status_code == 409
    programme.refresh_from_db()
    assert programme.title == "新しい名前" and programme.capacity is None
    with time_machine.travel(timezone.now(), tick=False):
        assert as_bob.post(url, register_data(refused)).status_code == 302
