from django.urls import reverse

from organizations.models import OrganizationKind, Role
from reviews.models import ReviewCycle

from ..factories import OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase


class CycleListTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.older = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2025",
            year=2025,
            starts_on="2025-01-01",
            ends_on="2025-12-31",
            regime=cls.cycle.regime,
            superior=cls.committee,
            status=ReviewCycle.Status.LOCKED,
        )

    def overview(self, cycle):
        return f'href="{reverse("reviews:cycle", args=[cycle.public_id])}"'

    def test_cycles_are_listed_newest_first_with_their_status(self):
        self.client.force_login(self.staff)
        response = self.client.get(reverse("reviews:cycle_list"))
        self.assertEqual(response.context["cycles"], [self.cycle, self.older])
        self.assertContains(response, self.cycle.get_status_display())

    def test_staff_get_a_link_to_each_overview(self):
        self.client.force_login(self.staff)
        response = self.client.get(reverse("reviews:cycle_list"))
        self.assertContains(response, self.overview(self.cycle))
        self.assertContains(response, self.overview(self.older))

    def test_a_secretary_gets_their_checklist_not_the_overview(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(reverse("reviews:cycle_list"))
        self.assertNotContains(response, self.overview(self.cycle))
        self.assertContains(
            response,
            reverse(
                "reviews:checklist", args=[self.cycle.public_id, self.cell_a.public_id]
            ),
        )

    def test_a_member_gets_their_own_form(self):
        self.client.force_login(self.member_user)
        response = self.client.get(reverse("reviews:cycle_list"))
        self.assertContains(
            response, reverse("reviews:review", args=[self.review_a.public_id])
        )
        self.assertNotContains(response, self.overview(self.cycle))

    def test_leader_reads_the_overview_and_cannot_post(self):
        self.client.force_login(self.leader)
        response = self.client.get(reverse("reviews:cycle_list"))
        self.assertContains(response, self.overview(self.cycle))
        self.assertEqual(
            self.client.post(reverse("reviews:cycle_list")).status_code, 405
        )

    def test_outsider_sees_no_cycle(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        stranger = UserFactory(username="stranger")
        grant(stranger, other, Role.Kind.SECRETARY)
        self.client.force_login(stranger)
        response = self.client.get(reverse("reviews:cycle_list"))
        self.assertEqual(response.context["cycles"], [])

    def test_costs_the_same_for_one_or_many_cycles(self):
        self.client.force_login(self.secretary_a)
        # Session, user, cycles, roles, own forms, savepoint pair.
        with self.assertNumQueries(7):
            self.client.get(reverse("reviews:cycle_list"))
        for year in range(2010, 2020):
            ReviewCycle.objects.create(
                name=f"Năm {year}",
                year=year,
                starts_on=f"{year}-01-01",
                ends_on=f"{year}-12-31",
                regime=self.cycle.regime,
                superior=self.committee,
            )
        with self.assertNumQueries(7):
            self.client.get(reverse("reviews:cycle_list"))
