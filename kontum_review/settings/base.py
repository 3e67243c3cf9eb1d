"""Settings shared by every environment; each value comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from import_export.formats.base_formats import CSV, XLSX

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# The development default; prod.py refuses it (and any other weak key).
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = env("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "import_export",
    "simple_history",
    "kontum_review.apps.AxesConfig",
    "kontum_review.apps.ProjectConfig",
    "organizations",
    "members",
    "reviews",
    # Before Django REST framework: its Vietnamese catalogue is partial, and
    # the api app's own (api/locale) fills and corrects it.
    "api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one: every answer carries the policy, a refusal by a
    # middleware below (a 400, a 503) too.
    "kontum_review.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that reads the database: an outage answers 503.
    "kontum_review.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kontum_review.middleware.LanguageMiddleware",
    # Before anything reads the query or the form: PostgreSQL refuses NULs.
    "kontum_review.nul_characters.NulCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kontum_review.accounts.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Inside everything else but outside the view's transaction, so the log of
    # an API request survives the rollback of a refused one.
    "api.middleware.AccessLogMiddleware",
]

ROOT_URLCONF = "kontum_review.urls"
WSGI_APPLICATION = "kontum_review.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Embedded default: SQLite in the project folder; DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Each web and worker process keeps its connection between requests (opening
# one costs PostgreSQL a new backend process, some 3 ms a request), checked
# before it is reused after an error. 0 opens one per request again.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock at BEGIN and wait for it, so two users saving at the
    # same moment queue up instead of one getting "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
PGBOUNCER = env.bool("PGBOUNCER", default=False)
if PGBOUNCER:
    # PgBouncer in transaction mode hands each transaction any server
    # connection: no cursor or prepared statement may outlive one.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
# PostgreSQL plans a query a connection has sent five times once, as a
# prepared statement, instead of on every request: the values travel apart
# from the SQL (server-side binding). A review page's lookup joins eight
# tables, which took 3.5 ms to plan and 0.5 ms to run.
PREPARED_STATEMENTS = not PGBOUNCER and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
)


def prepared(database):
    """`database` with prepared statements, when it is PostgreSQL."""
    if PREPARED_STATEMENTS and database["ENGINE"] == "django.db.backends.postgresql":
        options = database.setdefault("OPTIONS", {})
        options.update(server_side_binding=True, prepare_threshold=5)
    return database


prepared(DATABASES["default"])
# A read replica of PostgreSQL (streaming replication), read by the dashboard and
# the statistics only (kontum_review/replica.py). Empty: everything reads default.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
READ_REPLICA = ""
if DATABASE_REPLICA_URL:
    READ_REPLICA = "replica"
    DATABASES[READ_REPLICA] = prepared(env.db("DATABASE_REPLICA_URL"))
    DATABASES[READ_REPLICA]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kontum_review.replica.ReplicaRouter"]
# How long figures read from the replica are cached: its lag is not seen again
# for longer than this.
REPLICA_CACHE_SECONDS = env.int("REPLICA_CACHE_SECONDS", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    # The cache is optional: with Redis unreachable pages are served uncached
    # (kontum_review/cache.py), and short timeouts keep them fast.
    CACHES = {
        "default": {
            "BACKEND": "kontum_review.cache.OptionalRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kontum",
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 1,
                "RETRY_AFTER": 5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PASSWORD_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{PASSWORD_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{PASSWORD_VALIDATION}.MinimumLengthValidator"},
    {"NAME": f"{PASSWORD_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{PASSWORD_VALIDATION}.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's, with the menu's count of unread notices in the user's query.
    "kontum_review.accounts.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# A signed-in session ends after this many seconds without a request (a working
# day by default); kontum_review.accounts.IdleSessionMiddleware renews it while
# the user works, with at most one session write a minute.
# Django's database sessions, read with SQL compiled once per process.
SESSION_ENGINE = "kontum_review.sessions"
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=8 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_RENEW_SECONDS = 60
# A password-reset link works for a day.
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60
# Reset requests taken per hour for one typed address and from one client
# address (kontum_review/accounts.py): enough for a mistyped try or two, too
# few to flood a member's mailbox or to probe the register.
PASSWORD_RESET_PER_ADDRESS = env.int("PASSWORD_RESET_PER_ADDRESS", default=3)
PASSWORD_RESET_PER_CLIENT = env.int("PASSWORD_RESET_PER_CLIENT", default=10)
CSRF_FAILURE_VIEW = "kontum_review.views.csrf_failure"

# Brute-force protection (django-axes) on both login pages: LOGIN_FAILURE_LIMIT
# wrong passwords for one username from one address lock that pair out for
# LOGIN_LOCKOUT_MINUTES after the last failure. Committee staff unlock sooner
# at /accounts/locked/, superusers also in the admin or `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Retrying while locked out does not push the end of the lockout further.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "kontum_review.accounts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "kontum_review.accounts.client_ip"
AXES_USERNAME_CALLABLE = "kontum_review.accounts.login_username"
# Reverse proxies in front of the app that append the client's address to
# X-Forwarded-For: 0 reads REMOTE_ADDR, 1 the address one proxy appended.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# Our catalogue first; locale/vendor translates third-party apps that ship no
# Vietnamese (django-import-export, django-simple-history).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["kontum_review.formats"]
# Counts read "7.708" (kontum_review/formats/vi: THOUSAND_SEPARATOR "."). Years,
# ids and the values of <meter>, <progress> and inputs are written with
# `|unlocalize`, and the admin's year columns with `plain_year`.
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from npm at set-up time (see package.json), never a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/tom-select", BASE_DIR / "node_modules" / "tom-select" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: a real broker with REDIS_URL, otherwise tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One worker process per core the machine or container may use (its CPU quota);
# with a prefetch of one each process holds the message it runs and one more is
# fetched as it ends. Documents come in runs of seconds (reviews/reports/).
CELERY_WORKER_CONCURRENCY = env.str("CELERY_WORKER_CONCURRENCY", default="auto")
CELERY_TIMEZONE = TIME_ZONE
# Celery beat (the `beat` service of docker-compose.yml), in TIME_ZONE:
# - every minute, send the jobs no worker holds, those Redis was down for and
#   those of a lost worker (reviews/background.py); a sweep not run within the
#   minute is dropped, as the next one does the same;
# - every morning at REMINDER_HOUR, remind each person of what is due (a notice
#   and an e-mail, at most one a day; reviews/reminders/);
# - on DIGEST_WEEKDAY (0 Sunday … 6 Saturday), a digest of what is late to
#   staff and leaders.
# Installs without beat run `manage.py sweep_jobs` and `manage.py
# send_reminders [--digest]` from cron instead.
SWEEP_SECONDS = 60
REMINDER_HOUR = env.int("REMINDER_HOUR", default=7)
DIGEST_WEEKDAY = env.int("DIGEST_WEEKDAY", default=1)
CELERY_BEAT_SCHEDULE = {
    "sweep-jobs": {
        "task": "reviews.tasks.sweep_jobs_task",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS - 5},
    },
    "send-reminders": {
        "task": "reviews.tasks.send_reminders_task",
        "schedule": crontab(minute=0, hour=REMINDER_HOUR),
        # A day's reminders not sent by the evening wait for the next morning.
        "options": {"expires": 12 * 3600},
    },
    "weekly-digest": {
        "task": "reviews.tasks.send_digest_task",
        "schedule": crontab(minute=30, hour=REMINDER_HOUR, day_of_week=DIGEST_WEEKDAY),
        "options": {"expires": 12 * 3600},
    },
}
# A killed worker's unacknowledged task is handed out again once the visibility
# timeout has passed (plus up to ~100 s until a worker's next scan). It must
# outlast the longest task, the hard time limit, or a task still running would
# be handed out twice; the margin covers retry countdowns and clock skew.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 120
    ),
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
# Redis down: sending a task fails within a second or two, the request goes on
# and the job row waits for the sweep (reviews/background.py).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# A job whose row shows no progress for this long is claimed again by the sweep
# or by a new request for it: by then no task of it can still be running and the
# broker has had its chance to hand a lost one out again.
JOB_STALE_SECONDS = env.int(
    "JOB_STALE_SECONDS",
    default=CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] + 120,
)
REPORT_JOB_STALE_SECONDS = env.int(
    "REPORT_JOB_STALE_SECONDS", default=JOB_STALE_SECONDS
)
# A job whose worker died this many times is failed, not sent again: the sweep
# must not feed a worker, forever, a job that kills it.
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# A job that could not be sent to the worker is sent again after this long.
JOB_RESEND_SECONDS = env.int("JOB_RESEND_SECONDS", default=60)

# Spreadsheet imports in the admin (organizations/resources/, organizations/tasks.py).
# A row costs about 14 ms: the row limit keeps a job inside the task time limits.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)
IMPORT_MAX_UNPACKED_BYTES = env.int(
    "IMPORT_MAX_UNPACKED_BYTES", default=100 * 1024 * 1024
)
IMPORT_MAX_ZIP_RATIO = env.int("IMPORT_MAX_ZIP_RATIO", default=100)
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=500)

# EMAIL_URL, e.g. smtp+tls://user:password@mail.example:587; console by default.
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="kontum-review@localhost")
# Where users reach the site, for links in e-mails (e.g. https://review.example).
SITE_URL = env("SITE_URL", default="")

IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = False
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_FORMATS = [XLSX, CSV]

SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# The API for other systems (api/, ARCHITECTURE.md): tokens only, no session;
# each token is throttled on its own (API_RATE requests, e.g. "600/min").
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_token": env("API_RATE", default="600/min")},
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kontum Review API",
    # The description, in the reader's language (api/schema_hooks.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema_hooks.describe",
    ],
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The models' choices share field names ("status", "kind"): name each set.
    "ENUM_NAME_OVERRIDES": {
        "CycleStatusEnum": "reviews.models.ReviewCycle.Status",
        "ReviewStatusEnum": "reviews.models.Review.Status",
        "RemedyActionStatusEnum": "reviews.models.RemedyAction.Status",
        "MemberStatusEnum": "members.models.Member.Status",
        "OrganizationKindEnum": "organizations.models.OrganizationKind",
        "ReviewKindEnum": "reviews.models.Review.Kind",
        "PostKindEnum": "members.models.PostKind",
    },
    # Swagger UI from the drf-spectacular-sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Whether the demo accounts and seed data may be created (never in production).
DEMO_DATA_ALLOWED = True
