"""Staff issue tokens in the admin for the organizations they keep; the key is
shown once and only its hash is stored; tokens are revoked, never deleted."""

from django.contrib.auth.models import Permission
from django.urls import reverse

from api.models import ApiAccessLog, ApiToken
from api.tokens import hash_key
from organizations.models import Role

from ..factories import UserFactory, grant
from ..personas import PersonasTestCase
from .helpers import client_for, issue


class TokenAdminTests(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.ward_staff = UserFactory(username="ward_staff", is_staff=True)
        grant(cls.ward_staff, cls.ward, Role.Kind.STAFF)
        cls.ward_staff.user_permissions.set(
            Permission.objects.filter(content_type__app_label="api")
        )

    def add(self, organization, user=None):
        self.client.force_login(user or self.ward_staff)
        return self.client.post(
            reverse("admin:api_apitoken_add"),
            {
                "name": "Phần mềm quản lý đảng viên",
                "organization": organization.pk,
                "scope": "read",
                "expires_at_0": "2027-12-31",
                "expires_at_1": "00:00:00",
            },
        )

    def test_the_key_is_shown_once_and_stored_as_a_hash(self):
        response = self.add(self.cell_a)
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        key = response.context["key"]
        self.assertContains(response, key)
        token = ApiToken.objects.get()
        self.assertEqual(token.key_hash, hash_key(key))
        self.assertNotIn(key, str(ApiToken.objects.values().get()))
        self.assertEqual(token.created_by, self.ward_staff)
        self.assertFalse(token.account.is_active)
        self.assertFalse(token.account.has_usable_password())
        change = self.client.get(reverse("admin:api_apitoken_change", args=[token.pk]))
        self.assertNotContains(change, key)
        answer = client_for(key).get(reverse("api:members"))
        self.assertEqual(answer.status_code, 200)

    def test_staff_issue_tokens_only_for_what_they_keep(self):
        response = self.add(self.committee)
        self.assertEqual(response.status_code, 200)
        self.assertIn("organization", response.context["adminform"].form.errors)
        self.assertFalse(ApiToken.objects.exists())

    def test_revoked_tokens_stop_working_and_tokens_are_never_deleted(self):
        token, key = issue(self.ward, by=self.ward_staff)
        self.client.force_login(self.ward_staff)
        changelist = reverse("admin:api_apitoken_changelist")
        self.client.post(
            changelist, {"action": "revoke_tokens", "_selected_action": [token.pk]}
        )
        token.refresh_from_db()
        self.assertIsNotNone(token.revoked_at)
        self.assertEqual(client_for(key).get(reverse("api:cycles")).status_code, 401)
        delete = reverse("admin:api_apitoken_delete", args=[token.pk])
        self.assertEqual(self.client.get(delete).status_code, 403)

    def test_staff_do_not_see_tokens_above_their_subtree(self):
        above, _key = issue(self.committee, by=self.staff)
        self.client.force_login(self.ward_staff)
        change = reverse("admin:api_apitoken_change", args=[above.pk])
        self.assertEqual(self.client.get(change).status_code, 404)

    def test_the_access_log_is_read_only(self):
        token, key = issue(self.ward, by=self.ward_staff)
        client_for(key).get(reverse("api:cycles"))
        entry = ApiAccessLog.objects.get()
        self.client.force_login(self.ward_staff)
        response = self.client.get(reverse("admin:api_apiaccesslog_changelist"))
        self.assertContains(response, "/api/v1/cycles/")
        add = reverse("admin:api_apiaccesslog_add")
        self.assertEqual(self.client.get(add).status_code, 403)
        change = reverse("admin:api_apiaccesslog_change", args=[entry.pk])
        self.assertEqual(self.client.post(change, {}).status_code, 403)
