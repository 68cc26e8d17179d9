# A case's contacts by time, covering channel and counterpart (issue 13, docs/performance.md
# "Statistics"): the statistics and the dashboard's trends count a period's contacts of a
# centre's cases from the index alone, where they fetched every contact row of the centre.
# It replaces contact_case_recent (the same key) and the foreign key's own index (its
# prefix). Built concurrently, so a national database keeps taking contacts meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0009_case_list_order_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="contactentry",
            index=models.Index(
                fields=["case", "-occurred_at"],
                include=["channel", "counterpart"],
                name="contact_case_period",
            ),
        ),
        RemoveIndexConcurrently(model_name="contactentry", name="contact_case_recent"),
        migrations.AlterField(
            model_name="contactentry",
            name="case",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.CASCADE,
                related_name="contacts",
                to="cases.case",
            ),
        ),
    ]
