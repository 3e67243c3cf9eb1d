"""The decide and appraise pages show the score the rules read and its verdict."""

import re
from decimal import Decimal

from django.utils import timezone

from reviews import ratings
from reviews.models import Rating, Review

from .test_decisions_decide import DecisionsTestCase


class ScoredTestCase(DecisionsTestCase):
    """QĐ 366: the first member's form submitted with 27,50 + 58,40 = 85,90 points."""

    regime_code = "qd366"

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Review.objects.filter(pk=cls.review_a.pk).update(
            status=Review.Status.SUBMITTED,
            score_general=Decimal("27.50"),
            score_tasks=Decimal("58.40"),
            tasks_on_time_percent=100,
            tasks_exceeding_percent=40,
            shortcomings_remedied_percent=100,
        )
        cls.review_a.refresh_from_db()
        ratings.record_rating(
            cls.review_a,
            Rating.Stage.SELF,
            cls.level("HTTNV"),
            cls.member_user,
            score=cls.review_a.score_total,
        )

    def row_of(self, response, review):
        return next(r for r in response.context["rows"] if r.review == review)

    def row_html(self, response, review):
        html = response.content.decode()
        start = html.index(f'id="subject-{review.public_id}"')
        return html[start : html.index("</article>", start)]

    def selected(self, html):
        return re.findall(r'<option value="(\w*)" selected>', html)


class DecideScoreTests(ScoredTestCase):
    url_name = "reviews:decide"

    def setUp(self):
        self.client.force_login(self.staff)

    def test_a_decided_row_shows_its_score_verdict_and_decision(self):
        ratings.record_rating(
            self.review_a,
            Rating.Stage.DECISION,
            self.level("HTNV"),
            self.staff,
            reason="Còn chậm tiến độ",
            score=self.review_a.score_total,
        )

        response = self.client.get(self.url(group=self.members_key))

        row = self.row_of(response, self.review_a)
        self.assertEqual(row.score, Decimal("85.90"))
        self.assertEqual(row.verdict.highest, "HTTNV")
        self.assertFalse(row.verdict_broken)
        html = self.row_html(response, self.review_a)
        self.assertNotIn("chưa có điểm", html)
        self.assertIn("85,9 điểm", html)
        self.assertIn("mức cao nhất", html.lower())
        # The decision saved, not the meeting's HTTNV, is the level selected.
        self.assertEqual(self.selected(html), ["HTNV"])
        self.assertNotIn("data-suggested", html)

    def test_the_latest_score_of_the_chain_counts_when_the_form_has_none(self):
        # As in the demo's past years: scores only on the decided rating.
        Review.objects.filter(pk=self.review_a.pk).update(
            score_general=None, score_tasks=None
        )
        Rating.objects.filter(review=self.review_a).update(score=None)
        ratings.record_rating(
            self.review_a,
            Rating.Stage.DECISION,
            self.level("HTTNV"),
            self.staff,
            score=Decimal("91.50"),
        )

        response = self.client.get(self.url(group=self.members_key))

        row = self.row_of(response, self.review_a)
        self.assertEqual((row.score, row.verdict.highest), (Decimal("91.50"), "HTXSNV"))
        html = self.row_html(response, self.review_a)
        self.assertNotIn("chưa có điểm", html)
        self.assertIn("91,5 điểm", html)
        self.assertIn("Cấp ủy cấp trên quyết định", html)

    def test_an_undecided_row_says_the_level_is_the_proposal(self):
        response = self.client.get(self.url(group=self.members_key))

        row = self.row_of(response, self.review_a)
        self.assertEqual(row.suggested.stage, Rating.Stage.MEETING)
        html = self.row_html(response, self.review_a)
        self.assertEqual(self.selected(html), ["HTTNV"])
        self.assertIn("data-suggested", html)
        self.assertIn("Hội nghị đề nghị", html)

    def test_a_level_above_the_score_is_flagged_and_refused(self):
        response = self.post_rows(
            {self.review_a.pk: "HTXSNV"},
            extra={self.review_a.pk: {"reason": "Thành tích nổi bật"}},
        )

        self.assertEqual(response.status_code, 200)
        row = self.row_of(response, self.review_a)
        self.assertTrue(row.verdict_broken)
        self.assertIn("85,9", row.errors[0])
        self.assertEqual(self.decided(), {})

    def test_the_decision_keeps_the_score_the_rule_read(self):
        group = ratings.comparison_groups(self.cycle)[self.members_key]
        review = next(r for r in group.whole() if r.pk == self.review_a.pk)

        ratings.decide(
            self.cycle,
            group,
            [ratings.Decision(review, self.level("HTTNV"))],
            self.staff,
        )

        decision = Rating.objects.get(review=self.review_a, stage="decision")
        self.assertEqual(decision.score, Decimal("85.90"))

    def test_the_rules_read_a_later_stage_score(self):
        # 85,90 on the form would cap at HTTNV; the appraisal's 95 allows HTXSNV.
        ratings.record_rating(
            self.review_a,
            Rating.Stage.APPRAISAL,
            self.level("HTXSNV"),
            self.leader,
            reason="Thẩm định: bổ sung thành tích",
            score=Decimal("95"),
        )
        # The others decided HTTNV, so that the quota allows one HTXSNV.
        Rating.objects.bulk_create(
            Rating(
                review=review,
                stage=Rating.Stage.DECISION,
                level=self.level("HTTNV"),
                set_at=timezone.now(),
            )
            for review in self.members
            if review.pk != self.review_a.pk
        )
        group = ratings.comparison_groups(self.cycle)[self.members_key]
        review = next(r for r in group.whole() if r.pk == self.review_a.pk)

        ratings.decide(
            self.cycle,
            group,
            [ratings.Decision(review, self.level("HTXSNV"))],
            self.staff,
        )

        decision = Rating.objects.get(review=self.review_a, stage="decision")
        self.assertEqual(
            (decision.level.code, decision.score), ("HTXSNV", Decimal("95"))
        )


