import datetime
from unittest import mock

from reviews import ratings
from reviews.models import Discipline, Rating, ReviewCycle

from .test_decisions_decide import DecisionsTestCase


class AppraiseTests(DecisionsTestCase):
    url_name = "reviews:appraise"

    def appraised(self):
        return dict(
            Rating.objects.filter(stage="appraisal").values_list(
                "review_id", "level__code"
            )
        )

    def cell_a_members(self):
        return [r for r in self.members if r.organization_id == self.cell_a.pk]

    def test_a_secretary_sees_and_appraises_the_members_of_their_cell(self):
        self.client.force_login(self.secretary_a)

        page = self.client.get(self.url(group=self.members_key))
        rows = page.context["rows"]
        self.assertEqual([row.review for row in rows], self.cell_a_members())
        self.assertTrue(all(row.form for row in rows))

        response = self.post_rows()

        self.assertRedirects(response, self.url(group=self.members_key))
        appraised = self.appraised()
        self.assertEqual(set(appraised), {r.pk for r in self.cell_a_members()})
        rating = Rating.objects.get(review=self.review_a, stage="appraisal")
        self.assertEqual(
            (rating.level.code, rating.set_by), ("HTTNV", self.secretary_a)
        )

    def test_a_broken_rule_is_shown_as_a_warning_and_recorded(self):
        Discipline.objects.create(
            member=self.member_a,
            form=Discipline.Form.REPRIMAND,
            decided_on=datetime.date(2026, 3, 1),
        )
        self.client.force_login(self.secretary_a)

        response = self.post_rows()

        self.assertRedirects(response, self.url(group=self.members_key))
        self.assertEqual(self.appraised()[self.review_a.pk], "HTTNV")
        page = self.client.get(self.url(group=self.members_key))
        row = next(r for r in page.context["rows"] if r.review == self.review_a)
        self.assertEqual(
            [(f.rule, broken) for f, broken in row.caps], [("discipline", True)]
        )
        self.assertContains(page, "Kỷ luật")

    def test_the_quota_only_warns_at_the_appraisal(self):
        first, second = self.members[:2]
        self.client.force_login(self.staff)

        response = self.post_rows(
            {first.pk: "HTXSNV", second.pk: "HTXSNV"},
            extra={first.pk: {"reason": "Giỏi"}, second.pk: {"reason": "Giỏi"}},
        )

        self.assertRedirects(response, self.url(group=self.members_key))
        self.assertEqual(list(self.appraised().values()).count("HTXSNV"), 2)
        page = self.client.get(self.url(group=self.members_key))
        self.assertTrue(page.context["meter"].over)
        self.assertContains(page, "Chỉ tiêu")

    def test_a_level_different_from_the_meeting_needs_a_reason(self):
        self.use_english()
        self.client.force_login(self.secretary_a)

        response = self.post_rows({self.review_a.pk: "HTXSNV"})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.appraised(), {})
        row = next(r for r in response.context["rows"] if r.review == self.review_a)
        self.assertIn("reason", row.form.errors)
        self.assertEqual(row.form["level"].value(), "HTXSNV")
        self.assertContains(response, "differs from the proposed by the meeting")

    def test_a_refusal_writes_no_row_and_shows_next_to_its_subject(self):
        self.client.force_login(self.secretary_a)
        record = ratings.record_rating
        refused = self.cell_a_members()[-1]

        def record_or_refuse(review, *args, **kwargs):
            if review.pk == refused.pk:
                raise ratings.RatingRefused({review.pk: ["Đã có người sửa"]})
            return record(review, *args, **kwargs)

        with mock.patch.object(ratings, "record_rating", record_or_refuse):
            response = self.post_rows()

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.appraised(), {})
        row = next(r for r in response.context["rows"] if r.review == refused)
        self.assertEqual(row.errors, ["Đã có người sửa"])

    def test_no_score_is_asked_without_points(self):
        self.client.force_login(self.staff)
        page = self.client.get(self.url(group=self.members_key))
        self.assertNotIn("score", page.context["rows"][0].form.fields)

    def test_decided_subjects_are_read_only(self):
        ratings.record_rating(
            self.review_a, Rating.Stage.DECISION, self.level("HTTNV"), self.staff
        )
        self.client.force_login(self.secretary_a)

        page = self.client.get(self.url(group=self.members_key))

        row = next(r for r in page.context["rows"] if r.review == self.review_a)
        self.assertIsNone(row.form)

    def test_the_appraisal_is_open_during_the_meetings(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="meetings")
        self.client.force_login(self.secretary_a)

        response = self.post_rows()

        self.assertRedirects(response, self.url(group=self.members_key))
        self.assertEqual(len(self.appraised()), 9)

    def test_after_the_appraisal_the_page_is_read_only(self):
        self.use_english()
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="decided")
        self.client.force_login(self.secretary_a)

        page = self.client.get(self.url(group=self.members_key))
        self.assertNotContains(page, 'name="action"')
        response = self.post_rows()

        self.assertContains(response, "ratings are appraised only during")
        self.assertEqual(self.appraised(), {})

    def test_leader_reads_without_the_forms(self):
        self.client.force_login(self.leader)
        page = self.client.get(self.url(group=self.members_key))
        self.assertEqual(len(page.context["rows"]), 10)
        self.assertFalse(any(row.form for row in page.context["rows"]))

    def test_leader_post_is_refused(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.post_rows().status_code, 403)
        self.assertEqual(self.appraised(), {})

    def test_another_cell_secretary_does_not_find_this_subject(self):
        self.client.force_login(self.secretary_b)
        url = self.url(subject=self.review_a.public_id)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_member_without_a_role_gets_403(self):
        self.client.force_login(self.member_user)
        self.assertEqual(
            self.client.get(self.url(group=self.members_key)).status_code, 403
        )

    def test_outsider_gets_404(self):
        self.client.force_login(self.stranger())
        self.assertEqual(
            self.client.get(self.url(group=self.members_key)).status_code, 404
        )
        self.assertEqual(self.post_rows().status_code, 404)


