import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import TransactionTestCase

from kontum_review.celery import app
from reviews import services
from reviews.models import CycleJob, Regime, Review, ReviewCycle

from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    reseed_reference_data,
)

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


def database_url():
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/"
        f"{settings['NAME']}"
    )


@pytest.mark.usefixtures("require_postgres", "redis_url")
class OpenCycleWorkerTests(TransactionTestCase):
    """The opening job goes through Redis to a real `celery worker` process."""

    def setUp(self):
        reseed_reference_data()
        committee = OrganizationFactory(code="TU", kind="superior", org_type=None)
        cell = OrganizationFactory(code="C1", kind="grassroots_cell", parent=committee)
        for _ in range(30):
            MemberFactory(organization=cell)
        self.cycle = ReviewCycle.objects.create(
            name="Năm 2026",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=committee,
        )
        self.user = UserFactory(username="btc")
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by addCleanup
        self.addCleanup(self.log.close)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kontum_review.settings.dev",
            "DATABASE_URL": database_url(),
        }
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kontum_review", "worker",
             "--pool=solo", "--concurrency=1", "--loglevel=warning",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.addCleanup(self.stop_worker)
        app.conf.task_always_eager = False
        self.addCleanup(setattr, app.conf, "task_always_eager", True)

    def stop_worker(self):
        self.worker.terminate()
        try:
            self.worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.worker.kill()

    def worker_output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_for(self, job):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                return job
            self.assertIsNone(self.worker.poll(), self.worker_output())
            time.sleep(0.2)
        self.fail(f"no result in {WAIT_SECONDS} s:\n{self.worker_output()}")

    def test_worker_opens_the_cycle(self):
        job = services.request_cycle_opening(self.cycle, self.user)
        self.assertEqual(job.status, CycleJob.Status.PENDING)
        job = self.wait_for(job)
        self.assertEqual(job.status, CycleJob.Status.DONE, job.message)
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, ReviewCycle.Status.SELF_REVIEW)
        self.assertEqual(
            Review.objects.filter(cycle=self.cycle, kind="individual").count(), 30
        )
