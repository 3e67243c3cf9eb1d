import datetime

from django.urls import reverse

from organizations.models import OrganizationKind, Role
from reviews import services
from reviews.models import Assignment, Meeting, Review, ReviewCycle

from ..factories import OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase
from .test_suggestion_list import make_organizations


class MyAssignmentsTests(CyclePersonasTestCase):
    url = reverse("reviews:my_assignments")

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.btv = UserFactory(username="btv")
        grant(cls.btv, cls.committee, Role.Kind.LEADER)
        for organization in (cls.cell_a, cls.ward):
            Assignment.objects.create(
                cycle=cls.cycle, organization=organization, assignee=cls.btv
            )
        meeting = services.ensure_meeting(cls.collective_a)
        meeting.held_on = datetime.date(2026, 12, 10)
        meeting.status = Meeting.Status.HELD
        meeting.save()
        Review.objects.filter(pk=cls.review_a.pk).update(status=Review.Status.SUBMITTED)

    def setUp(self):
        self.client.force_login(self.btv)

    def rows(self, response):
        return {a.organization.code: a for a in response.context["assignments"]}

    def test_assignee_sees_the_meeting_date_status_and_progress(self):
        cell = self.rows(self.client.get(self.url))["P01.A"]
        self.assertEqual(cell.meeting_on, datetime.date(2026, 12, 10))
        self.assertEqual(cell.meeting_label, Meeting.Status.HELD.label)
        self.assertEqual((cell.submitted, cell.total), (1, 3))

    def test_progress_counts_the_whole_subtree(self):
        ward = self.rows(self.client.get(self.url))["P01"]
        self.assertEqual((ward.submitted, ward.total), (1, 6))
        self.assertIsNone(ward.meeting_on)

    def test_each_organization_links_to_its_checklist(self):
        response = self.client.get(self.url)
        checklist = reverse(
            "reviews:checklist", args=[self.cycle.public_id, self.cell_a.public_id]
        )
        self.assertContains(response, f'href="{checklist}"')
        self.assertContains(response, '<progress class="w-100" value="1" max="3"')

    def test_an_assignment_in_a_cycle_out_of_sight_is_not_listed(self):
        elsewhere = OrganizationFactory(
            kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        school = OrganizationFactory(
            kind=OrganizationKind.GRASSROOTS_CELL, parent=elsewhere
        )
        other_cycle = ReviewCycle.objects.create(
            name="Kiểm điểm nơi khác",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            regime=self.cycle.regime,
            superior=elsewhere,
        )
        Assignment.objects.create(
            cycle=other_cycle, organization=school, assignee=self.btv
        )
        self.assertEqual(set(self.rows(self.client.get(self.url))), {"P01", "P01.A"})

    def test_outsider_sees_none_of_the_assignments_of_others(self):
        self.client.force_login(self.secretary_b)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["assignments"], [])

    def test_the_page_takes_no_post(self):
        self.assertEqual(self.client.post(self.url).status_code, 405)

    def test_anonymous_user_is_sent_to_login(self):
        self.client.logout()
        response = self.client.get(self.url)
        self.assertRedirects(response, f"{reverse('login')}?next={self.url}")

    def test_query_count_is_the_same_for_10_and_500_assignments(self):
        def assign_to(organizations):
            Assignment.objects.bulk_create(
                Assignment(cycle=self.cycle, organization=o, assignee=self.btv)
                for o in organizations
            )

        assign_to(make_organizations(self.ward, 8))
        with self.assertNumQueries(5):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["assignments"]), 10)
        assign_to(make_organizations(self.ward, 490))
        with self.assertNumQueries(5):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["assignments"]), 500)
