"""Running it in production: hashed static files, health checks, errors reported.

Production settings are read in a subprocess each time, as gunicorn and Celery
read them; the health checks are the commands docker-compose.yml runs.
"""

import gzip
import http.server
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid

import brotli
import pytest
from django.conf import settings
from django.test import SimpleTestCase

from .test_settings import ROOT, STRONG_KEY, run_django

PROD = "kontum_review.settings.prod"
# What every production subprocess gets; Sentry and ADMINS off unless a test
# says otherwise, whatever the environment running the tests holds.
PROD_ENV = {
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "testserver",
    "DATABASE_URL": "sqlite:///:memory:",
    "ADMINS": "",
    "SERVER_EMAIL": "",
    "SENTRY_DSN": "",
    "SENTRY_ENVIRONMENT": "",
    "SENTRY_RELEASE": "",
}
HASHED = re.compile(r"\.[0-9a-f]{12}\.")

# Production's collected static files, made once for the module (_collected()).
_static_root = None


def run_prod(code="", args=(), **extra_env):
    return run_django(PROD, code, args, **{**PROD_ENV, **extra_env})


def output(result):
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout.strip().splitlines()[-1])


# Compressing every file (brotli, gzip) takes minutes and is not what these
# tests check: every extension is skipped, the hashing and the manifest are not.
COLLECT = """
import django
django.setup()
from pathlib import Path
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test.utils import override_settings
extensions = sorted({
    Path(path).suffix.lstrip(".")
    for finder in finders.get_finders()
    for path, _storage in finder.list([])
} - {""})
with override_settings(WHITENOISE_SKIP_COMPRESS_EXTENSIONS=extensions):
    call_command("collectstatic", interactive=False, verbosity=0)
"""


def _collected():
    """collectstatic as the image's build runs it, into a temporary STATIC_ROOT."""
    global _static_root
    if _static_root is None:
        root = tempfile.mkdtemp(prefix="kr-static-")
        result = run_prod(COLLECT, STATIC_ROOT=root)
        if result.returncode != 0:
            shutil.rmtree(root)
            raise AssertionError(f"collectstatic failed:\n{result.stderr}")
        _static_root = root
    return _static_root


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(test, **extra_env):
    """gunicorn on production settings and collected static files; its port."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DEBUG", "PYTHONPATH"}
    }
    env.update(
        {
            **PROD_ENV,
            "DJANGO_SETTINGS_MODULE": PROD,
            "STATIC_ROOT": _collected(),
            **extra_env,
        }
    )
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by addCleanup
    test.addCleanup(log.close)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kontum_review.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    test.addCleanup(stop, server)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            test.fail(f"gunicorn stopped:\n{log.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return port
        except OSError:
            time.sleep(0.2)
    test.fail("gunicorn did not start")


def tearDownModule():
    if _static_root:
        shutil.rmtree(_static_root)


# A view that fails, in front of the project's URLs and its handler500.
BOOM_URLS = """
from django.urls import include, path


def boom(request):
    raise RuntimeError("boom for the admins")


