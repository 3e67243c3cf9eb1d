import datetime

from django.urls import reverse
from django.utils import timezone

from reviews.models import RemedyAction, ReviewCycle

from .test_remedy_plan import RemedyTestCase

HTMX = {"HTTP_HX_REQUEST": "true"}


class RemedyActionTests(RemedyTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.today = timezone.localdate()

    def setUp(self):
        self.own = self.action(self.review_a)
        self.collective = self.action(self.collective_a)

    def url(self, action):
        return reverse("reviews:remedy_action", args=[action.public_id])

    def progress(self, action, **overrides):
        data = {
            "status": action.status,
            "evidence": action.evidence,
            "content": action.content,
            "owner": action.owner,
            "deadline": action.deadline.isoformat(),
            "shortcoming": action.shortcoming,
        }
        return data | overrides

    def test_done_with_evidence_closes_the_action_today(self):
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.url(self.own),
            self.progress(self.own, status="done", evidence="Đã nộp đủ đảng phí"),
        )
        self.assertRedirects(
            response,
            reverse("reviews:remedy_plan", args=[self.review_a.public_id])
            + "#action-1",
        )
        self.own.refresh_from_db()
        self.assertEqual(self.own.status, RemedyAction.Status.DONE)
        self.assertEqual(self.own.closed_on, self.today)
        self.assertEqual(self.own.evidence, "Đã nộp đủ đảng phí")
        self.assertEqual(self.own.history.first().history_user, self.secretary_a)

    def test_done_needs_the_evidence(self):
        self.in_english()
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.url(self.own), self.progress(self.own, status="done", evidence="")
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(list(response.context["form"].errors), ["evidence"])
        self.assertContains(response, "before closing the action")
        self.own.refresh_from_db()
        self.assertEqual(self.own.status, RemedyAction.Status.OPEN)
        self.assertIsNone(self.own.closed_on)

    def test_in_progress_keeps_the_notes_and_no_closing_day(self):
        self.client.force_login(self.secretary_a)
        self.client.post(
            self.url(self.own),
            self.progress(self.own, status="in_progress", evidence="Đã nộp quý I"),
        )
        self.own.refresh_from_db()
        self.assertEqual(self.own.status, RemedyAction.Status.IN_PROGRESS)
        self.assertEqual(self.own.evidence, "Đã nộp quý I")
        self.assertIsNone(self.own.closed_on)

    def test_reopening_a_done_action_clears_its_closing_day(self):
        RemedyAction.objects.filter(pk=self.own.pk).update(
            status="done", closed_on=self.today, evidence="Xong"
        )
        self.client.force_login(self.secretary_a)
        self.client.post(
            self.url(self.own), self.progress(self.own, status="in_progress")
        )
        self.own.refresh_from_db()
        self.assertEqual(self.own.status, RemedyAction.Status.IN_PROGRESS)
        self.assertIsNone(self.own.closed_on)

    def test_content_owner_and_deadline_can_be_changed(self):
        self.client.force_login(self.secretary_a)
        self.client.post(
            self.url(self.own),
            self.progress(
                self.own,
                content="Nộp đảng phí qua ngân hàng",
                owner="Tổ trưởng",
                deadline=self.day(120).isoformat(),
            ),
        )
        self.own.refresh_from_db()
        self.assertEqual(
            (self.own.content, self.own.owner, self.own.deadline),
            ("Nộp đảng phí qua ngân hàng", "Tổ trưởng", self.day(120)),
        )

    def test_an_overdue_action_keeps_its_deadline_while_progress_is_recorded(self):
        late = self.action(self.review_a, deadline=self.decision_day)
        self.client.force_login(self.secretary_a)
        self.client.post(
            self.url(late),
            self.progress(late, status="in_progress", evidence="Bắt đầu"),
        )
        late.refresh_from_db()
        self.assertEqual(late.status, RemedyAction.Status.IN_PROGRESS)

    def test_a_changed_deadline_is_checked_again(self):
        self.in_english()
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.url(self.own),
            self.progress(self.own, deadline=self.decision_day.isoformat()),
        )
        self.assertEqual(list(response.context["form"].errors), ["deadline"])
        self.assertContains(response, "must be after the decision of")
        self.own.refresh_from_db()
        self.assertEqual(self.own.deadline, self.day(60))

    def test_too_long_evidence_is_refused(self):
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.url(self.own), self.progress(self.own, evidence="x" * 4001)
        )
        self.assertEqual(list(response.context["form"].errors), ["evidence"])
        self.own.refresh_from_db()
        self.assertEqual(self.own.evidence, "")

    def test_unknown_status_is_refused(self):
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.url(self.own), self.progress(self.own, status="overdue")
        )
        self.assertEqual(list(response.context["form"].errors), ["status"])

    def test_htmx_edit_swaps_the_card_for_its_form_and_back(self):
        self.in_english()
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url(self.own), **HTMX)
        self.assertTemplateUsed(response, "reviews/_remedy_action_form.html")
        self.assertNotContains(response, "<html")
        self.assertContains(response, f'hx-post="{self.url(self.own)}"')
        self.assertContains(response, 'id="action-1"')

        response = self.client.post(
            self.url(self.own),
            self.progress(self.own, status="in_progress", evidence="Đang làm"),
            **HTMX,
        )
        self.assertTemplateUsed(response, "reviews/_remedy_action.html")
        self.assertNotContains(response, "<form")
        self.assertContains(response, "Saved.")
        self.assertContains(response, "Đang làm")
        # The plan's counts at the top follow, swapped out of band.
        self.assertContains(response, 'id="plan-counts" class="row g-2 mb-3" hx-swap')
        self.assertEqual(response.context["counts"]["in_progress"], 1)

    def test_htmx_invalid_post_returns_the_form_with_the_error(self):
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.url(self.own), self.progress(self.own, owner=""), **HTMX
        )
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "reviews/_remedy_action_form.html")
        self.assertContains(response, "is-invalid")

    def test_a_refused_update_shows_the_action_as_it_was_saved(self):
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.url(self.own), self.progress(self.own, status="done"), **HTMX
        )
        self.assertEqual(response.context["action"].status, RemedyAction.Status.OPEN)
        self.assertEqual(response.context["form"]["status"].value(), "done")

    def test_overdue_badge_on_the_action_page(self):
        self.in_english()
        late = self.action(self.review_a, deadline=self.today - datetime.timedelta(1))
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url(late))
        self.assertContains(response, '<span class="badge text-bg-danger">Overdue')

    def test_member_updates_their_own_action_only(self):
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.own), self.progress(self.own, status="in_progress")
        )
        self.own.refresh_from_db()
        self.assertEqual(self.own.status, RemedyAction.Status.IN_PROGRESS)
        response = self.client.post(
            self.url(self.collective),
            self.progress(self.collective, status="in_progress"),
        )
        self.assertEqual(response.status_code, 404)

    def test_leader_reads_the_action_but_cannot_change_it(self):
        self.client.force_login(self.leader)
        response = self.client.get(self.url(self.own))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.context["editable"])
        self.assertNotContains(response, 'name="status"')
        response = self.client.post(
            self.url(self.own), self.progress(self.own, status="in_progress")
        )
        self.assertEqual(response.status_code, 403)
        self.own.refresh_from_db()
        self.assertEqual(self.own.status, RemedyAction.Status.OPEN)

    def test_secretary_of_another_cell_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url(self.own)).status_code, 404)
        response = self.client.post(
            self.url(self.own), self.progress(self.own, status="in_progress")
        )
        self.assertEqual(response.status_code, 404)
        self.own.refresh_from_db()
        self.assertEqual(self.own.status, RemedyAction.Status.OPEN)

    def test_before_the_decision_nothing_changes(self):
        self.cycle.status = ReviewCycle.Status.APPRAISAL
        self.cycle.save()
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.url(self.own), self.progress(self.own, status="in_progress")
        )
        self.assertEqual(response.status_code, 403)
