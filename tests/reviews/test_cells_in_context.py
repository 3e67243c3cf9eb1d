"""A cell named with its ward in the lists that span several grassroots
organizations: about ten wards each have their "Chi bộ Tổ dân phố 1".

The flags are in test_results_flags.py; the pages' query counts stay pinned
in their own tests (the ward is read in the same query as the cell).
"""

from django.urls import reverse

from organizations.models import OrganizationKind, Role
from reviews import services
from reviews.models import Assignment, CycleJob, StepExemption

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase
from .test_cycle_overview import CycleOverviewQueryTests
from .test_decisions_decide import DecisionsTestCase

IN_QUYET_THANG = "Chi bộ Tổ dân phố 1 – Đảng bộ phường Quyết Thắng"
IN_THANG_LOI = "Chi bộ Tổ dân phố 1 – Đảng bộ phường Thắng Lợi"


class NamesakeCellsTests(CyclePersonasTestCase):
    """Cell A of the personas' ward, and a cell of the same name in another."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_ward = OrganizationFactory(
            code="P02",
            name="Đảng bộ phường Thắng Lợi",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=cls.committee,
        )
        cls.namesake = OrganizationFactory(
            code="P02.A", name=cls.cell_a.name, parent=cls.other_ward
        )
        MemberFactory(full_name="Đinh Văn Hòa", organization=cls.namesake)
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        cls.namesake_review = cls.cycle.reviews.get(member__organization=cls.namesake)

    def test_the_latest_exemptions_of_the_cycle(self):
        for review in (self.review_a, self.namesake_review):
            StepExemption.objects.create(
                review=review,
                kind=StepExemption.Kind.NOT_SUBMITTED,
                reason="Ốm dài ngày",
                recorded_by=self.staff,
            )
        self.client.force_login(self.staff)

        with self.assertNumQueries(CycleOverviewQueryTests.queries):
            response = self.client.get(
                reverse("reviews:cycle", args=[self.cycle.public_id])
            )

        self.assertContains(response, f"<td>{IN_QUYET_THANG}</td>", html=True)
        self.assertContains(response, f"<td>{IN_THANG_LOI}</td>", html=True)

    def test_the_members_of_the_committee_on_its_results_page(self):
        self.client.force_login(self.staff)

        response = self.client.get(
            reverse(
                "reviews:organization_results",
                args=[self.cycle.public_id, self.committee.public_id],
            )
        )

        cells = [
            review.organization.name_in_context
            for review in response.context["members"]
        ]
        self.assertIn(IN_QUYET_THANG, cells)
        self.assertIn(IN_THANG_LOI, cells)
        self.assertContains(response, IN_THANG_LOI)

    def test_my_assignments(self):
        assignee = UserFactory(username="btv")
        grant(assignee, self.committee, Role.Kind.LEADER)
        for cell in (self.cell_a, self.namesake):
            Assignment.objects.create(
                cycle=self.cycle, organization=cell, assignee=assignee
            )
        self.client.force_login(assignee)

        response = self.client.get(reverse("reviews:my_assignments"))

        self.assertContains(response, f">{IN_QUYET_THANG}</a>")
        self.assertContains(response, f">{IN_THANG_LOI}</a>")


class DecidePageCellsTests(DecisionsTestCase):
    url_name = "reviews:decide"

    def test_each_member_is_shown_with_the_cell_and_its_ward(self):
        self.client.force_login(self.staff)

        response = self.client.get(self.url(group=self.members_key))

        self.assertContains(
            response,
            f'<span class="badge text-bg-light border">{IN_QUYET_THANG}</span>',
            html=True,
        )
        self.assertNotContains(
            response,
            '<span class="badge text-bg-light border">Chi bộ Tổ dân phố 1</span>',
            html=True,
        )
