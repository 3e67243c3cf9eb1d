"""The review form warns when the saved self-rating breaks a rating rule.

The warnings are the rules of the self-review stage (docs/process.md §6); they do
not keep the form from being submitted: only the points rule does that.
"""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from organizations.models import OrganizationKind
from reviews import rules, services
from reviews.models import CycleJob, Discipline, Regime, Review, ReviewCycle

from ..browser import BrowserTestCase
from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    reseed_reference_data,
)
from .test_review_form import ReviewFormTestCase

HEADING = "The rules allow a lower level than the one proposed:"
IN_YEAR = datetime.date(2026, 6, 1)


def vietnamese(text):
    """`text` as the pages print it (in Vietnamese once translated)."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(text)


class SelfReviewWarningTests(ReviewFormTestCase):
    def rate(self, review, code, **fields):
        """Save `code` as the self-rating of `review`, as a draft save would."""
        Review.objects.filter(pk=review.pk).update(
            self_rating=self.level(code), status=Review.Status.DRAFT, **fields
        )

    def discipline(self, decided_on=IN_YEAR, **subject):
        return Discipline.objects.create(
            form=Discipline.Form.REPRIMAND, decided_on=decided_on, **subject
        )

    def reason(self, record):
        """What the discipline rule says of `record`, in the pages' language."""
        with translation.override(settings.LANGUAGE_CODE):
            return rules.discipline([record], False).reason

    def page(self, review, user=None):
        self.client.force_login(user or self.member_user)
        response = self.client.get(self.url(review))
        self.assertEqual(response.status_code, 200)
        return response

    def test_a_disciplined_member_proposing_httnv_is_warned(self):
        record = self.discipline(member=self.member_a)
        self.rate(self.review_a, "HTTNV")

        response = self.page(self.review_a)

        self.assertEqual(response.context["warnings"], [self.reason(record)])
        self.assertContains(response, vietnamese(HEADING), count=1)
        self.assertContains(response, self.reason(record), count=1)
        # The reason names the rule and the decision.
        self.assertIn(vietnamese("Reprimand"), self.reason(record))
        self.assertIn("01/06/2026", self.reason(record))
        self.assertContains(response, 'id="self-rating-warnings" role="status"')

    def test_the_warning_is_in_english_for_an_english_reader(self):
        self.discipline(member=self.member_a)
        self.rate(self.review_a, "HTTNV")
        self.in_english()

        response = self.page(self.review_a)

        self.assertContains(response, HEADING, count=1)
        self.assertContains(response, "Discipline: disciplined during the year")

    def test_no_discipline_no_warning(self):
        self.rate(self.review_a, "HTTNV")

        response = self.page(self.review_a)

        self.assertEqual(response.context["warnings"], [])
        self.assertNotContains(response, vietnamese(HEADING))

    def test_a_discipline_outside_the_cycles_period_does_not_count(self):
        self.discipline(member=self.member_a, decided_on=datetime.date(2025, 12, 31))
        self.rate(self.review_a, "HTTNV")

        self.assertEqual(self.page(self.review_a).context["warnings"], [])

    def test_another_members_discipline_does_not_count(self):
        self.discipline(member=self.other_member_a)
        self.rate(self.review_a, "HTTNV")

        self.assertEqual(self.page(self.review_a).context["warnings"], [])

    def test_proposing_the_level_the_rule_allows_is_not_warned(self):
        self.discipline(member=self.member_a)
        self.rate(self.review_a, "KHTNV")

        response = self.page(self.review_a)

        self.assertEqual(response.context["warnings"], [])
        self.assertNotContains(response, vietnamese(HEADING))

    def test_no_self_rating_no_warning(self):
        self.discipline(member=self.member_a)

        response = self.page(self.review_a)

        self.assertEqual(response.context["warnings"], [])
        self.assertNotContains(response, vietnamese(HEADING))

    def test_the_secretary_reading_the_form_sees_the_warning_too(self):
        record = self.discipline(member=self.member_a)
        self.rate(self.review_a, "HTTNV")

        response = self.page(self.review_a, user=self.secretary_a)

        self.assertContains(response, self.reason(record), count=1)

    def test_the_warning_does_not_block_submission(self):
        record = self.discipline(member=self.member_a)
        self.client.force_login(self.member_user)
        data = self.filled(self.review_a, action="submit")

        response = self.client.post(self.url(self.review_a), data)

        self.assertRedirects(response, self.url(self.review_a))
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.SUBMITTED)
        self.assertEqual(review.ratings.get(stage="self").level.code, "HTTNV")
        # The submitted form, read-only now, still says it.
        response = self.client.get(self.url(self.review_a))
        self.assertFalse(response.context["editable"])
        self.assertContains(response, vietnamese(HEADING), count=1)
        self.assertContains(response, self.reason(record), count=1)

    def test_the_autosave_brings_the_warning_of_the_rating_just_saved(self):
        record = self.discipline(member=self.member_a)
        self.client.force_login(self.member_user)
        data = self.filled(self.review_a, self_rating=self.level("HTTNV").pk)

        response = self.client.post(
            self.url(self.review_a), data, HTTP_HX_REQUEST="true"
        )

        self.assertTemplateUsed(response, "reviews/_review_autosave.html")
        self.assertContains(
            response, '<div id="self-rating-warnings" hx-swap-oob="innerHTML">'
        )
        self.assertContains(response, self.reason(record), count=1)
        # Lowered to what the rule allows, the next autosave empties the box.
        data = self.filled(self.review_a, version=1, self_rating=self.level("KHTNV").pk)
        response = self.client.post(
            self.url(self.review_a), data, HTTP_HX_REQUEST="true"
        )
        self.assertContains(
            response, '<div id="self-rating-warnings" hx-swap-oob="innerHTML">'
        )
        self.assertNotContains(response, self.reason(record))
        self.assertNotContains(response, vietnamese(HEADING))

    def test_a_disciplined_collective_is_warned_on_its_report(self):
        record = self.discipline(organization=self.cell_a)
        self.rate(self.collective_a, "HTTNV")

        response = self.page(self.collective_a, user=self.secretary_a)

        with translation.override(settings.LANGUAGE_CODE):
            expected = rules.collective_discipline(
                own=[record],
                disciplined_leaders=[],
                disciplined_units=[],
                units=0,
                percent=self.cycle.regime.subordinate_discipline_percent,
                self_remedied_exempt=False,
            ).reason
        self.assertEqual(response.context["warnings"], [expected])
        self.assertContains(response, vietnamese(HEADING), count=1)
        self.assertContains(response, expected, count=1)

    def test_a_collective_without_discipline_is_not_warned(self):
        self.rate(self.collective_a, "HTXSNV")

        response = self.page(self.collective_a, user=self.secretary_a)

        self.assertEqual(response.context["warnings"], [])


