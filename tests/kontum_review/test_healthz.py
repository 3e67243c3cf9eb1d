import json

import pytest
from django.test import SimpleTestCase, TestCase, override_settings

from .test_settings import run_django


class HealthzTests(TestCase):
    def test_healthy_database_answers_200(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["checks"]["database"]["ok"], True)

    @override_settings(REDIS_URL="redis://127.0.0.1:1/0")
    def test_unreachable_redis_answers_503(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["checks"]["redis"]["ok"], False)

    def test_without_redis_configured_only_the_database_is_checked(self):
        with self.settings(REDIS_URL=""):
            response = self.client.get("/healthz")
        self.assertNotIn("redis", response.json()["checks"])


@pytest.mark.usefixtures("redis_url")
class HealthzRedisTests(TestCase):
    def test_reachable_redis_answers_200(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["checks"]["redis"], {"ok": True})


DOWN_CHECK = """
import django
django.setup()
from django.test import Client
response = Client().get("/healthz")
print(response.status_code, response.content.decode())
"""


class HealthzDatabaseDownTests(SimpleTestCase):
    def test_database_down_answers_503(self):
        # Nothing listens on port 1: the database server is down.
        result = run_django(
            "kontum_review.settings.dev",
            DOWN_CHECK,
            DATABASE_URL="postgres://postgres@127.0.0.1:1/kontum_review",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        status, body = result.stdout.strip().split(" ", 1)
        self.assertEqual(status, "503")
        self.assertEqual(json.loads(body)["checks"]["database"]["ok"], False)
