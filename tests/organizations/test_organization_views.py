from django.urls import reverse

from ..factories import MemberFactory, OrganizationFactory
from ..personas import PersonasTestCase


class OrganizationListTests(PersonasTestCase):
    url = reverse("organizations:list")

    def test_anonymous_user_is_sent_to_login(self):
        response = self.client.get(self.url)
        self.assertRedirects(response, f"{reverse('login')}?next={self.url}")

    def test_staff_see_the_tree(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url)
        self.assertContains(response, "Đảng bộ phường Quyết Thắng")
        self.assertContains(response, "Chi bộ Tổ dân phố 2")

    def test_secretary_sees_only_their_cell(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url)
        self.assertContains(response, "Chi bộ Tổ dân phố 1")
        self.assertNotContains(response, "Chi bộ Tổ dân phố 2")

    def test_search_ignores_accents(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url, {"q": "quyet thang"})
        self.assertContains(response, "Đảng bộ phường Quyết Thắng")
        self.assertNotContains(response, "Chi bộ Tổ dân phố 2")

    def test_a_cell_found_by_search_is_named_with_its_ward(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url, {"q": "to dan pho 1"})
        self.assertContains(
            response, "Chi bộ Tổ dân phố 1 – Đảng bộ phường Quyết Thắng"
        )

    def test_bad_filter_value_is_ignored_not_a_500(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url, {"org_type": "not-a-number", "page": "x"})
        self.assertEqual(response.status_code, 200)

    def test_query_count_does_not_grow_with_the_list(self):
        self.client.force_login(self.staff)
        # Seven, and whether the reader keeps a subtree (the restructuring link).
        with self.assertNumQueries(8):
            self.client.get(self.url)
        for _ in range(40):
            cell = OrganizationFactory(parent=self.ward)
            MemberFactory(organization=cell)
        with self.assertNumQueries(8):
            response = self.client.get(self.url)
        self.assertContains(response, "44 tổ chức")


class OrganizationDetailTests(PersonasTestCase):
    def url(self, organization):
        return reverse("organizations:detail", args=[organization.public_id])

    def test_secretary_reads_their_cell_and_its_members_in_name_order(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url(self.cell_a))
        names = [m.full_name for m in response.context["page"]]
        self.assertEqual(names, ["Nguyễn Văn Ân", "Trần Thị Bình"])

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url(self.cell_a)).status_code, 404)

    def test_unknown_organization_gets_404(self):
        self.client.force_login(self.staff)
        response = self.client.get(
            "/organizations/00000000-0000-0000-0000-000000000000/"
        )
        self.assertEqual(response.status_code, 404)

    def test_member_search_inside_an_organization(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url(self.ward), {"q": "le duc"})
        self.assertEqual(
            [m.full_name for m in response.context["page"]], ["Lê Đức Cường"]
        )

    def test_breadcrumb_shows_the_ancestors(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url(self.cell_a))
        self.assertEqual([o.code for o in response.context["ancestors"]], ["TU", "P01"])