class AppraisePointsTests(DecisionsTestCase):
    """Under QĐ 366 the appraisal records a score, and the points rule warns."""

    url_name = "reviews:appraise"
    regime_code = "qd366"

    def test_the_score_is_recorded_and_checked(self):
        self.client.force_login(self.staff)
        review = self.members[0]

        response = self.post_rows(extra={review.pk: {"score": "85"}})

        self.assertRedirects(response, self.url(group=self.members_key))
        rating = Rating.objects.get(review=review, stage="appraisal")
        self.assertEqual(rating.score, 85)
        page = self.client.get(self.url(group=self.members_key))
        row = page.context["rows"][0]
        self.assertEqual(row.form["score"].value(), rating.score)
        self.assertEqual([f.rule for f, _broken in row.caps], ["points"])

    def test_a_score_out_of_range_keeps_the_input(self):
        self.client.force_login(self.staff)
        review = self.members[0]
        response = self.post_rows(extra={review.pk: {"score": "120"}})
        self.assertEqual(response.status_code, 200)
        self.assertIn("score", response.context["rows"][0].form.errors)
        self.assertFalse(Rating.objects.filter(stage="appraisal").exists())


class AppraisePageQueryTests(DecisionsTestCase):
    url_name = "reviews:appraise"

    def assert_constant_queries(self, size):
        self.add_members(size)
        self.client.force_login(self.staff)
        # 15, the exemptions from rating (one query at any size), and the
        # page's reviews loaded whole after the group is made of a few columns.
        with self.assertNumQueries(17):
            response = self.client.get(self.url(group=self.members_key))
        self.assertEqual(len(response.context["rows"]), min(size + 10, 100))

    def test_ten_subjects(self):
        self.assert_constant_queries(10)

    def test_five_hundred_subjects(self):
        self.assert_constant_queries(500)
