"""Fault drills: a killed worker, Redis down and back, the cache and the database down.

The worker drills run a real `celery worker` process on PostgreSQL and Redis
(skipped without them, failed in CI); the Redis outage runs on a throwaway
`redis-server` of its own on a spare port, never the shared one. The cache and
database drills need neither.
"""

import io
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import zipfile
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import (
    Client,
    TestCase,
    TransactionTestCase,
    modify_settings,
    override_settings,
)
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from kontum_review.celery import app
from organizations.models import Role
from reviews import services, statistics
from reviews.models import CycleJob, Regime, ReportJob, ReviewCycle
from reviews.reports import pipeline
from reviews.reports.tasks import render_report_task

from ..clicks import download_link, html_of, report_button
from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    grant,
    reseed_reference_data,
)
from ..personas import CyclePersonasTestCase
from ..worker import CeleryWorkerMixin

Kind = ReportJob.Kind
Status = ReportJob.Status

PENDING_NOTE = (
    "The service that makes documents cannot be reached at the moment. Your "
    "request is kept: the document will be made when the service is back, and "
    "this page will show it."
)
UNAVAILABLE_TITLE = "Service temporarily unavailable"


def vietnamese(msgid):
    with translation.override("vi"):
        return gettext(msgid)


def spare_port():
    """A local port nothing listens on (the kernel's pick, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayRedis:
    """A `redis-server` of the drill's own, on a spare port, to stop at will."""

    def __init__(self):
        if not shutil.which("redis-server"):
            pytest.skip("needs redis-server for a throwaway Redis")
        self.port = spare_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = tempfile.mkdtemp(prefix="kr-drill-redis-")

    def ping(self):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis(
            port=self.port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
        )
        try:
            return client.ping()
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self):
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "yes",
             "--dir", self.folder,
             "--pidfile", os.path.join(self.folder, "redis.pid")],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.wait(True)

    def stop(self):
        if self.ping():
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
                check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        self.wait(False)

    def wait(self, up):
        deadline = time.monotonic() + 10
        while self.ping() != up:
            if time.monotonic() > deadline:
                raise AssertionError(f"redis on {self.port} did not go {up}")
            time.sleep(0.05)

    def remove(self):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def reset_celery_connections():
    """Forget the broker connections: kombu's pools (closed, dropped) and the app's."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextmanager
def celery_on(url):
    """This process sends its tasks to the broker at `url`."""
    conf = app.conf
    saved = {
        key: conf[key] for key in ("broker_url", "result_backend", "task_always_eager")
    }
    conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    reset_celery_connections()
    try:
        yield
    finally:
        conf.update(saved)
        reset_celery_connections()


class DrillTestCase(CeleryWorkerMixin, TransactionTestCase):
    """A cell of six members under an opened cycle, and committee staff."""

    members = 6

    def setUp(self):
        reseed_reference_data()
        committee = OrganizationFactory(code="TU", kind="superior", org_type=None)
        self.cell = OrganizationFactory(
            code="C1", name="Chi bộ Thôn 1", kind="grassroots_cell", parent=committee
        )
        for number in range(self.members):
            MemberFactory(full_name=f"Đảng viên Số {number}", organization=self.cell)
        self.cycle = ReviewCycle.objects.create(
            name="Năm 2026",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=committee,
        )
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.cycle.status = ReviewCycle.Status.SELF_REVIEW
        self.cycle.save()
        self.user = UserFactory(username="btc")
        grant(self.user, committee, Role.Kind.STAFF)

        self.media = tempfile.mkdtemp(prefix="kr-drill-media-")
        self.addCleanup(shutil.rmtree, self.media, ignore_errors=True)
        media_root = self.settings(MEDIA_ROOT=self.media)
        media_root.enable()
        self.addCleanup(media_root.disable)

    def start_report_worker(self, redis_url=None):
        extra_env = {"MEDIA_ROOT": self.media}
        if redis_url:
            extra_env["REDIS_URL"] = redis_url
        # -I: the worker loads the report tasks even before reviews.tasks does.
        self.start_worker(
            pool="solo", extra_env=extra_env, extra_args=("-I", "reviews.reports.tasks")
        )

    def read(self, job):
        with job.file.open("rb") as stored:
            return stored.read()


@pytest.mark.usefixtures("require_postgres", "redis_url")
class KilledWorkerDrillTests(DrillTestCase):
    def slow_forms(self):
        """Long answers keep each form's render busy, so the kill lands mid-batch."""
        paragraph = "Thực hiện nghiêm túc các nhiệm vụ được giao. " * 40
        for review in self.cycle.reviews.individuals():
            key = review.template.sections.order_by("position").first().key
            review.answers = {key: "\n\n".join([paragraph] * 24)}
            review.save()

    def test_a_batch_of_a_worker_killed_mid_zip_completes_with_every_part(self):
        self.slow_forms()
        self.start_report_worker()
        job = pipeline.request_report(
            self.user, Kind.ORGANIZATION_FORMS, self.cycle, organization=self.cell
        )
        self.wait_until(job, lambda job: job.progress >= 2, pause=0.02)
        # Into the next part's render, so that the kill lands mid-render.
        done_before = job.progress
        time.sleep(0.3)
        job.refresh_from_db()
        self.assertEqual(job.status, Status.RUNNING)
        self.assertEqual(job.progress, done_before, "a part took under 0.3 s")
        self.assertLess(job.progress, job.total, "the ZIP finished before the kill")
        os.kill(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)
        first_claim = job.started_at

        # A new worker renders the parts still queued, but the one the killed
        # worker held waits for the broker's visibility timeout: the job is
        # stuck short of its total, as in the report of issue 13.
        self.start_report_worker()
        total = job.total
        self.wait_until(job, lambda job: job.progress >= total - 1, pause=0.1)
        time.sleep(1.5)
        job.refresh_from_db()
        self.assertEqual(job.status, Status.RUNNING)
        self.assertEqual(job.started_at, first_claim)

        # No progress for REPORT_JOB_STALE_SECONDS: the sweep claims it again
        # and only the missing part is rendered.
        with override_settings(REPORT_JOB_STALE_SECONDS=1):
            time.sleep(1.1)
            out = io.StringIO()
            call_command("sweep_jobs", stdout=out)
            self.assertIn("Report jobs sent again: 1", out.getvalue())
        job = self.wait_until(job, lambda job: job.is_finished, pause=0.05)
        self.assertEqual(job.status, Status.DONE, job.error or self.worker_output())
        self.assertEqual(job.error, "")
        self.assertGreater(job.started_at, first_claim)
        self.assertEqual((job.progress, job.total), (total, total))
        names = zipfile.ZipFile(io.BytesIO(self.read(job))).namelist()
        self.assertEqual(len(names), self.members)
        self.assertNotIn(pipeline.ERRORS_ENTRY, names)
        for name in names:
            entry = zipfile.ZipFile(io.BytesIO(self.read(job))).read(name)
            self.assertTrue(entry.startswith(b"%PDF") and b"%%EOF" in entry[-1024:])
        parts = pipeline.parts_folder(job)
        self.assertEqual(default_storage.listdir(parts)[1], [])

    def test_asking_again_restarts_a_stuck_job(self):
        self.start_report_worker()
        review = self.cycle.reviews.individuals().first()
        # A claim of a worker lost long ago, whose message the broker lost too.
        lost = timezone.now() - timedelta(hours=2)
        job = ReportJob.objects.create(
            kind=Kind.INDIVIDUAL_FORM,
            cycle=self.cycle,
            review=review,
            status=Status.RUNNING,
            started_at=lost,
            input_hash=pipeline.input_hash(Kind.INDIVIDUAL_FORM, self.cycle, review),
        )
        again = pipeline.request_report(
            self.user, Kind.INDIVIDUAL_FORM, self.cycle, review=review
        )
        self.assertEqual(again.pk, job.pk)
        job = self.wait_until(job, lambda job: job.is_finished, pause=0.05)
        self.assertEqual(job.status, Status.DONE, job.error or self.worker_output())
        self.assertTrue(self.read(job).startswith(b"%PDF"))


