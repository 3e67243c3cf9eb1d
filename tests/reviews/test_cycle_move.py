from django.conf import settings
from django.urls import reverse

from organizations.models import OrganizationKind, Role
from reviews.models import CycleJob, Regime, Review, ReviewCycle

from ..factories import OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase, PersonasTestCase


class CycleMoveTests(CyclePersonasTestCase):
    def url(self, target="meetings"):
        return reverse("reviews:cycle_move", args=[self.cycle.public_id, target])

    def status(self):
        self.cycle.refresh_from_db()
        return self.cycle.status

    def submit_everything(self):
        self.cycle.reviews.update(status=Review.Status.SUBMITTED)

    def test_confirmation_page_lists_the_unfinished_reviews_with_links(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertContains(
            response, reverse("reviews:review", args=[self.review_a.public_id])
        )
        self.assertContains(response, self.review_a.subject_name)
        self.assertNotContains(response, 'name="confirm"')

    def test_close_is_refused_while_reviews_are_unfinished(self):
        self.client.force_login(self.staff)
        response = self.client.post(self.url(), {"confirm": "on"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, reverse("reviews:review", args=[self.collective_a.public_id])
        )
        self.assertEqual(self.status(), ReviewCycle.Status.SELF_REVIEW)

    def test_close_lists_only_what_is_still_unfinished(self):
        self.submit_everything()
        Review.objects.filter(pk=self.review_a.pk).update(status=Review.Status.RETURNED)
        self.client.force_login(self.staff)
        response = self.client.post(self.url(), {"confirm": "on"})
        self.assertEqual(len(response.context["blockers"]), 1)
        self.assertContains(
            response, reverse("reviews:review", args=[self.review_a.public_id])
        )

    def test_close_moves_the_cycle_once_everything_is_submitted(self):
        self.submit_everything()
        self.client.force_login(self.staff)
        response = self.client.post(self.url(), {"confirm": "on"})
        self.assertRedirects(
            response, reverse("reviews:cycle", args=[self.cycle.public_id])
        )
        self.assertEqual(self.status(), ReviewCycle.Status.MEETINGS)

    def test_the_move_is_recorded_with_who_made_it(self):
        self.submit_everything()
        self.client.force_login(self.staff)
        self.client.post(self.url(), {"confirm": "on"})
        record = self.cycle.history.first()
        self.assertEqual((record.status, record.history_user), ("meetings", self.staff))

    def test_the_move_needs_the_confirmation_ticked(self):
        self.submit_everything()
        self.client.force_login(self.staff)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.client.post(self.url(), {})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.status(), ReviewCycle.Status.SELF_REVIEW)
        self.assertContains(response, "Tick the box to confirm this step.")

    def test_a_skipped_step_is_explained_and_refused(self):
        self.submit_everything()
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.client.force_login(self.staff)
        page = self.client.get(self.url("appraisal"))
        self.assertContains(page, "A step cannot be skipped")
        response = self.client.post(self.url("appraisal"), {"confirm": "on"})
        self.assertContains(response, "cannot move to")
        self.assertEqual(self.status(), ReviewCycle.Status.SELF_REVIEW)

    def test_an_unknown_step_is_404(self):
        self.client.force_login(self.staff)
        self.assertEqual(self.client.get(self.url("finished")).status_code, 404)

    def test_leader_post_gets_403_and_changes_nothing(self):
        self.submit_everything()
        self.client.force_login(self.leader)
        response = self.client.post(self.url(), {"confirm": "on"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.status(), ReviewCycle.Status.SELF_REVIEW)

    def test_a_secretary_who_sees_the_cycle_gets_403(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_outsider_gets_404(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        stranger = UserFactory(username="stranger")
        grant(stranger, other, Role.Kind.STAFF)
        self.client.force_login(stranger)
        self.assertEqual(
            self.client.post(self.url(), {"confirm": "on"}).status_code, 404
        )


class CycleOpeningThroughTheViewTests(PersonasTestCase):
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
        return reverse("reviews:cycle_move", args=[self.cycle.public_id, "self_review"])

    def test_opening_runs_the_job_in_process_after_the_commit(self):
        self.client.force_login(self.staff)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url(), {"confirm": "on"})
        self.assertRedirects(
            response, reverse("reviews:cycle", args=[self.cycle.public_id])
        )
        job = CycleJob.objects.get(cycle=self.cycle)
        self.assertEqual(
            (job.status, job.requested_by), (CycleJob.Status.DONE, self.staff)
        )
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, ReviewCycle.Status.SELF_REVIEW)
        self.assertEqual(self.cycle.reviews.individuals().count(), 3)
        self.assertEqual(self.cycle.history.first().history_user, self.staff)

    def test_nothing_runs_before_the_commit(self):
        self.client.force_login(self.staff)
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.client.post(self.url(), {"confirm": "on"})
        self.assertEqual(len(callbacks), 1)
        self.assertEqual(CycleJob.objects.get(cycle=self.cycle).status, "pending")
        self.assertFalse(self.cycle.reviews.exists())

    def test_a_second_request_reuses_the_waiting_job(self):
        self.client.force_login(self.staff)
        with self.captureOnCommitCallbacks(execute=False):
            self.client.post(self.url(), {"confirm": "on"})
            self.client.post(self.url(), {"confirm": "on"})
        self.assertEqual(CycleJob.objects.filter(cycle=self.cycle).count(), 1)

    def test_leader_cannot_open_the_cycle(self):
        self.client.force_login(self.leader)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url(), {"confirm": "on"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(CycleJob.objects.exists())
