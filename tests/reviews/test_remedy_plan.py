import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from reviews.models import CarryOverItem, Rating, RemedyAction, ReviewCycle
from reviews.remedies import add_years

from ..factories import UserFactory
from ..personas import CyclePersonasTestCase

SECTION_II = "Chưa gương mẫu trong sinh hoạt chi bộ; chậm nộp đảng phí."


class RemedyTestCase(CyclePersonasTestCase):
    """The personas' cycle decided ten days ago, with helpers for plans."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.cycle.status = ReviewCycle.Status.DECIDED
        cls.cycle.save()
        cls.decided_at = timezone.now() - datetime.timedelta(days=10)
        cls.decision_day = timezone.localdate(cls.decided_at)
        level = cls.cycle.regime.levels.get(code="HTNV")
        for review in cls.cycle.reviews.all():
            Rating.objects.create(
                review=review,
                stage=Rating.Stage.DECISION,
                level=level,
                set_at=cls.decided_at,
            )
        cls.review_a.answers = {"II": SECTION_II}
        cls.review_a.save()
        cls.review_b = cls.cycle.reviews.get(member=cls.member_b)
        cls.review_other_a = cls.cycle.reviews.get(member=cls.other_member_a)

    def plan_url(self, review):
        return reverse("reviews:remedy_plan", args=[review.public_id])

    def in_english(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def day(self, days):
        return self.decision_day + datetime.timedelta(days=days)

    def action(self, review, number=None, **fields):
        number = number or review.remedy_actions.count() + 1
        values = {
            "shortcoming": f"Hạn chế {number}",
            "content": f"Biện pháp {number}",
            "owner": "Bí thư chi bộ",
            "deadline": self.day(60),
        }
        return RemedyAction.objects.create(
            review=review, number=number, **(values | fields)
        )

    def new_action(self, **overrides):
        data = {
            "shortcoming": "Chậm nộp đảng phí",
            "content": "Nộp đủ đảng phí hằng tháng, đúng hạn",
            "owner": "Đồng chí Nguyễn Văn Ân",
            "deadline": self.day(90).isoformat(),
        }
        return data | overrides


class RemedyPlanTests(RemedyTestCase):
    def test_secretary_adds_actions_numbered_per_review(self):
        self.client.force_login(self.secretary_a)
        url = self.plan_url(self.review_a)
        response = self.client.post(url, self.new_action())
        self.assertRedirects(response, f"{url}#action-1")
        response = self.client.post(url, self.new_action(content="Dự họp đầy đủ"))
        self.assertRedirects(response, f"{url}#action-2")
        self.client.post(self.plan_url(self.collective_a), self.new_action())
        first, second = self.review_a.remedy_actions.order_by("number")
        self.assertEqual((first.number, second.number), (1, 2))
        self.assertEqual(first.content, "Nộp đủ đảng phí hằng tháng, đúng hạn")
        self.assertEqual(first.owner, "Đồng chí Nguyễn Văn Ân")
        self.assertEqual(first.deadline, self.day(90))
        self.assertEqual(first.status, RemedyAction.Status.OPEN)
        self.assertEqual(self.collective_a.remedy_actions.get().number, 1)

    def test_the_change_is_recorded_with_who_made_it(self):
        self.client.force_login(self.secretary_a)
        self.client.post(self.plan_url(self.review_a), self.new_action())
        action = self.review_a.remedy_actions.get()
        self.assertEqual(action.history.get().history_user, self.secretary_a)

    def test_shortcoming_is_prefilled_from_section_two(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.plan_url(self.review_a))
        self.assertEqual(response.context["form"]["shortcoming"].value(), SECTION_II)
        self.assertContains(response, "Chưa gương mẫu trong sinh hoạt chi bộ", count=2)

    def test_deadline_on_the_decision_day_is_refused_and_the_input_kept(self):
        self.in_english()
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.plan_url(self.review_a),
            self.new_action(deadline=self.decision_day.isoformat()),
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.context["form"].errors["deadline"],
            [
                "The deadline must be after the decision of "
                f"{self.decision_day:%d/%m/%Y}."
            ],
        )
        self.assertContains(response, "Nộp đủ đảng phí hằng tháng, đúng hạn")
        self.assertFalse(RemedyAction.objects.exists())

    def test_deadline_up_to_two_years_after_the_decision_is_accepted(self):
        self.client.force_login(self.secretary_a)
        last = add_years(self.decision_day, 2)
        self.client.post(
            self.plan_url(self.review_a),
            self.new_action(deadline=self.day(1).isoformat()),
        )
        self.client.post(
            self.plan_url(self.review_a), self.new_action(deadline=last.isoformat())
        )
        self.assertEqual(
            list(self.review_a.remedy_actions.values_list("deadline", flat=True)),
            [self.day(1), last],
        )

    def test_deadline_more_than_two_years_on_is_refused(self):
        self.in_english()
        self.client.force_login(self.secretary_a)
        last = add_years(self.decision_day, 2)
        late = last + datetime.timedelta(days=1)
        response = self.client.post(
            self.plan_url(self.review_a), self.new_action(deadline=late.isoformat())
        )
        self.assertEqual(
            response.context["form"].errors["deadline"],
            [
                "The deadline must be within two years, "
                f"by {last:%d/%m/%Y} at the latest."
            ],
        )
        self.assertFalse(RemedyAction.objects.exists())

    def test_without_a_recorded_decision_the_deadline_counts_from_today(self):
        self.in_english()
        Rating.objects.filter(review=self.review_a).delete()
        today = timezone.localdate()
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.plan_url(self.review_a), self.new_action(deadline=today.isoformat())
        )
        self.assertEqual(
            response.context["form"].errors["deadline"],
            [f"The deadline must be after today, {today:%d/%m/%Y}."],
        )

    def test_deadline_typed_as_dd_mm_yyyy_is_understood(self):
        self.client.force_login(self.secretary_a)
        self.client.post(
            self.plan_url(self.review_a),
            self.new_action(deadline=f"{self.day(30):%d/%m/%Y}"),
        )
        self.assertEqual(self.review_a.remedy_actions.get().deadline, self.day(30))

    def test_bad_dates_and_missing_fields_are_named_next_to_each_field(self):
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.plan_url(self.review_a),
            self.new_action(deadline="31/02/2027", owner="", content=""),
        )
        self.assertEqual(
            sorted(response.context["form"].errors), ["content", "deadline", "owner"]
        )
        self.assertFalse(RemedyAction.objects.exists())

    def test_too_long_texts_are_refused(self):
        self.in_english()
        self.client.force_login(self.secretary_a)
        response = self.client.post(
            self.plan_url(self.review_a),
            self.new_action(
                shortcoming="x" * 2001, content="y" * 2001, owner="z" * 256
            ),
        )
        errors = response.context["form"].errors
        self.assertEqual(sorted(errors), ["content", "owner", "shortcoming"])
        self.assertContains(response, "at most 2000 characters (it has 2001)", count=2)
        self.assertFalse(RemedyAction.objects.exists())

    def test_list_shows_each_action_with_its_deadline_and_overdue_badge(self):
        self.in_english()
        today = timezone.localdate()
        self.action(self.review_a, deadline=today - datetime.timedelta(days=1))
        self.action(
            self.review_a,
            deadline=today - datetime.timedelta(days=1),
            status=RemedyAction.Status.DONE,
            closed_on=today,
            evidence="Biên bản sinh hoạt tháng 3",
        )
        self.action(self.review_a, deadline=today, status="in_progress")
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.plan_url(self.review_a))
        actions = response.context["actions"]
        self.assertEqual([a.overdue for a in actions], [True, False, False])
        self.assertEqual(
            response.context["counts"],
            {"open": 1, "in_progress": 1, "done": 1, "overdue": 1},
        )
        self.assertContains(response, f"{today:%d/%m/%Y}")
        self.assertContains(response, "Biên bản sinh hoạt tháng 3")
        self.assertContains(response, '<span class="badge text-bg-danger">Overdue')

    def test_carried_over_items_link_to_the_earlier_action(self):
        earlier = self.action(self.review_b)
        CarryOverItem.objects.create(
            review=self.review_a,
            number=1,
            text="Chậm nộp đảng phí\n→ Nộp đủ",
            source="Kỳ kiểm điểm 2025",
            remedy_action=earlier,
            outcome=CarryOverItem.Outcome.CARRIED,
        )
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.plan_url(self.review_a))
        self.assertContains(response, "Kỳ kiểm điểm 2025")
        self.assertContains(
            response, reverse("reviews:remedy_action", args=[earlier.public_id])
        )

    def test_member_adds_to_their_own_plan(self):
        self.client.force_login(self.member_user)
        response = self.client.post(self.plan_url(self.review_a), self.new_action())
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.review_a.remedy_actions.count(), 1)

    def test_member_cannot_see_another_members_or_the_collectives_plan(self):
        self.client.force_login(self.member_user)
        for review in (self.review_other_a, self.collective_a):
            self.assertEqual(self.client.get(self.plan_url(review)).status_code, 404)
            response = self.client.post(self.plan_url(review), self.new_action())
            self.assertEqual(response.status_code, 404)
        self.assertFalse(RemedyAction.objects.exists())

    def test_staff_add_to_a_collectives_plan(self):
        self.client.force_login(self.staff)
        self.client.post(self.plan_url(self.collective_a), self.new_action())
        self.assertEqual(self.collective_a.remedy_actions.count(), 1)

    def test_leader_reads_the_plan_but_cannot_change_it(self):
        self.action(self.review_a)
        self.client.force_login(self.leader)
        response = self.client.get(self.plan_url(self.review_a))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.context["editable"])
        self.assertContains(response, "Biện pháp 1")
        self.assertNotContains(response, 'name="deadline"')
        response = self.client.post(self.plan_url(self.review_a), self.new_action())
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.review_a.remedy_actions.count(), 1)

    def test_secretary_of_another_cell_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.plan_url(self.review_a)).status_code, 404)
        response = self.client.post(self.plan_url(self.review_a), self.new_action())
        self.assertEqual(response.status_code, 404)
        self.assertFalse(RemedyAction.objects.exists())

    def test_anonymous_user_is_sent_to_log_in(self):
        response = self.client.get(self.plan_url(self.review_a))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_before_the_decision_the_plan_cannot_be_drawn_up(self):
        self.in_english()
        self.cycle.status = ReviewCycle.Status.APPRAISAL
        self.cycle.save()
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.plan_url(self.review_a))
        self.assertContains(response, "drawn up after the superior committee")
        self.assertNotContains(response, 'name="deadline"')
        response = self.client.post(self.plan_url(self.review_a), self.new_action())
        self.assertEqual(response.status_code, 403)
        self.assertFalse(RemedyAction.objects.exists())

    def test_plan_is_followed_after_publication_and_locking(self):
        self.client.force_login(self.secretary_a)
        for status in (ReviewCycle.Status.PUBLISHED, ReviewCycle.Status.LOCKED):
            self.cycle.status = status
            self.cycle.save()
            self.client.post(self.plan_url(self.review_a), self.new_action())
        self.assertEqual(self.review_a.remedy_actions.count(), 2)


class RemedyPlanQueryTests(RemedyTestCase):
    # Session, user, review (with whether the user manages its organization),
    # decision, actions, carried items, and the request's savepoint pair.
    QUERIES = 8

    def plan_with(self, count):
        RemedyAction.objects.bulk_create(
            RemedyAction(
                review=self.review_a,
                number=number,
                shortcoming="Hạn chế",
                content=f"Biện pháp {number}",
                owner="Bí thư",
                deadline=self.day(number % 90 - 30),
                status=RemedyAction.Status.values[number % 3],
            )
            for number in range(1, count + 1)
        )
        self.client.force_login(self.secretary_a)

    def test_a_plan_of_10_actions_takes_a_fixed_number_of_queries(self):
        self.plan_with(10)
        with self.assertNumQueries(self.QUERIES):
            response = self.client.get(self.plan_url(self.review_a))
        self.assertEqual(len(response.context["actions"]), 10)

    def test_a_plan_of_500_actions_takes_the_same_number(self):
        self.plan_with(500)
        with self.assertNumQueries(self.QUERIES):
            response = self.client.get(self.plan_url(self.review_a))
        self.assertEqual(len(response.context["actions"]), 500)


class RemedyPlanOutsiderTests(RemedyTestCase):
    def test_user_of_another_committee_gets_404(self):
        stranger = UserFactory(username="stranger")
        self.client.force_login(stranger)
        self.assertEqual(self.client.get(self.plan_url(self.review_a)).status_code, 404)
