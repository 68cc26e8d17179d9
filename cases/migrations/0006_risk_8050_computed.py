from django.db import migrations, models
from django.db.models import F


def keep_ticked_flags_as_unverified(apps, schema_editor):
    """Until now `risk_8050` was a box someone ticked. From here on it is computed from the
    household (families) and the ages. No household has been recorded yet, so no data can
    contradict a ticked box: every ticked case keeps its flag, marked as unverified, and the
    computation keeps it on until a parent with a known age is recorded for the case (then the
    data decides). Nothing is switched off by this migration."""
    Case = apps.get_model("cases", "Case")
    Case.objects.filter(risk_8050=True).update(risk_8050_unverified=F("risk_8050"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_assessment_instrument_version")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="risk_8050_unverified",
            field=models.BooleanField(
                db_default=False,
                default=False,
                editable=False,
                verbose_name="8050世帯（手入力・未確認）",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="risk_8050",
            field=models.BooleanField(default=False, editable=False, verbose_name="8050世帯"),
        ),
        migrations.RunPython(keep_ticked_flags_as_unverified, migrations.RunPython.noop),
    ]
