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
