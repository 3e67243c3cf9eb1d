from urllib.parse import urlsplit

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client's login() calls authenticate() without a request, which axes'
# backend refuses (django-axes 8.3); the lockout tests switch it back on with
# override_settings(AXES_ENABLED=True) (tests/kontum_review/test_accounts.py).
AXES_ENABLED = False
# No idle-session renewal: a renewal write would land in whichever request
# follows a minute of wall-clock time, and tests count queries. The idle-session
# tests in test_accounts.py turn it on with the production value.
SESSION_RENEW_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A second, in-memory SQLite database: tests that must behave the same on both
# backends (Vietnamese order and search) run their queries against it too.
DATABASES["sqlite"] = {  # noqa: F405
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": ":memory:",
    "TEST": {"NAME": ":memory:"},
}

# The replica is an alias of the test database, switched on by the tests that
# read it (override_settings(READ_REPLICA="replica")); its own connection sees
# only what was committed, as a real replica would.
DATABASES["replica"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "ATOMIC_REQUESTS": False,
    "TEST": {"MIRROR": "default"},
}
READ_REPLICA = ""

# Serve static files straight from the finders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tasks run in-process in tests, whatever REDIS_URL says; the tests that claim a
# real worker start one and switch this off for themselves.
CELERY_TASK_ALWAYS_EAGER = True
# Jobs (openings, documents) run inside the request, not in a background thread,
# so a test sees the finished job in its own transaction.
JOBS_IN_THREAD = False

# The cache gets a Redis database of its own, which tests/conftest.py empties
# before each test without touching the broker's queues.
if REDIS_URL:  # noqa: F405
    CACHES["default"]["LOCATION"] = (  # noqa: F405
        urlsplit(REDIS_URL)._replace(path="/15").geturl()  # noqa: F405
    )
