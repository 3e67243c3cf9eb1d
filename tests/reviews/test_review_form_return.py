from django.urls import reverse

from reviews.models import Review, ReviewCycle

from .test_review_form import ReviewFormTestCase


class ReviewReturnTests(ReviewFormTestCase):
    def setUp(self):
        self.client.force_login(self.member_user)
        self.opened_at = self.review_a.version
        self.client.post(
            self.url(self.review_a), self.filled(self.review_a, action="submit")
        )
        self.review_a.refresh_from_db()
        self.client.logout()

    def return_url(self, review):
        return reverse("reviews:review_return", args=[review.public_id])

    def test_secretary_returns_a_submitted_form_with_a_comment(self):
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.return_url(self.review_a), {"comment": "Bổ sung mục II"}
        )
        self.assertRedirects(response, self.url(self.review_a))
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.RETURNED)
        self.assertEqual(review.return_comment, "Bổ sung mục II")
        self.assertEqual(review.version, self.review_a.version + 1)
        self.assertEqual(review.history.first().history_user, self.secretary_a)

    def test_author_sees_the_comment_edits_and_submits_again(self):
        self.client.force_login(self.staff)
        self.client.post(self.return_url(self.review_a), {"comment": "Bổ sung mục II"})
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        self.assertTrue(response.context["editable"])
        self.assertContains(response, "Bổ sung mục II")
        version = response.context["form"]["version"].value()
        self.client.post(
            self.url(self.review_a),
            self.filled(
                self.review_a, action="submit", version=version, text_II="Đã bổ sung"
            ),
        )
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.SUBMITTED)
        self.assertEqual(review.answers["II"], "Đã bổ sung")

    def test_a_form_opened_before_the_return_does_not_submit_it_again(self):
        # The member's second tab still holds the form they submitted from,
        # and posts it again unchanged (a late second click).
        stale = self.filled(self.review_a, action="submit", version=self.opened_at)
        self.client.force_login(self.secretary_a)
        self.client.post(self.return_url(self.review_a), {"comment": "Bổ sung mục II"})
        returned = Review.objects.get(pk=self.review_a.pk)
        self.client.force_login(self.member_user)
        response = self.client.post(self.url(self.review_a), stale)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["conflict"].returned)
        self.assertContains(response, 'id="review-conflict"')
        self.assertContains(response, "Bổ sung mục II")
        form = response.context["form"]
        self.assertEqual(form["text_II"].value(), stale["text_II"])
        self.assertEqual(form["version"].value(), str(returned.version))
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.RETURNED)
        self.assertEqual(review.version, returned.version)
        self.assertEqual(review.answers, returned.answers)
        # Having read the comment, the member submits on purpose.
        resubmitted = {**stale, "version": form["version"].value()}
        resubmitted["text_II"] = "Đã bổ sung mục II"
        self.client.post(self.url(self.review_a), resubmitted)
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.SUBMITTED)
        self.assertEqual(review.answers["II"], "Đã bổ sung mục II")

    def test_a_form_opened_while_returned_does_not_submit_a_second_return(self):
        self.client.force_login(self.secretary_a)
        self.client.post(self.return_url(self.review_a), {"comment": "Lần một"})
        opened = Review.objects.get(pk=self.review_a.pk).version
        data = self.filled(self.review_a, action="submit", version=opened)
        # Two tabs opened on the returned form: the first submits...
        self.client.force_login(self.member_user)
        self.client.post(self.url(self.review_a), data)
        self.client.force_login(self.secretary_a)
        self.client.post(self.return_url(self.review_a), {"comment": "Lần hai"})
        # ...and the second, unchanged, must not undo the second return.
        self.client.force_login(self.member_user)
        response = self.client.post(self.url(self.review_a), data)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["conflict"].returned)
        self.assertContains(response, "Lần hai")
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.RETURNED)
        self.assertEqual(review.return_comment, "Lần hai")

    def test_an_autosave_opened_after_the_return_still_merges(self):
        self.client.force_login(self.secretary_a)
        self.client.post(self.return_url(self.review_a), {"comment": "Bổ sung mục II"})
        self.client.force_login(self.member_user)
        opened = Review.objects.get(pk=self.review_a.pk).version
        url = self.url(self.review_a)
        data = self.filled(self.review_a, version=opened, text_II="Đã bổ sung")
        self.client.post(url, data, headers={"HX-Request": "true"})
        # The Save button's post, opened at the same version, races the autosave.
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.RETURNED)
        self.assertEqual(review.answers["II"], "Đã bổ sung")
        self.assertEqual(review.version, opened + 2)

    def test_secretary_sees_a_small_confirm_form(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.return_url(self.review_a))
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["returnable"])
        self.assertContains(response, 'name="comment"')

    def test_comment_is_required(self):
        self.client.force_login(self.secretary_a)
        response = self.client.post(self.return_url(self.review_a), {"comment": " "})
        self.assertEqual(response.status_code, 200)
        self.assertIn("comment", response.context["form"].errors)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.SUBMITTED)

    def test_author_and_leader_get_403(self):
        for user in (self.member_user, self.leader):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.post(
                    self.return_url(self.review_a), {"comment": "Làm lại"}
                )
                self.assertEqual(response.status_code, 403)
                self.assertEqual(
                    self.client.get(self.return_url(self.review_a)).status_code, 403
                )
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.SUBMITTED)

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        response = self.client.post(
            self.return_url(self.review_a), {"comment": "Làm lại"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(
            self.client.get(self.return_url(self.review_a)).status_code, 404
        )

    def test_only_a_submitted_form_can_be_returned(self):
        Review.objects.filter(pk=self.review_a.pk).update(status=Review.Status.DRAFT)
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.return_url(self.review_a), {"comment": "Làm lại"}
        )
        self.assertEqual(response.status_code, 200)
        # The page says why once, above the form; the form adds no second,
        # narrower reason.
        self.assertFalse(response.context["returnable"])
        self.assertContains(response, 'class="alert alert-info"', count=1)
        self.assertFalse(response.context["form"].non_field_errors())
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.DRAFT)
        self.assertEqual(self.review_a.return_comment, "")

    def test_a_collective_report_is_not_returned(self):
        Review.objects.filter(pk=self.collective_a.pk).update(
            status=Review.Status.SUBMITTED
        )
        self.client.force_login(self.staff)
        response = self.client.post(
            self.return_url(self.collective_a), {"comment": "Làm lại"}
        )
        self.assertEqual(response.status_code, 200)
        self.collective_a.refresh_from_db()
        self.assertEqual(self.collective_a.status, Review.Status.SUBMITTED)

    def test_nothing_is_returned_once_the_cycle_left_self_review(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.MEETINGS
        )
        self.client.force_login(self.secretary_a)
        self.client.post(self.return_url(self.review_a), {"comment": "Làm lại"})
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.SUBMITTED)

    def test_the_return_form_shows_on_a_submitted_form_for_its_manager_only(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url(self.review_a))
        self.assertContains(response, self.return_url(self.review_a))
        self.client.force_login(self.leader)
        response = self.client.get(self.url(self.review_a))
        self.assertNotContains(response, self.return_url(self.review_a))