class PointsWarningTests(ReviewFormTestCase):
    """The points rule warns too, once the self-score is complete."""

    def scored(self, points, code, **overrides):
        data = self.filled(
            self.review_a, action="submit", self_rating=self.level(code).pk
        )
        left = points
        for criterion in self.review_a.template.criteria.order_by("code"):
            given = min(criterion.max_points, left)
            data[f"score_{criterion.code}"] = given
            left -= given
        data.update(overrides)
        return data

    def setUp(self):
        self.client.force_login(self.member_user)

    def test_a_saved_draft_above_its_score_is_warned_before_submitting(self):
        self.client.post(
            self.url(self.review_a), self.scored(55, "HTXSNV", action="save")
        )

        response = self.client.get(self.url(self.review_a))

        [warning] = response.context["warnings"]
        self.assertIn("55", warning)
        self.assertContains(response, vietnamese(HEADING), count=1)

    def test_a_refused_submission_does_not_say_it_twice(self):
        response = self.client.post(self.url(self.review_a), self.scored(55, "HTXSNV"))

        self.assertEqual(len(response.context["refused"]), 1)
        self.assertEqual(response.context["warnings"], [])
        self.assertNotContains(response, vietnamese(HEADING))

    def test_an_unfinished_self_score_is_not_warned_about(self):
        data = self.scored(55, "HTXSNV", action="save", score_B3="")
        self.client.post(self.url(self.review_a), data)

        response = self.client.get(self.url(self.review_a))

        self.assertEqual(response.context["warnings"], [])