@pytest.mark.usefixtures("require_postgres", "redis_url")
class RedisOutageDrillTests(DrillTestCase):
    def setUp(self):
        super().setUp()
        self.redis = ThrowawayRedis()
        self.addCleanup(self.redis.remove)
        self.client.force_login(self.user)

    def press_pdf_button(self, review):
        page = self.client.get(reverse("reviews:review", args=[review.public_id]))
        self.assertEqual(page.status_code, 200)
        form = report_button(html_of(page), Kind.INDIVIDUAL_FORM)
        began = time.monotonic()
        response = self.client.post(form["action"], form["inputs"])
        return response, time.monotonic() - began

    def test_pdf_asked_for_while_redis_is_down_is_made_when_it_is_back(self):
        review = self.cycle.reviews.individuals().first()
        self.redis.start()
        with celery_on(self.redis.url):
            app.connection_for_write().ensure_connection(max_retries=1)
            self.redis.stop()

            response, took = self.press_pdf_button(review)
            self.assertEqual(response.status_code, 302)
            self.assertLess(took, 5)
            job = ReportJob.objects.get()
            self.assertRedirects(
                response,
                reverse("reviews:report_job", args=[job.public_id]),
                fetch_redirect_response=False,
            )
            self.assertEqual(job.status, Status.PENDING)
            self.assertTrue(job.error.startswith(pipeline.UNSENT), job.error)
            page = self.client.get(response["Location"])
            self.assertContains(page, vietnamese(PENDING_NOTE))
            self.assertContains(page, 'hx-trigger="every 1s"')

            # Asked again while still down: the same job, still kept.
            again, took = self.press_pdf_button(review)
            self.assertEqual(again["Location"], response["Location"])
            self.assertLess(took, 5)
            self.assertEqual(ReportJob.objects.count(), 1)

            # Redis is back and a worker with it; the sweep sends the job.
            self.redis.start()
            self.start_report_worker(redis_url=self.redis.url)
            with override_settings(JOB_RESEND_SECONDS=0):
                call_command("sweep_jobs", stdout=io.StringIO())
            job = self.wait_until(job, lambda job: job.is_finished, pause=0.05)
        self.assertEqual(job.status, Status.DONE, job.error or self.worker_output())
        self.assertTrue(self.read(job).startswith(b"%PDF"))
        page = self.client.get(response["Location"])
        self.assertNotContains(page, vietnamese(PENDING_NOTE))
        self.assertIsNotNone(download_link(html_of(page)))

    def test_a_sweep_with_redis_still_down_keeps_the_job_pending(self):
        review = self.cycle.reviews.individuals().first()
        with celery_on(self.redis.url):
            response, _took = self.press_pdf_button(review)
            self.assertEqual(response.status_code, 302)
            job = ReportJob.objects.get()
            with override_settings(JOB_RESEND_SECONDS=0):
                began = time.monotonic()
                call_command("sweep_jobs", stdout=io.StringIO())
                self.assertLess(time.monotonic() - began, 5)
        job.refresh_from_db()
        self.assertEqual(job.status, Status.PENDING)
        self.assertTrue(job.error.startswith(pipeline.UNSENT), job.error)


