from django.urls import reverse

from ..factories import UserFactory
from ..personas import PersonasTestCase


class HomeTests(PersonasTestCase):
    def test_staff_land_on_the_organization_tree(self):
        self.client.force_login(self.staff)
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
