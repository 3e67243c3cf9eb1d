from django.urls import reverse

from ..factories import MemberFactory
from ..personas import PersonasTestCase


class MemberListTests(PersonasTestCase):
    url = reverse("members:list")

    def test_member_sees_only_themself(self):
        self.client.force_login(self.member_user)
        response = self.client.get(self.url)
        self.assertEqual(
            [m.full_name for m in response.context["page"]], ["Nguyễn Văn Ân"]
        )

    def test_search_finds_accented_names_from_plain_text(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url, {"q": "nguyen van an"})
        self.assertContains(response, "Nguyễn Văn Ân")
        self.assertNotContains(response, "Trần Thị Bình")

    def test_page_links_keep_the_search_and_change_only_the_page(self):
        MemberFactory.create_batch(
            120, full_name="Nguyễn Văn Bảo", organization=self.cell_b
        )
        self.client.force_login(self.staff)
        response = self.client.get(self.url, {"q": "nguyen", "page": 2})
        self.assertContains(response, 'href="?q=nguyen&amp;page=1"')
        self.assertContains(response, 'href="?q=nguyen&amp;page=3"')
        self.assertNotContains(response, "?2&amp;")

    def test_a_cell_is_named_with_its_ward(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url, {"q": "nguyen van an"})
        self.assertContains(
            response, "Chi bộ Tổ dân phố 1 – Đảng bộ phường Quyết Thắng"
        )

    def test_query_count_does_not_grow_with_the_list(self):
        self.client.force_login(self.staff)
        with self.assertNumQueries(6):
            self.client.get(self.url)
        for _ in range(40):
            MemberFactory(organization=self.cell_b)
        with self.assertNumQueries(6):
            self.client.get(self.url)


class MemberDetailTests(PersonasTestCase):
    def url(self, member):
        return reverse("members:detail", args=[member.public_id])

    def test_member_reads_their_own_record(self):
        self.client.force_login(self.member_user)
        self.assertContains(
            self.client.get(self.url(self.member_a)), self.member_a.card_number
        )

    def test_member_cannot_read_a_fellow_member(self):
        self.client.force_login(self.member_user)
        self.assertEqual(
            self.client.get(self.url(self.other_member_a)).status_code, 404
        )

    def test_outsider_secretary_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url(self.member_a)).status_code, 404)

    def test_leader_reads_members_of_their_subtree(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.client.get(self.url(self.member_b)).status_code, 200)

    def test_member_is_not_offered_a_link_to_the_cell_page(self):
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.member_a))
        cell_url = reverse("organizations:detail", args=[self.cell_a.public_id])
        self.assertNotContains(response, cell_url)
        self.client.force_login(self.secretary_a)
        self.assertContains(self.client.get(self.url(self.member_a)), cell_url)
