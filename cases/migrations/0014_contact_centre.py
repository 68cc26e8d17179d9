"""ContactEntry.centre: the case's centre on each contact, filled by a trigger, so that a
centre's contacts of a period are one index range (docs/performance.md, "The dashboard at a
prefecture's scale"). Added nullable, filled from the cases in one UPDATE, then made
required, all in one transaction: a failure leaves nothing behind, and the migration can
simply run again. It holds the contacts table meanwhile (39 s for 2M contacts on a 2-core
machine): a national database runs it in a maintenance window. The index is built
concurrently by the next migration."""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_centre_privacy_settings_break_glass"),
        ("cases", "0013_case_current_plan_review_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactentry",
            name="centre",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.centre",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="contactentry",
            trigger=pgtrigger.compiler.Trigger(
                name="contact_centre_from_case",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="NEW.centre_id := (SELECT centre_id FROM cases_case WHERE id = NEW.case_id); RETURN NEW;",
                    hash="12d9151bf2927b5256498049beb85903132d77d2",
                    operation='INSERT OR UPDATE OF "case_id", "centre_id"',
                    pgid="pgtrigger_contact_centre_from_case_6f29c",
                    table="cases_contactentry",
                    when="BEFORE",
                ),
            ),
        ),
        migrations.RunSQL(
            "UPDATE cases_contactentry AS entry SET centre_id = c.centre_id"
            " FROM cases_case AS c WHERE c.id = entry.case_id",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="contactentry",
            name="centre",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.centre",
            ),
        ),
    ]
