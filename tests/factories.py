from __future__ import annotations

import factory
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