urlpatterns = [path("boom", boom), path("", include("kontum_review.urls"))]
handler500 = "kontum_review.views.server_error"
"""
BOOM = f"""
import sys, types
urls = types.ModuleType("boom_urls")
exec({BOOM_URLS!r}, urls.__dict__)
sys.modules["boom_urls"] = urls
"""


class StaticFilesTests(SimpleTestCase):
    def test_production_stores_static_files_under_hashed_names(self):
        code = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps(settings.STORAGES["staticfiles"]["BACKEND"]))
"""
        self.assertEqual(
            output(run_prod(code)),
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
        # `make run` and the tests: the files as they are, found without
        # collectstatic.
        dev = run_django("kontum_review.settings.dev", code)
        self.assertEqual(output(dev), "whitenoise.storage.CompressedStaticFilesStorage")
        self.assertEqual(
            settings.STORAGES["staticfiles"]["BACKEND"],
            "django.contrib.staticfiles.storage.StaticFilesStorage",
        )

    def test_collectstatic_writes_the_manifest(self):
        root = _collected()
        with open(os.path.join(root, "staticfiles.json")) as manifest:
            paths = json.load(manifest)["paths"]
        hashed = paths["css/app.css"]
        self.assertRegex(hashed, r"^css/app\.[0-9a-f]{12}\.css$")
        self.assertTrue(os.path.exists(os.path.join(root, hashed)))
        self.assertIn("vendor/bootstrap/css/bootstrap.min.css", paths)

    def test_a_production_page_links_hashed_files_served_for_a_year(self):
        code = """
import django, json, re
django.setup()
from django.test import Client
client = Client()
page = client.get("/accounts/login/", secure=True)
links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.content.decode())
stylesheet = client.get(links[0], secure=True)
favicon = client.get("/favicon.ico", secure=True)
print(json.dumps({
    "status": page.status_code,
    "links": links,
    "stylesheet": [stylesheet.status_code, stylesheet.get("Cache-Control")],
    "favicon": favicon["Location"],
}))
"""
        shown = output(run_prod(code, STATIC_ROOT=_collected()))
        self.assertEqual(shown["status"], 200)
        self.assertIn("/static/css/", " ".join(shown["links"]))
        for link in shown["links"]:
            self.assertRegex(link, HASHED)
        self.assertEqual(shown["stylesheet"][0], 200)
        self.assertIn("immutable", shown["stylesheet"][1])
        self.assertIn("max-age=315360000", shown["stylesheet"][1])
        self.assertRegex(shown["favicon"], r"^/static/img/favicon\.[0-9a-f]{12}\.svg$")

    def test_production_commands_run_before_collectstatic(self):
        # migrate and check load the URLs; the favicon's is read when asked for.
        empty = tempfile.mkdtemp(prefix="kr-static-empty-")
        self.addCleanup(shutil.rmtree, empty)
        result = run_prod(
            args=["check", "--deploy", "--fail-level", "WARNING"],
            STATIC_ROOT=empty,
            ALLOWED_HOSTS="review.example",
        )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)

    def test_make_run_serves_static_files_without_collectstatic(self):
        empty = tempfile.mkdtemp(prefix="kr-static-empty-")
        self.addCleanup(shutil.rmtree, empty)
        code = """
import django, json
django.setup()
from django.test import Client
client = Client()
page = client.get("/accounts/login/")
stylesheet = client.get("/static/css/app.css")
print(json.dumps({
    "linked": "/static/css/app.css" in page.content.decode(),
    "served": stylesheet.status_code,
}))
"""
        result = run_django(
            "kontum_review.settings.dev",
            code,
            STATIC_ROOT=empty,
            DATABASE_URL="sqlite:///:memory:",
        )
        self.assertEqual(output(result), {"linked": True, "served": 200})


class AdminsTests(SimpleTestCase):
    SHOW = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps({"admins": settings.ADMINS, "from": settings.SERVER_EMAIL}))
"""

    def test_admins_come_from_the_environment(self):
        shown = output(
            run_prod(
                self.SHOW,
                ADMINS='Nguyễn Văn A <a@example.vn>, "Trần, Thị B" <b@example.vn>,'
                " c@example.vn",
                DEFAULT_FROM_EMAIL="kontum-review@example.vn",
            )
        )
        self.assertEqual(
            shown["admins"],
            [
                ["Nguyễn Văn A", "a@example.vn"],
                ["Trần, Thị B", "b@example.vn"],
                ["c@example.vn", "c@example.vn"],
            ],
        )
        # Error mails come from the site's address, not Django's root@localhost.
        self.assertEqual(shown["from"], "kontum-review@example.vn")

    def test_no_admins_by_default(self):
        shown = output(run_prod(self.SHOW, SERVER_EMAIL="errors@example.vn"))
        self.assertEqual(shown, {"admins": [], "from": "errors@example.vn"})

    def test_an_entry_that_is_no_address_stops_the_start(self):
        result = run_prod(self.SHOW, ADMINS="Nguyễn Văn A")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ADMINS", result.stderr)

    def test_a_500_is_mailed_to_the_admins(self):
        code = f"""
import django, json
django.setup()
{BOOM}
from django.core import mail
from django.test import Client, override_settings
with override_settings(ROOT_URLCONF="boom_urls"):
    response = Client(raise_request_exception=False).get("/boom", secure=True)
print(json.dumps({{
    "status": response.status_code,
    "mails": [
        {{"to": m.to, "from": m.from_email, "subject": m.subject, "body": m.body}}
        for m in getattr(mail, "outbox", [])
    ],
}}))
"""
        shown = output(
            run_prod(
                code,
                STATIC_ROOT=_collected(),
                ADMINS="Nguyễn Văn A <a@example.vn>, b@example.vn",
                SERVER_EMAIL="errors@example.vn",
                EMAIL_URL="memorymail://",
            )
        )
        self.assertEqual(shown["status"], 500)
        [sent] = shown["mails"]
        self.assertEqual(sent["to"], ["a@example.vn", "b@example.vn"])
        self.assertEqual(sent["from"], "errors@example.vn")
        self.assertIn("/boom", sent["subject"])
        self.assertIn("RuntimeError at /boom\nboom for the admins", sent["body"])


class SentryTests(SimpleTestCase):
    STATE = """
import django, json, sys
django.setup()
from kontum_review.celery import app
app.loader.import_default_modules()
state = {"imported": "sentry_sdk" in sys.modules}
if state["imported"]:
    import sentry_sdk
    client = sentry_sdk.get_client()
    state.update(
        active=client.is_active(),
        dsn=client.options["dsn"],
        environment=client.options["environment"],
        release=client.options["release"],
        pii=client.options["send_default_pii"],
        integrations=sorted(client.integrations),
    )
