from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)

# Serve static files from the apps and static/ directly; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# `manage.py flush` may empty the development database, the audit trail included.
AUDIT_FLUSH_ALLOWED = True
