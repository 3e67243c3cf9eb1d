import os
import shutil
import signal
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import TransactionTestCase
from django.utils import timezone

from organizations.models import Role
from reviews import services
from reviews.models import CycleJob, Regime, ReportJob, ReviewCycle
from reviews.reports import pipeline
from reviews.reports.tasks import render_report_task

from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    grant,
    reseed_reference_data,
)
from ..worker import CeleryWorkerMixin

Kind = ReportJob.Kind
Status = ReportJob.Status


def children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


@pytest.mark.usefixtures("require_postgres", "redis_url")
class ReportWorkerTests(CeleryWorkerMixin, TransactionTestCase):
    """Report jobs go through Redis to a real `celery worker` process."""

    pool = "solo"

    def setUp(self):
        reseed_reference_data()
        committee = OrganizationFactory(code="TU", kind="superior", org_type=None)
        self.cell = OrganizationFactory(
            code="C1", name="Chi bộ Thôn 1", kind="grassroots_cell", parent=committee
        )
        MemberFactory(full_name="Nguyễn Văn Ân", organization=self.cell)
        MemberFactory(full_name="Trần Thị Bình", organization=self.cell)
        self.cycle = ReviewCycle.objects.create(
            name="Năm 2026",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=committee,
        )
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.review = self.cycle.reviews.get(subject_name="Nguyễn Văn Ân")
        self.user = UserFactory(username="btc")
        grant(self.user, committee, Role.Kind.STAFF)

        media = tempfile.mkdtemp(prefix="kr-worker-media-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        media_root = self.settings(MEDIA_ROOT=media)
        media_root.enable()
        self.addCleanup(media_root.disable)

        # -I: the worker loads the report tasks even before reviews.tasks does.
        self.start_worker(
            pool=self.pool,
            extra_env={"MEDIA_ROOT": media},
            extra_args=("-I", "reviews.reports.tasks"),
        )

    def wait_for(self, job, finished=True):
        if finished:
            return self.wait_until(job, lambda job: job.is_finished, pause=0.02)
        return self.wait_until(
            job, lambda job: job.status == Status.RUNNING, pause=0.02
        )

    def read(self, job):
        with job.file.open("rb") as stored:
            return stored.read()


class ReportWorkerEndToEndTests(ReportWorkerTests):
    def test_worker_renders_a_form_end_to_end(self):
        job = pipeline.request_report(
            self.user, Kind.INDIVIDUAL_FORM, self.cycle, review=self.review
        )
        self.assertEqual(job.status, Status.PENDING)
        job = self.wait_for(job)
        self.assertEqual(job.status, Status.DONE, job.error)
        self.assertTrue(self.read(job).startswith(b"%PDF"))
        again = pipeline.request_report(
            self.user, Kind.INDIVIDUAL_FORM, self.cycle, review=self.review
        )
        self.assertEqual(again.pk, job.pk)

    def test_worker_builds_the_organizations_zip_through_a_chord(self):
        job = pipeline.request_report(
            self.user, Kind.ORGANIZATION_FORMS, self.cycle, organization=self.cell
        )
        job = self.wait_for(job)
        self.assertEqual(job.status, Status.DONE, job.error or self.worker_output())
        self.assertEqual((job.progress, job.total), (2, 2))
        self.assertTrue(job.file.name.endswith(".zip"))

    def test_redelivered_job_of_a_lost_worker_completes_once(self):
        lost_token = timezone.now() - timedelta(minutes=10)
        job = ReportJob.objects.create(
            kind=Kind.INDIVIDUAL_FORM,
            cycle=self.cycle,
            review=self.review,
            status=Status.RUNNING,
            started_at=lost_token,
            input_hash="x",
        )
        render_report_task.delay(job.pk)
        job = self.wait_for(job)
        self.assertEqual(job.status, Status.DONE, job.error)
        self.assertFalse(pipeline.finish(job, lost_token, b"%PDF late"))
        job.refresh_from_db()
        self.assertTrue(self.read(job).startswith(b"%PDF-"))
        folder = job.file.name.rpartition("/")[0]
        self.assertEqual(len(default_storage.listdir(folder)[1]), 1)


class ReportWorkerLostTests(ReportWorkerTests):
    """A pool child killed mid-render: the message comes back and is redone."""

    pool = "prefork"

    def test_job_of_a_killed_worker_process_completes_exactly_once(self):
        # A long form keeps WeasyPrint busy for a while, so the kill lands mid-render.
        key = self.review.template.sections.order_by("position").first().key
        paragraph = "Thực hiện nghiêm túc các nhiệm vụ được giao. " * 40
        self.review.answers = {key: "\n\n".join([paragraph] * 150)}
        self.review.save()
        job = pipeline.request_report(
            self.user, Kind.INDIVIDUAL_FORM, self.cycle, review=self.review
        )
        self.wait_for(job, finished=False)
        first_claim = job.started_at
        [child] = children(self.worker.pid)
        os.kill(child, signal.SIGKILL)
        job = self.wait_for(job)
        self.assertEqual(job.status, Status.DONE, job.error or self.worker_output())
        self.assertGreater(job.started_at, first_claim)
        self.assertIn("WorkerLostError", self.worker_output())
        folder = job.file.name.rpartition("/")[0]
        self.assertEqual(len(default_storage.listdir(folder)[1]), 1)
