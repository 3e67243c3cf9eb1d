import datetime

from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.models import (
    CarryOverItem,
    CycleJob,
    Regime,
    RemedyAction,
    Review,
    ReviewCycle,
)
from reviews.review_forms.forms import ReviewContent, ReviewForm

from ..factories import MemberFactory
from ..personas import PersonasTestCase

Status = RemedyAction.Status


def open_cycle(cycle):
    services.open_cycle(CycleJob.objects.create(cycle=cycle))


class CarryOverTestCase(PersonasTestCase):
    """A closed 2025 cycle with remedy actions, and the 2026 cycle opened after it."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # A leader in cell A gives the ward a leadership collective to review.
        MemberFactory(
            full_name="Phạm Văn Dũng",
            organization=cls.cell_a,
            is_leader=True,
            government_post="Chủ tịch UBND phường",
        )
        cls.previous = cls.new_cycle(2025)
        open_cycle(cls.previous)
        cls.previous.status = ReviewCycle.Status.LOCKED
        cls.previous.save()
        old = cls.previous.reviews
        cls.a_open = cls.action(old.get(member=cls.member_a), 1, Status.OPEN)
        cls.a_progress = cls.action(old.get(member=cls.member_a), 2, Status.IN_PROGRESS)
        cls.a_done = cls.action(old.get(member=cls.member_a), 3, Status.DONE)
        cell_a = old.get(organization=cls.cell_a, kind=Review.Kind.ORGANIZATION)
        cls.c_open = cls.action(cell_a, 1, Status.OPEN)
        cls.c_done = cls.action(cell_a, 2, Status.DONE)
        ward = old.get(organization=cls.ward, kind=Review.Kind.LEADERSHIP)
        cls.l_open = cls.action(ward, 1, Status.OPEN)

        cls.next = cls.new_cycle(2026)
        open_cycle(cls.next)
        cls.next.status = ReviewCycle.Status.SELF_REVIEW
        cls.next.save()
        cls.new_a = cls.next.reviews.get(member=cls.member_a)
        cls.new_cell_a = cls.next.reviews.get(
            organization=cls.cell_a, kind=Review.Kind.ORGANIZATION
        )

    @classmethod
    def new_cycle(cls, year):
        return ReviewCycle.objects.create(
            name=f"Kiểm điểm năm {year}",
            year=year,
            starts_on=datetime.date(year, 1, 1),
            ends_on=datetime.date(year, 12, 31),
            regime=Regime.objects.get(code="qd366"),
            superior=cls.committee,
        )

    @classmethod
    def action(cls, review, number, status):
        done = status == Status.DONE
        return RemedyAction.objects.create(
            review=review,
            number=number,
            shortcoming=f"Hạn chế {number} của {review.subject_name}",
            content=f"Biện pháp {number}",
            owner="Bí thư chi bộ",
            deadline=datetime.date(2026, 6, 30),
            status=status,
            evidence="Đã xong" if done else "",
            closed_on=datetime.date(2026, 5, 1) if done else None,
        )

    def carried(self, review):
        return list(
            review.carry_over_items.order_by("number").values_list(
                "remedy_action_id", flat=True
            )
        )

    def filled(self, review, **overrides):
        """A complete POST of the review form, built from the form's own fields."""
        form = ReviewForm(content=ReviewContent.load(review))
        data = {"version": review.version, "action": "save"}
        for name, field in form.fields.items():
            if name.startswith("text_"):
                data[name] = f"Nội dung {name}"
            elif name.startswith("score_"):
                data[name] = field.max_value - 1 if field.max_value else 1
            elif name.startswith("cond_"):
                # Every condition met, so the score allows the HTTNV below.
                data[name] = 100
        data["self_rating"] = self.next.regime.levels.get(code="HTTNV").pk
        return data | overrides

    def answers(self, review, outcomes):
        """Section III answers: {action: outcome} → form fields of its item."""
        data = {}
        for item in review.carry_over_items.all():
            outcome = outcomes.get(item.remedy_action)
            if outcome:
                data[f"carry_{item.pk}"] = f"Kết quả: {outcome}"
                data[f"outcome_{item.pk}"] = outcome
        return data

    def submit(self, user, review, outcomes):
        self.client.force_login(user)
        return self.client.post(
            reverse("reviews:review", args=[review.public_id]),
            self.filled(review, action="submit", **self.answers(review, outcomes)),
        )


