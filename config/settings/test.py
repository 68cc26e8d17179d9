from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests that start a real worker use their own Redis database so they never see the
# developer's queue.
REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
DATABASES["default"]["CONN_MAX_AGE"] = 0
# The suite reads everything from the one test database; tests/test_db_router.py adds a
# "replica" alias (a second connection to it) where it tests the replica.
DATABASES.pop("replica", None)
# Each pytest process (and the workers it starts) gets its own queue, so parallel runs never
# consume each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = "tsunagu-test-" + env("PYTEST_XDIST_WORKER", default="main")
# A worker started by a fault-injection test (tests/reminders/test_delivery_faults.py) writes
# each e-mail to its own file in TEST_MAIL_DIR, slowly enough to be killed mid-batch.
_test_mail_dir = env("TEST_MAIL_DIR", default="")
if _test_mail_dir:
    MAILERS = {
        "default": {
            "BACKEND": "tests.mail_backends.SlowFileBackend",
            "OPTIONS": {
                "directory": _test_mail_dir,
                "delay": env.float("TEST_MAIL_DELAY", default=0.0),
            },
        }
    }

# Serve static files from the apps and static/ directly; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Managers and administrators sign in with a second factor (production adds counsellors:
# tests/accounts/test_two_factor.py checks that with the production default).
TWO_FACTOR_ROLES = ["manager", "admin"]
# The suite empties the database between transactional tests, the audit trail included.
AUDIT_FLUSH_ALLOWED = True
# Tests that travel in time keep one signed-in client across hours and days; the idle
# timeout's own tests (tests/accounts/test_idle_timeout.py) switch it on.
IDLE_TIMEOUT_ENFORCED = False

# Every test reads the trends live (tests/dashboards/test_trends_cache.py turns the cache on).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "dashboards": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
