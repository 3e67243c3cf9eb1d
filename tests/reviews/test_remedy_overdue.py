import datetime

from django.urls import reverse
from django.utils import timezone

from organizations.models import OrganizationKind, Role
from reviews.models import RemedyAction
from reviews.remedies.views import PAGE_SIZE

from ..factories import OrganizationFactory, UserFactory, grant
from .test_remedy_plan import RemedyTestCase


class RemedyOverdueTestCase(RemedyTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.today = timezone.localdate()
        cls.yesterday = cls.today - datetime.timedelta(days=1)
        cls.url = reverse("reviews:remedies_overdue", args=[cls.cycle.public_id])

    def late(self, review, **fields):
        return self.action(review, deadline=self.yesterday, **fields)

    def counts(self, response):
        return {
            row["review__organization__name"]: (
                row["not_done"],
                row["done"],
                row["overdue"],
            )
            for row in response.context["counts"]
        }


class RemedyOverdueTests(RemedyOverdueTestCase):
    def setUp(self):
        self.late_a = self.late(self.review_a, content="Nộp đảng phí")
        self.action(self.review_a, deadline=self.today)
        self.late(self.review_a, status="done", evidence="Xong", closed_on=self.today)
        self.late_collective = self.late(self.collective_a, status="in_progress")
        self.late_b = self.late(self.review_b, content="Dự họp đầy đủ")

    def test_staff_see_counts_per_organization_and_every_overdue_action(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url)
        self.assertEqual(
            self.counts(response),
            {self.cell_a.name: (3, 1, 2), self.cell_b.name: (1, 0, 1)},
        )
        self.assertEqual(
            response.context["totals"], {"not_done": 4, "done": 1, "overdue": 3}
        )
        # Per organization, the collective first, then members in meeting order.
        self.assertEqual(
            [a.pk for a in response.context["page"]],
            [self.late_collective.pk, self.late_a.pk, self.late_b.pk],
        )

    def test_each_overdue_action_links_to_its_plan(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url)
        plan = reverse("reviews:remedy_plan", args=[self.review_b.public_id])
        self.assertContains(response, f'href="{plan}#action-1"')
        self.assertContains(response, "Dự họp đầy đủ")
        self.assertContains(response, f"{self.yesterday:%d/%m/%Y}")

    def test_done_actions_and_those_due_today_are_not_overdue(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url)
        listed = {a.pk for a in response.context["page"]}
        self.assertEqual(
            listed, {self.late_a.pk, self.late_collective.pk, self.late_b.pk}
        )

    def test_secretary_sees_only_their_own_cell(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url)
        self.assertEqual(self.counts(response), {self.cell_a.name: (3, 1, 2)})
        self.assertNotContains(response, "Dự họp đầy đủ")
        self.assertNotContains(response, self.cell_b.name)

    def test_secretary_of_the_other_cell_sees_only_theirs(self):
        self.client.force_login(self.secretary_b)
        response = self.client.get(self.url)
        self.assertEqual(self.counts(response), {self.cell_b.name: (1, 0, 1)})
        self.assertNotContains(response, "Nộp đảng phí")

    def test_leader_reads_their_subtree_and_cannot_post(self):
        self.client.force_login(self.leader)
        response = self.client.get(self.url)
        self.assertEqual(len(self.counts(response)), 2)
        self.assertEqual(self.client.post(self.url).status_code, 405)

    def test_member_without_a_role_gets_404(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_secretary_of_another_committee_gets_404(self):
        committee = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        outsider = UserFactory(username="outsider")
        grant(outsider, committee, Role.Kind.SECRETARY)
        self.client.force_login(outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_nothing_overdue_says_so(self):
        self.in_english()
        RemedyAction.objects.filter(deadline=self.yesterday).update(status="done")
        self.client.force_login(self.staff)
        response = self.client.get(self.url)
        self.assertContains(response, "No action is overdue.")
        self.assertEqual(response.context["totals"]["overdue"], 0)


class NarrowedOverdueTests(RemedyOverdueTestCase):
    """`?org=` shows one organization's part, as a dashboard figure asks."""

    def setUp(self):
        self.late_a = self.late(self.review_a, content="Nộp đảng phí")
        self.late_b = self.late(self.review_b, content="Dự họp đầy đủ")
        self.client.force_login(self.staff)

    def test_org_shows_only_that_organization_and_those_under_it(self):
        response = self.client.get(self.url, {"org": self.cell_b.public_id})
        self.assertEqual(self.counts(response), {self.cell_b.name: (1, 0, 1)})
        self.assertEqual([a.pk for a in response.context["page"]], [self.late_b.pk])
        self.assertEqual(response.context["chosen"], self.cell_b)
        self.assertContains(response, f'href="{self.url}"')
        response = self.client.get(self.url, {"org": self.ward.public_id})
        self.assertEqual(len(self.counts(response)), 2)

    def test_the_pages_keep_the_organization(self):
        RemedyAction.objects.bulk_create(
            RemedyAction(
                review=self.review_b,
                number=number,
                shortcoming="Hạn chế",
                content=f"Biện pháp {number}",
                owner="Bí thư",
                deadline=self.yesterday,
            )
            # More than a page of them.
            for number in range(2, PAGE_SIZE + 10)
        )
        response = self.client.get(self.url, {"org": self.cell_b.public_id})
        self.assertContains(response, f"?org={self.cell_b.public_id}&amp;page=2")

    def test_an_organization_the_reader_does_not_see_is_404(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url, {"org": self.cell_b.public_id})
        self.assertEqual(response.status_code, 404)

    def test_a_malformed_or_unknown_id_is_404(self):
        for value in ("khong-phai-ma", "00000000-0000-0000-0000-000000000000"):
            with self.subTest(value=value):
                response = self.client.get(self.url, {"org": value})
                self.assertEqual(response.status_code, 404)


class RemedyOverdueQueryTests(RemedyOverdueTestCase):
    # Session, user, cycle, scope check, counts, page count, page, and the
    # request's savepoint pair.
    QUERIES = 9

    def overdue_actions(self, count):
        reviews = [self.review_a, self.review_b, self.collective_a]
        RemedyAction.objects.bulk_create(
            RemedyAction(
                review=reviews[number % 3],
                number=number,
                shortcoming="Hạn chế",
                content=f"Biện pháp {number}",
                owner="Bí thư",
                deadline=self.yesterday,
            )
            for number in range(1, count + 1)
        )
        self.client.force_login(self.staff)

    def test_10_overdue_actions_take_a_fixed_number_of_queries(self):
        self.overdue_actions(10)
        with self.assertNumQueries(self.QUERIES):
            response = self.client.get(self.url)
        self.assertEqual(response.context["totals"]["overdue"], 10)

    def test_500_overdue_actions_take_the_same_number(self):
        self.overdue_actions(500)
        with self.assertNumQueries(self.QUERIES):
            response = self.client.get(self.url)
        self.assertEqual(response.context["totals"]["overdue"], 500)
        self.assertEqual(len(response.context["page"]), 100)