class CarryOverOpeningTests(CarryOverTestCase):
    def test_each_open_action_becomes_one_item_of_the_subjects_new_review(self):
        self.assertEqual(self.carried(self.new_a), [self.a_open.pk, self.a_progress.pk])
        self.assertEqual(self.carried(self.new_cell_a), [self.c_open.pk])
        self.assertEqual(
            CarryOverItem.objects.filter(review__cycle=self.next).count(), 4
        )

    def test_a_collective_is_matched_by_organization_and_kind(self):
        leadership = self.next.reviews.get(
            organization=self.ward, kind=Review.Kind.LEADERSHIP
        )
        ward = self.next.reviews.get(
            organization=self.ward, kind=Review.Kind.ORGANIZATION
        )
        self.assertEqual(self.carried(leadership), [self.l_open.pk])
        self.assertEqual(self.carried(ward), [])

    def test_done_actions_and_other_subjects_get_no_item(self):
        carried = CarryOverItem.objects.values_list("remedy_action_id", flat=True)
        self.assertNotIn(self.a_done.pk, carried)
        self.assertNotIn(self.c_done.pk, carried)
        member_b = self.next.reviews.get(member=self.member_b)
        self.assertEqual(self.carried(member_b), [])

    def test_items_are_numbered_and_say_where_they_come_from(self):
        first, second = self.new_a.carry_over_items.order_by("number")
        self.assertEqual((first.number, second.number), (1, 2))
        self.assertEqual(first.text, "Hạn chế 1 của Nguyễn Văn Ân\n→ Biện pháp 1")
        self.assertEqual(first.source, "Kiểm điểm năm 2025")
        self.assertEqual(first.outcome, CarryOverItem.Outcome.OPEN)

    def test_opening_the_cycle_again_adds_nothing(self):
        before = list(CarryOverItem.objects.values_list("pk", "review_id", "number"))
        open_cycle(self.next)
        services.carry_over_open_actions(self.next)
        services.carry_over_open_actions(self.next, [self.member_a.pk])
        after = list(CarryOverItem.objects.values_list("pk", "review_id", "number"))
        self.assertEqual(after, before)

    def test_a_member_who_changed_cell_keeps_their_items(self):
        self.next.reviews.all().delete()
        self.member_a.organization = self.cell_b
        self.member_a.save()
        open_cycle(self.next)
        review = self.next.reviews.get(member=self.member_a)
        self.assertEqual(review.organization, self.cell_b)
        self.assertEqual(self.carried(review), [self.a_open.pk, self.a_progress.pk])

    def test_a_first_cycle_carries_nothing(self):
        self.assertFalse(
            CarryOverItem.objects.filter(review__cycle=self.previous).exists()
        )


class CarryOverAnswerTests(CarryOverTestCase):
    def test_section_three_asks_one_answer_per_item_instead_of_free_text(self):
        self.client.force_login(self.member_user)
        response = self.client.get(
            reverse("reviews:review", args=[self.new_a.public_id])
        )
        fields = response.context["form"].fields
        self.assertNotIn("text_III", fields)
        for item in self.new_a.carry_over_items.all():
            self.assertIn(f"carry_{item.pk}", fields)
            self.assertIn(f"outcome_{item.pk}", fields)
        self.assertContains(response, "Hạn chế 2 của Nguyễn Văn Ân")

    def test_the_form_is_not_submitted_until_every_item_is_answered(self):
        response = self.submit(self.member_user, self.new_a, {self.a_open: "remedied"})
        item = self.new_a.carry_over_items.get(remedy_action=self.a_progress)
        self.assertEqual(
            [name for name, _label in response.context["missing"]],
            [f"carry_{item.pk}", f"outcome_{item.pk}"],
        )
        self.assertEqual(Review.objects.get(pk=self.new_a.pk).status, "draft")
        self.a_open.refresh_from_db()
        self.assertEqual(self.a_open.status, Status.OPEN)

    def test_remedied_closes_the_action_and_carried_leaves_it_open(self):
        self.submit(
            self.member_user,
            self.new_a,
            {self.a_open: "remedied", self.a_progress: "carried"},
        )
        self.assertTrue(Review.objects.get(pk=self.new_a.pk).is_submitted)
        self.a_open.refresh_from_db()
        self.assertEqual(self.a_open.status, Status.DONE)
        self.assertEqual(self.a_open.closed_on, timezone.localdate())
        self.assertIn("Kết quả: remedied", self.a_open.evidence)
        self.a_progress.refresh_from_db()
        self.assertEqual(self.a_progress.status, Status.IN_PROGRESS)
        self.assertIsNone(self.a_progress.closed_on)

    def test_a_saved_draft_closes_nothing(self):
        self.client.force_login(self.member_user)
        self.client.post(
            reverse("reviews:review", args=[self.new_a.public_id]),
            self.filled(
                self.new_a, **self.answers(self.new_a, {self.a_open: "remedied"})
            ),
        )
        self.a_open.refresh_from_db()
        self.assertEqual(self.a_open.status, Status.OPEN)

    def test_the_secretary_closes_the_collectives_action(self):
        self.submit(self.secretary_a, self.new_cell_a, {self.c_open: "remedied"})
        self.c_open.refresh_from_db()
        self.assertEqual(self.c_open.status, Status.DONE)
        self.assertEqual(self.c_open.closed_on, timezone.localdate())

    # carry_over_open_actions reads only the cycle just before: an action
    # answered "carried" in 2026 stays open but is never asked about in 2027.
    def test_a_carried_action_is_asked_about_again_the_year_after(self):
        self.submit(
            self.member_user,
            self.new_a,
            {self.a_open: "remedied", self.a_progress: "carried"},
        )
        self.next.status = ReviewCycle.Status.LOCKED
        self.next.save()
        following = self.new_cycle(2027)
        open_cycle(following)
        review = following.reviews.get(member=self.member_a)
        self.assertEqual(self.carried(review), [self.a_progress.pk])

    # settle_carry_over only ever closes: a form returned for rework and
    # submitted again with "carried" leaves the action closed by the first answer.
    def test_an_answer_changed_to_carried_after_a_return_reopens_the_action(self):
        self.submit(
            self.member_user,
            self.new_a,
            {self.a_open: "remedied"} | {self.a_progress: "carried"},
        )
        self.client.force_login(self.secretary_a)
        self.client.post(
            reverse("reviews:review_return", args=[self.new_a.public_id]),
            {"comment": "Mục III chưa đúng thực tế"},
        )
        returned = Review.objects.get(pk=self.new_a.pk)
        self.assertEqual(returned.status, Review.Status.RETURNED)
        self.submit(
            self.member_user,
            returned,
            {self.a_open: "carried", self.a_progress: "carried"},
        )
        self.assertTrue(Review.objects.get(pk=self.new_a.pk).is_submitted)
        self.a_open.refresh_from_db()
        self.assertNotEqual(self.a_open.status, Status.DONE)
        self.assertIsNone(self.a_open.closed_on)
