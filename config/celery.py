import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tsunagu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="tsunagu.ping", ignore_result=False)
def ping(value: int) -> int:
    """Round-trip probe used by tests and deployment checks."""
    return value + 1
