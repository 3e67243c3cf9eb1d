"""The demo's current cycle, taken from where `seed_demo` leaves it to published
and into next year through the pages alone (issue 11: "done means").

The demo leaves its cycle at the meetings, its self-review closed (a few forms
recorded as not submitted, with the reason). Staff read those reasons on the
exemptions page; the demo secretary records her cell's meeting; staff record on
the exemptions page why the other meetings are not held (a collective with
nobody in the register among them), move the cycle on with the overview's
buttons, appraise every group, decide it by accepting the proposals and then
deciding the rest, publish, print the summary from its button, create next
year's cycle from the cycle list and open it; a member's action left open is
asked about in section III of next year's form. The ORM only reads.
"""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from members import demo
from members.models import Member
from reviews import services
from reviews.models import (
    Meeting,
    Rating,
    RemedyAction,
    ReviewCycle,
    StepExemption,
)

from ..clicks import click_report_button, pdf_text
from ..pages import links, submit
from .year_pages import YearThroughPages, assert_in_section_three

Status = ReviewCycle.Status
Kind = StepExemption.Kind
NOT_HELD = "Đảng ủy chưa được kiện toàn, chưa tổ chức được hội nghị"


class DemoYearThroughPagesTests(YearThroughPages, TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command(
            "seed_demo",
            "--members=100",
            "--grassroots=2",
            "--cells=3",
            stdout=StringIO(),
        )
        cls.cycle = ReviewCycle.objects.latest("starts_on")
        users = get_user_model().objects
        cls.staff = users.get(username="staff")
        cls.secretary = users.get(username="secretary")

    def test_the_demo_cycle_is_published_and_next_year_opened_through_the_pages(self):
        cycle = self.cycle
        self.assertEqual(cycle.status, Status.MEETINGS)
        self.assertTrue(
            self.client.login(username="secretary", password=demo.DEMO_PASSWORD)
        )
        self.staff_read_why_forms_were_not_submitted(cycle)
        self.hold_or_close_every_meeting(cycle)
        self.move(cycle, Status.APPRAISAL)
        self.appraise_and_decide_every_group(cycle, accept=True)
        self.check_the_proposals_were_accepted(cycle)
        self.move(cycle, Status.DECIDED)
        self.move(cycle, Status.PUBLISHED)
        self.request_the_summary(cycle)
        open_action = self.an_open_action_of_a_member()
        following = self.create_next_cycle(cycle)
        self.move(following, Status.SELF_REVIEW)
        review = following.reviews.get(member=open_action.review.member)
        reader = (
            self.secretary
            if review.organization.roles.filter(user=self.secretary).exists()
            else self.staff
        )
        assert_in_section_three(self, review, reader, open_action.shortcoming)

    # Self-review, closed by the demo -------------------------------------------

    def exemptions_page(self, cycle):
        """The exemptions page, from the cycle overview's link."""
        self.client.force_login(self.staff)
        overview = self.client.get(reverse("reviews:cycle", args=[cycle.public_id]))
        url = reverse("reviews:exemptions", args=[cycle.public_id])
        self.assertIn(url, links(overview))
        return self.client.get(url)

    def staff_read_why_forms_were_not_submitted(self, cycle):
        excused = StepExemption.objects.filter(
            review__cycle=cycle, kind=Kind.NOT_SUBMITTED
        ).select_related("review")
        self.assertTrue(excused)
        page = self.exemptions_page(cycle)
        for exemption in excused:
            self.assertContains(page, exemption.review.subject_name)
            self.assertContains(page, exemption.reason)

    # Meetings ------------------------------------------------------------------

    def hold_or_close_every_meeting(self, cycle):
        """The demo secretary records her cell's meeting; staff record why every
        other meeting still open is not held, on the exemptions page."""
        unheld = list(services.unheld_meetings(cycle).select_related("organization"))
        mine = [
            review
            for review in unheld
            if review.organization.roles.filter(user=self.secretary).exists()
        ]
        self.assertEqual(len(mine), 1, "The demo secretary's cell meeting is open.")
        for review in mine:
            self.record_meeting(cycle, review, self.secretary)
        others = [review for review in unheld if review not in mine]
        nobody = [review for review in others if not self.has_meeting(review)]
        self.assertTrue(nobody, "The demo has a collective with nobody to invite.")
        for review in nobody:
            self.staff_see_what_to_fix(review)
        page = self.exemptions_page(cycle)
        for review in others:
            self.assertContains(page, f'value="{review.public_id}"')
        response = submit(
            self.client,
            page,
            action="",
            data={
                "reviews": [str(review.public_id) for review in others],
                "reason": NOT_HELD,
            },
        )
        self.assertEqual(response.status_code, 302, self.blockers(response))
        self.assertEqual(
            set(
                StepExemption.objects.filter(
                    review__cycle=cycle, kind=Kind.MEETING_NOT_HELD, reason=NOT_HELD
                ).values_list("review", flat=True)
            ),
            {review.pk for review in others},
        )
        self.assertFalse(services.unheld_meetings(cycle).exists())

    def has_meeting(self, review):
        return Meeting.objects.filter(review=review).exists()

    def staff_see_what_to_fix(self, review):
        self.client.force_login(self.staff)
        page = self.client.get(reverse("reviews:meeting", args=[review.public_id]))
        self.assertTrue(page.context["nobody_to_invite"])
        admin = reverse("admin:members_member_changelist")
        self.assertContains(page, f'href="{admin}"')
        self.assertEqual(self.client.get(admin).status_code, 200)
        self.assertFalse(self.has_meeting(review))

    # Ratings -------------------------------------------------------------------

    def check_the_proposals_were_accepted(self, cycle):
        """Every subject with a proposal is decided: at it, or lower where the
        rules refused it (the group's quota, the points); every other subject is
        decided too, or excused for its form."""
        decided = dict(
            Rating.objects.filter(review__cycle=cycle, stage="decision").values_list(
                "review_id", "level__code"
            )
        )
        proposed = dict(
            cycle.reviews.exclude(proposed_code="").values_list("pk", "proposed_code")
        )
        rank = dict(cycle.regime.levels.values_list("code", "rank"))
        accepted = [pk for pk, code in proposed.items() if decided.get(pk) == code]
        self.assertGreater(len(accepted), len(proposed) / 2)
        for pk, code in proposed.items():
            self.assertIn(pk, decided)
            self.assertGreaterEqual(rank[decided[pk]], rank[code], (pk, code))
        excused = set(
            StepExemption.objects.filter(
                review__cycle=cycle, kind=Kind.NOT_SUBMITTED
            ).values_list("review_id", flat=True)
        )
        self.assertEqual(
            set(decided) | excused, set(cycle.reviews.values_list("pk", flat=True))
        )

    # Publishing and next year --------------------------------------------------

    def request_the_summary(self, cycle):
        self.client.force_login(self.staff)
        overview = reverse("reviews:cycle", args=[cycle.public_id])
        _job, content = click_report_button(self.client, overview, "summary")
        self.assertTrue(content.startswith(b"%PDF"))
        text = pdf_text(content)
        self.assertIn(
            "BÁO CÁO tổng hợp kết quả kiểm điểm, đánh giá, xếp loại chất lượng "
            f"tổ chức đảng và đảng viên năm {cycle.year}",
            text,
        )
        # The meetings closed without being held are printed with the reason.
        self.assertIn(NOT_HELD, text)

    def an_open_action_of_a_member(self):
        """A member's remedy action still open after this year, preferably in the
        demo secretary's cell."""
        actions = (
            RemedyAction.objects.exclude(status=RemedyAction.Status.DONE)
            .filter(review__member__in=Member.objects.reviewable())
            .select_related("review__member")
            .order_by("pk")
        )
        cell = self.secretary.party_roles.get().organization
        found = (
            actions.filter(review__member__organization=cell).first() or actions.first()
        )
        self.assertIsNotNone(found, "The demo leaves a member's action open.")
        return found