class WarningQueryTests(ReviewFormTestCase):
    def test_the_rules_are_read_in_a_fixed_number_of_queries(self):
        """5 queries without a self-rating (the template's parts are cached,
        this form has no items to read, the user no unread notices, and
        whether the secretary manages the cell is read with the review); once
        one is saved the rule book adds four: the posts the subject holds, the
        disciplines, the conclusions and the rating chain (the levels are
        shared with the form; the leaders are read only for a member reviewed
        with a leadership collective)."""
        self.client.force_login(self.secretary_a)
        url = self.url(self.review_a)
        Review.objects.filter(pk=self.review_a.pk).update(
            self_rating=self.level("HTTNV")
        )
        self.client.get(url)
        with self.assertNumQueries(9):
            self.client.get(url)
        for day in range(1, 6):
            Discipline.objects.create(
                member=self.member_a,
                form=Discipline.Form.WARNING,
                decided_on=datetime.date(2026, 3, day),
            )
        with self.assertNumQueries(9):
            response = self.client.get(url)
        self.assertEqual(len(response.context["warnings"]), 1)


class LiveWarningBrowserTests(BrowserTestCase):
    """Choosing a self-rating autosaves it, and the warning follows at once."""

    def setUp(self):
        # The flush between browser tests empties the tables data migrations fill.
        reseed_reference_data()
        committee = OrganizationFactory(
            code="TU",
            name="Thành ủy Kon Tum",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            org_type=None,
        )
        ward = OrganizationFactory(
            code="P01",
            name="Đảng bộ phường Quyết Thắng",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=committee,
        )
        cell = OrganizationFactory(code="P01.A", parent=ward)
        member = MemberFactory(organization=cell, user=UserFactory(username="member"))
        cycle = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2026",
            year=2026,
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2026, 12, 31),
            regime=Regime.objects.get(code="qd366"),
            superior=committee,
            self_review_due=datetime.date(2026, 12, 15),
            meetings_due=datetime.date(2026, 12, 31),
            decision_due=datetime.date(2027, 1, 20),
        )
        services.open_cycle(CycleJob.objects.create(cycle=cycle))
        ReviewCycle.objects.filter(pk=cycle.pk).update(
            status=ReviewCycle.Status.SELF_REVIEW
        )
        self.review = cycle.reviews.get(member=member)
        self.levels = {level.code: level for level in cycle.regime.levels.all()}
        Discipline.objects.create(
            member=member, form=Discipline.Form.REPRIMAND, decided_on=IN_YEAR
        )
        self.open_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")

    def test_the_warning_appears_and_goes_with_the_autosaved_rating(self):
        page = self.page
        self.log_in("member")
        url = reverse("reviews:review", args=[self.review.public_id])
        page.goto(f"{self.live_server_url}{url}")
        box = page.locator("#self-rating-warnings")
        expect(box).to_have_attribute("role", "status")
        expect(box).to_be_empty()
        rating = page.locator('#review-form select[name="self_rating"]')

        rating.select_option(str(self.levels["HTTNV"].pk))
        expect(box.locator(".alert-warning")).to_contain_text(vietnamese(HEADING))
        expect(box).to_contain_text("01/06/2026")

        rating.select_option(str(self.levels["KHTNV"].pk))
        expect(box.locator(".alert-warning")).to_have_count(0)
        self.review.refresh_from_db()
        self.assertEqual(self.review.self_rating.code, "KHTNV")
        self.assertEqual(self.errors, [])
