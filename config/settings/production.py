"""Production: every secret comes from the environment; HTTPS everywhere."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind our own TLS-terminating proxy on the same host (TRUSTED_PROXIES, loopback by
# default; gunicorn listens on 127.0.0.1 only), which sets X-Forwarded-Proto and appends the
# client's address to X-Forwarded-For. Believing that gives the audit trail and the sign-in
# lockout each user's address instead of the proxy's (with the proxy's, five wrong guesses
# at a username from anywhere would lock that colleague out everywhere); a request from
# anywhere else cannot choose its address by writing the header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
AUDIT_TRUST_FORWARDED_FOR = env.bool("AUDIT_TRUST_FORWARDED_FOR", default=True)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_AGE = 60 * 60 * 9  # one working day

# Everyone who reads case files signs in with a second factor; staff too if the centre
# says so (TWO_FACTOR_ROLES=staff,counsellor,manager,admin).
TWO_FACTOR_ROLES = env.list("TWO_FACTOR_ROLES", default=["counsellor", "manager", "admin"])
