"""Production: no default for secrets or hosts, so bad config fails at start."""

from email.utils import getaddresses

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    DEFAULT_FROM_EMAIL,
    DEV_SECRET_KEY,
    STATIC_ROOT,
    STORAGES,
    TEMPLATES,
    env,
)


def weakness(key):
    """Why `key` may not sign production sessions and links, or None.

    Django's own measure (check security.W009), which `check --deploy` only
    warns about: refused here so that gunicorn, Celery and manage.py stop.
    """
    if not key:
        return "it is empty"
    if key == DEV_SECRET_KEY:
        return "it is the repository's development key"
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return f"it starts with {SECRET_KEY_INSECURE_PREFIX!r}"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it has fewer than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        minimum = SECRET_KEY_MIN_UNIQUE_CHARACTERS
        return f"it has fewer than {minimum} different characters"
    return None


def admins(value):
    """Django's ADMINS from `Nguyễn Văn A <a@example.vn>, b@example.vn`.

    Addresses separated by commas, each with or without a name; a name that
    holds a comma goes in double quotes. An entry that is no address stops the
    start, rather than 500s going nowhere.
    """
    pairs = []
    for name, address in getaddresses([value] if value.strip() else []):
        if "@" not in address:
            raise ImproperlyConfigured(
                f"ADMINS: {value!r} is not a comma-separated list of e-mail "
                "addresses, e.g. ADMINS='Nguyễn Văn A <a@example.vn>, b@example.vn'"
            )
        pairs.append((name or address, address))
    return pairs


SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if problem := weakness(SECRET_KEY):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for production: {problem}. Set a random one of "
        f"at least {SECRET_KEY_MIN_LENGTH} characters, e.g. the output of "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
DEBUG = False
DEMO_DATA_ALLOWED = False

# Static files under names that carry a hash of their content
# (css/app.4be9c24af624.css), from the manifest that collectstatic writes at the
# image's build: browsers keep them for good (whitenoise sends them immutable,
# for ten years) and a changed file gets a new name, so no one runs on a stale
# stylesheet.
# Development and the tests serve the files as they are, with no collectstatic.
STORAGES = {
    **STORAGES,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
STATIC_ROOT = env.path("STATIC_ROOT", default=STATIC_ROOT)

# Errors reported. With DEBUG off, Django's `mail_admins` log handler (kept by
# base.py's LOGGING) e-mails every 500, with its traceback, to ADMINS, from
# SERVER_EMAIL, through EMAIL_URL.
ADMINS = admins(env("ADMINS", default=""))
SERVER_EMAIL = env("SERVER_EMAIL", default="") or DEFAULT_FROM_EMAIL
# And to Sentry, when SENTRY_DSN is set: the errors of pages and of Celery tasks,
# without personal data (no cookies, no user, no client address). Without a DSN
# the SDK is not even imported.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="") or "production",
        release=env("SENTRY_RELEASE", default="") or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
    )

# Each template parsed once per process (Django's default with DEBUG off, said
# here so that a `loaders` option added to base.py cannot drop it unnoticed).
# A new list: base.py's is shared with the other settings modules.
TEMPLATES = [
    {
        **TEMPLATES[0],
        "APP_DIRS": False,
        "OPTIONS": {
            **TEMPLATES[0]["OPTIONS"],
            "debug": False,
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
        },
    }
]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
