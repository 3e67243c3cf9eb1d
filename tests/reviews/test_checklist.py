from django.urls import reverse

from organizations.models import OrganizationKind, Role
from reviews import services
from reviews.cycles.progress import cycle_roles
from reviews.cycles.scope import PARENT_KINDS
from reviews.models import CycleJob, Meeting, Review, ReviewCycle

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase


class OrganizationChecklistTests(CyclePersonasTestCase):
    def url(self, organization=None):
        organization = organization or self.cell_a
        return reverse(
            "reviews:checklist", args=[self.cycle.public_id, organization.public_id]
        )

    def test_secretary_sees_the_collective_review_and_its_meeting(self):
        Meeting.objects.create(review=self.collective_a, held_on="2026-12-20")
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url())
        self.assertEqual(response.context["collectives"], [self.collective_a])
        self.assertContains(
            response, reverse("reviews:review", args=[self.collective_a.public_id])
        )
        self.assertContains(
            response, reverse("reviews:meeting", args=[self.collective_a.public_id])
        )
        self.assertContains(response, "20/12/2026")

    def test_members_are_listed_in_meeting_order(self):
        head = MemberFactory(
            full_name="Võ Văn Trưởng", organization=self.cell_a, party_post="Bí thư"
        )
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url())
        names = [review.subject_name for review in response.context["individuals"]]
        self.assertEqual(names, [head.full_name, "Nguyễn Văn Ân", "Trần Thị Bình"])
        self.assertContains(
            response, reverse("reviews:review", args=[self.review_a.public_id])
        )

    def test_the_organization_comes_before_its_leadership_collective(self):
        MemberFactory(organization=self.cell_a, is_leader=True)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.client.force_login(self.staff)
        response = self.client.get(self.url(self.ward))
        kinds = [review.kind for review in response.context["collectives"]]
        self.assertEqual(kinds, [Review.Kind.ORGANIZATION, Review.Kind.LEADERSHIP])

    def test_counts_missing_returned_and_submitted_forms(self):
        Review.objects.filter(pk=self.review_a.pk).update(status=Review.Status.RETURNED)
        Review.objects.filter(pk=self.collective_a.pk).update(
            status=Review.Status.SUBMITTED
        )
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url())
        self.assertEqual(
            response.context["counts"],
            {"missing": 1, "returned": 1, "submitted": 1, "excused": 0},
        )

    def test_a_committee_lists_its_cells_with_their_progress(self):
        Review.objects.filter(pk=self.review_a.pk).update(
            status=Review.Status.SUBMITTED
        )
        Meeting.objects.create(review=self.collective_a, status=Meeting.Status.DONE)
        self.client.force_login(self.staff)
        response = self.client.get(self.url(self.ward))
        cell_a, cell_b = response.context["children"]
        self.assertEqual(
            (cell_a.forms_submitted, cell_a.forms_total, cell_a.meeting_recorded),
            (1, 3, True),
        )
        self.assertEqual((cell_b.forms_submitted, cell_b.forms_total), (0, 2))
        self.assertContains(response, self.url(self.cell_a))

    def test_only_a_committee_reads_its_subordinate_organizations(self):
        # Only party groups sit under a cell, and cycles do not review them.
        self.assertEqual(
            {kind for kind in OrganizationKind if kind in PARENT_KINDS},
            {
                OrganizationKind.SUPERIOR_COMMITTEE,
                OrganizationKind.GRASSROOTS_COMMITTEE,
                OrganizationKind.PARTIAL_COMMITTEE,
            },
        )
        self.client.force_login(self.staff)
        response = self.client.get(self.url(self.cell_a))
        self.assertEqual(response.context["children"], [])
        self.assertNotContains(response, "<progress")

    def test_leader_reads_the_checklist_of_their_subtree(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.client.get(self.url()).status_code, 200)

    def test_the_page_has_nothing_to_post(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_staff_and_leaders_are_linked_to_the_overview_secretaries_are_not(self):
        overview = reverse("reviews:cycle", args=[self.cycle.public_id])
        for user, linked in (
            (self.staff, True),
            (self.leader, True),
            (self.secretary_a, False),
        ):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.get(self.url())
                self.assertEqual(response.context["reads_overview"], linked)
                if linked:
                    self.assertContains(response, f'href="{overview}"')
                else:
                    self.assertNotContains(response, f'href="{overview}"')

    def test_the_roles_in_the_cycle_are_read_in_one_query(self):
        cycle = ReviewCycle.objects.select_related("superior").get(pk=self.cycle.pk)
        below = UserFactory(username="staff_below")
        grant(below, self.ward, Role.Kind.STAFF)
        for user, roles in (
            (self.staff, (True, True)),
            (self.leader, (False, True)),
            (self.secretary_a, (False, False)),
            # Staff below the cycle's committee do not run it.
            (below, (False, False)),
        ):
            with self.subTest(user=user.username), self.assertNumQueries(1):
                self.assertEqual(cycle_roles(user, cycle), roles)

    def test_a_member_without_a_role_gets_404(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_an_organization_of_another_tree_is_404(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        self.client.force_login(self.staff)
        self.assertEqual(self.client.get(self.url(other)).status_code, 404)


class OrganizationChecklistQueryTests(CyclePersonasTestCase):
    """The checklist costs the same whatever the number of members."""

    # Session, user, cycle, organization, the user's roles in the cycle (staff
    # or leader), the reviews with their exemptions, breadcrumb, and a savepoint
    # pair; a cell has no subordinate organizations to read.
    queries = 9

    def assert_constant_queries(self, count):
        for _ in range(count - 2):
            MemberFactory(organization=self.cell_a)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.client.force_login(self.secretary_a)
        url = reverse(
            "reviews:checklist", args=[self.cycle.public_id, self.cell_a.public_id]
        )
        with self.assertNumQueries(self.queries):
            response = self.client.get(url)
        self.assertEqual(len(response.context["individuals"]), count)

    def test_ten_members(self):
        self.assert_constant_queries(10)

    def test_five_hundred_members(self):
        self.assert_constant_queries(500)