class AppraiseScoreTests(ScoredTestCase):
    url_name = "reviews:appraise"

    def setUp(self):
        self.client.force_login(self.staff)

    def test_the_appraisal_recorded_is_selected_and_its_score_counts(self):
        ratings.record_rating(
            self.review_a,
            Rating.Stage.APPRAISAL,
            self.level("HTNV"),
            self.leader,
            reason="Thẩm định lại điểm",
            score=Decimal("68"),
        )

        response = self.client.get(self.url(group=self.members_key))

        row = self.row_of(response, self.review_a)
        self.assertEqual((row.score, row.verdict.highest), (Decimal("68"), "HTNV"))
        html = self.row_html(response, self.review_a)
        self.assertEqual(self.selected(html), ["HTNV"])
        self.assertIn('value="68', html)
        self.assertNotIn("data-suggested", html)

    def test_without_an_appraisal_the_form_offers_the_chain_and_says_so(self):
        response = self.client.get(self.url(group=self.members_key))

        row = self.row_of(response, self.review_a)
        self.assertEqual(row.form["score"].value(), Decimal("85.90"))
        self.assertEqual(row.verdict.highest, "HTTNV")
        self.assertIn("data-suggested", self.row_html(response, self.review_a))

    def test_a_decided_row_shows_the_decided_score(self):
        ratings.record_rating(
            self.review_a,
            Rating.Stage.DECISION,
            self.level("HTTNV"),
            self.staff,
            score=Decimal("85.90"),
        )

        response = self.client.get(self.url(group=self.members_key))

        row = self.row_of(response, self.review_a)
        self.assertIsNone(row.form)
        self.assertEqual((row.score, row.verdict.highest), (Decimal("85.90"), "HTTNV"))
        self.assertNotIn("chưa có điểm", self.row_html(response, self.review_a))
