from django.conf import settings
from django.urls import reverse

from members.models import Member
from organizations.models import OrganizationKind, Role
from reviews import services
from reviews.models import CycleJob

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase


class CycleExclusionsTests(CyclePersonasTestCase):
    def url(self):
        return reverse("reviews:cycle_exclusions", args=[self.cycle.public_id])

    def exclude(self, count=1, organization=None, **fields):
        for _ in range(count):
            MemberFactory(organization=organization or self.cell_a, **fields)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))

    def test_staff_see_each_member_left_out_with_the_reason_and_note(self):
        self.exclude(
            full_name="Phạm Văn Miễn",
            status=Member.Status.EXEMPT,
            status_note="Tuổi cao, sức yếu",
        )
        self.exclude(
            full_name="Đỗ Thị Chuyển",
            organization=self.cell_b,
            status=Member.Status.TRANSFERRED,
        )
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertContains(response, "Phạm Văn Miễn")
        self.assertContains(response, "Exempt from work and activities")
        self.assertContains(response, "Tuổi cao, sức yếu")
        self.assertContains(response, "Transferred out")
        self.assertContains(response, self.cell_b.name)

    def test_the_list_is_paginated(self):
        self.exclude(60, status=Member.Status.DECEASED)
        self.client.force_login(self.staff)
        response = self.client.get(self.url(), {"page": 2})
        self.assertEqual(len(response.context["page"]), 10)

    def test_a_bad_page_number_shows_the_first_page(self):
        self.exclude(status=Member.Status.DECEASED)
        self.client.force_login(self.staff)
        response = self.client.get(self.url(), {"page": "x'"})
        self.assertEqual(response.context["page"].number, 1)

    def test_same_number_of_queries_for_10_and_500_exclusions(self):
        self.client.force_login(self.staff)
        for count in (10, 490):
            self.exclude(count, status=Member.Status.EXEMPT)
            # Session, user, cycle, staff check, count, page, savepoint pair.
            with self.assertNumQueries(8):
                self.client.get(self.url())

    def test_leader_gets_403(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.client.get(self.url()).status_code, 403)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_a_secretary_who_sees_the_cycle_gets_403(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_outsider_gets_404(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        stranger = UserFactory(username="stranger")
        grant(stranger, other, Role.Kind.STAFF)
        self.client.force_login(stranger)
        self.assertEqual(self.client.get(self.url()).status_code, 404)
