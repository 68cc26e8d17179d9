import os

from celery import Celery
from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    # Never guess in production: a worker that silently fell back to the development
    # settings would run with DEBUG on and the development secret key. Development says so
    # (DEBUG=true in the environment; `make run` sets DJANGO_SETTINGS_MODULE itself).
    if os.environ.get("DEBUG", "").lower() not in ("1", "true", "yes", "on"):
        raise ImproperlyConfigured(
            "DJANGO_SETTINGS_MODULE is not set: use config.settings.production in production "
            "(or set DEBUG=true to fall back to config.settings.local in development)."
        )
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"

app = Celery("tsunagu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="tsunagu.ping", ignore_result=False)
def ping(value: int) -> int:
    """Round-trip probe used by tests and deployment checks."""
    return value + 1
