# Three indexes for the managers' dashboard (issue 13, docs/performance.md "The dashboard at
# a prefecture's scale"): a centre's contacts of a period and its new cases as ranges, and
# its caseload counted from the index alone. Built concurrently, so a national database
# keeps taking contacts and cases meanwhile (a build that fails leaves an INVALID index:
# drop it, then run the migration again).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0014_contact_centre"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="contactentry",
            index=models.Index(fields=["centre", "occurred_at"], name="contact_centre_period"),
        ),
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(fields=["centre", "first_contact_date"], name="case_centre_opened"),
        ),
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status", "closed"), _negated=True),
                fields=["centre", "primary_counsellor"],
                include=(
                    "id",
                    "status",
                    "support_stage",
                    "severity",
                    "silence_stage",
                    "current_plan_review_on",
                    "risk_8050",
                ),
                name="case_centre_caseload",
            ),
        ),
    ]
