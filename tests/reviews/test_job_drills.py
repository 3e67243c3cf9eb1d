"""Cycle openings and result e-mails: no job lost, none stuck.

Both are job rows (CycleJob, ResultMailing) with a heartbeat: a worker claims
one in a single UPDATE and writes `updated_at` at each step; the sweep sends
again those pending a minute (never sent: Redis was down) and those running
with a stale heartbeat (their worker died). The drills against a real worker
and Redis are in the last classes (skipped without them, failed in CI).
"""

import io
import os
import re
import shutil
import tempfile
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from reviews import background, services, tasks
from reviews.models import CycleJob, Regime, ResultMailing, Review, ReviewCycle

from ..factories import UserFactory
from ..personas import PersonasTestCase
from .test_decide import build_cycle
from .test_fault_drills import DrillTestCase, ThrowawayRedis, celery_on
from .test_publish import decide_all, publish

Status = CycleJob.Status
LONG_AGO = timedelta(hours=2)


class MailingTests(TestCase):
    """A publication's e-mails are a row first, then sent (here, in the test)."""

    def setUp(self):
        self.cycle, self.cell, people = build_cycle(members=3)
        for number, person in enumerate(people):
            person.email = f"dv{number}@kontum.vn"
            person.save()
        self.staff = UserFactory(username="btc")
        decide_all(self.cycle, self.staff)

    def test_publishing_records_the_mailing_and_sends_it(self):
        publish(self, self.cycle, self.staff)
        mailing = ResultMailing.objects.get()
        self.assertEqual(len(mailing.recipients), 3)
        self.assertEqual(
            (mailing.status, mailing.progress, mailing.sent, mailing.attempts),
            (Status.DONE, 3, 3, 1),
        )
        self.assertEqual(len(mail.outbox), 3)

    def test_a_mailing_taken_up_again_goes_on_from_its_last_batch(self):
        with (
            self.settings(JOB_RESEND_SECONDS=3600),
            self.captureOnCommitCallbacks(execute=False),
        ):
            services.move_cycle(self.cycle, ReviewCycle.Status.PUBLISHED, self.staff)
        mailing = ResultMailing.objects.get()
        # A worker sent the first two, then died.
        ResultMailing.objects.filter(pk=mailing.pk).update(
            status=Status.RUNNING,
            progress=2,
            sent=2,
            attempts=1,
            updated_at=timezone.now() - LONG_AGO,
        )
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(tasks.resend_result_mailings(), 1)
        mailing.refresh_from_db()
        self.assertEqual((mailing.status, mailing.sent), (Status.DONE, 3))
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, [mailing_address(mailing, 2)])

    def test_a_held_mailing_is_left_to_its_worker(self):
        mailing = ResultMailing.objects.create(
            cycle=self.cycle,
            recipients=[[self.cycle.reviews.first().pk, None]],
            status=Status.RUNNING,
            updated_at=timezone.now(),
        )
        self.assertFalse(background.claim(ResultMailing, mailing.pk))
        self.assertEqual(tasks.resend_result_mailings(), 0)
        self.assertEqual(mail.outbox, [])

    def test_a_mailing_whose_worker_died_each_time_is_failed_not_resent(self):
        mailing = ResultMailing.objects.create(
            cycle=self.cycle,
            recipients=[[self.cycle.reviews.first().pk, None]],
            status=Status.RUNNING,
            attempts=3,
            updated_at=timezone.now() - LONG_AGO,
        )
        self.assertEqual(tasks.resend_result_mailings(), 0)
        mailing.refresh_from_db()
        self.assertEqual(mailing.status, Status.FAILED)
        self.assertIn("mọi lần", mailing.message)
        self.assertEqual(mail.outbox, [])

    def test_an_unreachable_mail_server_leaves_the_mailing_to_try_again(self):
        publish_without_mail = self.captureOnCommitCallbacks(execute=False)
        with publish_without_mail:
            services.move_cycle(self.cycle, ReviewCycle.Status.PUBLISHED, self.staff)
        mailing = ResultMailing.objects.get()
        with (
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=1,
                EMAIL_TIMEOUT=1,
            ),
            self.assertRaises(OSError),
        ):
            tasks.send_result_mails_task.run(mailing.pk)
        mailing.refresh_from_db()
        self.assertEqual((mailing.status, mailing.sent), (Status.PENDING, 0))
        with self.settings(JOB_RESEND_SECONDS=0):
            self.assertEqual(tasks.resend_result_mailings(), 1)
        mailing.refresh_from_db()
        self.assertEqual((mailing.status, mailing.sent), (Status.DONE, 3))


def mailing_address(mailing, index):
    review = Review.objects.select_related("member").get(
        pk=mailing.recipients[index][0]
    )
    return review.member.email


