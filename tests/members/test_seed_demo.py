from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import TestCase

from members.models import Member
from organizations.models import Organization, OrganizationKind, Role
from reviews.models import IndicatorValue, ReviewCycle


def counts():
    return {
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "cycles": ReviewCycle.objects.count(),
        "roles": Role.objects.count(),
        "indicator_values": IndicatorValue.objects.count(),
    }


class SeedDemoTests(TestCase):
    def seed(self, *args):
        out = StringIO()
        call_command("seed_demo", *args, stdout=out)
        return out.getvalue()

    def test_running_twice_gives_the_same_counts(self):
        self.seed("--members", "800")
        first = counts()
        self.seed("--members", "800")
        self.assertEqual(counts(), first)
        self.assertEqual(first["members"], 800)
        self.assertEqual(first["cycles"], 2)

    def test_default_demo_is_the_kon_tum_city_tree(self):
        output = self.seed()
        self.assertEqual(Member.objects.count(), 8000)
        grassroots = Organization.objects.filter(
            kind__in=[
                OrganizationKind.GRASSROOTS_COMMITTEE,
                OrganizationKind.GRASSROOTS_CELL,
            ]
        )
        self.assertEqual(grassroots.count(), 100)
        self.assertEqual(grassroots.filter(org_type__code="phuong").count(), 10)
        self.assertEqual(grassroots.filter(org_type__code="xa").count(), 11)
        cells = Organization.objects.filter(kind=OrganizationKind.CELL).count()
        self.assertTrue(350 <= cells <= 450, cells)
        # Every member sits in a cell or a grassroots cell, never in a committee.
        self.assertFalse(
            Member.objects.exclude(
                organization__kind__in=[
                    OrganizationKind.CELL,
                    OrganizationKind.GRASSROOTS_CELL,
                ]
            ).exists()
        )
        self.assertEqual(
            set(ReviewCycle.objects.values_list("regime__code", flat=True)),
            {"qd124", "qd366"},
        )
        for username in ("staff", "secretary", "member", "leader"):
            self.assertIn(username, output)
            self.assertIsNotNone(
                authenticate(username=username, password="kontum-demo")
            )

    def test_demo_accounts_have_their_scopes(self):
        self.seed("--members", "400")
        secretary = Role.objects.get(user__username="secretary")
        self.assertEqual(secretary.kind, Role.Kind.SECRETARY)
        self.assertEqual(secretary.organization.kind, OrganizationKind.CELL)
        member = Member.objects.get(user__username="member")
        self.assertEqual(member.organization, secretary.organization)
        self.assertEqual(
            Role.objects.get(user__username="staff").organization.parent, None
        )

    def test_if_empty_leaves_an_existing_database_alone(self):
        Organization.objects.create(
            code="X", name="Thành ủy khác", kind=OrganizationKind.SUPERIOR_COMMITTEE
        )
        self.seed("--if-empty")
        self.assertEqual(Organization.objects.count(), 1)

    def test_refused_when_settings_forbid_demo_data(self):
        with self.settings(DEMO_DATA_ALLOWED=False), self.assertRaises(CommandError):
            self.seed()
        self.assertEqual(Member.objects.count(), 0)

    def test_staff_can_pick_users_when_assigning_roles(self):
        self.seed("--members", "400")
        self.client.login(username="staff", password="kontum-demo")
        response = self.client.get(
            "/admin/autocomplete/",
            {"app_label": "organizations", "model_name": "role", "field_name": "user"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("secretary", response.content.decode())
