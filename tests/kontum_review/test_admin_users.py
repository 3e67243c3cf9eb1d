"""No one raises their own rights in the admin (issue 13).

Only superusers see and set superuser and staff status, permissions and
groups. Committee staff manage the accounts of their subtree and give roles
only on organizations they keep, never past their own scope.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from members.models import Member
from organizations.models import Role

from ..factories import MemberFactory, UserFactory, grant
from .test_admin_scoping import AdminWorld, admin_url, member_data

User = get_user_model()
SUPERUSER_FIELDS = ("is_superuser", "is_staff", "user_permissions", "groups")


def user_data(user, **values):
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        **values,
    }


class UserAdminTests(AdminWorld):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.blank = UserFactory(username="new_account")
        cls.peer = UserFactory(username="ward_staff_2", is_staff=True)
        grant(cls.peer, cls.ward, Role.Kind.STAFF)

    def test_ward_staff_list_the_accounts_of_their_subtree(self):
        self.client.force_login(self.ward_staff)
        listed = self.listed(User)
        self.assertLessEqual(
            {self.ward_staff.pk, self.secretary_a.pk, self.blank.pk, self.peer.pk},
            listed,
        )
        for outside in (self.secretary_c, self.city_staff, self.root):
            self.assertNotIn(outside.pk, listed)

    def test_accounts_outside_or_above_answer_404(self):
        self.client.force_login(self.ward_staff)
        for user in (self.root, self.city_staff, self.secretary_c):
            for view in ("change", "password_change", "history", "delete"):
                url = admin_url(User, view, user.pk)
                with self.subTest(url=url):
                    self.assertEqual(self.client.get(url).status_code, 404)

    def test_staff_see_no_superuser_staff_or_permission_fields(self):
        self.client.force_login(self.ward_staff)
        for user in (self.secretary_a, self.ward_staff):
            response = self.client.get(admin_url(User, "change", user.pk))
            fields = response.context["adminform"].form.fields
            for name in SUPERUSER_FIELDS:
                with self.subTest(user=user.username, field=name):
                    self.assertNotIn(name, fields)
                    self.assertNotContains(response, f'name="{name}"')
        response = self.client.get(admin_url(User))
        self.assertNotContains(response, "is_superuser__exact")
        self.assertNotContains(response, "is_staff__exact")

    def test_superusers_see_them(self):
        self.client.force_login(self.root)
        response = self.client.get(admin_url(User, "change", self.secretary_a.pk))
        for name in SUPERUSER_FIELDS:
            self.assertIn(name, response.context["adminform"].form.fields)

    def test_posted_rights_are_ignored(self):
        self.client.force_login(self.ward_staff)
        for user in (self.secretary_a, self.ward_staff):
            response = self.client.post(
                admin_url(User, "change", user.pk),
                user_data(
                    user,
                    first_name="Đã sửa",
                    is_superuser="on",
                    is_staff="on",
                    groups=[Group.objects.get().pk],
                ),
            )
            self.assertRedirects(
                response, admin_url(User), fetch_redirect_response=False
            )
            user.refresh_from_db()
            self.assertEqual(user.first_name, "Đã sửa")
            self.assertFalse(user.is_superuser)
        self.secretary_a.refresh_from_db()
        self.assertFalse(self.secretary_a.is_staff)
        self.assertFalse(self.secretary_a.groups.exists())

    def test_another_admin_account_is_read_only(self):
        self.client.force_login(self.ward_staff)
        url = admin_url(User, "change", self.peer.pk)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'name="_save"')
        response = self.client.post(url, user_data(self.peer, first_name="X"))
        self.assertEqual(response.status_code, 403)
        password = admin_url(User, "password_change", self.peer.pk)
        self.assertEqual(self.client.get(password).status_code, 403)

    def test_an_account_with_a_role_outside_is_read_only(self):
        grant(self.secretary_a, self.cell_c, Role.Kind.MEMBER)
        self.client.force_login(self.ward_staff)
        response = self.client.post(
            admin_url(User, "change", self.secretary_a.pk),
            user_data(self.secretary_a, first_name="X"),
        )
        self.assertEqual(response.status_code, 403)

    def test_staff_add_an_account_without_rights(self):
        self.client.force_login(self.ward_staff)
        response = self.client.get(admin_url(User, "add"))
        for name in SUPERUSER_FIELDS:
            self.assertNotIn(name, response.context["adminform"].form.fields)
        response = self.client.post(
            admin_url(User, "add"),
            {
                "username": "bi_thu_moi",
                "usable_password": "true",
                "password1": "Kontum-2026-mat-khau",
                "password2": "Kontum-2026-mat-khau",
                "is_superuser": "on",
                "is_staff": "on",
            },
        )
        self.assertEqual(response.status_code, 302)
        account = User.objects.get(username="bi_thu_moi")
        self.assertFalse(account.is_superuser)
        self.assertFalse(account.is_staff)

    def test_a_member_record_keeps_an_account_it_would_not_be_given(self):
        member = MemberFactory(
            full_name="Hồ Văn Sáu",
            card_number="62000066",
            organization=self.cell_a,
            user=self.peer,
        )
        self.client.force_login(self.ward_staff)
        url = admin_url(Member, "change", member.pk)
        data = member_data(self.cell_a, card_number="62000066", user=self.peer.pk)
        response = self.client.post(url, {**data, "full_name": "Hồ Văn Bảy"})
        self.assertRedirects(response, admin_url(Member))
        member.refresh_from_db()
        self.assertEqual((member.full_name, member.user), ("Hồ Văn Bảy", self.peer))

        response = self.client.post(url, {**data, "user": self.secretary_c.pk})
        self.assertEqual(response.status_code, 200)
        self.assertIn("user", response.context["adminform"].form.errors)
        member.refresh_from_db()
        self.assertEqual(member.user, self.peer)

    def test_groups_are_for_superusers(self):
        self.client.force_login(self.ward_staff)
        self.assertEqual(self.client.get(admin_url(Group)).status_code, 403)
        self.client.force_login(self.root)
        self.assertEqual(self.client.get(admin_url(Group)).status_code, 200)


class RoleAdminTests(AdminWorld):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.blank = UserFactory(username="new_account")
        cls.peer = UserFactory(username="ward_staff_2", is_staff=True)
        cls.peer_role = grant(cls.peer, cls.ward, Role.Kind.STAFF)

    def grant_in_admin(self, user, organization, kind=Role.Kind.SECRETARY):
        return self.client.post(
            admin_url(Role, "add"),
            {"user": user.pk, "organization": organization.pk, "kind": kind},
        )

    def test_staff_grant_roles_on_what_they_keep(self):
        self.client.force_login(self.ward_staff)
        response = self.grant_in_admin(self.blank, self.cell_a)
        self.assertRedirects(response, admin_url(Role))
        self.assertTrue(
            Role.objects.filter(user=self.blank, organization=self.cell_a).exists()
        )

    def test_no_role_outside_or_above(self):
        self.client.force_login(self.ward_staff)
        for organization in (self.cell_c, self.committee):
            with self.subTest(organization=organization.code):
                response = self.grant_in_admin(
                    self.blank, organization, Role.Kind.STAFF
                )
                self.assertEqual(response.status_code, 200)
                form = response.context["adminform"].form
                self.assertIn("organization", form.errors)
        self.assertFalse(Role.objects.filter(user=self.blank).exists())

    def test_no_role_for_an_account_they_do_not_manage(self):
        self.client.force_login(self.ward_staff)
        for user in (self.secretary_c, self.peer, self.root, self.city_staff):
            with self.subTest(user=user.username):
                response = self.grant_in_admin(user, self.cell_a)
                self.assertEqual(response.status_code, 200)
                self.assertIn("user", response.context["adminform"].form.errors)

    def test_the_user_autocomplete_offers_only_managed_accounts(self):
        self.client.force_login(self.ward_staff)
        response = self.client.get(
            reverse("admin:autocomplete"),
            {"app_label": "organizations", "model_name": "role", "field_name": "user"},
        )
        ids = {int(result["id"]) for result in response.json()["results"]}
        self.assertLessEqual({self.secretary_a.pk, self.blank.pk}, ids)
        for user in (self.secretary_c, self.peer, self.root, self.city_staff):
            self.assertNotIn(user.pk, ids)

    def test_staff_cannot_broaden_their_own_role(self):
        self.client.force_login(self.ward_staff)
        url = admin_url(Role, "change", self.ward_staff_role.pk)
        for organization in (self.committee, self.other_ward):
            with self.subTest(organization=organization.code):
                response = self.client.post(
                    url,
                    {
                        "user": self.ward_staff.pk,
                        "organization": organization.pk,
                        "kind": Role.Kind.STAFF,
                    },
                )
                self.assertEqual(response.status_code, 200)
                self.assertIn("organization", response.context["adminform"].form.errors)
        self.ward_staff_role.refresh_from_db()
        self.assertEqual(self.ward_staff_role.organization, self.ward)
        self.assertFalse(
            Role.objects.filter(user=self.ward_staff)
            .exclude(pk=self.ward_staff_role.pk)
            .exists()
        )

    def test_roles_of_accounts_they_do_not_manage_are_read_only(self):
        self.client.force_login(self.ward_staff)
        url = admin_url(Role, "change", self.peer_role.pk)
        self.assertEqual(self.client.get(url).status_code, 200)
        response = self.client.post(
            url,
            {"user": self.peer.pk, "organization": self.cell_a.pk, "kind": "staff"},
        )
        self.assertEqual(response.status_code, 403)
        delete = admin_url(Role, "delete", self.peer_role.pk)
        self.assertEqual(self.client.post(delete, {"post": "yes"}).status_code, 403)
        self.peer_role.refresh_from_db()
        self.assertEqual(self.peer_role.organization, self.ward)

    def test_roles_outside_answer_404(self):
        self.client.force_login(self.ward_staff)
        url = admin_url(Role, "change", self.role_c.pk)
        self.assertEqual(self.client.get(url).status_code, 404)
