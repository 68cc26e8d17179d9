from __future__ import annotations

import factory
from django.conf import settings
from django.test import Client
from factory.django import DjangoModelFactory

from accounts.models import Centre, Role, User

PASSWORD = "correct-horse-battery"


class CentreFactory(DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"テストセンター{n}")
    prefecture = "東京都"
    case_number_prefix = "K"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"職員{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.jp")
    role = Role.STAFF
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def centre(self, create: bool, extracted: Centre | None, **kwargs: object) -> None:
        if create and extracted is not None:
            self.centres.add(extracted)


def make_case(centre: Centre, by: User, **fields: object):  # type: ignore[no-untyped-def]
    """A case created the way the app creates one (number, silence clock, audit)."""
    import datetime as dt

    from django.utils import timezone

    from cases import services

    values: dict[str, object] = {
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "やまだ",
        "given_name_kana": "たろう",
        "first_contact_date": timezone.localdate() - dt.timedelta(days=1),
        "first_contact_by": "family",
        **fields,
    }
    return services.case_create(centre=centre, by=by, fields=values)


def make_cases(centre: Centre, by: User, n: int) -> list:  # type: ignore[type-arg]
    """n cases, each made through the service, with `by` as their counsellor."""
    return [make_case(centre, by, primary_counsellor=by) for _ in range(n)]


def record_contact(case, by: User, *, two_way: bool = True, at=None, **extra):  # type: ignore[no-untyped-def]
    """A contact recorded the way the app records one (silence clock, audit)."""
    from django.utils import timezone

    from cases import services
    from cases.models import Channel, Counterpart

    fields = {
        "occurred_at": at or timezone.now(),
        "duration_minutes": 20,
        "channel": Channel.PHONE if two_way else Channel.LETTER,
        "counterpart": Counterpart.FAMILY,
        "two_way": two_way,
        "note": "メモ",
        **extra,
    }
    return services.contact_record(case=case, by=by, fields=fields)


def bulk_contacts(case, staff: User, n: int) -> None:  # type: ignore[no-untyped-def]
    """n contacts, one a day back from yesterday, written in one go (no silence logic)."""
    import datetime as dt

    from django.utils import timezone

    from cases.models import ContactEntry

    now = timezone.now()
    ContactEntry.objects.bulk_create(
        ContactEntry(
            case=case,
            occurred_at=now - dt.timedelta(days=day),
            channel="phone",
            counterpart="family",
            staff=staff,
            created_by=staff,
            note=f"記録{day:03d}",
        )
        for day in range(1, n + 1)
    )


def intake_data(overrides: dict[str, str]) -> dict[str, str]:
    """What the intake page posts for a first call from a family member, plus changes."""
    from django.utils import timezone

    return {
        "case-first_contact_by": "family",
        "case-age_band": "unknown",
        "case-gender": "unanswered",
        "case-person_aware": "unknown",
        "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contact-duration_minutes": "10",
        "contact-channel": "phone",
        "contact-counterpart": "family",
        "contact-two_way": "on",
        **overrides,
    }


def client_for(user: User) -> Client:
    """Signed in as the user, with the second factor too where the role needs one."""
    client = Client()
    client.force_login(user)
    if user.role in settings.TWO_FACTOR_ROLES:
        verify_second_factor(client, user)
    return client


def verify_second_factor(client: Client, user: User) -> None:
    """What entering a code from the user's authenticator does to the session."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def case_form_data(case, **overrides):
    """What the edit form posts for an untouched case, plus the given changes."""
    return {
        "version": str(case.version),
        "first_contact_date": case.first_contact_date.isoformat(),
        "first_contact_by": "family",
        "age_band": "unknown",
        "gender": "unanswered",
        "support_stage": "family",
        "person_aware": "unknown",
        **overrides,
    }


def make_member(
    case,
    by,
    *,
    relation="mother",
    lives_with_person=True,
    person_aware="unknown",
    is_primary_contact=False,
    **fields,
):
    """A household member added the way the app adds one (link, audit, 80/50 refresh)."""
    from families import services

    values = {
        "family_name": "山田",
        "given_name": "花子",
        "family_name_kana": "やまだ",
        "given_name_kana": "はなこ",
        "contact_consent": True,
        **fields,
    }
    return services.member_add(
        case=case,
        by=by,
        fields=values,
        link_fields={
            "relation": relation,
            "lives_with_person": lives_with_person,
            "person_aware": person_aware,
            "is_primary_contact": is_primary_contact,
        },
    )


def make_visit(  # type: ignore[no-untyped-def]
    case,
    by: User,
    *,
    staff: list[User] | None = None,
    days_ahead: int = 14,
    start_hour: int = 10,
    minutes: int = 60,
    status: str = "planned",
    **fields: object,
):
    """A home visit planned through the service, `days_ahead` days from today (Tokyo) at
    `start_hour`, and moved on to `status` the way the app would: announced (no answer),
    confirmed (agreed), briefed and in progress, or done. `staff` defaults to `by` and a
    second counsellor of the centre, so the pair rule holds."""
    import datetime as dt

    from django.utils import timezone

    from outreach import services
    from outreach.models import AnnouncementResponse

    if staff is None:
        second = UserFactory.create(role=Role.COUNSELLOR, centre=case.centre)
        staff = [by, second]
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(start_hour)))
    visit = services.visit_plan(
        case=case,
        by=by,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        purpose=str(fields.pop("purpose", "近況をうかがう")),
        staff=staff,
        **fields,  # type: ignore[arg-type]
    )
    if status == "planned":
        return visit
    response = AnnouncementResponse.NO_ANSWER if status == "announced" else "agreed"
    services.visit_announce(
        visit=visit,
        by=by,
        method="phone",
        made_at=timezone.now(),
        recipient="person",
        response=response,
    )
    if status in ("announced", "confirmed"):
        visit.refresh_from_db()
        return visit
    for user in staff:
        services.briefing_acknowledge(visit=visit, by=user)
    return visit


def make_programme(  # type: ignore[no-untyped-def]
    centre: Centre,
    by: User,
    *,
    days_ago: int = 8,
    count: int = 3,
    capacity: int = 60,
    title: str = "CRAFT講座",
):
    """A CRAFT course through the service, its `count` weekly 90-minute sessions starting
    `days_ago` days ago at the top of the current hour (Tokyo), `by` facilitating."""
    import datetime as dt

    from django.utils import timezone

    from families import services

    first = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    first -= dt.timedelta(days=days_ago)
    return services.programme_create(
        centre=centre,
        by=by,
        fields={
            "kind": "craft",
            "title": title,
            "starts_on": first.date(),
            "ends_on": first.date() + dt.timedelta(days=30),
            "capacity": capacity,
        },
        facilitators=[by],
        sessions=services.weekly_sessions(first_start=first, minutes=90, count=count, place="2階"),
    )
