from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from organizations.models import OrganizationKind, Role
from reviews import services
from reviews.models import CycleReopening, Rating, ReviewCycle

from ..factories import OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase
from .test_publish import decide_all, level

Status = ReviewCycle.Status
REASON = "Ủy ban Kiểm tra kết luận đồng chí Ân có vi phạm; xếp loại lại."


class ReopenTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        decide_all(cls.cycle, cls.staff)
        services.move_cycle(cls.cycle, Status.PUBLISHED, cls.staff)
        services.move_cycle(cls.cycle, Status.LOCKED, cls.staff)

    def url(self):
        return reverse("reviews:cycle_reopen", args=[self.cycle.public_id])

    def status(self):
        self.cycle.refresh_from_db()
        return self.cycle.status

    def test_staff_get_the_form_with_a_required_reason(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="reason"')
        self.assertTrue(response.context["form"].fields["reason"].required)

    def test_reopening_without_a_reason_changes_nothing_and_says_why(self):
        self.client.force_login(self.staff)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.client.post(self.url(), {"reason": "   "})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Give the reason for reopening the cycle.")
        self.assertEqual(self.status(), Status.LOCKED)
        self.assertFalse(CycleReopening.objects.exists())

    def test_reopening_records_who_and_why_and_moves_back_to_decided(self):
        self.client.force_login(self.staff)
        response = self.client.post(self.url(), {"reason": REASON})
        self.assertRedirects(
            response, reverse("reviews:cycle", args=[self.cycle.public_id])
        )
        self.assertEqual(self.status(), Status.DECIDED)
        reopening = CycleReopening.objects.get()
        self.assertEqual(
            (reopening.from_status, reopening.reason, reopening.reopened_by),
            (Status.LOCKED, REASON, self.staff),
        )
        record = self.cycle.history.first()
        self.assertEqual(
            (record.status, record.history_user), (Status.DECIDED, self.staff)
        )
        self.assertEqual(record.history_change_reason, REASON[:100])

    def test_a_published_cycle_is_reopened_too(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=Status.PUBLISHED)
        self.client.force_login(self.staff)
        self.client.post(self.url(), {"reason": REASON})
        self.assertEqual(self.status(), Status.DECIDED)
        self.assertEqual(CycleReopening.objects.get().from_status, Status.PUBLISHED)

    def test_a_cycle_that_is_not_closed_is_not_reopened(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=Status.APPRAISAL)
        self.client.force_login(self.staff)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = self.client.get(self.url())
        self.assertNotContains(page, 'name="reason"')
        response = self.client.post(self.url(), {"reason": REASON})
        self.assertContains(response, "Only a published or locked cycle")
        self.assertEqual(self.status(), Status.APPRAISAL)
        self.assertFalse(CycleReopening.objects.exists())

    def test_after_reopening_ratings_change_and_results_are_published_again(self):
        self.client.force_login(self.staff)
        self.client.post(self.url(), {"reason": REASON})
        rating = Rating.objects.get(review=self.review_a, stage="decision")
        rating.level = level(self.cycle, "KHTNV")
        rating.reason = REASON
        rating.set_at = timezone.now()
        rating.save()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("reviews:cycle_move", args=[self.cycle.public_id, "published"]),
                {"confirm": "on"},
            )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.status(), Status.PUBLISHED)
        notice = self.member_user.review_notices.get()
        self.assertIn("Không hoàn thành nhiệm vụ", notice.text)

    def test_the_page_lists_earlier_reopenings_in_constant_queries(self):
        self.client.force_login(self.staff)
        for count in (10, 500):
            CycleReopening.objects.bulk_create(
                CycleReopening(
                    cycle=self.cycle,
                    from_status=Status.LOCKED,
                    reason=f"Lý do {n}",
                    reopened_by=self.staff,
                )
                for n in range(count - CycleReopening.objects.count())
            )
            # Session, user, cycle, staff check, reopenings, savepoint pair.
            with self.assertNumQueries(7):
                response = self.client.get(self.url())
            self.assertEqual(len(response.context["reopenings"]), count)
        self.assertContains(response, "Lý do 0")
        self.assertContains(response, self.staff.username)

    def test_outsider_gets_404(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        stranger = UserFactory(username="stranger")
        grant(stranger, other, Role.Kind.STAFF)
        self.client.force_login(stranger)
        self.assertEqual(self.client.get(self.url()).status_code, 404)
        response = self.client.post(self.url(), {"reason": REASON})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.status(), Status.LOCKED)

    def test_leader_post_gets_403_and_changes_nothing(self):
        self.client.force_login(self.leader)
        response = self.client.post(self.url(), {"reason": REASON})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.status(), Status.LOCKED)
        self.assertFalse(CycleReopening.objects.exists())

    def test_a_secretary_gets_403(self):
        self.client.force_login(self.secretary_a)
        self.assertEqual(self.client.get(self.url()).status_code, 403)
        response = self.client.post(self.url(), {"reason": REASON})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.status(), Status.LOCKED)
