# A session's attendances by arrival (issue 13, docs/performance.md): the dashboard's trends
# and the statistics reach a centre's attendances of a period through its sessions, where
# they scanned every centre's attendances. It replaces the foreign key's own index (its
# prefix). Built concurrently, so check-ins go on meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("outreach", "0005_visit_review"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="ibashoattendance",
            index=models.Index(fields=["session", "arrived_at"], name="attendance_session_arrival"),
        ),
        migrations.AlterField(
            model_name="ibashoattendance",
            name="session",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="attendances",
                to="outreach.ibashosession",
            ),
        ),
    ]
