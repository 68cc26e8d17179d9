from django.db import migrations, models


class Migration(migrations.Migration):
    """Which start each announcement announced: existing ones announced the visit's start."""

    dependencies = [("outreach", "0003_home_visits")]

    operations = [
        migrations.AddField(
            model_name="visitannouncement",
            name="announced_start",
            field=models.DateTimeField(editable=False, null=True, verbose_name="予告した訪問日時"),
        ),
        migrations.RunSQL(
            "UPDATE outreach_visitannouncement AS a SET announced_start = v.starts_at"
            " FROM outreach_homevisit AS v WHERE v.id = a.visit_id",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="visitannouncement",
            name="announced_start",
            field=models.DateTimeField(editable=False, verbose_name="予告した訪問日時"),
        ),
    ]
