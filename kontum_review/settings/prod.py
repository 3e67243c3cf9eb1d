"""Production: no default for secrets or hosts, so bad config fails at start."""

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEV_SECRET_KEY, TEMPLATES, env


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
