import json
import os
import subprocess
import sys
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]
# Variables that would leak the CI services into a check of the bare defaults.
SERVICE_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DATABASE_REPLICA_URL",
    "PGBOUNCER",
    "DATABASE_PREPARED_STATEMENTS",
    "DATABASE_CONN_MAX_AGE",
}
# A key prod.py accepts (50+ characters, many different ones).
STRONG_KEY = "k7#Qz!9vR2@xL5$mN8^pT3&wB6*yH1(dF4)gJ0-sC7+eA2=uK9"


def run_django(settings_module, code="", args=(), **extra_env):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE=settings_module, **extra_env)
    command = (
        [sys.executable, "manage.py", *args] if args else [sys.executable, "-c", code]
    )
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


SHOW_SETTINGS = """
import django, json
django.setup()
from django.conf import settings
from kontum_review.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": app.conf.task_always_eager,
    "language": settings.LANGUAGE_CODE,
    "time_zone": settings.TIME_ZONE,
}))
"""


class SettingsTests(SimpleTestCase):
    def test_bare_machine_runs_on_the_embedded_default(self):
        result = run_django("kontum_review.settings.dev", SHOW_SETTINGS)
        self.assertEqual(result.returncode, 0, result.stderr)
        shown = json.loads(result.stdout)
        self.assertEqual(shown["engine"], "django.db.backends.sqlite3")
        self.assertEqual(shown["name"], str(ROOT / "db.sqlite3"))
        self.assertEqual(
            shown["cache"], "django.core.cache.backends.locmem.LocMemCache"
        )
        self.assertTrue(shown["eager"])
        self.assertEqual(
            (shown["language"], shown["time_zone"]), ("vi", "Asia/Ho_Chi_Minh")
        )

    def test_services_come_from_the_environment(self):
        result = run_django(
            "kontum_review.settings.dev",
            SHOW_SETTINGS,
            DATABASE_URL="postgres://kontum@db.example:5432/kontum",
            REDIS_URL="redis://cache.example:6379/0",
        )
        shown = json.loads(result.stdout)
        self.assertEqual(shown["engine"], "django.db.backends.postgresql")
        # Django's Redis cache, answering a miss while Redis is unreachable.
        self.assertEqual(shown["cache"], "kontum_review.cache.OptionalRedisCache")
        self.assertFalse(shown["eager"])

    def test_a_replica_and_pgbouncer_come_from_the_environment(self):
        code = """
import django, json
django.setup()
from django.conf import settings
default, replica = settings.DATABASES["default"], settings.DATABASES["replica"]
print(json.dumps({
    "read_replica": settings.READ_REPLICA,
    "replica_host": replica["HOST"],
    "mirror": replica["TEST"]["MIRROR"],
    "no_server_cursors": default["DISABLE_SERVER_SIDE_CURSORS"],
    "prepare": default["OPTIONS"].get("prepare_threshold", "kept"),
    "server_binding": default["OPTIONS"].get("server_side_binding", False),
    "replica_server_binding": replica["OPTIONS"].get("server_side_binding", False),
}))
"""
        result = run_django(
            "kontum_review.settings.dev",
            code,
            DATABASE_URL="postgres://kontum@pgbouncer:6432/kontum",
            DATABASE_REPLICA_URL="postgres://kontum@db-replica:5432/kontum",
            PGBOUNCER="true",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            json.loads(result.stdout),
            {
                "read_replica": "replica",
                "replica_host": "db-replica",
                "mirror": "default",
                "no_server_cursors": True,
                "prepare": None,
                "server_binding": False,
                "replica_server_binding": False,
            },
        )
        result = run_django("kontum_review.settings.dev", SHOW_SETTINGS)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_postgresql_connections_are_kept_and_their_queries_prepared(self):
        code = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps({
    name: [
        database["CONN_MAX_AGE"] if name == "default" else None,
        database.get("OPTIONS", {}).get("server_side_binding", False),
        database.get("OPTIONS", {}).get("prepare_threshold"),
    ]
    for name, database in settings.DATABASES.items()
}))
"""
        urls = {
            "DATABASE_URL": "postgres://kontum@db:5432/kontum",
            "DATABASE_REPLICA_URL": "postgres://kontum@db-replica:5432/kontum",
        }
        cases = [
            ({}, {"default": [60, True, 5], "replica": [None, True, 5]}),
            (
                {"DATABASE_PREPARED_STATEMENTS": "false", "DATABASE_CONN_MAX_AGE": "0"},
                {"default": [0, False, None], "replica": [None, False, None]},
            ),
        ]
        for extra, expected in cases:
            with self.subTest(extra):
                result = run_django("kontum_review.settings.dev", code, **urls, **extra)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(json.loads(result.stdout), expected)
        # SQLite, the embedded default, has neither option.
        result = run_django("kontum_review.settings.dev", code)
        self.assertEqual(json.loads(result.stdout), {"default": [60, False, None]})

    def test_production_without_secret_key_refuses_to_start(self):
        result = run_django(
            "kontum_review.settings.prod",
            args=["check"],
            ALLOWED_HOSTS="review.example",
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY", result.stderr)

    def test_production_without_allowed_hosts_refuses_to_start(self):
        result = run_django(
            "kontum_review.settings.prod", args=["check"], SECRET_KEY=STRONG_KEY
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ALLOWED_HOSTS", result.stderr)

    def test_production_deploy_check_has_no_warning(self):
        result = run_django(
            "kontum_review.settings.prod",
            args=["check", "--deploy", "--fail-level", "WARNING"],
            SECRET_KEY="k7#Qz!9vR2@xL5$mN8^pT3&wB6*yH1(dF4)gJ0-sC7+eA2=uK9" * 2,
            ALLOWED_HOSTS="review.example",
        )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertIn("no issues", result.stdout)

    def test_demo_data_is_refused_in_production(self):
        result = run_django(
            "kontum_review.settings.prod",
            args=["seed_demo"],
            SECRET_KEY=STRONG_KEY,
            ALLOWED_HOSTS="review.example",
            DATABASE_URL="sqlite:////nonexistent-dir/never.sqlite3",
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Dữ liệu mẫu không được tạo", result.stderr)
