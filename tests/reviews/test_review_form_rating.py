"""Under QĐ 366 a self-rating above what the self-score allows is not submitted."""

from reviews.models import Rating, Review

from .test_review_form import ReviewFormTestCase


class SelfRatingAboveScoreTests(ReviewFormTestCase):
    def scored(self, points, code, **overrides):
        """A complete submission with `points` in all, spread over the criteria."""
        data = self.filled(
            self.review_a, action="submit", self_rating=self.level(code).pk
        )
        left = points
        for criterion in self.review_a.template.criteria.order_by("code"):
            given = min(criterion.max_points, left)
            data[f"score_{criterion.code}"] = given
            left -= given
        self.assertEqual(left, 0)
        data.update(overrides)
        return data

    def setUp(self):
        self.client.force_login(self.member_user)

    def test_htxsnv_with_55_points_is_refused_and_the_draft_kept(self):
        response = self.client.post(self.url(self.review_a), self.scored(55, "HTXSNV"))

        self.assertEqual(response.status_code, 200)
        [(name, message)] = response.context["refused"]
        self.assertEqual(name, "self_rating")
        self.assertIn("55 điểm", message)
        self.assertIn("tối đa HTNV", message)
        self.assertIn("HTXSNV", message)
        self.assertContains(response, 'id="rating-above-score"')
        form = response.context["form"]
        self.assertIn(message, form.errors["self_rating"])
        # Nothing typed is lost: the draft holds it, the form shows it.
        self.assertEqual(form["self_rating"].value(), str(self.level("HTXSNV").pk))
        self.assertEqual(form["text_I-1"].value(), "Nội dung mục I.1")
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.DRAFT)
        self.assertEqual(review.score_total, 55)
        self.assertEqual(review.self_rating.code, "HTXSNV")
        self.assertEqual(review.answers["I-1"], "Nội dung mục I.1")
        self.assertFalse(Rating.objects.filter(review=review).exists())

    def test_the_level_the_score_allows_is_submitted(self):
        response = self.client.post(self.url(self.review_a), self.scored(55, "HTNV"))

        self.assertRedirects(response, self.url(self.review_a))
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.SUBMITTED)
        self.assertEqual(review.ratings.get(stage="self").level.code, "HTNV")

    def test_the_conditions_count_too(self):
        # 95 points, but only 20% of tasks exceeding: HTTNV at most.
        data = self.scored(95, "HTXSNV", cond_tasks_exceeding_percent=20)

        response = self.client.post(self.url(self.review_a), data)

        [(_name, message)] = response.context["refused"]
        self.assertIn("95 điểm", message)
        self.assertIn("tối đa HTTNV", message)
        self.assertEqual(
            Review.objects.get(pk=self.review_a.pk).status, Review.Status.DRAFT
        )

    def test_a_draft_saves_without_a_word(self):
        data = self.scored(55, "HTXSNV", action="save")

        response = self.client.post(self.url(self.review_a), data)

        self.assertRedirects(response, self.url(self.review_a))
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(
            (review.status, review.self_rating.code), (Review.Status.DRAFT, "HTXSNV")
        )
