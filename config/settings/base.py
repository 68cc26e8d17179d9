"""Settings shared by every environment. Everything that differs per deployment is read
from the environment (django-environ); see README.md for the variables."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-do-not-use-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Absolute links in e-mails (reminders carry a link to the case, never its content).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Flash messages are kept server-side with the session: the default keeps them in a cookie,
# and a message may name a person ("山田 花子 を世帯に追加しました").
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "pgtrigger",
    "axes",
    "phonenumber_field",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "cases",
    "reminders",
    "families",
    "outreach",
    "records",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.JapaneseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A shared centre PC: nothing a signed-in user saw is cached.
    "accounts.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An idle session is signed out (after the messages: the login page says why).
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Notes requests for other centres' records (a run of them is a security event).
    "accounts.middleware.ProbeWatchMiddleware",
    # Last, as django-axes asks: it turns a lockout into the page accounts.views.login_locked.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "dashboards.context_processors.page_header",
            ],
            "builtins": ["accounts.templatetags.tsunagu"],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/tsunagu"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL streaming replica for the dashboards' and statistics' reads (docs/scaling.md);
# off unless set. Only the reads inside dashboards.replica.reading_from_replica() go there;
# the session is read-only, so nothing can ever be written through it by mistake.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("OPTIONS", {})["options"] = (
        "-c default_transaction_read_only=on"
    )
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    # Offline: a bundled list of 40,000 breached passwords (accounts/data/README.md).
    {"NAME": "accounts.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A password-reset link works for a few hours, not Django's three days.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=2 * 60 * 60)
# Reset requests per address and per account (e-mail) in the window (accounts.views).
PASSWORD_RESET_THROTTLE_WINDOW = timedelta(hours=1)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=10)
PASSWORD_RESET_LIMIT_PER_ACCOUNT = env.int("PASSWORD_RESET_LIMIT_PER_ACCOUNT", default=3)
# Error reports never carry POSTed values, local variables or cookies (accounts/debug.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "accounts.debug.CaseDataReporterFilter"

LANGUAGE_CODE = "ja"
# Each language named in itself, as the switch shows it.
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.jp:587 or consolemail:// (default).
_email = env.email_url("EMAIL_URL", default="consolemail://")
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "timeout": env.int("EMAIL_TIMEOUT", default=20),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": (
            {key: value for key, value in _smtp_options.items() if value not in (None, "")}
            if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
            else {"file_path": _email["EMAIL_FILE_PATH"]}
            if _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="tsunagu@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The domain part of every notification's Message-ID, so a rare resend is recognisable.
EMAIL_MESSAGE_ID_DOMAIN = env("EMAIL_MESSAGE_ID_DOMAIN", default="tsunagu.local")

# --- Celery -----------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(hours=1)
# No task's result is read (they write to PostgreSQL); keeping results would make every
# publish touch the result backend, which retries for ~20 s when Redis is down.
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when Redis is down: the outbox lives in PostgreSQL and the
# periodic delivery task picks up whatever could not be announced.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_BEAT_SCHEDULE = {
    "sweep-silence": {"task": "reminders.sweep_silence", "schedule": timedelta(minutes=5)},
    "deliver-notifications": {
        "task": "reminders.deliver_pending_notifications",
        "schedule": timedelta(minutes=1),
    },
    "weekly-digest": {
        "task": "reminders.send_weekly_digests",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    "refresh-8050": {
        "task": "families.refresh_8050",
        "schedule": crontab(hour=0, minute=5),  # Asia/Tokyo (CELERY_TIMEZONE)
    },
    "watch-visits": {"task": "outreach.watch_visits", "schedule": timedelta(minutes=5)},
    "purge-access-logs": {
        "task": "accounts.purge_access_logs",
        "schedule": crontab(hour=3, minute=30),
    },
    "purge-expired-sessions": {
        "task": "accounts.purge_expired_sessions",
        "schedule": crontab(hour=3, minute=45),
    },
    # Spreadsheet imports: one whose worker died goes on where it stopped; uploaded files are
    # kept only while their import needs them.
    "resume-imports": {"task": "records.resume_imports", "schedule": timedelta(minutes=1)},
    "purge-import-files": {
        "task": "records.purge_import_files",
        "schedule": crontab(hour=4, minute=0),
    },
    # Retention (APPI): cases past their centre's retention period are disposed of nightly,
    # at a quiet hour (Asia/Tokyo).
    "purge-expired-cases": {
        "task": "records.purge_expired",
        "schedule": crontab(hour=2, minute=30),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".celerybeat-schedule")
)

# Phone numbers (django-phonenumber-field): Japanese by default, stored as E.164, shown as
# a Japanese reader writes them.
PHONENUMBER_DEFAULT_REGION = "JP"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

# --- Reminders ---------------------------------------------------------------------------
# Small enough that a contact recorded during a sweep waits well under a second for the row
# locks of one batch; the total sweep time barely depends on it (bench/README.md).
SWEEP_BATCH_SIZE = env.int("SWEEP_BATCH_SIZE", default=2500)
# Connections that sweep side by side (one per database core is a good start).
SWEEP_PARALLELISM = env.int("SWEEP_PARALLELISM", default=2)
SWEEP_STALE_AFTER = timedelta(minutes=env.int("SWEEP_STALE_AFTER_MINUTES", default=15))
NOTIFICATION_CLAIM_TIMEOUT = timedelta(seconds=env.int("NOTIFICATION_CLAIM_TIMEOUT", default=300))
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=100)
HEALTHZ_CELERY_TIMEOUT = env.float("HEALTHZ_CELERY_TIMEOUT", default=3.0)
# /healthz tells anyone only ok or fail; the checks' details go to a request from this host
# (not through the proxy) or one with this token (Authorization: Bearer ...).
HEALTHZ_TOKEN = env("HEALTHZ_TOKEN", default="")
HEALTHZ_CACHE_SECONDS = env.float("HEALTHZ_CACHE_SECONDS", default=10.0)

# Behind a TLS-terminating proxy that sets X-Forwarded-For, audit events may use it.
AUDIT_TRUST_FORWARDED_FOR = env.bool("AUDIT_TRUST_FORWARDED_FOR", default=False)
# The proxies whose X-Forwarded-For is believed (accounts.services.client_ip).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
# Sign-in lockout (django-axes, on every authenticate(): the app's login page and the
# admin's). Locked is the pair of username and address, so that nobody elsewhere can lock a
# colleague out by guessing at their username, and an address that fails at many usernames
# (accounts.lockout); a refused attempt does not lengthen the lock. The address is the audit
# trail's (accounts.services.client_ip): behind a proxy, set AUDIT_TRUST_FORWARDED_FOR and
# TRUSTED_PROXIES, or every user shares the proxy's address.
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_IP = env.int("LOGIN_FAILURE_LIMIT_PER_IP", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# One username tried from many addresses is slowed down to this many attempts per window
# (whatever the addresses), not locked: its owner waits minutes at worst.
LOGIN_ATTEMPTS_PER_USERNAME = env.int("LOGIN_ATTEMPTS_PER_USERNAME", default=10)
LOGIN_USERNAME_WINDOW = timedelta(minutes=env.int("LOGIN_USERNAME_WINDOW_MINUTES", default=5))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.services.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
LOGIN_LOG_RETENTION_DAYS = env.int("LOGIN_LOG_RETENTION_DAYS", default=90)
# Two-factor sign-in (django-otp, TOTP authenticator apps plus one-time backup codes) for
# the roles that see a whole centre or every centre. Off by default in development (the demo
# users sign in with a password only), on in production and in the tests.
TWO_FACTOR_ROLES = env.list("TWO_FACTOR_ROLES", default=[])
# The first authenticator is set up at the first sign-in only within this time of the
# account's creation; later, through a one-time link an administrator issues (the admin's
# user list), valid TWO_FACTOR_LINK_VALID.
TWO_FACTOR_FIRST_ENROLMENT_WINDOW = timedelta(hours=24)
TWO_FACTOR_LINK_VALID = timedelta(hours=env.int("TWO_FACTOR_LINK_VALID_HOURS", default=72))
OTP_TOTP_ISSUER = "Tsunagu"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no keys or backup codes on django-otp's admin pages

SESSION_COOKIE_HTTPONLY = True
# htmx sends the token from the page (base.html's data-hx-headers), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
# A shared centre PC: the session ends when the browser closes, and after the centre's idle
# time without a request (Centre.idle_timeout_minutes, accounts/idle.py).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
IDLE_TIMEOUT_ENFORCED = True
IDLE_TIMEOUT_DEFAULT_MINUTES = 30
# A run of requests for other centres' records by one user is a security event.
PROBING_THRESHOLD = env.int("PROBING_THRESHOLD", default=10)
PROBING_WINDOW = timedelta(minutes=10)
# Break-glass (cases.access): how long a case opened with a written reason stays readable.
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=120)
# `manage.py flush` may empty the append-only tables (the tests, development) or not.
AUDIT_FLUSH_ALLOWED = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy: everything from our own origin, nothing inline. Scripts and styles
# are vendored files (no CDN), templates carry no inline script or style, and htmx is told
# not to inject its indicator style (templates/base.html), so an injected <script> or
# style="" runs nowhere. Bootstrap's CSS draws its form icons from data: SVGs.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_secret_paths": {"()": "config.log_filters.RedactSecretPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secret_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request log, through the redacting handler instead of Django's own.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Caches: the default (nothing uses it yet) and the managers' dashboard's complete months of
# its trends, per web process (dashboards.selectors.manager.PAST_MONTHS_CACHE): no shared
# service, so a Redis outage can't take the dashboard down.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "dashboards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "dashboards",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}
