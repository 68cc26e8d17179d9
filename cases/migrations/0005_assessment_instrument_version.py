from django.db import migrations


class Migration(migrations.Migration):
    """`version` is the optimistic-lock counter on the editable models; on Assessment it was
    the instrument's edition. Renamed so the one word means one thing."""

    dependencies = [("cases", "0004_phone_number_field")]

    operations = [
        migrations.RenameField(
            model_name="assessment", old_name="version", new_name="instrument_version"
        )
    ]
