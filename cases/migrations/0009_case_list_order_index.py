# The case list's default order per centre (issue 13): built concurrently, so that adding it
# to a national database does not block writes to the case table while it builds.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0008_case_transfer"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(fields=["centre", "-updated_at", "-id"], name="case_centre_recent"),
        ),
    ]
