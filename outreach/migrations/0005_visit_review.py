from django.db import migrations, models


class Migration(migrations.Migration):
    """Overrides and announcements are of one start (and purpose); the watch remembers what
    it reminded of. Existing rows are of the visit's current start and purpose."""

    dependencies = [("outreach", "0004_announced_start")]

    operations = [
        migrations.AddField(
            model_name="homevisit",
            name="announce_reminded_for",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="homevisit",
            name="briefing_reminded_key",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="homevisit",
            name="report_reminded_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="visitannouncement",
            name="announced_purpose",
            field=models.CharField(default="", editable=False, max_length=300),
        ),
        migrations.AddField(
            model_name="visitoverride",
            name="for_start",
            field=models.DateTimeField(editable=False, null=True, verbose_name="対象の訪問日時"),
        ),
        migrations.RunSQL(
            "UPDATE outreach_visitoverride AS o SET for_start = v.starts_at"
            " FROM outreach_homevisit AS v WHERE v.id = o.visit_id;"
            " UPDATE outreach_visitannouncement AS a SET announced_purpose = v.purpose"
            " FROM outreach_homevisit AS v WHERE v.id = a.visit_id",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="visitoverride",
            name="for_start",
            field=models.DateTimeField(editable=False, verbose_name="対象の訪問日時"),
        ),
        migrations.RemoveConstraint(model_name="visitoverride", name="one_override_per_rule"),
        migrations.AddConstraint(
            model_name="visitoverride",
            constraint=models.UniqueConstraint(
                fields=("visit", "rule", "for_start"), name="one_override_per_rule_and_start"
            ),
        ),
    ]
