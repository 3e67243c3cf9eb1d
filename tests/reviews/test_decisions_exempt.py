"""Subjects exempted from rating: shown, never decided, never counted."""

from django.urls import reverse
from django.utils import timezone

from reviews import ratings
from reviews.models import Rating, StepExemption

from .test_decisions_decide import DecisionsTestCase

Kind = StepExemption.Kind


class ExemptTestCase(DecisionsTestCase):
    """Of the ward's ten members, one is not rated and one did not submit."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.not_rated, cls.not_submitted, cls.no_meeting = cls.members[1:4]
        for review, kind, reason in (
            (cls.not_rated, Kind.NOT_RATED, "Điều trị bệnh dài ngày"),
            (cls.not_submitted, Kind.NOT_SUBMITTED, "Công tác biệt phái"),
            (cls.no_meeting, Kind.MEETING_NOT_HELD, "Chi bộ chưa họp"),
        ):
            StepExemption.objects.create(
                review=review, kind=kind, reason=reason, recorded_by=cls.staff
            )

    def setUp(self):
        self.client.force_login(self.staff)

    def rows(self, response):
        return {row.review.pk: row for row in response.context["rows"]}

    def field(self, review):
        return f'name="r{review.public_id.hex}-level"'


class DecideExemptTests(ExemptTestCase):
    url_name = "reviews:decide"

    def test_exempted_subjects_show_the_exemption_instead_of_a_select(self):
        response = self.client.get(self.url(group=self.members_key))

        rows = self.rows(response)
        self.assertEqual(len(rows), 10)
        self.assertIsNone(rows[self.not_rated.pk].form)
        self.assertEqual(rows[self.not_rated.pk].caps, [])
        self.assertIsNone(rows[self.not_submitted.pk].form)
        # A meeting not held still leaves the subject to be decided.
        self.assertIsNotNone(rows[self.no_meeting.pk].form)
        self.assertNotContains(response, self.field(self.not_rated))
        self.assertNotContains(response, self.field(self.not_submitted))
        self.assertContains(response, self.field(self.no_meeting))
        self.assertContains(response, "Không xếp loại")
        self.assertContains(response, "Điều trị bệnh dài ngày")
        self.assertContains(response, "Công tác biệt phái")

    def test_they_are_never_counted_in_the_quota(self):
        # Decided HTXSNV before the exemption was recorded: still not counted.
        Rating.objects.create(
            review=self.not_rated,
            stage=Rating.Stage.DECISION,
            level=self.level("HTXSNV"),
            set_at=timezone.now(),
        )

        response = self.client.get(self.url(group=self.members_key))

        meter = response.context["meter"]
        # Eight proposed HTTNV, two of them exempted.
        self.assertEqual((meter.good, meter.excellent), (6, 0))
        self.assertEqual(response.context["page"].accept_count, 8)

    def test_a_posted_level_for_them_is_refused_in_vietnamese(self):
        response = self.post_rows({self.not_rated.pk: "HTTNV"})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.decided(), {})
        [error] = self.rows(response)[self.not_rated.pk].errors
        self.assertIn("không xếp loại", error)
        self.assertIn("Điều trị bệnh dài ngày", error)
        self.assertContains(response, "Chưa lưu")

    def test_accepting_the_proposals_skips_them(self):
        response = self.post_rows(
            {self.not_rated.pk: "", self.not_submitted.pk: ""}, action="accept"
        )

        self.assertRedirects(response, self.url(group=self.members_key))
        decided = self.decided()
        self.assertEqual(len(decided), 8)
        self.assertNotIn(self.not_rated.pk, decided)
        self.assertNotIn(self.not_submitted.pk, decided)

    def test_the_group_list_counts_them_apart(self):
        url = reverse("reviews:appraise", args=[self.cycle.public_id])
        response = self.client.get(url)

        summary = next(
            s
            for s in response.context["summaries"]
            if s["group"].key == self.members_key
        )
        self.assertEqual((summary["subjects"], summary["unrated"]), (10, 2))
        # The meetings' eight HTTNV, less the two exempted.
        self.assertEqual(summary["meter"].good, 6)
        self.assertContains(response, "2 không xếp loại")


class DecideExemptRuleTests(ExemptTestCase):
    url_name = "reviews:decide"

    def group(self):
        return ratings.comparison_groups(self.cycle)[self.members_key]

    def test_decide_refuses_a_level_for_them(self):
        group = self.group()
        review = next(r for r in group.whole() if r.pk == self.not_rated.pk)

        with self.assertRaises(ratings.RatingRefused) as refused:
            ratings.decide(
                self.cycle,
                group,
                [ratings.Decision(review, self.level("HTTNV"))],
                self.staff,
            )

        self.assertIn("Điều trị bệnh dài ngày", str(refused.exception))
        self.assertEqual(self.decided(), {})

    def test_their_decided_levels_leave_the_quota(self):
        Rating.objects.create(
            review=self.not_rated,
            stage=Rating.Stage.DECISION,
            level=self.level("HTXSNV"),
            set_at=timezone.now(),
        )
        group = self.group()
        others = [
            r
            for r in group.whole()
            if r.pk not in (self.not_rated.pk, self.not_submitted.pk)
        ]
        # One HTXSNV of six HTTNV is within 20%; counting the exempted
        # subject's HTXSNV would make two.
        codes = ["HTXSNV"] + ["HTTNV"] * 6 + ["HTNV"]

        ratings.decide(
            self.cycle,
            group,
            [
                ratings.Decision(review, self.level(code), reason="Đánh giá lại")
                for review, code in zip(others, codes)
            ],
            self.staff,
        )

        self.assertEqual(len(self.decided()), 9)


class AppraiseExemptTests(ExemptTestCase):
    url_name = "reviews:appraise"

    def test_no_select_and_a_posted_level_is_refused(self):
        page = self.client.get(self.url(group=self.members_key))
        self.assertNotContains(page, self.field(self.not_rated))
        self.assertContains(page, "Điều trị bệnh dài ngày")

        response = self.post_rows({self.not_submitted.pk: "HTNV"})

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Rating.objects.filter(stage="appraisal").exists())
        [error] = self.rows(response)[self.not_submitted.pk].errors
        self.assertIn("Công tác biệt phái", error)