class OpeningHeartbeatTests(PersonasTestCase):
    """An opening's row shows whether a worker holds it."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.cycle = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2026",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=cls.committee,
        )

    def job(self, **fields):
        return CycleJob.objects.create(cycle=self.cycle, **fields)

    def test_the_opening_beats_as_it_goes(self):
        job = self.job()
        before = timezone.now()
        tasks.open_cycle_task.apply(args=[job.pk])
        job.refresh_from_db()
        self.assertEqual((job.status, job.attempts), (Status.DONE, 1))
        self.assertGreaterEqual(job.updated_at, before)
        self.assertEqual(job.progress, job.total)

    def test_a_second_message_leaves_a_held_opening_alone(self):
        job = self.job(status=Status.RUNNING, updated_at=timezone.now(), attempts=1)
        tasks.open_cycle_task.apply(args=[job.pk])
        job.refresh_from_db()
        self.assertEqual((job.status, job.attempts), (Status.RUNNING, 1))
        self.assertFalse(self.cycle.reviews.exists())

    def test_the_sweep_takes_up_an_opening_whose_worker_died(self):
        job = self.job(
            status=Status.RUNNING, updated_at=timezone.now() - LONG_AGO, attempts=1
        )
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(tasks.resend_cycle_jobs(), 1)
        job.refresh_from_db()
        self.assertEqual((job.status, job.attempts), (Status.DONE, 2))
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, ReviewCycle.Status.SELF_REVIEW)

    def test_an_opening_that_killed_its_worker_each_time_is_failed(self):
        job = self.job(
            status=Status.RUNNING, updated_at=timezone.now() - LONG_AGO, attempts=3
        )
        self.assertEqual(tasks.resend_cycle_jobs(), 0)
        job.refresh_from_db()
        self.assertEqual(job.status, Status.FAILED)

    def test_asking_again_through_the_page_restarts_a_stuck_opening(self):
        job = self.job(
            status=Status.RUNNING, updated_at=timezone.now() - LONG_AGO, attempts=1
        )
        self.client.force_login(self.staff)
        url = reverse(
            "reviews:cycle_move",
            args=[self.cycle.public_id, ReviewCycle.Status.SELF_REVIEW],
        )
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url, {"confirm": "on"})
        self.assertRedirects(
            response, reverse("reviews:cycle", args=[self.cycle.public_id])
        )
        self.assertEqual(CycleJob.objects.count(), 1)
        job.refresh_from_db()
        self.assertEqual(job.status, Status.DONE, job.message)

    def test_asking_again_leaves_a_held_opening_to_its_worker(self):
        job = self.job(status=Status.RUNNING, updated_at=timezone.now(), attempts=1)
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            self.assertEqual(
                services.request_cycle_opening(self.cycle, self.staff).pk, job.pk
            )
        self.assertEqual(callbacks, [])


# Against a real worker and Redis ----------------------------------------------


def sent_addresses(folder):
    """The recipients of the messages a filebased e-mail backend wrote."""
    found = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as written:
            found += re.findall(r"^To: (\S+)$", written.read(), re.MULTILINE)
    return sorted(found)


class MailDrillTestCase(DrillTestCase):
    """The drill world with an address for each member and the cycle decided."""

    def setUp(self):
        super().setUp()
        members = self.cycle.reviews.individuals().select_related("member")
        self.addresses = []
        for number, review in enumerate(members):
            review.member.email = f"dv{number}@kontum.vn"
            review.member.save()
            self.addresses.append(review.member.email)
        decide_all(self.cycle, self.user)
        self.outbox = tempfile.mkdtemp(prefix="kr-drill-mail-")
        self.addCleanup(shutil.rmtree, self.outbox, ignore_errors=True)

    def start_mail_worker(self, redis_url=None):
        # django-environ drops the path's first slash: four for an absolute one.
        extra_env = {"EMAIL_URL": f"filemail:///{self.outbox}"}
        if redis_url:
            extra_env["REDIS_URL"] = redis_url
        self.start_worker(pool="solo", extra_env=extra_env)


@pytest.mark.usefixtures("require_postgres", "redis_url")
class MailOutageDrillTests(MailDrillTestCase):
    def test_results_published_while_redis_is_down_are_mailed_when_it_is_back(self):
        redis = ThrowawayRedis()
        self.addCleanup(redis.remove)
        with celery_on(redis.url):
            began = time.monotonic()
            services.move_cycle(self.cycle, ReviewCycle.Status.PUBLISHED, self.user)
            self.assertLess(time.monotonic() - began, 5)
            mailing = ResultMailing.objects.get()
            self.assertEqual(mailing.status, Status.PENDING)
            self.assertEqual(len(mailing.recipients), self.members)

            redis.start()
            self.start_mail_worker(redis_url=redis.url)
            with override_settings(JOB_RESEND_SECONDS=0):
                out = io.StringIO()
                call_command("sweep_jobs", stdout=out)
            self.assertIn("result mailings sent again: 1", out.getvalue())
            mailing = self.wait_until(mailing, lambda m: m.status == Status.DONE)
        self.assertEqual(mailing.sent, self.members)
        self.assertEqual(sent_addresses(self.outbox), sorted(self.addresses))
