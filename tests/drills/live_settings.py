"""Settings of the live server the PostgreSQL-restart drill starts: the test settings, with
persistent database connections as in production (the test settings close them after every
request), so that a restart leaves the server holding dead connections."""

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