class SweepTests(CyclePersonasTestCase):
    """What the sweep sends, without a broker (the tasks run in the test)."""

    def job(self, **fields):
        return ReportJob.objects.create(
            kind=Kind.INDIVIDUAL_FORM,
            cycle=self.cycle,
            review=self.review_a,
            input_hash="x",
            **fields,
        )

    def setUp(self):
        media = tempfile.mkdtemp(prefix="kr-drill-media-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        media_root = self.settings(MEDIA_ROOT=media)
        media_root.enable()
        self.addCleanup(media_root.disable)

    def sweep(self):
        with self.captureOnCommitCallbacks(execute=True):
            return pipeline.sweep()

    def test_a_second_message_leaves_a_job_running_well_alone(self):
        job = self.job(status=Status.RUNNING, started_at=timezone.now())
        self.assertIsNone(pipeline.claim(job.pk))
        self.assertIsNotNone(pipeline.claim(job.pk, redelivered=True))

    def test_a_job_sent_a_moment_ago_is_left_to_its_worker(self):
        waiting = self.job()
        running = self.job(status=Status.RUNNING, started_at=timezone.now())
        self.assertEqual(self.sweep(), 0)
        waiting.refresh_from_db()
        running.refresh_from_db()
        self.assertEqual(
            (waiting.status, running.status), (Status.PENDING, Status.RUNNING)
        )

    def test_unsent_and_stale_jobs_are_sent_and_rendered(self):
        old = timezone.now() - timedelta(hours=1)
        unsent = self.job(error=f"{pipeline.UNSENT}: OperationalError: refused")
        ReportJob.objects.filter(pk=unsent.pk).update(created_at=old)
        stale = self.job(status=Status.RUNNING, started_at=old)
        self.assertEqual(self.sweep(), 2)
        for job in (unsent, stale):
            job.refresh_from_db()
            self.assertEqual(job.status, Status.DONE, job.error)

    def test_an_unsent_job_waits_a_minute_between_tries(self):
        with mock.patch.object(
            render_report_task, "delay", side_effect=OSError("refused")
        ):
            app.conf.task_always_eager = False
            self.addCleanup(setattr, app.conf, "task_always_eager", True)
            job = self.job()
            ReportJob.objects.filter(pk=job.pk).update(
                created_at=timezone.now() - timedelta(minutes=2),
                error=f"{pipeline.UNSENT}: OSError: refused",
            )
            self.assertEqual(self.sweep(), 1)
            self.assertEqual(self.sweep(), 0)
        job.refresh_from_db()
        self.assertEqual(job.status, Status.PENDING)
        self.assertEqual(job.error, f"{pipeline.UNSENT}: OSError: refused")

    def test_a_batch_with_recent_parts_is_not_stale(self):
        old = timezone.now() - timedelta(hours=1)
        job = ReportJob.objects.create(
            kind=Kind.ORGANIZATION_FORMS,
            cycle=self.cycle,
            organization=self.cell_a,
            input_hash="x",
            status=Status.RUNNING,
            started_at=old,
        )
        part = [Kind.INDIVIDUAL_FORM.value, self.review_a.pk, None]
        default_storage.save(pipeline.part_path(job, part), io.BytesIO(b"%PDF"))
        self.assertFalse(pipeline.is_stale(job))
        self.assertEqual(self.sweep(), 0)

    def test_a_job_claimed_again_renders_only_the_missing_parts(self):
        job = ReportJob.objects.create(
            kind=Kind.ORGANIZATION_FORMS,
            cycle=self.cycle,
            organization=self.cell_a,
            input_hash="x",
        )
        token = pipeline.claim(job.pk)
        parts = pipeline.start_batch(job.pk, token)
        self.assertEqual(len(parts), 2)
        pipeline.render_part(job.pk, parts[0], token=token, index=0)
        # A part cut short by a kill is not kept.
        default_storage.save(
            pipeline.part_path(job, parts[1]), io.BytesIO(b"%PDF-1.7 cut")
        )
        rendered = []
        render_pdf = pipeline.default_render

        def render(kind, cycle, review=None, organization=None):
            rendered.append(review.pk)
            return render_pdf(kind, cycle, review, organization)

        time.sleep(0.01)
        with (
            override_settings(REPORT_JOB_STALE_SECONDS=0),
            mock.patch("reviews.reports.pipeline.rendering.default_render", render),
        ):
            self.assertEqual(self.sweep(), 1)
        job.refresh_from_db()
        self.assertEqual(job.status, Status.DONE, job.error)
        self.assertEqual(rendered, [parts[1][1]])
        with job.file.open("rb") as stored:
            names = zipfile.ZipFile(io.BytesIO(stored.read())).namelist()
        self.assertEqual(len(names), 2)
        self.assertEqual(default_storage.listdir(pipeline.parts_folder(job))[1], [])

    def test_a_late_part_of_a_lost_claim_is_not_counted(self):
        job = ReportJob.objects.create(
            kind=Kind.ORGANIZATION_FORMS,
            cycle=self.cycle,
            organization=self.cell_a,
            input_hash="x",
        )
        lost = pipeline.claim(job.pk)
        parts = pipeline.start_batch(job.pk, lost)
        ReportJob.objects.filter(pk=job.pk).update(status=Status.PENDING)
        token = pipeline.claim(job.pk)
        result = pipeline.render_part(job.pk, parts[0], token=lost, index=0)
        self.assertEqual(result, {"index": 0, "skipped": True})
        self.assertFalse(pipeline.write_zip(job.pk, lost, [result]))
        job.refresh_from_db()
        self.assertEqual((job.status, job.started_at), (Status.RUNNING, token))
        self.assertEqual(job.progress, 0)

    def test_the_command_sweeps_cycle_openings_too(self):
        opening = CycleJob.objects.create(cycle=self.cycle)
        CycleJob.objects.filter(pk=opening.pk).update(
            created_at=timezone.now() - timedelta(minutes=5)
        )
        out = io.StringIO()
        with self.captureOnCommitCallbacks(execute=True):
            call_command("sweep_jobs", stdout=out)
        self.assertIn("cycle openings sent again: ", out.getvalue())
        opening.refresh_from_db()
        self.assertEqual(opening.status, CycleJob.Status.DONE, opening.message)


CLOSED_CACHE = {
    "default": {
        "BACKEND": "kontum_review.cache.OptionalRedisCache",
        "LOCATION": f"redis://127.0.0.1:{spare_port()}/0",
        "KEY_PREFIX": "kontum",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
    }
}


class CacheOutageDrillTests(CyclePersonasTestCase):
    """Redis (the cache) unreachable: pages are served uncached, and fast."""

    def test_dashboard_answers_200_with_the_cache_unreachable(self):
        self.client.force_login(self.staff)
        with override_settings(CACHES=CLOSED_CACHE):
            for _ in range(2):
                began = time.monotonic()
                response = self.client.get(reverse("dashboard"))
                self.assertEqual(response.status_code, 200)
                self.assertLess(time.monotonic() - began, 5)
            self.assertFalse(cache.reachable)
            # A write's invalidation is kept for when the cache is back.
            self.addCleanup(statistics.missed.clear)
            statistics.invalidate(self.cycle.pk)
            self.assertIn(statistics.version_key(self.cycle.pk), statistics.missed)

    def test_the_cache_answers_a_miss_and_forgets_writes(self):
        with override_settings(CACHES=CLOSED_CACHE):
            cache.set("key", 1)
            self.assertIsNone(cache.get("key"))
            self.assertEqual(cache.get("key", "default"), "default")
            self.assertEqual(cache.get_many(["key"]), {})
            self.assertFalse(cache.add("key", 1))
            with self.assertRaises(ValueError):
                cache.incr("key")
            self.assertEqual(cache.get_or_set("key", 2), 2)


class DatabaseGoneMiddleware:
    """A middleware reading the database (as the session does) while it is down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("server closed the connection unexpectedly")


class DatabaseOutageDrillTests(TestCase):
    """The database unreachable: 503 with the Vietnamese page, /healthz as before."""

    def setUp(self):
        self.client = Client(raise_request_exception=False)

    @contextmanager
    def database_down(self):
        refused = OperationalError("connection refused")
        with mock.patch.object(connection, "ensure_connection", side_effect=refused):
            yield

    def test_pages_answer_503_in_vietnamese(self):
        user = UserFactory(username="btc")
        self.client.force_login(user)
        with self.database_down():
            for url in ("/", reverse("login"), reverse("reviews:cycle_list")):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 503, url)
                self.assertContains(
                    response, vietnamese(UNAVAILABLE_TITLE), status_code=503
                )
                self.assertEqual(response["Retry-After"], "30")
                self.assertEqual(response["Content-Language"], "vi")
                self.assertContains(response, "/static/css/app.css", status_code=503)
                self.assertIn("Content-Security-Policy", response)

    def test_a_post_answers_503_too(self):
        with self.database_down():
            response = self.client.post(
                reverse("login"), {"username": "btc", "password": "x"}
            )
        self.assertEqual(response.status_code, 503)

    @modify_settings(
        MIDDLEWARE={"append": "tests.reviews.test_fault_drills.DatabaseGoneMiddleware"}
    )
    def test_an_error_raised_in_a_middleware_answers_503(self):
        response = self.client.get(reverse("login"))
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, vietnamese(UNAVAILABLE_TITLE), status_code=503)

    def test_healthz_still_reports_the_database(self):
        with self.database_down():
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["checks"]["database"]["ok"], False)

    def test_other_errors_stay_500(self):
        self.client.force_login(UserFactory(username="btc"))
        with (
            mock.patch.object(Role.objects, "filter", side_effect=ValueError("bug")),
            self.assertLogs("django.request", "ERROR"),
        ):
            response = self.client.get("/")
        self.assertEqual(response.status_code, 500)


@pytest.mark.usefixtures("require_postgres")
class RealDatabaseOutageDrillTests(TransactionTestCase):
    """PostgreSQL on a closed port: the connection itself is refused."""

    def test_a_refused_connection_answers_503(self):
        client = Client(raise_request_exception=False)
        client.force_login(UserFactory(username="btc"))
        connection.close()
        with mock.patch.dict(connection.settings_dict, {"PORT": str(spare_port())}):
            began = time.monotonic()
            response = client.get("/")
            health = client.get("/healthz")
            connection.close()
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, vietnamese(UNAVAILABLE_TITLE), status_code=503)
        self.assertLess(time.monotonic() - began, 10)
        self.assertEqual(health.status_code, 503)
