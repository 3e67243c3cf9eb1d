"""The demo's history carries one restructuring: past cycles keep their tree."""

import datetime
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from members import demo
from members.models import Member
from organizations.models import (
    EndedRole,
    Organization,
    OrganizationKind,
    Restructuring,
    Role,
    Succession,
)
from reviews import statistics
from reviews.models import Review, ReviewCycle

# Enough grassroots organizations for the block committee of the agencies,
# and enough cells per ward for two of them to give one away.
SIZES = ["--members", "400", "--grassroots", "25", "--cells", "60"]
MERGED = ["Đảng bộ phường Quang Trung", "Đảng bộ phường Thắng Lợi"]


def seed():
    call_command("seed_demo", *SIZES, stdout=StringIO())


def unit_names(cycle):
    """The organizations right below the city in the cycle's figures."""
    figures = statistics.CycleFigures(cycle, cycle.superior)
    return [found["unit"].name for found in figures.by_unit()]


class DemoRestructuringTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed()
        cls.decision = Restructuring.objects.get()
        cycles = {c.year: c for c in ReviewCycle.objects.all()}
        cls.before, cls.after = cycles[2024], cycles[2025]
        cls.current = ReviewCycle.objects.latest("starts_on")

    def test_the_decision_was_entered_and_applied_by_staff(self):
        decision = self.decision
        self.assertEqual(decision.number, "Số 123-QĐ/TU")
        self.assertEqual(decision.issued_by, "Ban Thường vụ Tỉnh ủy Kon Tum")
        self.assertEqual(decision.signed_on, datetime.date(2025, 6, 20))
        self.assertEqual(decision.effective_on, datetime.date(2025, 7, 1))
        self.assertEqual(decision.committee.code, demo.PROVINCE_CODE)
        self.assertTrue(decision.is_applied)
        self.assertEqual(decision.created_by.username, "staff")
        self.assertEqual(decision.applied_by.username, "staff")
        self.assertEqual(
            set(decision.lines.values_list("operation", flat=True)),
            {"merge", "rename", "move", "close"},
        )
        self.assertIn("Đảng bộ phường Kon Tum", decision.note)
        # No demo account held a role in what ended.
        self.assertFalse(EndedRole.objects.exists())

    def test_2024_is_rated_on_the_tree_as_it_was(self):
        names = unit_names(self.before)
        for name in [*MERGED, demo.BLOCK_NAME]:
            self.assertIn(name, names)
        self.assertNotIn(demo.NEW_WARD_NAME, names)
        rows = Organization.objects.filter(
            reviews__cycle=self.before, reviews__kind=Review.Kind.ORGANIZATION
        )
        wards = rows.filter(name__in=MERGED)
        self.assertEqual(wards.count(), 2)
        self.assertFalse(wards.filter(superseded_by__isnull=True).exists())
        # The agencies were reviewed under the block committee, since closed.
        agencies = rows.filter(parent__code=demo.BLOCK_CODE)
        self.assertEqual(agencies.count(), demo.BLOCK_SIZE)
        self.assertFalse(agencies.filter(parent__superseded_by__isnull=True).exists())

    def test_the_current_cycle_has_the_merged_ward_and_no_block_committee(self):
        for cycle in (self.after, self.current):
            names = unit_names(cycle)
            self.assertIn(demo.NEW_WARD_NAME, names)
            for name in [*MERGED, demo.BLOCK_NAME]:
                self.assertNotIn(name, names)
            reviewed = Organization.objects.filter(reviews__cycle=cycle).distinct()
            self.assertFalse(reviewed.filter(superseded_by__isnull=False).exists())
        city = Organization.objects.get(code=demo.SUPERIOR_CODE)
        current = Organization.objects.current()
        self.assertFalse(current.filter(code=demo.BLOCK_CODE).exists())
        agencies = current.filter(lineage__in=self.block_agencies())
        self.assertEqual(agencies.count(), demo.BLOCK_SIZE)
        self.assertEqual(set(agencies.values_list("parent", flat=True)), {city.pk})

    def block_agencies(self):
        return Organization.objects.filter(parent__code=demo.BLOCK_CODE).values("pk")

    def test_members_of_moved_cells_are_reviewed_in_the_new_rows(self):
        moved = Succession.objects.filter(
            kind=Succession.Kind.CONTINUED,
            successor__parent__code=demo.NEW_WARD_CODE,
            predecessor__kind=OrganizationKind.CELL,
        ).exclude(predecessor__parent__name__in=MERGED)
        self.assertEqual(moved.count(), demo.MOVED_CELLS)
        for succession in moved.select_related("predecessor", "successor"):
            members = Member.objects.reviewable().filter(
                organization=succession.successor
            )
            self.assertTrue(members.exists())
            for cycle in (self.after, self.current):
                self.assertEqual(
                    set(
                        cycle.reviews.filter(member__in=members).values_list(
                            "organization", flat=True
                        )
                    ),
                    {succession.successor.pk},
                )
            earlier = self.before.reviews.filter(member__in=members)
            self.assertTrue(earlier.exists())
            self.assertEqual(
                set(earlier.values_list("organization", flat=True)),
                {succession.predecessor.pk},
            )

    def test_the_demo_accounts_keep_their_places_and_pages(self):
        secretary = Role.objects.get(user__username="secretary")
        self.assertTrue(secretary.organization.is_current)
        self.assertEqual(secretary.organization.code, demo.DEMO_CELL)
        for username in ("staff", "secretary", "member", "leader"):
            self.client.login(username=username, password=demo.DEMO_PASSWORD)
            response = self.client.get(reverse("home"), follow=True)
            self.assertEqual(response.status_code, 200, username)
            self.client.logout()

    def test_running_again_restructures_nothing(self):
        count = Organization.objects.count()
        seed()
        self.assertEqual(Organization.objects.count(), count)
        self.assertEqual(Restructuring.objects.count(), 1)
