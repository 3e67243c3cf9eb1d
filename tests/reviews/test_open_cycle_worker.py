import pytest
from django.test import TransactionTestCase

from reviews import services
from reviews.models import CycleJob, Regime, Review, ReviewCycle

from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    reseed_reference_data,
)
from ..worker import CeleryWorkerMixin


@pytest.mark.usefixtures("require_postgres", "redis_url")
class OpenCycleWorkerTests(CeleryWorkerMixin, TransactionTestCase):
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
        self.start_worker()

    def wait_for(self, job):
        return self.wait_until(job, lambda job: job.is_finished)

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