print(json.dumps(state))
"""

    def test_without_a_dsn_sentry_is_not_even_imported(self):
        self.assertEqual(output(run_prod(self.STATE)), {"imported": False})

    def test_a_dsn_starts_sentry_for_pages_and_tasks(self):
        shown = output(
            run_prod(
                self.STATE,
                SENTRY_DSN="http://public@127.0.0.1:9/1",
                SENTRY_ENVIRONMENT="staging",
                SENTRY_RELEASE="kontum-review@1.2.3",
            )
        )
        self.assertTrue(shown["active"])
        self.assertEqual(shown["dsn"], "http://public@127.0.0.1:9/1")
        self.assertEqual(shown["environment"], "staging")
        self.assertEqual(shown["release"], "kontum-review@1.2.3")
        self.assertIs(shown["pii"], False)
        self.assertIn("django", shown["integrations"])
        self.assertIn("celery", shown["integrations"])

    def test_the_environment_defaults_to_production(self):
        shown = output(run_prod(self.STATE, SENTRY_DSN="http://public@127.0.0.1:9/1"))
        self.assertEqual(shown["environment"], "production")

    def test_a_500_in_gunicorn_reaches_sentry_without_personal_data(self):
        # A stand-in for Sentry's ingest on a local port: what the SDK sends.
        received = queue.Queue()

        class Ingest(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    body = brotli.decompress(body)
                received.put(body.decode())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        ingest = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
        threading.Thread(target=ingest.serve_forever, daemon=True).start()
        self.addCleanup(ingest.server_close)
        self.addCleanup(ingest.shutdown)
        # Production settings with a failing view in front of the project's URLs.
        boom = tempfile.mkdtemp(prefix="kr-boom-")
        self.addCleanup(shutil.rmtree, boom)
        with open(os.path.join(boom, "boom_urls.py"), "w") as module:
            module.write(BOOM_URLS)
        with open(os.path.join(boom, "boom_settings.py"), "w") as module:
            module.write(
                "from kontum_review.settings.prod import *  # noqa\n"
                'ROOT_URLCONF = "boom_urls"\n'
            )
        port = start_gunicorn(
            self,
            DJANGO_SETTINGS_MODULE="boom_settings",
            PYTHONPATH=boom,
            ALLOWED_HOSTS="review.example",
            SENTRY_DSN=f"http://public@127.0.0.1:{ingest.server_port}/1",
            SENTRY_RELEASE="kontum-review@1.2.3",
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/boom?q=1",
            headers={
                "Host": "review.example",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "203.0.113.9",
                "Cookie": "sessionid=secret-session-cookie",
            },
        )
        with self.assertRaises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(request, timeout=30)
        self.assertEqual(failed.exception.code, 500)

        envelopes, events = [], []
        deadline = time.monotonic() + 30
        while not events and time.monotonic() < deadline:
            try:
                envelopes.append(received.get(timeout=1))
            except queue.Empty:
                continue
            events = [
                item
                for envelope in envelopes
                for line in envelope.splitlines()
                if line.startswith("{")
                for item in [json.loads(line)]
                if "exception" in item
            ]
        [event] = events
        [exception] = event["exception"]["values"]
        self.assertEqual(
            (exception["type"], exception["value"]),
            ("RuntimeError", "boom for the admins"),
        )
        self.assertEqual(event["environment"], "production")
        self.assertEqual(event["release"], "kontum-review@1.2.3")
        self.assertEqual(event["request"]["url"], "https://review.example/boom")
        sent = "".join(envelopes)
        self.assertNotIn("secret-session-cookie", sent)
        self.assertNotIn("203.0.113.9", sent)
        self.assertNotIn("127.0.0.1", json.dumps(event.get("user", {})))


# docker-compose.yml's required variables, so that `config` interpolates.
COMPOSE_ENV = {
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "review.example",
    "POSTGRES_PASSWORD": "compose-test",
}
TO_JSON = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"


def compose_config(*options):
    """`docker-compose config`: validated and interpolated, as a dict."""
    compose = shutil.which("docker-compose")
    if compose is None:
        raise unittest.SkipTest("docker-compose is not installed")
    env = {**os.environ, **COMPOSE_ENV}
    command = [compose, "-f", str(ROOT / "docker-compose.yml"), *options, "config"]
    with open(compose, "rb") as program:
        first_line = program.readline()
    if first_line.startswith(b"#!") and b"python" in first_line:
        # docker-compose 1.x, a Python program with PyYAML, which reads its
        # output back (the project has no YAML parser of its own).
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        interpreter = first_line[2:].decode().split()
        result = subprocess.run(
            [*interpreter, "-c", TO_JSON],
            input=result.stdout,
            capture_output=True,
            text=True,
            timeout=60,
        )
    else:
        result = subprocess.run(
            [*command, "--format", "json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def shell_command(healthcheck):
    """The command a CMD-SHELL health check runs ($$ is compose's escaped $)."""
    kind, command = healthcheck["test"]
    assert kind == "CMD-SHELL", healthcheck
    return command.replace("$$", "$")


class ComposeTests(SimpleTestCase):
    def test_config_is_valid_with_health_checks(self):
        services = compose_config()["services"]
        self.assertEqual(
            services["web"]["healthcheck"]["test"],
            ["CMD", "python", "kontum_review/healthcheck.py"],
        )
        self.assertIn(
            "celery -A kontum_review inspect ping -d celery@$HOSTNAME",
            shell_command(services["worker"]["healthcheck"]),
        )
        for name in ("worker", "beat"):
            self.assertEqual(
                services[name]["depends_on"],
                {
                    "db": {"condition": "service_healthy"},
                    "redis": {"condition": "service_healthy"},
                    "web": {"condition": "service_healthy"},
                },
                name,
            )

    def test_scale_profile_is_still_valid(self):
        services = compose_config("--profile", "scale")["services"]
        self.assertLessEqual(
            {"db-replica", "pgbouncer", "worker-2", "web", "worker"}, set(services)
        )
        self.assertEqual(
            services["worker-2"]["healthcheck"], services["worker"]["healthcheck"]
        )

    def test_the_image_collects_the_static_files_with_production_settings(self):
        dockerfile = (ROOT / "Dockerfile").read_text()
        self.assertIn("DJANGO_SETTINGS_MODULE=kontum_review.settings.prod", dockerfile)
        self.assertRegex(dockerfile, r"RUN .*\n?.*manage\.py collectstatic")
        self.assertIn("COPY kontum_review kontum_review", dockerfile)


class WebHealthCheckTests(SimpleTestCase):
    """docker-compose.yml's check of `web`, against gunicorn on production settings."""

    def web_check(self, port, allowed_hosts):
        command = compose_config()["services"]["web"]["healthcheck"]["test"][1:]
        env = {
            **os.environ,
            "ALLOWED_HOSTS": allowed_hosts,
            "HEALTHCHECK_URL": f"http://127.0.0.1:{port}/healthz",
        }
        command[0] = sys.executable  # the image's `python`
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
        )

    def test_healthy_web_passes_behind_https_redirect_and_allowed_hosts(self):
        port = start_gunicorn(self, ALLOWED_HOSTS=".review.example,other.example")
        result = self.web_check(port, ".review.example,other.example")
        self.assertEqual(result.returncode, 0, result.stderr)
        # What it gets past: a plain request is refused (its Host) or redirected.
        with self.assertRaises(urllib.error.HTTPError) as plain:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
        self.assertIn(plain.exception.code, {301, 400})

    def test_database_down_fails_the_check(self):
        port = start_gunicorn(
            self,
            ALLOWED_HOSTS="review.example",
            DATABASE_URL="postgres://postgres@127.0.0.1:1/kontum_review",
        )
        result = self.web_check(port, "review.example")
        self.assertEqual(result.returncode, 1)
        self.assertIn("503", result.stderr)

    def test_nothing_answering_fails_the_check(self):
        result = self.web_check(free_port(), "review.example")
        self.assertEqual(result.returncode, 1)
        self.assertIn("did not answer", result.stderr)


@pytest.mark.usefixtures("redis_url")
class WorkerHealthCheckTests(SimpleTestCase):
    """docker-compose.yml's check of `worker`, against a real worker (Redis)."""

    def test_a_running_worker_answers_its_own_ping_only(self):
        node = f"kr-health-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kontum_review.settings.dev",
            "REDIS_URL": settings.REDIS_URL,
            "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
        }
        log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by addCleanup
        self.addCleanup(log.close)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kontum_review", "worker",
             "-n", f"celery@{node}", "--pool=solo", "--loglevel=warning",
             # A queue of its own: it answers pings and takes no one's tasks.
             "-Q", node, "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.addCleanup(stop, worker)
        command = shell_command(compose_config()["services"]["worker"]["healthcheck"])

        def check(hostname):
            return subprocess.run(
                ["sh", "-c", command],
                cwd=ROOT,
                env={**env, "HOSTNAME": hostname},
                capture_output=True,
                text=True,
                timeout=60,
            )

        deadline = time.monotonic() + 90
        while (result := check(node)).returncode != 0:
            if worker.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                self.fail(f"no answer: {result.stdout}\n{log.read().decode()}")
        self.assertIn("pong", result.stdout)
        self.assertNotEqual(check(f"{node}-gone").returncode, 0)
