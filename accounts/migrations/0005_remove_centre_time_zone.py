from django.db import migrations


class Migration(migrations.Migration):
    """Centre.time_zone was read nowhere: every date is shown in settings.TIME_ZONE
    (Asia/Tokyo), and fiscal years and day boundaries follow it. A field that looks
    configurable but is ignored is worse than none."""

    dependencies = [("accounts", "0004_drop_login_attempts")]

    operations = [migrations.RemoveField(model_name="centre", name="time_zone")]
