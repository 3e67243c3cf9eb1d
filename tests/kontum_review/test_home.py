from django.urls import reverse

from reviews.models import ReviewCycle

from ..factories import UserFactory
from ..personas import CyclePersonasTestCase, PersonasTestCase


class HomeWithoutCycleTests(PersonasTestCase):
    def test_staff_land_on_the_organization_tree(self):
        self.client.force_login(self.staff)
        self.assertRedirects(self.client.get("/"), reverse("organizations:list"))

    def test_secretary_lands_on_the_organization_tree(self):
        self.client.force_login(self.secretary_a)
        self.assertRedirects(self.client.get("/"), reverse("organizations:list"))

    def test_leader_lands_on_the_organization_tree(self):
        self.client.force_login(self.leader)
        self.assertRedirects(self.client.get("/"), reverse("organizations:list"))

    def test_member_lands_on_their_own_record(self):
        self.client.force_login(self.member_user)
        self.assertRedirects(
            self.client.get("/"),
            reverse("members:detail", args=[self.member_a.public_id]),
        )

    def test_user_without_role_is_told_whom_to_ask(self):
        self.client.force_login(UserFactory(username="newcomer"))
        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Ban Tổ chức")


class HomeTests(CyclePersonasTestCase):
    """Each role lands on its work in the newest opened cycle."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.next_draft = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2027",
            year=2027,
            starts_on="2027-01-01",
            ends_on="2027-12-31",
            regime=cls.cycle.regime,
            superior=cls.committee,
        )

    def overview(self, cycle):
        return reverse("reviews:cycle", args=[cycle.public_id])

    def test_staff_land_on_the_newest_opened_cycle(self):
        self.client.force_login(self.staff)
        self.assertRedirects(self.client.get("/"), self.overview(self.cycle))

    def test_staff_land_on_a_draft_when_no_cycle_is_opened(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="draft")
        self.client.force_login(self.staff)
        self.assertRedirects(self.client.get("/"), self.overview(self.next_draft))

    def test_secretary_lands_on_their_checklist(self):
        self.client.force_login(self.secretary_a)
        self.assertRedirects(
            self.client.get("/"),
            reverse(
                "reviews:checklist", args=[self.cycle.public_id, self.cell_a.public_id]
            ),
        )

    def test_secretary_is_not_sent_into_a_draft(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="draft")
        self.client.force_login(self.secretary_a)
        self.assertRedirects(self.client.get("/"), reverse("organizations:list"))

    def test_member_lands_on_their_own_form(self):
        self.client.force_login(self.member_user)
        self.assertRedirects(
            self.client.get("/"),
            reverse("reviews:review", args=[self.review_a.public_id]),
            fetch_redirect_response=False,
        )

    def test_member_of_a_draft_cycle_lands_on_their_record(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="draft")
        self.client.force_login(self.member_user)
        self.assertRedirects(
            self.client.get("/"),
            reverse("members:detail", args=[self.member_a.public_id]),
        )

    def test_leader_lands_on_the_dashboard_of_the_cycle(self):
        self.client.force_login(self.leader)
        self.assertRedirects(
            self.client.get("/"),
            f"{reverse('dashboard')}?cycle={self.cycle.public_id}",
            fetch_redirect_response=False,
        )

    def test_staff_land_on_the_draft_to_open_rather_than_a_finished_cycle(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="locked")
        self.client.force_login(self.staff)
        self.assertRedirects(self.client.get("/"), self.overview(self.next_draft))
