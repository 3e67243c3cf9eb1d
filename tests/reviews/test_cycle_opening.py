from unittest import mock

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from organizations.models import OrganizationKind, Role
from reviews import background
from reviews.models import CycleJob, Regime, ReviewCycle
from reviews.tasks import open_cycle_task

from ..factories import OrganizationFactory, UserFactory, grant
from ..personas import PersonasTestCase


class CycleOpeningTests(PersonasTestCase):
    """The progress of the opening job, polled by the overview."""

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

    def url(self):
        return reverse("reviews:cycle_opening", args=[self.cycle.public_id])

    def job(self, **fields):
        return CycleJob.objects.create(cycle=self.cycle, **fields)

    def test_a_running_job_shows_its_progress_and_keeps_polling(self):
        self.job(status=CycleJob.Status.RUNNING, progress=120, total=300)
        self.client.force_login(self.staff)
        response = self.client.get(self.url(), headers={"HX-Request": "true"})
        self.assertContains(response, 'value="120" max="300"')
        self.assertContains(response, 'hx-trigger="every 1s"')
        self.assertNotContains(response, "<html")

    def test_shows_the_newest_job(self):
        self.job(status=CycleJob.Status.FAILED, message="old")
        self.job(status=CycleJob.Status.PENDING)
        self.client.force_login(self.staff)
        response = self.client.get(self.url(), headers={"HX-Request": "true"})
        self.assertEqual(response.context["job"].status, CycleJob.Status.PENDING)

    def test_a_finished_job_reloads_the_polling_page(self):
        self.job(status=CycleJob.Status.DONE, progress=300, total=300)
        self.client.force_login(self.staff)
        response = self.client.get(self.url(), headers={"HX-Request": "true"})
        self.assertEqual(response["HX-Refresh"], "true")

    def test_a_failed_job_shows_why_and_stops_polling(self):
        self.job(status=CycleJob.Status.FAILED, message="database unavailable")
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.client.force_login(self.staff)
        response = self.client.get(self.url(), headers={"HX-Request": "true"})
        self.assertContains(response, "Opening failed: database unavailable")
        self.assertNotContains(response, "hx-trigger")

    def test_without_htmx_the_whole_page_is_served(self):
        self.job(status=CycleJob.Status.DONE, progress=5, total=5)
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertContains(response, "<html")
        self.assertContains(response, 'value="5" max="5"')

    def test_the_overview_embeds_the_poller_while_the_job_runs(self):
        self.job(status=CycleJob.Status.PENDING)
        self.client.force_login(self.staff)
        response = self.client.get(
            reverse("reviews:cycle", args=[self.cycle.public_id])
        )
        self.assertContains(response, f'hx-get="{self.url()}"')

    def test_no_job_is_404(self):
        self.client.force_login(self.staff)
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_leader_reads_the_progress_but_cannot_post(self):
        self.job(status=CycleJob.Status.RUNNING)
        self.client.force_login(self.leader)
        self.assertEqual(self.client.get(self.url()).status_code, 200)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_a_secretary_who_sees_the_cycle_gets_403(self):
        self.job()
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_outsider_gets_404(self):
        self.job()
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        stranger = UserFactory(username="stranger")
        grant(stranger, other, Role.Kind.STAFF)
        self.client.force_login(stranger)
        self.assertEqual(self.client.get(self.url()).status_code, 404)


class OpeningInTheBackgroundTests(PersonasTestCase):
    """Without a worker, the opening runs beside the request, not inside it."""

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

    @override_settings(JOBS_IN_THREAD=True)
    def test_the_request_returns_at_once_and_a_thread_opens_the_cycle(self):
        self.client.force_login(self.staff)
        move = reverse("reviews:cycle_move", args=[self.cycle.public_id, "self_review"])
        with (
            mock.patch("reviews.background.threading.Thread") as thread,
            mock.patch.object(open_cycle_task, "delay") as delay,
            self.captureOnCommitCallbacks(execute=True),
        ):
            response = self.client.post(move, {"confirm": "on"})

        self.assertRedirects(
            response, reverse("reviews:cycle", args=[self.cycle.public_id])
        )
        job = CycleJob.objects.get()
        self.assertEqual(job.status, CycleJob.Status.PENDING)
        self.assertFalse(self.cycle.reviews.exists())
        delay.assert_not_called()
        self.assertEqual(thread.call_args.kwargs["args"], (open_cycle_task, job.pk))
        thread.return_value.start.assert_called_once_with()

        # The task the thread runs opens the cycle (the thread then closes its own
        # database connection, which here is the test's).
        self.assertIs(thread.call_args.kwargs["target"], background.run_in_thread)
        open_cycle_task.apply(args=[job.pk])
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, ReviewCycle.Status.SELF_REVIEW)
        self.assertTrue(self.cycle.reviews.exists())
